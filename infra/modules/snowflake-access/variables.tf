variable "role_name" {
  description = "Name of the role Snowflake's storage integration assumes (STORAGE_AWS_ROLE_ARN)."
  type        = string
}

variable "processed_buckets" {
  description = "Processed bucket name => dataset prefixes Snowflake may read."
  type        = map(list(string))
}

variable "bucket_arns" {
  description = "Bucket name => ARN."
  type        = map(string)
}

variable "kms_key_arn" {
  description = "Key encrypting the processed objects."
  type        = string
}

variable "iam_user_arn" {
  description = "STORAGE_AWS_IAM_USER_ARN from DESC INTEGRATION; null in phase 1 (no role yet)."
  type        = string
  default     = null
}

variable "external_id" {
  description = "STORAGE_AWS_EXTERNAL_ID from DESC INTEGRATION; required with iam_user_arn."
  type        = string
  default     = null

  validation {
    condition     = var.external_id == null ? true : length(var.external_id) > 0
    error_message = "external_id must not be empty."
  }
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the module's roles (module github-deploy's platform_boundary: what the deploy role's roles may ever do)."
  type        = string
}
