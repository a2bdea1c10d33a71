/**
 * How many threads an engine runs on (`pipeline:local --threads`): DuckDB's threads, or Spark's `local[n]`.
 */
import { availableParallelism } from "node:os";
import { parseWholeNumber } from "../../generators/lib/numbers.js";

/**
 * Most threads by default. Under the DuckDB engine's 1 GB memory limit, 8 threads (on 2 cores) ran 1M reviews with a
 * peak RSS of 1,053 MiB and 10M with 1,378 MiB, about as 2 threads do (840-1,091 and 1,388-1,482 MiB); more threads
 * were not measured at 10M (bench/README.md, "Threads").
 */
export const MAX_DEFAULT_THREADS = 8;

/** Most threads `--threads` takes. */
export const MAX_THREADS = 256;

/** `--threads`' value as a count of threads; throws the usage error's message for anything but 1 to `MAX_THREADS`. */
export function parseThreads(text: string): number {
  const threads = parseWholeNumber(text, 1, MAX_THREADS);
  if (threads === undefined) throw new Error(`--threads must be a whole number from 1 to ${MAX_THREADS}, written with digits only, not "${text}".`);
  return threads;
}

/** The default: one thread per core of this machine, at most `MAX_DEFAULT_THREADS`. */
export function defaultThreads(): number {
  return Math.max(1, Math.min(availableParallelism(), MAX_DEFAULT_THREADS));
}
