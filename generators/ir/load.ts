/**
 * Finds and imports the contract modules (`contracts/*.contract.ts`, sorted by code point) and builds the IR.
 */
import { readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, relative, sep } from "node:path";
import { pathToFileURL } from "node:url";
import type { Contract } from "../contract-kit/index.js";
import { ContractError, diagnostic, type Diagnostic } from "../lib/errors.js";
import { compareCodePoints } from "../lib/sort.js";
import { buildIR, type BuildOptions, type LoadedContract } from "./build.js";
import { loadMarts } from "./marts.js";
import type { ContractIR } from "./types.js";

export const CONTRACT_SUFFIX = ".contract.ts";

/** What a contract's repository-relative path may hold: it is quoted in every generated file's header. */
const CONTRACT_PATH = /^[A-Za-z0-9._/-]+$/;

/** Lists contract files under `dir` (not recursive), as absolute paths in code-point order. */
export function findContractFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(CONTRACT_SUFFIX))
    .sort(compareCodePoints)
    .map((name) => join(dir, name));
}

/** Evaluates the contract module at an absolute path and returns its namespace (its exports). */
export type ContractImporter = (absolute: string) => Promise<{ default?: unknown }>;

/** Node's own loader: what `npm run generate` runs under tsx and what vitest transforms. */
export const importContract: ContractImporter = (absolute) => import(pathToFileURL(absolute).href) as Promise<{ default?: unknown }>;

/**
 * Imports contract modules. `root` is the repository root; file paths in the IR are relative to it.
 * `importer` lets a caller that already holds the modules (the bundled `generate`) supply them.
 */
export async function loadContracts(files: readonly string[], root: string, importer: ContractImporter = importContract): Promise<LoadedContract[]> {
  const diagnostics: Diagnostic[] = [];
  const loaded: LoadedContract[] = [];
  for (const absolute of files) {
    const file = relative(root, absolute).split(sep).join("/");
    // The path is written into the header of every generated file (SQL, YAML, Python, HCL templates, Markdown).
    if (!CONTRACT_PATH.test(file)) {
      diagnostics.push(
        diagnostic(
          "CONTRACT.LOAD_FAILED",
          `The contract's path ${JSON.stringify(file)} holds characters other than letters, digits, ".", "_", "-" and "/", which the header of every generated file would carry into SQL, YAML, Python and templates.`,
          { file },
          "Rename the file (or its folder), e.g. contracts/review.contract.ts.",
        ),
      );
      continue;
    }
    let module: { default?: unknown };
    try {
      module = await importer(absolute);
    } catch (error) {
      const { message, line, column } = loadFailure(error, absolute);
      diagnostics.push(
        diagnostic(
          "CONTRACT.LOAD_FAILED",
          `Importing the contract failed: ${message}`,
          { file, ...(line !== undefined ? { line } : {}), ...(column !== undefined ? { column } : {}) },
          "Fix the error in the module (`npm run typecheck` shows type errors with their lines).",
        ),
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

/**
 * The IR of the contracts in `contractsDir`, with the marts' contracts of the project beside it
 * (`<contractsDir>/../dbt-out/models/marts/`, when that folder exists).
 */
export async function loadIR(contractsDir: string, root: string, importer: ContractImporter = importContract, options: BuildOptions = {}): Promise<ContractIR> {
  const ir = buildIR(await loadContracts(findContractFiles(contractsDir), root, importer), options);
  const marts = loadMarts(dirname(contractsDir));
  return marts.length ? { ...ir, marts } : ir;
}

/**
 * What went wrong importing a contract, and where in it: a syntax error reported by the TypeScript transform (tsx's
 * esbuild: `errors[0].location`, or `file:line:col: ERROR: text`; vitest's transform: `[PARSE_ERROR] text` then
 * `file:line:col`), or the first stack frame inside the contract file for an error thrown while it runs.
 */
export function loadFailure(error: unknown, absolute: string): { message: string; line?: number; column?: number } {
  const e = error as { message?: string; stack?: string; errors?: { text?: string; location?: { line?: number; column?: number } }[] };
  const first = e.errors?.[0];
  if (first?.location?.line !== undefined) return { message: first.text ?? String(e.message), line: first.location.line, column: (first.location.column ?? 0) + 1 };
  // eslint-disable-next-line no-control-regex
  const text = String(e.message ?? error).replace(/\u001b\[[0-9;]*m/g, "");
  const name = basename(absolute).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const at = new RegExp(`${name}:(\\d+):(\\d+)`);
  const transform = /ERROR: (.*)|\[[A-Z_]+\]\s*(.*)/.exec(text);
  const place = at.exec(text);
  if (transform && place) return { message: (transform[1] ?? transform[2])!.trim(), line: Number(place[1]), column: Number(place[2]) };
  const frame = at.exec(String(e.stack ?? "").replace(text, ""));
  const message = text.split("\n")[0]!;
  return frame ? { message, line: Number(frame[1]), column: Number(frame[2]) } : { message };
}
