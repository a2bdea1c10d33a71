variable "project" {
  description = "Name prefix of the KMS alias."
  type        = string
}

variable "access_logs_bucket_name" {
  description = "Bucket receiving the S3 server access logs of every other bucket; null means \"<scripts_bucket_name>-access-logs\"."
  type        = string
  default     = null
}

variable "access_log_expiration_days" {
  description = "S3 server access logs are deleted after this many days."
  type        = number
  default     = 365
}

variable "log_group_names" {
  description = "CloudWatch log groups (of the pipeline) that CloudWatch Logs may encrypt with the data key."
  type        = list(string)
}

variable "failure_topic_name" {
  description = "Name of the pipeline's failure topic (encrypted with the data key), which CloudWatch alarms publish to."
  type        = string
}

variable "buckets" {
  description = "Data buckets from generated/terraform/contracts.json: name => { zone, prefixes, datasets }."
  type = map(object({
    zone     = string
    prefixes = list(string)
    datasets = list(string)
  }))

  validation {
    condition     = alltrue([for bucket in values(var.buckets) : contains(["raw", "cleaned", "quarantine", "processed"], bucket.zone)])
    error_message = "Every bucket's zone must be raw, cleaned, quarantine or processed."
  }
}

variable "scripts_bucket_name" {
  description = "Bucket for Glue scripts and Glue temporary files."
  type        = string
}

variable "raw_archive_after_days" {
  description = "Days before raw objects move to Glacier Instant Retrieval."
  type        = number
}

variable "cleaned_expiration_days" {
  description = "Days before cleaned objects are deleted."
  type        = number
}

variable "quarantine_expiration_days" {
  description = "Days before quarantined objects are deleted."
  type        = number
}

variable "raw_require_conditional_writes" {
  description = "Deny raw PutObject requests without If-None-Match (no overwrite of an existing key)."
  type        = bool
}

variable "snowflake_notification_queue_arn" {
  description = "Snowflake's auto-refresh SQS queue (null in phase 1)."
  type        = string
  default     = null
}
