variable "project" {
  description = "Name prefix of the log groups and the SNS topic."
  type        = string
}

variable "repository_root" {
  description = "Path of the repository root (scripts and state machine definitions are read from there)."
  type        = string
}

variable "datasets" {
  description = "The `datasets` object of generated/terraform/contracts.json (shape owned by the generator)."
  type        = any
}

variable "bucket_arns" {
  description = "Bucket name => ARN (from the storage module)."
  type        = map(string)
}

variable "kms_key_arn" {
  description = "Key encrypting the buckets, the SNS topic, the log groups and what the Glue jobs write."
  type        = string
}

variable "scripts_bucket_name" {
  description = "Bucket receiving the Glue scripts (glue/) and Glue temporary files (tmp/)."
  type        = string
}

variable "scripts_bucket_arn" {
  description = "ARN of the scripts bucket."
  type        = string
}

variable "glue_role_name" {
  description = "Name of the role the Glue jobs run as."
  type        = string
}

variable "step_functions_role_name" {
  description = "Name of the role the state machines run as."
  type        = string
}

variable "eventbridge_role_name" {
  description = "Name of the role EventBridge uses to start executions."
  type        = string
}

variable "glue_version" {
  description = "Glue version, 4.0 or 5.0."
  type        = string
}

variable "glue_worker_type" {
  description = "Glue worker type."
  type        = string
}

variable "glue_number_of_workers" {
  description = "Workers per run."
  type        = number
}

variable "max_quarantine_ratio" {
  description = "The clean jobs' --max_quarantine_ratio: largest quarantined share of a raw object's records before its run fails."
  type        = number
}

variable "glue_timeout_minutes" {
  description = "Run timeout in minutes."
  type        = number
}

variable "glue_max_concurrent_runs" {
  description = "Concurrent runs per job."
  type        = number
}

variable "log_retention_days" {
  description = "Retention of the log groups."
  type        = number
}

variable "failure_notification_emails" {
  description = "E-mail subscribers of the failure topic."
  type        = list(string)
  default     = []
}

variable "airflow_failure_alert_policy_name" {
  description = "Name of the IAM policy that lets the Airflow DAG publish its failure alerts to the failure topic (for the Airflow deployment's role, outside this platform)."
  type        = string
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the module's roles (module github-deploy's platform_boundary: what the deploy role's roles may ever do)."
  type        = string
}
