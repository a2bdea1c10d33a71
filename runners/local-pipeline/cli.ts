/**
 * `npm run pipeline:local [-- --input <dataset>=<file|dir> ... --out DIR --run-id ID]`
 *
 * Exit codes: 0 the run reconciles and every dbt test passes; 1 it does not reconcile; 2 it cannot run (bad usage,
 * unreadable input, missing generated IR, generated files changed during the run); 3 a dbt test, model or freshness check failed; 4 a dataset's quarantined
 * share exceeds --max-quarantine-ratio (what the Glue clean job fails on).
 */
import { constants } from "node:buffer";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { IR_VERSION, type DatasetIR } from "../../generators/ir/types.js";
import { handOverLock, tryLock, type LockAttempt } from "../../generators/lib/folder-lock.js";
import { onInterrupt } from "../../generators/lib/interrupt.js";
import { parseWholeNumber } from "../../generators/lib/numbers.js";
import { isInsideReally, samePath } from "../../generators/lib/real-paths.js";
import { repositoryClash } from "../../generators/lib/repository-folders.js";
import { PLATFORM } from "../../generators/platform.js";
import { MAX_RECORD_BYTES } from "../../generators/dialects/cleaning.js";
import { MIN_RECORD_LIMIT_BYTES } from "../../generators/dialects/stages.js";
import { RAW_OBJECT_SUFFIXES } from "../../generators/targets/terraform/emit.js";
import { formatWarehouse, PseudonymKeyError, pseudonymKeyFrom, runWarehouse, WarehouseError, type WarehouseResult } from "../local-warehouse/warehouse.js";
import { localPath, runPipeline, type RunSummary } from "./pipeline.js";
import { runSparkPipeline } from "../spark-local/pipeline.js";
import { SparkJobError } from "../spark-local/driver.js";
import { hiddenFromSpark, listInputFiles, type SkippedEntry } from "./read-input.js";
import { RUN_LOCK } from "./run-lock.js";
import { checkRunId } from "./safe-paths.js";
import { generatedChangedAt, generatedManifestHash, loadGeneratedIR, NoGeneratedIR } from "./generated-ir.js";
import { closestName, emptyPathOption, givenPath, notAFolder, parseArgsFix, parseArgsMessage, versionLine } from "../../generators/lib/cli-args.js";
import { failureAdvice, failureFix } from "./failure-advice.js";
import { DEFAULT_MEMORY_LIMIT, parseMemoryLimit, type MemoryLimit } from "./memory-limit.js";
import { defaultThreads, MAX_DEFAULT_THREADS, parseThreads } from "./threads.js";
import { DEFAULT_MAX_QUARANTINE_RATIO } from "../../generators/targets/glue-jobs.js";

/** Longest record `--max-record-bytes` may allow: a record is read as one string, and V8's longest is shorter. */
const MAX_RECORD_BYTES_LIMIT = constants.MAX_STRING_LENGTH;

const HELP = `Usage: npm run pipeline:local [-- options]

Runs the cleaning and flattening rules of every contract and writes the S3 layout locally: cleaned, quarantine,
processed Parquet, run-summary.json. Engines: embedded DuckDB (default; the DuckDB rendering of the same rules), or
the generated Glue jobs themselves on a local Spark session (--engine spark; installs pyspark on first use).
Then the warehouse: external tables over the processed Parquet (the Snowflake definitions, rendered for DuckDB)
in <out>/warehouse/amazon_reviews.duckdb, and the real dbt on dbt-out/ with its local (DuckDB) target:
dbt source freshness, then dbt build (every model, enforced contract and test; installs dbt on first use).
dbt's run_results.json, manifest.json and sources.json are kept in <out>/warehouse/dbt/target/.
Personal columns are keyed pseudonyms: the key comes from ${PLATFORM.pseudonym.keyEnv} (at least ${PLATFORM.pseudonym.minKeyLength} characters), or is
random for the run when it is unset (pseudonyms then differ between runs); it is stored in the database file only.

Options:
  --input <dataset>=<file|dir>  Raw input of a dataset (repeatable). A directory is read recursively: its files
                                named *.json, *.jsonl, *.json.gz or *.jsonl.gz (the raw objects that start a run
                                in AWS); any other file is skipped with a warning. A file given is read whatever
                                its name.
                                Default: the samples shipped in samples/<dataset>/.
  --out <dir>                   Output folder (default: .pipeline-out/). Tables of this run are replaced.
  --engine duckdb|spark         Engine of the cleaning and flattening jobs (default: duckdb).
  --max-record-bytes <n>        Longest record (bytes of one line) loaded; longer ones are quarantined as
                                record.too_long with their first 1024 bytes (default: 16777216, the Glue jobs' limit).
  --max-quarantine-ratio <r>    Largest share of a dataset's records that may be quarantined (quarantined / input,
                                from 0 to 1; default: ${DEFAULT_MAX_QUARANTINE_RATIO}, the Glue clean job's default). Beyond it the
                                run ends with exit code 4 once its tables, quarantine and run-summary.json are
                                written, and skips the warehouse: in AWS the clean job fails and pages someone.
                                1 never fails. Both engines.
  --memory-limit <size>         DuckDB's memory limit, beyond which it spills to a scratch folder: a number and a
                                unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB), e.g. 512MiB, 2GiB, 4GB; at least
                                128MiB (default: ${DEFAULT_MEMORY_LIMIT}, which kept the peak RSS under 2 GiB at 10M reviews). More
                                memory spills less; a record close to --max-record-bytes needs the memory (several
                                copies of its text are held at once). The DuckDB engine only.
  --threads <n>                 Threads of the engine: DuckDB's threads, or Spark's local[<n>] (default: one per
                                core, at most ${MAX_DEFAULT_THREADS}: ${defaultThreads()} on this machine).
  --run-id <id>                 Run id written to every cleaned and quarantined record (default: local-<UTC time>).
  --root <dir>                  Repository root (default: the current directory; under npm run, the package's).
  --no-warehouse                Stop after the Parquet (skip external tables and dbt).
  --quiet                       Print only the summary.
  --timings                     Prefix each progress line with the time since the process started, the
                                process's peak RSS so far and the CPU time its threads (DuckDB's among them) have
                                used so far, user and system ([1234 ms, peak 812 MiB, CPU 2104 ms] review:
                                validated), and end with the peak RSS in KiB and the CPU time (peak RSS 1181676
                                KiB, CPU 21480 ms user + 2310 ms system). dbt and Spark run in processes of their
                                own: their CPU time is not counted.
  -h, --help                    Show this help.
  --version                     Print the name and version of the tool.

Exit codes: 0 the counts reconcile (input = valid + duplicates + quarantined) and every dbt test passes,
1 the counts do not reconcile, 2 cannot run (dbt included; or the generated files changed during the run,
PIPELINE.GENERATED_CHANGED: run-summary.json records the sha256 of generated/manifest.json the run read), 3 a dbt test, model (enforced contract included) or
source freshness check failed: each is named with its failing-row count and a sample, 4 a dataset's quarantined
share exceeds --max-quarantine-ratio (PIPELINE.QUARANTINE_RATIO; the warehouse step is skipped).`;

export { RUN_LOCK };

/** What an input folder's unread entries are, counted by kind: `1 FIFO, socket or device entry`. */
function skippedEntries(skipped: readonly SkippedEntry[]): string {
  const kinds: Record<SkippedEntry["kind"], readonly [string, string]> = {
    special: ["FIFO, socket or device entry", "FIFO, socket or device entries"],
    unreadable: ["unreadable entry (a broken link, a link loop, no permission)", "unreadable entries (broken links, link loops, no permission)"],
    seen: ["link to a folder already read", "links to folders already read"],
    "not-ingested": ["file whose name the platform does not ingest", "files whose names the platform does not ingest"],
  };
  return (Object.keys(kinds) as SkippedEntry["kind"][])
    .map((kind) => [kind, skipped.filter((entry) => entry.kind === kind).length] as const)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${n} ${kinds[kind][n === 1 ? 0 : 1]}`)
    .join(", ");
}

export function formatSummary(summary: RunSummary): string {
  const lines = [`Run ${summary.runId} (${summary.engine}): ${summary.reconciled ? "counts reconcile" : "COUNTS DO NOT RECONCILE"}`];
  for (const [name, d] of Object.entries(summary.datasets)) {
    lines.push(`  ${name}: input ${d.input}, valid ${d.valid}, duplicates ${d.duplicates}, quarantined ${d.quarantined.total}`);
    for (const [code, n] of Object.entries(d.quarantined.byReason)) lines.push(`    ${code}: ${n}`);
    for (const [table, n] of Object.entries(d.tables)) lines.push(`    table ${table}: ${n} rows`);
    for (const f of d.files) if (f.error) lines.push(`    warning: ${f.file}: ${f.error}`);
  }
  for (const p of summary.problems) lines.push(`  problem: ${p}`);
  return lines.join("\n");
}

/**
 * The run's closing line when its warehouse step failed (`what`): the summary above it, printed before the warehouse
 * ran, says only that the counts reconcile.
 */
export function warehouseFailedLine(summary: RunSummary, what: string): string {
  return `Run ${summary.runId} (${summary.engine}): counts reconcile, but the WAREHOUSE FAILED: ${what}`;
}

/** What failed in a warehouse that is not ok, as `formatWarehouse` lists it above. */
function warehouseFailures(warehouse: WarehouseResult): string {
  const tests = warehouse.tests.filter((t) => t.status === "fail" || t.status === "error").length;
  const models = warehouse.models.filter((m) => m.status !== "success").length;
  const stale = warehouse.freshness.filter((f) => f.status !== "pass" && f.status !== "warn" && (warehouse.sources[f.source.split(".")[1]!] ?? 0) > 0).length;
  const parts = [
    ...(tests ? [`${tests} dbt test${tests === 1 ? "" : "s"} failed`] : []),
    ...(models ? [`${models} model${models === 1 ? "" : "s"} not built`] : []),
    ...(stale ? [`${stale} source${stale === 1 ? "" : "s"} not fresh`] : []),
  ];
  return `${parts.length ? parts.join(", ") : "dbt build failed"} (above).`;
}

export async function main(argv: readonly string[], out: { write(text: string): unknown } = process.stdout, err: { write(text: string): unknown } = process.stderr): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        input: { type: "string", multiple: true },
        out: { type: "string" },
        "run-id": { type: "string" },
        engine: { type: "string", default: "duckdb" },
        "max-record-bytes": { type: "string" },
        "max-quarantine-ratio": { type: "string" },
        "memory-limit": { type: "string" },
        threads: { type: "string" },
        root: { type: "string" },
        quiet: { type: "boolean", default: false },
        timings: { type: "boolean", default: false },
        "no-warehouse": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
        version: { type: "boolean", default: false },
      },
    }));
  } catch (error) {
    err.write(`error CLI.USAGE: ${parseArgsMessage(error)}\n  fix: ${parseArgsFix(error, HELP)}\n`);
    return 2;
  }
  if (values.help) {
    out.write(`${HELP}\n`);
    return 0;
  }
  if (values.version) {
    out.write(`${versionLine()}\n`);
    return 0;
  }
  const engine = values.engine;
  if (engine !== "duckdb" && engine !== "spark") {
    err.write(`error CLI.USAGE: --engine "${engine}" is not an engine.\n  fix: use --engine duckdb (default) or --engine spark.\n`);
    return 2;
  }
  const maxRecordBytes = values["max-record-bytes"] === undefined ? undefined : parseWholeNumber(values["max-record-bytes"], MIN_RECORD_LIMIT_BYTES, MAX_RECORD_BYTES_LIMIT);
  if (values["max-record-bytes"] !== undefined && maxRecordBytes === undefined) {
    err.write(
      `error CLI.USAGE: --max-record-bytes must be a whole number of bytes from ${MIN_RECORD_LIMIT_BYTES} to ${MAX_RECORD_BYTES_LIMIT}, written with digits only, not "${values["max-record-bytes"]}".\n  fix: pass e.g. --max-record-bytes 1048576, or leave it out (${MAX_RECORD_BYTES}, the Glue jobs' limit).\n`,
    );
    return 2;
  }
  if (maxRecordBytes !== undefined && engine === "spark") {
    err.write("error CLI.USAGE: --max-record-bytes applies to the DuckDB engine; the Glue jobs carry their own limit (16 MiB).\n  fix: leave --max-record-bytes out with --engine spark.\n");
    return 2;
  }
  const ratioText = values["max-quarantine-ratio"];
  // Digits only (Number() would take "", " 1", "0x1" and "1e-1").
  const maxQuarantineRatio = ratioText === undefined ? undefined : /^(?:0|1)(?:\.\d+)?$|^\.\d+$/.test(ratioText) ? Number(ratioText) : Number.NaN;
  if (maxQuarantineRatio !== undefined && !(maxQuarantineRatio >= 0 && maxQuarantineRatio <= 1)) {
    err.write(`error CLI.USAGE: --max-quarantine-ratio must be a share of the records from 0 to 1, written like 0.5, not "${ratioText}".\n  fix: pass e.g. --max-quarantine-ratio 0.9, or 1 to never fail for quarantined records (default ${DEFAULT_MAX_QUARANTINE_RATIO}).\n`);
    return 2;
  }
  let memoryLimit: MemoryLimit | undefined;
  try {
    memoryLimit = values["memory-limit"] === undefined ? undefined : parseMemoryLimit(values["memory-limit"]);
  } catch (error) {
    err.write(`error CLI.USAGE: ${(error as Error).message}\n  fix: pass e.g. --memory-limit 2GiB, or leave it out (${DEFAULT_MEMORY_LIMIT}).\n`);
    return 2;
  }
  if (memoryLimit !== undefined && engine === "spark") {
    err.write("error CLI.USAGE: --memory-limit applies to the DuckDB engine; the Spark engine's is its driver's memory.\n  fix: leave --memory-limit out with --engine spark, and set SPARK_DRIVER_MEMORY (default 2g) instead.\n");
    return 2;
  }
  let threads: number | undefined;
  try {
    threads = values.threads === undefined ? undefined : parseThreads(values.threads);
  } catch (error) {
    err.write(`error CLI.USAGE: ${(error as Error).message}\n  fix: pass the number of threads to use, or leave --threads out (${defaultThreads()} on this machine).\n`);
    return 2;
  }
  // An empty path would be the current folder: `--out "$UNSET"` would write the run's tables there.
  const empty = emptyPathOption(values, ["root", "out"]);
  if (empty) {
    err.write(`error CLI.USAGE: ${empty} is empty.\n  fix: give ${empty} a folder, or leave it out for its default (see --help).\n`);
    return 2;
  }
  const root = values.root === undefined ? process.cwd() : givenPath(values.root);
  // Said as what it is, not as a missing generated IR that `npm run generate` would not bring.
  const rootProblem = notAFolder("--root", root);
  if (rootProblem) {
    err.write(`error CLI.USAGE: ${rootProblem}: --root names the repository's folder.\n  fix: pass --root <repository folder>, or leave it out to use the current folder.\n`);
    return 2;
  }
  let datasets: DatasetIR[];
  // Hashed before the IR is read: a generate between the two is then seen as a change, never missed.
  const generatedManifest = generatedManifestHash(root);
  try {
    datasets = loadGeneratedIR(root);
  } catch (error) {
    err.write(`error PIPELINE.NO_IR: ${(error as Error).message}\n  fix: ${error instanceof NoGeneratedIR ? error.fix : "run `npm run generate` first."}\n`);
    return 2;
  }
  const inputs = new Map<string, string[]>();
  const outDir = values.out === undefined ? join(root, ".pipeline-out") : givenPath(values.out);
  if (existsSync(outDir) && !statSync(outDir).isDirectory()) {
    err.write(`error CLI.USAGE: --out ${outDir} is a file, not a folder: a run writes its tables, run-summary.json and warehouse/ into a folder.\n  fix: pass a folder, e.g. --out .pipeline-out (the default).\n`);
    return 2;
  }
  // A run replaces what its output folder holds: never the repository's sources or generated files.
  const clash = repositoryClash(root, outDir);
  if (clash) {
    err.write(`error CLI.USAGE: --out ${outDir} ${clash}; a run replaces the tables of its output folder.\n  fix: pass a folder of its own, e.g. --out .pipeline-out (the default) or a folder outside the repository.\n`);
    return 2;
  }
  for (const spec of values.input ?? []) {
    const eq = spec.indexOf("=");
    const name = spec.slice(0, eq);
    if (eq <= 0 || !datasets.some((d) => d.name === name)) {
      err.write(
        `error CLI.USAGE: --input "${spec}" must be <dataset>=<file|dir> with dataset one of ${datasets.map((d) => d.name).join(", ")}.\n  fix: write --input ${closestName(name, datasets.map((d) => d.name)) ?? "<dataset>"}=<file|dir> (one --input per file or folder).\n`,
      );
      return 2;
    }
    // An empty path would resolve to the current folder and read it all (node_modules included).
    if (spec.slice(eq + 1).trim() === "") {
      err.write(`error CLI.USAGE: --input "${spec}" has no path.\n  fix: write --input ${name}=<file|dir>.\n`);
      return 2;
    }
    const path = givenPath(spec.slice(eq + 1));
    if (!existsSync(path)) {
      err.write(`error PIPELINE.NO_INPUT: ${path} does not exist.\n  fix: pass an existing file or directory.\n`);
      return 2;
    }
    // An input given twice, or inside another of its dataset (a file of a folder given, a folder under it), would have
    // its records read twice: each counted and loaded twice, silently. Compared by real paths too (`real-paths.ts`).
    const earlier = inputs.get(name)?.find((given) => isInsideReally(given, path) || isInsideReally(path, given));
    if (earlier !== undefined) {
      const how = samePath(earlier, path) ? "is the same as" : isInsideReally(earlier, path) ? "lies inside" : "holds";
      err.write(
        `error CLI.USAGE: --input ${name}=${path} ${how} --input ${name}=${earlier}: its records would be read twice.\n  fix: give each file or folder once, and no file or folder inside another input of the same dataset.\n`,
      );
      return 2;
    }
    // Spark and the Glue clean job skip a file named "_…" or ".…" (in a folder, so does this command): named on its
    // own, it is refused here as the clean job refuses it in AWS.
    if (hiddenFromSpark(basename(path)) && statSync(path).isFile()) {
      err.write(`error PIPELINE.NO_INPUT: --input ${name}=${path} is a file whose name starts with "_" or ".": Spark and the Glue clean job skip such files as hidden ones, so its records would be lost in AWS.\n  fix: rename the file (e.g. ${basename(path).replace(/^[_.]+/, "") || "reviews.jsonl"}).\n`);
      return 2;
    }
    // A path that yields no file to read (an empty folder, /dev/null, a FIFO) would be a run over nothing, exit 0.
    const { files, skipped } = listInputFiles(path);
    if (files.length === 0) {
      const what = statSync(path).isDirectory() ? `holds no input file${skipped.length ? ` (only ${skippedEntries(skipped)}, which are not read)` : ""}` : "is not a regular file (a FIFO, socket or device): it is not read";
      err.write(`error PIPELINE.NO_INPUT: --input ${name}=${path} ${what}.\n  fix: pass a JSON Lines file or a folder holding some (named *${RAW_OBJECT_SUFFIXES.join(", *")}, the names the platform ingests).\n`);
      return 2;
    }
    // Said even with --quiet (the run's progress says it otherwise): an input entry that is not read.
    if (values.quiet) for (const entry of skipped) err.write(`warning: ${name}: ${entry.path} ${entry.reason}\n`);
    inputs.set(name, [...(inputs.get(name) ?? []), path]);
  }
  if (inputs.size === 0) {
    for (const d of datasets) {
      const sample = join(root, "samples", d.name);
      if (existsSync(sample)) inputs.set(d.name, [sample]);
      // A contract added without samples: said even with --quiet, as the run goes on with its tables left empty.
      else err.write(`warning: ${d.name}: no samples folder ${join("samples", d.name)}/, so this run reads nothing for dataset ${d.name} and leaves its tables empty.\n  fix: create ${join("samples", d.name)}/ holding JSON Lines sample records of the dataset (README "Adding a dataset"), or pass --input ${d.name}=<file or folder>.\n`);
    }
  }
  // By real paths too (`real-paths.ts`): `--out /x/alias/out`, with `alias` a link to the input folder, is inside it.
  for (const path of [...inputs.values()].flat()) {
    if (isInsideReally(path, outDir) || isInsideReally(outDir, path)) {
      err.write(
        `error CLI.USAGE: the output folder ${outDir} and the input ${path} overlap: the run would read its own output, or replace its input.\n  fix: choose an --out folder outside the inputs (and inputs outside --out).\n`,
      );
      return 2;
    }
  }
  const runId = values["run-id"] ?? `local-${new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}`;
  try {
    checkRunId(runId);
  } catch (error) {
    err.write(`error CLI.USAGE: ${(error as Error).message}\n  fix: pass --run-id with a simple name such as 2026-01-31-a.\n`);
    return 2;
  }
  // The warehouse step's key, checked before the tables are written: a short key would stop the run after them.
  if (!values["no-warehouse"]) {
    try {
      pseudonymKeyFrom(process.env);
    } catch (error) {
      if (!(error instanceof PseudonymKeyError)) throw error;
      err.write(`error ${error.code}: ${error.message} Nothing was written.\n  fix: ${error.fix}\n`);
      return 2;
    }
  }
  const started = performance.now();
  // --timings: the process's own figures (DuckDB runs in this process, on its threads: their CPU time counts).
  const usage = () => {
    const u = process.resourceUsage();
    return { peakMiB: Math.round(u.maxRSS / 1024), maxRssKb: u.maxRSS, userMs: Math.round(u.userCPUTime / 1000), systemMs: Math.round(u.systemCPUTime / 1000) };
  };
  const progress = values.quiet
    ? undefined
    : values.timings
      ? (line: string) => {
          const u = usage();
          err.write(`[${Math.round(performance.now())} ms, peak ${u.peakMiB} MiB, CPU ${u.userMs + u.systemMs} ms] ${line}\n`);
        }
      : (line: string) => err.write(`${line}\n`);
  const timingsEnd = () => {
    if (!values.timings) return;
    const u = usage();
    err.write(`peak RSS ${u.maxRssKb} KiB, CPU ${u.userMs} ms user + ${u.systemMs} ms system\n`);
  };
  if (values.timings) progress?.("started (modules loaded, arguments checked)");
  // One run at a time in an output folder: two would replace the same tables under each other.
  const lock = join(outDir, RUN_LOCK);
  let attempt: LockAttempt;
  try {
    mkdirSync(outDir, { recursive: true });
    attempt = tryLock(lock);
  } catch (error) {
    err.write(`error PIPELINE.FAILED: ${(error as Error).message}\n  fix: ${failureFix((error as Error).message, { out: outDir, engine })}\n`);
    return 2;
  }
  if (!attempt.taken) {
    err.write(
      `error PIPELINE.BUSY: another pipeline:local run (pid ${attempt.owner ?? "unknown"}) is writing ${outDir}.\n  fix: wait for it to end, or pass another --out. If no run is going on, remove the folder ${lock}.\n`,
    );
    return 2;
  }
  // Interrupted (Ctrl-C, a kill): these steps run once the run's child processes (Spark's driver, dbt) have ended
  // (`stopOnInterrupt`); the lock is released then, or, if one outlived even SIGKILL, handed over to it, so that the
  // next run waits for it (PIPELINE.BUSY naming it) instead of writing beside it.
  const unlock = onInterrupt((_signal, survivors) => (survivors.length > 0 ? handOverLock(lock, survivors[0]!) : rmSync(lock, { recursive: true, force: true })));
  // The pipeline removes its scratch folder, and this says what is left.
  const flags = values;
  const runEngine: "duckdb" | "spark" = engine;
  let stage: "tables" | "warehouse" = "tables";
  const stopped = onInterrupt((signal, survivors) =>
    err.write(
      (stage === "tables"
        ? `error PIPELINE.INTERRUPTED: stopped by ${signal} before the run completed. ${outDir} is incomplete: its tables may be partly replaced, and it holds no run-summary.json until a run completes.\n`
        : `error PIPELINE.INTERRUPTED: stopped by ${signal} during the warehouse step. The tables and run-summary.json in ${outDir} are complete; ${join(outDir, "warehouse")} is not.\n`) +
        (survivors.length > 0 ? `  a child process of the run (pid ${survivors.join(", ")}) did not end, even killed: ${lock} is left to it, so that no run writes ${outDir} while it may.\n  fix: once it has ended, run the same command again.\n` : stage === "tables" ? "  fix: run the same command again; it replaces every table.\n" : "  fix: run the same command again.\n"),
    ),
  );
  try {
    return await runAndReport();
  } finally {
    stopped();
    rmSync(lock, { recursive: true, force: true });
    unlock();
  }

  async function runAndReport(): Promise<number> {
    let summary: RunSummary;
    try {
      const options = { datasets, inputs, out: outDir, runId, progress, ...(generatedManifest ? { generatedManifest } : {}), ...(maxRecordBytes ? { maxRecordBytes } : {}), ...(maxQuarantineRatio !== undefined ? { maxQuarantineRatio } : {}), ...(memoryLimit ? { memoryLimit: memoryLimit.setting } : {}), ...(threads ? { threads } : {}) };
      summary = engine === "spark" ? await runSparkPipeline({ ...options, root }) : await runPipeline(options);
    } catch (error) {
      const message = (error as Error).message;
      // A failed Spark job's Python exception may not say why (the JVM out of memory: "py4j.reflection does not exist
      // in the JVM"); Spark's and Java's console output, which the run does not show, does.
      const consoleLines = error instanceof SparkJobError ? error.consoleErrors : [];
      err.write(`error PIPELINE.FAILED: ${message}\n${failureAdvice(message, { out: outDir, engine: runEngine, consoleErrors: consoleLines, ...(flags["memory-limit"] !== undefined ? { memoryLimit: flags["memory-limit"] } : {}) })}`);
      return 2;
    }
    // The IR was read at the start; the Glue jobs (Spark) and dbt's project are read later, from the files of now.
    const changedDuringTables = generatedChangedAt(root, generatedManifest);
    if (changedDuringTables !== undefined) {
      rmSync(join(outDir, "run-summary.json"), { force: true });
      err.write(generatedChanged(changedDuringTables, `its tables may mix the two (the Glue jobs are read as each runs), and dbt would read the new project over them: ${outDir} holds no run-summary.json, and the warehouse step was skipped.`));
      return 2;
    }
    out.write(`${formatSummary(summary)}\n`);
    if (!summary.reconciled) return 1;
    if (summary.quarantineAlerts.length > 0) {
      for (const alert of summary.quarantineAlerts) err.write(`error PIPELINE.QUARANTINE_RATIO: ${alert}\n`);
      err.write(`  fix: read the reason_codes of the quarantined records under ${outDir}; if the share is expected, pass --max-quarantine-ratio (1 never fails). The warehouse step was skipped.\n`);
      timingsEnd();
      return 4;
    }
    if (flags["no-warehouse"]) {
      progress?.("summary written");
      timingsEnd();
      out.write(`Wrote ${join(outDir, "run-summary.json")} in ${Math.round(performance.now() - started)} ms.\n`);
      return 0;
    }
    let warehouse: WarehouseResult;
    stage = "warehouse";
    try {
      warehouse = await runLocalWarehouse(root, datasets, outDir, flags.quiet ? undefined : (line) => err.write(`${line}\n`));
    } catch (error) {
      if (error instanceof PseudonymKeyError) {
        err.write(`error ${error.code}: ${error.message}\n  fix: ${error.fix}\n`);
        out.write(`${warehouseFailedLine(summary, `no usable pseudonym key (error ${error.code}); run-summary.json has no warehouse section.`)}\n`);
        return 2;
      }
      const fix = error instanceof WarehouseError && error.fix ? `  fix: ${error.fix}\n` : "";
      err.write(`error PIPELINE.WAREHOUSE: ${(error as Error).message}\n${fix}`);
      out.write(`${warehouseFailedLine(summary, "dbt could not run (error PIPELINE.WAREHOUSE); run-summary.json has no warehouse section.")}\n`);
      return 2;
    }
    out.write(`${formatWarehouse(warehouse, outDir)}\n`);
    const changedDuringWarehouse = generatedChangedAt(root, generatedManifest);
    if (changedDuringWarehouse !== undefined) {
      err.write(generatedChanged(changedDuringWarehouse, "dbt may have read the new project over the tables of the old one: run-summary.json keeps the tables' figures and has no warehouse section."));
      out.write(`${warehouseFailedLine(summary, "the generated files changed during the warehouse step (error PIPELINE.GENERATED_CHANGED); run-summary.json has no warehouse section.")}\n`);
      return 2;
    }
    const summaryPath = join(outDir, "run-summary.json");
    const written = JSON.parse(readFileSync(summaryPath, "utf8")) as Record<string, unknown>;
    const rel = (path: string) => relative(outDir, path);
    written.warehouse = {
      ok: warehouse.ok,
      dbtVersion: warehouse.dbtVersion,
      database: rel(warehouse.database),
      sources: warehouse.sources,
      freshness: warehouse.freshness,
      models: warehouse.models,
      tests: { passed: warehouse.tests.filter((t) => t.status === "pass").length, failed: warehouse.tests.filter((t) => t.status !== "pass") },
      artifacts: warehouse.artifacts.map(rel),
      pseudonymKey: warehouse.pseudonymKey,
    };
    writeFileSync(summaryPath, `${JSON.stringify(written, null, 2)}\n`);
    if (flags.timings) progress?.("warehouse written");
    timingsEnd();
    out.write(`Wrote ${summaryPath} and ${warehouse.database} in ${Math.round(performance.now() - started)} ms.\n`);
    if (!warehouse.ok) out.write(`${warehouseFailedLine(summary, warehouseFailures(warehouse))}\n`);
    return warehouse.ok ? 0 : 3;
  }
}

/** The error of a run during which `generated/manifest.json` changed (at `at`), with what that did to the run (`effect`). */
function generatedChanged(at: string, effect: string): string {
  return (
    `error PIPELINE.GENERATED_CHANGED: generated files changed during the run (npm run generate at ${at}?): generated/manifest.json is not the one the run started with, so ${effect}\n` +
    "  fix: re-run once generation is done (npm run generate, then npm run pipeline:local).\n"
  );
}

/** External tables, then the real dbt (source freshness, build) on a DuckDB database in `<out>/warehouse/` (replaced each run). */
export async function runLocalWarehouse(root: string, datasets: readonly DatasetIR[], outDir: string, log?: (line: string) => void, dbtDir = join(root, "dbt-out")): Promise<WarehouseResult> {
  return runWarehouse({
    ir: { irVersion: IR_VERSION, datasets },
    dbtDir,
    warehouseDir: join(outDir, "warehouse"),
    tableDirectory: (table) => localPath(outDir, table.location),
    ...(log ? { log } : {}),
  });
}

// Run directly (under tsx); `npm run pipeline:local` runs main from launch.mjs, which reports a crash the same way.
if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exit(2);
    },
  );
}
