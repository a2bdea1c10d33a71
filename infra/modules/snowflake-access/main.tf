# Read-only access of Snowflake's storage integration to the processed zone, trusted only for the integration's
# IAM user with its external id (https://docs.snowflake.com/en/user-guide/data-load-s3-config-storage-integration).
# Phase 1 creates nothing here: the integration needs the role ARN first (output snowflake_role_arn), then
# DESC INTEGRATION gives the user ARN and external id, and phase 2 creates the role.

locals {
  enabled = var.iam_user_arn != null && var.external_id != null
}

data "aws_iam_policy_document" "trust" {
  count = local.enabled ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = [var.iam_user_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = [var.external_id]
    }
  }
}

resource "aws_iam_role" "snowflake" {
  count = local.enabled ? 1 : 0

  name                 = var.role_name
  assume_role_policy   = data.aws_iam_policy_document.trust[0].json
  permissions_boundary = var.permissions_boundary_arn
}

data "aws_iam_policy_document" "read_processed" {
  statement {
    sid       = "ReadProcessedObjects"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = flatten([for bucket, prefixes in var.processed_buckets : [for prefix in prefixes : "${var.bucket_arns[bucket]}/${prefix}*"]])
  }

  statement {
    sid       = "LocateProcessedBuckets"
    actions   = ["s3:GetBucketLocation"]
    resources = [for bucket in keys(var.processed_buckets) : var.bucket_arns[bucket]]
  }

  statement {
    sid       = "ListProcessedPrefixes"
    actions   = ["s3:ListBucket"]
    resources = [for bucket in keys(var.processed_buckets) : var.bucket_arns[bucket]]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = distinct(flatten([for prefixes in values(var.processed_buckets) : [for prefix in prefixes : "${prefix}*"]]))
    }
  }

  statement {
    sid       = "DecryptProcessedObjects"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "snowflake" {
  count = local.enabled ? 1 : 0

  name   = "read-processed"
  role   = aws_iam_role.snowflake[0].id
  policy = data.aws_iam_policy_document.read_processed.json
}
