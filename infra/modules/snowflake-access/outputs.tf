output "role_created" {
  description = "True once the role exists (phase 2)."
  value       = local.enabled
}

output "role_arn" {
  description = "ARN of the Snowflake role, null in phase 1."
  value       = local.enabled ? aws_iam_role.snowflake[0].arn : null
}
