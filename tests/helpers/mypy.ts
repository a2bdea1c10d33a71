/**
 * mypy (pinned in the lint env) over generated Python, against the real libraries' own type hints: with
 * `--python-executable` it reads the site-packages of the env that runs the code (the Glue jobs: `spark`, pyspark's
 * hints; the DAG: `airflow`). Settings: toolchain/mypy.ini. No cache is written. Status 0 only with no finding.
 */
import { spawnSync } from "node:child_process";
import { devNull } from "node:os";
import { join } from "node:path";
import { ensurePythonEnv } from "../../toolchain/python-env.js";
import { REPO_ROOT } from "./data.js";

export async function mypy(paths: readonly string[], env: "spark" | "airflow"): Promise<{ status: number; output: string }> {
  const { bin } = await ensurePythonEnv("lint", { root: REPO_ROOT });
  const { python } = await ensurePythonEnv(env, { root: REPO_ROOT });
  const args = ["--config-file", join(REPO_ROOT, "toolchain", "mypy.ini"), "--python-executable", python, "--cache-dir", devNull, "--no-error-summary", "--hide-error-context", "--no-pretty", ...paths];
  const result = spawnSync(join(bin, "mypy"), args, { encoding: "utf8", cwd: REPO_ROOT });
  return { status: result.status ?? 1, output: result.stdout + result.stderr };
}
