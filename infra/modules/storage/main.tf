# Data buckets (one per zone, names from the contracts), the scripts bucket and the access-log bucket: SSE-KMS with
# a customer managed key, public access blocked, bucket owner enforced, TLS-only policies, lifecycle rules. Every
# bucket but the access-log bucket writes S3 server access logs there. Raw is immutable: versioning, no deletes, and
# (by default) writes only with If-None-Match so an existing key is never replaced
# (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes-enforce.html).

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_partition" "current" {}

locals {
  account_id              = data.aws_caller_identity.current.account_id
  access_logs_bucket_name = coalesce(var.access_logs_bucket_name, "${var.scripts_bucket_name}-access-logs")
  all_buckets = merge(
    { for name, bucket in var.buckets : name => bucket.zone },
    { (var.scripts_bucket_name) = "scripts" },
    { (local.access_logs_bucket_name) = "access-logs" },
  )
  raw_buckets       = { for name, zone in local.all_buckets : name => zone if zone == "raw" }
  versioned_buckets = { for name, zone in local.all_buckets : name => zone if contains(["raw", "scripts", "access-logs"], zone) }
  # Server access logging of every bucket except the log bucket itself (S3 advises against a bucket logging into
  # itself: each delivery would log another request).
  logged_buckets = { for name, zone in local.all_buckets : name => zone if zone != "access-logs" }
  # One notification resource per bucket: S3 keeps a single notification configuration per bucket and each
  # PutBucketNotificationConfiguration replaces all of it, so EventBridge (raw) and Snowflake's SQS queue
  # (processed) must never be split over two resources.
  notified_buckets = { for name, zone in local.all_buckets : name => zone if contains(["raw", "processed"], zone) }
  expiring_days = {
    cleaned    = var.cleaned_expiration_days
    quarantine = var.quarantine_expiration_days
  }
}

resource "aws_kms_key" "data" {
  description             = "${var.project}: S3 data, Glue scripts, access logs, pipeline logs and failure notifications"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.data_key.json
}

# Key policy: the account (hence IAM policies, which name this key for each role) administers and uses the key, as in
# AWS's default key policy; two AWS services encrypt with it on the platform's behalf, each scoped by condition.
# https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
data "aws_iam_policy_document" "data_key" {
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

  # CloudWatch Logs encrypts the pipeline's log groups (Glue jobs, state machines), and only those.
  # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
  statement {
    sid       = "CloudWatchLogsOfThePipeline"
    actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${data.aws_region.current.name}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = [for name in var.log_group_names : "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${local.account_id}:log-group:${name}"]
    }
  }

  # S3 server access logging writes SSE-KMS log objects into the access-log bucket with this key.
  # https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
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

  # CloudWatch alarms (the pipeline's undelivered-event alarms) publish to the failure topic, which is encrypted with
  # this key: SNS asks KMS for a data key on the alarm's behalf, as cloudwatch.amazonaws.com
  # (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services). The
  # condition is SNS's encryption context, the topic's ARN (kms:EncryptionContext:aws:sns:topicArn, as in AWS's
  # statement for another service publishing to an encrypted topic:
  # https://docs.aws.amazon.com/gamelift/latest/flexmatchguide/queue-notification-sns-sse.html), so the statement
  # covers that topic and nothing else the key protects. aws:SourceArn/aws:SourceAccount are not used: no AWS page
  # found says CloudWatch alarms send them to KMS, and a key the request lacks would silently block every alarm
  # (infra/README.md, "Undelivered events", says how to check delivery after an apply).
  statement {
    sid       = "CloudWatchAlarmsToFailureTopic"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:aws:sns:topicArn"
      values   = ["arn:${data.aws_partition.current.partition}:sns:${data.aws_region.current.name}:${local.account_id}:${var.failure_topic_name}"]
    }
  }
}

resource "aws_kms_alias" "data" {
  name          = "alias/${var.project}-data"
  target_key_id = aws_kms_key.data.key_id
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:Single-region by design: cross-region replication (second region, replica keys and buckets) is a disaster-recovery choice not made here; raw, the only source data, is versioned and undeletable
  for_each = local.all_buckets

  bucket = each.key
  tags   = { zone = each.value }
}

resource "aws_s3_bucket_logging" "this" {
  for_each = local.logged_buckets

  bucket        = aws_s3_bucket.this[each.key].id
  target_bucket = aws_s3_bucket.this[local.access_logs_bucket_name].id
  target_prefix = "${each.key}/"

  depends_on = [aws_s3_bucket_policy.this]
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = aws_s3_bucket.this

  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.data.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = local.versioned_buckets

  bucket = aws_s3_bucket.this[each.key].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  dynamic "rule" {
    for_each = local.all_buckets[each.key] == "raw" ? [1] : []
    content {
      id     = "archive-raw"
      status = "Enabled"
      filter {}
      transition {
        days          = var.raw_archive_after_days
        storage_class = "GLACIER_IR"
      }
    }
  }

  dynamic "rule" {
    for_each = contains(keys(local.expiring_days), local.all_buckets[each.key]) ? [local.expiring_days[local.all_buckets[each.key]]] : []
    content {
      id     = "expire-${local.all_buckets[each.key]}"
      status = "Enabled"
      filter {}
      expiration {
        days = rule.value
      }
    }
  }

  dynamic "rule" {
    for_each = local.all_buckets[each.key] == "scripts" ? [1] : []
    content {
      id     = "expire-old-script-versions"
      status = "Enabled"
      filter {}
      noncurrent_version_expiration {
        noncurrent_days = 30
      }
    }
  }

  # Glue's --TempDir (tmp/): scratch files of job runs, never read after the run.
  dynamic "rule" {
    for_each = local.all_buckets[each.key] == "scripts" ? [1] : []
    content {
      id     = "expire-glue-temp-files"
      status = "Enabled"
      filter {
        prefix = "tmp/"
      }
      expiration {
        days = 7
      }
      noncurrent_version_expiration {
        noncurrent_days = 1
      }
    }
  }

  dynamic "rule" {
    for_each = local.all_buckets[each.key] == "access-logs" ? [1] : []
    content {
      id     = "expire-access-logs"
      status = "Enabled"
      filter {}
      expiration {
        days = var.access_log_expiration_days
      }
      noncurrent_version_expiration {
        noncurrent_days = 30
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

data "aws_iam_policy_document" "bucket" {
  for_each = aws_s3_bucket.this

  # AWS's documented TLS-only statement denies every S3 action over plain HTTP
  # (https://repost.aws/knowledge-center/s3-bucket-policy-for-config-rule).
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [each.value.arn, "${each.value.arn}/*"]
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

  # Server access log delivery, only from this account's buckets that log here, under their own prefix.
  # https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
  dynamic "statement" {
    for_each = local.all_buckets[each.key] == "access-logs" ? [1] : []
    content {
      sid       = "ServerAccessLogDelivery"
      actions   = ["s3:PutObject"]
      resources = [for name in keys(local.logged_buckets) : "${each.value.arn}/${name}/*"]
      principals {
        type        = "Service"
        identifiers = ["logging.s3.amazonaws.com"]
      }
      condition {
        test     = "ArnLike"
        variable = "aws:SourceArn"
        values   = [for name in keys(local.logged_buckets) : "arn:${data.aws_partition.current.partition}:s3:::${name}"]
      }
      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.account_id]
      }
    }
  }

  dynamic "statement" {
    for_each = local.all_buckets[each.key] == "raw" ? [1] : []
    content {
      sid       = "DenyRawDeletes"
      effect    = "Deny"
      actions   = ["s3:DeleteObject", "s3:DeleteObjectVersion"]
      resources = ["${each.value.arn}/*"]
      principals {
        type        = "*"
        identifiers = ["*"]
      }
    }
  }

  dynamic "statement" {
    for_each = local.all_buckets[each.key] == "raw" && var.raw_require_conditional_writes ? [1] : []
    content {
      sid       = "DenyRawOverwrites"
      effect    = "Deny"
      actions   = ["s3:PutObject"]
      resources = ["${each.value.arn}/*"]
      principals {
        type        = "*"
        identifiers = ["*"]
      }
      condition {
        test     = "Null"
        variable = "s3:if-none-match"
        values   = ["true"]
      }
      # Only the requests that create the object (PutObject, CompleteMultipartUpload); CreateMultipartUpload and
      # UploadPart cannot carry the header. CopyObject into raw is therefore impossible, by design.
      condition {
        test     = "Bool"
        variable = "s3:ObjectCreationOperation"
        values   = ["true"]
      }
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  policy = data.aws_iam_policy_document.bucket[each.key].json

  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_s3_bucket_notification" "this" {
  for_each = local.notified_buckets

  bucket      = aws_s3_bucket.this[each.key].id
  eventbridge = each.value == "raw"

  # Phase 2 of the deploy: Snowflake creates the queue with the first external table; its ARN
  # (SHOW EXTERNAL TABLES -> notification_channel) is then set as snowflake_notification_queue_arn.
  dynamic "queue" {
    for_each = each.value == "processed" && var.snowflake_notification_queue_arn != null ? [var.snowflake_notification_queue_arn] : []
    content {
      id            = "snowflake-auto-refresh"
      queue_arn     = queue.value
      events        = ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]
      filter_suffix = ".parquet"
    }
  }
}
