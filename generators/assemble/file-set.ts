/**
 * Builds the complete set of generated files from the IR. `generate` writes this set and `generate --check`
 * compares it with the disk: both call this one function, so they cannot disagree.
 */
import { createHash } from "node:crypto";
import type { ContractIR } from "../ir/types.js";
import { diagnostic, GeneratorBug, type Diagnostic } from "../lib/errors.js";
import { GENERATOR_NAME, jsonText } from "../lib/header.js";
import { compareCodePoints } from "../lib/sort.js";
import { TARGETS } from "../targets/index.js";
import type { GeneratedFile, Target } from "../targets/types.js";

/**
 * Directories whose every file is generated: a file there that the generator does not produce is an orphan (removed
 * when it carries the header and, if listed, its recorded hash), and any other file is drift that `--check` names.
 */
export const FULLY_OWNED_DIRS = ["generated", "glue-pyspark-out"] as const;
/**
 * Directories shared with hand-written files: the generator owns only what its manifest lists (and replaces what it
 * produces when it carries the header); a file with the header that the manifest does not list is never removed,
 * but is drift that `--check` names.
 */
export const SHARED_DIRS = ["dbt-out", "infra"] as const;
export const MANIFEST_PATH = "generated/manifest.json";

export interface FileSet {
  readonly files: readonly GeneratedFile[];
  readonly diagnostics: readonly Diagnostic[];
}

export interface Manifest {
  readonly generator: string;
  readonly files: readonly { readonly path: string; readonly sha256: string }[];
}

const SAFE_PATH = /^(?:[A-Za-z0-9_.-]+\/)*[A-Za-z0-9_.-]+$/;

/** A normalised relative path (no `.`/`..`/empty segments) under one of the generator's directories. */
export function isOwnedPath(path: string): boolean {
  const parts = path.split("/");
  return (
    SAFE_PATH.test(path) &&
    !parts.some((part) => part === ".." || part === "." || part === "") &&
    parts.length > 1 &&
    ((FULLY_OWNED_DIRS as readonly string[]).includes(parts[0]!) || (SHARED_DIRS as readonly string[]).includes(parts[0]!))
  );
}

export async function buildFileSet(ir: ContractIR, targets: readonly Target[] = TARGETS): Promise<FileSet> {
  const diagnostics: Diagnostic[] = [];
  const byPath = new Map<string, GeneratedFile>();
  for (const target of targets) {
    const result = await target.emit(ir);
    diagnostics.push(...result.diagnostics);
    for (const file of result.files) {
      checkFile(file, target.id);
      if (byPath.has(file.path)) throw new GeneratorBug(`Two targets produce ${file.path}.`);
      byPath.set(file.path, file);
    }
  }
  const files = [...byPath.values()].sort((a, b) => compareCodePoints(a.path, b.path));
  const manifest: Manifest = {
    generator: GENERATOR_NAME,
    files: files.map((f) => ({ path: f.path, sha256: createHash("sha256").update(f.contents, "utf8").digest("hex") })),
  };
  const all = [...files, { path: MANIFEST_PATH, contents: jsonText(manifest) }].sort((a, b) => compareCodePoints(a.path, b.path));
  return { files: all, diagnostics };
}

function checkFile(file: GeneratedFile, targetId: string): void {
  if (!isOwnedPath(file.path)) {
    throw new GeneratorBug(`Target ${targetId} produced the path "${file.path}", outside the generator's directories.`);
  }
  if (file.contents.includes("\r") || !file.contents.endsWith("\n") || file.contents.endsWith("\n\n") || file.contents.startsWith("\uFEFF")) {
    throw new GeneratorBug(`Target ${targetId} produced ${file.path} without LF-only line ends and exactly one trailing newline.`);
  }
}

export { diagnostic };
