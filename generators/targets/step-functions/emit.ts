/**
 * Step Functions state machine (Amazon States Language, JSONPath) per dataset: Clean → Flatten with the Glue
 * "run a job" integration, retries on Glue throttling/concurrency, and a failure path that notifies SNS.
 *
 * Input: the EventBridge "Object Created" event of one raw object. The run id passed to both Glue jobs is the
 * execution name, so every S3 path a run writes can be traced back to its execution.
 *
 * The only placeholder is `${failure_topic_arn}`, filled by Terraform's `templatefile()`; the test checks that no
 * other `${` or `%{` sequence (template syntax) can occur.
 */
import { headerLines, jsonText } from "../../lib/header.js";
import { splitS3Location, type S3Location } from "../../lib/s3-location.js";
import type { ContractIR, DatasetIR, JsonValue } from "../../ir/types.js";
import type { EmitResult, Target } from "../types.js";
import { glueJobNames, STATE_MACHINE_ARGUMENTS, type GlueJobKind, type StateMachineArgument } from "../glue-jobs.js";

/** A job argument's value: a literal, or a JSONPath / intrinsic function (`"--name.$"`). */
type ArgumentValue = { readonly literal: string } | { readonly path: string };

/**
 * The `Arguments` of a Glue task: every argument the state machine passes the job (`glue-jobs.ts`), in its order.
 * The record type makes a missing or unknown argument a compile error.
 */
function glueArguments<K extends GlueJobKind>(kind: K, values: Record<StateMachineArgument<K>, ArgumentValue>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of STATE_MACHINE_ARGUMENTS[kind] as readonly StateMachineArgument<K>[]) {
    const value = values[name];
    if ("literal" in value) out[`--${name}`] = value.literal;
    else out[`--${name}.$`] = value.path;
  }
  return out;
}

export const FAILURE_TOPIC_PLACEHOLDER = "${failure_topic_arn}";
/**
 * The AWS partition (`aws`, `aws-us-gov`, `aws-cn`) of a service integration's ARN, filled by Terraform's
 * templatefile() from `data.aws_partition`: the same definition deploys in every partition.
 */
export const PARTITION_PLACEHOLDER = "${partition}";
/** Every placeholder a definition holds, with the templatefile() var that fills it (infra/modules/pipeline). */
export const DEFINITION_PLACEHOLDERS = ["failure_topic_arn", "partition"] as const;

/** https://docs.aws.amazon.com/step-functions/latest/dg/connect-glue.html — `.sync` waits for the job run to end. */
export const GLUE_RUN_JOB_SYNC = `arn:${PARTITION_PLACEHOLDER}:states:::glue:startJobRun.sync`;
export const SNS_PUBLISH = `arn:${PARTITION_PLACEHOLDER}:states:::sns:publish`;

/**
 * Errors worth retrying: Glue refuses a run while the job is at its concurrency limit or the API throttles.
 * Names are `Glue.<ExceptionName>` (https://docs.aws.amazon.com/step-functions/latest/dg/connect-glue.html).
 */
export const GLUE_RETRYABLE_ERRORS = [
  "Glue.ConcurrentRunsExceededException",
  "Glue.InternalServiceException",
  "Glue.ThrottlingException",
] as const;

export function aslPath(dataset: Pick<DatasetIR, "name">): string {
  return `generated/step-functions/${dataset.name}.asl.json`;
}

export function stateMachineName(dataset: Pick<DatasetIR, "name">): string {
  return `${dataset.name}-pipeline`;
}

/**
 * Literal text inside an intrinsic function's string: `'`, `{`, `}` and `\` must be escaped with `\`
 * (https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html#amazon-states-language-intrinsic-functions-escapes).
 */
export function intrinsicLiteral(text: string): string {
  return text.replace(/[\\'{}]/g, (c) => `\\${c}`);
}

/** `States.Format('s3://bucket/prefix<suffix before {}>{}<after>', $$.Execution.Name)`. */
function runScopedPath(location: S3Location, before: string, after: string): string {
  return `States.Format('${intrinsicLiteral(`s3://${location.bucket}/${location.prefix}${before}`)}{}${intrinsicLiteral(after)}', $$.Execution.Name)`;
}

/** Where each run writes, as exported for the Terraform inputs and the README. */
export function runPaths(dataset: DatasetIR): Record<string, string> {
  const cleaned = splitS3Location(dataset.locations.cleaned);
  const quarantine = splitS3Location(dataset.locations.quarantine);
  return {
    "clean --input_bucket": "s3://<event bucket> (the bucket of the raw object that triggered the run)",
    "clean --input_key": "<event key> (the raw object's key, URL-encoded as the event carries it; the job decodes it)",
    "clean --cleaned_path": `s3://${cleaned.bucket}/${cleaned.prefix} (the job writes run_id=<execution name>/ under it)`,
    "clean --quarantine_path": `s3://${quarantine.bucket}/${quarantine.prefix} (the job writes run_id=<execution name>/ under it)`,
    "clean --summary_path": `s3://${quarantine.bucket}/${quarantine.prefix}_summaries/run_id=<execution name>.json`,
    "flatten --input_path": `s3://${cleaned.bucket}/${cleaned.prefix} (the job reads run_id=<execution name>/ under it)`,
    "flatten --output_path": `${dataset.locations.processed} (each table under <table>/)`,
  };
}

/**
 * A job at its concurrency limit (a burst of uploads, a backfill) is waited for as long as a queue of runs takes:
 * 50 attempts, at most 10 minutes apart (about 4 hours expected with full jitter, at most about 8), where the API's
 * own errors get 6 (about 13 minutes). The Glue jobs also queue their runs (`job_run_queuing_enabled` in Terraform),
 * so this one matters where queuing is off or an account-wide limit refuses the run.
 */
export const CONCURRENCY_RETRY = { IntervalSeconds: 60, MaxAttempts: 50, BackoffRate: 2, MaxDelaySeconds: 600 } as const;

const retry: JsonValue = [
  {
    ErrorEquals: ["Glue.ConcurrentRunsExceededException"],
    ...CONCURRENCY_RETRY,
    JitterStrategy: "FULL",
  },
  {
    ErrorEquals: GLUE_RETRYABLE_ERRORS.filter((e) => e !== "Glue.ConcurrentRunsExceededException"),
    IntervalSeconds: 30,
    MaxAttempts: 6,
    BackoffRate: 2,
    MaxDelaySeconds: 600,
    JitterStrategy: "FULL",
  },
];

/** Any failure (a failed Glue run surfaces as `States.TaskFailed`) goes to the SNS notification. */
const catchAll: JsonValue = [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: "NotifyFailure" }];

export function stateMachineDefinition(dataset: DatasetIR): JsonValue {
  const cleaned = splitS3Location(dataset.locations.cleaned);
  const quarantine = splitS3Location(dataset.locations.quarantine);
  const processed = splitS3Location(dataset.locations.processed);
  const jobs = glueJobNames(dataset);
  // The Glue jobs add `run_id=<run id>/` under the zone roots themselves (glue-pyspark target).
  const cleanedRoot = `s3://${cleaned.bucket}/${cleaned.prefix}`;
  return {
    Comment: `${headerLines(dataset).join(" ")} Pipeline of dataset ${dataset.name}: clean, then flatten, one raw object per execution.`,
    StartAt: "Clean",
    States: {
      Clean: {
        Type: "Task",
        Comment: "Validate the raw object against the contract; good records to the cleaned zone, the rest to quarantine.",
        Resource: GLUE_RUN_JOB_SYNC,
        Parameters: {
          JobName: jobs.clean,
          Arguments: glueArguments("clean", {
            // The key as the event carries it: URL-encoded in form style, as in every S3 event notification ("red
            // flower.jpg" arrives as "red+flower.jpg": https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html),
            // the EventBridge "Object Created" event's too (AWS's Powertools decodes it with unquote_plus:
            // aws-powertools/powertools-lambda-python, aws_lambda_powertools/utilities/data_classes/s3_event.py,
            // S3EventBridgeNotificationObject.key). Intrinsic functions cannot decode it (nor would JSONata's
            // $decodeUrlComponent turn a + into a space), so the clean job does: a path
            // s3://<bucket>/<key as it arrives> names another object ("a+b.jsonl" for "a b.jsonl") or none.
            input_bucket: { path: "States.Format('s3://{}', $.detail.bucket.name)" },
            input_key: { path: "$.detail.object.key" },
            cleaned_path: { literal: cleanedRoot },
            quarantine_path: { literal: `s3://${quarantine.bucket}/${quarantine.prefix}` },
            run_id: { path: "$$.Execution.Name" },
            summary_path: { path: runScopedPath(quarantine, "_summaries/run_id=", ".json") },
          }),
        },
        ResultPath: "$.clean",
        Retry: retry,
        Catch: catchAll,
        Next: "Flatten",
      },
      Flatten: {
        Type: "Task",
        Comment: "Flatten this run's cleaned records into the processed Parquet dataset.",
        Resource: GLUE_RUN_JOB_SYNC,
        Parameters: {
          JobName: jobs.flatten,
          Arguments: glueArguments("flatten", {
            input_path: { literal: cleanedRoot },
            output_path: { literal: `s3://${processed.bucket}/${processed.prefix}` },
            run_id: { path: "$$.Execution.Name" },
          }),
        },
        ResultPath: "$.flatten",
        Retry: retry,
        Catch: catchAll,
        Next: "Succeeded",
      },
      Succeeded: { Type: "Succeed" },
      NotifyFailure: {
        Type: "Task",
        Comment: "Tell the dataset's owners which object failed and why.",
        Resource: SNS_PUBLISH,
        Parameters: {
          TopicArn: FAILURE_TOPIC_PLACEHOLDER,
          Subject: `${dataset.name} pipeline failed`,
          "Message.$": "States.JsonToString($)",
        },
        ResultPath: "$.notification",
        Retry: [{ ErrorEquals: ["States.TaskFailed"], IntervalSeconds: 5, MaxAttempts: 3, BackoffRate: 2 }],
        Next: "Failed",
      },
      Failed: {
        Type: "Fail",
        Error: "PipelineFailed",
        Cause: `The ${dataset.name} pipeline failed; the SNS notification carries the Glue error.`,
      },
    },
  };
}

export const stepFunctionsTarget: Target = {
  id: "step-functions",
  description: "Step Functions state machine (ASL) per dataset: Glue clean → flatten, retries, SNS on failure",
  emit(ir: ContractIR): EmitResult {
    return {
      files: ir.datasets.map((dataset) => ({ path: aslPath(dataset), contents: jsonText(stateMachineDefinition(dataset)) })),
      diagnostics: [],
    };
  },
};
