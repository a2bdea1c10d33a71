/**
 * Compares a file set with the disk (`--check`) and writes it (`generate`).
 *
 * - Check: every changed, missing and orphaned file, with a capped unified diff, and every file left alone that a
 *   person must resolve (below); writes nothing.
 * - Write: refuses to overwrite a file the generator does not own (no generated marker, not in its manifest with
 *   the recorded hash), and to write or remove anything through a folder that is a symbolic link
 *   (WRITE.LINKED_FOLDER: it would reach outside the outputs); writes every changed file through a temporary file and a rename, so no file is ever
 *   half-written; removes orphans; leaves everything else alone.
 *
 * An orphan is a file the generator wrote before and no longer produces, and only that: a regular file at a
 * normalised relative path, carrying the generated header (`hasGeneratedHeader`), and either under one of its own
 * directories (`FULLY_OWNED_DIRS`) or, in `SHARED_DIRS`, at a path the previous manifest lists (or a dead run's staged
 * copy of one it lists or produces); when the manifest lists it, it must still have the hash recorded there. A
 * manifest entry outside those directories (`README.md`, `../x`) is refused (`WRITE.UNSAFE_MANIFEST`: nothing is
 * written); every other file there is left alone, never removed, and reported: as drift (`--check` fails, naming
 * what a person should do) when it is in a fully owned directory, or in a shared one when it carries the header
 * (changed since it was generated, or not in the manifest); not as drift when a shared directory's file has no
 * header (a person's).
 */
import { createTwoFilesPatch } from "diff";
import { createHash } from "node:crypto";
import { chmodSync, closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { diagnostic, type Diagnostic } from "../lib/errors.js";
import { hasGeneratedHeader } from "../lib/header.js";
import { createTemporary, linkedFolder } from "../lib/safe-files.js";
import { onInterrupt } from "../lib/interrupt.js";
import { compareCodePoints } from "../lib/sort.js";
import type { GeneratedFile } from "../targets/types.js";
import { FULLY_OWNED_DIRS, isOwnedPath, MANIFEST_PATH, type Manifest } from "./file-set.js";

export interface DriftReport {
  readonly changed: readonly string[];
  /** The changed files that differ only in line endings (CRLF on disk where the generator writes LF). */
  readonly lineEndingsOnly: readonly string[];
  readonly missing: readonly string[];
  readonly orphaned: readonly string[];
  /**
   * Files in the generator's directories that it leaves alone: no marker, changed since generated, or (shared
   * directories) not in its manifest. Those with a `fix` are drift: every one in `FULLY_OWNED_DIRS`, and in the
   * shared directories the ones carrying the generated header.
   */
  readonly unowned: readonly LeftAlone[];
  /** Manifest entries the writer refuses to act on (outside its directories, not a normalised path). */
  readonly refused: readonly Diagnostic[];
  readonly unchanged: number;
  /** Unified diffs of changed files, capped. */
  readonly diffs: readonly string[];
}

export const DIFF_LINES_PER_FILE = 40;
export const DIFF_FILES = 10;

function readIfExists(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    // Node leaves the path out of some errors (EISDIR: a folder where an output file belongs): name it.
    const e = error as NodeJS.ErrnoException;
    e.path ??= path;
    throw e;
  }
}

/**
 * Files a desktop's file manager writes into any folder a person opens: macOS Finder's `.DS_Store`, its AppleDouble
 * `._<name>` companions on volumes without extended attributes, Windows Explorer's `Thumbs.db`, `ehthumbs.db` and
 * `desktop.ini`. No generated file has such a name (none starts with a dot or is named so), none is committed
 * (CI's clean checkout never has one), and none is the generator's to remove or a person's work to keep: they are not
 * reported, and `--check` does not fail on them.
 */
export const OS_METADATA_FILE = /^(?:\.DS_Store|\._.+|Thumbs\.db|ehthumbs\.db|desktop\.ini)$/i;

function listFiles(root: string, dir: string): string[] {
  const absolute = join(root, dir);
  if (!existsSync(absolute)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(absolute, { withFileTypes: true })) {
    const relative = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...listFiles(root, relative));
    else if (!(entry.isFile() && OS_METADATA_FILE.test(entry.name))) out.push(relative);
  }
  return out;
}

/** The manifest the last run wrote: undefined when there is none; a diagnostic when it is not one (a merge conflict). */
function previousManifest(root: string): Manifest | Diagnostic | undefined {
  const text = readIfExists(join(root, MANIFEST_PATH));
  if (text === undefined) return undefined;
  let manifest: Manifest | undefined;
  try {
    manifest = JSON.parse(text) as Manifest;
  } catch {
    // Left undefined: reported below.
  }
  if (manifest !== null && typeof manifest === "object" && Array.isArray(manifest.files)) return manifest;
  // Without it the writer cannot tell which files of dbt-out/ it wrote, so a model it no longer produces would stay
  // and dbt would go on building it.
  return diagnostic(
    "WRITE.UNSAFE_MANIFEST",
    `${MANIFEST_PATH} is not the generator's manifest (${manifest === undefined ? "not JSON: a merge conflict or a cut file?" : "no files list"}): the files it lists are the ones the generator may replace or remove.`,
    { file: MANIFEST_PATH },
    "Restore the manifest from the main branch (git checkout origin/main -- generated/manifest.json) or delete it, then generate again.",
  );
}

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

/** A file in the generator's folders that it leaves alone; `fix` (what a person should do) when `--check` fails on it. */
export interface LeftAlone {
  readonly path: string;
  readonly why: string;
  readonly fix?: string;
}

interface Ownership {
  /** Files the generator wrote and may replace or remove. */
  readonly owned: Set<string>;
  readonly unowned: Map<string, { why: string; fix?: string }>;
  readonly refused: Diagnostic[];
}

/**
 * Who owns each file on disk in the generator's directories: every file of the fully owned directories and every
 * path the previous manifest lists. A file is the generator's when it is a regular file carrying the generated
 * marker and, if the manifest lists it, still has the recorded hash; in the shared directories it must also be a
 * path the manifest lists or one the generator produces now (or a dead run's staged copy of one).
 */
function ownership(root: string, produced: readonly string[]): Ownership {
  const owned = new Set<string>();
  const unowned = new Map<string, { why: string; fix?: string }>();
  const refused: Diagnostic[] = [];
  const previous = previousManifest(root);
  const manifest = previous !== undefined && "files" in previous ? previous : undefined;
  if (previous !== undefined && !manifest) refused.push(previous as Diagnostic);
  const recorded = new Map<string, string>();
  for (const entry of manifest?.files ?? []) {
    if (typeof entry?.path !== "string" || !isOwnedPath(entry.path)) {
      refused.push(
        diagnostic(
          "WRITE.UNSAFE_MANIFEST",
          `${MANIFEST_PATH} lists ${JSON.stringify(entry?.path)}, which is not a file the generator may write or remove (only normalised relative paths under ${[...FULLY_OWNED_DIRS, "dbt-out", "infra"].join(", ")}).`,
          { file: MANIFEST_PATH },
          "Restore the manifest from the main branch (git checkout origin/main -- generated/manifest.json) or delete it, then generate again.",
        ),
      );
      continue;
    }
    recorded.set(entry.path, entry.sha256);
  }
  const producedNow = new Set(produced);
  // In the shared folders, also the files with the generated header beside the ones the generator writes (one level,
  // never dbt's target/ or logs/). Such a file the manifest does not list may be a person's (a generated model copied
  // as a template keeps the header), so it is never removed: it is reported, and --check fails on it, so that a
  // model left by a run stopped before the manifest was renamed into place, or after the manifest was deleted, is
  // named instead of built by dbt unnoticed.
  const sharedDirs = new Set([...produced, ...recorded.keys()].filter((p) => !isFullyOwned(p)).map((p) => dirname(p)));
  const besides = [...sharedDirs].flatMap((dir) => filesIn(root, dir).filter((path) => hasGeneratedHeader(readHead(join(root, path)))));
  const candidates = new Set<string>([...FULLY_OWNED_DIRS.flatMap((dir) => listFiles(root, dir)), ...recorded.keys(), ...besides]);
  for (const path of candidates) {
    // Another run's staged file, while that run is alive; a dead run's (killed mid-write) is an orphan like any other.
    if (stagedByLiveRun(path)) continue;
    const absolute = join(root, path);
    if (!existsSync(absolute)) continue;
    const fullyOwned = isFullyOwned(path);
    const top = path.split("/")[0]!;
    if (!lstatSync(absolute).isFile()) {
      unowned.set(path, { why: "not a regular file", ...(fullyOwned && { fix: `${top}/ holds generated files only: move it out or delete it` }) });
      continue;
    }
    const text = readFileSync(absolute, "utf8");
    // The manifest is the writer's own record (it names the generator instead of carrying the header).
    if (path === MANIFEST_PATH) owned.add(path);
    else if (!hasGeneratedHeader(text)) {
      unowned.set(path, { why: "it has no generated header", ...(fullyOwned && { fix: `${top}/ holds generated files only: move it out or delete it` }) });
    } else if (recorded.has(path) && recorded.get(path) !== sha256(text)) {
      unowned.set(path, {
        why: "it was changed after it was generated",
        fix: fullyOwned ? `it is no longer generated: delete it, or move it out of ${top}/ if the edits are worth keeping` : "it is no longer generated: delete it, or remove its header if it is yours now",
      });
    } else if (!fullyOwned && !recorded.has(path) && !producedNow.has(path) && !stagedCopyOf(path, producedNow, recorded)) {
      unowned.set(path, { why: "it carries the generated header but is not in the manifest", fix: "delete it if it is a leftover, or remove its header if it is yours" });
    } else owned.add(path);
  }
  return { owned, unowned, refused };
}

/** Whether a path is the writer's staged copy (`<file>.tmp-<pid>-<random>`) of a file it produces now or its manifest lists. */
function stagedCopyOf(path: string, produced: ReadonlySet<string>, recorded: ReadonlyMap<string, string>): boolean {
  const target = path.replace(STAGED, "");
  return target !== path && (produced.has(target) || recorded.has(target));
}

/**
 * The suffix of a file staged by `writeFileSet` (before its rename into place): `.tmp-<pid>-<random>`
 * (`createTemporary`), or `.tmp-<pid>` as earlier versions named it.
 */
const STAGED = /\.tmp-(\d+)(?:-[0-9a-f]{16})?$/;

function stagedByLiveRun(path: string): boolean {
  const pid = STAGED.exec(path)?.[1];
  if (pid === undefined) return false;
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

const isFullyOwned = (path: string) => (FULLY_OWNED_DIRS as readonly string[]).includes(path.split("/")[0]!);

/** The regular files directly in a folder (relative paths), none when it does not exist. */
function filesIn(root: string, dir: string): string[] {
  const absolute = join(root, dir);
  if (!existsSync(absolute) || !lstatSync(absolute).isDirectory()) return [];
  return readdirSync(absolute, { withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => `${dir}/${entry.name}`);
}

/** The first 4 KiB of a file, as text: where the generated header is. */
function readHead(path: string): string {
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.alloc(4096);
    return buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0)).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

export function compareWithDisk(root: string, files: readonly GeneratedFile[]): DriftReport {
  const changed: string[] = [];
  const lineEndingsOnly: string[] = [];
  const missing: string[] = [];
  const diffs: string[] = [];
  let unchanged = 0;
  const produced = new Set(files.map((f) => f.path));
  for (const file of files) {
    const current = readIfExists(join(root, file.path));
    if (current === undefined) missing.push(file.path);
    else if (current !== file.contents) {
      changed.push(file.path);
      // A checkout that converted LF to CRLF (core.autocrlf=true): every line would be in the diff, none of it news.
      if (current.replaceAll("\r\n", "\n") === file.contents) lineEndingsOnly.push(file.path);
      else if (diffs.length < DIFF_FILES) diffs.push(cappedDiff(file.path, current, file.contents));
    } else unchanged++;
  }
  const { owned, unowned, refused } = ownership(root, [...produced]);
  const orphaned = [...owned].filter((p) => !produced.has(p) && p !== MANIFEST_PATH).sort(compareCodePoints);
  const unownedLeft = [...unowned]
    .filter(([path]) => !produced.has(path))
    .map(([path, { why, fix }]) => ({ path, why, ...(fix !== undefined && { fix }) }))
    .sort((a, b) => compareCodePoints(a.path, b.path));
  return { changed, lineEndingsOnly, missing, orphaned, unowned: unownedLeft, refused, unchanged, diffs };
}

function cappedDiff(path: string, current: string, wanted: string): string {
  const patch = createTwoFilesPatch(`a/${path}`, `b/${path}`, current, wanted, "on disk", "generated from contracts", { context: 2 });
  const lines = patch.split("\n").slice(1); // drop the "===" separator line
  if (lines.length <= DIFF_LINES_PER_FILE) return lines.join("\n").trimEnd();
  return [...lines.slice(0, DIFF_LINES_PER_FILE), `… ${lines.length - DIFF_LINES_PER_FILE} more diff lines`].join("\n");
}

/** Files left alone that `--check` fails on: generate will not fix them, a person must (each names how). */
export const strays = (report: Pick<DriftReport, "unowned">) => report.unowned.filter((u) => u.fix !== undefined);

export function isClean(report: DriftReport): boolean {
  return report.changed.length === 0 && report.missing.length === 0 && report.orphaned.length === 0 && strays(report).length === 0;
}

/**
 * Files that exist, are not the generator's, and would be overwritten; manifest entries it refuses; and files it
 * would write or remove through a folder that is a symbolic link (`linkedFolders`).
 */
export function unownedTargets(root: string, files: readonly GeneratedFile[]): Diagnostic[] {
  const { owned, refused } = ownership(root, files.map((f) => f.path));
  const problems: Diagnostic[] = [...refused, ...linkedFolders(root, [...files.map((f) => f.path), ...owned])];
  for (const file of files) {
    if (owned.has(file.path)) continue;
    const current = readIfExists(join(root, file.path));
    if (current !== undefined && current !== file.contents && (!hasGeneratedHeader(current) || !lstatSync(join(root, file.path)).isFile())) {
      problems.push(
        diagnostic(
          "WRITE.UNOWNED_FILE",
          `${file.path} exists, was not generated, and would be overwritten.`,
          { file: file.path },
          "Move the hand-written file elsewhere (hand-written dbt models belong in dbt-out/models/marts/), then generate again.",
        ),
      );
    }
  }
  return problems;
}

/**
 * One WRITE.LINKED_FOLDER per symbolic link between `root` and a path the generator would write or remove
 * (`generated/docs -> /elsewhere`): through it, files would be written and removed outside the outputs, so nothing
 * is written. The link itself is left alone (reported as unowned when it stands in a generator's directory).
 */
function linkedFolders(root: string, paths: readonly string[]): Diagnostic[] {
  const found = new Map<string, string>();
  for (const path of paths) {
    const link = linkedFolder(root, join(root, path));
    if (link !== undefined && !found.has(link)) found.set(link, path);
  }
  return [...found].map(([link, path]) => {
    const shown = relative(root, link);
    return diagnostic(
      "WRITE.LINKED_FOLDER",
      `${shown} is a symbolic link, so writing or removing ${path} would reach outside the output folder ${root}; nothing was written.`,
      { file: shown },
      `Remove the link (rm ${shown}; generate recreates the folder), or generate into another --out.`,
    );
  });
}

export interface WriteResult {
  readonly written: readonly string[];
  readonly removed: readonly string[];
  readonly unowned: readonly LeftAlone[];
  readonly unchanged: number;
}

/** Writes the changed and missing files atomically and removes orphans. Call only after `unownedTargets` is empty. */
export function writeFileSet(root: string, files: readonly GeneratedFile[]): WriteResult {
  const report = compareWithDisk(root, files);
  if (report.refused.length) throw new Error(`Bug: writeFileSet called although ${report.refused.length} manifest entries are refused.`);
  const toWrite = files.filter((f) => report.changed.includes(f.path) || report.missing.includes(f.path));
  // Ctrl-C or a kill while writing waits for the write to end (the handler runs once this synchronous work is
  // done, then the process ends by that signal): no staged file is left and no new file goes unlisted.
  const release = onInterrupt(() => undefined);
  try {
    return writeStaged(root, toWrite, report);
  } finally {
    release();
  }
}

function writeStaged(root: string, toWrite: readonly GeneratedFile[], report: DriftReport): WriteResult {
  // The last guard (unownedTargets refuses these first, with the fix): nothing through a linked folder.
  const linked = linkedFolders(root, [...toWrite.map((f) => f.path), ...report.orphaned]);
  if (linked.length) throw new Error(`Bug: writeFileSet called although ${linked[0]!.message}`);
  // Stage every file first; rename only when all staged writes succeeded.
  const staged: { temp: string; target: string }[] = [];
  try {
    for (const file of toWrite) {
      const target = join(root, file.path);
      mkdirSync(dirname(target), { recursive: true });
      // A new file under an unpredictable name (O_EXCL): a link planted under a staged file's name is never followed.
      const { path: temp, fd } = createTemporary(target);
      staged.push({ temp, target });
      try {
        writeFileSync(fd, file.contents, "utf8");
      } finally {
        closeSync(fd);
      }
      // A file replaced keeps its permissions (a read-only generated file stays read-only).
      if (existsSync(target)) chmodSync(temp, statSync(target).mode & 0o7777);
    }
  } catch (error) {
    for (const { temp } of staged) rmSync(temp, { force: true });
    throw error;
  }
  for (const { temp, target } of staged) renameSync(temp, target);
  for (const path of report.orphaned) {
    // The last guard: a normalised path under the generator's directories (ownership() checked the rest).
    if (!isOwnedPath(path)) throw new Error(`Bug: refusing to remove ${path}, outside the generator's directories.`);
    rmSync(join(root, path), { force: true });
    removeEmptyParents(root, dirname(path));
  }
  return { written: toWrite.map((f) => f.path), removed: report.orphaned, unowned: report.unowned, unchanged: report.unchanged };
}

function removeEmptyParents(root: string, dir: string): void {
  let current = dir;
  while (current && current !== "." && !current.includes("..")) {
    const absolute = join(root, current);
    if (!existsSync(absolute) || readdirSync(absolute).length > 0) return;
    rmdirSync(absolute);
    current = dirname(current);
  }
}
