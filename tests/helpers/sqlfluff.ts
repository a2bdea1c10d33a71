/** The project's pinned sqlfluff (toolchain/python/lint.in), installed on first use. */
import { join } from "node:path";
import { ensurePythonEnv } from "../../toolchain/python-env.js";
import { REPO_ROOT } from "./data.js";

export async function sqlfluffBin(): Promise<string> {
  const { bin } = await ensurePythonEnv("lint", { root: REPO_ROOT });
  return join(bin, "sqlfluff");
}
