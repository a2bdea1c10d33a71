/**
 * The contracts' history from git: every commit that changed the contract folder (oldest first), the version of
 * each contract at that commit, and the contract review of the change that commit made (its first parent against
 * it, through `loadIRAtRef` and `buildReport`, as `npm run contract:diff` does), taken in the `contract-diff/3`
 * JSON form. Uncommitted contract changes come last, against HEAD.
 *
 * Git being absent, a folder that is not a repository and a shallow clone are facts the page states, never
 * failures: in a shallow clone the review of the oldest fetched commit is missing its parent.
 */
import { execFileSync } from "node:child_process";
import { relative, sep } from "node:path";
import { render } from "../generators/diff/format.js";
import { loadIRAtRef } from "../generators/diff/git-base.js";
import { buildReport, type Report } from "../generators/diff/report.js";
import { loadIR } from "../generators/ir/load.js";
import { IR_VERSION, type ContractIR } from "../generators/ir/types.js";
import { ContractError, formatDiagnostic } from "../generators/lib/errors.js";
import { MARTS_DIR } from "../generators/ir/marts.js";

export interface ContractVersion {
  readonly dataset: string;
  readonly file: string;
  readonly version: string;
  readonly hash: string;
}

export interface HistoryEntry {
  /** Full commit id, or `working tree` for uncommitted changes. */
  readonly commit: string;
  /** Committer date (ISO 8601, as git prints it); empty for the working tree. */
  readonly date: string;
  readonly subject: string;
  /** The contracts at this commit; null when they could not be loaded (`loadError` says why). */
  readonly versions: readonly ContractVersion[] | null;
  readonly loadError?: string;
  /** Review of this commit's change (first parent → commit) in the `contract-diff/3` JSON shape. */
  readonly review: Report | null;
  /** Why there is no review. */
  readonly reviewNote?: string;
}

export interface ContractHistory {
  readonly dataset: string;
  readonly file: string;
  /** Each revision of the contract (its text changed), oldest first. */
  readonly versions: readonly { readonly version: string; readonly commit: string; readonly date: string }[];
}

export interface History {
  /** False when git or the repository is missing (`note` says so). */
  readonly available: boolean;
  readonly shallow: boolean;
  readonly note?: string;
  readonly entries: readonly HistoryEntry[];
  readonly contracts: readonly ContractHistory[];
}

const EMPTY_IR: ContractIR = { irVersion: IR_VERSION, datasets: [] };

function git(root: string, args: readonly string[]): string {
  return execFileSync("git", ["-C", root, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
}

function tryGit(root: string, args: readonly string[]): string | null {
  try {
    return git(root, args);
  } catch {
    return null;
  }
}

function errorText(error: unknown): string {
  if (error instanceof ContractError) return error.diagnostics.slice(0, 3).map(formatDiagnostic).join("\n");
  return (error as Error).message.split("\n")[0] ?? String(error);
}

/** The review of `base` → `head` as `contract:diff --format json` prints it, read back. */
export function reviewJson(baseIR: ContractIR, headIR: ContractIR, base: string, head: string): Report {
  return JSON.parse(render(buildReport(baseIR, headIR, { base, head, generatedFiles: null }), "json")) as Report;
}

function versionsOf(ir: ContractIR): ContractVersion[] {
  return ir.datasets.map((d) => ({ dataset: d.name, file: d.contract.file, version: d.contract.version, hash: d.contract.hash }));
}

export async function contractHistory(root: string, contractsDir: string): Promise<History> {
  const contractsRelative = relative(root, contractsDir).split(sep).join("/");
  if (tryGit(root, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]) === null) {
    return { available: false, shallow: false, note: "No git history: the folder is not a git repository with commits (or git is not installed).", entries: [], contracts: [] };
  }
  const shallow = tryGit(root, ["rev-parse", "--is-shallow-repository"])?.trim() === "true";
  const log = git(root, ["log", "--reverse", "--format=%H%x1f%P%x1f%cI%x1f%s%x1e", "--", `${contractsRelative}/`]);
  const commits = log
    .split("\x1e")
    .map((record) => record.replace(/^\n/, ""))
    .filter(Boolean)
    .map((record) => {
      const [commit = "", parents = "", date = "", subject = ""] = record.split("\x1f");
      return { commit, parent: parents.split(" ").filter(Boolean)[0] ?? null, date, subject };
    });

  // One load per distinct state of the contracts and the marts (a commit and its first parent often share one).
  const cache = new Map<string, Promise<ContractIR>>();
  const loadAt = (ref: string): Promise<ContractIR> => {
    const key = `${tryGit(root, ["rev-parse", `${ref}:${contractsRelative}`])?.trim() ?? ref}|${tryGit(root, ["rev-parse", `${ref}:${MARTS_DIR}`])?.trim() ?? ""}`;
    let loaded = cache.get(key);
    if (!loaded) {
      loaded = loadIRAtRef(root, contractsDir, ref);
      cache.set(key, loaded);
    }
    return loaded;
  };

  const entries: HistoryEntry[] = [];
  for (const { commit, parent, date, subject } of commits) {
    let headIR: ContractIR;
    try {
      headIR = await loadAt(commit);
    } catch (error) {
      entries.push({ commit, date, subject, versions: null, loadError: errorText(error), review: null, reviewNote: "No review: the contracts at this commit (or the marts' contracts beside them) could not be loaded by today's loader; the error is above." });
      continue;
    }
    const versions = versionsOf(headIR);
    if (parent === null) {
      entries.push({ commit, date, subject, versions, review: reviewJson(EMPTY_IR, headIR, "(no contracts)", commit.slice(0, 12)) });
      continue;
    }
    if (tryGit(root, ["cat-file", "-e", `${parent}^{commit}`]) === null) {
      entries.push({ commit, date, subject, versions, review: null, reviewNote: "Its parent commit is not in this shallow clone: fetch the full history (git fetch --unshallow) to review this change." });
      continue;
    }
    try {
      entries.push({ commit, date, subject, versions, review: reviewJson(await loadAt(parent), headIR, parent.slice(0, 12), commit.slice(0, 12)) });
    } catch (error) {
      entries.push({ commit, date, subject, versions, review: null, reviewNote: `The contracts at the parent commit could not be loaded: ${errorText(error)}` });
    }
  }

  // Uncommitted contract changes: the working tree against HEAD.
  const status = tryGit(root, ["status", "--porcelain", "--", `${contractsRelative}/`]) ?? "";
  if (status.trim() !== "") {
    try {
      const working = await loadIR(contractsDir, root);
      let review: Report | null = null;
      let reviewNote: string | undefined;
      try {
        review = reviewJson(await loadAt("HEAD"), working, "HEAD", "working tree");
      } catch (error) {
        reviewNote = `The contracts at HEAD could not be loaded: ${errorText(error)}`;
      }
      entries.push({ commit: "working tree", date: "", subject: "Uncommitted contract changes", versions: versionsOf(working), review, ...(reviewNote ? { reviewNote } : {}) });
    } catch (error) {
      entries.push({ commit: "working tree", date: "", subject: "Uncommitted contract changes", versions: null, loadError: errorText(error), review: null });
    }
  }

  const contracts = new Map<string, { dataset: string; file: string; versions: { version: string; commit: string; date: string; hash: string }[] }>();
  for (const entry of entries) {
    for (const v of entry.versions ?? []) {
      const history = contracts.get(v.dataset) ?? { dataset: v.dataset, file: v.file, versions: [] };
      contracts.set(v.dataset, history);
      if (history.versions.at(-1)?.hash !== v.hash) history.versions.push({ version: v.version, commit: entry.commit, date: entry.date, hash: v.hash });
    }
  }
  return {
    available: true,
    shallow,
    ...(shallow ? { note: "This is a shallow clone: only the fetched part of the history is shown. Fetch the rest with git fetch --unshallow." } : {}),
    entries,
    contracts: [...contracts.values()]
      .sort((a, b) => (a.dataset < b.dataset ? -1 : a.dataset > b.dataset ? 1 : 0))
      .map((c) => ({ dataset: c.dataset, file: c.file, versions: c.versions.map(({ version, commit, date }) => ({ version, commit, date })) })),
  };
}
