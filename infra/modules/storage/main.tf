# Data buckets (one per zone, names from the contracts) and the scripts bucket: SSE-KMS with a customer managed
# key, public access blocked, bucket owner enforced, TLS-only policies, lifecycle rules. Raw is immutable:
# versioning, no deletes, and (by default) writes only with If-None-Match so an existing key is never replaced
# (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes-enforce.html).

locals {
  all_buckets = merge(
    { for name, bucket in var.buckets : name => bucket.zone },
    { (var.scripts_bucket_name) = "scripts" },
  )
  raw_buckets       = { for name, zone in local.all_buckets : name => zone if zone == "raw" }
  versioned_buckets = { for name, zone in local.all_buckets : name => zone if contains(["raw", "scripts"], zone) }
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
  description             = "${var.project}: S3 data, Glue scripts and failure notifications"
  enable_key_rotation     = true
  deletion_window_in_days = 30
}

resource "aws_kms_alias" "data" {
  name          = "alias/${var.project}-data"
  target_key_id = aws_kms_key.data.key_id
}

resource "aws_s3_bucket" "this" {
  for_each = local.all_buckets

  bucket = each.key
  tags   = { zone = each.value }
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
      id     = "expire-old-script-versions-and-temp-files"
      status = "Enabled"
      filter {}
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
