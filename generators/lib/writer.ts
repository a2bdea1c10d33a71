/**
 * Compares a file set with the disk (`--check`) and writes it (`generate`).
 *
 * - Check: every changed, missing and orphaned file, with a capped unified diff; writes nothing.
 * - Write: refuses to overwrite a file the generator does not own (not in its manifest, no generated marker);
 *   writes every changed file through a temporary file and a rename, so no file is ever half-written; removes
 *   orphans (files it generated before and no longer produces); leaves everything else alone.
 */
import { createTwoFilesPatch } from "diff";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { diagnostic, type Diagnostic } from "./errors.js";
import { FULLY_OWNED_DIRS, MANIFEST_PATH, type Manifest } from "./file-set.js";
import type { GeneratedFile } from "../targets/types.js";
import { GENERATED_MARKER } from "./header.js";
import { compareCodePoints } from "./sort.js";

export interface DriftReport {
  readonly changed: readonly string[];
  readonly missing: readonly string[];
  readonly orphaned: readonly string[];
  readonly unchanged: number;
  /** Unified diffs of changed files, capped. */
  readonly diffs: readonly string[];
}

export const DIFF_LINES_PER_FILE = 40;
export const DIFF_FILES = 10;

function readIfExists(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, "utf8") : undefined;
}

function listFiles(root: string, dir: string): string[] {
  const absolute = join(root, dir);
  if (!existsSync(absolute)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(absolute, { withFileTypes: true })) {
    const relative = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...listFiles(root, relative));
    else out.push(relative);
  }
  return out;
}

function previousManifest(root: string): Manifest | undefined {
  const text = readIfExists(join(root, MANIFEST_PATH));
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as Manifest;
  } catch {
    return undefined;
  }
}

/** Files the generator owns on disk now: all files of fully owned dirs, plus what its last manifest lists. */
function ownedOnDisk(root: string): Set<string> {
  const owned = new Set<string>();
  for (const dir of FULLY_OWNED_DIRS) for (const f of listFiles(root, dir)) owned.add(f);
  for (const f of previousManifest(root)?.files ?? []) if (existsSync(join(root, f.path))) owned.add(f.path);
  return owned;
}

export function compareWithDisk(root: string, files: readonly GeneratedFile[]): DriftReport {
  const changed: string[] = [];
  const missing: string[] = [];
  const diffs: string[] = [];
  let unchanged = 0;
  const produced = new Set(files.map((f) => f.path));
  for (const file of files) {
    const current = readIfExists(join(root, file.path));
    if (current === undefined) missing.push(file.path);
    else if (current !== file.contents) {
      changed.push(file.path);
      if (diffs.length < DIFF_FILES) diffs.push(cappedDiff(file.path, current, file.contents));
    } else unchanged++;
  }
  const orphaned = [...ownedOnDisk(root)].filter((p) => !produced.has(p)).sort(compareCodePoints);
  return { changed, missing, orphaned, unchanged, diffs };
}

function cappedDiff(path: string, current: string, wanted: string): string {
  const patch = createTwoFilesPatch(`a/${path}`, `b/${path}`, current, wanted, "on disk", "generated from contracts", { context: 2 });
  const lines = patch.split("\n").slice(1); // drop the "===" separator line
  if (lines.length <= DIFF_LINES_PER_FILE) return lines.join("\n").trimEnd();
  return [...lines.slice(0, DIFF_LINES_PER_FILE), `… ${lines.length - DIFF_LINES_PER_FILE} more diff lines`].join("\n");
}

export function isClean(report: DriftReport): boolean {
  return report.changed.length === 0 && report.missing.length === 0 && report.orphaned.length === 0;
}

/** Files that exist, are not the generator's, and would be overwritten. */
export function unownedTargets(root: string, files: readonly GeneratedFile[]): Diagnostic[] {
  const owned = ownedOnDisk(root);
  const problems: Diagnostic[] = [];
  for (const file of files) {
    if (owned.has(file.path)) continue;
    const current = readIfExists(join(root, file.path));
    if (current !== undefined && current !== file.contents && !current.includes(GENERATED_MARKER)) {
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

export interface WriteResult {
  readonly written: readonly string[];
  readonly removed: readonly string[];
  readonly unchanged: number;
}

/** Writes the changed and missing files atomically and removes orphans. Call only after `unownedTargets` is empty. */
export function writeFileSet(root: string, files: readonly GeneratedFile[]): WriteResult {
  const report = compareWithDisk(root, files);
  const toWrite = files.filter((f) => report.changed.includes(f.path) || report.missing.includes(f.path));
  // Stage every file first; rename only when all staged writes succeeded.
  const staged: { temp: string; target: string }[] = [];
  try {
    for (const file of toWrite) {
      const target = join(root, file.path);
      mkdirSync(dirname(target), { recursive: true });
      const temp = `${target}.tmp-${process.pid}`;
      writeFileSync(temp, file.contents, "utf8");
      staged.push({ temp, target });
    }
  } catch (error) {
    for (const { temp } of staged) rmSync(temp, { force: true });
    throw error;
  }
  for (const { temp, target } of staged) renameSync(temp, target);
  for (const path of report.orphaned) {
    rmSync(join(root, path), { force: true });
    removeEmptyParents(root, dirname(path));
  }
  return { written: toWrite.map((f) => f.path), removed: report.orphaned, unchanged: report.unchanged };
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
