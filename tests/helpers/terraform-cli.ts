/**
 * The `terraform` command for the tests that run it (tests/infra/terraform-cli.test.ts, tests/infra/iam-policies.test.ts):
 * the pinned AWS provider from a filesystem mirror named by TERRAFORM_PROVIDER_MIRROR
 * (https://developer.hashicorp.com/terraform/cli/config/config-file#filesystem_mirror), since Terraform's registry is
 * not reachable everywhere the suite runs; a copy of infra/ to run it in; and why the tests are skipped when either is
 * missing (infra/README.md, "How this is tested").
 */
import { cpSync, existsSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { REPO_ROOT } from "./data.js";
import { run } from "./run.js";

/** The hashicorp/aws version infra/versions.tf pins. */
export const PINNED_AWS_PROVIDER = /version\s*=\s*"(\d+\.\d+\.\d+)"/.exec(readFileSync(join(REPO_ROOT, "infra/versions.tf"), "utf8"))![1]!;
export const PROVIDER_MIRROR = process.env.TERRAFORM_PROVIDER_MIRROR ?? "";
export const TERRAFORM = (process.env.PATH ?? "")
  .split(delimiter)
  .map((dir) => join(dir, "terraform"))
  .find((path) => path.startsWith("/") && existsSync(path));

/** Why the Terraform tests cannot run here, or "" when they can. */
export const terraformUnavailable = !TERRAFORM
  ? "no terraform on PATH"
  : !PROVIDER_MIRROR
    ? "TERRAFORM_PROVIDER_MIRROR is not set"
    : !existsSync(join(PROVIDER_MIRROR, "registry.terraform.io/hashicorp/aws", PINNED_AWS_PROVIDER))
      ? `the mirror ${PROVIDER_MIRROR} has no hashicorp/aws ${PINNED_AWS_PROVIDER}`
      : "";

/** The repository's folders the root configuration reads (generated files, Glue scripts), linked beside a copy of infra/. */
const READ_BY_INFRA = ["generated", "glue-pyspark-out"];

/** A copy of infra/ leaves out what a local init or apply made there (the providers, local state). */
export const withoutTerraformData = (path: string) => !/[\\/](\.terraform|terraform\.tfstate[^\\/]*)$/.test(path);

/**
 * Copies infra/ into `work/infra` with the folders it reads linked beside it, and writes a CLI configuration that
 * installs the AWS provider from the mirror only. Returns the environment to run `terraform` with: that
 * configuration, no AWS_ or TF_ variable of this process, no proxy for loopback.
 */
export function prepareTerraformWork(work: string): NodeJS.ProcessEnv {
  cpSync(join(REPO_ROOT, "infra"), join(work, "infra"), { recursive: true, filter: withoutTerraformData });
  for (const dir of READ_BY_INFRA) symlinkSync(join(REPO_ROOT, dir), join(work, dir), "dir");
  writeFileSync(
    join(work, "terraformrc"),
    `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(PROVIDER_MIRROR)}\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n`,
  );
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("AWS_") && !key.startsWith("TF_")));
  return { ...inherited, TF_CLI_CONFIG_FILE: join(work, "terraformrc"), TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1", NO_PROXY: "127.0.0.1", no_proxy: "127.0.0.1" };
}

/** Runs `terraform -chdir=<dir> <args> -no-color`; `output` describes the run for failure messages. */
export function terraform(env: NodeJS.ProcessEnv, dir: string, args: readonly string[]) {
  const result = run(TERRAFORM!, ["-chdir=" + dir, ...args, "-no-color"], { env });
  const output = `terraform ${args.join(" ")} in ${dir} (exit ${result.status}):\n${result.stdout.slice(0, 20_000)}\n${result.stderr}`;
  return { ...result, output };
}
