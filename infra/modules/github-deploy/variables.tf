variable "role_name" {
  description = "Name of the role the deploy workflow assumes."
  type        = string
}

variable "github_org" {
  description = "GitHub organisation or user."
  type        = string
}

variable "github_repo" {
  description = "Repository name."
  type        = string
}

variable "github_environment" {
  description = "GitHub deployment environment the deploy job names (its OIDC subject is repo:<org>/<repo>:environment:<name>)."
  type        = string
  default     = "production"
}

variable "oidc_provider_arn" {
  description = "Existing GitHub OIDC provider ARN; null creates the provider."
  type        = string
  default     = null
}

variable "account_id" {
  description = "AWS account id (from aws_caller_identity, never written in code)."
  type        = string
}

variable "partition" {
  description = "AWS partition (aws, aws-cn, aws-us-gov)."
  type        = string
}

variable "region" {
  description = "AWS region."
  type        = string
}

variable "project" {
  description = "Name prefix of the managed topic."
  type        = string
}

variable "managed_bucket_names" {
  description = "Data and scripts buckets Terraform manages."
  type        = list(string)
}

variable "scripts_bucket_name" {
  description = "Bucket the Glue scripts are uploaded to."
  type        = string
}

variable "glue_job_names" {
  description = "Glue jobs Terraform manages."
  type        = list(string)
}

variable "state_machine_names" {
  description = "State machines Terraform manages."
  type        = list(string)
}

variable "event_rule_names" {
  description = "EventBridge rules Terraform manages."
  type        = list(string)
}

variable "managed_role_names" {
  description = "IAM roles Terraform manages (including this one)."
  type        = list(string)
}

variable "log_group_names" {
  description = "CloudWatch log groups Terraform manages (the pipeline module's output)."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "The data key."
  type        = string
}

variable "state_bucket" {
  description = "Remote state bucket."
  type        = string
}

variable "lock_table" {
  description = "Remote state lock table."
  type        = string
}

variable "state_key_alias" {
  description = "Alias (alias/...) of the KMS key encrypting the remote state and the lock table."
  type        = string
}

variable "quicksight" {
  description = "With the QuickSight stage enabled: the ids of what the deploy role may manage (data source, data sets, analysis, reader group), the data source's secret (which QuickSight lets the caller that creates or updates the data source name only if it may read it), and null when disabled."
  type = object({
    data_source_id = string
    data_set_ids   = list(string)
    analysis_id    = string
    reader_group   = string
    secret_arn     = string
  })
  default = null
}

variable "airflow_policy_names" {
  description = "The IAM policies written for the Airflow DAG's role (failure alert; QuickSight refresh when enabled): the deploy role may read them, not write or attach them."
  type        = list(string)
}

variable "airflow_role_name" {
  description = "The Airflow deployment's IAM role the DAG's policies are attached to, or empty: the deploy role may list its attached policies."
  type        = string
  default     = ""
}
