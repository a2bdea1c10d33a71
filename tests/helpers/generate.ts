/** Builds file sets in memory from a contracts directory (the same function `generate` and `--check` use). */
import { join } from "node:path";
import { loadIR } from "../../generators/ir/load.js";
import type { ContractIR } from "../../generators/ir/types.js";
import { buildFileSet } from "../../generators/assemble/file-set.js";
import type { GeneratedFile } from "../../generators/targets/types.js";
import { REPO_ROOT } from "./data.js";

const cache = new Map<string, Promise<{ ir: ContractIR; files: readonly GeneratedFile[] }>>();

/** IR and files of `contracts/` (default) or of a fixture directory relative to the repository root. */
export function generatedFrom(dir = "contracts"): Promise<{ ir: ContractIR; files: readonly GeneratedFile[] }> {
  let entry = cache.get(dir);
  if (!entry) {
    entry = (async () => {
      const ir = await loadIR(join(REPO_ROOT, dir), REPO_ROOT);
      const { files } = await buildFileSet(ir);
      return { ir, files };
    })();
    cache.set(dir, entry);
  }
  return entry;
}

export function fileOf(files: readonly GeneratedFile[], path: string): string {
  const file = files.find((f) => f.path === path);
  if (!file) throw new Error(`${path} is not generated; generated: ${files.map((f) => f.path).join(", ")}`);
  return file.contents;
}
