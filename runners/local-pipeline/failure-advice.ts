// What `pipeline:local` says after `error PIPELINE.FAILED: <the engine's message>`: what the failure left of the output
// folder, and the fix for the causes a run meets in the field (a full disk, the engine's memory, a folder it may not
// write, a file where a folder belongs). The engines' own messages name the cause (DuckDB's "Out of Memory Error",
// the system's "No space left on device", Java's "OutOfMemoryError") but not what to change in the command.
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_MEMORY_LIMIT } from "./memory-limit.js";

export interface FailureContext {
  out: string;
  engine: "duckdb" | "spark";
  /** The DuckDB engine's --memory-limit as given (undefined: the default). */
  memoryLimit?: string;
  /** A failed Spark job's error lines of Spark's and Java's console output (`SparkJobError.consoleErrors`). */
  consoleErrors?: readonly string[];
}

/**
 * The lines (each ending in a newline) that follow a run's `error PIPELINE.FAILED` line: a failed Spark job's console
 * error lines the message does not hold (its Python exception may not say why: the JVM out of memory gives
 * "py4j.reflection does not exist in the JVM"), what the run left, and the fix.
 */
export function failureAdvice(message: string, context: FailureContext): string {
  const { out } = context;
  const consoleLines = (context.consoleErrors ?? []).filter((line) => !message.includes(line));
  const sparkConsole = consoleLines.length > 0 ? `  Spark's console output named these errors:\n${consoleLines.map((line) => `    ${line.length > 400 ? `${line.slice(0, 400)}…` : line}\n`).join("")}` : "";
  const named = [message, ...consoleLines].join("\n");
  const state = existsSync(join(out, "run-summary.json"))
    ? `  ${out} was not changed: the run stopped before replacing anything (the last run's run-summary.json stays).\n`
    : `  ${out} holds no run-summary.json until a run completes: its tables may be partly replaced (the run's own folders in the cleaned zone and the quarantine were removed).\n`;
  const fix = failureFix(named, context);
  // A message that carries its own fix line (the Spark session's start) needs no generic one after it.
  return sparkConsole + state + (fix === GENERIC_FIX && /^\s*fix:/im.test(named) ? "" : `  fix: ${fix}\n`);
}

const GENERIC_FIX = "the message above names the cause; once it is mended, run the same command again (it replaces every table).";

/** The fix for the cause `message` names (a generic one when it names none of the known causes). */
export function failureFix(message: string, { out, engine, memoryLimit }: FailureContext): string {
  if (/No space left on device|ENOSPC|Disk quota exceeded|EDQUOT/i.test(message)) {
    const spill = engine === "duckdb" ? "DuckDB's spill files beyond its memory limit" : "Spark's shuffle and spill files";
    return (
      `a disk is full: the one of ${out}, or the one of the system's temporary folder (${tmpdir()}), where ${spill} go (about the input's size for a large run). ` +
      "Free some space there, or pass --out on a disk with room, or set TMPDIR to a folder on one; then run the same command again."
    );
  }
  if (engine === "duckdb" && /Out of Memory Error/i.test(message)) {
    return (
      `DuckDB ran out of its memory limit (--memory-limit, ${memoryLimit === undefined ? `default ${DEFAULT_MEMORY_LIMIT}` : `this run's ${memoryLimit}`}). ` +
      "Pass a higher one (e.g. --memory-limit 4GB, below the machine's free memory), or fewer --threads (each thread holds buffers of its own); then run the same command again."
    );
  }
  if (engine === "spark" && /INVALID_DRIVER_MEMORY|System memory \d+ must be at least/.test(message)) {
    return "SPARK_DRIVER_MEMORY is below the least memory Spark starts with (450 MiB): set it higher (default 2g, e.g. SPARK_DRIVER_MEMORY=2g) or leave it unset; then run the same command again.";
  }
  if (engine === "spark" && /OutOfMemoryError|Java heap space|GC overhead limit exceeded/.test(message)) {
    return "the Spark driver ran out of memory. Set SPARK_DRIVER_MEMORY higher (default 2g, e.g. SPARK_DRIVER_MEMORY=6g, below the machine's free memory), or pass fewer --threads; then run the same command again.";
  }
  if (/Read-only file system|EROFS/i.test(message)) {
    return "the file system named above is read-only: pass --out on a writable one (or set TMPDIR to one, if it is the temporary folder's); then run the same command again.";
  }
  if (/Permission denied|EACCES|Operation not permitted|EPERM/i.test(message)) {
    return "the run may not write the file or folder named above: make it writable (chmod u+w), or pass --out on a folder you may write (set TMPDIR to one, if it is under the temporary folder); then run the same command again.";
  }
  if (/ENOTDIR|Not a directory/i.test(message)) {
    return "a file stands where a folder belongs on the path named above: move it away, or pass another --out; then run the same command again.";
  }
  return GENERIC_FIX;
}
