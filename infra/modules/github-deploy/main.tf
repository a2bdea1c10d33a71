# The role GitHub Actions assumes through OIDC to deploy: no stored keys. Only jobs of this repository that run in
# its deployment environment (`production`, which deploy.yml names) can assume it, and only for the STS audience. A
# job that names an environment gets the token subject `repo:<org>/<repo>:environment:<name>`, not the branch form
# (https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect#example-subject-claims);
# the environment's deployment-branch rule (main only) is what keeps other branches out, so it must be set
# (infra/README.md, "Deploying").
#
# Its permissions list the actions Terraform needs on the resources of this platform, by ARN. The very first
# apply (which creates this role) is run once by an administrator; later applies run from the deploy workflow.
# A new resource type needs its actions added here first (the plan fails with AccessDenied naming the action).

locals {
  oidc_host         = "token.actions.githubusercontent.com"
  oidc_provider_arn = var.oidc_provider_arn != null ? var.oidc_provider_arn : aws_iam_openid_connect_provider.github[0].arn
  subject           = "repo:${var.github_org}/${var.github_repo}:environment:${var.github_environment}"

  arn_prefix    = "arn:${var.partition}"
  bucket_arns   = [for name in var.managed_bucket_names : "${local.arn_prefix}:s3:::${name}"]
  glue_job_arns = [for name in var.glue_job_names : "${local.arn_prefix}:glue:${var.region}:${var.account_id}:job/${name}"]
  machine_arns  = [for name in var.state_machine_names : "${local.arn_prefix}:states:${var.region}:${var.account_id}:stateMachine:${name}"]
  rule_arns     = [for name in var.event_rule_names : "${local.arn_prefix}:events:${var.region}:${var.account_id}:rule/${name}"]
  # Never the deploy role itself: a role that may rewrite its own policy or trust may grant itself anything.
  role_arns    = [for name in var.managed_role_names : "${local.arn_prefix}:iam::${var.account_id}:role/${name}" if name != var.role_name]
  own_role_arn = "${local.arn_prefix}:iam::${var.account_id}:role/${var.role_name}"
  # A log group in both forms: CloudWatch Logs authorizes most of its actions on `log-group:<name>:*` and only the tag
  # actions on the plain ARN (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/iam-access-control-overview-cwl.html).
  log_group_arns = flatten([for name in var.log_group_names : [
    "${local.arn_prefix}:logs:${var.region}:${var.account_id}:log-group:${name}",
    "${local.arn_prefix}:logs:${var.region}:${var.account_id}:log-group:${name}:*",
  ]])
  topic_arn      = "${local.arn_prefix}:sns:${var.region}:${var.account_id}:${var.project}-pipeline-failures"
  log_region_arn = "${local.arn_prefix}:logs:${var.region}:${var.account_id}"

  # Each rule's dead-letter queue and its alarm (modules/pipeline, "undelivered events"), named after the rule.
  dead_letter_queue_arns = [for name in var.event_rule_names : "${local.arn_prefix}:sqs:${var.region}:${var.account_id}:${name}-dlq"]
  dead_letter_alarm_arns = [for name in var.event_rule_names : "${local.arn_prefix}:cloudwatch:${var.region}:${var.account_id}:alarm:${name}-dlq-not-empty"]
  # Each state machine's alarms on its failed, timed-out and aborted executions (modules/pipeline, "failed
  # executions"), named "<state machine>-<suffix>".
  execution_alarm_suffixes = ["executions-aborted", "executions-failed", "executions-timed-out"]
  execution_alarm_arns = [
    for pair in setproduct(var.state_machine_names, local.execution_alarm_suffixes) :
    "${local.arn_prefix}:cloudwatch:${var.region}:${var.account_id}:alarm:${pair[0]}-${pair[1]}"
  ]
}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.oidc_provider_arn == null ? 1 : 0

  url            = "https://${local.oidc_host}"
  client_id_list = ["sts.amazonaws.com"]
}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:sub"
      values   = [local.subject]
    }
  }
}

resource "aws_iam_role" "deploy" {
  name                 = var.role_name
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = 3600
}

# ---------------------------------------------------------------- permissions boundary of the platform roles
#
# The deploy role creates the platform's roles and writes their policies. Without a cap, it could write a role a
# policy with any action, trust itself in it and assume it: account admin from any step of the deploy job. Every
# role it creates or whose policy it writes must carry this boundary (the iam:PermissionsBoundary condition of
# WriteBoundedPlatformRoles below); a role's effective permissions are the intersection of its policies and its
# boundary, so no policy the deploy role writes reaches beyond the union below: what the Glue, Step Functions,
# EventBridge and Snowflake roles' own policies use, on this platform's buckets, key, jobs, state machines, topic
# and log groups. The boundary is applied like the deploy role's policy: by an administrator (the deploy role may
# read it, not change it). https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
data "aws_iam_policy_document" "platform_boundary" {
  statement {
    sid       = "PlatformObjects"
    actions   = ["s3:DeleteObject", "s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"]
    resources = [for arn in local.bucket_arns : "${arn}/*"]
  }

  statement {
    sid       = "PlatformBuckets"
    actions   = ["s3:GetBucketLocation", "s3:ListBucket"]
    resources = local.bucket_arns
  }

  statement {
    sid       = "PlatformDataKey"
    actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }

  statement {
    sid     = "GlueLogs"
    actions = ["logs:AssociateKmsKey", "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [
      "${local.log_region_arn}:log-group:/aws-glue/*",
      "${local.log_region_arn}:log-group:/aws-glue/*:log-stream:*",
    ]
  }

  statement {
    sid       = "GlueMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["Glue"]
    }
  }

  statement {
    sid       = "RunGlueJobs"
    actions   = ["glue:BatchStopJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:StartJobRun"]
    resources = local.glue_job_arns
  }

  statement {
    sid       = "StartStateMachines"
    actions   = ["states:StartExecution"]
    resources = local.machine_arns
  }

  statement {
    sid       = "NotifyFailures"
    actions   = ["sns:Publish"]
    resources = [local.topic_arn]
  }

  # Step Functions' log delivery and X-Ray: no resource types, AWS requires "*".
  statement {
    sid = "DeliverLogsAndTraces"
    actions = [
      "logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:DescribeLogGroups", "logs:DescribeResourcePolicies",
      "logs:GetLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:UpdateLogDelivery",
      "xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_policy" "platform_boundary" {
  name        = "${var.project}-platform-boundary"
  description = "Permissions boundary of the ${var.project} platform roles the deploy role manages."
  policy      = data.aws_iam_policy_document.platform_boundary.json
}

data "aws_iam_policy_document" "deploy" {
  statement {
    sid       = "TerraformStateObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.arn_prefix}:s3:::${var.state_bucket}/*"]
  }

  statement {
    sid       = "TerraformStateBucket"
    actions   = ["s3:ListBucket"]
    resources = ["${local.arn_prefix}:s3:::${var.state_bucket}"]
  }

  statement {
    sid       = "TerraformStateLock"
    actions   = ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"]
    resources = ["${local.arn_prefix}:dynamodb:${var.region}:${var.account_id}:table/${var.lock_table}"]
  }

  # The state bucket and the lock table are encrypted with infra/bootstrap/'s key, which this configuration does not
  # manage: it is named by its alias (a condition, since KMS policies name keys by ARN) and used only through S3 and
  # DynamoDB. https://docs.aws.amazon.com/kms/latest/developerguide/alias-authorization.html
  statement {
    sid       = "UseTerraformStateKey"
    actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = ["${local.arn_prefix}:kms:${var.region}:${var.account_id}:key/*"]
    condition {
      test     = "ForAnyValue:StringEquals"
      variable = "kms:ResourceAliases"
      values   = [var.state_key_alias]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["dynamodb.${var.region}.amazonaws.com", "s3.${var.region}.amazonaws.com"]
    }
  }

  statement {
    sid = "ManageBuckets"
    actions = [
      "s3:CreateBucket",
      "s3:GetAccelerateConfiguration",
      "s3:GetBucketAcl",
      "s3:GetBucketCORS",
      "s3:GetBucketLocation",
      "s3:GetBucketLogging",
      "s3:GetBucketNotification",
      "s3:GetBucketObjectLockConfiguration",
      "s3:GetBucketOwnershipControls",
      "s3:GetBucketPolicy",
      "s3:GetBucketPublicAccessBlock",
      "s3:GetBucketRequestPayment",
      "s3:GetBucketTagging",
      "s3:GetBucketVersioning",
      "s3:GetBucketWebsite",
      "s3:GetEncryptionConfiguration",
      "s3:GetLifecycleConfiguration",
      "s3:GetReplicationConfiguration",
      "s3:ListBucket",
      "s3:PutBucketLogging",
      "s3:PutBucketNotification",
      "s3:PutBucketOwnershipControls",
      "s3:PutBucketPolicy",
      "s3:PutBucketPublicAccessBlock",
      "s3:PutBucketTagging",
      "s3:PutBucketVersioning",
      "s3:PutEncryptionConfiguration",
      "s3:PutLifecycleConfiguration",
    ]
    resources = local.bucket_arns
  }

  statement {
    sid = "UploadGlueScripts"
    # The provider sends its default tags with each PutObject (the Tagging header), which needs s3:PutObjectTagging;
    # a script no longer generated is deleted. The scripts bucket is versioned, so the provider deletes an object
    # with every version of it (ListObjectVersions under its key, then DeleteObject with each VersionId).
    actions   = ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:GetObject", "s3:GetObjectTagging", "s3:PutObject", "s3:PutObjectTagging"]
    resources = ["${local.arn_prefix}:s3:::${var.scripts_bucket_name}/glue/*"]
  }

  statement {
    sid       = "ListGlueScriptVersions"
    actions   = ["s3:ListBucketVersions"]
    resources = ["${local.arn_prefix}:s3:::${var.scripts_bucket_name}"]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["glue/*"]
    }
  }

  statement {
    sid       = "UseDataKey"
    actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags", "kms:PutKeyPolicy", "kms:TagResource", "kms:UntagResource"]
    resources = [var.kms_key_arn]
  }

  statement {
    sid = "ManageGlueJobs"
    actions = [
      "glue:CreateJob",
      "glue:DeleteJob",
      "glue:GetJob",
      "glue:GetTags",
      "glue:TagResource",
      "glue:UntagResource",
      "glue:UpdateJob",
    ]
    resources = local.glue_job_arns
  }

  statement {
    sid = "ManageStateMachines"
    actions = [
      "states:CreateStateMachine",
      "states:DeleteStateMachine",
      "states:DescribeStateMachine",
      # Read on every refresh (the latest published version), since provider 5.11.
      "states:ListStateMachineVersions",
      "states:ListTagsForResource",
      "states:TagResource",
      "states:UntagResource",
      "states:UpdateStateMachine",
    ]
    resources = local.machine_arns
  }

  # A changed definition is validated at plan time (provider 5.67 and later), authorized on `stateMachine:*` of the
  # account and region (hashicorp/terraform-provider-aws#39472). It reads nothing and changes nothing.
  statement {
    sid       = "ValidateStateMachineDefinitions"
    actions   = ["states:ValidateStateMachineDefinition"]
    resources = ["${local.arn_prefix}:states:${var.region}:${var.account_id}:stateMachine:*"]
  }

  statement {
    sid = "ManageEventRules"
    actions = [
      "events:DeleteRule",
      "events:DescribeRule",
      "events:ListTagsForResource",
      "events:ListTargetsByRule",
      "events:PutRule",
      "events:PutTargets",
      "events:RemoveTargets",
      "events:TagResource",
      "events:UntagResource",
    ]
    resources = local.rule_arns
  }

  # The rules' dead-letter queues (their attributes include the queue policy) and the alarms on them. No
  # sqs:SendMessage/ReceiveMessage: EventBridge writes to them through the queue policy, people read them.
  statement {
    sid = "ManageDeadLetterQueues"
    actions = [
      "sqs:CreateQueue",
      "sqs:DeleteQueue",
      "sqs:GetQueueAttributes",
      "sqs:ListQueueTags",
      "sqs:SetQueueAttributes",
      "sqs:TagQueue",
      "sqs:UntagQueue",
    ]
    resources = local.dead_letter_queue_arns
  }

  statement {
    sid = "ManagePipelineAlarms"
    actions = [
      "cloudwatch:DeleteAlarms",
      "cloudwatch:DescribeAlarms",
      "cloudwatch:ListTagsForResource",
      "cloudwatch:PutMetricAlarm",
      "cloudwatch:TagResource",
      "cloudwatch:UntagResource",
    ]
    resources = concat(local.dead_letter_alarm_arns, local.execution_alarm_arns)
  }

  # No iam:UpdateAssumeRolePolicy (a role's trust, once created, is an administrator's change: whoever may rewrite a
  # trust may make a role trust itself), no iam:Put/DeleteRolePermissionsBoundary, no managed policy attachments.
  statement {
    sid = "ManagePlatformRoles"
    actions = [
      "iam:DeleteRole",
      "iam:GetRole",
      "iam:GetRolePolicy",
      "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole",
      "iam:ListRolePolicies",
      "iam:TagRole",
      "iam:UntagRole",
    ]
    resources = local.role_arns
  }

  # Creating a platform role and writing its policies only for roles bounded by platform_boundary.
  # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_PermissionsBoundary
  statement {
    sid       = "WriteBoundedPlatformRoles"
    actions   = ["iam:CreateRole", "iam:DeleteRolePolicy", "iam:PutRolePolicy"]
    resources = local.role_arns
    condition {
      test     = "StringEquals"
      variable = "iam:PermissionsBoundary"
      values   = [aws_iam_policy.platform_boundary.arn]
    }
  }

  # Every plan reads the boundary; changing it is an administrator's apply, like this policy.
  statement {
    sid       = "ReadPlatformBoundary"
    actions   = ["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions"]
    resources = [aws_iam_policy.platform_boundary.arn]
  }

  # Terraform reads the deploy role and its policy on every plan; changing them (a new dataset adds ARNs to the
  # policy) is an administrator's apply (infra/README.md, "Deploying").
  statement {
    sid       = "ReadOwnRole"
    actions   = ["iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole", "iam:ListRolePolicies"]
    resources = [local.own_role_arn]
  }

  statement {
    sid       = "PassPlatformRoles"
    actions   = ["iam:PassRole"]
    resources = local.role_arns
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["events.amazonaws.com", "glue.amazonaws.com", "states.amazonaws.com"]
    }
  }

  statement {
    sid       = "ReadOidcProvider"
    actions   = ["iam:GetOpenIDConnectProvider"]
    resources = [local.oidc_provider_arn]
  }

  statement {
    sid       = "ManageFailureTopic"
    actions   = ["sns:CreateTopic", "sns:GetTopicAttributes", "sns:ListTagsForResource", "sns:SetTopicAttributes", "sns:Subscribe", "sns:TagResource", "sns:UntagResource"]
    resources = [local.topic_arn]
  }

  # The failure topic's e-mail subscriptions: the provider reads each (GetSubscriptionAttributes) on every plan and
  # removes one (Unsubscribe) when its address leaves failure_notification_emails. SNS has no subscription resource
  # type, and these two actions take none: AWS authorizes them on "*" only, so a statement naming the topic (or
  # "<topic>:*") grants neither and every plan after the first subscription fails.
  # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsns.html
  statement {
    sid       = "ManageFailureTopicSubscriptions"
    actions   = ["sns:GetSubscriptionAttributes", "sns:Unsubscribe"]
    resources = ["*"]
  }

  statement {
    sid       = "ManageLogGroups"
    actions   = ["logs:AssociateKmsKey", "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:ListTagsForResource", "logs:PutRetentionPolicy", "logs:TagResource", "logs:UntagResource"]
    resources = local.log_group_arns
  }

  # DescribeLogGroups, kms:ListAliases and Glue's security configuration actions have no resource-level
  # permissions: AWS requires "*".
  # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html
  # https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsglue.html
  statement {
    sid       = "DescribeWithoutResourceTypes"
    actions   = ["kms:ListAliases", "logs:DescribeLogGroups"]
    resources = ["*"]
  }

  statement {
    sid       = "ManageGlueSecurityConfiguration"
    actions   = ["glue:CreateSecurityConfiguration", "glue:GetSecurityConfiguration"]
    resources = ["*"]
  }

  # The QuickSight stage, when enabled: its data source, data sets, analysis and reader group, by ARN. (No refresh
  # schedule: the Airflow DAG reloads the data sets, with the refresh policy of the Airflow statements below.)
  # The provider reads an analysis's definition with the DescribeAnalysisDefinition API, which IAM authorizes as
  # quicksight:DescribeAnalysis: there is no IAM action of the API's name.
  # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonquicksight.html
  dynamic "statement" {
    for_each = var.quicksight == null ? [] : [var.quicksight]
    content {
      sid = "ManageQuickSight"
      actions = [
        "quicksight:CreateAnalysis", "quicksight:DeleteAnalysis", "quicksight:DescribeAnalysis",
        "quicksight:DescribeAnalysisPermissions", "quicksight:UpdateAnalysis", "quicksight:UpdateAnalysisPermissions",
        "quicksight:CreateDataSet", "quicksight:DeleteDataSet", "quicksight:DescribeDataSet", "quicksight:DescribeDataSetPermissions",
        "quicksight:DescribeDataSetRefreshProperties",
        "quicksight:PassDataSet", "quicksight:UpdateDataSet", "quicksight:UpdateDataSetPermissions",
        "quicksight:DeleteDataSource", "quicksight:DescribeDataSource",
        "quicksight:DescribeDataSourcePermissions", "quicksight:PassDataSource", "quicksight:UpdateDataSource",
        "quicksight:UpdateDataSourcePermissions",
        "quicksight:CreateGroup", "quicksight:DeleteGroup", "quicksight:DescribeGroup", "quicksight:UpdateGroup",
        "quicksight:ListTagsForResource", "quicksight:TagResource", "quicksight:UntagResource",
      ]
      resources = concat(
        ["arn:${var.partition}:quicksight:${var.region}:${var.account_id}:datasource/${statement.value.data_source_id}"],
        [for id in statement.value.data_set_ids : "arn:${var.partition}:quicksight:${var.region}:${var.account_id}:dataset/${id}"],
        ["arn:${var.partition}:quicksight:${var.region}:${var.account_id}:analysis/${statement.value.analysis_id}"],
        ["arn:${var.partition}:quicksight:${var.region}:${var.account_id}:group/default/${statement.value.reader_group}"],
      )
    }
  }

  # quicksight:CreateDataSource takes no resource type: AWS authorizes it on "*" only, so a statement naming the data
  # source's ARN grants nothing and the first apply with the QuickSight stage fails. The data source's ARN still bounds
  # every later call on it (the statement above).
  # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonquicksight.html
  dynamic "statement" {
    for_each = var.quicksight == null ? [] : [var.quicksight]
    content {
      sid       = "CreateQuickSightDataSource"
      actions   = ["quicksight:CreateDataSource"]
      resources = ["*"]
    }
  }

  # Creating or updating a data source whose credentials are a secret: QuickSight authorizes
  # secretsmanager:GetSecretValue on the secret by the API caller's IAM policy, not by its own service role's
  # (https://docs.aws.amazon.com/quicksight/latest/user/secrets-manager-integration-api.html). That one secret only.
  dynamic "statement" {
    for_each = var.quicksight == null ? [] : [var.quicksight]
    content {
      sid       = "ReadQuickSightDataSourceSecret"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [statement.value.secret_arn]
    }
  }

  # The IAM policies the Airflow DAG's role needs (the failure alert, modules/pipeline; the QuickSight refresh,
  # modules/quicksight), and their attachments to the Airflow deployment's role when one is named: read only. Writing
  # a policy that a role outside this platform carries, unbounded, or attaching it, is an administrator's apply, as for
  # this role's own policy (infra/README.md, "Airflow's policies").
  statement {
    sid       = "ReadAirflowPolicies"
    actions   = ["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions"]
    resources = [for name in var.airflow_policy_names : "${local.arn_prefix}:iam::${var.account_id}:policy/${name}"]
  }

  dynamic "statement" {
    for_each = var.airflow_role_name == "" ? [] : [var.airflow_role_name]
    content {
      sid       = "ReadAirflowRoleAttachments"
      actions   = ["iam:ListAttachedRolePolicies"]
      resources = ["${local.arn_prefix}:iam::${var.account_id}:role/${statement.value}"]
    }
  }
}

resource "aws_iam_role_policy" "deploy" {
  name   = "deploy-platform"
  role   = aws_iam_role.deploy.id
  policy = data.aws_iam_policy_document.deploy.json
}
