variable "aws_region" {
  description = "AWS region of every resource."
  type        = string
}

variable "project" {
  description = "Name prefix of IAM roles, the KMS alias, log groups and the SNS topic."
  type        = string
  default     = "amazon-reviews"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.project))
    error_message = "project must be lowercase letters, digits and '-', 2 to 31 characters."
  }
}

variable "scripts_bucket_name" {
  description = "Bucket holding the Glue job scripts and Glue's temporary files (not a contract zone)."
  type        = string
}

variable "access_logs_bucket_name" {
  description = "Bucket receiving the S3 server access logs of the other buckets; null means \"<scripts_bucket_name>-access-logs\"."
  type        = string
  default     = null
}

variable "access_log_expiration_days" {
  description = "S3 server access logs are deleted after this many days."
  type        = number
  default     = 365
}

variable "glue_version" {
  description = "AWS Glue version of every job: 4.0 (Spark 3.3, Python 3.10) or 5.0 (Spark 3.5, Python 3.11)."
  type        = string
  default     = "5.0"

  validation {
    condition     = contains(["4.0", "5.0"], var.glue_version)
    error_message = "glue_version must be \"4.0\" or \"5.0\"."
  }
}

variable "glue_worker_type" {
  description = "Glue worker type (G.1X, G.2X, ...)."
  type        = string
  default     = "G.1X"
}

variable "glue_number_of_workers" {
  description = "Glue workers per job run (at least 2)."
  type        = number
  default     = 2
}

variable "glue_timeout_minutes" {
  description = "A Glue job run longer than this is stopped and counted as failed."
  type        = number
  default     = 60
}

variable "max_quarantine_ratio" {
  description = "Largest share of a raw object's records the clean job may quarantine (quarantined / input); beyond it the run fails after writing the quarantine and run summary, and the failure topic is notified."
  type        = number
  default     = 0.5

  validation {
    condition     = var.max_quarantine_ratio >= 0 && var.max_quarantine_ratio <= 1
    error_message = "max_quarantine_ratio is a share of the records, from 0 to 1 (1 never fails a run for its quarantined records)."
  }
}

variable "glue_max_concurrent_runs" {
  description = "Concurrent runs per job; further runs wait in Glue's job run queue (and the state machine retries ConcurrentRunsExceededException for hours)."
  type        = number
  default     = 5
}

variable "log_retention_days" {
  description = "Retention of the Glue and Step Functions log groups (at least a year: they are the pipeline's audit trail)."
  type        = number
  default     = 365

  # CloudWatch's allowed values of a year or more; 0 keeps the logs forever.
  validation {
    condition     = contains([0, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch retention of at least 365 days (365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653) or 0 (never expire)."
  }
}

variable "raw_archive_after_days" {
  description = "Raw objects move to Glacier Instant Retrieval after this many days."
  type        = number
  default     = 90
}

variable "cleaned_expiration_days" {
  description = "Cleaned run folders (intermediate) are deleted after this many days."
  type        = number
  default     = 30
}

variable "quarantine_expiration_days" {
  description = "Quarantined records and run summaries are deleted after this many days."
  type        = number
  default     = 180
}

variable "raw_require_conditional_writes" {
  description = "Deny PutObject on raw without If-None-Match, so an existing raw object can never be overwritten."
  type        = bool
  default     = true
}

variable "failure_notification_emails" {
  description = "E-mail addresses subscribed to pipeline failure notifications."
  type        = list(string)
  default     = []
}

variable "snowflake_notification_queue_arn" {
  description = "Phase 2: SQS ARN from Snowflake's SHOW EXTERNAL TABLES (notification_channel). Null until known."
  type        = string
  default     = null
}

variable "snowflake_iam_user_arn" {
  description = "Phase 2: STORAGE_AWS_IAM_USER_ARN from DESC INTEGRATION. The Snowflake role is created once it is set."
  type        = string
  default     = null
}

variable "snowflake_external_id" {
  description = "Phase 2: STORAGE_AWS_EXTERNAL_ID from DESC INTEGRATION."
  type        = string
  default     = null
}

variable "github_org" {
  description = "GitHub organisation (or user) owning this repository."
  type        = string
}

variable "github_repo" {
  description = "GitHub repository name; only its deployment environment (github_environment) may assume the deploy role."
  type        = string
}

variable "github_environment" {
  description = "GitHub deployment environment of the deploy job (deploy.yml: production); restrict it to the main branch in the repository's settings."
  type        = string
  default     = "production"
}

variable "github_oidc_provider_arn" {
  description = "ARN of an existing token.actions.githubusercontent.com OIDC provider; null creates one."
  type        = string
  default     = null
}

variable "terraform_state_bucket" {
  description = "Bucket of the remote state (from infra/bootstrap/), for the deploy role's permissions."
  type        = string
}

variable "terraform_lock_table" {
  description = "DynamoDB lock table of the remote state (from infra/bootstrap/)."
  type        = string
}

variable "terraform_state_key_alias" {
  description = "Alias of the KMS key encrypting the remote state and the lock table (from infra/bootstrap/)."
  type        = string
  default     = "alias/terraform-state"
}

variable "enable_quicksight" {
  description = "Create the QuickSight data source, data sets and analysis (generated/quicksight/), and the IAM policy the Airflow DAG needs to refresh them. Needs a QuickSight Enterprise subscription in the account and snowflake_host / snowflake_secret_arn."
  type        = bool
  default     = false
}

variable "snowflake_host" {
  description = "With enable_quicksight: the Snowflake account's host name (<account_identifier>.snowflakecomputing.com)."
  type        = string
  default     = null
}

variable "snowflake_secret_arn" {
  description = "With enable_quicksight: ARN of the Secrets Manager secret with the reporter user's Snowflake credentials (created and filled outside Terraform)."
  type        = string
  default     = null
}

variable "quicksight_reader_group_name" {
  description = "QuickSight group (namespace default) created with read-only access to the data sets and the analysis; null means the generator's name (generated/quicksight/quicksight.json, readerGroup)."
  type        = string
  default     = null
}

variable "airflow_role_name" {
  description = "Name of the Airflow deployment's IAM role (the DAG's workers), to which the DAG's IAM policies are attached: the failure alert (output airflow_failure_alert_policy_arn) and, with enable_quicksight, the QuickSight refresh (output quicksight_refresh_policy_arn); empty attaches them to nothing."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([\\w+=,.@-]{1,64})?$", var.airflow_role_name))
    error_message = "airflow_role_name must be an IAM role name (not an ARN), or empty."
  }
}

variable "quicksight_vpc_connection_arn" {
  description = "QuickSight VPC connection to Snowflake over AWS PrivateLink; null uses Snowflake's public endpoint (TLS)."
  type        = string
  default     = null
}
