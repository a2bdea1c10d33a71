/**
 * The project's pinned ruff (toolchain/python/lint.in) under the committed ruff.toml: `ruff check` and
 * `ruff format --check`, both, on the given files. Status 0 only when both pass.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ensurePythonEnv } from "../../toolchain/python-env.js";
import { REPO_ROOT } from "./data.js";

export async function ruff(paths: readonly string[]): Promise<{ status: number; output: string }> {
  const { bin } = await ensurePythonEnv("lint", { root: REPO_ROOT });
  const config = join(REPO_ROOT, "ruff.toml");
  let status = 0;
  let output = "";
  for (const args of [["check", "--no-cache"], ["format", "--check", "--no-cache"]]) {
    const result = spawnSync(join(bin, "ruff"), [...args, "--config", config, ...paths], { encoding: "utf8" });
    status = Math.max(status, result.status ?? 1);
    output += result.stdout + result.stderr;
  }
  return { status, output };
}
