# The pipeline of every dataset: EventBridge rule (raw "Object Created") -> Step Functions state machine
# (generated ASL) -> Glue clean and flatten jobs (scripts from glue-pyspark-out/). One IAM role per actor:
# Glue, Step Functions, EventBridge; each limited to the jobs, state machines, buckets and prefixes it needs.

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id

  jobs = merge([
    for dataset_name, dataset in var.datasets : {
      for step in ["clean", "flatten"] : "${dataset_name}-${step}" => merge(dataset.glue_jobs[step], {
        dataset  = dataset_name
        contract = dataset.contract
      })
    }
  ]...)

  zone_objects = {
    for zone in ["raw", "cleaned", "quarantine", "processed"] : zone => distinct([
      for dataset in values(var.datasets) : "${var.bucket_arns[dataset.locations[zone].bucket]}/${dataset.locations[zone].prefix}*"
    ])
  }
  zone_buckets = {
    for zone in ["raw", "cleaned", "quarantine", "processed"] : zone => distinct([
      for dataset in values(var.datasets) : var.bucket_arns[dataset.locations[zone].bucket]
    ])
  }
  zone_prefixes = {
    for zone in ["raw", "cleaned", "quarantine", "processed"] : zone => distinct([
      for dataset in values(var.datasets) : "${dataset.locations[zone].prefix}*"
    ])
  }
  # Step Functions' execution metrics each state machine alarms on, by the alarm's name suffix. The same suffixes
  # name the alarms the deploy role may manage (modules/github-deploy, execution_alarm_suffixes).
  execution_alarm_metrics = {
    "executions-aborted"   = "ExecutionsAborted"
    "executions-failed"    = "ExecutionsFailed"
    "executions-timed-out" = "ExecutionsTimedOut"
  }
  execution_alarms = merge([
    for dataset_name, dataset in var.datasets : {
      for suffix, metric in local.execution_alarm_metrics : "${dataset_name}-${suffix}" => {
        dataset       = dataset_name
        state_machine = dataset.state_machine.name
        suffix        = suffix
        metric        = metric
      }
    }
  ]...)
  glue_log_group                   = "/aws-glue/jobs/${var.project}"
  glue_security_configuration_name = "${var.project}-glue"

  # Glue 4.0 streams driver/executor logs only with continuous logging switched on; Glue 5.0 always logs in real
  # time, to `<prefix>/error` and `<prefix>/output`, and ignores the continuous-logging arguments.
  # https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging.html
  glue_logging_arguments = var.glue_version == "4.0" ? tomap({
    "--enable-continuous-cloudwatch-log" = "true"
    "--continuous-log-logGroup"          = "${local.glue_log_group}/continuous"
    }) : tomap({
    "--custom-logGroup-prefix" = local.glue_log_group
  })
  # With the security configuration's CloudWatch encryption, Glue appends the configuration to the group names:
  # 4.0 writes continuous logs to `<group>-<configuration>`
  # (https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging-enable.html), 5.0 to
  # `<prefix>/<configuration>-role/<role>/{error,output}`. The groups of both versions exist, so that switching
  # glue_version never deletes a log group; all of them lie under local.glue_log_group.
  glue_log_groups = toset([
    "${local.glue_log_group}/continuous-${local.glue_security_configuration_name}",
    "${local.glue_log_group}/${local.glue_security_configuration_name}-role/${var.glue_role_name}/error",
    "${local.glue_log_group}/${local.glue_security_configuration_name}-role/${var.glue_role_name}/output",
  ])
  state_machine_log_group = "/aws/vendedlogs/states/${var.project}"
  failure_topic_name      = "${var.project}-pipeline-failures"
}

# ---------------------------------------------------------------- failure notifications

# The key policy lets CloudWatch alarms (the undelivered-event alarms below) use the key for this topic only
# (modules/storage, CloudWatchAlarmsToFailureTopic).
resource "aws_sns_topic" "failures" {
  name              = local.failure_topic_name
  kms_master_key_id = var.kms_key_arn
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.failure_notification_emails)

  topic_arn = aws_sns_topic.failures.arn
  protocol  = "email"
  endpoint  = each.value
}

# The Airflow DAG's failure alert (generated/airflow/dags/amazon_reviews_dbt.py, task watcher) publishes to this topic
# as the Airflow deployment's role, which is not this platform's (the root attaches the policy to it when named). The
# topic is encrypted with the data key: a publisher needs kms:GenerateDataKey and kms:Decrypt on it, here only when
# SNS asks for this topic (SNS's encryption context aws:sns:topicArn), so the key opens no bucket to that role.
# https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
data "aws_iam_policy_document" "airflow_failure_alert" {
  statement {
    sid       = "PublishFailureAlerts"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.failures.arn]
  }

  statement {
    sid       = "EncryptFailureAlerts"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:aws:sns:topicArn"
      values   = [aws_sns_topic.failures.arn]
    }
  }
}

resource "aws_iam_policy" "airflow_failure_alert" {
  name        = var.airflow_failure_alert_policy_name
  description = "Publish the Airflow DAG's failure alerts to the pipeline's failure topic (sns:Publish, and its KMS key for that topic only): for the Airflow deployment's role."
  policy      = data.aws_iam_policy_document.airflow_failure_alert.json
}

# ---------------------------------------------------------------- Glue

resource "aws_cloudwatch_log_group" "glue" {
  for_each = local.glue_log_groups

  name              = each.key
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

# Everything a job writes at rest is encrypted with the data key: S3 objects (SSE-KMS), its CloudWatch logs and job
# bookmarks (client-side). https://docs.aws.amazon.com/glue/latest/dg/encryption-security-configuration.html
resource "aws_glue_security_configuration" "this" {
  name = local.glue_security_configuration_name

  encryption_configuration {
    cloudwatch_encryption {
      cloudwatch_encryption_mode = "SSE-KMS"
      kms_key_arn                = var.kms_key_arn
    }

    job_bookmarks_encryption {
      job_bookmarks_encryption_mode = "CSE-KMS"
      kms_key_arn                   = var.kms_key_arn
    }

    s3_encryption {
      s3_encryption_mode = "SSE-KMS"
      kms_key_arn        = var.kms_key_arn
    }
  }
}

data "aws_iam_policy_document" "glue_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["glue.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "glue" {
  name                 = var.glue_role_name
  assume_role_policy   = data.aws_iam_policy_document.glue_trust.json
  permissions_boundary = var.permissions_boundary_arn
}

data "aws_iam_policy_document" "glue" {
  statement {
    sid       = "ReadRawObjects"
    actions   = ["s3:GetObject"]
    resources = local.zone_objects.raw
  }

  statement {
    sid       = "ReadWriteCleanedQuarantineProcessed"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = concat(local.zone_objects.cleaned, local.zone_objects.quarantine, local.zone_objects.processed)
  }

  statement {
    sid       = "ListDatasetPrefixes"
    actions   = ["s3:ListBucket"]
    resources = distinct(concat(local.zone_buckets.raw, local.zone_buckets.cleaned, local.zone_buckets.quarantine, local.zone_buckets.processed))
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = distinct(concat(local.zone_prefixes.raw, local.zone_prefixes.cleaned, local.zone_prefixes.quarantine, local.zone_prefixes.processed))
    }
  }

  statement {
    sid       = "ReadScripts"
    actions   = ["s3:GetObject"]
    resources = ["${var.scripts_bucket_arn}/glue/*"]
  }

  statement {
    sid       = "GlueTemporaryFiles"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${var.scripts_bucket_arn}/tmp/*"]
  }

  statement {
    sid       = "ListScriptsAndTemporaryFiles"
    actions   = ["s3:ListBucket"]
    resources = [var.scripts_bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["glue/*", "tmp/*"]
    }
  }

  # Encrypt is for the security configuration's client-side encrypted job bookmarks.
  statement {
    sid       = "UseDataKey"
    actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }

  # AssociateKmsKey: a job run with CloudWatch encryption associates the key with its log groups (without it Glue
  # turns continuous logging off). https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging-enable.html
  statement {
    sid     = "WriteGlueLogs"
    actions = ["logs:AssociateKmsKey", "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [
      "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${local.account_id}:log-group:/aws-glue/*",
      "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${local.account_id}:log-group:/aws-glue/*:log-stream:*",
    ]
  }

  # cloudwatch:PutMetricData has no resource type: AWS requires "*"; the namespace condition narrows it.
  # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
  statement {
    sid       = "PublishGlueMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["Glue"]
    }
  }
}

resource "aws_iam_role_policy" "glue" {
  name   = "pipeline-data-access"
  role   = aws_iam_role.glue.id
  policy = data.aws_iam_policy_document.glue.json
}

# With SSE-KMS the object ETag is not the file's MD5, so changes are detected with source_hash instead.
resource "aws_s3_object" "script" {
  for_each = local.jobs

  bucket                 = var.scripts_bucket_name
  key                    = each.value.script_key
  source                 = "${var.repository_root}/${each.value.script_source}"
  source_hash            = filemd5("${var.repository_root}/${each.value.script_source}")
  content_type           = "text/x-python"
  server_side_encryption = "aws:kms"
  kms_key_id             = var.kms_key_arn
}

resource "aws_glue_job" "this" {
  for_each = local.jobs

  name                   = each.value.name
  description            = "${each.value.dataset} (${each.value.contract.file} ${each.value.contract.version}); run arguments: ${join(" ", each.value.arguments)}"
  role_arn               = aws_iam_role.glue.arn
  glue_version           = var.glue_version
  worker_type            = var.glue_worker_type
  number_of_workers      = var.glue_number_of_workers
  timeout                = var.glue_timeout_minutes
  max_retries            = 0
  security_configuration = aws_glue_security_configuration.this.name

  # A run over max_concurrent_runs waits in Glue's queue (WAITING) instead of failing; the state machine also
  # retries ConcurrentRunsExceededException for hours, for a limit the queue does not cover.
  job_run_queuing_enabled = true

  command {
    name            = "glueetl"
    python_version  = "3"
    script_location = "s3://${var.scripts_bucket_name}/${aws_s3_object.script[each.key].key}"
  }

  execution_property {
    max_concurrent_runs = var.glue_max_concurrent_runs
  }

  # Per-run arguments (input/output paths, run id) come from the state machine; these are the fixed ones. The clean
  # job fails, once its quarantine and run summary are written, when more than --max_quarantine_ratio of the
  # object's records were quarantined: the state machine's Catch then notifies the failure topic.
  default_arguments = merge(local.glue_logging_arguments, {
    "--job-language"                 = "python"
    "--enable-metrics"               = "true"
    "--enable-observability-metrics" = "true"
    "--job-bookmark-option"          = "job-bookmark-disable"
    "--TempDir"                      = "s3://${var.scripts_bucket_name}/tmp/${each.value.name}/"
  }, each.value.name == var.datasets[each.value.dataset].glue_jobs.clean.name ? { "--max_quarantine_ratio" = tostring(var.max_quarantine_ratio) } : {})

  tags = {
    dataset       = each.value.dataset
    contract_hash = each.value.contract.hash
  }

  depends_on = [aws_cloudwatch_log_group.glue]
}

# ---------------------------------------------------------------- Step Functions

resource "aws_cloudwatch_log_group" "state_machines" {
  name              = local.state_machine_log_group
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

data "aws_iam_policy_document" "step_functions_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "step_functions" {
  name                 = var.step_functions_role_name
  assume_role_policy   = data.aws_iam_policy_document.step_functions_trust.json
  permissions_boundary = var.permissions_boundary_arn
}

data "aws_iam_policy_document" "step_functions" {
  # The .sync integration starts the run, polls it and stops it when the execution is stopped.
  # https://docs.aws.amazon.com/step-functions/latest/dg/glue-iam.html
  statement {
    sid       = "RunPipelineGlueJobs"
    actions   = ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"]
    resources = [for job in aws_glue_job.this : job.arn]
  }

  statement {
    sid       = "NotifyFailures"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.failures.arn]
  }

  # The failure topic's key, only when SNS asks for that topic (its encryption context), as for the Airflow DAG's
  # alerts above: the key also protects the buckets, which this role does not read.
  statement {
    sid       = "EncryptNotifications"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:aws:sns:topicArn"
      values   = [aws_sns_topic.failures.arn]
    }
  }

  # Log delivery to CloudWatch is a vended-logs API without resource-level permissions: AWS requires "*".
  # https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html#cloudwatch-iam-policy
  statement {
    sid = "DeliverExecutionLogs"
    actions = [
      "logs:CreateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:DescribeLogGroups",
      "logs:DescribeResourcePolicies",
      "logs:GetLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:UpdateLogDelivery",
    ]
    resources = ["*"]
  }

  # X-Ray tracing of the executions; these actions have no resource types: AWS requires "*".
  # https://docs.aws.amazon.com/step-functions/latest/dg/xray-iam.html
  statement {
    sid       = "TraceExecutions"
    actions   = ["xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "step_functions" {
  name   = "run-pipeline"
  role   = aws_iam_role.step_functions.id
  policy = data.aws_iam_policy_document.step_functions.json
}

resource "aws_sfn_state_machine" "this" {
  for_each = var.datasets

  name     = each.value.state_machine.name
  role_arn = aws_iam_role.step_functions.arn
  definition = templatefile("${var.repository_root}/${each.value.state_machine.definition_file}", {
    failure_topic_arn = aws_sns_topic.failures.arn
    partition         = data.aws_partition.current.partition
  })

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.state_machines.arn}:*"
    include_execution_data = true
    level                  = "ERROR"
  }

  tracing_configuration {
    enabled = true
  }

  tags = {
    dataset       = each.key
    contract_hash = each.value.contract.hash
  }

  depends_on = [aws_iam_role_policy.step_functions]
}

# ---------------------------------------------------------------- EventBridge

data "aws_iam_policy_document" "eventbridge_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "eventbridge" {
  name                 = var.eventbridge_role_name
  assume_role_policy   = data.aws_iam_policy_document.eventbridge_trust.json
  permissions_boundary = var.permissions_boundary_arn
}

data "aws_iam_policy_document" "eventbridge" {
  statement {
    sid       = "StartPipelineExecutions"
    actions   = ["states:StartExecution"]
    resources = [for machine in aws_sfn_state_machine.this : machine.arn]
  }
}

resource "aws_iam_role_policy" "eventbridge" {
  name   = "start-pipelines"
  role   = aws_iam_role.eventbridge.id
  policy = data.aws_iam_policy_document.eventbridge.json
}

resource "aws_cloudwatch_event_rule" "raw_object_created" {
  for_each = var.datasets

  name          = each.value.event_rule.name
  description   = "New raw ${each.key} object: start the ${each.value.state_machine.name} state machine."
  event_pattern = jsonencode(each.value.event_rule.event_pattern)
}

resource "aws_cloudwatch_event_target" "state_machine" {
  for_each = var.datasets

  rule     = aws_cloudwatch_event_rule.raw_object_created[each.key].name
  arn      = aws_sfn_state_machine.this[each.key].arn
  role_arn = aws_iam_role.eventbridge.arn

  retry_policy {
    maximum_event_age_in_seconds = 86400
    maximum_retry_attempts       = 185
  }

  # An event EventBridge cannot deliver (retries exhausted, or at once for a missing permission or state machine)
  # goes to the rule's dead-letter queue instead of being dropped.
  dead_letter_config {
    arn = aws_sqs_queue.undelivered_events[each.key].arn
  }

  depends_on = [aws_sqs_queue_policy.undelivered_events]
}

# ---------------------------------------------------------------- undelivered events

# One dead-letter queue per rule: its policy names that rule, and an alarm on it names the dataset.
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html (standard queues only, same Region)
# Encrypted with SQS-owned keys (SSE-SQS): no KMS key is involved, so EventBridge can write to it with the queue
# policy alone. A queue under a KMS key would need events.amazonaws.com in that key's policy
# (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html#compatibility-with-aws-services).
resource "aws_sqs_queue" "undelivered_events" {
  for_each = var.datasets

  name                      = "${each.value.event_rule.name}-dlq"
  sqs_managed_sse_enabled   = true
  message_retention_seconds = 1209600 # 14 days, the SQS maximum

  tags = {
    dataset = each.key
  }
}

# EventBridge writes to a dead-letter queue as the service, through the queue's policy (no role is used), and only
# for the rule named in aws:SourceArn. https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html#eb-dlq-perms
data "aws_iam_policy_document" "undelivered_events" {
  for_each = var.datasets

  statement {
    sid       = "EventBridgeDeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.undelivered_events[each.key].arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.raw_object_created[each.key].arn]
    }
  }
}

resource "aws_sqs_queue_policy" "undelivered_events" {
  for_each = var.datasets

  queue_url = aws_sqs_queue.undelivered_events[each.key].id
  policy    = data.aws_iam_policy_document.undelivered_events[each.key].json
}

# Any message in a dead-letter queue is a raw object no execution was started for: notify the failure topic.
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/dead-letter-queues-alarms-cloudwatch.html
resource "aws_cloudwatch_metric_alarm" "undelivered_events" {
  for_each = var.datasets

  alarm_name          = "${each.value.event_rule.name}-dlq-not-empty"
  alarm_description   = "Raw ${each.key} objects whose event EventBridge could not deliver to ${each.value.state_machine.name}: they are in ${each.value.event_rule.name}-dlq, unprocessed (infra/README.md, \"Undelivered events\")."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.undelivered_events[each.key].name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.failures.arn]
  ok_actions          = [aws_sns_topic.failures.arn]

  tags = {
    dataset = each.key
  }
}

# ---------------------------------------------------------------- failed executions

# An execution that fails, times out or is aborted (by hand: StopExecution) notifies the failure topic through
# CloudWatch as well as through its own NotifyFailure state: an aborted execution never reaches NotifyFailure, and
# a failure whose publish itself fails (the topic's key, a throttled publish) would alert nobody. Step Functions
# publishes these metrics per state machine (dimension StateMachineArn), only when they are non-zero.
# https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html#cloudwatch-step-functions-execution-metrics
resource "aws_cloudwatch_metric_alarm" "state_machine_executions" {
  for_each = local.execution_alarms

  alarm_name          = "${each.value.state_machine}-${each.value.suffix}"
  alarm_description   = "${each.value.metric} of ${each.value.state_machine} (raw ${each.value.dataset} objects not processed): see its execution history (infra/README.md, \"Failed executions\")."
  namespace           = "AWS/States"
  metric_name         = each.value.metric
  dimensions          = { StateMachineArn = aws_sfn_state_machine.this[each.value.dataset].arn }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.failures.arn]
  ok_actions          = [aws_sns_topic.failures.arn]

  tags = {
    dataset = each.value.dataset
  }
}
