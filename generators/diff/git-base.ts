/**
 * Loads base contracts, at a git ref or in a folder (`--base-dir`), through the same IR builder as the working tree.
 *
 * The base's contract files are written to a temporary directory created *inside the repository root*, at the same
 * depth as the contract directory. Contracts import `../generators/contract-kit/index.js` and `zod`, so from there
 * both resolve to the working tree's very modules, and the old contracts register their metadata in the registry
 * the IR builder reads. (A copy of the contract kit — another checkout's —, or a symlinked one that the loader does
 * not resolve to its real path, holds a second registry the builder never sees.) File paths in the IR are mapped
 * back to the repository paths (`contracts/review.contract.ts`; a folder's: `<folder>/review.contract.ts`), so
 * findings point at the same names on both sides.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join, posix, relative, sep } from "node:path";
import { buildIR } from "../ir/build.js";
import { findContractFiles, loadContracts, loadIR } from "../ir/load.js";
import { loadMarts, MARTS_DIR } from "../ir/marts.js";
import type { ContractIR, MartIR } from "../ir/types.js";
import { ContractError } from "../lib/errors.js";
import { removeOnInterrupt } from "../lib/interrupt.js";

/** The base cannot be read: not a git ref, or no place inside the repository to read it from. */
/** What to do about a `--base` that names no commit (a sentence a command may go on; contract:diff offers --base-dir). */
export const BASE_REF_FIX = "pass --base with a branch, tag or commit that exists locally (git fetch it first)";

export class BaseError extends Error {
  constructor(
    message: string,
    /** What to do, when the error is the ref's (`BASE_REF_FIX`); otherwise the command's own usage fix. */
    readonly fix?: string,
  ) {
    super(message);
    this.name = "BaseError";
  }
}

function git(root: string, args: readonly string[]): Buffer {
  return execFileSync("git", ["-C", root, ...args], { maxBuffer: 256 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
}

/** CI checkouts are often shallow (actions/checkout fetches one commit by default): the base is then missing. */
const SHALLOW_HINT =
  " This is a shallow clone, so the base commit may not have been fetched. Fix: fetch it (git fetch --no-tags origin <base branch>), or check out with full history (actions/checkout with fetch-depth: 0).";

function isShallow(root: string): boolean {
  try {
    return git(root, ["rev-parse", "--is-shallow-repository"]).toString().trim() === "true";
  } catch {
    return false;
  }
}

/** Reads the contract directory (`contractsDir`, inside `root`) at `ref` and builds its IR. */
export async function loadIRAtRef(root: string, contractsDir: string, ref: string): Promise<ContractIR> {
  if (ref.startsWith("-") || ref.trim() === "") throw new BaseError(`"${ref}" is not a git ref.`);
  try {
    git(root, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  } catch {
    throw new BaseError(`git ref "${ref}" does not name a commit in ${root}.${isShallow(root) ? SHALLOW_HINT : ""}`, BASE_REF_FIX);
  }
  return inRepositoryCopy(root, contractsDir, async ({ temp, contracts, relativeDir }) => {
    // Both paths are relative to `root` (ls-tree lists relative to the working directory; `ref:./path` reads so), so
    // a repository whose root is above `root` works too.
    const listing = git(root, ["ls-tree", "-r", "-z", "--name-only", ref, "--", `${relativeDir}/`]).toString("utf8");
    for (const file of listing.split("\0").filter(Boolean)) {
      const target = join(contracts, file.slice(relativeDir.length + 1));
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, git(root, ["show", `${ref}:./${file}`]));
    }
    const ir = await buildBaseIR(contracts, (file) => `${relativeDir}/${file}`, ` (at ${ref})`);
    const marts = martsAtRef(root, relativeDir, ref, temp);
    return marts.length ? { ...ir, marts } : ir;
  });
}

/**
 * Reads a folder of base contracts (`--base-dir`) and builds its IR, file paths relative to the folder's parent
 * (`<folder>/x.contract.ts`), with the marts' contracts beside it (`../dbt-out/models/marts/`). A folder inside `root`
 * is read where it is: its imports reach this repository's contract kit. One outside (another checkout's
 * `contracts/`) would import that checkout's kit, whose registry the IR builder never reads (every field "has no
 * column(...) metadata"): it is copied into the repository first, where the head's contracts stand, as `--base` does.
 */
export async function loadIRFromFolder(root: string, contractsDir: string, baseDir: string): Promise<ContractIR> {
  if (within(baseDir, root)) return loadIR(baseDir, dirname(baseDir), undefined, { past: true });
  const ir = await inRepositoryCopy(root, contractsDir, async ({ contracts }) => {
    // Nothing of the repository is copied into itself (a folder that is an ancestor of the root).
    cpSync(baseDir, contracts, { recursive: true, dereference: true, filter: (source) => !within(source, root) });
    return buildBaseIR(contracts, (file) => `${basename(baseDir)}/${file}`, " (in the --base-dir folder)");
  });
  const marts = loadMarts(dirname(baseDir));
  return marts.length ? { ...ir, marts } : ir;
}

/** `inner` is `outer` or inside it. */
function within(inner: string, outer: string): boolean {
  const path = relative(outer, inner);
  return path === "" || (!path.startsWith("..") && !isAbsolute(path));
}

/**
 * Runs `use` with a temporary directory created *inside the repository root* in place of the first segment of the
 * contract directory (`contracts/` → `.contract-diff-XXXXXX/`, `a/contracts/` → `.contract-diff-XXXXXX/contracts/`),
 * so that the `../` chains of contracts written into `contracts` reach the root as the head's do. Removed afterwards,
 * on error and on interrupt too.
 */
async function inRepositoryCopy<T>(
  root: string,
  contractsDir: string,
  use: (where: { temp: string; contracts: string; relativeDir: string }) => Promise<T>,
): Promise<T> {
  const relativeDir = relative(root, contractsDir).split(sep).join("/");
  if (relativeDir.startsWith("..") || isAbsolute(relativeDir)) throw new BaseError(`The contract directory ${contractsDir} is outside the repository ${root}.`);
  const [first, ...rest] = relativeDir.split("/");
  if (!first || first === ".") throw new BaseError("The contract directory must be a subdirectory of the repository root.");
  const temp = mkdtempSync(join(root, ".contract-diff-"));
  const release = removeOnInterrupt(temp);
  try {
    const contracts = join(temp, ...rest);
    mkdirSync(contracts, { recursive: true });
    return await use({ temp, contracts, relativeDir });
  } finally {
    rmSync(temp, { recursive: true, force: true });
    release();
  }
}

/** The IR of the contracts in `folder` (a copy), their paths named by `path`; diagnostics say where with `at`. */
async function buildBaseIR(folder: string, path: (file: string) => string, at: string): Promise<ContractIR> {
  let loaded;
  try {
    loaded = await loadContracts(findContractFiles(folder), folder);
  } catch (error) {
    if (!(error instanceof ContractError)) throw error;
    throw new ContractError(error.diagnostics.map((d) => (d.where ? { ...d, where: { ...d.where, file: `${path(d.where.file)}${at}` } } : d)));
  }
  return buildIR(loaded.map((contract) => ({ ...contract, file: path(contract.file) })), { past: true });
}

/** The marts' contracts at `ref`, from the project beside the contract directory (as `loadIR` reads them). */
function martsAtRef(root: string, contractsRelative: string, ref: string, temp: string): MartIR[] {
  const project = posix.dirname(contractsRelative);
  const martsDir = project === "." ? MARTS_DIR : `${project}/${MARTS_DIR}`;
  const files = git(root, ["ls-tree", "-r", "-z", "--name-only", ref, "--", `${martsDir}/`]).toString("utf8").split("\0").filter(Boolean);
  if (files.length === 0) return [];
  const martsRoot = join(temp, ".marts-at-ref");
  for (const file of files) {
    const target = join(martsRoot, MARTS_DIR, file.slice(martsDir.length + 1));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, git(root, ["show", `${ref}:./${file}`]));
  }
  // The marts keep their repository paths: generated files quote them (QuickSight's headers), and the base's files
  // must equal the head's when nothing changed. Only a diagnostic says "(at <ref>)".
  const inProject = (file: string) => `${project === "." ? "" : `${project}/`}${file}`;
  try {
    return loadMarts(martsRoot).map((m) => ({ ...m, file: inProject(m.file) }));
  } catch (error) {
    // Before the marts had enforced contracts there was no QuickSight layer to break: the base has no marts'
    // contracts to compare with (the working tree's marts are still checked when they are loaded).
    if (error instanceof ContractError && error.diagnostics.every((d) => d.code === "MARTS.INVALID")) return [];
    if (error instanceof ContractError) {
      throw new ContractError(error.diagnostics.map((d) => (d.where ? { ...d, where: { ...d.where, file: `${inProject(d.where.file)} (at ${ref})` } } : d)));
    }
    throw error;
  }
}
