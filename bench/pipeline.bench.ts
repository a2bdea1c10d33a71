/**
 * `npm run bench:pipeline [-- --records N --spark-records M --keep]`: builds N seeded synthetic reviews (default
 * 1,000,000) with the contract-derived generator (`runners/synth`: the real data's quirks, 0.4% records breaking one
 * rule each, 0.1% exact duplicates), runs the local pipeline on them (its counts must equal the generator's tally),
 * and in the same run times DuckDB's bare `COPY (SELECT * FROM read_json(...)) TO '...parquet'` of the same file, the
 * same-output floor (DuckDB's own partitioned COPY of the same layout) and that floor with the pipeline's row-group
 * setting for partitioned writes (`PARTITIONED_ROW_GROUP_ROWS`).
 * Then the generated Glue jobs on a local Spark (the Spark engine) and the DuckDB engine on M records of the same
 * generator and seed (default 100,000; 0 skips Spark), both checked against that file's tally.
 * Each phase runs in its own process so its peak RSS is its own (the Spark phase: the whole process tree, JVM and
 * Python workers included, sampled every 100 ms). Every timed run writes into a folder of its own, and no output is
 * deleted until the last run has ended: on this kind of disk, deleting the last run's few thousand files slows the
 * next run's writes (`freshFolder`). Every timed run starts with its input freshly cached (`freshlyCached`). Prints
 * records/s, peak RSS, CPU time (user + system: the work done, which a second core does not shorten) and the ratios.
 * Not a test.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, createWriteStream, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync } from "node:fs";
import { once } from "node:events";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { DuckDBInstance } from "@duckdb/node-api";
import { removeOnInterrupt } from "../generators/lib/interrupt.js";
import { parseWholeNumber } from "../generators/lib/numbers.js";
import { loadGeneratedIR } from "../runners/local-pipeline/generated-ir.js";
import { defaultThreads, MAX_DEFAULT_THREADS, parseThreads } from "../runners/local-pipeline/threads.js";
import { PARTITIONED_ROW_GROUP_ROWS, runPipeline } from "../runners/local-pipeline/pipeline.js";
import { runSparkPipeline } from "../runners/spark-local/pipeline.js";
import { loadDatasetIR } from "../runners/synth/cli.js";
import { DEFAULT_SEED, MAX_RECORDS, synthesize, type SynthTally } from "../runners/synth/synthesize.js";

const ROOT = resolve(import.meta.dirname, "..");
/** What `npm run pipeline:local` runs: the CLI from its cached single-file build (built before the first timed run). */
const PIPELINE_LAUNCHER = join(ROOT, "runners", "local-pipeline", "launch.mjs");

/** The bench's mix: a few invalid records (each breaking one rule of the contract) and a few exact duplicates. */
export const BENCH_INVALID_RATIO = 0.004;
export const BENCH_DUPLICATE_RATIO = 0.001;

/**
 * Writes `records` synthetic reviews derived from the review contract's IR (`runners/synth`), with the real data's
 * quirks, `BENCH_INVALID_RATIO` invalid records and `BENCH_DUPLICATE_RATIO` duplicates; returns the generator's
 * tally, which a pipeline run on the file must report exactly.
 */
export async function writeSyntheticReviews(path: string, records: number, seed = DEFAULT_SEED): Promise<SynthTally> {
  const out = createWriteStream(path);
  const stream = synthesize(loadDatasetIR(ROOT, "review"), { records, invalidRatio: BENCH_INVALID_RATIO, duplicateRatio: BENCH_DUPLICATE_RATIO, seed });
  let buffer = "";
  for (;;) {
    const next = stream.next();
    if (next.done) {
      out.write(buffer);
      out.end();
      await once(out, "finish");
      return next.value;
    }
    buffer += `${next.value.line}\n`;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await once(out, "drain");
      buffer = "";
    }
  }
}

/** The counts of a run summary that the generator's tally predicts. */
interface Counts {
  readonly input: number;
  readonly valid: number;
  readonly duplicates: number;
  readonly quarantined: { readonly total: number; readonly byReason: Record<string, number> };
}

const countsOf = (c: Counts): Counts => ({ input: c.input, valid: c.valid, duplicates: c.duplicates, quarantined: { total: c.quarantined.total, byReason: c.quarantined.byReason } });

function checkAgainstTally(what: string, counts: Counts | undefined, tally: SynthTally): string {
  if (!counts) return "";
  const same = JSON.stringify(countsOf(counts)) === JSON.stringify(countsOf(tally));
  if (!same) throw new Error(`${what}: the run summary ${JSON.stringify(countsOf(counts))} differs from the generator's tally ${JSON.stringify(countsOf(tally))}.`);
  return " (counts equal the generator's tally)";
}

/** Resident set size (KiB) of a process and all its descendants, from /proc (Linux). */
function treeRssKb(root: number): number {
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, "utf8");
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]);
      rss.set(Number(entry), Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0));
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  let total = 0;
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    total += rss.get(pid) ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

async function phase(name: string, input: string, work: string, threads: number): Promise<void> {
  const started = performance.now();
  const startUsage = process.resourceUsage();
  let records = 0;
  let counts: Counts | undefined;
  let peakTreeKb = 0;
  const sampler = setInterval(() => (peakTreeKb = Math.max(peakTreeKb, treeRssKb(process.pid))), 100);
  if (name === "spark" || name === "pipeline-small") {
    const datasets = loadGeneratedIR(ROOT);
    const options = { datasets, inputs: new Map([["review", [input]]]), out: join(work, `out-${name}`), runId: "bench", threads };
    const summary = name === "spark" ? await runSparkPipeline({ ...options, root: ROOT }) : await runPipeline(options);
    records = summary.datasets.review!.input;
    counts = summary.datasets.review!;
    if (!summary.reconciled) throw new Error(`The run did not reconcile: ${summary.problems.join(" ")}`);
  } else if (name === "pipeline") {
    const datasets = loadGeneratedIR(ROOT);
    const summary = await runPipeline({ datasets, inputs: new Map([["review", [input]]]), out: join(work, "out"), runId: "bench", threads });
    records = summary.datasets.review!.input;
    counts = summary.datasets.review!;
    if (!summary.reconciled) throw new Error(`The run did not reconcile: ${summary.problems.join(" ")}`);
  } else if (name === "partitioned" || name === "partitioned-rows") {
    // The same-output floor: DuckDB's own single statement writing the same partitioned layout (one folder per
    // review date), with the pipeline's threads and DuckDB's own memory limit (80% of RAM): under the
    // pipeline's 1 GB it runs out of memory on sparse dates, which the pipeline sizes its writes for. As the goal
    // states it, with DuckDB's default options; "partitioned-rows" adds the row-group size the pipeline's partitioned
    // writes use (`PARTITIONED_ROW_GROUP_ROWS`), which makes DuckDB's own statement faster too. The review date is
    // computed as the pipeline computes it (the DuckDB rendering of `epoch_seconds_to_date`: UTC days since 1970).
    const instance = await DuckDBInstance.create(":memory:", { threads: String(threads) });
    const connection = await instance.connect();
    await connection.run("SET TimeZone = 'UTC'");
    await connection.run("SET preserve_insertion_order = false");
    const out = join(work, "partitioned");
    await connection.run(
      `COPY (SELECT *, DATE '1970-01-01' + CAST(floor(TRY_CAST(CAST("unixReviewTime" AS VARCHAR) AS DOUBLE) / 86400) AS INTEGER) AS review_date FROM read_json('${input}', format = 'newline_delimited', ignore_errors = true) ORDER BY review_date)
        TO '${out}' (FORMAT PARQUET, PARTITION_BY (review_date)${name === "partitioned-rows" ? `, ROW_GROUP_SIZE ${PARTITIONED_ROW_GROUP_ROWS}` : ""})`,
    );
    const reader = await connection.runAndReadAll(`SELECT count(*) FROM read_parquet('${out}/**/*.parquet')`);
    records = Number(reader.getRows()[0]![0]);
    connection.closeSync();
    instance.closeSync();
  } else {
    const instance = await DuckDBInstance.create(":memory:", { threads: String(threads) });
    const connection = await instance.connect();
    // ignore_errors: the bare copy skips the bad lines the pipeline quarantines.
    await connection.run(`COPY (SELECT * FROM read_json('${input}', format = 'newline_delimited', ignore_errors = true)) TO '${join(work, "bare.parquet")}' (FORMAT PARQUET)`);
    const reader = await connection.runAndReadAll(`SELECT count(*) FROM read_parquet('${join(work, "bare.parquet")}')`);
    records = Number(reader.getRows()[0]![0]);
    connection.closeSync();
    instance.closeSync();
  }
  const ms = performance.now() - started;
  clearInterval(sampler);
  const usage = process.resourceUsage();
  const maxRssKb = Math.max(usage.maxRSS, peakTreeKb);
  // This process's CPU time from the phase's start, as its wall time (DuckDB runs on its threads); Spark's JVM and
  // Python workers are other processes.
  const cpuMs = name === "spark" ? undefined : (usage.userCPUTime + usage.systemCPUTime - startUsage.userCPUTime - startUsage.systemCPUTime) / 1000;
  process.stdout.write(`${JSON.stringify({ ms, records, maxRssKb, ...(cpuMs === undefined ? {} : { cpuMs }), ...(counts ? { counts: countsOf(counts) } : {}) })}\n`);
}

interface Timed {
  readonly ms: number;
  readonly records: number;
  readonly maxRssKb: number;
  /** CPU time (user + system, every thread) over the same span as `ms`. */
  readonly cpuMs?: number;
  readonly counts?: Counts;
}

interface EndToEnd extends Timed {
  /**
   * Time and CPU time between the progress lines the pipeline prints (`review: validated`, …), in order, with the
   * peak RSS so far.
   */
  readonly phases: readonly { readonly name: string; readonly ms: number; readonly cpuMs: number; readonly peakMiB: number }[];
}

/**
 * `pipeline:local --no-warehouse` as a whole process, started as `npm run pipeline:local` starts it (its launcher,
 * whose cached build `main` made before the rounds; start, module loading, reading, cleaning, flattening, summary):
 * its wall time, peak RSS (the process's own, from /usr/bin/time-free sampling of /proc) and the time between the
 * progress lines it prints, so the figure says where the time goes.
 */
function endToEnd(input: string, work: string, threads: number): EndToEnd {
  const out = join(freshFolder(work), "out-e2e");
  freshlyCached(input);
  const started = performance.now();
  const result = spawnSync(
    process.execPath,
    [PIPELINE_LAUNCHER, "--root", ROOT, "--no-warehouse", "--input", `review=${input}`, "--out", out, "--run-id", "bench", "--threads", String(threads), "--timings"],
    { encoding: "utf8", maxBuffer: 1 << 26 },
  );
  const ms = performance.now() - started;
  if (result.status !== 0) throw new Error(`pipeline:local failed (exit ${result.status}):\n${result.stderr}`);
  const phases = [...result.stderr.matchAll(/^\[(\d+) ms, peak (\d+) MiB, CPU (\d+) ms\] (.+)$/gm)].map((m) => ({ at: Number(m[1]), peakMiB: Number(m[2]), cpuAt: Number(m[3]), name: m[4]! }));
  const summary = JSON.parse(readFileSync(join(out, "run-summary.json"), "utf8")) as { datasets: { review: Counts & { input: number } } };
  const end = /^peak RSS (\d+) KiB, CPU (\d+) ms user \+ (\d+) ms system$/m.exec(result.stderr);
  if (!end || !phases.length) throw new Error(`pipeline:local --timings printed no timings:\n${result.stderr}`);
  return {
    ms,
    records: summary.datasets.review.input,
    maxRssKb: Number(end[1]),
    cpuMs: Number(end[2]) + Number(end[3]),
    counts: summary.datasets.review,
    phases: phases.map((p, i) => ({ name: p.name, ms: p.at - (i ? phases[i - 1]!.at : 0), cpuMs: p.cpuAt - (i ? phases[i - 1]!.cpuAt : 0), peakMiB: p.peakMiB })),
  };
}

/** Each phase of a whole pipeline run: its wall time, its CPU time (both threads) and the peak RSS after it. */
const phaseList = (run: EndToEnd) => run.phases.map((p) => `${p.name} ${(p.ms / 1000).toFixed(1)} s, ${(p.cpuMs / 1000).toFixed(1)} s (peak ${p.peakMiB} MiB)`).join("; ");

let runs = 0;

/**
 * Drops `file` from the page cache (GNU dd's `iflag=nocache`; where it is missing, nothing is dropped) and reads it
 * once, untimed, so that every timed run reads its input from fresh cache. Pages of a file cached for a while can be
 * much slower to read here (the host seems to reclaim a virtual machine's idle memory): a pass over the 10M-review
 * file (3.9 GB) took 15.3 s from such pages, 7.2 s from disk right after dropping them, and 2.1 s when freshly cached.
 * The input's state then decided a 10M run's reading phase (21 to 103 s); now every contender starts alike.
 */
function freshlyCached(file: string): void {
  spawnSync("dd", [`if=${file}`, "iflag=nocache", "count=0", "status=none"]);
  const buffer = Buffer.allocUnsafe(16 << 20);
  const fd = openSync(file, "r");
  try {
    while (readSync(fd, buffer, 0, buffer.length, null) > 0);
  } finally {
    closeSync(fd);
  }
}

/**
 * An empty folder for one timed run's output, under `work/runs/`. Outputs are deleted only with the work folder, after
 * the last run: deleting a run's partition files (about 5,000 at 1M reviews) before the next run slowed that run's
 * partitioned write by 20–70% here (DuckDB's own partitioned COPY: 4.2–4.5 s into new folders, 5.5–7.5 s each time the
 * last output had just been deleted, even after a sync), which hits whichever run comes next.
 */
function freshFolder(work: string): string {
  const folder = join(work, "runs", String(++runs));
  mkdirSync(folder, { recursive: true });
  return folder;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        records: { type: "string" },
        "spark-records": { type: "string" },
        rounds: { type: "string" },
        phase: { type: "string" },
        input: { type: "string" },
        work: { type: "string" },
        threads: { type: "string" },
        keep: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    console.error(`error CLI.USAGE: ${(error as Error).message}\n  fix: run with --help for the options.`);
    process.exit(2);
  }
  if (values.help) {
    console.log(
      "Usage: npm run bench:pipeline [-- --records N] [--rounds R] [--spark-records M] [--threads T] [--keep]\n\n" +
        "Builds N seeded synthetic reviews (default 1000000) with the contract-derived generator (runners/synth: the real\n" +
        "data's quirks, 0.4% invalid records, 0.1% duplicates), runs the local pipeline on them (counts checked against the\n" +
        "generator's tally) and, in R alternating rounds (default 2), DuckDB's bare COPY (SELECT * FROM read_json(...)) TO\n" +
        "'...parquet' of the same file, the same-output floor (one COPY ... PARTITION_BY (review_date)) and that floor with\n" +
        "the pipeline's row-group size for partitioned writes (ROW_GROUP_SIZE " + String(PARTITIONED_ROW_GROUP_ROWS) + "). Then the\n" +
        "Spark engine (the generated Glue jobs on a local Spark) and the DuckDB engine on M records of the same generator\n" +
        "and seed (default 100000; 0 skips Spark; the first run installs pyspark). Prints records/s, peak RSS, CPU time\n" +
        "(user + system, every thread) and the ratios of wall and CPU time; the pipeline's phases with both.\n" +
        "Above 1000000 records it also runs the pipeline on 1000000 of the same generator and seed (in every round, after\n" +
        "the pipeline on N; the median of the rounds) and\n" +
        "prints the growth of its time against the growth of the records. --threads T: the threads of every contender\n" +
        "(DuckDB's in the copies and the pipeline, pipeline:local --threads T; Spark's local[T]); default as\n" +
        "pipeline:local's, one per core, at most " + String(MAX_DEFAULT_THREADS) + " (" + String(defaultThreads()) + " here). --keep leaves the work folder in place.",
    );
    return;
  }
  let threads: number;
  try {
    threads = values.threads === undefined ? defaultThreads() : parseThreads(values.threads);
  } catch (error) {
    console.error(`error CLI.USAGE: ${(error as Error).message}\n  fix: pass the number of threads to use, or leave --threads out (${defaultThreads()} on this machine).`);
    process.exit(2);
  }
  if (values.phase) return phase(values.phase, values.input!, values.work!, threads);
  // Counts written with digits only (`1e3`, `0x10` or `3.0` are refused, not read as something unintended).
  const count = (flag: string, text: string | undefined, fallback: number, min: number, max: number): number => {
    const value = text === undefined ? fallback : parseWholeNumber(text, min, max);
    if (value === undefined) {
      console.error(`error CLI.USAGE: --${flag} must be a whole number from ${min} to ${max.toLocaleString("en-US")}, written with digits only, not "${text}".\n  fix: pass e.g. --${flag} ${fallback}, or leave it out (${fallback}).`);
      process.exit(2);
    }
    return value;
  };
  const records = count("records", values.records, 1_000_000, 1, MAX_RECORDS);
  const roundsWanted = count("rounds", values.rounds, 2, 1, 100);
  const sparkRecords = Math.min(records, count("spark-records", values["spark-records"], 100_000, 0, MAX_RECORDS)); // 0 skips Spark
  const work = mkdtempSync(join(tmpdir(), "bench-pipeline-"));
  // The synthetic input alone is about 4 GB at 10M records: an interrupted bench removes it too, unless --keep.
  const release = values.keep ? () => undefined : removeOnInterrupt(work);
  try {
    const input = join(work, "reviews.jsonl");
    let started = performance.now();
    const tally = await writeSyntheticReviews(input, records);
    console.log(
      `Wrote ${records.toLocaleString("en-US")} synthetic reviews (${(statSync(input).size / 2 ** 20).toFixed(0)} MiB; ${tally.valid.toLocaleString("en-US")} valid, ` +
        `${tally.quarantined.total.toLocaleString("en-US")} invalid, ${tally.duplicates.toLocaleString("en-US")} duplicates) in ${((performance.now() - started) / 1000).toFixed(1)} s.`,
    );
    const run = (name: string, file = input): Timed => {
      freshlyCached(file);
      started = performance.now();
      let output: string;
      try {
        output = execFileSync(process.execPath, ["--import", "tsx", join(ROOT, "bench", "pipeline.bench.ts"), "--phase", name, "--input", file, "--work", freshFolder(work), "--threads", String(threads)], {
          encoding: "utf8",
          maxBuffer: 1 << 24,
        });
      } catch (error) {
        const signal = (error as { signal?: NodeJS.Signals | null }).signal;
        throw signal ? new Stopped(signal, name) : error;
      }
      return JSON.parse(output.trim().split("\n").pop()!) as Timed;
    };
    // Above SCALE_BASE records, the same generator and seed at SCALE_BASE records, for the growth of the time.
    const base = records > SCALE_BASE ? join(work, "reviews-base.jsonl") : undefined;
    const baseTally = base ? await writeSyntheticReviews(base, SCALE_BASE) : undefined;
    // The pipeline's launcher builds its single-file bundle on its first run (as after every change of its sources):
    // built here, untimed, so that every timed run starts as a user's run usually does.
    const warm = spawnSync(process.execPath, [PIPELINE_LAUNCHER, "--help"], { encoding: "utf8" });
    if (warm.status !== 0) throw new Error(`pipeline:local --help failed (exit ${warm.status}):\n${warm.stderr}`);
    // Alternating rounds (bare, floor, floor with the pipeline's row groups, pipeline, pipeline on the base, bare, …)
    // so a change of the machine's load hits all of them.
    const rounds: { bare: Timed; floor: Timed; rowsFloor: Timed; pipeline: EndToEnd; base?: EndToEnd }[] = [];
    for (let round = 0; round < roundsWanted; round++) {
      rounds.push({
        bare: run("bare"),
        floor: run("partitioned"),
        rowsFloor: run("partitioned-rows"),
        pipeline: endToEnd(input, work, threads),
        base: base ? endToEnd(base, work, threads) : undefined,
      });
    }
    const median = <T extends { ms: number }>(list: T[]): T => [...list].sort((a, b) => a.ms - b.ms)[Math.floor((list.length - 1) / 2)]!;
    const bare = median(rounds.map((r) => r.bare));
    const floor = median(rounds.map((r) => r.floor));
    const rowsFloor = median(rounds.map((r) => r.rowsFloor));
    const pipeline = median(rounds.map((r) => r.pipeline));
    const rate = (r: { ms: number }) => Math.round(records / (r.ms / 1000)).toLocaleString("en-US");
    const mib = (kb: number) => `${(kb / 1024).toFixed(0)} MiB`;
    const all = (pick: (r: (typeof rounds)[number]) => { ms: number }) => rounds.map((r) => (pick(r).ms / 1000).toFixed(1)).join(", ");
    const cpu = (t: Timed) => `CPU ${((t.cpuMs ?? 0) / 1000).toFixed(1)} s`;
    console.log(`${roundsWanted} alternating round(s), DuckDB (and Spark) on ${threads} thread${threads === 1 ? "" : "s"} in every run, ${availableParallelism()} core${availableParallelism() === 1 ? "" : "s"} here; medians (every round's time in brackets):`);
    console.log(`bare COPY read_json → one Parquet file: ${(bare.ms / 1000).toFixed(1)} s [${all((r) => r.bare)}], ${rate(bare)} records/s, peak RSS ${mib(bare.maxRssKb)}, ${cpu(bare)} (${bare.records} rows kept)`);
    console.log(`same-output floor, one partitioned COPY (PARTITION_BY review_date): ${(floor.ms / 1000).toFixed(1)} s [${all((r) => r.floor)}], ${rate(floor)} records/s, peak RSS ${mib(floor.maxRssKb)}, ${cpu(floor)}`);
    console.log(
      `  the same with the pipeline's row-group size for partitioned writes (ROW_GROUP_SIZE ${PARTITIONED_ROW_GROUP_ROWS}): ${(rowsFloor.ms / 1000).toFixed(1)} s [${all((r) => r.rowsFloor)}], peak RSS ${mib(rowsFloor.maxRssKb)}, ${cpu(rowsFloor)}`,
    );
    console.log(`local pipeline, whole process (pipeline:local --no-warehouse): ${(pipeline.ms / 1000).toFixed(1)} s [${all((r) => r.pipeline)}], ${rate(pipeline)} records/s, peak RSS ${mib(pipeline.maxRssKb)}, ${cpu(pipeline)}${checkAgainstTally("local pipeline", pipeline.counts, tally)}`);
    console.log(`  where the time goes (wall, CPU): ${phaseList(pipeline)}`);
    console.log(
      `ratio pipeline / same-output floor: ${(pipeline.ms / floor.ms).toFixed(2)}× (goal ≤ 2×); pipeline / that floor with ROW_GROUP_SIZE ${PARTITIONED_ROW_GROUP_ROWS}: ${(pipeline.ms / rowsFloor.ms).toFixed(2)}×; ` +
        `pipeline / bare copy: ${(pipeline.ms / bare.ms).toFixed(2)}×; peak RSS goal < 2048 MiB`,
    );
    // The work itself: CPU time is not shortened by a second core (the machine has two; both contenders use them).
    const cpuMedian = (list: Timed[]) => median(list.map((t) => ({ ms: t.cpuMs ?? 0 }))).ms;
    console.log(
      `CPU time ratio pipeline / same-output floor: ${(cpuMedian(rounds.map((r) => r.pipeline)) / cpuMedian(rounds.map((r) => r.floor))).toFixed(2)}× by the medians ` +
        `(per round ${rounds.map((r) => `${((r.pipeline.cpuMs ?? 0) / (r.floor.cpuMs ?? 1)).toFixed(2)}×`).join(", ")})`,
    );
    if (baseTally) {
      // Growth: the whole pipeline process on SCALE_BASE records, median of its rounds.
      const baseRuns = rounds.map((r) => r.base!);
      const baseline = median(baseRuns);
      const growth = pipeline.ms / baseline.ms;
      const linear = records / SCALE_BASE;
      console.log(
        `scale: the pipeline on ${SCALE_BASE.toLocaleString("en-US")} records ${(baseline.ms / 1000).toFixed(1)} s [${baseRuns.map((r) => (r.ms / 1000).toFixed(1)).join(", ")}], peak RSS ${mib(baseline.maxRssKb)}${checkAgainstTally("local pipeline at 1M", baseline.counts, baseTally)}; ` +
          `on ${records.toLocaleString("en-US")} ${(pipeline.ms / 1000).toFixed(1)} s: ${growth.toFixed(2)}× the time for ${linear.toFixed(1)}× the records (${growth <= linear ? "at most linear" : "MORE than linear"}; ` +
          `per round ${rounds.map((r) => `${(r.pipeline.ms / r.base!.ms).toFixed(2)}×`).join(", ")})`,
      );
      console.log(`  where the time goes at ${SCALE_BASE.toLocaleString("en-US")} (wall, CPU): ${phaseList(baseline)}`);
    }
    if (sparkRecords > 0) {
      // The same generator and seed, asked for M records (the same mix of valid, invalid and duplicate records).
      const small = join(work, "reviews-small.jsonl");
      const smallTally = await writeSyntheticReviews(small, sparkRecords);
      const smallRate = (r: { ms: number }) => Math.round(sparkRecords / (r.ms / 1000)).toLocaleString("en-US");
      const duck = run("pipeline-small", small);
      const spark = run("spark", small);
      console.log(`on ${sparkRecords.toLocaleString("en-US")} of them (process start included):`);
      console.log(`  DuckDB engine: ${(duck.ms / 1000).toFixed(1)} s, ${smallRate(duck)} records/s, peak RSS ${mib(duck.maxRssKb)}${checkAgainstTally("DuckDB engine", duck.counts, smallTally)}`);
      console.log(
        `  Spark engine (generated Glue jobs, local[${threads}], JVM start included): ${(spark.ms / 1000).toFixed(1)} s, ${smallRate(spark)} records/s, peak RSS ${mib(spark.maxRssKb)} (JVM and Python workers)${checkAgainstTally("Spark engine", spark.counts, smallTally)}`,
      );
      console.log(`  ratio Spark / DuckDB engine: ${(spark.ms / duck.ms).toFixed(1)}×`);
    }
  } finally {
    if (!values.keep) rmSync(work, { recursive: true, force: true });
    release();
  }
}

/** Above this many records the bench also runs the pipeline on this many and prints the growth. */
const SCALE_BASE = 1_000_000;

/** A timed phase's process ended by a signal (Ctrl-C reaches every process of the terminal's group). */
class Stopped extends Error {
  constructor(
    readonly signal: NodeJS.Signals,
    phase: string,
  ) {
    super(`stopped by ${signal} during the ${phase} phase`);
  }
}

if (process.argv[1]?.endsWith("pipeline.bench.ts")) {
  try {
    await main();
  } catch (error) {
    if (!(error instanceof Stopped)) throw error;
    // The work folder is removed (unless --keep) by then: end by the same signal, as the phase did.
    console.error(`bench:pipeline: ${error.message}.`);
    process.kill(process.pid, error.signal);
  }
}
