/**
 * The generated IR the runners read: the files of `generated/ir/` that the generator's manifest lists, and only
 * those. The generator leaves a file there that it did not write alone (and `generate --check` fails on it), so a
 * stale or stray `*.ir.json` is never read as a dataset.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { IR_VERSION, type DatasetIR } from "../../generators/ir/types.js";

/** The generator's manifest (`MANIFEST_PATH` of `generators/assemble/file-set.ts`, not imported: that loads every target). */
const MANIFEST = ["generated", "manifest.json"] as const;
const LISTED_IR = /^generated\/ir\/([a-z][a-z0-9_]*)\.ir\.json$/;

/** Why there is no generated IR to read (PIPELINE.NO_IR), with the one line that fixes it. */
export class NoGeneratedIR extends Error {
  constructor(
    message: string,
    readonly fix = "run `npm run generate` first.",
  ) {
    super(message);
  }
}

/**
 * The datasets whose IR the manifest lists, in code-point order of their names; `NoGeneratedIR` when there is no
 * manifest, it is not one, or it lists no IR.
 */
export function listedIRDatasets(root: string): string[] {
  const dir = join(root, "generated", "ir");
  const manifestFile = join(root, ...MANIFEST);
  if (!existsSync(manifestFile)) throw new NoGeneratedIR(`No generated IR in ${dir}: there is no ${MANIFEST.join("/")} listing it.`);
  let files: unknown;
  try {
    files = (JSON.parse(readFileSync(manifestFile, "utf8")) as { files?: unknown } | null)?.files;
  } catch (error) {
    throw new NoGeneratedIR(`${manifestFile} cannot be read as the generator's manifest (${(error as Error).message}), which lists the generated IR.`);
  }
  if (!Array.isArray(files)) throw new NoGeneratedIR(`${manifestFile} is not the generator's manifest (no files list), which lists the generated IR.`);
  const names = files
    .map((entry) => LISTED_IR.exec(typeof (entry as { path?: unknown })?.path === "string" ? (entry as { path: string }).path : "")?.[1])
    .filter((name): name is string => name !== undefined)
    .sort();
  if (names.length === 0) throw new NoGeneratedIR(`No generated IR in ${dir}: ${MANIFEST.join("/")} lists none.`);
  return names;
}

/** The generated IR of every dataset the manifest lists. */
export function loadGeneratedIR(root: string): DatasetIR[] {
  return listedIRDatasets(root).map((name) => readIRFile(join(root, "generated", "ir", `${name}.ir.json`)));
}

/** One dataset's generated IR, or an error naming the file and the fix (it is generated: rebuild it). */
function readIRFile(file: string): DatasetIR {
  let document: { irVersion?: unknown; dataset?: DatasetIR };
  try {
    document = JSON.parse(readFileSync(file, "utf8")) as typeof document;
  } catch (error) {
    throw new NoGeneratedIR(`${file} cannot be read as the generated IR (${(error as Error).message}).`, "run `npm run generate` to rebuild it.");
  }
  if (document?.irVersion !== IR_VERSION || !document.dataset) {
    throw new NoGeneratedIR(`${file} has IR version ${String(document?.irVersion)}; this pipeline reads version ${IR_VERSION}.`, "run `npm run generate` to rebuild it.");
  }
  return document.dataset;
}

/**
 * The sha256 of `generated/manifest.json` (`sha256:<hex>`; undefined when there is none). The manifest lists every
 * generated file with its own sha256, so any change `npm run generate` makes to the files a run reads (the IR, the
 * Glue jobs, the dbt project) changes it.
 */
export function generatedManifestHash(root: string): string | undefined {
  try {
    return `sha256:${createHash("sha256").update(readFileSync(join(root, ...MANIFEST))).digest("hex")}`;
  } catch {
    return undefined;
  }
}

/**
 * When the generated files changed since a run read them (its manifest hash `read`): `generated/manifest.json`'s
 * modification time (ISO), or "unknown" when it is gone; undefined when they did not change. A run reads the IR at its
 * start and the Glue jobs and dbt's project much later: a `generate` in between would make one run of two versions.
 */
export function generatedChangedAt(root: string, read: string | undefined): string | undefined {
  if (generatedManifestHash(root) === read) return undefined;
  try {
    return statSync(join(root, ...MANIFEST)).mtime.toISOString();
  } catch {
    return "unknown";
  }
}
