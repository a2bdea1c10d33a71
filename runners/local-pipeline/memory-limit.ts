/**
 * DuckDB's memory limit in the DuckDB engine (`pipeline:local --memory-limit`). Beyond it DuckDB spills its blocks to
 * the run's scratch folder instead of growing the process.
 */

/** The default: a peak RSS under 2 GiB at 10M reviews (bench/README.md; 1.4-1.5 GiB measured). */
export const DEFAULT_MEMORY_LIMIT = "1GB";

/**
 * The units `--memory-limit` takes, among those DuckDB reads (https://duckdb.org/docs/stable/configuration/overview):
 * KB, MB, GB and TB are powers of 1000 (DuckDB's `1GB` is 953.6 MiB), KiB, MiB, GiB and TiB powers of 1024.
 * DuckDB reads the unit whatever its case; it is written back here as DuckDB prints it.
 */
const UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
  TiB: 2 ** 40,
};

/**
 * Least limit taken: an eighth of the default. What a run holds at once does not shrink with the limit (a vector of
 * records' text in several copies while validating, a sort run and a row group per thread, the partition files open
 * in a write), so a lower limit leaves little beside it and fails on inputs the default runs.
 */
export const MIN_MEMORY_LIMIT_BYTES = 128 * 2 ** 20;

/** A parsed `--memory-limit`: the setting handed to DuckDB and its size in bytes. */
export interface MemoryLimit {
  readonly setting: string;
  readonly bytes: number;
}

/**
 * `--memory-limit`'s value: digits with an optional fraction, then a unit (`512MiB`, `1GB`, `2GiB`, `1.5GB`), at
 * least `MIN_MEMORY_LIMIT_BYTES`. Throws the usage error's message for anything else (no unit, an unknown one, `0GB`,
 * `1e3GB`, a percentage).
 */
export function parseMemoryLimit(text: string): MemoryLimit {
  const match = /^(\d{1,9}(?:\.\d{1,3})?)\s?([A-Za-z]{1,3})$/.exec(text);
  const unit = match ? Object.keys(UNITS).find((u) => u.toLowerCase() === match[2]!.toLowerCase()) : undefined;
  if (!match || unit === undefined) {
    throw new Error(`--memory-limit must be a number and a unit (one of ${Object.keys(UNITS).join(", ")}), such as 512MiB, 1GB or 2GiB, not "${text}".`);
  }
  const bytes = Number(match[1]) * UNITS[unit]!;
  if (bytes < MIN_MEMORY_LIMIT_BYTES) {
    throw new Error(`--memory-limit ${text} is below the least limit taken, 128MiB: under it a run of long records or a large table runs out of memory.`);
  }
  return { setting: `${match[1]}${unit}`, bytes };
}
