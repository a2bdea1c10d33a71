output "bucket_arns" {
  description = "Bucket name => ARN: data buckets, the scripts bucket and the access-log bucket."
  value       = { for name, bucket in aws_s3_bucket.this : name => bucket.arn }
}

output "kms_key_arn" {
  description = "Customer managed key encrypting every bucket."
  value       = aws_kms_key.data.arn
}

output "scripts_bucket_name" {
  description = "Name of the scripts bucket."
  value       = aws_s3_bucket.this[var.scripts_bucket_name].id
}

output "scripts_bucket_arn" {
  description = "ARN of the scripts bucket."
  value       = aws_s3_bucket.this[var.scripts_bucket_name].arn
}

output "access_logs_bucket_name" {
  description = "Name of the bucket holding the S3 server access logs."
  value       = aws_s3_bucket.this[local.access_logs_bucket_name].id
}
