output "bucket_arns" {
  description = "Bucket name => ARN, data buckets and the scripts bucket."
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
