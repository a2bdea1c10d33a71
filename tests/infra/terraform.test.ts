/**
 * Proof for infra/: every .tf parses with a real HCL parser; module wiring is consistent (variables referenced
 * exist, module arguments are declared variables, required variables are passed, consumed outputs exist, every
 * referenced resource/data/local is declared); IAM is least privilege; the generated inputs the modules read exist
 * and have the fields the modules use.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "@cdktf/hcl2json";
import { allStrings, policyStatements, readTerraformDir, referencesIn, terraformDirs, type Hcl, type TerraformDir } from "../helpers/terraform.js";
import { DEFINITION_PLACEHOLDERS } from "../../generators/targets/step-functions/emit.js";
import { DEFAULT_MAX_QUARANTINE_RATIO, GLUE_JOB_OPTIONS } from "../../generators/targets/glue-jobs.js";

const root = resolve(import.meta.dirname, "../..");
const META_ARGUMENTS = new Set(["source", "version", "providers", "count", "for_each", "depends_on"]);

/**
 * Actions that have no resource-level permissions, so AWS requires `"Resource": "*"` (Service Authorization
 * Reference, "Resource types" column empty). Nothing else may use a `*` resource. The list is checked against that
 * reference by parliament in iam-policies.test.ts: "*" for an action that takes a resource type is RESOURCE_STAR
 * there, and an action that takes none given anything but "*" is RESOURCE_MISMATCH.
 */
const ACTIONS_WITHOUT_RESOURCE_TYPES = new Set([
  "cloudwatch:PutMetricData",
  "glue:CreateSecurityConfiguration",
  "glue:GetSecurityConfiguration",
  "kms:ListAliases",
  "logs:CreateLogDelivery",
  "logs:DeleteLogDelivery",
  "logs:DescribeLogGroups",
  "logs:DescribeResourcePolicies",
  "logs:GetLogDelivery",
  "logs:ListLogDeliveries",
  "logs:PutResourcePolicy",
  "logs:UpdateLogDelivery",
  "quicksight:CreateDataSource",
  "sns:GetSubscriptionAttributes",
  "sns:Unsubscribe",
  "xray:GetSamplingRules",
  "xray:GetSamplingTargets",
  "xray:PutTelemetryRecords",
  "xray:PutTraceSegments",
]);

/**
 * Policy documents used as a KMS key policy (`aws_kms_key.policy`). There `"Resource": "*"` means the key itself,
 * and AWS's default statement gives the account root `kms:*` so that IAM policies decide
 * (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
 */
function keyPolicyNames(dir: TerraformDir): Set<string> {
  const names = new Set<string>();
  for (const key of Object.values(dir.resources.aws_kms_key ?? {})) {
    const m = /^\$\{data\.aws_iam_policy_document\.([\w-]+)\.json\}$/.exec(String(key.policy ?? ""));
    if (m) names.add(m[1]!);
  }
  return names;
}

/** A statement field is a list literal or one expression string. */
function list(value: unknown): string[] {
  return value === undefined ? [] : Array.isArray(value) ? (value as string[]) : [value as string];
}

/** Terraform's built-in functions (https://developer.hashicorp.com/terraform/language/functions). */
const BUILTIN_FUNCTIONS = new Set(
  (
    "abs abspath alltrue anytrue base64decode base64encode base64gzip base64sha256 base64sha512 basename bcrypt can ceil chomp " +
    "chunklist cidrhost cidrnetmask cidrsubnet cidrsubnets coalesce coalescelist compact concat contains csvdecode dirname distinct " +
    "element endswith file filebase64 filebase64sha256 filebase64sha512 fileexists filemd5 fileset filesha1 filesha256 filesha512 " +
    "flatten floor format formatdate formatlist indent index issensitive join jsondecode jsonencode keys length log lookup lower " +
    "matchkeys max md5 merge min nonsensitive one parseint pathexpand plantimestamp pow range regex regexall replace reverse " +
    "rsadecrypt sensitive setintersection setproduct setsubtract setunion sha1 sha256 sha512 signum slice sort split startswith " +
    "strcontains strrev substr sum templatefile templatestring textdecodebase64 textencodebase64 timeadd timecmp timestamp title " +
    "tobool tolist tomap tonumber toset tostring transpose trim trimprefix trimspace trimsuffix try type upper urlencode uuid " +
    "uuidv5 values yamldecode yamlencode zipmap " +
    // type constraints of variables
    "list map object set tuple optional"
  ).split(" "),
);

let dirs: TerraformDir[];
const byDir = new Map<string, TerraformDir>();

beforeAll(async () => {
  dirs = [];
  for (const dir of terraformDirs(root, "infra")) {
    const parsed = await readTerraformDir(root, dir);
    dirs.push(parsed);
    byDir.set(dir, parsed);
  }
});

describe("infra/: HCL", () => {
  it("finds the root, the bootstrap and the five modules", () => {
    expect(dirs.map((d) => d.dir)).toEqual([
      "infra",
      "infra/bootstrap",
      "infra/modules/github-deploy",
      "infra/modules/pipeline",
      "infra/modules/quicksight",
      "infra/modules/snowflake-access",
      "infra/modules/storage",
    ]);
  });

  it("the parser rejects broken HCL (the parse check can fail)", async () => {
    await expect(parse("broken.tf", 'resource "aws_s3_bucket" "b" {\n  bucket = "x"\n')).rejects.toThrow();
  });

  it("declares a description and a type for every variable, a description for every output", () => {
    for (const dir of dirs) {
      for (const [name, variable] of Object.entries(dir.variables)) {
        expect(variable.description, `${dir.dir}: variable ${name}`).toBeTruthy();
        expect(variable.type, `${dir.dir}: variable ${name}`).toBeTruthy();
      }
      for (const [name, output] of Object.entries(dir.outputs)) expect(output.description, `${dir.dir}: output ${name}`).toBeTruthy();
    }
  });
});

describe("infra/: wiring", () => {
  it("every var./local./data./resource reference is declared, and every variable is used", () => {
    const problems: string[] = [];
    for (const dir of dirs) {
      const refs = referencesIn(dir);
      for (const v of refs.variables) if (!(v in dir.variables)) problems.push(`${dir.dir}: var.${v} is not declared`);
      for (const v of Object.keys(dir.variables)) if (!refs.variables.has(v)) problems.push(`${dir.dir}: variable ${v} is never used`);
      for (const l of refs.locals) if (!dir.locals.has(l)) problems.push(`${dir.dir}: local.${l} is not declared`);
      for (const d of refs.data) {
        const [type, name] = d.split(".") as [string, string];
        if (!dir.data[type]?.[name]) problems.push(`${dir.dir}: data.${d} is not declared`);
      }
      for (const r of refs.resources) {
        const [type, name] = r.split(".") as [string, string];
        if (!dir.resources[type]?.[name]) problems.push(`${dir.dir}: ${r} is not declared`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("calls only Terraform's built-in functions", () => {
    const unknown = new Set<string>();
    let calls = 0;
    for (const dir of dirs) {
      for (const text of dir.bodies.flatMap((b) => allStrings(b)).filter((t) => t.includes("${"))) {
        for (const m of text.matchAll(/(?<![\w.$"-])([a-z][a-z0-9_]*)\(/g)) {
          calls++;
          if (!BUILTIN_FUNCTIONS.has(m[1]!)) unknown.add(`${dir.dir}: ${m[1]}()`);
        }
      }
    }
    expect(calls).toBeGreaterThan(20);
    expect([...unknown]).toEqual([]);
  });

  it("every module call passes declared variables, all required ones, and consumes only declared outputs", () => {
    const problems: string[] = [];
    for (const dir of dirs) {
      for (const [name, call] of Object.entries(dir.modules)) {
        const target = byDir.get(join(dir.dir, call.source as string).split("\\").join("/"));
        if (!target) {
          problems.push(`${dir.dir}: module ${name} source ${call.source} has no .tf files`);
          continue;
        }
        const passed = Object.keys(call).filter((k) => !META_ARGUMENTS.has(k));
        for (const arg of passed) if (!(arg in target.variables)) problems.push(`${dir.dir}: module ${name} passes ${arg}, not a variable of ${target.dir}`);
        for (const [v, decl] of Object.entries(target.variables)) {
          if (!("default" in decl) && !passed.includes(v)) problems.push(`${dir.dir}: module ${name} does not pass required ${v}`);
        }
      }
      for (const ref of referencesIn(dir).moduleOutputs) {
        const [name, output] = ref.split(".") as [string, string];
        const call = dir.modules[name];
        const target = call && byDir.get(join(dir.dir, call.source as string).split("\\").join("/"));
        if (!target) problems.push(`${dir.dir}: module.${ref} refers to an unknown module`);
        else if (!(output in target.outputs)) problems.push(`${dir.dir}: module.${ref} is not an output of ${target.dir}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("reads the generated inputs, and every field the pipeline module uses exists in them", () => {
    const main = readFileSync(join(root, "infra/main.tf"), "utf8");
    expect(main).toContain('file("${local.repository_root}/generated/terraform/contracts.json")');
    const inputs = JSON.parse(readFileSync(join(root, "generated/terraform/contracts.json"), "utf8"));
    const dataset = Object.values(inputs.datasets)[0] as Hcl;
    const job = { ...dataset.glue_jobs.clean, dataset: "x", contract: dataset.contract };
    const pipeline = readFileSync(join(root, "infra/modules/pipeline/main.tf"), "utf8");
    const used = [...pipeline.matchAll(/\b(?:dataset|each\.value)\.([a-z_]+(?:\.[a-z_]+)*)/g)].map((m) => m[1]!);
    expect(used.length).toBeGreaterThan(10);
    const has = (object: Hcl, path: string) => path.split(".").every((key) => (object = object?.[key]) !== undefined);
    // `each.value` of aws_s3_bucket resources etc. is a bucket; only generator fields are checked here.
    const generatorFields = used.filter((p) => !["arn", "id", "name"].includes(p));
    // local.execution_alarms: a dataset's state machine name with one metric of local.execution_alarm_metrics.
    const executionAlarm = { dataset: "x", state_machine: dataset.state_machine.name, suffix: "executions-failed", metric: "ExecutionsFailed" };
    for (const path of generatorFields) expect(has(dataset, path) || has(job, path) || has(executionAlarm, path), path).toBe(true);
    for (const d of Object.values(inputs.datasets) as Hcl[]) expect(existsSync(join(root, d.state_machine.definition_file))).toBe(true);
  });

  it("fills the state machine template with exactly the placeholders the generator emits (topic ARN, partition)", () => {
    const pipeline = readFileSync(join(root, "infra/modules/pipeline/main.tf"), "utf8");
    const asl = readFileSync(join(root, "generated/step-functions/review.asl.json"), "utf8");
    const placeholders = [...asl.matchAll(/\$\{([a-z_]+)\}/g)].map((m) => m[1]);
    expect([...new Set(placeholders)].sort()).toEqual([...DEFINITION_PLACEHOLDERS]);
    const vars = /templatefile\([^)]*\{([^}]*)\}\)/.exec(pipeline)?.[1] ?? "";
    const names = [...vars.matchAll(/^\s*(\w+)\s*=/gm)].map((m) => m[1]);
    expect(names.sort()).toEqual([...DEFINITION_PLACEHOLDERS]);
    expect(vars).toMatch(/^\s*partition\s*=\s*data\.aws_partition\.current\.partition\s*$/m);
  });

  it("keeps S3 notifications in one resource per bucket (EventBridge on raw, Snowflake SQS on processed)", () => {
    const storage = byDir.get("infra/modules/storage")!;
    const all = dirs.flatMap((d) => Object.keys(d.resources.aws_s3_bucket_notification ?? {}));
    expect(all).toEqual(["this"]);
    const notification = storage.resources.aws_s3_bucket_notification!.this!;
    expect(notification.for_each).toBe("${local.notified_buckets}");
    expect(notification.eventbridge).toBe('${each.value == "raw"}');
    expect(notification.dynamic.queue[0].content[0].events).toEqual(["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]);
  });

  it("uses an S3 backend with DynamoDB locking, without hard-coded values", () => {
    const versions = byDir.get("infra")!.bodies.find((b) => b.terraform)!;
    expect(Object.keys(versions.terraform[0].backend)).toEqual(["s3"]);
    expect(versions.terraform[0].backend.s3).toEqual([{}]);
    const example = readFileSync(join(root, "infra/backend.hcl.example"), "utf8");
    expect(example).toMatch(/^dynamodb_table\s*=/m);
    expect(example).not.toMatch(/\d{12}/);
  });
});

describe("infra/: provider versions", () => {
  /** `{ dir, name, source, version }` of every required_providers entry, in every directory that has any. */
  const requiredProviders = () =>
    dirs.flatMap((dir) =>
      dir.bodies.flatMap((body) =>
        ((body.terraform ?? []) as Hcl[]).flatMap((block) =>
          ((block.required_providers ?? []) as Hcl[]).flatMap((providers) =>
            Object.entries(providers).map(([name, spec]) => ({ dir: dir.dir, name, source: String((spec as Hcl).source), version: String((spec as Hcl).version) })),
          ),
        ),
      ),
    );

  it("pins every provider to one exact version, the same in the root and the bootstrap", () => {
    const providers = requiredProviders();
    // The root and the bootstrap are the two configurations that are applied; modules inherit the root's provider.
    expect(new Set(providers.map((p) => p.dir))).toEqual(new Set(["infra", "infra/bootstrap"]));
    for (const provider of providers) {
      // "~> 5.81", ">= 5.0" or no version at all let `terraform init` pick whichever release is newest that day.
      expect(provider.version, `${provider.dir}: provider "${provider.name}"`).toMatch(/^\d+\.\d+\.\d+$/);
    }
    const bySource = new Map<string, Set<string>>();
    for (const p of providers) bySource.set(p.source, (bySource.get(p.source) ?? new Set()).add(p.version));
    for (const [source, versions] of bySource) expect([...versions], source).toHaveLength(1);
  });

  it("the committed .terraform.lock.hcl of the root and of the bootstrap records the pinned version of each provider, with the deploy runner's h1 and the release's zh hashes", async () => {
    for (const dir of ["infra", "infra/bootstrap"]) {
      const lockPath = join(root, dir, ".terraform.lock.hcl");
      expect(existsSync(lockPath), `${dir}/.terraform.lock.hcl is committed (infra/README, "Provider lock")`).toBe(true);
      const lock = (await parse(lockPath, readFileSync(lockPath, "utf8"))) as Hcl;
      for (const p of requiredProviders().filter((p) => p.dir === dir)) {
        const locked = (lock.provider?.[`registry.terraform.io/${p.source}`] as Hcl[] | undefined)?.[0];
        expect(locked?.version, `${dir}/.terraform.lock.hcl: ${p.source}`).toBe(p.version);
        const hashes = (locked?.hashes as string[] | undefined) ?? [];
        // One h1 (linux_amd64's, the deploy runner's; the Terraform tests' init checks the tested build against it)
        // and the release's package checksums for every platform.
        expect(hashes.filter((h) => /^h1:[A-Za-z0-9+/]{43}=$/.test(h)).length, `${dir}: h1 hashes`).toBeGreaterThanOrEqual(1);
        expect(hashes.filter((h) => /^zh:[0-9a-f]{64}$/.test(h)).length, `${dir}: zh hashes`).toBeGreaterThanOrEqual(10);
      }
    }
    expect(readFileSync(join(root, "infra/bootstrap/.terraform.lock.hcl"), "utf8")).toBe(readFileSync(join(root, "infra/.terraform.lock.hcl"), "utf8"));
  });
});

describe("infra/: IAM least privilege", () => {
  it("has no * action, wildcard actions only in the documented TLS deny, * resources only where AWS requires", () => {
    const problems: string[] = [];
    let count = 0;
    let keyPolicies = 0;
    for (const dir of dirs) {
      const keyPolicyDocs = keyPolicyNames(dir);
      for (const { where, statement } of policyStatements(dir)) {
        count++;
        const effect = statement.effect ?? "Allow";
        const actions = list(statement.actions);
        const resources = list(statement.resources);
        const principals = (statement.principals ?? []) as Hcl[];
        const isKeyPolicy = keyPolicyDocs.has(where.replace(/^.*data\.aws_iam_policy_document\.([\w-]+).*$/, "$1"));
        if (isKeyPolicy) keyPolicies++;
        // Only the account root, in the statement that hands the key to IAM, may hold kms:*.
        const delegatesToIam =
          isKeyPolicy &&
          effect === "Allow" &&
          statement.sid === "EnableIamPolicies" &&
          principals.length === 1 &&
          principals[0]!.type === "AWS" &&
          (principals[0]!.identifiers as string[]).length === 1 &&
          /^arn:\$\{data\.aws_partition\.current\.partition\}:iam::\$\{local\.account_id\}:root$/.test((principals[0]!.identifiers as string[])[0]!);
        if (statement.not_actions || statement.not_resources) problems.push(`${where}: NotAction/NotResource`);
        if (actions.length === 0) problems.push(`${where}: statement without actions`);
        for (const action of actions) {
          if (action === "*") problems.push(`${where}: action "*"`);
          else if (action === "kms:*" && delegatesToIam) continue;
          else if (action.includes("*") && !(effect === "Deny" && action === "s3:*" && statement.sid === "DenyInsecureTransport")) {
            problems.push(`${where}: wildcard action ${action}`);
          }
        }
        // In a key policy, the other statements are for AWS services and must be scoped by a condition.
        if (isKeyPolicy && !delegatesToIam) {
          if (principals.some((p) => p.type !== "Service")) problems.push(`${where}: key policy statement ${statement.sid} for a non-service principal`);
          if (!statement.condition) problems.push(`${where}: key policy statement ${statement.sid} without a condition`);
        }
        // A computed list (`${...}`) is opaque except for a literal "*" element written inside it.
        const starResource = resources.some((r) => r === "*" || (r.startsWith("${") && /"\*"/.test(r)));
        if (effect === "Allow" && starResource && !isKeyPolicy) {
          const unjustified = actions.filter((a) => !ACTIONS_WITHOUT_RESOURCE_TYPES.has(a));
          if (unjustified.length > 0) problems.push(`${where}: "*" resource for ${unjustified.join(", ")}`);
        }
        for (const principal of (statement.principals ?? []) as Hcl[]) {
          if (effect === "Allow" && (principal.identifiers as string[]).includes("*")) problems.push(`${where}: Allow to principal *`);
        }
      }
    }
    expect(count).toBeGreaterThan(30);
    expect(keyPolicies).toBeGreaterThan(3);
    expect(problems).toEqual([]);
  });

  it("writes no policy JSON by hand and attaches no managed policy to a platform role", () => {
    for (const dir of dirs) {
      for (const file of dir.files) {
        const text = readFileSync(join(root, dir.dir, file), "utf8");
        expect(text, `${dir.dir}/${file}`).not.toMatch(/"?Statement"?\s*[=:]/);
        expect(text, `${dir.dir}/${file}`).not.toMatch(/arn:aws:iam::aws:policy/);
      }
      // The managed policies: the platform roles' permissions boundary (never attached as a permission), and the
      // Airflow DAG's two, for the Airflow deployment's role (outside this platform): the failure alert and the
      // QuickSight refresh, attached to it, and to nothing else, by one resource of the root, only when its name is given.
      const managed: Record<string, string[]> = {
        "infra/modules/github-deploy": ["platform_boundary"],
        "infra/modules/pipeline": ["airflow_failure_alert"],
        "infra/modules/quicksight": ["refresh"],
      };
      expect(Object.keys(dir.resources.aws_iam_policy ?? {}), dir.dir).toEqual(managed[dir.dir] ?? []);
      if (dir.dir !== "infra") expect(dir.resources.aws_iam_role_policy_attachment, dir.dir).toBeUndefined();
    }
    const attachments = byDir.get("infra")!.resources.aws_iam_role_policy_attachment!;
    expect(Object.keys(attachments)).toEqual(["airflow"]);
    expect(attachments.airflow).toMatchObject({ role: "${var.airflow_role_name}", policy_arn: "${each.value}" });
    expect(String(attachments.airflow!.for_each).replace(/\s+/g, " ")).toBe(
      '${var.airflow_role_name == "" ? {} : merge( { failure_alert = module.pipeline.airflow_failure_alert_policy_arn }, var.enable_quicksight ? { quicksight_refresh = module.quicksight[0].refresh_policy_arn } : {}, )}',
    );
  });

  it("lets the Airflow DAG publish its failure alerts to the failure topic only, with the data key only for that topic", () => {
    const pipeline = byDir.get("infra/modules/pipeline")!;
    const statements = pipeline.data.aws_iam_policy_document!.airflow_failure_alert!.statement as Hcl[];
    expect(statements.map((s) => [s.sid, s.actions, s.resources])).toEqual([
      ["PublishFailureAlerts", ["sns:Publish"], ["${aws_sns_topic.failures.arn}"]],
      ["EncryptFailureAlerts", ["kms:Decrypt", "kms:GenerateDataKey"], ["${var.kms_key_arn}"]],
    ]);
    // The topic is encrypted with the data key (the buckets' key too): usable only when SNS asks for this topic.
    expect(pipeline.resources.aws_sns_topic!.failures!.kms_master_key_id).toBe("${var.kms_key_arn}");
    expect(statements[1]!.condition).toEqual([{ test: "StringEquals", variable: "kms:EncryptionContext:aws:sns:topicArn", values: ["${aws_sns_topic.failures.arn}"] }]);
    // The state machine's role publishes the failure notifications with the same key, under the same condition.
    const machine = pipeline.data.aws_iam_policy_document!.step_functions!.statement as Hcl[];
    const kms = machine.filter((s) => (s.actions as string[]).some((a) => a.startsWith("kms:")));
    expect(kms.map((s) => [s.sid, s.actions, s.resources, s.condition])).toEqual([
      ["EncryptNotifications", ["kms:Decrypt", "kms:GenerateDataKey"], ["${var.kms_key_arn}"], [{ test: "StringEquals", variable: "kms:EncryptionContext:aws:sns:topicArn", values: ["${aws_sns_topic.failures.arn}"] }]],
    ]);
    expect(pipeline.resources.aws_iam_policy!.airflow_failure_alert).toMatchObject({
      name: "${var.airflow_failure_alert_policy_name}",
      policy: "${data.aws_iam_policy_document.airflow_failure_alert.json}",
    });
    const root = byDir.get("infra")!;
    expect(root.outputs.airflow_failure_alert_policy_arn!.value).toBe("${module.pipeline.airflow_failure_alert_policy_arn}");
    expect(root.modules.pipeline!.airflow_failure_alert_policy_name).toBe("${local.airflow_failure_alert_policy_name}");
    expect(root.variables.airflow_role_name!.default).toBe("");
    // The deploy role reads both policies and the role's attachments; an administrator writes and attaches them.
    const deploy = byDir.get("infra/modules/github-deploy")!.data.aws_iam_policy_document!.deploy!;
    const read = (deploy.statement as Hcl[]).find((s) => s.sid === "ReadAirflowPolicies")!;
    expect(read).toMatchObject({ actions: ["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions"], resources: '${[for name in var.airflow_policy_names : "${local.arn_prefix}:iam::${var.account_id}:policy/${name}"]}' });
    expect(root.modules.github_deploy).toMatchObject({ airflow_policy_names: "${local.airflow_policy_names}", airflow_role_name: "${var.airflow_role_name}" });
  });

  it("has one role per actor", () => {
    const roles = dirs.flatMap((d) => Object.keys(d.resources.aws_iam_role ?? {}).map((n) => `${d.dir.replace("infra/modules/", "")}.${n}`)).sort();
    expect(roles).toEqual(["github-deploy.deploy", "pipeline.eventbridge", "pipeline.glue", "pipeline.step_functions", "snowflake-access.snowflake"]);
  });

  it("lets only this repository's deployment environment assume the deploy role, for the STS audience", () => {
    const deploy = byDir.get("infra/modules/github-deploy")!;
    const trust = deploy.data.aws_iam_policy_document!.trust!.statement[0];
    expect(trust.actions).toEqual(["sts:AssumeRoleWithWebIdentity"]);
    const conditions = Object.fromEntries((trust.condition as Hcl[]).map((c) => [c.variable, c]));
    expect(conditions["${local.oidc_host}:aud"]).toMatchObject({ test: "StringEquals", values: ["sts.amazonaws.com"] });
    expect(conditions["${local.oidc_host}:sub"]).toMatchObject({ test: "StringEquals", values: ["${local.subject}"] });
    const main = readFileSync(join(root, "infra/modules/github-deploy/main.tf"), "utf8");
    // A job that names an environment gets the subject repo:<org>/<repo>:environment:<name> (GitHub's OIDC docs);
    // the deploy job names one, so the branch form would never match (tests/ci/workflows.test.ts checks the name).
    expect(main).toContain('subject           = "repo:${var.github_org}/${var.github_repo}:environment:${var.github_environment}"');
    const variables = readFileSync(join(root, "infra/modules/github-deploy/variables.tf"), "utf8");
    expect(variables).toMatch(/variable "github_environment" \{[^}]*default\s+= "production"/);
    expect(main).toContain('oidc_host         = "token.actions.githubusercontent.com"');
  });

  it("keeps the deploy role from changing itself: the roles it manages exclude it, and of its own role it may only read", () => {
    const deploy = byDir.get("infra/modules/github-deploy")!;
    const main = readFileSync(join(root, "infra/modules/github-deploy/main.tf"), "utf8");
    expect(main).toMatch(/role_arns\s+= \[for name in var\.managed_role_names : "[^"]+" if name != var\.role_name\]/);
    const statements = deploy.data.aws_iam_policy_document!.deploy!.statement as Hcl[];
    const own = statements.filter((st) => JSON.stringify(st.resources).includes("own_role_arn"));
    expect(own.map((st) => st.sid)).toEqual(["ReadOwnRole"]);
    expect((own[0]!.actions as string[]).every((a) => /^iam:(Get|List)/.test(a))).toBe(true);
    // The root module passes every role name, the deploy role's among them, and the deploy role's own name.
    const call = byDir.get("infra")!.modules.github_deploy!;
    expect([call.role_name, call.managed_role_names]).toEqual(["${local.role_names.deploy}", "${values(local.role_names)}"]);
  });

  it("grants the deploy role what the pinned provider calls beyond create, update and delete", () => {
    const deploy = byDir.get("infra/modules/github-deploy")!;
    const statements = deploy.data.aws_iam_policy_document!.deploy!.statement as Hcl[];
    const bySid = (sid: string) => statements.find((st) => st.sid === sid) ?? expect.fail(`no statement ${sid}`);
    // A state machine's refresh lists its versions (provider 5.11 and later, hashicorp/terraform-provider-aws#32969):
    // without it every plan after the first apply fails.
    expect(bySid("ManageStateMachines").actions).toContain("states:ListStateMachineVersions");
    expect(bySid("ManageStateMachines").resources).toBe("${local.machine_arns}");
    // A changed definition is validated at plan time (5.67 and later), authorized on the account's `stateMachine:*`.
    expect(bySid("ValidateStateMachineDefinitions")).toMatchObject({
      actions: ["states:ValidateStateMachineDefinition"],
      resources: ["${local.arn_prefix}:states:${var.region}:${var.account_id}:stateMachine:*"],
    });
    // The scripts bucket is versioned: a script no longer generated is deleted with every version of it.
    expect(bySid("UploadGlueScripts").actions).toContain("s3:DeleteObjectVersion");
    expect(bySid("ListGlueScriptVersions")).toMatchObject({
      actions: ["s3:ListBucketVersions"],
      resources: ["${local.arn_prefix}:s3:::${var.scripts_bucket_name}"],
      condition: [{ test: "StringLike", variable: "s3:prefix", values: ["glue/*"] }],
    });
    const storage = readFileSync(join(root, "infra/modules/storage/main.tf"), "utf8");
    expect(storage, "the scripts bucket is versioned").toMatch(/versioned_buckets = \{[^}]*contains\(\[[^\]]*"scripts"/);
    // CloudWatch Logs authorizes most log-group actions on `log-group:<name>:*`, the tag actions on the plain ARN: both.
    const main = readFileSync(join(root, "infra/modules/github-deploy/main.tf"), "utf8");
    expect(main).toMatch(/log-group:\$\{name\}",\n\s+"[^"]+:log-group:\$\{name\}:\*",/);
    expect(bySid("ManageLogGroups").resources).toBe("${local.log_group_arns}");
  });

  it("bounds every role the deploy role manages, and lets it create or write roles only with that boundary", () => {
    // A role that may write another role's policy and trust, without a boundary, can make that role an administrator
    // that trusts it. Every platform role carries the boundary the deploy module creates.
    const boundary = "${var.permissions_boundary_arn}";
    const bounded = dirs.flatMap((d) =>
      Object.entries(d.resources.aws_iam_role ?? {}).map(([name, role]) => [`${d.dir.replace("infra/modules/", "")}.${name}`, role.permissions_boundary] as const),
    );
    expect(bounded.filter(([name]) => name !== "github-deploy.deploy").sort()).toEqual(
      ["pipeline.eventbridge", "pipeline.glue", "pipeline.step_functions", "snowflake-access.snowflake"].map((name) => [name, boundary]).sort(),
    );
    const root = byDir.get("infra")!;
    expect(root.modules.pipeline!.permissions_boundary_arn).toBe("${module.github_deploy.platform_boundary_arn}");
    expect(root.modules.snowflake_access!.permissions_boundary_arn).toBe("${module.github_deploy.platform_boundary_arn}");
    const deploy = byDir.get("infra/modules/github-deploy")!;
    expect(deploy.outputs.platform_boundary_arn!.value).toBe("${aws_iam_policy.platform_boundary.arn}");
    expect(deploy.resources.aws_iam_policy!.platform_boundary!.policy).toBe("${data.aws_iam_policy_document.platform_boundary.json}");

    const statements = deploy.data.aws_iam_policy_document!.deploy!.statement as Hcl[];
    const actions = statements.flatMap((st) => list(st.actions));
    // Trust changes, boundary removal or replacement, managed policies and policy versions are an administrator's.
    for (const forbidden of [
      "iam:UpdateAssumeRolePolicy", "iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary", "iam:AttachRolePolicy",
      "iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion",
    ]) {
      expect(actions, forbidden).not.toContain(forbidden);
    }
    const writes = new Set(["iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy"]);
    const writing = statements.filter((st) => list(st.actions).some((a) => writes.has(a)));
    expect(writing.map((st) => st.sid)).toEqual(["WriteBoundedPlatformRoles"]);
    for (const st of writing) {
      expect(st.condition, st.sid).toEqual([
        { test: "StringEquals", variable: "iam:PermissionsBoundary", values: ["${aws_iam_policy.platform_boundary.arn}"] },
      ]);
      expect(st.resources).toBe("${local.role_arns}");
    }
    // Of the boundary the deploy role may only read.
    const onBoundary = statements.filter((st) => JSON.stringify(st.resources).includes("aws_iam_policy.platform_boundary"));
    expect(onBoundary.map((st) => st.sid)).toEqual(["ReadPlatformBoundary"]);
    expect(list(onBoundary[0]!.actions).every((a) => /^iam:(Get|List)/.test(a))).toBe(true);
    // The boundary itself grants no IAM, STS or Organizations action.
    const capped = (deploy.data.aws_iam_policy_document!.platform_boundary!.statement as Hcl[]).flatMap((st) => list(st.actions));
    expect(capped.length).toBeGreaterThan(10);
    expect(capped.filter((a) => /^(iam|sts|organizations):/.test(a))).toEqual([]);
  });

  it("trusts Snowflake's IAM user only with the external id, and gives it read-only access", () => {
    const snowflake = byDir.get("infra/modules/snowflake-access")!;
    const trust = snowflake.data.aws_iam_policy_document!.trust!.statement[0];
    expect(trust.condition[0]).toMatchObject({ test: "StringEquals", variable: "sts:ExternalId", values: ["${var.external_id}"] });
    const actions = (snowflake.data.aws_iam_policy_document!.read_processed!.statement as Hcl[]).flatMap((s) => s.actions as string[]);
    expect(actions.sort()).toEqual(["kms:Decrypt", "s3:GetBucketLocation", "s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"]);
  });

  it("lets EventBridge start only the state machines, and Step Functions run only the pipeline's Glue jobs", () => {
    const pipeline = byDir.get("infra/modules/pipeline")!;
    const docs = pipeline.data.aws_iam_policy_document!;
    expect(docs.eventbridge!.statement).toEqual([
      { sid: "StartPipelineExecutions", actions: ["states:StartExecution"], resources: "${[for machine in aws_sfn_state_machine.this : machine.arn]}" },
    ]);
    const glueRun = (docs.step_functions!.statement as Hcl[]).find((s) => s.sid === "RunPipelineGlueJobs")!;
    expect(glueRun.resources).toBe("${[for job in aws_glue_job.this : job.arn]}");
  });
});

describe("infra/: undelivered events (EventBridge dead-letter queues)", () => {
  it("gives each rule's target a dead-letter queue of its own dataset, next to the retry policy", () => {
    const pipeline = byDir.get("infra/modules/pipeline")!;
    const target = pipeline.resources.aws_cloudwatch_event_target!.state_machine!;
    expect(target.for_each).toBe("${var.datasets}");
    expect(target.dead_letter_config).toEqual([{ arn: "${aws_sqs_queue.undelivered_events[each.key].arn}" }]);
    expect(target.retry_policy).toEqual([{ maximum_event_age_in_seconds: 86400, maximum_retry_attempts: 185 }]);
    // The queue accepts EventBridge's messages before the target can send any there.
    expect(target.depends_on).toEqual(["${aws_sqs_queue_policy.undelivered_events}"]);
  });

  it("encrypts each queue with SSE-SQS (no KMS key to open to EventBridge) and keeps messages 14 days, the maximum", () => {
    const pipeline = byDir.get("infra/modules/pipeline")!;
    expect(Object.keys(pipeline.resources.aws_sqs_queue ?? {})).toEqual(["undelivered_events"]);
    const queue = pipeline.resources.aws_sqs_queue!.undelivered_events!;
    expect(queue.for_each).toBe("${var.datasets}");
    expect(queue.name).toBe("${each.value.event_rule.name}-dlq");
    expect(queue.sqs_managed_sse_enabled).toBe(true);
    expect(queue.kms_master_key_id).toBeUndefined();
    expect(queue.message_retention_seconds).toBe(14 * 24 * 3600);
    // EventBridge dead-letter queues must be standard queues (eb-rule-dlq.html).
    expect(queue.fifo_queue).toBeUndefined();
  });

  it("lets only events.amazonaws.com send to a queue, and only for that dataset's rule (aws:SourceArn)", () => {
    const pipeline = byDir.get("infra/modules/pipeline")!;
    const queuePolicies = dirs.flatMap((d) => Object.keys(d.resources.aws_sqs_queue_policy ?? {}).map((n) => `${d.dir}.${n}`));
    expect(queuePolicies).toEqual(["infra/modules/pipeline.undelivered_events"]);
    const queuePolicy = pipeline.resources.aws_sqs_queue_policy!.undelivered_events!;
    expect(queuePolicy.for_each).toBe("${var.datasets}");
    expect(queuePolicy.queue_url).toBe("${aws_sqs_queue.undelivered_events[each.key].id}");
    expect(queuePolicy.policy).toBe("${data.aws_iam_policy_document.undelivered_events[each.key].json}");
    const doc = pipeline.data.aws_iam_policy_document!.undelivered_events!;
    expect(doc.for_each).toBe("${var.datasets}");
    expect(doc.statement).toEqual([
      {
        sid: "EventBridgeDeadLetters",
        actions: ["sqs:SendMessage"],
        resources: ["${aws_sqs_queue.undelivered_events[each.key].arn}"],
        principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
        condition: [{ test: "ArnEquals", variable: "aws:SourceArn", values: ["${aws_cloudwatch_event_rule.raw_object_created[each.key].arn}"] }],
      },
    ]);
  });

  it("passes the clean jobs --max_quarantine_ratio from a validated variable whose default is the jobs' own", () => {
    const root = byDir.get("infra")!;
    const variable = root.variables.max_quarantine_ratio!;
    expect([variable.type, variable.default]).toEqual(["${number}", DEFAULT_MAX_QUARANTINE_RATIO]);
    expect(JSON.stringify(variable.validation)).toContain("var.max_quarantine_ratio >= 0 && var.max_quarantine_ratio <= 1");
    expect(root.modules.pipeline!.max_quarantine_ratio).toBe("${var.max_quarantine_ratio}");
    const job = byDir.get("infra/modules/pipeline")!.resources.aws_glue_job!.this!;
    // Only the clean job takes it (the flatten job has no such argument).
    expect(String(job.default_arguments)).toContain('each.value.name == var.datasets[each.value.dataset].glue_jobs.clean.name ? { "--max_quarantine_ratio" = tostring(var.max_quarantine_ratio) } : {}');
    expect(Object.keys(GLUE_JOB_OPTIONS.clean)).toEqual(["max_quarantine_ratio"]);
    expect(Object.keys(GLUE_JOB_OPTIONS.flatten)).toEqual([]);
  });

  it("alarms on any visible message in a queue and notifies the failure topic", () => {
    const pipeline = byDir.get("infra/modules/pipeline")!;
    expect(Object.keys(pipeline.resources.aws_cloudwatch_metric_alarm ?? {})).toEqual(["state_machine_executions", "undelivered_events"]);
    const alarm = pipeline.resources.aws_cloudwatch_metric_alarm!.undelivered_events!;
    expect(alarm).toMatchObject({
      for_each: "${var.datasets}",
      alarm_name: "${each.value.event_rule.name}-dlq-not-empty",
      namespace: "AWS/SQS",
      metric_name: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: "${aws_sqs_queue.undelivered_events[each.key].name}" },
      statistic: "Maximum",
      comparison_operator: "GreaterThanThreshold",
      threshold: 0,
      evaluation_periods: 1,
      actions_enabled: true,
      alarm_actions: ["${aws_sns_topic.failures.arn}"],
    });
    // The failure topic is encrypted with the data key, whose policy lets CloudWatch use it for that topic only.
    const topic = pipeline.resources.aws_sns_topic!.failures!;
    expect([topic.name, topic.kms_master_key_id]).toEqual(["${local.failure_topic_name}", "${var.kms_key_arn}"]);
    expect(pipeline.outputs.failure_topic_name!.value).toBe("${local.failure_topic_name}");
    const pipelineMain = readFileSync(join(root, "infra/modules/pipeline/main.tf"), "utf8");
    expect(pipelineMain).toMatch(/^\s*failure_topic_name\s+= "\$\{var\.project\}-pipeline-failures"$/m);
    expect(byDir.get("infra")!.modules.storage!.failure_topic_name).toBe("${module.pipeline.failure_topic_name}");
    const storage = byDir.get("infra/modules/storage")!;
    const cloudwatch = (storage.data.aws_iam_policy_document!.data_key!.statement as Hcl[]).filter((st) =>
      JSON.stringify(st.principals ?? []).includes("cloudwatch.amazonaws.com"),
    );
    expect(cloudwatch).toEqual([
      {
        sid: "CloudWatchAlarmsToFailureTopic",
        actions: ["kms:Decrypt", "kms:GenerateDataKey"],
        resources: ["*"],
        principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
        condition: [
          {
            test: "StringEquals",
            variable: "kms:EncryptionContext:aws:sns:topicArn",
            values: ["arn:${data.aws_partition.current.partition}:sns:${data.aws_region.current.name}:${local.account_id}:${var.failure_topic_name}"],
          },
        ],
      },
    ]);
  });

  it("alarms on every state machine's failed, timed-out and aborted executions and notifies the failure topic", () => {
    const pipeline = byDir.get("infra/modules/pipeline")!;
    const alarm = pipeline.resources.aws_cloudwatch_metric_alarm!.state_machine_executions!;
    expect(alarm).toMatchObject({
      for_each: "${local.execution_alarms}",
      alarm_name: "${each.value.state_machine}-${each.value.suffix}",
      namespace: "AWS/States",
      metric_name: "${each.value.metric}",
      dimensions: { StateMachineArn: "${aws_sfn_state_machine.this[each.value.dataset].arn}" },
      statistic: "Sum",
      comparison_operator: "GreaterThanThreshold",
      threshold: 0,
      evaluation_periods: 1,
      treat_missing_data: "notBreaching",
      actions_enabled: true,
      alarm_actions: ["${aws_sns_topic.failures.arn}"],
      ok_actions: ["${aws_sns_topic.failures.arn}"],
    });
    // One alarm per state machine and metric: the three execution outcomes that process no object.
    const main = readFileSync(join(root, "infra/modules/pipeline/main.tf"), "utf8");
    const metrics = /execution_alarm_metrics = \{([^}]*)\}/.exec(main)![1]!;
    expect([...metrics.matchAll(/"([\w-]+)"\s*=\s*"(\w+)"/g)].map((m) => [m[1], m[2]])).toEqual([
      ["executions-aborted", "ExecutionsAborted"],
      ["executions-failed", "ExecutionsFailed"],
      ["executions-timed-out", "ExecutionsTimedOut"],
    ]);
    expect(main).toContain('for suffix, metric in local.execution_alarm_metrics : "${dataset_name}-${suffix}" => {');
    expect(main).toMatch(/for dataset_name, dataset in var\.datasets : \{\s*for suffix, metric in local\.execution_alarm_metrics/);
    expect(main).toContain("state_machine = dataset.state_machine.name");
  });

  it("lets the deploy role manage exactly the rules' queues and the pipeline's alarms, by the names the pipeline gives them", () => {
    const deploy = byDir.get("infra/modules/github-deploy")!;
    const main = readFileSync(join(root, "infra/modules/github-deploy/main.tf"), "utf8");
    // The same names as modules/pipeline: "<rule>-dlq" and "<rule>-dlq-not-empty", one per rule.
    expect(main).toContain(
      'dead_letter_queue_arns = [for name in var.event_rule_names : "${local.arn_prefix}:sqs:${var.region}:${var.account_id}:${name}-dlq"]',
    );
    expect(main).toContain(
      'dead_letter_alarm_arns = [for name in var.event_rule_names : "${local.arn_prefix}:cloudwatch:${var.region}:${var.account_id}:alarm:${name}-dlq-not-empty"]',
    );
    const statements = deploy.data.aws_iam_policy_document!.deploy!.statement as Hcl[];
    const sqs = statements.filter((st) => list(st.actions).some((a) => a.startsWith("sqs:")));
    expect(sqs.map((st) => [st.sid, st.resources])).toEqual([["ManageDeadLetterQueues", "${local.dead_letter_queue_arns}"]]);
    expect([...list(sqs[0]!.actions)].sort()).toEqual([
      "sqs:CreateQueue", "sqs:DeleteQueue", "sqs:GetQueueAttributes", "sqs:ListQueueTags", "sqs:SetQueueAttributes", "sqs:TagQueue", "sqs:UntagQueue",
    ]);
    const alarms = statements.filter((st) => list(st.actions).some((a) => a.startsWith("cloudwatch:")));
    expect(alarms.map((st) => [st.sid, st.resources])).toEqual([["ManagePipelineAlarms", "${concat(local.dead_letter_alarm_arns, local.execution_alarm_arns)}"]]);
    // The state machines' execution alarms, by the names modules/pipeline gives them: "<state machine>-<suffix>".
    expect(main).toContain('execution_alarm_suffixes = ["executions-aborted", "executions-failed", "executions-timed-out"]');
    expect(main).toContain('"${local.arn_prefix}:cloudwatch:${var.region}:${var.account_id}:alarm:${pair[0]}-${pair[1]}"');
    expect(main).toContain("for pair in setproduct(var.state_machine_names, local.execution_alarm_suffixes) :");
    expect([...list(alarms[0]!.actions)].sort()).toEqual([
      "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource", "cloudwatch:PutMetricAlarm",
      "cloudwatch:TagResource", "cloudwatch:UntagResource",
    ]);
    // EventBridge writes to the queues as the service, through the queue policy: no platform role, so the
    // boundary and the EventBridge role's policy gain nothing.
    const capped = (deploy.data.aws_iam_policy_document!.platform_boundary!.statement as Hcl[]).flatMap((st) => list(st.actions));
    expect(capped.filter((a) => a.startsWith("sqs:") || (a.startsWith("cloudwatch:") && a !== "cloudwatch:PutMetricData"))).toEqual([]);
  });
});

describe("infra/: raw immutability", () => {
  it("denies deletes and, for object-creating requests, writes without If-None-Match", () => {
    const storage = byDir.get("infra/modules/storage")!;
    const statements = policyStatements(storage).map((s) => s.statement);
    const deletes = statements.find((s) => s.sid === "DenyRawDeletes")!;
    expect([deletes.effect, deletes.actions]).toEqual(["Deny", ["s3:DeleteObject", "s3:DeleteObjectVersion"]]);
    const overwrites = statements.find((s) => s.sid === "DenyRawOverwrites")!;
    expect(overwrites.effect).toBe("Deny");
    expect(overwrites.condition).toEqual([
      { test: "Null", variable: "s3:if-none-match", values: ["true"] },
      { test: "Bool", variable: "s3:ObjectCreationOperation", values: ["true"] },
    ]);
    expect(Object.keys(storage.resources.aws_s3_bucket_versioning!)).toEqual(["this"]);
    expect(readFileSync(join(root, "infra/modules/storage/main.tf"), "utf8")).toContain('contains(["raw", "scripts", "access-logs"], zone)');
  });
});
