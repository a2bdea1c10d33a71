/**
 * Each generated state machine executed by moto's Step Functions interpreter, deployed the way Terraform deploys it
 * (infra/modules/pipeline with generated/terraform/contracts.json): Glue jobs, SNS topic, IAM roles, buckets with
 * S3 -> EventBridge notifications on the raw zone, the definition rendered like templatefile() does, the event rule
 * with the generated pattern. A real S3 PutObject produces the "Object Created" event; the run's Glue job runs are
 * then checked against the arguments the jobs read (generators/targets/glue-jobs.ts).
 *
 * moto's Glue runs no script: a job run only goes STARTING -> RUNNING -> SUCCEEDED (what the scripts do is run by
 * Spark elsewhere). moto's limits met here are commented where they are worked around (see the helpers).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATA_FILES, dataLines, REPO_ROOT } from "../../../tests/helpers/data.js";
import { openPipelineDriver, type Deployed, type Deployment, type Execution, type PipelineDriver, type PipelineReport, type Upload } from "../../../tests/helpers/moto-pipeline.js";
import { startMotoServer, type MotoServer } from "../../../tests/helpers/moto-server.js";
import { readTerraformDir, type Hcl } from "../../../tests/helpers/terraform.js";
import { GLUE_JOB_KINDS, glueArgumentFlags, STATE_MACHINE_ARGUMENTS, type GlueJobKind } from "../glue-jobs.js";

interface Location {
  readonly bucket: string;
  readonly prefix: string;
  readonly uri: string;
}
interface DatasetInputs {
  readonly contract: { readonly file: string; readonly version: string };
  readonly locations: Record<"raw" | "cleaned" | "quarantine" | "processed", Location>;
  readonly glue_jobs: Record<GlueJobKind, { readonly name: string; readonly script_source: string; readonly script_key: string; readonly arguments: string[] }>;
  readonly state_machine: { readonly name: string; readonly definition_file: string };
  readonly event_rule: { readonly name: string; readonly event_pattern: any };
}
interface TerraformInputs {
  readonly buckets: Record<string, { readonly zone: string }>;
  readonly datasets: Record<string, DatasetInputs>;
}

const INPUTS = JSON.parse(readFileSync(join(REPO_ROOT, "generated/terraform/contracts.json"), "utf8")) as TerraformInputs;
const DATASETS = Object.keys(INPUTS.datasets).sort();
const REGION = "eu-west-1";
/** `var.scripts_bucket_name` has no default: a test value. */
const SCRIPTS_BUCKET = "amazon-reviews-glue-scripts";
/** A real raw file of each dataset: its name is the object key under the raw prefix, its first lines the body. */
const RAW_SAMPLES: Record<string, string> = { review: DATA_FILES.reviews2018, product: DATA_FILES.products2018 };

let pipelineModule: Awaited<ReturnType<typeof readTerraformDir>>;
let rootModule: Awaited<ReturnType<typeof readTerraformDir>>;

beforeAll(async () => {
  pipelineModule = await readTerraformDir(REPO_ROOT, "infra/modules/pipeline");
  rootModule = await readTerraformDir(REPO_ROOT, "infra");
});

/**
 * `${var.x}` of the root module's defaults, and `${local.x}` of `module`'s locals (itself evaluated so); anything else
 * in the string is beyond this test.
 */
function withVariables(text: string, module = rootModule): string {
  return text.replace(/\$\{([^}]*)\}/g, (_, expression: string) => {
    const local = /^local\.([a-z_]+)$/.exec(expression)?.[1];
    if (local !== undefined) {
      const value = module.bodies.flatMap((body) => (body.locals ?? []) as Hcl[]).find((block) => local in block)?.[local];
      if (typeof value === "string") return withVariables(value, module);
    }
    const name = /^var\.([a-z_]+)$/.exec(expression)?.[1];
    const value = name === undefined ? undefined : rootModule.variables[name]?.default;
    if (typeof value !== "string") throw new Error(`infra: cannot evaluate \${${expression}} in "${text}"`);
    return value;
  });
}

/**
 * Terraform's templatefile(): `${name}` from `vars`, `$${` and `%%{` escapes. A name missing from `vars` is an error
 * in Terraform too; directives (`%{ if }`, `%{ for }`) have no place in an ASL file, so they are one here.
 * https://developer.hashicorp.com/terraform/language/expressions/strings#string-templates
 */
function renderTemplatefile(template: string, vars: Record<string, string>): string {
  return template.replace(/\$\$\{|%%\{|\$\{([^}]*)\}|%\{|\$\{/g, (match, expression: string | undefined) => {
    if (match === "$${") return "${";
    if (match === "%%{") return "%{";
    if (expression === undefined) throw new Error(`templatefile: unsupported or unterminated template syntax "${match}"`);
    const name = expression.trim();
    if (!Object.hasOwn(vars, name)) throw new Error(`templatefile: \${${name}} is not in the vars map (${Object.keys(vars).join(", ")})`);
    return vars[name]!;
  });
}

/** The vars map of the state machine's templatefile() call in infra/modules/pipeline, valued from the deployment. */
function definitionVars(deployed: Deployed): Record<string, string> {
  const call = pipelineModule.resources.aws_sfn_state_machine!.this!.definition as string;
  const parsed = /^\$\{templatefile\("\$\{var\.repository_root\}\/\$\{each\.value\.state_machine\.definition_file\}",\s*\{([\s\S]*)\}\)\}$/.exec(call);
  if (!parsed) throw new Error(`infra/modules/pipeline: the state machine's definition is no longer templatefile(<definition_file>, {…}): ${call}`);
  // What each resource attribute is in moto; an attribute this test does not know fails it.
  const attributes: Record<string, string> = {
    "aws_sns_topic.failures.arn": deployed.topicArn,
    "data.aws_partition.current.partition": deployed.topicArn.split(":")[1]!,
  };
  const vars: Record<string, string> = {};
  for (const entry of parsed[1]!.split(/[\n,]/).map((line) => line.trim()).filter(Boolean)) {
    const [, name, expression] = /^(\w+)\s*=\s*(\S+)$/.exec(entry) ?? [];
    const value = expression === undefined ? undefined : attributes[expression];
    if (name === undefined || value === undefined) throw new Error(`templatefile var "${entry}" is not deployed by this test: add it`);
    vars[name] = value;
  }
  return vars;
}

/** What Terraform creates for one dataset (infra/main.tf, modules/storage, modules/pipeline), but the state machine and the rule. */
function deployment(dataset: string, jobs: readonly GlueJobKind[]): { spec: Deployment; stepFunctionsRole: string } {
  const inputs = INPUTS.datasets[dataset]!;
  const locals = rootModule.bodies.flatMap((body) => (body.locals ?? []) as Hcl[]);
  const roleNames = locals.find((block) => block.role_names)?.role_names as Record<string, string> | undefined;
  const role = (key: string) => {
    const name = roleNames?.[key];
    if (name === undefined) throw new Error(`infra/main.tf: no local.role_names.${key}`);
    return withVariables(name);
  };
  const variable = (name: string) => rootModule.variables[name]!.default;
  const spec: Deployment = {
    region: REGION,
    roles: [
      { name: role("glue"), service: "glue.amazonaws.com" },
      { name: role("step_functions"), service: "states.amazonaws.com" },
      { name: role("eventbridge"), service: "events.amazonaws.com" },
    ],
    // infra/modules/storage: EventBridge notifications on the raw zone's buckets only.
    buckets: [
      ...Object.entries(INPUTS.buckets).map(([name, bucket]) => ({ name, eventbridge: bucket.zone === "raw" })),
      { name: SCRIPTS_BUCKET, eventbridge: false },
    ],
    uploads: GLUE_JOB_KINDS.map((kind) => ({
      bucket: SCRIPTS_BUCKET,
      key: inputs.glue_jobs[kind].script_key,
      body: readFileSync(join(REPO_ROOT, inputs.glue_jobs[kind].script_source), "utf8"),
    })),
    // Without Terraform's fixed default_arguments: moto merges a job's DefaultArguments into each run's Arguments
    // (AWS reports the run's own), and the run's Arguments are what is checked here.
    glueJobs: jobs.map((kind) => ({
      name: inputs.glue_jobs[kind].name,
      description: `${dataset} (${inputs.contract.file} ${inputs.contract.version}); run arguments: ${inputs.glue_jobs[kind].arguments.join(" ")}`,
      role: role("glue"),
      scriptLocation: `s3://${SCRIPTS_BUCKET}/${inputs.glue_jobs[kind].script_key}`,
      glueVersion: variable("glue_version"),
      workerType: variable("glue_worker_type"),
      numberOfWorkers: variable("glue_number_of_workers"),
      timeout: variable("glue_timeout_minutes"),
      maxConcurrentRuns: variable("glue_max_concurrent_runs"),
    })),
    topicName: withVariables(pipelineModule.resources.aws_sns_topic!.failures!.name as string, pipelineModule),
  };
  return { spec, stepFunctionsRole: role("step_functions") };
}

/**
 * The executions are started with the whole delivered event as input, which is what the rule's target passes when
 * it sets none of input, input_path, input_transformer: a target that sets one must be modelled here first.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
 */
function assertTargetPassesWholeEvent(): void {
  const target = pipelineModule.resources.aws_cloudwatch_event_target!.state_machine!;
  const shaping = ["input", "input_path", "input_transformer"].filter((key) => key in target);
  if (shaping.length > 0) throw new Error(`infra/modules/pipeline: the state machine target sets ${shaping.join(", ")}: apply it in this test`);
}

/**
 * The raw object that must start a run (named `objectName` under the raw prefix, by default the sample's file name),
 * and objects that must not (wrong suffix, prefix, bucket).
 */
function uploads(dataset: string, objectName?: string): { readonly trigger: Upload; readonly all: readonly Upload[] } {
  const { raw, cleaned } = INPUTS.datasets[dataset]!.locations;
  const sample = RAW_SAMPLES[dataset];
  if (sample === undefined) throw new Error(`no raw sample for dataset "${dataset}": add one to RAW_SAMPLES`);
  const body = `${dataLines(sample).slice(0, 3).join("\n")}\n`;
  const trigger = { bucket: raw.bucket, key: `${raw.prefix}${objectName ?? sample}`, body };
  const ignored = [
    { bucket: raw.bucket, key: `${raw.prefix}${sample.replace(/\.jsonl$/, ".csv")}`, body },
    { bucket: raw.bucket, key: `elsewhere/${sample}`, body },
    { bucket: cleaned.bucket, key: `${cleaned.prefix}${sample}`, body },
  ];
  return { trigger, all: [...ignored, trigger] };
}

async function deployAndRun(driver: PipelineDriver, dataset: string, options: { jobs?: readonly GlueJobKind[]; mutate?: (asl: any) => void; objectName?: string } = {}) {
  const inputs = INPUTS.datasets[dataset]!;
  assertTargetPassesWholeEvent();
  const { spec, stepFunctionsRole } = deployment(dataset, options.jobs ?? GLUE_JOB_KINDS);
  const deployed = await driver.deploy(spec);
  const template = readFileSync(join(REPO_ROOT, inputs.state_machine.definition_file), "utf8");
  let definition = renderTemplatefile(template, definitionVars(deployed));
  if (options.mutate) {
    const asl = JSON.parse(definition);
    options.mutate(asl);
    definition = JSON.stringify(asl);
  }
  const { trigger, all } = uploads(dataset, options.objectName);
  const report = await driver.run({
    region: REGION,
    stateMachine: { name: inputs.state_machine.name, definition, roleArn: deployed.roleArns[stepFunctionsRole]! },
    rule: { name: inputs.event_rule.name, eventPattern: inputs.event_rule.event_pattern },
    uploads: all,
    jobNames: GLUE_JOB_KINDS.map((kind) => inputs.glue_jobs[kind].name),
  });
  return { deployed, trigger, report };
}

/** A form-encoded (application/x-www-form-urlencoded) value decoded: + is a space, %XX a UTF-8 byte. */
const formDecode = (value: string) => decodeURIComponent(value.replace(/\+/g, " "));

const enteredStates = (execution: Execution) => execution.history.filter((e) => e.type.endsWith("StateEntered")).map((e) => e.details!.name as string);

/** One raw object's run: its bucket, its key as the "Object Created" event carries it, the execution's name. */
interface ObjectRun {
  readonly bucket: string;
  readonly eventKey: string;
  readonly executionName: string;
}

/** What each argument must be for the run of one raw object (independent of the ASL: from the contract's locations). */
function expectedArguments(dataset: string, kind: GlueJobKind, run: ObjectRun): Record<string, string> {
  const { cleaned, quarantine, processed } = INPUTS.datasets[dataset]!.locations;
  const table: { [K in GlueJobKind]: Record<string, string> } = {
    clean: {
      input_bucket: `s3://${run.bucket}`,
      input_key: run.eventKey,
      cleaned_path: cleaned.uri,
      quarantine_path: quarantine.uri,
      run_id: run.executionName,
      summary_path: `${quarantine.uri}_summaries/run_id=${run.executionName}.json`,
    },
    flatten: { input_path: cleaned.uri, output_path: processed.uri, run_id: run.executionName },
  };
  return Object.fromEntries(
    STATE_MACHINE_ARGUMENTS[kind].map((name) => {
      const value = table[kind][name];
      if (value === undefined) throw new Error(`${kind} reads --${name}: add its expected value to this test`);
      return [`--${name}`, value];
    }),
  );
}

/** Findings, one per difference between the recorded Glue runs and what the jobs read (empty: as expected). */
function jobRunFindings(dataset: string, report: PipelineReport, run: ObjectRun): string[] {
  const findings: string[] = [];
  for (const kind of GLUE_JOB_KINDS) {
    const job = INPUTS.datasets[dataset]!.glue_jobs[kind].name;
    const runs = report.jobRuns[job];
    if (runs?.length !== 1) {
      findings.push(`Job "${job}" has ${runs === null ? "no such job" : `${runs?.length} runs`}, expected one run.`);
      continue;
    }
    const actual = runs[0]!.Arguments ?? {};
    const expected = expectedArguments(dataset, kind, run);
    for (const flag of glueArgumentFlags(kind)) {
      if (!(flag in actual)) findings.push(`Run of "${job}" lacks ${flag}, which the job reads.`);
      else if (actual[flag] !== expected[flag]) findings.push(`Run of "${job}" has ${flag}="${actual[flag]}", expected "${expected[flag]}".`);
    }
    for (const flag of Object.keys(actual)) if (!(flag in expected)) findings.push(`Run of "${job}" has ${flag}, which the job does not read.`);
  }
  return findings;
}

it("renders definitions like templatefile(), and fails on a placeholder the vars map does not fill", () => {
  expect(DATASETS.length).toBeGreaterThan(0);
  expect(renderTemplatefile('{"a": "${x}", "b": "$${y}"}', { x: "arn" })).toBe('{"a": "arn", "b": "${y}"}');
  expect(() => renderTemplatefile('{"TopicArn": "${failure_topic_arn}", "Role": "${glue_role_arn}"}', { failure_topic_arn: "arn" })).toThrow(
    /\$\{glue_role_arn\} is not in the vars map/,
  );
  expect(() => renderTemplatefile("%{ if x }y%{ endif }", {})).toThrow(/unsupported/);
});

describe.each(DATASETS)("state machine of dataset %s, executed by moto", (dataset) => {
  let server: MotoServer | undefined;
  let driver: PipelineDriver | undefined;
  const inputs = INPUTS.datasets[dataset]!;
  const jobName = (kind: GlueJobKind) => inputs.glue_jobs[kind].name;

  beforeAll(async () => {
    server = await startMotoServer();
    driver = await openPipelineDriver(server);
  });
  afterAll(async () => {
    await driver?.close();
    await server?.stop();
  });

  it("an S3 Object Created event under the raw prefix runs clean then flatten with exactly the jobs' arguments", async () => {
    const { trigger, report } = await deployAndRun(driver!, dataset);

    // Only the object under the raw prefix with an accepted suffix reached the rule's target.
    expect(report.deliveredEvents).toHaveLength(1);
    const event = report.deliveredEvents[0]!;
    expect(event).toMatchObject({ source: "aws.s3", "detail-type": "Object Created", detail: { bucket: { name: trigger.bucket }, object: { key: trigger.key } } });

    expect(report.executions).toHaveLength(1);
    const execution = report.executions[0]!;
    expect(execution.status).toBe("SUCCEEDED");
    expect(JSON.parse(execution.history[0]!.details!.input)).toEqual(event);
    expect(enteredStates(execution)).toEqual(["Clean", "Flatten", "Succeeded"]);
    expect(execution.history.at(-1)!.type).toBe("ExecutionSucceeded");
    expect(report.notifications).toEqual([]);

    const run = { bucket: trigger.bucket, eventKey: event.detail.object.key, executionName: execution.name };
    expect(jobRunFindings(dataset, report, run)).toEqual([]);

    // Clean before flatten: the tasks scheduled the jobs in that order, and each task waited for its own run.
    const scheduled = execution.history.filter((e) => e.type === "TaskScheduled").map((e) => JSON.parse(e.details!.parameters).JobName);
    const finished = execution.history.filter((e) => e.type === "TaskSucceeded").map((e) => JSON.parse(e.details!.output));
    expect(scheduled).toEqual([jobName("clean"), jobName("flatten")]);
    expect(execution.history.filter((e) => e.type === "TaskScheduled").map((e) => `${e.details!.resourceType}:${e.details!.resource}`)).toEqual([
      "glue:startJobRun.sync",
      "glue:startJobRun.sync",
    ]);
    expect(finished.map((output) => [output.JobName, output.Id, output.JobRunState])).toEqual(
      GLUE_JOB_KINDS.map((kind) => [jobName(kind), report.jobRuns[jobName(kind)]![0]!.Id, "SUCCEEDED"]),
    );
    const [cleanRun, flattenRun] = GLUE_JOB_KINDS.map((kind) => report.jobRuns[jobName(kind)]![0]!);
    expect(Date.parse(cleanRun!.StartedOn)).toBeLessThanOrEqual(Date.parse(flattenRun!.StartedOn));
  });

  it("an object whose key S3 sends URL-encoded (a space, = and +) is the object the clean job reads", async () => {
    const { trigger, report } = await deployAndRun(driver!, dataset, { objectName: "ingest_date=2024-06-01/a b+c.jsonl" });
    const rawPrefix = inputs.locations.raw.prefix;
    expect(trigger.key).toBe(`${rawPrefix}ingest_date=2024-06-01/a b+c.jsonl`);
    // The event carries the key as S3 sends it: a space as +, = as %3D, + as %2B.
    expect(report.deliveredEvents.map((e) => e.detail.object.key)).toEqual([`${rawPrefix}ingest_date%3D2024-06-01/a+b%2Bc.jsonl`]);
    expect(report.executions.map((e) => e.status)).toEqual(["SUCCEEDED"]);
    // The object the clean job reads, by its arguments (glue-jobs.ts: --input_path as given, or --input_bucket and
    // --input_key decoded as a form-encoded value), is the uploaded object.
    const args = report.jobRuns[jobName("clean")]![0]!.Arguments ?? {};
    const read = args["--input_path"] ?? `${args["--input_bucket"]}/${formDecode(args["--input_key"] ?? "")}`;
    expect(read).toBe(`s3://${trigger.bucket}/${trigger.key}`);
    const run = { bucket: trigger.bucket, eventKey: report.deliveredEvents[0]!.detail.object.key, executionName: report.executions[0]!.name };
    expect(jobRunFindings(dataset, report, run)).toEqual([]);
  });

  it("a failing job is caught: the failure topic gets the event and the Glue error, then the Fail state", async () => {
    // The flatten job is not deployed: its StartJobRun fails (moto cannot make an existing job's run fail).
    const { deployed, trigger, report } = await deployAndRun(driver!, dataset, { jobs: ["clean"] });

    expect(report.executions).toHaveLength(1);
    const execution = report.executions[0]!;
    expect([execution.status, execution.error]).toEqual(["FAILED", "PipelineFailed"]);
    expect(enteredStates(execution)).toEqual(["Clean", "Flatten", "NotifyFailure", "Failed"]);
    const taskFailed = execution.history.find((e) => e.type === "TaskFailed")!.details!;
    expect(taskFailed.error).toBe("Glue.EntityNotFoundException");
    expect(execution.history.at(-1)).toMatchObject({ type: "ExecutionFailed", details: { error: "PipelineFailed" } });
    expect(report.jobRuns[jobName("clean")]).toHaveLength(1);
    expect(report.jobRuns[jobName("flatten")]).toBeNull();

    expect(report.notifications).toHaveLength(1);
    const notification = report.notifications[0]!;
    expect(notification.TopicArn).toBe(deployed.topicArn);
    expect(notification.Subject).toContain(dataset);
    const message = JSON.parse(notification.Message);
    expect(message.detail.object.key).toBe(trigger.key);
    expect(message.error).toEqual({ Error: taskFailed.error, Cause: taskFailed.cause });
    expect(message.error.Cause).toContain(jobName("flatten"));
  });

  it("negative control: a definition that no longer passes one argument is detected", async () => {
    const removed = `--${STATE_MACHINE_ARGUMENTS.clean.at(-1)}`;
    const { trigger, report } = await deployAndRun(driver!, dataset, {
      mutate: (asl) => {
        const args = asl.States.Clean.Parameters.Arguments as Record<string, string>;
        const key = Object.keys(args).find((k) => k.replace(/\.\$$/, "") === removed);
        expect(key).toBeDefined();
        delete args[key!];
      },
    });
    // moto's Glue runs no script, so the run still succeeds: only the argument check sees the difference.
    expect(report.executions.map((e) => e.status)).toEqual(["SUCCEEDED"]);
    const run = { bucket: trigger.bucket, eventKey: trigger.key, executionName: report.executions[0]!.name };
    expect(jobRunFindings(dataset, report, run)).toEqual([`Run of "${jobName("clean")}" lacks ${removed}, which the job reads.`]);
  });
});
