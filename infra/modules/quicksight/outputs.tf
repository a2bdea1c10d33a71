output "data_source_arn" {
  description = "ARN of the Snowflake data source."
  value       = aws_quicksight_data_source.this.arn
}

output "data_set_ids" {
  description = "QuickSight data set id per mart."
  value       = { for mart, data_set in aws_quicksight_data_set.this : mart => data_set.data_set_id }
}

output "data_set_arns" {
  description = "QuickSight data set ARN per mart."
  value       = { for mart, data_set in aws_quicksight_data_set.this : mart => data_set.arn }
}

output "analysis_id" {
  description = "Id of the analysis."
  value       = aws_quicksight_analysis.this.analysis_id
}

output "analysis_arn" {
  description = "ARN of the analysis."
  value       = aws_quicksight_analysis.this.arn
}

output "reader_group_arn" {
  description = "ARN of the reader group, the only principal with access to these resources."
  value       = aws_quicksight_group.readers.arn
}

output "refresh_policy_arn" {
  description = "ARN of the IAM policy the Airflow DAG's role needs to reload the SPICE data sets (the root attaches it to airflow_role_name when given)."
  value       = aws_iam_policy.refresh.arn
}
