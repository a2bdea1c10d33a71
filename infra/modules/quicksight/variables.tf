variable "repository_root" {
  description = "Path of the repository root: the generator's QuickSight layer is read from generated/quicksight/ there."
  type        = string
}

variable "snowflake_host" {
  description = "Snowflake account host name, without scheme: <account_identifier>.snowflakecomputing.com (or its privatelink form)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9.-]*\\.snowflakecomputing\\.(com|cn)$", var.snowflake_host))
    error_message = "snowflake_host must be the account's host name, e.g. myorg-myaccount.snowflakecomputing.com (no https://, no path)."
  }
}

variable "snowflake_secret_arn" {
  description = "Secrets Manager secret holding the reporter user's Snowflake credentials ({\"username\": ..., \"password\": ...}); created and filled outside Terraform, so no credential reaches the code or the state."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.snowflake_secret_arn))
    error_message = "snowflake_secret_arn must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)."
  }
}

variable "reader_group_name" {
  description = "Name of the QuickSight group (namespace default) created here and given read-only access to every resource; null means the generator's readerGroup."
  type        = string
  default     = null
}

variable "vpc_connection_arn" {
  description = "QuickSight VPC connection to reach Snowflake through AWS PrivateLink; null connects over the public endpoint (TLS)."
  type        = string
  default     = null
}

variable "refresh_policy_name" {
  description = "Name of the IAM policy that lets the Airflow DAG reload the SPICE data sets (CreateIngestion, DescribeIngestion, CancelIngestion on these data sets only)."
  type        = string
}
