/**
 * The local pipeline on Spark: the generated Glue jobs (`glue-pyspark-out/`) run on a local Spark session with the
 * arguments the state machine passes (zone roots; the jobs add `run_id=<id>/`), over the same inputs, into the same
 * output layout, with the same `run-summary.json` shape as the DuckDB engine.
 *
 * What the runner does that Glue does not need: it links the run's input files into one folder (Glue gets one raw
 * object per run), leaves out gzip files that are cut or corrupt (in AWS such an object fails its own run: Spark
 * raises `EOFException: Unexpected end of input stream`; see runners/spark-local/README.md, known differences), and replaces the
 * run's tables as the DuckDB engine does.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import type { DatasetIR } from "../../generators/ir/types.js";
import { glueScriptPath, quarantineRatioExceeded, type GlueJobRunArguments } from "../../generators/targets/glue-jobs.js";
import { checkRunId, removeInside, removeTableFiles } from "../local-pipeline/safe-paths.js";
import { finishRun, localPath, newRunSummary, removeRunFolders, startRun, type DatasetSummary, type PipelineOptions, type RunSummary } from "../local-pipeline/pipeline.js";
import { hiddenFromSpark, listDatasetInputs, sourceFileName, type FileStats } from "../local-pipeline/read-input.js";
import { onInterrupt } from "../../generators/lib/interrupt.js";
import { SparkDriver, SparkJobError } from "./driver.js";

export interface SparkPipelineOptions extends PipelineOptions {
  /** Repository root: the generated jobs and the Python environment. */
  readonly root: string;
  /** A running Spark session to reuse (tests); default: one is started and stopped for this run. */
  readonly driver?: SparkDriver;
}

/** What the clean job's summary says of one dataset. */
interface CleanSummary {
  readonly reconciled: boolean;
  readonly datasets: Record<string, { input: number; valid: number; duplicates: number; quarantined: { total: number; byReason: Record<string, number> }; blankLines: number; files: { file: string; records: number; blankLines: number }[] }>;
}

/**
 * The lines of an input file as the DuckDB engine counts them (split on LF; a last line without one counts too), or
 * why a gzip file (by its name, as Spark tells one) cannot be read to its end (cut or corrupt). Counted by the runner,
 * not by the job, so that the reconciliation's "lines = records + blank lines" checks that the clean job accounted
 * for every line: a job that lost or split lines fails it (Hadoop's reader also splits at a lone CR: such a file
 * does not reconcile on Spark).
 */
export function countLines(path: string, gzip: boolean): { lines: number } | { problem: string } {
  let lines = 0;
  let last = 0x0a;
  const add = (bytes: Buffer) => {
    for (let at = bytes.indexOf(0x0a); at !== -1; at = bytes.indexOf(0x0a, at + 1)) lines++;
    if (bytes.length > 0) last = bytes[bytes.length - 1]!;
  };
  if (gzip) {
    try {
      add(gunzipSync(readFileSync(path)));
    } catch (error) {
      return { problem: (error as Error).message };
    }
  } else {
    const fd = openSync(path, "r");
    try {
      const buffer = Buffer.allocUnsafe(1 << 22);
      for (let read; (read = readSync(fd, buffer, 0, buffer.length, null)) > 0; ) add(buffer.subarray(0, read));
    } finally {
      closeSync(fd);
    }
  }
  return { lines: lines + (last === 0x0a ? 0 : 1) };
}

/**
 * Runs the clean job. A job that fails for its quarantined share (`--max_quarantine_ratio`) has written its zones
 * and its summary first: the runner goes on from that summary (flatten, then the run summary names the dataset in
 * `quarantineAlerts`, as the DuckDB engine does); any other failure is the run's. The job's decision is checked
 * against the runner's own rule (`quarantineRatioExceeded`): both engines report the same datasets.
 */
async function runCleanJob(driver: SparkDriver, script: string, args: GlueJobRunArguments<"clean", "path">, name: string, maxRatio: number): Promise<{ result: CleanSummary; seconds?: number }> {
  const expected = (result: CleanSummary) => {
    const d = result.datasets[name]!;
    return quarantineRatioExceeded(name, { input: d.input, quarantined: d.quarantined.total }, maxRatio);
  };
  try {
    const clean = await driver.runJob<CleanSummary>(script, args);
    if (expected(clean.result)) throw new Error(`Bug: the clean job of ${name} succeeded with more than --max_quarantine_ratio ${maxRatio} of its records quarantined.`);
    return clean;
  } catch (error) {
    if (!(error instanceof SparkJobError) || !error.message.includes("--max_quarantine_ratio") || !existsSync(args.summary_path)) throw error;
    const result = JSON.parse(readFileSync(args.summary_path, "utf8")) as CleanSummary;
    const message = expected(result);
    if (!message || !error.message.includes(message)) throw new Error(`Bug: the clean job of ${name} failed for its quarantined share, which the runner's rule does not say: ${error.message}`);
    return { result };
  }
}

/** Where the state machine puts the clean job's run summary: <quarantine>_summaries/run_id=<run id>.json. */
function cleanSummaryPath(options: Pick<PipelineOptions, "out" | "runId">, dataset: DatasetIR): string {
  return join(localPath(options.out, dataset.locations.quarantine), "_summaries", `run_id=${options.runId}.json`);
}

/**
 * Removes what a failed or interrupted run wrote of its own: its folders of the cleaned zone and the quarantine, and
 * its clean jobs' summaries.
 */
function removeRunOutput(options: SparkPipelineOptions): void {
  removeRunFolders(options);
  for (const dataset of options.datasets) if (options.inputs.has(dataset.name)) removeInside(options.out, cleanSummaryPath(options, dataset));
}

/** The folder the run's input files are linked into: `<out>/_spark_input/<dataset>/` (replaced each run). */
export function sparkInputDir(out: string, dataset: string): string {
  return join(out, "_spark_input", dataset);
}

export async function runSparkPipeline(options: SparkPipelineOptions): Promise<RunSummary> {
  checkRunId(options.runId);
  const log = options.progress ?? (() => undefined);
  const driver = options.driver ?? (await SparkDriver.start({ root: options.root, log, ...(options.threads ? { threads: options.threads } : {}) }));
  const summary = newRunSummary(options, "spark");
  // As the DuckDB engine: a run that fails or is interrupted leaves no folder of its own in the cleaned zone or the
  // quarantine (the clean jobs write them), nor the clean jobs' summaries of it. The interrupt step runs once the Spark
  // driver has ended.
  const releaseRunFolders = onInterrupt(() => removeRunOutput(options));
  let failed = true;
  try {
    startRun(options.out);
    for (const dataset of options.datasets) {
      const inputs = options.inputs.get(dataset.name);
      if (!inputs) continue;
      summary.datasets[dataset.name] = await runDataset(driver, dataset, inputs, options, summary.maxQuarantineRatio);
    }
    failed = false;
  } finally {
    try {
      if (!options.driver) await driver.close();
    } finally {
      if (failed) removeRunOutput(options);
      releaseRunFolders();
    }
  }
  return finishRun(summary, options.out);
}

async function runDataset(driver: SparkDriver, dataset: DatasetIR, inputs: readonly string[], options: SparkPipelineOptions, maxQuarantineRatio: number): Promise<DatasetSummary> {
  const log = options.progress ?? (() => undefined);
  const name = dataset.name;
  // The input files, linked under one folder by their path relative to their input root (as the DuckDB engine names
  // them, from the inputs' common folder when two inputs hold files of the same relative name: `listDatasetInputs`);
  // cut gzip files are left out with a warning. Such a name may pass through a folder Spark takes for hidden (`_…`,
  // `.…`: the inputs `/x/.a/` and `/x/.b/`), which it would skip: those files are linked under the input's number
  // instead (`1/x.jsonl`), their run summary names unchanged.
  const staging = sparkInputDir(options.out, name);
  removeInside(options.out, staging);
  mkdirSync(staging, { recursive: true });
  const files: FileStats[] = [];
  /** Each staged link's path under `staging`, with the stats of its file. */
  const linked = new Map<string, FileStats>();
  listDatasetInputs(inputs).forEach(({ root, inputRoot, files: paths, skipped }, index) => {
    for (const entry of skipped) log(`${name}: warning: ${entry.path} ${entry.reason}`);
    for (const path of paths) {
      const file = sourceFileName(path, root);
      const gzip = path.endsWith(".gz");
      const stats: FileStats = { file, format: "json-lines", gzip, lines: 0, records: 0, blankLines: 0, bytes: statSync(path).size };
      const counted = countLines(path, gzip);
      if ("problem" in counted) {
        stats.error = `not read: the gzip file is cut or corrupt (${counted.problem}); a Glue run fails on it (EOFException), so the runner leaves it out`;
        log(`${name}: warning: ${file}: ${stats.error}`);
      } else {
        stats.lines = counted.lines;
        const linkName = file.split("/").some(hiddenFromSpark) ? `${index + 1}/${sourceFileName(path, inputRoot)}` : file;
        const link = join(staging, linkName);
        mkdirSync(dirname(link), { recursive: true });
        symlinkSync(path, link);
        linked.set(linkName, stats);
      }
      files.push(stats);
    }
  });

  const cleanedRoot = localPath(options.out, dataset.locations.cleaned);
  const quarantineRoot = localPath(options.out, dataset.locations.quarantine);
  const summaryPath = cleanSummaryPath(options, dataset);
  mkdirSync(dirname(summaryPath), { recursive: true });
  // The input as a literal path (the state machine passes the S3 event's bucket and key instead).
  const cleanArgs: GlueJobRunArguments<"clean", "path"> = {
    input_path: staging,
    cleaned_path: cleanedRoot,
    quarantine_path: quarantineRoot,
    run_id: options.runId,
    summary_path: summaryPath,
    max_quarantine_ratio: String(maxQuarantineRatio),
  };
  log(`${name}: clean job (${glueScriptPath(dataset, "clean")}) on Spark…`);
  const clean = await runCleanJob(driver, join(options.root, glueScriptPath(dataset, "clean")), cleanArgs, name, maxQuarantineRatio);
  log(`${name}: cleaned${clean.seconds === undefined ? "" : ` in ${clean.seconds} s`}`);
  const result = clean.result.datasets[name]!;
  const stagingUri = `file:${staging}/`;
  for (const f of result.files) {
    const path = decodeURIComponent(f.file.replace(/^file:(\/\/)?/, "file:"));
    const relativeName = path.startsWith(stagingUri) ? path.slice(stagingUri.length) : path;
    const stats = linked.get(relativeName);
    if (!stats) throw new Error(`Bug: the clean job read ${f.file}, which is not one of the run's input files.`);
    stats.records = f.records;
    stats.blankLines = f.blankLines;
  }

  // The tables of this run are replaced, as the DuckDB engine does (the job itself adds its rows to what earlier runs
  // wrote, as every raw object's run must in AWS).
  for (const table of [dataset.table, ...dataset.children]) removeTableFiles(options.out, localPath(options.out, table.location));
  const flattenArgs: GlueJobRunArguments<"flatten"> = {
    input_path: cleanedRoot,
    output_path: localPath(options.out, dataset.locations.processed),
    run_id: options.runId,
  };
  log(`${name}: flatten job (${glueScriptPath(dataset, "flatten")}) on Spark…`);
  const flatten = await driver.runJob<Record<string, number>>(join(options.root, glueScriptPath(dataset, "flatten")), flattenArgs, options.processedAt ?? new Date());
  log(`${name}: flattened in ${flatten.seconds} s`);
  if (!existsSync(summaryPath)) throw new Error(`The clean job did not write its run summary to ${summaryPath}.`);
  return {
    input: result.input,
    valid: result.valid,
    duplicates: result.duplicates,
    quarantined: result.quarantined,
    files,
    tables: flatten.result,
  };
}
