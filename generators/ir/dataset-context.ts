/**
 * What every step of building one dataset's IR shares: the contract file, the dataset name, where to collect
 * diagnostics and how to turn a field path or a contract property into a `file:line:column` location.
 */
import type { Diagnostic } from "../lib/errors.js";
import { SourceIndex } from "./source-locations.js";
import type { SourceLocation } from "./types.js";

export interface DatasetContext {
  readonly file: string;
  readonly dataset: string;
  readonly index: SourceIndex;
  readonly diagnostics: Diagnostic[];
  where(path: string): SourceLocation;
  /** Location of a raw field given by its keys (a key may hold a `.`, which `where`'s path would split). */
  whereField(keys: readonly string[], path: string): SourceLocation;
  whereProperty(segments: readonly string[], path: string): SourceLocation;
}

/** The context of one contract module: `file` is repository-relative, `source` its text (for locations). */
export function datasetContext(file: string, source: string, dataset: string, diagnostics: Diagnostic[]): DatasetContext {
  const index = new SourceIndex(source, file);
  const at = (position: { line: number; column: number } | undefined, path: string): SourceLocation => ({
    file,
    line: position?.line ?? 1,
    column: position?.column ?? 1,
    path,
  });
  return {
    file,
    dataset,
    index,
    diagnostics,
    where: (path) => at(index.findField(path.split(/\.|\[\]|\{\}|\|\d+/).filter(Boolean)), path ? `${dataset}.${path}` : dataset),
    whereField: (keys, path) => at(index.findField(keys), `${dataset}.${path}`),
    whereProperty: (segments, path) => at(index.find(segments), `${dataset}.${path}`),
  };
}
