/**
 * Loads the contracts as they were at a git ref, through the same IR builder as the working tree.
 *
 * The ref's contract files are written to a temporary directory created *inside the repository root*, at the same
 * depth as the contract directory. Contracts import `../generators/contract-kit/index.js` and `zod`, so from there
 * both resolve to the working tree's very modules, and the old contracts register their metadata in the registry
 * the IR builder reads. (A copy of the contract kit, or a symlinked one that the loader does not resolve to its
 * real path, holds a second registry the builder never sees.) File paths in the IR are mapped back to the
 * repository paths (`contracts/review.contract.ts`), so findings point at the same names on both sides.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, posix, relative, sep } from "node:path";
import { buildIR } from "../ir/build.js";
import { findContractFiles, loadContracts } from "../ir/load.js";
import { loadMarts, MARTS_DIR } from "../ir/marts.js";
import type { ContractIR, MartIR } from "../ir/types.js";
import { ContractError } from "../lib/errors.js";
import { removeOnInterrupt } from "../lib/interrupt.js";

export class GitRefError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GitRefError";
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
  if (ref.startsWith("-") || ref.trim() === "") throw new GitRefError(`"${ref}" is not a git ref.`);
  try {
    git(root, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  } catch {
    throw new GitRefError(`git ref "${ref}" does not name a commit in ${root}.${isShallow(root) ? SHALLOW_HINT : ""}`);
  }
  const relativeDir = relative(root, contractsDir).split(sep).join("/");
  if (relativeDir.startsWith("..")) throw new GitRefError(`The contract directory ${contractsDir} is outside the repository ${root}.`);
  // Both paths are relative to `root` (ls-tree lists relative to the working directory; `ref:./path` reads so), so
  // a repository whose root is above `root` works too.
  const listing = git(root, ["ls-tree", "-r", "-z", "--name-only", ref, "--", `${relativeDir}/`]).toString("utf8");
  const files = listing.split("\0").filter(Boolean);
  const [first, ...rest] = relativeDir.split("/");
  if (!first || first === ".") throw new GitRefError("The contract directory must be a subdirectory of the repository root.");
  // `.contract-diff-XXXXXX` takes the place of the first segment, so `../` chains in contracts reach the root.
  const temp = mkdtempSync(join(root, ".contract-diff-"));
  const release = removeOnInterrupt(temp);
  const tempContracts = join(temp, ...rest);
  try {
    for (const file of files) {
      const target = join(temp, ...file.split("/").slice(1));
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, git(root, ["show", `${ref}:./${file}`]));
    }
    mkdirSync(tempContracts, { recursive: true });
    const repositoryPath = (file: string) => [first, ...file.split("/")].join("/");
    let loaded;
    try {
      loaded = await loadContracts(findContractFiles(tempContracts), temp);
    } catch (error) {
      if (!(error instanceof ContractError)) throw error;
      throw new ContractError(error.diagnostics.map((d) => (d.where ? { ...d, where: { ...d.where, file: `${repositoryPath(d.where.file)} (at ${ref})` } } : d)));
    }
    const ir = buildIR(loaded.map((contract) => ({ ...contract, file: repositoryPath(contract.file) })), { past: true });
    const marts = martsAtRef(root, relativeDir, ref, temp);
    return marts.length ? { ...ir, marts } : ir;
  } finally {
    rmSync(temp, { recursive: true, force: true });
    release();
  }
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
