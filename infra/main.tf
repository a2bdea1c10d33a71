# Root module. Every value that comes from a contract is read from the generator's output
# (generated/terraform/contracts.json and generated/step-functions/*.asl.json): change the contract,
# run `npm run generate`, then plan. Nothing here repeats a bucket, prefix, job name or argument.

locals {
  repository_root = "${path.module}/.."
  # The generator's QuickSight index (what the deploy role may manage when the QuickSight stage is on).
  quicksight_index = jsondecode(file("${local.repository_root}/generated/quicksight/quicksight.json"))
  contracts        = jsondecode(file("${local.repository_root}/generated/terraform/contracts.json"))
  datasets         = local.contracts.datasets
  buckets          = local.contracts.buckets

  role_names = {
    glue           = "${var.project}-glue"
    step_functions = "${var.project}-step-functions"
    eventbridge    = "${var.project}-eventbridge"
    snowflake      = "${var.project}-snowflake-read"
    deploy         = "${var.project}-github-deploy"
  }

  # The IAM policies the Airflow DAG's role needs: publish its failure alerts (modules/pipeline), and reload the
  # QuickSight data sets (modules/quicksight, with enable_quicksight). Written for a role outside this platform.
  airflow_failure_alert_policy_name = "${var.project}-airflow-failure-alert"
  quicksight_refresh_policy_name    = "${var.project}-quicksight-refresh"
  airflow_policy_names = concat(
    [local.airflow_failure_alert_policy_name],
    var.enable_quicksight ? [local.quicksight_refresh_policy_name] : [],
  )
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

module "storage" {
  source = "./modules/storage"

  project                          = var.project
  buckets                          = local.buckets
  scripts_bucket_name              = var.scripts_bucket_name
  access_logs_bucket_name          = var.access_logs_bucket_name
  access_log_expiration_days       = var.access_log_expiration_days
  raw_archive_after_days           = var.raw_archive_after_days
  cleaned_expiration_days          = var.cleaned_expiration_days
  quarantine_expiration_days       = var.quarantine_expiration_days
  raw_require_conditional_writes   = var.raw_require_conditional_writes
  snowflake_notification_queue_arn = var.snowflake_notification_queue_arn
  # Names only (computed from the pipeline's variables, not from its resources): no dependency cycle.
  log_group_names    = module.pipeline.log_group_names
  failure_topic_name = module.pipeline.failure_topic_name
}

module "pipeline" {
  source = "./modules/pipeline"

  project                     = var.project
  repository_root             = local.repository_root
  datasets                    = local.datasets
  bucket_arns                 = module.storage.bucket_arns
  kms_key_arn                 = module.storage.kms_key_arn
  scripts_bucket_name         = module.storage.scripts_bucket_name
  scripts_bucket_arn          = module.storage.scripts_bucket_arn
  glue_role_name              = local.role_names.glue
  step_functions_role_name    = local.role_names.step_functions
  eventbridge_role_name       = local.role_names.eventbridge
  glue_version                = var.glue_version
  glue_worker_type            = var.glue_worker_type
  glue_number_of_workers      = var.glue_number_of_workers
  glue_timeout_minutes        = var.glue_timeout_minutes
  glue_max_concurrent_runs    = var.glue_max_concurrent_runs
  max_quarantine_ratio        = var.max_quarantine_ratio
  log_retention_days          = var.log_retention_days
  failure_notification_emails = var.failure_notification_emails
  permissions_boundary_arn    = module.github_deploy.platform_boundary_arn

  airflow_failure_alert_policy_name = local.airflow_failure_alert_policy_name
}

module "snowflake_access" {
  source = "./modules/snowflake-access"

  role_name         = local.role_names.snowflake
  processed_buckets = { for name, bucket in local.buckets : name => bucket.prefixes if bucket.zone == "processed" }
  bucket_arns       = module.storage.bucket_arns
  kms_key_arn       = module.storage.kms_key_arn
  iam_user_arn      = var.snowflake_iam_user_arn
  external_id       = var.snowflake_external_id

  # The roles the deploy role manages are bounded (modules/github-deploy, platform_boundary).
  permissions_boundary_arn = module.github_deploy.platform_boundary_arn
}

module "github_deploy" {
  source = "./modules/github-deploy"

  role_name            = local.role_names.deploy
  github_org           = var.github_org
  github_repo          = var.github_repo
  github_environment   = var.github_environment
  oidc_provider_arn    = var.github_oidc_provider_arn
  account_id           = data.aws_caller_identity.current.account_id
  partition            = data.aws_partition.current.partition
  region               = var.aws_region
  project              = var.project
  managed_bucket_names = concat(keys(local.buckets), [var.scripts_bucket_name, module.storage.access_logs_bucket_name])
  scripts_bucket_name  = var.scripts_bucket_name
  glue_job_names       = flatten([for dataset in values(local.datasets) : [dataset.glue_jobs.clean.name, dataset.glue_jobs.flatten.name]])
  state_machine_names  = [for dataset in values(local.datasets) : dataset.state_machine.name]
  event_rule_names     = [for dataset in values(local.datasets) : dataset.event_rule.name]
  managed_role_names   = values(local.role_names)
  log_group_names      = module.pipeline.log_group_names
  kms_key_arn          = module.storage.kms_key_arn
  state_bucket         = var.terraform_state_bucket
  lock_table           = var.terraform_lock_table
  state_key_alias      = var.terraform_state_key_alias
  # The Airflow DAG's policies and the role they are attached to: read only (an administrator writes them).
  airflow_policy_names = local.airflow_policy_names
  airflow_role_name    = var.airflow_role_name
  # From the generated index (not the module's outputs): the role must allow the actions before they create anything.
  quicksight = var.enable_quicksight ? {
    data_source_id = local.quicksight_index.dataSource.id
    data_set_ids   = [for data_set in local.quicksight_index.dataSets : data_set.id]
    analysis_id    = local.quicksight_index.analysis.id
    reader_group   = coalesce(var.quicksight_reader_group_name, local.quicksight_index.readerGroup)
    secret_arn     = var.snowflake_secret_arn
  } : null
}

# QuickSight on the Snowflake marts (generated/quicksight/). Off by default: it needs a QuickSight (Enterprise)
# subscription in the account, the marts and the reporter's grants in Snowflake, and the reporter's secret; see
# infra/README.md, "QuickSight", for the order.
module "quicksight" {
  source = "./modules/quicksight"
  count  = var.enable_quicksight ? 1 : 0

  repository_root      = local.repository_root
  snowflake_host       = var.snowflake_host
  snowflake_secret_arn = var.snowflake_secret_arn
  reader_group_name    = var.quicksight_reader_group_name
  vpc_connection_arn   = var.quicksight_vpc_connection_arn
  refresh_policy_name  = local.quicksight_refresh_policy_name
}

# The Airflow deployment's role (not this platform's) gets the DAG's policies when its name is given; otherwise whoever
# manages that role attaches the outputs airflow_failure_alert_policy_arn and quicksight_refresh_policy_arn. One place
# attaches both.
resource "aws_iam_role_policy_attachment" "airflow" {
  for_each = var.airflow_role_name == "" ? {} : merge(
    { failure_alert = module.pipeline.airflow_failure_alert_policy_arn },
    var.enable_quicksight ? { quicksight_refresh = module.quicksight[0].refresh_policy_arn } : {},
  )

  role       = var.airflow_role_name
  policy_arn = each.value
}

# The refresh policy's attachment was the QuickSight module's (refresh_role_name, now airflow_role_name).
moved {
  from = module.quicksight[0].aws_iam_role_policy_attachment.refresh[0]
  to   = aws_iam_role_policy_attachment.airflow["quicksight_refresh"]
}
