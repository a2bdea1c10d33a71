/**
 * `npm run bench:pipeline [-- --records N --spark-records M --keep]`: builds N seeded synthetic reviews (default
 * 1,000,000) with the real data's quirks, runs the local pipeline on them, and in the same run times DuckDB's bare
 * `COPY (SELECT * FROM read_json(...)) TO '...parquet'` of the same file. Then the generated Glue jobs on a local
 * Spark (the Spark engine) and the DuckDB engine on the first M of those records (default 100,000; 0 skips Spark).
 * Each phase runs in its own process so its peak RSS is its own (the Spark phase: the whole process tree, JVM and
 * Python workers included, sampled every 100 ms). Prints records/s, peak RSS and the ratios. Not a test.
 */
import { execFileSync } from "node:child_process";
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { DuckDBInstance } from "@duckdb/node-api";
import { loadGeneratedIR } from "../runners/local-pipeline/cli.js";
import { runPipeline } from "../runners/local-pipeline/pipeline.js";
import { runSparkPipeline } from "../runners/spark-local/pipeline.js";

const ROOT = resolve(import.meta.dirname, "..");

/** Small deterministic PRNG (mulberry32), so the input is the same on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ["great", "gift", "card", "fast", "easy", "love", "it", "perfect", "works", "recommend", "the", "a", "for", "my", "mom", "arrived", "quickly"];

export async function writeSyntheticReviews(path: string, records: number, seed = 42): Promise<void> {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const words = (n: number) => Array.from({ length: n }, () => pick(WORDS)).join(" ");
  const out = createWriteStream(path);
  let buffer = "";
  for (let i = 0; i < records; i++) {
    const day = 15_000 + Math.floor(random() * 2_700);
    const seconds = day * 86_400;
    const date = new Date(seconds * 1000);
    const reviewTime = `${String(date.getUTCMonth() + 1).padStart(2, "0")} ${date.getUTCDate()}, ${date.getUTCFullYear()}`;
    const record: Record<string, unknown> = { overall: pick([5.0, 5.0, 5.0, 4.0, 3.0, 2.0, 1.0]) };
    if (random() < 0.07) record.vote = pick(["2", "60", "1,341", "12"]);
    record.verified = random() < 0.9;
    record.reviewTime = reviewTime;
    // Some duplicate keys: a small pool of reviewers on a few days repeats (reviewer, asin, time).
    record.reviewerID = `A${Math.floor(random() * 400_000).toString(36).toUpperCase()}`;
    record.asin = `B00${Math.floor(random() * 2_000).toString().padStart(7, "0")}`;
    if (random() < 0.3) record.style = { "Gift Amount:": ` ${pick(["25", "50", "100"])}` };
    record.reviewerName = random() < 0.01 ? "Brett &amp; Family" : `  ${words(2)} `;
    if (random() < 0.998) record.reviewText = words(20 + Math.floor(random() * 40));
    record.summary = random() < 0.01 ? "It&#39;s &quot;great&quot;" : words(3);
    record.unixReviewTime = seconds;
    if (random() < 0.004) record.image = [`https://images-na.ssl-images-amazon.com/images/I/${i}._SY88.jpg`];
    let line = JSON.stringify(record);
    const quirk = random();
    if (quirk < 0.002) line = line.replace('"verified":true,', "").replace('"verified":false,', ""); // 2014-style
    else if (quirk < 0.003) line = line.slice(0, Math.floor(line.length / 2)); // truncated
    else if (quirk < 0.004) line = line.replace('"overall":5', '"overall":6');
    buffer += `${line}\n`;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await once(out, "drain");
      buffer = "";
    }
  }
  out.write(buffer);
  out.end();
  await once(out, "finish");
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

async function phase(name: string, input: string, work: string): Promise<void> {
  const started = performance.now();
  let records = 0;
  let peakTreeKb = 0;
  const sampler = setInterval(() => (peakTreeKb = Math.max(peakTreeKb, treeRssKb(process.pid))), 100);
  if (name === "spark" || name === "pipeline-small") {
    const datasets = loadGeneratedIR(ROOT);
    const options = { datasets, inputs: new Map([["review", [input]]]), out: join(work, `out-${name}`), runId: "bench" };
    const summary = name === "spark" ? await runSparkPipeline({ ...options, root: ROOT }) : await runPipeline(options);
    records = summary.datasets.review!.input;
    if (!summary.reconciled) throw new Error(`The run did not reconcile: ${summary.problems.join(" ")}`);
  } else if (name === "pipeline") {
    const datasets = loadGeneratedIR(ROOT);
    const summary = await runPipeline({ datasets, inputs: new Map([["review", [input]]]), out: join(work, "out"), runId: "bench" });
    records = summary.datasets.review!.input;
    if (!summary.reconciled) throw new Error(`The run did not reconcile: ${summary.problems.join(" ")}`);
  } else {
    const instance = await DuckDBInstance.create(":memory:", { threads: "2" });
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
  const maxRssKb = Math.max(process.resourceUsage().maxRSS, peakTreeKb);
  process.stdout.write(`${JSON.stringify({ ms, records, maxRssKb })}\n`);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        records: { type: "string" },
        "spark-records": { type: "string" },
        phase: { type: "string" },
        input: { type: "string" },
        work: { type: "string" },
        keep: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    console.error(`error CLI.USAGE: ${(error as Error).message}\n  fix: run with --help.`);
    process.exit(2);
  }
  if (values.help) {
    console.log(
      "Usage: npm run bench:pipeline [-- --records N] [--spark-records M] [--keep]\n\n" +
        "Builds N seeded synthetic reviews (default 1000000) with the real data's quirks, runs the local pipeline on\n" +
        "them and, in the same run, DuckDB's bare COPY (SELECT * FROM read_json(...)) TO '...parquet' of the same file.\n" +
        "Then the Spark engine (the generated Glue jobs on a local Spark) and the DuckDB engine on the first M records\n" +
        "(default 100000; 0 skips Spark; the first run installs pyspark). Prints records/s, peak RSS and the ratios.\n" +
        "--keep leaves the work folder in place.",
    );
    return;
  }
  if (values.phase) return phase(values.phase, values.input!, values.work!);
  const records = Number(values.records ?? 1_000_000);
  if (!Number.isInteger(records) || records <= 0) {
    console.error(`error CLI.USAGE: --records must be a positive whole number, not "${values.records}".`);
    process.exit(2);
  }
  const sparkRecords = Math.min(records, Number(values["spark-records"] ?? 100_000));
  if (!Number.isInteger(sparkRecords) || sparkRecords < 0) {
    console.error(`error CLI.USAGE: --spark-records must be a whole number (0 skips Spark), not "${values["spark-records"]}".`);
    process.exit(2);
  }
  const work = mkdtempSync(join(tmpdir(), "bench-pipeline-"));
  try {
    const input = join(work, "reviews.jsonl");
    let started = performance.now();
    await writeSyntheticReviews(input, records);
    console.log(`Wrote ${records.toLocaleString("en-US")} synthetic reviews (${(statSync(input).size / 2 ** 20).toFixed(0)} MiB) in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
    const run = (name: string, file = input) => {
      started = performance.now();
      const output = execFileSync(process.execPath, ["--import", "tsx", join(ROOT, "bench", "pipeline.bench.ts"), "--phase", name, "--input", file, "--work", work], {
        encoding: "utf8",
        maxBuffer: 1 << 24,
      });
      return JSON.parse(output.trim().split("\n").pop()!) as { ms: number; records: number; maxRssKb: number };
    };
    const bare = run("bare");
    const pipeline = run("pipeline");
    const rate = (r: { ms: number }) => Math.round(records / (r.ms / 1000)).toLocaleString("en-US");
    const mib = (kb: number) => `${(kb / 1024).toFixed(0)} MiB`;
    console.log(`bare COPY read_json → Parquet: ${(bare.ms / 1000).toFixed(1)} s, ${rate(bare)} records/s, peak RSS ${mib(bare.maxRssKb)} (${bare.records} rows kept)`);
    console.log(`local pipeline (clean + flatten): ${(pipeline.ms / 1000).toFixed(1)} s, ${rate(pipeline)} records/s, peak RSS ${mib(pipeline.maxRssKb)}`);
    console.log(`ratio pipeline / bare copy: ${(pipeline.ms / bare.ms).toFixed(2)}× (goal ≤ 2×); peak RSS goal < 2048 MiB`);
    if (sparkRecords > 0) {
      // The same generator and seed: the first M records of the big file.
      const small = join(work, "reviews-small.jsonl");
      await writeSyntheticReviews(small, sparkRecords);
      const smallRate = (r: { ms: number }) => Math.round(sparkRecords / (r.ms / 1000)).toLocaleString("en-US");
      const duck = run("pipeline-small", small);
      const spark = run("spark", small);
      console.log(`on ${sparkRecords.toLocaleString("en-US")} of them (process start included):`);
      console.log(`  DuckDB engine: ${(duck.ms / 1000).toFixed(1)} s, ${smallRate(duck)} records/s, peak RSS ${mib(duck.maxRssKb)}`);
      console.log(`  Spark engine (generated Glue jobs, local[2], JVM start included): ${(spark.ms / 1000).toFixed(1)} s, ${smallRate(spark)} records/s, peak RSS ${mib(spark.maxRssKb)} (JVM and Python workers)`);
      console.log(`  ratio Spark / DuckDB engine: ${(spark.ms / duck.ms).toFixed(1)}×`);
    }
  } finally {
    if (!values.keep) rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith("pipeline.bench.ts")) await main();
