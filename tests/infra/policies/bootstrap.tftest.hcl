# Renders the IAM policies of infra/bootstrap/ for tests/infra/iam-policies.test.ts, as root.tftest.hcl does for
# infra/ (see there): the ARNs of the resources still to be created, and the caller's identity, are given values
# of their formats, so every policy of the plan is complete. It asserts nothing itself.

variables {
  aws_region   = "eu-west-1"
  state_bucket = "example-terraform-state"
}

provider "aws" {
  region                      = "eu-west-1"
  access_key                  = "placeholder"
  secret_key                  = "placeholder"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

override_data {
  target          = data.aws_caller_identity.current
  override_during = plan
  values          = { account_id = "123456789012" }
}

override_resource {
  target          = aws_s3_bucket.state
  override_during = plan
  values          = { id = "example-terraform-state", arn = "arn:aws:s3:::example-terraform-state" }
}

override_resource {
  target          = aws_s3_bucket.access_logs
  override_during = plan
  values          = { id = "example-terraform-state-access-logs", arn = "arn:aws:s3:::example-terraform-state-access-logs" }
}

override_resource {
  target          = aws_kms_key.state
  override_during = plan
  values          = { arn = "arn:aws:kms:eu-west-1:123456789012:key/3c1f2a9e-8d4b-4e6a-b7c5-1f0e9d8c7b6a" }
}

run "policies" {
  command = plan
}
