# Renders the IAM policies of infra/ for tests/infra/iam-policies.test.ts, which runs
# `terraform test -json -verbose -var-file=production.tfvars` on a copy of infra/ with this file in its tests/
# folder and lints every policy of the printed plan with parliament. It asserts nothing itself. The variables are
# the deploy workflow's (example values), with the optional QuickSight stage and Snowflake's phase 2 on, so that
# every policy of the configuration is planned.
#
# A plan leaves every policy that names a resource still to be created unknown. Here each ARN such a policy reads
# is given a value of that resource type's ARN format (override_resource, during plan), so the documents are
# complete: the buckets one by one (their names are read too), other resources with one value for all their
# instances (the lint checks formats, not names). A resource added to a policy needs its override here. The Glue
# jobs and state machines, one per dataset, and the QuickSight data sets, one per mart, are overridden one by one,
# with their own names, by blocks the test appends from generated/terraform/contracts.json and
# generated/quicksight/quicksight.json, so that a new dataset or mart needs no edit here.
# No AWS call is made: placeholder credentials, and the caller's identity is given too.

variables {
  aws_region             = "eu-west-1"
  scripts_bucket_name    = "example-reviews-scripts"
  github_org             = "example-org"
  github_repo            = "review-contracts"
  terraform_state_bucket = "example-terraform-state"
  terraform_lock_table   = "example-terraform-lock"
  enable_quicksight      = true
  snowflake_host         = "example-account.snowflakecomputing.com"
  snowflake_secret_arn   = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:quicksight-snowflake-AbCdEf"
  # Phase 2 of the Snowflake setup (infra/README.md), which creates the role Snowflake assumes.
  snowflake_iam_user_arn = "arn:aws:iam::123456789012:user/example-snowflake-user"
  snowflake_external_id  = "EXAMPLE_SFCRole=2_abcdefghijklmnopqrstuvwxyz0="
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

override_data {
  target          = module.pipeline.data.aws_caller_identity.current
  override_during = plan
  values          = { account_id = "123456789012" }
}

override_data {
  target          = module.storage.data.aws_caller_identity.current
  override_during = plan
  values          = { account_id = "123456789012" }
}

override_resource {
  target          = module.storage.aws_s3_bucket.this["amazon-reviews-raw"]
  override_during = plan
  values          = { id = "amazon-reviews-raw", arn = "arn:aws:s3:::amazon-reviews-raw" }
}

override_resource {
  target          = module.storage.aws_s3_bucket.this["amazon-reviews-cleaned"]
  override_during = plan
  values          = { id = "amazon-reviews-cleaned", arn = "arn:aws:s3:::amazon-reviews-cleaned" }
}

override_resource {
  target          = module.storage.aws_s3_bucket.this["amazon-reviews-quarantine"]
  override_during = plan
  values          = { id = "amazon-reviews-quarantine", arn = "arn:aws:s3:::amazon-reviews-quarantine" }
}

override_resource {
  target          = module.storage.aws_s3_bucket.this["amazon-reviews-processed"]
  override_during = plan
  values          = { id = "amazon-reviews-processed", arn = "arn:aws:s3:::amazon-reviews-processed" }
}

override_resource {
  target          = module.storage.aws_s3_bucket.this["example-reviews-scripts"]
  override_during = plan
  values          = { id = "example-reviews-scripts", arn = "arn:aws:s3:::example-reviews-scripts" }
}

override_resource {
  target          = module.storage.aws_s3_bucket.this["example-reviews-scripts-access-logs"]
  override_during = plan
  values          = { id = "example-reviews-scripts-access-logs", arn = "arn:aws:s3:::example-reviews-scripts-access-logs" }
}

override_resource {
  target          = module.storage.aws_kms_key.data
  override_during = plan
  values          = { arn = "arn:aws:kms:eu-west-1:123456789012:key/0b5e4a56-6f7e-4c1f-9a47-2f3d8c1e0a11" }
}

override_resource {
  target          = module.pipeline.aws_sns_topic.failures
  override_during = plan
  values          = { arn = "arn:aws:sns:eu-west-1:123456789012:amazon-reviews-pipeline-failures" }
}

override_resource {
  target          = module.pipeline.aws_sqs_queue.undelivered_events
  override_during = plan
  values          = { arn = "arn:aws:sqs:eu-west-1:123456789012:example-undelivered-events" }
}

override_resource {
  target          = module.pipeline.aws_cloudwatch_event_rule.raw_object_created
  override_during = plan
  values          = { arn = "arn:aws:events:eu-west-1:123456789012:rule/example-raw-object-created" }
}

override_resource {
  target          = module.pipeline.aws_cloudwatch_log_group.state_machines
  override_during = plan
  values          = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/vendedlogs/states/example:*" }
}

override_resource {
  target          = module.pipeline.aws_iam_role.eventbridge
  override_during = plan
  values          = { arn = "arn:aws:iam::123456789012:role/example-eventbridge" }
}

override_resource {
  target          = module.pipeline.aws_iam_role.glue
  override_during = plan
  values          = { arn = "arn:aws:iam::123456789012:role/example-glue" }
}

override_resource {
  target          = module.pipeline.aws_iam_role.step_functions
  override_during = plan
  values          = { arn = "arn:aws:iam::123456789012:role/example-step-functions" }
}

override_resource {
  target          = module.github_deploy.aws_iam_policy.platform_boundary
  override_during = plan
  values          = { arn = "arn:aws:iam::123456789012:policy/example-platform-boundary" }
}

override_resource {
  target          = module.github_deploy.aws_iam_openid_connect_provider.github
  override_during = plan
  values          = { arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" }
}

override_resource {
  target          = module.quicksight[0].aws_quicksight_data_source.this
  override_during = plan
  values          = { arn = "arn:aws:quicksight:eu-west-1:123456789012:datasource/example" }
}

override_resource {
  target          = module.quicksight[0].aws_quicksight_group.readers
  override_during = plan
  values          = { arn = "arn:aws:quicksight:eu-west-1:123456789012:group/default/example" }
}

run "policies" {
  command = plan
}
