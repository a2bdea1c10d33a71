# Run once per account, with local state, by an administrator: creates the remote state bucket and the lock
# table that infra/ uses through its S3 backend (see ../backend.hcl.example).
#   terraform -chdir=infra/bootstrap init && terraform -chdir=infra/bootstrap apply

terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # One exact version: the hashes in .terraform.lock.hcl (infra/README, "Provider lock") are for it, and a range
      # would let a new init pick another release. 5.81 made thumbprint_list of the OIDC provider optional; releases
      # before 5.83 sent a data set's column descriptions empty, which QuickSight refuses (hashicorp/terraform-provider-aws#39912).
      version = "5.100.0"
    }
  }
}

provider "aws" {
  region = var.aws_region
}

variable "aws_region" {
  description = "Region of the state bucket and lock table."
  type        = string
}

variable "state_bucket" {
  description = "Name of the remote state bucket."
  type        = string
}

variable "lock_table" {
  description = "Name of the DynamoDB lock table."
  type        = string
  default     = "terraform-locks"
}

variable "state_key_alias" {
  description = "Alias of the KMS key encrypting the state, its access logs and the lock table (infra/ names the key by it)."
  type        = string
  default     = "alias/terraform-state"
}

variable "access_logs_bucket" {
  description = "Bucket receiving the state bucket's S3 server access logs; null means \"<state_bucket>-access-logs\"."
  type        = string
  default     = null
}

variable "noncurrent_state_days" {
  description = "Previous versions of the state are kept this many days."
  type        = number
  default     = 365
}

variable "access_log_expiration_days" {
  description = "The state bucket's access logs are deleted after this many days."
  type        = number
  default     = 365
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id         = data.aws_caller_identity.current.account_id
  access_logs_bucket = coalesce(var.access_logs_bucket, "${var.state_bucket}-access-logs")
}

# ---------------------------------------------------------------- state key

resource "aws_kms_key" "state" {
  description             = "Terraform remote state, its access logs and the lock table"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.state_key.json

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_kms_alias" "state" {
  name          = var.state_key_alias
  target_key_id = aws_kms_key.state.key_id
}

# AWS's default key policy (the account, hence IAM policies, administers and uses the key), plus S3 server access
# logging, which writes SSE-KMS log objects with it.
# https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
data "aws_iam_policy_document" "state_key" {
  #checkov:skip=CKV_AWS_109:Key policy, not an identity policy: Resource "*" is this key, and kms:* for the account root is AWS's default statement delegating to IAM
  #checkov:skip=CKV_AWS_111:Key policy, not an identity policy: Resource "*" is this key, and kms:* for the account root is AWS's default statement delegating to IAM
  #checkov:skip=CKV_AWS_356:Key policy, not an identity policy: Resource "*" is this key; the service statements are scoped by conditions
  statement {
    sid       = "EnableIamPolicies"
    actions   = ["kms:*"]
    resources = ["*"] # in a key policy, "*" is this key
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "ServerAccessLogDelivery"
    actions   = ["kms:GenerateDataKey"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

# ---------------------------------------------------------------- state bucket

resource "aws_s3_bucket" "state" {
  #checkov:skip=CKV_AWS_144:Single-region by design: a cross-region replica of the state (second region, key, bucket) is a disaster-recovery choice not made here; the state is versioned
  #checkov:skip=CKV2_AWS_62:Nothing reacts to state objects; every access to them is in the server access logs
  bucket = var.state_bucket

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_logging" "state" {
  bucket        = aws_s3_bucket.state.id
  target_bucket = aws_s3_bucket.access_logs.id
  target_prefix = "${var.state_bucket}/"

  depends_on = [aws_s3_bucket_policy.access_logs]
}

resource "aws_s3_bucket_lifecycle_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    id     = "expire-old-state-versions"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_state_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.state]
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.state.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket                  = aws_s3_bucket.state.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

data "aws_iam_policy_document" "state" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.state.arn, "${aws_s3_bucket.state.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "state" {
  bucket = aws_s3_bucket.state.id
  policy = data.aws_iam_policy_document.state.json
}

# ---------------------------------------------------------------- access logs of the state bucket

resource "aws_s3_bucket" "access_logs" {
  #checkov:skip=CKV_AWS_18:This is the access-log target; logging it into itself would log every log delivery
  #checkov:skip=CKV_AWS_144:Single-region by design, as the state bucket whose logs it holds
  #checkov:skip=CKV2_AWS_62:Nothing reacts to access-log objects; they are read in bulk when auditing
  bucket = local.access_logs_bucket
}

resource "aws_s3_bucket_versioning" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.state.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  bucket                  = aws_s3_bucket.access_logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    id     = "expire-access-logs"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
    expiration {
      days = var.access_log_expiration_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
  }

  depends_on = [aws_s3_bucket_versioning.access_logs]
}

# TLS only, and log delivery from the state bucket of this account, under its prefix.
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
data "aws_iam_policy_document" "access_logs" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.access_logs.arn, "${aws_s3_bucket.access_logs.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid       = "ServerAccessLogDelivery"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.access_logs.arn}/${var.state_bucket}/*"]
    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [aws_s3_bucket.state.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_s3_bucket_policy" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  policy = data.aws_iam_policy_document.access_logs.json

  depends_on = [aws_s3_bucket_public_access_block.access_logs]
}

# ---------------------------------------------------------------- lock table

resource "aws_dynamodb_table" "lock" {
  name         = var.lock_table
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "LockID"

  attribute {
    name = "LockID"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.state.arn
  }
}

output "backend_config" {
  description = "Values for infra/backend.hcl."
  value = {
    bucket         = aws_s3_bucket.state.id
    dynamodb_table = aws_dynamodb_table.lock.name
    kms_key_id     = aws_kms_key.state.arn
    region         = var.aws_region
  }
}

output "state_key_alias" {
  description = "Alias of the state key: infra/'s terraform_state_key_alias (its default matches this one's)."
  value       = aws_kms_alias.state.name
}
