/**
 * Guards for everything the local pipeline removes or creates from user input: run ids, S3 locations turned into
 * local folders, and removals, which must lie inside the output folder.
 */
import { lstatSync, readdirSync, rmdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { insideAsWritten } from "../../generators/lib/real-paths.js";
import { linkedFolder } from "../../generators/lib/safe-files.js";

/** A run id names folders (`run_id=<id>/`): letters, digits, `.`, `_`, `:`, `-`, starting with a letter or digit. */
export const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function checkRunId(runId: string): void {
  if (!RUN_ID.test(runId)) {
    throw new UnsafePathError(
      `Run id ${JSON.stringify(runId)} is not allowed: it names folders, so it may hold only letters, digits, ".", "_", ":" and "-" (at most 128, starting with a letter or digit).`,
    );
  }
}

export class UnsafePathError extends Error {}

/** `s3://bucket/prefix/` → `<out>/bucket/prefix`, refusing `.`/`..` segments (the IR builder refuses them too). */
export function localPath(out: string, s3: string): string {
  const segments = s3.replace(/^s3:\/\//, "").split("/").filter(Boolean);
  if (segments.some((s) => s === "." || s === "..")) throw new UnsafePathError(`The location ${s3} has a "." or ".." segment.`);
  return join(out, ...segments);
}

/** True when `path` is `dir` itself or inside it (after resolving both; `generators/lib/real-paths.ts`). */
export const isInside = insideAsWritten;

/** Removes `path` (recursively) only when it lies strictly inside `out`. */
export function removeInside(out: string, path: string): void {
  refuseOutside(out, path, "remove");
  rmSync(path, { recursive: true, force: true });
}

/**
 * Throws unless `path` lies strictly inside `out` and no folder between them is a symbolic link (`linkedFolder`,
 * `generators/lib/safe-files.ts`, the rule the generator and the catalog follow too): what the run may
 * remove or replace (`action`, for the message). A link on the way (`<out>/bucket -> /elsewhere`) would make every
 * write and removal under it land outside `out`. `path` itself may be a link: removing it removes the link only.
 */
export function refuseOutside(out: string, path: string, action: string): void {
  if (resolve(out) === resolve(path) || !isInside(out, path)) {
    throw new UnsafePathError(`Refusing to ${action} ${path}: it is not inside the output folder ${out}.`);
  }
  const folder = linkedFolder(out, path);
  if (folder !== undefined) {
    throw new UnsafePathError(
      `Refusing to ${action} ${path}: ${folder} is a symbolic link, so the run would write or remove files outside the output folder ${out}. Fix: remove the link (the run recreates the folder), or pass another --out.`,
    );
  }
}

/**
 * The files a run writes into a table's folder, by name: Parquet parts (`part-0.parquet` from DuckDB,
 * `part-00000-<uuid>.c000.snappy.parquet` from Spark), and Spark's `_SUCCESS` marker and `.<name>.crc` checksums.
 * Anything else there (a note, a file of a person's own) is not the run's: it is never removed.
 */
export function isTableFile(name: string): boolean {
  return name.endsWith(".parquet") || name === "_SUCCESS" || (name.startsWith(".") && name.endsWith(".crc"));
}

/**
 * Removes from the table folder `dir` (inside `out`) every file a run writes there (`isTableFile`) and every link
 * (removing a link removes the link only), then the folders left empty, deepest first; other files stay, with the
 * folders that hold them. Returns the paths of the files left.
 */
export function removeTableFiles(out: string, dir: string): string[] {
  const top = lstatSync(dir, { throwIfNoEntry: false });
  if (!top) return [];
  if (!top.isDirectory()) {
    removeInside(out, dir);
    return [];
  }
  refuseOutside(out, dir, "replace");
  const kept: string[] = [];
  const folders: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (entry.isDirectory()) folders.push(path);
    else if (entry.isSymbolicLink() || isTableFile(entry.name)) removeInside(out, path);
    else kept.push(path);
  }
  for (const folder of [...folders, dir].sort((a, b) => b.length - a.length)) {
    if (readdirSync(folder).length === 0) rmdirSync(folder);
  }
  return kept;
}
