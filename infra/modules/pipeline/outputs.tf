output "state_machine_arns" {
  description = "Dataset => state machine ARN."
  value       = { for name, machine in aws_sfn_state_machine.this : name => machine.arn }
}

output "glue_job_names" {
  description = "Dataset-step key => Glue job name."
  value       = { for key, job in aws_glue_job.this : key => job.name }
}

output "failure_topic_arn" {
  description = "SNS topic of pipeline failures."
  value       = aws_sns_topic.failures.arn
}

output "airflow_failure_alert_policy_arn" {
  description = "ARN of the IAM policy the Airflow DAG's role needs to publish its failure alerts to the failure topic."
  value       = aws_iam_policy.airflow_failure_alert.arn
}

output "failure_topic_name" {
  description = "Name of the failure topic (from the variables only, so the storage module's key policy can name it without a dependency cycle)."
  value       = local.failure_topic_name
}

output "role_arns" {
  description = "Glue, Step Functions and EventBridge role ARNs."
  value = {
    glue           = aws_iam_role.glue.arn
    step_functions = aws_iam_role.step_functions.arn
    eventbridge    = aws_iam_role.eventbridge.arn
  }
}

output "log_group_names" {
  description = "Every CloudWatch log group of the pipeline (Glue jobs, state machines), encrypted with the data key."
  value       = sort(concat(tolist(local.glue_log_groups), [local.state_machine_log_group]))
}
