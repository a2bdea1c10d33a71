# The production deployment's settings: every root variable that is neither set by the deploy workflow (from the
# repository's variables and its own context, .github/workflows/deploy.yml) nor deliberately left at its default.
# The deploy passes this file to every plan (`-var-file=production.tfvars`), and so must every administrator apply
# (infra/README.md, "Deploying"): a setting that lived only in an administrator's command line was reverted to its
# default by the next push to main. Non-secret values only; a change here is reviewed and deployed like code.
#
# Left at their defaults on purpose (never set here or in the workflow):
#   project                   renaming it re-creates every role, key alias, log group and topic
#   github_environment        must be the environment deploy.yml's job names (production)
#   terraform_state_key_alias the alias infra/bootstrap/ creates (alias/terraform-state)

# Addresses subscribed to pipeline failures (the SNS topic; each confirms its subscription by e-mail).
failure_notification_emails = []

# The account's existing token.actions.githubusercontent.com provider, if it has one (an account holds one provider
# per URL): its ARN here, or null to let this configuration create it.
github_oidc_provider_arn = null

# Glue
glue_version             = "5.0"
glue_worker_type         = "G.1X"
glue_number_of_workers   = 2
glue_timeout_minutes     = 60
glue_max_concurrent_runs = 5
# The clean job fails (and the failure topic is told) when more than this share of a raw object's records is
# quarantined; the real data quarantines about 5%.
max_quarantine_ratio = 0.5

# Retention and lifecycle
log_retention_days         = 365
access_log_expiration_days = 365
raw_archive_after_days     = 90
cleaned_expiration_days    = 30
quarantine_expiration_days = 180

# Buckets (null: "<scripts bucket>-access-logs")
access_logs_bucket_name        = null
raw_require_conditional_writes = true

# QuickSight (with ENABLE_QUICKSIGHT; null: the generator's reader group, Snowflake's public endpoint)
quicksight_reader_group_name  = null
quicksight_vpc_connection_arn = null

# The Airflow deployment's IAM role, given the DAG's policies (failure alert; QuickSight refresh with ENABLE_QUICKSIGHT),
# or "" to attach airflow_failure_alert_policy_arn and quicksight_refresh_policy_arn by hand
airflow_role_name = ""
