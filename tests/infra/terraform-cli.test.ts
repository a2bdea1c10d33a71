/**
 * Proof for infra/ by Terraform itself (the version the deploy runs), with the pinned AWS provider: `terraform validate` of the root and the
 * bootstrap, and `terraform plan` of the root with the production settings (with and without the QuickSight stage),
 * its one AWS call (the caller's identity) answered by a moto server on loopback. The plan evaluates every expression,
 * precondition and generated file the configuration reads, against the provider's own schema; the QuickSight data
 * sets' column descriptions are checked to reach the plan as the generator wrote them.
 *
 * Terraform's registry is not reachable everywhere the suite runs, so the provider comes from a filesystem mirror
 * (https://developer.hashicorp.com/terraform/cli/config/config-file#filesystem_mirror) named by
 * TERRAFORM_PROVIDER_MIRROR; without `terraform` on PATH and a mirror holding the pinned version, these cases are
 * skipped and say why (infra/README.md, "How this is tested").
 */
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { REPO_ROOT } from "../helpers/data.js";
import { startMotoServer, type MotoServer } from "../helpers/moto-server.js";
import { run } from "../helpers/run.js";
import { PINNED_AWS_PROVIDER as PINNED, TERRAFORM, prepareTerraformWork, terraform as terraformIn, terraformUnavailable as unavailable, withoutTerraformData } from "../helpers/terraform-cli.js";

type Json = { [key: string]: any };

if (unavailable) console.warn(`tests/infra/terraform-cli.test.ts skipped: ${unavailable} (infra/README.md, "How this is tested")`);

/** The variables the deploy workflow passes from the repository's settings (.github/workflows/deploy.yml). */
const DEPLOY_VARIABLES = {
  aws_region: "eu-west-1",
  scripts_bucket_name: "example-reviews-scripts",
  github_org: "example-org",
  github_repo: "review-contracts",
  terraform_state_bucket: "example-terraform-state",
  terraform_lock_table: "example-terraform-lock",
};
const QUICKSIGHT_VARIABLES = {
  enable_quicksight: "true",
  snowflake_host: "example-account.snowflakecomputing.com",
  snowflake_secret_arn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:quicksight-snowflake-AbCdEf",
};

/** The steps of a workflow in .github/workflows/, every job's. */
const workflowSteps = (file: string): Json[] => {
  const workflow = parse(readFileSync(join(REPO_ROOT, ".github/workflows", file), "utf8")) as Json;
  return Object.values(workflow.jobs as Json).flatMap((job: Json) => job.steps as Json[]);
};
/** The Terraform version a workflow installs (hashicorp/setup-terraform's `terraform_version`). */
const terraformVersionOf = (file: string): string | undefined => workflowSteps(file).find((step) => step.uses?.startsWith("hashicorp/setup-terraform@"))?.with?.terraform_version;

describe.skipIf(Boolean(unavailable))(`terraform with hashicorp/aws ${PINNED}: validate and plan`, () => {
  let work: string;
  let moto: MotoServer;
  let env: NodeJS.ProcessEnv;

  const terraform = (dir: string, args: readonly string[]) => terraformIn(env, dir, args);

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "terraform-cli-"));
    env = prepareTerraformWork(work);
    moto = await startMotoServer();
  });

  afterAll(async () => {
    await moto?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("is the Terraform the deploy runs (deploy.yml's setup-terraform pin)", () => {
    const pinned = terraformVersionOf("deploy.yml");
    expect(pinned, "deploy.yml pins terraform_version").toMatch(/^\d+\.\d+\.\d+$/);
    const version = terraform(work, ["version", "-json"]);
    expect(version.status, version.output).toBe(0);
    const local = (JSON.parse(version.stdout) as { terraform_version: string }).terraform_version;
    expect(local, `this machine's terraform (${TERRAFORM}) is ${local}; the deploy runs ${pinned}: install that version, or change both together`).toBe(pinned);
  });

  // GitHub's runner has no mirror, but reaches the registry: ci.yml's step makes one with an init of versions.tf alone.
  // Run here with the provider taken from this machine's mirror instead of the registry (TF_CLI_CONFIG_FILE).
  it("ci.yml's provider step leaves a mirror of the pinned provider, named in GITHUB_ENV", () => {
    expect(terraformVersionOf("ci.yml")).toBe(terraformVersionOf("deploy.yml"));
    const step = workflowSteps("ci.yml").find((s) => String(s.run ?? "").includes("TERRAFORM_PROVIDER_MIRROR="))!;
    const runnerTemp = join(work, "runner-temp");
    const githubEnv = join(work, "github-env");
    const result = run("bash", ["-euo", "pipefail", "-c", step.run], { cwd: REPO_ROOT, env: { ...env, RUNNER_TEMP: runnerTemp, GITHUB_ENV: githubEnv } });
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    const named = /^TERRAFORM_PROVIDER_MIRROR=(.+)$/m.exec(readFileSync(githubEnv, "utf8"))?.[1];
    expect(named).toBe(join(runnerTemp, "terraform-providers/.terraform/providers"));
    expect(readdirSync(join(named!, "registry.terraform.io/hashicorp/aws"))).toEqual([PINNED]);
  });

  it.each(["infra", "infra/bootstrap"])("terraform validate: %s is valid against the provider's schema", (dir) => {
    const init = terraform(join(work, dir), ["init", "-backend=false", "-input=false"]);
    expect(init.status, init.output).toBe(0);
    const validate = terraform(join(work, dir), ["validate"]);
    expect(validate.status, validate.output).toBe(0);
    expect(validate.stdout).toContain("The configuration is valid");
  });

  /** Plans the root with production.tfvars and `variables`, in its own copy (local state, the provider on moto); returns the plan as JSON. */
  const plan = (name: string, variables: Record<string, string>): Json => {
    const dir = join(work, `plan-${name}`);
    cpSync(join(REPO_ROOT, "infra"), dir, { recursive: true, filter: withoutTerraformData });
    // An override file (https://developer.hashicorp.com/terraform/language/files/override): local state instead of
    // the S3 backend, placeholder credentials, and the one AWS call a plan makes (sts:GetCallerIdentity) to moto.
    writeFileSync(
      join(dir, "test_override.tf"),
      `terraform {\n  backend "local" {}\n}\n\nprovider "aws" {\n  access_key                  = "placeholder"\n  secret_key                  = "placeholder"\n  skip_credentials_validation = true\n  skip_metadata_api_check     = true\n  endpoints {\n    sts = "${moto.endpoint}"\n  }\n}\n`,
    );
    const init = terraform(dir, ["init", "-input=false"]);
    expect(init.status, init.output).toBe(0);
    const vars = Object.entries({ ...DEPLOY_VARIABLES, ...variables }).flatMap(([key, value]) => ["-var", `${key}=${value}`]);
    const planned = terraform(dir, ["plan", "-input=false", "-lock=false", "-var-file=production.tfvars", ...vars, "-out=plan.out"]);
    expect(planned.status, planned.output).toBe(0);
    const shown = terraform(dir, ["show", "-json", "plan.out"]);
    expect(shown.status, shown.output).toBe(0);
    return JSON.parse(shown.stdout) as Json;
  };

  const changes = (planned: Json, type: string): Json[] => (planned.resource_changes as Json[]).filter((change) => change.type === type);

  it("terraform plan with the production settings: every resource is created, none is read from AWS but the caller's identity", () => {
    const planned = plan("production", {});
    const created = (planned.resource_changes as Json[]).filter((change) => change.mode === "managed");
    expect(created.length).toBeGreaterThan(50);
    for (const change of created) expect(change.change.actions, change.address).toEqual(["create"]);
    // Without the QuickSight stage, none of its resources.
    expect(created.filter((change) => String(change.type).startsWith("aws_quicksight_"))).toEqual([]);
    // One state machine and two Glue jobs per dataset of the generated index.
    const contracts = JSON.parse(readFileSync(join(REPO_ROOT, "generated/terraform/contracts.json"), "utf8")) as Json;
    const datasets = Object.keys(contracts.datasets as Json);
    expect(changes(planned, "aws_sfn_state_machine")).toHaveLength(datasets.length);
    expect(changes(planned, "aws_glue_job")).toHaveLength(2 * datasets.length);
  });

  it("terraform plan with the QuickSight stage: each data set's column descriptions reach the plan as the generator wrote them", () => {
    const planned = plan("quicksight", QUICKSIGHT_VARIABLES);
    const dataSets = changes(planned, "aws_quicksight_data_set");
    const files = readdirSync(join(REPO_ROOT, "generated/quicksight/datasets")).filter((name) => name.endsWith(".json"));
    expect(dataSets).toHaveLength(files.length);
    for (const file of files) {
      const generated = JSON.parse(readFileSync(join(REPO_ROOT, "generated/quicksight/datasets", file), "utf8")) as Json;
      const change = dataSets.find((c) => c.change.after.data_set_id === generated.DataSetId);
      expect(change, `${file}: no planned data set ${generated.DataSetId}`).toBeDefined();
      const described = (table: Json) =>
        ((table.DataTransforms ?? []) as Json[]).flatMap((t) => (t.TagColumnOperation ? [[t.TagColumnOperation.ColumnName, t.TagColumnOperation.Tags[0].ColumnDescription.Text]] : []));
      const expected = Object.values(generated.LogicalTableMap as Json).flatMap(described);
      expect(expected.length, `${file}: the generator describes its columns`).toBeGreaterThan(0);
      const planned_ = (change!.change.after.logical_table_map as Json[]).flatMap((table) =>
        ((table.data_transforms ?? []) as Json[]).flatMap((t) => (t.tag_column_operation ?? []).map((op: Json) => [op.column_name, op.tags[0].column_description[0].text])),
      );
      expect(planned_, file).toEqual(expected);
    }
    expect(changes(planned, "aws_quicksight_analysis")).toHaveLength(1);
    expect(changes(planned, "aws_quicksight_data_source")).toHaveLength(1);
  });
});

// `terraform fmt` needs no provider: only the command.
describe.skipIf(!TERRAFORM)("terraform fmt", () => {
  const FORMATTED = ["infra", "tests/infra/policies"];

  it("finds infra/ and the tests' Terraform files formatted as Terraform writes them", () => {
    const checked = run(TERRAFORM!, ["fmt", "-check", "-recursive", "-diff", "-no-color", ...FORMATTED]);
    expect(checked.status, `terraform fmt -check -recursive: run \`terraform fmt -recursive ${FORMATTED.join(" ")}\`\n${checked.stdout}\n${checked.stderr}`).toBe(0);
  });

  it("fails a file whose arguments are not aligned (the check can fail)", () => {
    const dir = mkdtempSync(join(tmpdir(), "terraform-fmt-"));
    try {
      const text = readFileSync(join(REPO_ROOT, "infra/versions.tf"), "utf8");
      expect(text).toContain('      source = "hashicorp/aws"\n');
      writeFileSync(join(dir, "versions.tf"), text.replace('      source = "hashicorp/aws"\n', '      source  = "hashicorp/aws"\n'));
      const checked = run(TERRAFORM!, ["fmt", "-check", "-no-color", dir]);
      expect(checked.status).toBe(3);
      expect(checked.stdout).toContain("versions.tf");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
