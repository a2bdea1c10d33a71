output "role_arn" {
  description = "ARN to put in the deploy workflow's role-to-assume (repository variable AWS_DEPLOY_ROLE_ARN)."
  value       = aws_iam_role.deploy.arn
}

output "subject" {
  description = "The only OIDC subject allowed to assume the role."
  value       = local.subject
}

output "platform_boundary_arn" {
  description = "Permissions boundary every platform role carries (the deploy role may create and write only such roles)."
  value       = aws_iam_policy.platform_boundary.arn
}
