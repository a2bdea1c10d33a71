/**
 * Every IAM policy of infra/ and infra/bootstrap/, as Terraform and the pinned AWS provider render it, linted by
 * parliament (duo-labs/parliament, pinned in toolchain/python/checkov.in) against its database of AWS's Service
 * Authorization Reference: an action that does not exist grants nothing, a resource of a type the action does not
 * take matches no request, and a condition key the action does not send never matches. Terraform, checkov and the
 * HCL tests accept all three; AWS accepts them too, and the deploy or the pipeline then fails with AccessDenied.
 *
 * How the policies are rendered (tests/infra/policies/): `terraform test -json -verbose` plans each root with a test
 * file whose overrides give the ARNs of resources still to be created a value of their format, so every document is
 * complete, and prints the plan. A document with known inputs is rendered in the plan (the policy attribute of the
 * resource that takes it); one that names a resource to be created is left for apply, with its statements (the
 * data source's arguments) in the plan, which render/main.tf renders with the same data source. No AWS call is made.
 *
 * The rendered policies of the platform roles (Glue, Step Functions, EventBridge, the role Snowflake assumes) and
 * the platform boundary, and the two policies for the Airflow workers' role, are also evaluated by moto's IAM policy
 * evaluator, against what the generated artifacts make each do: the object calls of each Glue job where its state
 * machine sends it, the Glue runs and failure alerts of each state machine's definition, the start of each state
 * machine, the DAG's QuickSight refresh and failure alert, the reads of every external Snowflake stage; and the
 * access-log buckets' policies against each bucket's logging configuration.
 *
 * What parliament reports that is not wrong is listed in ACCEPTED, each with its reason; an accepted finding that no
 * longer occurs fails too, so the list cannot outlive its reason. Needs `terraform` and the provider mirror, like
 * terraform-cli.test.ts (skipped otherwise, and says why).
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensurePythonEnv } from "../../toolchain/python-env.js";
import { dagQuickSightDataSetIds, readGeneratedDag } from "../helpers/generated-dag.js";
import { REPO_ROOT } from "../helpers/data.js";
import { run } from "../helpers/run.js";
import { PINNED_AWS_PROVIDER, prepareTerraformWork, terraform, terraformUnavailable } from "../helpers/terraform-cli.js";

type Json = { [key: string]: any };

interface Finding {
  readonly document: string;
  readonly issue: string;
  readonly severity: string;
  readonly title: string;
  readonly detail: unknown;
  readonly location: unknown;
}

const POLICIES = join(REPO_ROOT, "tests/infra/policies");
const LINT = join(REPO_ROOT, "tests/helpers/parliament-lint.py");
const EVALUATE = join(REPO_ROOT, "tests/helpers/iam-evaluate.py");

/** The two roots, each planned with its test file (and the root with the production settings, as the deploy plans it). */
const ROOTS = [
  { dir: "infra", testFile: "root.tftest.hcl", args: ["-var-file=production.tfvars"] },
  { dir: "infra/bootstrap", testFile: "bootstrap.tftest.hcl", args: [] },
] as const;

/** The resource attributes through which a policy document reaches AWS, by resource type. */
const POLICY_ATTRIBUTES: Record<string, readonly string[]> = {
  aws_iam_role: ["assume_role_policy"],
  aws_iam_role_policy: ["policy"],
  aws_iam_policy: ["policy"],
  aws_kms_key: ["policy"],
  aws_s3_bucket_policy: ["policy"],
  aws_sqs_queue_policy: ["policy"],
};

/** A finding parliament reports that is not a fault, and why. `document` and `detail` are matched as patterns. */
interface Accepted {
  readonly issue: string;
  readonly document: RegExp;
  readonly detail: RegExp;
  readonly why: string;
}

const ACCEPTED: readonly Accepted[] = [
  {
    issue: "MALFORMED",
    document: /\.assume_role_policy$/,
    detail: /^Statement contains neither Resource nor NotResource$/,
    why: "a role's trust policy names no resource: the role is the resource (parliament reads every policy as an identity policy)",
  },
  {
    issue: "UNKNOWN_FEDERATION_SOURCE",
    document: /github_deploy\.aws_iam_role\.deploy\.assume_role_policy$/,
    detail: /:oidc-provider\/token\.actions\.githubusercontent\.com$/,
    why: "parliament knows only Cognito, Amazon, Facebook, Google and SAML as federated principals; an IAM OIDC provider's ARN is the principal GitHub's OIDC trust takes (https://docs.github.com/en/actions/how-tos/secure-your-work/security-harden-deployments/oidc-in-aws)",
  },
  {
    issue: "RESOURCE_MISMATCH",
    document: /github_deploy\.data\.aws_iam_policy_document\.deploy$/,
    detail: /^\[\{"action":"states:ValidateStateMachineDefinition","required_format":"\*"\}\]$/,
    why: "the reference lists no resource type for it, but Step Functions authorizes it on the account's arn:…:stateMachine:* (the AccessDenied it returns names that resource: hashicorp/terraform-provider-aws#39472), which the statement grants",
  },
  {
    issue: "UNKNOWN_CONDITION_FOR_ACTION",
    document: /github_deploy\.data\.aws_iam_policy_document\.deploy$/,
    detail: /^Unknown condition kms:ResourceAliases for action kms:(Decrypt|DescribeKey|Encrypt|GenerateDataKey)$/,
    why: "kms:ResourceAliases is a condition key of the KMS key resource these actions take (parliament's own database lists it there), which parliament checks only against the actions' own keys (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-resource-aliases)",
  },
  {
    issue: "MISMATCHED_TYPE_BUT_USABLE",
    document: /github_deploy\.data\.aws_iam_policy_document\.deploy$/,
    detail: /^Type mismatch: StringEquals requires a value of type String but given Arn$/,
    why: "iam:PermissionsBoundary compared with StringEquals, as AWS's own example does (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html); an exact ARN matches either way",
  },
  {
    issue: "UNKNOWN_CONDITION_FOR_ACTION",
    document: /storage\.aws_kms_key\.data\.policy$/,
    detail: /^Unknown condition kms:EncryptionContext:aws:logs:arn for action kms:DescribeKey$/,
    why: "the statement for CloudWatch Logs is AWS's own (kms:Describe* under kms:EncryptionContext:aws:logs:arn: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html)",
  },
  {
    issue: "MISMATCHED_TYPE",
    document: /storage\.aws_kms_key\.data\.policy$/,
    detail: /^Type mismatch: ArnLike requires a value of type Arn but given String$/,
    why: "kms:EncryptionContext:aws:logs:arn is compared with ArnLike in AWS's own statement for CloudWatch Logs (same page); the context value is the log group's ARN",
  },
  {
    issue: "RESOURCE_POLICY_PRIVILEGE_ESCALATION",
    document: /github_deploy\.data\.aws_iam_policy_document\.deploy$/,
    detail: /^Possible resource policy privilege escalation on arn:aws:s3:::[a-z0-9.-]+ due to s3:(GetObject|PutObject|DeleteObject) not being allowed, but does allow s3:(PutBucketPolicy|PutLifecycleConfiguration)$/,
    why: "the deploy role applies the bucket policies and lifecycle rules Terraform renders, so it holds s3:PutBucketPolicy and s3:PutLifecycleConfiguration on the buckets it manages and could grant itself object access through a policy, or expire objects through a rule; it is trusted only for this repository's production environment (infra/README.md, \"Deploying\")",
  },
  {
    issue: "RESOURCE_STAR",
    document: /(storage\.aws_kms_key\.data|aws_kms_key\.state)\.policy$/,
    detail: /^\[.*"kms:/,
    why: 'in a key policy, Resource "*" means the key itself (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html)',
  },
];

/** Separates a document's name from its statement's, in the name of one statement linted alone. */
const STATEMENT = " statement ";

const isAccepted = (finding: Finding, accepted: Accepted) =>
  finding.issue === accepted.issue &&
  accepted.document.test(finding.document.split(STATEMENT)[0]!) && accepted.detail.test(typeof finding.detail === "string" ? finding.detail : JSON.stringify(finding.detail));

if (terraformUnavailable) console.warn(`tests/infra/iam-policies.test.ts skipped: ${terraformUnavailable} (infra/README.md, "How this is tested")`);

/** Whether a document's name is a data source's ("<root>: [module.m.]data.aws_iam_policy_document.n"), not a resource attribute's. */
const isDataSource = (name: string) => /(: |\.)data\.aws_iam_policy_document\./.test(name);

/** The paths of the values a plan's `after_unknown` marks unknown. */
function unknownPaths(unknown: unknown, path = ""): string[] {
  if (unknown === true) return [path];
  if (Array.isArray(unknown)) return unknown.flatMap((value, index) => unknownPaths(value, `${path}[${index}]`));
  if (unknown && typeof unknown === "object") return Object.entries(unknown).flatMap(([key, value]) => unknownPaths(value, `${path}.${key}`));
  return [];
}

/** Runs parliament on `documents` (name → policy JSON). */
async function lint(documents: Record<string, string>): Promise<Finding[]> {
  const { bin } = await ensurePythonEnv("checkov", { root: REPO_ROOT });
  const result = run(join(bin, "python"), [LINT], { input: JSON.stringify(documents) });
  expect(result.status, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { findings: Finding[] }).findings;
}

/** The account and region the root's test file gives the plan (tests/infra/policies/root.tftest.hcl). */
const ACCOUNT = "123456789012";
const REGION = "eu-west-1";

/**
 * Overrides, appended to root.tftest.hcl, for the resources there is one of per dataset or mart and whose ARNs the
 * roles that use them read: each Glue job and state machine (generated/terraform/contracts.json) and QuickSight data
 * set (generated/quicksight/quicksight.json) with its own name, so that those roles can be evaluated against the
 * generated definitions and DAG.
 */
function datasetOverrides(contracts: Json, quicksight: Json): string {
  const block = (target: string, arn: string) => `\noverride_resource {\n  target          = ${target}\n  override_during = plan\n  values          = { arn = "${arn}" }\n}\n`;
  return Object.entries(contracts.datasets as Json)
    .flatMap(([dataset, entry]: [string, Json]) => [
      ...[entry.glue_jobs.clean.name, entry.glue_jobs.flatten.name].map((job: string) => block(`module.pipeline.aws_glue_job.this["${job}"]`, `arn:aws:glue:${REGION}:${ACCOUNT}:job/${job}`)),
      block(`module.pipeline.aws_sfn_state_machine.this["${dataset}"]`, `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${entry.state_machine.name}`),
    ])
    .concat((quicksight.dataSets as Json[]).map((set) => block(`module.quicksight[0].aws_quicksight_data_set.this["${set.mart}"]`, `arn:aws:quicksight:${REGION}:${ACCOUNT}:dataset/${set.id}`)))
    .join("");
}

/** moto's verdict on each request under each policy (name → policy JSON). */
async function evaluate(policies: Record<string, string>, requests: readonly { action: string; resource: string }[]): Promise<Json[]> {
  const { bin } = await ensurePythonEnv("aws", { root: REPO_ROOT });
  const result = run(join(bin, "python"), [EVALUATE], { input: JSON.stringify({ policies, requests }) });
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Json[];
}

/** `s3://bucket/key` → the object's ARN. */
const objectArn = (uri: string) => {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  expect(match, `an S3 URI: ${uri}`).not.toBeNull();
  return `arn:aws:s3:::${match![1]}/${match![2]}`;
};

/** The Glue tasks of a generated state machine definition: job name and arguments, with `.$` arguments given a run. */
function glueTasks(definition: Json, runId: string, input: { bucket: string; key: string }): { job: string; args: Record<string, string> }[] {
  return Object.values(definition.States as Json)
    .filter((state: Json) => state.Type === "Task" && /:glue:startJobRun/.test(state.Resource))
    .map((state: Json) => {
      const parameters = state.Parameters as Json;
      const args: Record<string, string> = {};
      for (const [key, value] of Object.entries(parameters.Arguments as Record<string, string>)) {
        if (!key.endsWith(".$")) args[key] = value;
        else if (value === "$$.Execution.Name") args[key.slice(0, -2)] = runId;
        else if (value === "$.detail.object.key") args[key.slice(0, -2)] = input.key;
        else if (value === "States.Format('s3://{}', $.detail.bucket.name)") args[key.slice(0, -2)] = `s3://${input.bucket}`;
        else {
          const format = /^States\.Format\('([^']*)', \$\$\.Execution\.Name\)$/.exec(value);
          expect(format, `${parameters.JobName} ${key}: an argument this test knows how to fill: ${value}`).not.toBeNull();
          args[key.slice(0, -2)] = format![1]!.replace("{}", runId);
        }
      }
      return { job: parameters.JobName as string, args };
    });
}

describe.skipIf(Boolean(terraformUnavailable))(`IAM policies rendered by terraform with hashicorp/aws ${PINNED_AWS_PROVIDER}: linted by parliament, evaluated by moto`, () => {
  let work: string;
  let env: NodeJS.ProcessEnv;
  /** Every policy document, rendered: the resource attribute (rendered in the plan) or the data source (rendered here) it comes from → its JSON. */
  const documents: Record<string, string> = {};
  /** Per root: the policy documents the plan's resources read (relevant_attributes), and the policy attributes still unknown. */
  const read: string[] = [];
  const unknownAttributes: string[] = [];
  /** Values of a document left for apply that are still unknown (path in its arguments). */
  const incomplete: string[] = [];
  let findings: Finding[] = [];
  /** From the root's plan: each Glue job's ARN, script and temporary folder (S3 URIs), and the data key's ARN. */
  const glueJobs: Record<string, { arn: string; script: string; tempDir: string }> = {};
  let dataKeyArn = "";
  let failureTopicArn = "";
  /** From both plans: each bucket's server access logging (aws_s3_bucket_logging). */
  const loggings: { root: string; bucket: string; targetBucket: string; targetPrefix: string }[] = [];
  /** From the root's plan: each state machine's ARN and definition (the template filled), each event target's state machine. */
  const stateMachines: { arn: string; definition: Json }[] = [];
  const eventTargets: string[] = [];
  let contracts: Json;

  beforeAll(async () => {
    contracts = JSON.parse(readFileSync(join(REPO_ROOT, "generated/terraform/contracts.json"), "utf8")) as Json;
    work = mkdtempSync(join(tmpdir(), "iam-policies-"));
    env = prepareTerraformWork(work);
    const deferred: Record<string, Json> = {};
    for (const root of ROOTS) {
      const dir = join(work, root.dir);
      mkdirSync(join(dir, "tests"), { recursive: true });
      const testFile = readFileSync(join(POLICIES, root.testFile), "utf8");
      const quicksight = JSON.parse(readFileSync(join(REPO_ROOT, "generated/quicksight/quicksight.json"), "utf8")) as Json;
      writeFileSync(join(dir, "tests", root.testFile), root.dir === "infra" ? testFile + datasetOverrides(contracts, quicksight) : testFile);
      const init = terraform(env, dir, ["init", "-backend=false", "-input=false"]);
      expect(init.status, init.output).toBe(0);
      const tested = terraform(env, dir, ["test", "-json", "-verbose", ...root.args]);
      const lines = tested.stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line) as Json);
      const errors = lines.filter((line) => line["@level"] === "error").map((line) => `${line["@message"]}: ${line.diagnostic?.detail ?? ""}`);
      expect(tested.status, `${root.dir}: ${errors.join("\n")}\n${tested.stderr}`).toBe(0);
      const plan = lines.find((line) => line.type === "test_plan")?.test_plan as Json;
      expect(plan, `${root.dir}: terraform test printed no plan`).toBeDefined();
      for (const attribute of plan.relevant_attributes as Json[]) {
        if (/(^|\.)data\.aws_iam_policy_document\./.test(attribute.resource)) read.push(`${root.dir}: ${attribute.resource}`);
      }
      for (const change of plan.resource_changes as Json[]) {
        const after = (change.change.after ?? {}) as Json;
        const unknown = (change.change.after_unknown ?? {}) as Json;
        if (change.type === "aws_glue_job") glueJobs[after.name] = { arn: after.arn, script: after.command[0].script_location, tempDir: after.default_arguments["--TempDir"] };
        if (change.type === "aws_sfn_state_machine") stateMachines.push({ arn: after.arn, definition: JSON.parse(after.definition) as Json });
        if (change.type === "aws_cloudwatch_event_target") eventTargets.push(after.arn);
        if (change.address === "module.storage.aws_kms_key.data") dataKeyArn = after.arn;
        if (change.address === "module.pipeline.aws_sns_topic.failures") failureTopicArn = after.arn;
        if (change.type === "aws_s3_bucket_logging") loggings.push({ root: root.dir, bucket: after.bucket, targetBucket: after.target_bucket, targetPrefix: after.target_prefix });
        if (change.mode === "data" && change.type === "aws_iam_policy_document") {
          const name = `${root.dir}: ${change.address}`;
          deferred[name] = after;
          for (const path of unknownPaths(unknown)) if (!/^\.(json|minified_json|id)$/.test(path)) incomplete.push(`${name}${path}`);
          continue;
        }
        for (const attribute of change.mode === "managed" ? (POLICY_ATTRIBUTES[change.type] ?? []) : []) {
          const name = `${root.dir}: ${change.address}.${attribute}`;
          if (unknown[attribute] === true) unknownAttributes.push(name);
          else if (typeof after[attribute] === "string") documents[name] = after[attribute];
        }
      }
    }
    // The documents left for apply, rendered by the same data source (render/main.tf) from their statements.
    const render = join(work, "render");
    cpSync(join(POLICIES, "render"), render, { recursive: true });
    writeFileSync(
      join(render, "versions.tf"),
      `terraform {\n  required_providers {\n    aws = {\n      source  = "hashicorp/aws"\n      version = "${PINNED_AWS_PROVIDER}"\n    }\n  }\n}\n`,
    );
    writeFileSync(join(render, "documents.json"), JSON.stringify(deferred));
    for (const args of [["init", "-input=false"], ["apply", "-auto-approve", "-input=false"]]) {
      const step = terraform(env, render, args);
      expect(step.status, step.output).toBe(0);
    }
    const output = terraform(env, render, ["output", "-json", "documents"]);
    expect(output.status, output.output).toBe(0);
    Object.assign(documents, JSON.parse(output.stdout) as Record<string, string>);
    // Each document whole (some findings need every statement: privilege escalation, duplicate Sids), and each of
    // its statements alone: parliament stops reporting some findings of a document after its first resource mismatch.
    const statements = Object.entries(documents).flatMap(([name, json]) =>
      [(JSON.parse(json) as Json).Statement].flat().map((statement: Json, index) => [`${name}${STATEMENT}${index} (${statement.Sid ?? ""})`, JSON.stringify({ Version: "2012-10-17", Statement: [statement] })]),
    );
    findings = await lint({ ...documents, ...Object.fromEntries(statements) });
  }, 300_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("renders every policy the plan's resources take, each complete", () => {
    // A document left for apply must be complete after the overrides: a value still unknown is an ARN without one.
    expect(incomplete, "values still unknown: give the resource an override_resource in tests/infra/policies/").toEqual([]);
    const deferred = Object.keys(documents).filter(isDataSource);
    const inPlan = Object.keys(documents).filter((name) => !isDataSource(name));
    // Each document a resource reads is rendered in the plan (it then reaches a policy attribute, linted as rendered
    // there) or left for apply (rendered above); a policy attribute still unknown takes one of the latter.
    expect(read.length, "documents the plan's resources read").toBeGreaterThan(15);
    const readInPlan = read.filter((document) => !deferred.some((name) => name === document || name.startsWith(`${document}[`)));
    expect(inPlan.length, `documents rendered in the plan (${inPlan.join(", ")}) for ${readInPlan.join(", ")}`).toBeGreaterThanOrEqual(readInPlan.length);
    expect(deferred.length, `policy attributes still unknown (${unknownAttributes.join(", ")}) take a document each`).toBeGreaterThanOrEqual(unknownAttributes.length);
    for (const [name, json] of Object.entries(documents)) expect((JSON.parse(json) as Json).Version, name).toBe("2012-10-17");
    // The trust policies, the bucket and key policies of both roots.
    const names = Object.keys(documents);
    expect(names.filter((name) => name.endsWith(".assume_role_policy")).length).toBeGreaterThanOrEqual(4);
    expect(names.filter((name) => /aws_iam_policy_document\.bucket\[/.test(name)).length).toBeGreaterThanOrEqual(4);
    expect(names.some((name) => /^infra\/bootstrap: .*aws_iam_policy_document\.state$/.test(name))).toBe(true);
  });

  it("parliament finds nothing but the accepted findings, and each accepted finding still occurs", () => {
    const unexpected = findings.filter((finding) => !ACCEPTED.some((accepted) => isAccepted(finding, accepted)));
    expect(unexpected, `parliament ${JSON.stringify(unexpected, null, 1)}`).toEqual([]);
    const unused = ACCEPTED.filter((accepted) => !findings.some((finding) => isAccepted(finding, accepted)));
    expect(unused.map((accepted) => `${accepted.issue} ${accepted.document}`), "accepted findings that no longer occur: remove them").toEqual([]);
  });

  // The Glue role's policy and the platform boundary must both allow every object call a job makes where its state
  // machine sends it (the generated definitions), and on its script, its temporary folder and the data key; moto's
  // evaluator decides. A prefix renamed in one place and not the other, or missing from the boundary, fails here and
  // not in a Glue run.
  it("lets each Glue job read and write where its state machine sends it, within the platform boundary (moto's IAM evaluator)", async () => {
    const role = documents["infra: module.pipeline.aws_iam_role_policy.glue.policy"]!;
    const boundary = documents["infra: module.github_deploy.aws_iam_policy.platform_boundary.policy"]!;
    expect(role && boundary, "the Glue role's policy and the boundary are rendered").toBeTruthy();
    const requests: { action: string; resource: string; why: string }[] = [];
    const add = (actions: readonly string[], resource: string, why: string) => requests.push(...actions.map((action) => ({ action, resource, why })));
    const write = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"];
    for (const [dataset, entry] of Object.entries(contracts.datasets as Json)) {
      const definition = JSON.parse(readFileSync(join(REPO_ROOT, entry.state_machine.definition_file), "utf8")) as Json;
      const raw = entry.locations.raw as Json;
      const tasks = glueTasks(definition, "example-run", { bucket: raw.bucket, key: `${raw.prefix}2026/12/07/reviews.jsonl` });
      expect(tasks.map((task) => task.job).sort(), dataset).toEqual([entry.glue_jobs.clean.name, entry.glue_jobs.flatten.name].sort());
      for (const { job, args } of tasks) {
        const runFolder = (root: string) => `${root.replace(/\/$/, "")}/run_id=example-run/`;
        if (job === entry.glue_jobs.clean.name) {
          add(["s3:GetObject"], objectArn(`${args["--input_bucket"]}/${args["--input_key"]}`), `${job}: its raw input`);
          add(write, objectArn(`${runFolder(args["--cleaned_path"]!)}part-00000.snappy.parquet`), `${job}: the cleaned zone`);
          add(write, objectArn(`${runFolder(args["--quarantine_path"]!)}part-00000.json`), `${job}: the quarantine`);
          add(["s3:PutObject"], objectArn(args["--summary_path"]!), `${job}: the run summary`);
        } else {
          add(["s3:GetObject"], objectArn(`${runFolder(args["--input_path"]!)}part-00000.snappy.parquet`), `${job}: the cleaned run`);
          add(write, objectArn(`${args["--output_path"]}review_date=2026-12-07/part-00000.snappy.parquet`), `${job}: the processed zone`);
        }
        const planned = glueJobs[job];
        expect(planned, `${job} is planned`).toBeDefined();
        add(["s3:GetObject"], objectArn(planned!.script), `${job}: its script`);
        add(write, objectArn(`${planned!.tempDir}spark-staging/part-00000`), `${job}: its temporary folder`);
      }
    }
    add(["kms:GenerateDataKey", "kms:Decrypt"], dataKeyArn, "the data key (SSE-KMS on every zone)");
    expect(requests.length).toBeGreaterThan(40);
    const verdicts = await evaluate({ role, boundary }, requests);
    const refused = verdicts.filter((verdict) => verdict.role !== "PERMITTED" || verdict.boundary !== "PERMITTED");
    expect(refused, "refused by the Glue role's policy or the platform boundary").toEqual([]);
    // The evaluator can refuse: an object outside the zones, a zone's prefix misspelled.
    const outside = await evaluate({ role, boundary }, [
      { action: "s3:PutObject", resource: "arn:aws:s3:::amazon-reviews-processed-elsewhere/reviews/x" },
      { action: "s3:PutObject", resource: objectArn(`s3://${(Object.values(contracts.datasets as Json)[0] as Json).locations.processed.bucket}/review/x`) },
    ]);
    expect(outside.map((verdict) => verdict.role)).toEqual(["NEUTRAL", "NEUTRAL"]);
  });

  // Step Functions runs each definition's Glue tasks and publishes its failure; EventBridge starts each state machine.
  it("lets Step Functions run the Glue jobs and publish the failures its definitions name, and EventBridge start each state machine, within the platform boundary (moto's IAM evaluator)", async () => {
    const stepFunctions = documents["infra: module.pipeline.data.aws_iam_policy_document.step_functions"]!;
    const eventBridge = documents["infra: module.pipeline.data.aws_iam_policy_document.eventbridge"]!;
    const boundary = documents["infra: module.github_deploy.aws_iam_policy.platform_boundary.policy"]!;
    expect(stepFunctions && eventBridge && boundary, "the roles' policies and the boundary are rendered").toBeTruthy();
    expect(stateMachines.length).toBe(Object.keys(contracts.datasets as Json).length);
    const requests: { action: string; resource: string; why: string }[] = [];
    for (const { arn, definition } of stateMachines) {
      const tasks = Object.entries(definition.States as Json).filter(([, state]: [string, Json]) => state.Type === "Task");
      expect(tasks.length, arn).toBeGreaterThanOrEqual(3);
      for (const [name, state] of tasks as [string, Json][]) {
        if (/:glue:startJobRun\.sync$/.test(state.Resource)) {
          const job = glueJobs[state.Parameters.JobName];
          expect(job, `${arn} ${name}: a planned Glue job ${state.Parameters.JobName}`).toBeDefined();
          // The .sync integration starts the run, polls it, and stops it when the execution is stopped.
          for (const action of ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"]) requests.push({ action, resource: job!.arn, why: `${arn} ${name}` });
        } else if (/:sns:publish$/.test(state.Resource)) {
          requests.push({ action: "sns:Publish", resource: state.Parameters.TopicArn, why: `${arn} ${name}` });
        } else {
          expect.fail(`${arn} ${name}: a task this test does not know (${state.Resource}): add the calls it makes`);
        }
      }
    }
    requests.push(...["kms:GenerateDataKey", "kms:Decrypt"].map((action) => ({ action, resource: dataKeyArn, why: "publishing to the failure topic, encrypted with the data key" })));
    const sfnVerdicts = await evaluate({ role: stepFunctions, boundary }, requests);
    expect(sfnVerdicts.filter((v) => v.role !== "PERMITTED" || v.boundary !== "PERMITTED"), "refused to Step Functions").toEqual([]);
    expect(eventTargets.length).toBe(stateMachines.length);
    const starts = eventTargets.map((arn) => ({ action: "states:StartExecution", resource: arn, why: "the raw bucket's rule" }));
    const ebVerdicts = await evaluate({ role: eventBridge, boundary }, starts);
    expect(ebVerdicts.filter((v) => v.role !== "PERMITTED" || v.boundary !== "PERMITTED"), "refused to EventBridge").toEqual([]);
    // Only those: another job, another state machine, another topic.
    const other = await evaluate({ stepFunctions, eventBridge }, [
      { action: "glue:StartJobRun", resource: `arn:aws:glue:${REGION}:${ACCOUNT}:job/another-job` },
      { action: "states:StartExecution", resource: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:another-pipeline` },
      { action: "sns:Publish", resource: `arn:aws:sns:${REGION}:${ACCOUNT}:another-topic` },
    ]);
    expect(other.map((v) => [v.stepFunctions, v.eventBridge])).toEqual([["NEUTRAL", "NEUTRAL"], ["NEUTRAL", "NEUTRAL"], ["NEUTRAL", "NEUTRAL"]]);
  });

  // The Airflow DAG's calls, with the two policies Terraform outputs for the role of its workers (not bounded: the
  // Airflow deployment's role is not a platform role).
  it("lets the Airflow DAG refresh exactly the data sets it names and publish its failure alerts, with the two policies Terraform outputs for it (moto's IAM evaluator)", async () => {
    const refresh = documents["infra: module.quicksight[0].data.aws_iam_policy_document.refresh"]!;
    const alert = documents["infra: module.pipeline.data.aws_iam_policy_document.airflow_failure_alert"]!;
    expect(refresh && alert, "the refresh and failure alert policies are rendered").toBeTruthy();
    const ids = dagQuickSightDataSetIds(readGeneratedDag());
    expect(ids, "the DAG's QUICKSIGHT_DATA_SET_IDS").toBeDefined();
    expect(ids!.length).toBeGreaterThanOrEqual(3);
    // CreateIngestion, DescribeIngestion and CancelIngestion are authorized on the ingestion (Service Authorization Reference).
    const ingestion = (id: string) => `arn:aws:quicksight:${REGION}:${ACCOUNT}:dataset/${id}/ingestion/scheduled__2026-12-07T02-00-00-00-00-1`;
    const calls = ids!.flatMap((id) => ["quicksight:CreateIngestion", "quicksight:DescribeIngestion", "quicksight:CancelIngestion"].map((action) => ({ action, resource: ingestion(id) })));
    const alerts = [
      { action: "sns:Publish", resource: failureTopicArn },
      { action: "kms:GenerateDataKey", resource: dataKeyArn },
      { action: "kms:Decrypt", resource: dataKeyArn },
    ];
    const verdicts = await evaluate({ refresh, alert }, [...calls, ...alerts]);
    expect(verdicts.slice(0, calls.length).filter((v) => v.refresh !== "PERMITTED"), "refused to the refresh").toEqual([]);
    expect(verdicts.slice(calls.length).filter((v) => v.alert !== "PERMITTED"), "refused to the alert").toEqual([]);
    const other = await evaluate({ refresh, alert }, [
      { action: "quicksight:CreateIngestion", resource: ingestion("another-data-set") },
      { action: "quicksight:DeleteDataSet", resource: `arn:aws:quicksight:${REGION}:${ACCOUNT}:dataset/${ids![0]}` },
      { action: "sns:Publish", resource: `arn:aws:sns:${REGION}:${ACCOUNT}:another-topic` },
    ]);
    expect(other.map((v) => [v.refresh, v.alert])).toEqual([["NEUTRAL", "NEUTRAL"], ["NEUTRAL", "NEUTRAL"], ["NEUTRAL", "NEUTRAL"]]);
  });

  // S3 drops access logs it may not write, silently: each bucket's logging configuration must point where the log
  // bucket's policy lets S3's log delivery write. The policies' Deny statements (TLS only: S3 delivers over TLS) are
  // left out, as moto does not evaluate their Bool condition.
  it("lets S3 deliver each bucket's server access logs where its logging configuration sends them, in both roots (moto's IAM evaluator)", async () => {
    const logPolicy = (root: string, target: string) =>
      documents[root === "infra" ? `infra: module.storage.data.aws_iam_policy_document.bucket["${target}"]` : "infra/bootstrap: data.aws_iam_policy_document.access_logs"];
    expect(loggings.filter((logging) => logging.root === "infra").length, "the platform's buckets log").toBeGreaterThanOrEqual(5);
    expect(loggings.filter((logging) => logging.root === "infra/bootstrap").length, "the state bucket logs").toBe(1);
    const allows = (json: string) => JSON.stringify({ ...(JSON.parse(json) as Json), Statement: [(JSON.parse(json) as Json).Statement].flat().filter((st: Json) => st.Effect === "Allow") });
    for (const logging of loggings) {
      const policy = logPolicy(logging.root, logging.targetBucket);
      expect(policy, `${logging.root}: the policy of ${logging.targetBucket}, where ${logging.bucket} logs`).toBeDefined();
      const key = `${logging.targetPrefix}2026-12-07-10-00-00-0123456789ABCDEF`;
      const [delivered, elsewhere] = await evaluate({ policy: allows(policy!) }, [
        { action: "s3:PutObject", resource: `arn:aws:s3:::${logging.targetBucket}/${key}` },
        { action: "s3:PutObject", resource: `arn:aws:s3:::${logging.targetBucket}/another-prefix/${key}` },
      ]);
      expect(delivered!.policy, `${logging.root}: ${logging.bucket}'s logs under ${logging.targetBucket}/${logging.targetPrefix}`).toBe("PERMITTED");
      expect(elsewhere!.policy, `${logging.root}: nothing outside the logged buckets' prefixes`).toBe("NEUTRAL");
    }
  });

  // Snowflake reads the processed zone through its storage integration, as the role Snowflake assumes: the external
  // stages the generated Snowflake plan creates must be readable by that role's policy within the boundary
  // (Snowflake's own list: GetObject, GetObjectVersion, ListBucket, GetBucketLocation, and the key for SSE-KMS:
  // https://docs.snowflake.com/en/user-guide/data-load-s3-config-storage-integration).
  it("lets the role Snowflake assumes read every external stage the generated Snowflake plan creates, within the platform boundary (moto's IAM evaluator)", async () => {
    const role = documents["infra: module.snowflake_access.aws_iam_role_policy.snowflake[0].policy"]!;
    const boundary = documents["infra: module.github_deploy.aws_iam_policy.platform_boundary.policy"]!;
    expect(role && boundary, "the Snowflake role's policy and the boundary are rendered").toBeTruthy();
    const plan = JSON.parse(readFileSync(join(REPO_ROOT, "generated/snowflake/plan.json"), "utf8")) as { statements: { sql: string }[] };
    const urls = [...new Set(plan.statements.flatMap((statement) => [...statement.sql.matchAll(/\bURL = '(s3:\/\/[^']+)'/g)].map((match) => match[1]!)))];
    expect(urls.length, "the generated plan's stage URLs").toBeGreaterThanOrEqual(2);
    const requests = urls.flatMap((url) => {
      const bucket = `arn:aws:s3:::${/^s3:\/\/([^/]+)\//.exec(url)![1]}`;
      const object = objectArn(`${url}review_date=2026-12-07/part-00000.snappy.parquet`);
      return [
        { action: "s3:GetObject", resource: object },
        { action: "s3:GetObjectVersion", resource: object },
        { action: "s3:ListBucket", resource: bucket },
        { action: "s3:GetBucketLocation", resource: bucket },
      ].map((request) => ({ ...request, why: `the stage ${url}` }));
    });
    requests.push({ action: "kms:Decrypt", resource: dataKeyArn, why: "the data key (the processed zone's SSE-KMS)" });
    const verdicts = await evaluate({ role, boundary }, requests);
    expect(verdicts.filter((verdict) => verdict.role !== "PERMITTED" || verdict.boundary !== "PERMITTED"), "refused").toEqual([]);
    // Read only: no write or delete on a stage, and nothing outside the processed zone.
    const refused = await evaluate({ role }, [
      { action: "s3:PutObject", resource: objectArn(`${urls[0]}x.parquet`) },
      { action: "s3:DeleteObject", resource: objectArn(`${urls[0]}x.parquet`) },
      { action: "s3:GetObject", resource: objectArn(urls[0]!.replace(/^s3:\/\/[^/]+/, "s3://amazon-reviews-raw")) + "x.json" },
    ]);
    expect(refused.map((verdict) => verdict.role)).toEqual(["NEUTRAL", "NEUTRAL", "NEUTRAL"]);
  });

  it("fails a misspelled action, a resource of the wrong type, a condition key the action does not send and a needless \"*\" (the lint can fail)", async () => {
    const name = Object.keys(documents).find((key) => key.endsWith("pipeline.aws_iam_role_policy.glue.policy"))!;
    expect(name, "the Glue role's policy is rendered in the plan").toBeDefined();
    const policy = JSON.parse(documents[name]!) as Json;
    const statements = policy.Statement as Json[];
    const withAction = (action: string, resource: unknown, condition?: Json) => ({ Effect: "Allow", Action: action, Resource: resource, ...(condition ? { Condition: condition } : {}) });
    const objectArn = (statements.map((s) => [s.Resource].flat()).flat() as string[]).find((arn) => /^arn:aws:s3:::[^/]+\/.+/.test(arn))!;
    const mutated = {
      misspelled: JSON.stringify({ ...policy, Statement: [...statements, withAction("s3:GetObjects", objectArn)] }),
      wrongType: JSON.stringify({ ...policy, Statement: [...statements, withAction("s3:ListBucket", objectArn)] }),
      unknownKey: JSON.stringify({ ...policy, Statement: [...statements, withAction("s3:GetObject", objectArn, { StringEquals: { "sqs:QueueUrl": "x" } })] }),
      starResource: JSON.stringify({ ...policy, Statement: [...statements, withAction("s3:GetObject", "*")] }),
    };
    const found = await lint(mutated);
    const issues = (document: string) => found.filter((f) => f.document === document).map((f) => f.issue);
    expect(issues("misspelled")).toContain("UNKNOWN_ACTION");
    expect(issues("wrongType")).toContain("RESOURCE_MISMATCH");
    expect(issues("unknownKey")).toContain("UNKNOWN_CONDITION_FOR_ACTION");
    // "*" for an action that takes a resource type (terraform.test.ts allows "*" only for a list of actions that take none).
    expect(issues("starResource")).toContain("RESOURCE_STAR");
    expect(found.filter((f) => !["UNKNOWN_ACTION", "RESOURCE_MISMATCH", "UNKNOWN_CONDITION_FOR_ACTION", "RESOURCE_STAR"].includes(f.issue))).toEqual([]);
  });
});
