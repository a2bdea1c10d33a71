/**
 * What a local run left in a table's folder, for the readers of its output (the local warehouse, the catalog): a
 * table with no Parquet file (no row, e.g. no review had a photo) cannot be read by a glob, which finds nothing.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** True when `dir` holds a `.parquet` file at any depth. */
export function holdsParquet(dir: string): boolean {
  if (!existsSync(dir)) return false;
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (entry.endsWith(".parquet") || (statSync(path).isDirectory() && holdsParquet(path))) return true;
  }
  return false;
}
