output "role_arn" {
  description = "ARN to put in the deploy workflow's role-to-assume (repository variable AWS_DEPLOY_ROLE_ARN)."
  value       = aws_iam_role.deploy.arn
}

output "subject" {
  description = "The only OIDC subject allowed to assume the role."
  value       = local.subject
}
