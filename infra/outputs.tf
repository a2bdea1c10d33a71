output "bucket_arns" {
  description = "ARN of every data bucket and of the scripts bucket."
  value       = module.storage.bucket_arns
}

output "state_machine_arns" {
  description = "State machine ARN per dataset."
  value       = module.pipeline.state_machine_arns
}

output "glue_job_names" {
  description = "Glue job names per dataset (clean, flatten)."
  value       = module.pipeline.glue_job_names
}

output "failure_topic_arn" {
  description = "SNS topic receiving pipeline failures."
  value       = module.pipeline.failure_topic_arn
}

output "airflow_failure_alert_policy_arn" {
  description = "The IAM policy the Airflow deployment's role needs for the DAG's failure alerts (sns:Publish on the failure topic; attached to airflow_role_name when given)."
  value       = module.pipeline.airflow_failure_alert_policy_arn
}

output "snowflake_role_arn" {
  description = "Role ARN for Snowflake's STORAGE_AWS_ROLE_ARN (known before the role exists: phase 1 of the deploy)."
  value       = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:role/${local.role_names.snowflake}"
}

output "snowflake_role_created" {
  description = "False until snowflake_iam_user_arn and snowflake_external_id are set (phase 2)."
  value       = module.snowflake_access.role_created
}

output "github_deploy_role_arn" {
  description = "Role ARN for the deploy workflow's role-to-assume (repository variable AWS_DEPLOY_ROLE_ARN)."
  value       = module.github_deploy.role_arn
}

output "quicksight_data_set_ids" {
  description = "QuickSight data set id per mart (empty unless enable_quicksight)."
  value       = var.enable_quicksight ? module.quicksight[0].data_set_ids : {}
}

output "quicksight_analysis_id" {
  description = "Id of the QuickSight analysis (null unless enable_quicksight)."
  value       = var.enable_quicksight ? module.quicksight[0].analysis_id : null
}

output "quicksight_reader_group_arn" {
  description = "The QuickSight group with read-only access; add the readers to it (null unless enable_quicksight)."
  value       = var.enable_quicksight ? module.quicksight[0].reader_group_arn : null
}

output "quicksight_refresh_policy_arn" {
  description = "The IAM policy the Airflow deployment's role needs for the DAG's QuickSight refresh (attached to airflow_role_name when given; null unless enable_quicksight)."
  value       = var.enable_quicksight ? module.quicksight[0].refresh_policy_arn : null
}
