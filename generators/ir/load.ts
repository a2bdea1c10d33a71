/**
 * Finds and imports the contract modules (`contracts/*.contract.ts`, sorted by code point) and builds the IR.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { pathToFileURL } from "node:url";
import type { Contract } from "../contract-kit/index.js";
import { ContractError, diagnostic, type Diagnostic } from "../lib/errors.js";
import { compareCodePoints } from "../lib/sort.js";
import { buildIR, type LoadedContract } from "./build.js";
import type { ContractIR } from "./types.js";

export const CONTRACT_SUFFIX = ".contract.ts";

/** Lists contract files under `dir` (not recursive), as absolute paths in code-point order. */
export function findContractFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(CONTRACT_SUFFIX))
    .sort(compareCodePoints)
    .map((name) => join(dir, name));
}

/** Imports contract modules. `root` is the repository root; file paths in the IR are relative to it. */
export async function loadContracts(files: readonly string[], root: string): Promise<LoadedContract[]> {
  const diagnostics: Diagnostic[] = [];
  const loaded: LoadedContract[] = [];
  for (const absolute of files) {
    const file = relative(root, absolute).split(sep).join("/");
    let module: { default?: unknown };
    try {
      module = (await import(pathToFileURL(absolute).href)) as { default?: unknown };
    } catch (error) {
      diagnostics.push(
        diagnostic("CONTRACT.LOAD_FAILED", `Importing the contract failed: ${(error as Error).message.split("\n")[0]}`, { file }, "Fix the error in the module (`npm run typecheck` shows type errors with their lines)."),
      );
      continue;
    }
    const contract = module.default as Contract | undefined;
    if (!contract || contract.kind !== "data-contract") {
      diagnostics.push(
        diagnostic("CONTRACT.NO_DEFAULT_EXPORT", "The module has no default export made by defineContract(...).", { file }, "End the file with: export default defineContract({ ... })."),
      );
      continue;
    }
    loaded.push({ file, source: readFileSync(absolute, "utf8"), contract });
  }
  if (diagnostics.length) throw new ContractError(diagnostics);
  return loaded;
}

export async function loadIR(contractsDir: string, root: string): Promise<ContractIR> {
  return buildIR(await loadContracts(findContractFiles(contractsDir), root));
}
