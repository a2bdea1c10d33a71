/**
 * The generated Glue jobs executed on real Spark (pyspark 3.5.4 = AWS Glue 5.0), and record-by-record parity with
 * the DuckDB engine, on the shipped samples, every file of the shared real data, property-generated records, and
 * synthetic records from the contract (`runners/synth/`) whose every quarantine reason is known in advance.
 *
 * Both engines run on the same input with the same run id and processing time; then, in DuckDB over both engines'
 * output: the run summaries are equal; the quarantined records are the same (file, raw bytes, reason-code set);
 * every processed table holds the same rows (`EXCEPT ALL` both ways is empty) and has the Parquet schema of
 * `generated/parquet/<table>.parquet.txt`; and Spark's output goes through the warehouse half (external-table views,
 * dbt models and tests) like DuckDB's. Differences by design are tested on both engines at the end.
 *
 * One Spark session serves the whole file (the JVM starts once).
 */
import { gzipSync } from "node:zlib";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import Ajv from "ajv";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatasetIR } from "../../generators/ir/types.js";
import { loadIR } from "../../generators/ir/load.js";
import { emitGluePyspark } from "../../generators/targets/glue-pyspark/emit.js";
import { CLEAN_COUNTS_SCHEMA, CLEAN_SUMMARY_SCHEMA, CLEANED_LINEAGE, QUARANTINE_RECORD, type StageFieldType } from "../../generators/dialects/stages.js";
import { glueScriptPath } from "../../generators/targets/glue-jobs.js";
import { runLocalWarehouse } from "../local-pipeline/cli.js";
import { loadGeneratedIR } from "../local-pipeline/generated-ir.js";
import { localPath, runPipeline, type RunSummary } from "../local-pipeline/pipeline.js";
import { expectedMessage, firstParquet, footerMessage } from "../../tests/helpers/parquet-footer.js";
import { PRODUCT, recordArbitrary, REVIEW } from "../../tests/helpers/record-arbitraries.js";
import { synthesizeAll } from "../synth/synthesize.js";
import { SparkDriver, SparkJobError } from "./driver.js";
import { runSparkPipeline, sparkInputDir } from "./pipeline.js";
import { queryDuckDB } from "../../tests/helpers/duckdb.js";
import { runOutputs } from "../../tests/helpers/run-folders.js";

const ROOT = join(import.meta.dirname, "..", "..");
const DATA = join(ROOT, "..", "shared", "data", "amazon-reviews");
const datasets = loadGeneratedIR(ROOT);
// The same processing time for both engines (a recent one: dbt's source freshness runs on it in the warehouse half).
const PROCESSED_AT = new Date(Math.floor(Date.now() / 1000) * 1000 + 789);
let driver: SparkDriver;
let work: string;
/** What the driver's Python and Java wrote to stdout and stderr (the jobs' own output lines among it). */
let sparkOutput = "";

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "spark-test-"));
  driver = await SparkDriver.start({ root: ROOT, log: (line) => process.stderr.write(`${line}\n`), sparkLog: (text) => (sparkOutput += text) });
}, 600_000);
afterAll(async () => {
  await driver?.close();
  rmSync(work, { recursive: true, force: true });
});

interface Both {
  readonly duck: { out: string; summary: RunSummary };
  readonly spark: { out: string; summary: RunSummary };
}

async function bothEngines(name: string, inputs: Record<string, string[]>): Promise<Both> {
  const common = { datasets, inputs: new Map(Object.entries(inputs)), runId: `run-${name}`, processedAt: PROCESSED_AT };
  const duckOut = join(work, name, "duckdb");
  const sparkOut = join(work, name, "spark");
  const duck = await runPipeline({ ...common, out: duckOut });
  const spark = await runSparkPipeline({ ...common, out: sparkOut, root: ROOT, driver });
  return { duck: { out: duckOut, summary: duck }, spark: { out: sparkOut, summary: spark } };
}

const query = (sql: string) => queryDuckDB(sql, { timeZone: "UTC" });

const str = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** The counts of a summary that both engines must agree on (file names, lines, records, blank lines included). */
function comparable(summary: RunSummary) {
  return Object.fromEntries(
    Object.entries(summary.datasets).map(([name, d]) => [
      name,
      {
        input: d.input,
        valid: d.valid,
        duplicates: d.duplicates,
        quarantined: d.quarantined,
        tables: d.tables,
        files: d.files.map((f) => ({ file: f.file, lines: f.lines, records: f.records, blankLines: f.blankLines })),
      },
    ]),
  );
}

/**
 * Quarantined records of a run as (source file relative to the input root, raw bytes, sorted reason codes). Spark
 * records the full URI of the file it read (in AWS: the S3 object); the link folder's prefix is cut off.
 */
function quarantineRows(out: string, dataset: DatasetIR, runId: string, engine: "duckdb" | "spark"): string {
  return `SELECT source_file, coalesce(raw_base64, to_base64(encode(raw_text))) AS raw, list_sort(reason_codes) AS reasons
    FROM (${quarantineRecords(out, dataset, runId, engine)})`;
}

/** A run's quarantine records as written, with `source_file` relative to the input root on both engines. */
function quarantineRecords(out: string, dataset: DatasetIR, runId: string, engine: "duckdb" | "spark"): string {
  const dir = join(localPath(out, dataset.locations.quarantine), `run_id=${runId}`);
  const prefix = `file:${sparkInputDir(out, dataset.name)}/`;
  const file = engine === "spark" ? `replace(replace(source_file, 'file://', 'file:'), ${str(prefix)}, '')` : "source_file";
  const columns = QUARANTINE_RECORD.map((f) => `${f.name}: ${str(DUCKDB_STAGE_TYPES[f.type])}`).join(", ");
  return `SELECT * REPLACE (${file} AS source_file) FROM read_json(${str(`${dir}/part-*`)}, columns = {${columns}}, format = 'newline_delimited')`;
}

const DUCKDB_STAGE_TYPES: Record<StageFieldType, string> = { string: "VARCHAR", bigint: "BIGINT", timestamp: "TIMESTAMP WITH TIME ZONE", "array<string>": "VARCHAR[]" };
const ajv = new Ajv.default({ strict: true, allErrors: true });
const validCleanSummary = ajv.compile(CLEAN_SUMMARY_SCHEMA);
const validCleanCounts = ajv.compile(CLEAN_COUNTS_SCHEMA);

/**
 * What both engines write besides the contract's columns is what `stages.ts` lists: each quarantine record's members
 * (in order; Spark's JSON writer leaves out null ones), the cleaned zone's lineage columns (last, in order, typed),
 * and the clean counts; the Glue job's own run summary has exactly the listed shape.
 */
async function expectStageShapes(engine: "duckdb" | "spark", out: string, summary: RunSummary, runId: string): Promise<void> {
  const fields = QUARANTINE_RECORD.map((f) => f.name as string);
  for (const [name, counts] of Object.entries(summary.datasets)) {
    expect(validCleanCounts(counts), `${engine} ${name}: ${ajv.errorsText(validCleanCounts.errors)}`).toBe(true);
    const dataset = datasets.find((d) => d.name === name)!;
    if (counts.quarantined.total > 0) {
      const dir = join(localPath(out, dataset.locations.quarantine), `run_id=${runId}`);
      const file = readdirSync(dir).find((f) => f.startsWith("part-"))!;
      for (const line of readFileSync(join(dir, file), "utf8").split("\n").filter(Boolean).slice(0, 50)) {
        const keys = Object.keys(JSON.parse(line) as object);
        expect(keys, `${engine} quarantine record of ${name}`).toEqual(fields.filter((f) => keys.includes(f)));
        expect(keys, `${engine} quarantine record of ${name}`).toEqual(expect.arrayContaining(["raw_text", "reason_codes", "source_file", "run_id"]));
      }
    }
    const cleaned = `${join(localPath(out, dataset.locations.cleaned), `run_id=${runId}`)}/*.parquet`;
    const described = await query(`DESCRIBE SELECT * FROM read_parquet(${str(cleaned)}, hive_partitioning = false)`);
    expect(
      described.slice(-CLEANED_LINEAGE.length).map((c) => [c.column_name, c.column_type]),
      `${engine} cleaned zone of ${name}`,
    ).toEqual(CLEANED_LINEAGE.map((c) => [c.name, DUCKDB_STAGE_TYPES[c.type]]));
    if (engine === "spark") {
      const written = JSON.parse(readFileSync(join(localPath(out, dataset.locations.quarantine), "_summaries", `run_id=${runId}.json`), "utf8"));
      expect(validCleanSummary(written), `the clean job's run summary of ${name}: ${ajv.errorsText(validCleanSummary.errors)}`).toBe(true);
    }
  }
}

async function exceptAllBothWays(a: string, b: string): Promise<{ onlyA: Record<string, unknown>[]; onlyB: Record<string, unknown>[] }> {
  return {
    onlyA: await query(`SELECT * FROM ((${a}) EXCEPT ALL (${b})) LIMIT 5`),
    onlyB: await query(`SELECT * FROM ((${b}) EXCEPT ALL (${a})) LIMIT 5`),
  };
}

function tableRows(out: string, location: string): string {
  return `SELECT * FROM read_parquet(${str(`${localPath(out, location)}/**/*.parquet`)}, hive_partitioning = true)`;
}

/**
 * A processed table of the Spark engine with `raw_object` as the DuckDB engine names the file (relative to the input
 * root): Spark records the URI it read, through the runner's link folder (in AWS: the S3 object's URI), percent-encoded.
 */
function sparkTableRows(out: string, location: string, dataset: string): string {
  const prefix = `file:${sparkInputDir(out, dataset)}/`;
  return `SELECT * REPLACE (url_decode(replace(replace(raw_object, 'file://', 'file:'), ${str(prefix)}, '')) AS raw_object) FROM (${tableRows(out, location)})`;
}

/** Every assertion of record-by-record parity between the two engines' output of one run. */
async function expectParity(both: Both, runId: string): Promise<void> {
  expect(both.spark.summary.reconciled, both.spark.summary.problems.join("\n")).toBe(true);
  expect(both.duck.summary.reconciled, both.duck.summary.problems.join("\n")).toBe(true);
  expect(comparable(both.spark.summary)).toEqual(comparable(both.duck.summary));
  await expectStageShapes("duckdb", both.duck.out, both.duck.summary, runId);
  await expectStageShapes("spark", both.spark.out, both.spark.summary, runId);
  for (const name of Object.keys(both.duck.summary.datasets)) {
    const dataset = datasets.find((d) => d.name === name)!;
    if (both.duck.summary.datasets[name]!.quarantined.total > 0) {
      const q = await exceptAllBothWays(quarantineRows(both.duck.out, dataset, runId, "duckdb"), quarantineRows(both.spark.out, dataset, runId, "spark"));
      expect(q, `quarantined records of ${name}`).toEqual({ onlyA: [], onlyB: [] });
    }
    for (const table of [dataset.table, ...dataset.children]) {
      const rows = both.duck.summary.datasets[name]!.tables[table.name]!;
      expect(both.spark.summary.datasets[name]!.tables[table.name], table.name).toBe(rows);
      if (rows === 0) continue;
      const t = await exceptAllBothWays(tableRows(both.duck.out, table.location), sparkTableRows(both.spark.out, table.location, name));
      expect(t, `rows of table ${table.name}`).toEqual({ onlyA: [], onlyB: [] });
      expect(await footerMessage(firstParquet(localPath(both.spark.out, table.location)), table.name), `Parquet schema of Spark's ${table.name}`).toBe(expectedMessage(ROOT, table.name));
    }
  }
}

describe("the generated Glue jobs on Spark", () => {
  it("run on Spark 3.5.4 (AWS Glue 5.0) and Python 3.11", () => {
    expect(driver.versions.spark).toBe("3.5.4");
    expect(driver.versions.python).toMatch(/^3\.11\./);
    // The default threads (`SparkDriver.start`'s `threads`; pipeline:local --threads): one per core, at most 8.
    expect(driver.versions.master).toBe(`local[${Math.min(availableParallelism(), 8)}]`);
  });

  it("refuse a run with a missing argument, naming it", async () => {
    const review = datasets.find((d) => d.name === "review")!;
    await expect(driver.runJob(join(ROOT, glueScriptPath(review, "clean")), { input_path: join(ROOT, "samples", "review"), run_id: "x" })).rejects.toThrow(
      /Missing job arguments: --cleaned_path, --quarantine_path, --summary_path/,
    );
  });

  it("refuse a clean run whose input is named both ways (a path, and an S3 event's bucket and key) or not at all", async () => {
    const review = datasets.find((d) => d.name === "review")!;
    const job = join(ROOT, glueScriptPath(review, "clean"));
    const args = { cleaned_path: join(work, "x", "cleaned"), quarantine_path: join(work, "x", "quarantine"), run_id: "x", summary_path: join(work, "x", "summary.json") };
    const both = { ...args, input_path: join(ROOT, "samples", "review"), input_bucket: ROOT, input_key: "samples/review" };
    await expect(driver.runJob(job, both)).rejects.toThrow(/Name the raw input one way: .*; given: --input_path, --input_bucket, --input_key\./);
    await expect(driver.runJob(job, args)).rejects.toThrow(/Name the raw input one way: .*; given: none\./);
    await expect(driver.runJob(job, { ...args, input_key: "samples/review" })).rejects.toThrow(/; given: --input_key\./);
  });
});

describe("the clean job spreads an input Spark reads in fewer tasks than its cores (a gzip object, in one)", () => {
  it("validates a gzip object in as many tasks as the session has cores, and two small files, read in two, in at least as many", async () => {
    const review = datasets.find((d) => d.name === "review")!;
    const cores = Number(/^local\[(\d+)\]$/.exec(driver.versions.master)![1]);
    // Valid reviews and 40 records missing their key, which the job quarantines where it validates them.
    const lines = [
      ...readFileSync(join(ROOT, "samples", "review", "reviews-2018-a.jsonl"), "utf8").split("\n").filter(Boolean),
      ...Array.from({ length: 40 }, (_, i) => JSON.stringify({ overall: 5, reviewText: `no key ${i}` })),
    ];
    const runs: [string, Record<string, Buffer>, string][] = [
      ["one-gzip", { "reviews.jsonl.gz": gzipSync(Buffer.from(`${lines.join("\n")}\n`)) }, `review: 1 input partition(s), validated in ${cores}`],
      ["two-plain", { "a.jsonl": Buffer.from(`${lines[0]}\n`), "b.jsonl": Buffer.from(`${lines[1]}\n`) }, `review: 2 input partition(s), validated in ${Math.max(2, cores)}`],
    ];
    for (const [name, files, said] of runs) {
      const input = join(work, "spread", name, "raw");
      mkdirSync(input, { recursive: true });
      for (const [file, bytes] of Object.entries(files)) writeFileSync(join(input, file), bytes);
      const out = join(work, "spread", name);
      const from = sparkOutput.length;
      const { result } = await driver.runJob<{ datasets: Record<string, { input: number }> }>(join(ROOT, glueScriptPath(review, "clean")), {
        input_path: input,
        cleaned_path: join(out, "cleaned"),
        quarantine_path: join(out, "quarantine"),
        summary_path: join(out, "summary.json"),
        run_id: name,
        max_quarantine_ratio: "1",
      });
      expect(result.datasets.review!.input, name).toBe(name === "one-gzip" ? lines.length : 2);
      // The job prints the line before its first action; its output pipe may be read after the answer.
      for (let waited = 0; !sparkOutput.slice(from).includes("input partition") && waited < 10_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
      expect(sparkOutput.slice(from).match(/^review: .*$/gm), name).toEqual([said]);
      if (name === "one-gzip") {
        // Spark's own word for it: the quarantine is written by the tasks that validated the records, one file each
        // (a hash of 40 distinct lines leaves no task without one); read in one task, it would be one file.
        const written = readdirSync(join(out, "quarantine", `run_id=${name}`)).filter((f) => f.startsWith("part-"));
        expect(written, name).toHaveLength(cores);
      }
    }
    // The session has more than one core wherever the suite runs (CI's machines have two), or the gzip case proves nothing.
    expect(cores).toBeGreaterThan(1);
  }, 300_000);
});

describe("the flatten job keeps earlier runs' rows (in AWS every raw object is its own run)", () => {
  it("a second run adds its rows beside the first's: in the same partition, and in an unpartitioned table", async () => {
    const zones = join(work, "runs-zones");
    const count = async (path: string) => Number((await query(`SELECT count(*) AS n FROM read_parquet(${str(`${path}/**/*.parquet`)})`))[0]!.n);
    const review = datasets.find((d) => d.name === "review")!;
    const product = datasets.find((d) => d.name === "product")!;
    const first = readFileSync(join(ROOT, "samples", "review", "reviews-2018-a.jsonl"), "utf8").split("\n")[0]!;
    // Two reviews of the same day (one partition), from two raw objects; two products, from two raw objects.
    const second = JSON.stringify({ ...JSON.parse(first), reviewerID: "AX1SAMPLE9999" });
    const products = readFileSync(join(ROOT, "samples", "product", "meta-sample.jsonl"), "utf8").split("\n").filter(Boolean);
    const inputs: [DatasetIR, string[]][] = [
      [review, [first, second]],
      [product, [products[0]!, products[1]!]],
    ];
    for (const [dataset, lines] of inputs) {
      for (const [i, line] of lines.entries()) {
        const runId = `object-${i}`;
        const raw = join(zones, "raw", dataset.name, `${runId}.jsonl`);
        mkdirSync(join(zones, "raw", dataset.name), { recursive: true });
        writeFileSync(raw, `${line}\n`);
        const cleaned = join(zones, "cleaned", dataset.name);
        await driver.runJob(join(ROOT, glueScriptPath(dataset, "clean")), {
          input_path: raw,
          cleaned_path: cleaned,
          quarantine_path: join(zones, "quarantine", dataset.name),
          summary_path: join(zones, `summary-${dataset.name}-${runId}.json`),
          run_id: runId,
        });
        const flattened = await driver.runJob<Record<string, number>>(join(ROOT, glueScriptPath(dataset, "flatten")), {
          input_path: cleaned,
          output_path: join(zones, "processed", dataset.name),
          run_id: runId,
        });
        expect(flattened.result[dataset.name], `${dataset.name} ${runId}`).toBe(1);
        expect(await count(join(zones, "processed", dataset.name, dataset.name)), `${dataset.name} after ${runId}`).toBe(i + 1);
      }
    }
    // Both reviews sit in the one partition folder of their day.
    const partitions = readdirSync(join(zones, "processed", "review", "review")).filter((name) => name.startsWith("review_date="));
    expect(partitions).toHaveLength(1);
  }, 300_000);
});

describe("a Spark run that fails midway", () => {
  it("leaves no folder of its own in the cleaned zone or the quarantine, nor its clean jobs' summaries (written before the review's flatten job failed), keeps the earlier run's, and no run-summary.json", async () => {
    // The generated jobs, but the review's flatten job fails at its start, as a job would on a full disk or a lost
    // executor: after both clean jobs and the product's flatten job have written.
    const root = join(work, "failing-root");
    for (const dataset of datasets) {
      for (const kind of ["clean", "flatten"] as const) {
        const script = join(root, glueScriptPath(dataset, kind));
        mkdirSync(dirname(script), { recursive: true });
        copyFileSync(join(ROOT, glueScriptPath(dataset, kind)), script);
      }
    }
    const failing = join(root, glueScriptPath(datasets.find((d) => d.name === "review")!, "flatten"));
    // It says why on stderr first, as Java does when the JVM runs out of memory: the error carries that line.
    writeFileSync(failing, 'import sys\nprint("java.lang.OutOfMemoryError: Java heap space (printed on purpose)", file=sys.stderr, flush=True)\nraise RuntimeError("the flatten job failed on purpose")\n');
    const out = join(work, "failing-run");
    const inputs = new Map([
      ["product", [join(ROOT, "samples", "product")]],
      ["review", [join(ROOT, "samples", "review")]],
    ]);
    await runSparkPipeline({ datasets, inputs: new Map([["product", inputs.get("product")!]]), out, runId: "earlier", root: ROOT, driver });
    const earlier = runOutputs(out);
    expect(earlier).toEqual(["amazon-reviews-cleaned/products/run_id=earlier", "amazon-reviews-quarantine/products/_summaries/run_id=earlier.json", "amazon-reviews-quarantine/products/run_id=earlier"]);

    const lines: string[] = [];
    const failure = await runSparkPipeline({ datasets, inputs, out, runId: "failed", root, driver, progress: (line) => lines.push(line) }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SparkJobError);
    expect((failure as Error).message).toContain("the flatten job failed on purpose");
    expect((failure as SparkJobError).consoleErrors).toContain("java.lang.OutOfMemoryError: Java heap space (printed on purpose)");
    expect(lines.filter((line) => /^\w+: (cleaned|flattened)\b/.test(line)).map((line) => line.replace(/ in .*/, ""))).toEqual(["product: cleaned", "product: flattened", "review: cleaned"]);
    expect(runOutputs(out)).toEqual(earlier);
    expect(existsSync(join(out, "run-summary.json"))).toBe(false);
  }, 300_000);
});

describe("Spark and DuckDB agree record by record", () => {
  it("on the shipped samples (but the two files that differ by design, tested below)", async () => {
    const reviewInput = join(work, "samples-input", "review");
    mkdirSync(reviewInput, { recursive: true });
    for (const file of ["reviews-2018-a.jsonl", "reviews-2018-b.jsonl.gz", "reviews-empty.jsonl", "reviews-latin1-byte.jsonl", "reviews-truncated.jsonl"]) {
      copyFileSync(join(ROOT, "samples", "review", file), join(reviewInput, file));
    }
    const both = await bothEngines("samples", { review: [reviewInput], product: [join(ROOT, "samples", "product")] });
    await expectParity(both, "run-samples");
    // Not vacuous: the samples reach valid, duplicate and quarantined records, child rows and several reasons.
    const review = both.spark.summary.datasets.review!;
    expect(review.duplicates).toBe(1);
    expect(review.tables.review_images).toBe(2);
    expect(Object.keys(review.quarantined.byReason).length).toBeGreaterThan(8);
    expect(review.quarantined.byReason["record.invalid_utf8"]).toBe(1);
  }, 300_000);

  it("on two inputs holding files of the same name (named from the inputs' common folder), one of them under a hidden folder", async () => {
    // Before, the Spark runner linked both files under one name and failed (EEXIST); DuckDB counted them under one name.
    const inputs = ["a", ".b"].map((name) => join(work, "same-name-input", name));
    for (const input of inputs) {
      mkdirSync(input, { recursive: true });
      copyFileSync(join(ROOT, "samples", "product", "meta-sample.jsonl"), join(input, "x.jsonl"));
    }
    const both = await bothEngines("same-name", { product: inputs });
    const product = both.spark.summary.datasets.product!;
    expect(product.files.map((f) => [f.file, f.records]).sort()).toEqual([
      [".b/x.jsonl", 6],
      ["a/x.jsonl", 6],
    ]);
    expect([product.input, product.valid, product.duplicates]).toEqual([12, 4, 4]);
    expect(comparable(both.spark.summary)).toEqual(comparable(both.duck.summary));
  }, 300_000);

  it("on every file of the real Amazon data (2018 and 2014 reviews, 2018 products), then through the warehouse", async () => {
    const both = await bothEngines("real", {
      review: ["2018-gift-cards-5.jsonl", "2014-grocery-and-gourmet-food-5.head111.jsonl", "2014-musical-instruments-5.head50.jsonl"].map((f) => join(DATA, f)),
      product: [join(DATA, "2018-meta-gift-cards.jsonl")],
    });
    await expectParity(both, "run-real");
    // Exact counts, computed separately from the raw lines (see runners/local-pipeline/pipeline.test.ts).
    const review = both.spark.summary.datasets.review!;
    expect({ input: review.input, valid: review.valid, duplicates: review.duplicates, quarantined: review.quarantined.total }).toEqual({
      input: 2972 + 111 + 50,
      valid: 2969,
      duplicates: 3,
      quarantined: 161,
    });
    expect(review.quarantined.byReason).toEqual({ "verified.missing": 161 });
    expect(review.tables).toEqual({ review: 2969, review_images: 18 });
    expect(both.spark.summary.datasets.product!.tables).toEqual({ product: 1547, product_categories: 5136 });
    // Spark's Parquet read through the same external-table views, dbt models and tests as DuckDB's.
    const warehouse = await runLocalWarehouse(ROOT, datasets, both.spark.out);
    expect(warehouse.models.filter((m) => m.status !== "success")).toEqual([]);
    expect(warehouse.tests.filter((t) => t.status !== "pass")).toEqual([]);
    expect(warehouse.freshness.filter((f) => f.status !== "pass")).toEqual([]);
    expect(warehouse.ok).toBe(true);
    expect(warehouse.sources).toMatchObject({ review: 2969, review_images: 18, product: 1547, product_categories: 5136 });
  }, 300_000);

  it("on property-generated records, valid and invalid around every rule", async () => {
    const lines = (fields: typeof REVIEW, seed: number) =>
      fc.sample(recordArbitrary(fields), { numRuns: 400, seed }).map((record) => JSON.stringify(record));
    const input = join(work, "property-input");
    mkdirSync(join(input, "review"), { recursive: true });
    mkdirSync(join(input, "product"), { recursive: true });
    writeFileSync(join(input, "review", "generated.jsonl"), `${lines(REVIEW, 20261202).join("\n")}\n`);
    writeFileSync(join(input, "product", "generated.jsonl"), `${lines(PRODUCT, 20261203).join("\n")}\n`);
    const both = await bothEngines("property", { review: [join(input, "review")], product: [join(input, "product")] });
    await expectParity(both, "run-property");
    for (const name of ["review", "product"]) {
      const d = both.spark.summary.datasets[name]!;
      // Both verdicts are reached often enough for the comparison to mean something.
      expect(d.valid, name).toBeGreaterThan(60);
      expect(d.quarantined.total, name).toBeGreaterThan(60);
    }
  }, 300_000);

  it("on synthetic records from the contract (valid with the real quirks, one broken rule each, exact duplicates)", async () => {
    const file = "synthetic.jsonl";
    const made: Record<string, ReturnType<typeof synthesizeAll>> = {
      review: synthesizeAll(datasets.find((d) => d.name === "review")!, { records: 3000, invalidRatio: 0.1, duplicateRatio: 0.02, seed: 20261204 }),
      product: synthesizeAll(datasets.find((d) => d.name === "product")!, { records: 2000, invalidRatio: 0.1, duplicateRatio: 0.02, seed: 20261205 }),
    };
    const input = join(work, "synth-input");
    for (const [name, { records }] of Object.entries(made)) {
      mkdirSync(join(input, name), { recursive: true });
      writeFileSync(join(input, name, file), records.map((r) => `${r.line}\n`).join(""));
    }
    const both = await bothEngines("synth", { review: [join(input, "review")], product: [join(input, "product")] });
    await expectParity(both, "run-synth");
    for (const [name, { records, tally }] of Object.entries(made)) {
      const dataset = datasets.find((d) => d.name === name)!;
      // Every rule of the contract is broken by some record (none is unbreakable), so every reason is compared.
      expect(Object.keys(tally.quarantined.byReason).sort(), name).toEqual(dataset.rules.map((r) => r.code).sort());
      // Spark's quarantine records have no line number: a line is found by its text, which is unique for invalid lines.
      const lineOf = new Map<string, number[]>();
      records.forEach((r, i) => lineOf.set(r.line, [...(lineOf.get(r.line) ?? []), i + 1]));
      expect(records.filter((r) => r.intended.kind === "invalid" && lineOf.get(r.line)!.length > 1), `${name}: invalid lines repeated`).toEqual([]);
      const want = new Map<string, string[]>(records.flatMap((r, i) => (r.intended.kind === "invalid" ? [[`${file}:${i + 1}`, [r.intended.reason]]] : [])));
      for (const engine of ["duckdb", "spark"] as const) {
        const { out, summary } = engine === "duckdb" ? both.duck : both.spark;
        const d = summary.datasets[name]!;
        expect({ input: d.input, valid: d.valid, duplicates: d.duplicates, quarantined: d.quarantined }, `${engine} ${name}`).toEqual({
          input: tally.input,
          valid: tally.valid,
          duplicates: tally.duplicates,
          quarantined: tally.quarantined,
        });
        const quarantined = await query(`SELECT source_file, line_number, raw_text, reason_codes FROM (${quarantineRecords(out, dataset, "run-synth", engine)})`);
        const got = new Map<string, unknown>();
        for (const q of quarantined) {
          const line = engine === "duckdb" ? [q.line_number] : (lineOf.get(String(q.raw_text)) ?? ["not a line of the input"]);
          got.set(`${String(q.source_file)}:${line.join("|")}`, q.reason_codes);
        }
        const wrong = [...new Set([...want.keys(), ...got.keys()])].flatMap((where) => {
          const line = Number(where.slice(file.length + 1));
          const intended = want.get(where) ?? records[line - 1]?.intended.kind ?? "no such line";
          return JSON.stringify(got.get(where)) === JSON.stringify(want.get(where)) ? [] : [`${engine} ${name} ${where}: intended ${JSON.stringify(intended)}, quarantined ${JSON.stringify(got.get(where) ?? "no")}`];
        });
        expect(wrong.slice(0, 10), `${engine} ${name}: ${wrong.length} lines not quarantined as intended`).toEqual([]);
      }
    }
  }, 300_000);
});

describe("differences by design, on both engines (runners/spark-local/README.md: known differences)", () => {
  const review = () => datasets.find((d) => d.name === "review")!;
  const line = (fields: Record<string, unknown>) => JSON.stringify({ overall: 5.0, verified: true, reviewTime: "06 2, 2018", reviewerID: "AX1", asin: "B000000001", unixReviewTime: 1527897600, ...fields });
  async function onBoth(name: string, files: Record<string, string | Buffer>): Promise<Both> {
    const input = join(work, `${name}-input`);
    mkdirSync(input, { recursive: true });
    for (const [file, contents] of Object.entries(files)) writeFileSync(join(input, file), contents);
    return bothEngines(name, { review: [input] });
  }
  async function reviewColumn(out: string, column: string): Promise<unknown[]> {
    return (await query(`SELECT ${column} AS v FROM (${tableRows(out, review().table.location)}) ORDER BY 1`)).map((r) => r.v);
  }

  it("the same on both: a mostly quarantined object is reported once everything is written; the clean job itself fails with the reason", async () => {
    // 7 reviews whose overall is a string: all quarantined, over the default --max_quarantine_ratio 0.5.
    const bad = Array.from({ length: 7 }, (_, i) => `${line({ reviewerID: `AB${i}`, overall: "5" })}\n`).join("");
    const input = join(work, "ratio-input", "reviews.jsonl");
    mkdirSync(dirname(input), { recursive: true });
    writeFileSync(input, bad);
    const direct = join(work, "ratio-direct");
    const args = { input_path: input, cleaned_path: join(direct, "cleaned"), quarantine_path: join(direct, "quarantine"), run_id: "ratio", summary_path: join(direct, "summary.json") };
    mkdirSync(direct, { recursive: true });
    const job = join(ROOT, glueScriptPath(review(), "clean"));
    const failure = await driver.runJob(job, args).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SparkJobError);
    expect((failure as Error).message).toContain("7 of 7 records of review were quarantined, more than --max_quarantine_ratio 0.5 allows");
    // Nothing lost: the summary and the quarantine were written before the job failed.
    const written = JSON.parse(readFileSync(args.summary_path, "utf8"));
    expect([written.reconciled, written.datasets.review.valid, written.datasets.review.quarantined.byReason]).toEqual([true, 0, { "overall.wrong_type": 7 }]);
    const quarantined = await query(`SELECT reason_codes FROM read_json(${str(`${direct}/quarantine/run_id=ratio/*.json`)})`);
    expect(quarantined.map((r) => r.reason_codes)).toEqual(Array(7).fill(["overall.wrong_type"]));
    // The limit is a job argument (Terraform's default_arguments): 1 accepts every share; a value out of 0..1 is refused.
    expect((await driver.runJob<{ reconciled: boolean }>(job, { ...args, max_quarantine_ratio: "1" })).result.reconciled).toBe(true);
    await expect(driver.runJob(job, { ...args, max_quarantine_ratio: "1.5" })).rejects.toThrow(/--max_quarantine_ratio must be a number from 0 to 1/);
    // Both engines of the local pipeline: the tables are written, and the run summary names the dataset.
    const both = await onBoth("ratio", { "reviews.jsonl": `${line({ reviewerID: "AOK" })}\n${bad}` });
    await expectParity(both, "run-ratio");
    // The run summary names the option the local run was given; the Glue job its own argument, in the same words.
    const alert = "7 of 8 records of review were quarantined, more than --max-quarantine-ratio 0.5 allows";
    expect(both.spark.summary.quarantineAlerts).toEqual(both.duck.summary.quarantineAlerts);
    expect(both.spark.summary.quarantineAlerts).toEqual([expect.stringContaining(alert)]);
    expect((failure as Error).message).toContain(both.duck.summary.quarantineAlerts[0]!.replace("7 of 8", "7 of 7").replace("--max-quarantine-ratio", "--max_quarantine_ratio"));
  }, 240_000);

  it("a file holding one JSON array: DuckDB reads its elements, Spark (like Glue) reads lines", async () => {
    const both = await onBoth("array", { "reviews-array.json": readFileSync(join(ROOT, "samples", "review", "reviews-array.json")) });
    const duck = both.duck.summary.datasets.review!;
    const spark = both.spark.summary.datasets.review!;
    expect(duck.files[0]!.format).toBe("json-array");
    expect({ input: duck.input, valid: duck.valid, byReason: duck.quarantined.byReason }).toEqual({ input: 3, valid: 2, byReason: { "record.not_an_object": 1 } });
    // 21 lines: 20 are not JSON on their own ("[", "  {", "    \"overall\": 2.0,", …), one is the string element.
    expect({ input: spark.input, valid: spark.valid, byReason: spark.quarantined.byReason }).toEqual({
      input: 21,
      valid: 0,
      byReason: { "record.invalid_json": 20, "record.not_an_object": 1 },
    });
    expect(both.spark.summary.reconciled && both.duck.summary.reconciled).toBe(true);
  }, 120_000);

  it("a cut gzip file: DuckDB keeps the lines before the cut with a warning; the Glue job fails on it, so the runner leaves it out", async () => {
    const both = await onBoth("cut", { "reviews-cut.jsonl.gz": readFileSync(join(ROOT, "samples", "review", "reviews-cut.jsonl.gz")) });
    const duck = both.duck.summary.datasets.review!;
    expect(duck.files[0]!.error).toMatch(/reading stopped after 1 lines: unexpected end of file/);
    expect({ input: duck.input, valid: duck.valid }).toEqual({ input: 2, valid: 1 });
    const spark = both.spark.summary.datasets.review!;
    expect(spark.files[0]!.error).toMatch(/not read: the gzip file is cut or corrupt/);
    expect(spark.input).toBe(0);
    // The job itself, given the file, fails loudly (in AWS: the state machine's failure notification).
    const input = join(work, "cut-input");
    const args = { input_path: input, cleaned_path: join(work, "cut-direct", "cleaned"), quarantine_path: join(work, "cut-direct", "quarantine"), run_id: "cut", summary_path: join(work, "cut-direct", "summary.json") };
    mkdirSync(join(work, "cut-direct"), { recursive: true });
    const failure = await driver.runJob(join(ROOT, glueScriptPath(review(), "clean")), args).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SparkJobError);
    expect((failure as Error).message).toMatch(/EOFException: Unexpected end of input stream/);
  }, 120_000);

  it("a repeated key: Spark keeps the last value (as JSON.parse does), DuckDB's JSON reader the first", async () => {
    const text = line({}).replace('"overall":5', '"overall":1,"overall":5');
    expect(text).toContain('"overall":1,"overall":5');
    const both = await onBoth("repeated-key", { "repeated.jsonl": `${text}\n` });
    expect(JSON.parse(text).overall).toBe(5);
    expect(await reviewColumn(both.spark.out, "rating::VARCHAR")).toEqual(["5.0"]);
    expect(await reviewColumn(both.duck.out, "rating::VARCHAR")).toEqual(["1.0"]);
  }, 120_000);

  it("a repeated key in a map (style, details): both engines load the record, Spark keeping the last value, DuckDB the first", async () => {
    // DuckDB failed the whole run on it ("Map keys must be unique") when the key was one of the map's rest.
    const text = line({ style: { "Format:": " Kindle" } }).replace('{"Format:":" Kindle"}', '{"Edition:":" 2nd","Format:":" Kindle","Edition:":" 3rd","Format:":" Paper"}');
    const both = await onBoth("repeated-map-key", { "repeated-map.jsonl": `${text}
` });
    expect({ duck: both.duck.summary.datasets.review!.valid, spark: both.spark.summary.datasets.review!.valid }).toEqual({ duck: 1, spark: 1 });
    expect(await reviewColumn(both.spark.out, "style_other_json || ' ' || style_format")).toEqual(['{"Edition:":" 3rd"} Paper']);
    expect(await reviewColumn(both.duck.out, "style_other_json || ' ' || style_format")).toEqual(['{"Edition:":" 2nd"} Kindle']);
    const productInput = join(work, "repeated-details-input");
    mkdirSync(productInput, { recursive: true });
    writeFileSync(join(productInput, "details.jsonl"), '{"asin": "P000000001", "title": "t", "details": {"Foo:": "a", "Bar:": "c", "Foo:": "b"}}\n');
    const products = await bothEngines("repeated-details", { product: [productInput] });
    const details = async (out: string) =>
      (await query(`SELECT details_other_json AS v FROM (${tableRows(out, datasets.find((d) => d.name === "product")!.table.location)})`)).map((r) => r.v);
    expect(await details(products.spark.out)).toEqual(['{"Foo:":"b","Bar:":"c"}']);
    expect(await details(products.duck.out)).toEqual(['{"Foo:":"a","Bar:":"c"}']);
  }, 240_000);

  it("the same on both: the map keys __proto__ and constructor are ordinary keys: a wrong value is quarantined (style{}.wrong_type), a right one kept", async () => {
    // JavaScript's own objects treat these names apart (Zod's z.record skips __proto__: generators/targets/json-schema/README.md);
    // the engines side with the JSON Schema. The raw text is written by hand: an object literal's __proto__ is its prototype.
    const style = (reviewerID: string, map: string) => line({ reviewerID, style: { "Format:": " Kindle" } }).replace('{"Format:":" Kindle"}', map);
    const text = [style("AX1", '{"__proto__":1}'), style("AX2", '{"__proto__":"ok:"}'), style("AX3", '{"constructor":5}'), style("AX4", '{"Size:":" L","__proto__":{"a":1}}')];
    const both = await onBoth("proto-keys", { "proto-keys.jsonl": `${text.join("\n")}\n` });
    await expectParity(both, "run-proto-keys");
    for (const engine of ["duck", "spark"] as const) {
      expect(both[engine].summary.datasets.review!.quarantined.byReason, engine).toEqual({ "style{}.wrong_type": 3 });
      expect(await reviewColumn(both[engine].out, "reviewer_id || ' ' || style_other_json"), engine).toEqual(['AX2 {"__proto__":"ok:"}']);
    }
  }, 120_000);

  it("the same on both: a lone UTF-16 surrogate escape is record.invalid_json (Spark stored it as \"?\"), a surrogate pair is its character", async () => {
    const lone = line({ reviewerID: "AX1", summary: "x" }).replace('"summary":"x"', '"summary":"lone \\ud800 x"');
    const pair = line({ reviewerID: "AX2", summary: "x" }).replace('"summary":"x"', '"summary":"pair \\ud83d\\ude00 x"');
    expect(lone).toContain("lone \\ud800 x");
    const both = await onBoth("surrogate", { "surrogate.jsonl": `${lone}\n${pair}\n` });
    await expectParity(both, "run-surrogate");
    for (const engine of ["duck", "spark"] as const) {
      expect(both[engine].summary.datasets.review!.quarantined.byReason, engine).toEqual({ "record.invalid_json": 1 });
      // The quarantine keeps the line's own bytes, the escape as written; the table holds the pair's four UTF-8 bytes.
      const quarantined = await query(`SELECT raw_text FROM (${quarantineRecords(both[engine].out, review(), "run-surrogate", engine === "duck" ? "duckdb" : "spark")})`);
      expect(quarantined.map((r) => r.raw_text), engine).toEqual([lone]);
      expect(await reviewColumn(both[engine].out, "hex(encode(summary))"), engine).toEqual(["7061697220F09F98802078"]);
    }
  }, 120_000);

  it("a lone CR inside a line (JSON whitespace): Hadoop's reader splits the line there, and the Spark run does not reconcile, saying so", async () => {
    // Lines are counted by the runner from the file (split on LF, as the DuckDB engine counts them), not taken from
    // the job's records + blank lines, which could never differ from them.
    const text = `${line({ reviewerID: "AX1" }).replace(',"verified"', ',\r"verified"')}\n${line({ reviewerID: "AX2" })}\n`;
    const both = await onBoth("lone-cr", { "lone-cr.jsonl": text });
    const duck = both.duck.summary.datasets.review!;
    const spark = both.spark.summary.datasets.review!;
    expect(both.duck.summary.reconciled).toBe(true);
    expect({ input: duck.input, valid: duck.valid, files: duck.files.map((f) => [f.lines, f.records, f.blankLines]) }).toEqual({ input: 2, valid: 2, files: [[2, 2, 0]] });
    expect({ input: spark.input, valid: spark.valid, files: spark.files.map((f) => [f.lines, f.records, f.blankLines]) }).toEqual({ input: 3, valid: 1, files: [[2, 3, 0]] });
    expect(both.spark.summary.reconciled).toBe(false);
    expect(both.spark.summary.problems).toEqual(["review: lone-cr.jsonl has 2 lines but 3 records + 0 blank lines."]);
  }, 120_000);

  it("the same on both: of records sharing a key, the newest file's is kept, whatever its text (then the text sorting first)", async () => {
    // AX1: the older file's text sorts first; AX2: the same text in both. The older file's name sorts last.
    const input = join(work, "newest-input");
    mkdirSync(input, { recursive: true });
    const files = { "z-older.jsonl": ["a", "same"], "a-newer.jsonl": ["b", "same"] };
    for (const [file, [first, second]] of Object.entries(files)) {
      writeFileSync(join(input, file), `${line({ reviewerID: "AX1", summary: first })}\n${line({ reviewerID: "AX2", summary: second })}\n`);
    }
    utimesSync(join(input, "z-older.jsonl"), new Date("2026-12-01T10:00:00.250Z"), new Date("2026-12-01T10:00:00.250Z"));
    utimesSync(join(input, "a-newer.jsonl"), new Date("2026-12-05T10:00:00.500Z"), new Date("2026-12-05T10:00:00.500Z"));
    const both = await bothEngines("newest", { review: [input] });
    await expectParity(both, "run-newest");
    expect([both.spark.summary.datasets.review!.valid, both.spark.summary.datasets.review!.duplicates]).toEqual([2, 2]);
    const kept = await query(`SELECT summary, strftime(raw_modified_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S.%g') AS modified
      FROM (${tableRows(both.spark.out, review().table.location)}) ORDER BY summary`);
    expect(kept).toEqual([
      { summary: "b", modified: "2026-12-05 10:00:00.500" },
      { summary: "same", modified: "2026-12-05 10:00:00.500" },
    ]);
    // Each row names its raw object: Spark the URI it read (on AWS s3://bucket/key), the DuckDB engine the file's name.
    const objects = async (rows: string) => (await query(`SELECT DISTINCT raw_object AS v FROM (${rows})`)).map((r) => r.v);
    expect(await objects(tableRows(both.spark.out, review().table.location))).toEqual([pathToFileURL(join(sparkInputDir(both.spark.out, "review"), "a-newer.jsonl")).href]);
    expect(await objects(tableRows(both.duck.out, review().table.location))).toEqual(["a-newer.jsonl"]);
  }, 120_000);

  it("the same on both: a byte order mark and CRLF line ends", async () => {
    const text = `\ufeff${line({ reviewerID: "AX1" })}\r\n${line({ reviewerID: "AX2" })}\r\n`;
    const both = await onBoth("bom", { "bom.jsonl": text });
    await expectParity(both, "run-bom");
    expect(both.spark.summary.datasets.review!.valid).toBe(2);
  }, 120_000);

  it("the same on both: control characters in JSON text kept as a column (sales_rank_json), \\u escapes in upper case", async () => {
    const productInput = join(work, "escapes-input");
    mkdirSync(productInput, { recursive: true });
    // A control character, a literal backslash before "u001f" (not an escape), and a backslash before a control.
    const rank = ["a\u001fb", "e\\u001fx", "\u000b", "\\\u001f", "tab\t"];
    writeFileSync(join(productInput, "escapes.jsonl"), `${JSON.stringify({ asin: "P000000001", title: "t", rank })}\n`);
    const both = await bothEngines("escapes", { product: [productInput] });
    await expectParity(both, "run-escapes");
    const rows = await query(`SELECT sales_rank_json AS v FROM (${tableRows(both.spark.out, datasets.find((d) => d.name === "product")!.table.location)})`);
    expect(rows.map((r) => r.v)).toEqual(['["a\\u001Fb","e\\\\u001fx","\\u000B","\\\\\\u001F","tab\\t"]']);
  }, 120_000);

  it("the same on both: a byte order mark at the start of a later line (files concatenated), in a plain file and in gzip", async () => {
    const text = `${line({ reviewerID: "AX1" })}\n\ufeff${line({ reviewerID: "AX2" })}\n${line({ reviewerID: "AX3" })}\n`;
    const both = await onBoth("later-bom", { "later-bom.jsonl": text, "later-bom.jsonl.gz": gzipSync(Buffer.from(text.replaceAll("AX", "AY"))) });
    await expectParity(both, "run-later-bom");
    expect({ duck: both.duck.summary.datasets.review!.valid, spark: both.spark.summary.datasets.review!.valid }).toEqual({ duck: 6, spark: 6 });
  }, 120_000);

  it("the same on both: a line holding only a byte order mark (an empty file with one, concatenated with others) is blank", async () => {
    // BOM LF, a review, BOM CRLF, a review: two records and two blank lines on both (Spark counted the BOM lines as
    // records, record.invalid_json, and its input was 4 where DuckDB's was 2).
    const text = `\ufeff\n${line({ reviewerID: "AX1" })}\n\ufeff\r\n${line({ reviewerID: "AX2" })}\n`;
    const both = await onBoth("bom-only", { "bom-only.jsonl": text });
    await expectParity(both, "run-bom-only");
    const review = both.spark.summary.datasets.review!;
    expect({ input: review.input, valid: review.valid, files: review.files.map((f) => [f.lines, f.records, f.blankLines]) }).toEqual({ input: 2, valid: 2, files: [[4, 2, 2]] });
  }, 120_000);

  it("the same on both: a number beyond a double's range (valid JSON: 1e999) in any member, and a product date before 1582", async () => {
    // The Glue clean job failed the whole run on the first (Python wrote the number back as Infinity, not JSON), the
    // flatten job on the second (Spark's ancient-date rebase check); DuckDB loads or quarantines them.
    const reviews = [line({ reviewerID: "AX1" }).replace("}", ',"helpfulness":1e999}'), line({ reviewerID: "AX2" }).replace("1527897600", "1e400"), line({ reviewerID: "AX3" })];
    const both = await onBoth("huge-number", { "huge.jsonl": `${reviews.join("\n")}\n` });
    await expectParity(both, "run-huge-number");
    expect({ valid: both.spark.summary.datasets.review!.valid, byReason: both.spark.summary.datasets.review!.quarantined.byReason }).toEqual({ valid: 2, byReason: { "unixReviewTime.out_of_range": 1 } });
    const productInput = join(work, "ancient-input");
    mkdirSync(productInput, { recursive: true });
    writeFileSync(join(productInput, "ancient.jsonl"), `${JSON.stringify({ asin: "P000000001", title: "Old card", date: "October 14, 1582" })}\n`);
    const ancient = await bothEngines("ancient", { product: [productInput] });
    await expectParity(ancient, "run-ancient");
    expect(ancient.spark.summary.datasets.product!.valid).toBe(1);
  }, 240_000);

  it("the clean job reads the object it is given, whatever its key holds: glob characters ([1], and { } * ? too) are literal", async () => {
    const dir = join(work, "glob-input");
    mkdirSync(dir, { recursive: true });
    // An S3 key may hold [ ] { } * ?; Spark would expand them as a glob and read reviews1.jsonl instead.
    writeFileSync(join(dir, "reviews[1].jsonl"), `${line({ reviewerID: "AX1" })}\n${line({ reviewerID: "AX2" })}\n`);
    writeFileSync(join(dir, "reviews1.jsonl"), `${line({ reviewerID: "AX3" })}\n`);
    const summaryPath = join(work, "glob-direct", "summary.json");
    mkdirSync(join(work, "glob-direct"), { recursive: true });
    await driver.runJob(join(ROOT, glueScriptPath(review(), "clean")), {
      input_path: join(dir, "reviews[1].jsonl"),
      cleaned_path: join(work, "glob-direct", "cleaned"),
      quarantine_path: join(work, "glob-direct", "quarantine"),
      run_id: "glob",
      summary_path: summaryPath,
    });
    const read = JSON.parse(readFileSync(summaryPath, "utf8")).datasets.review;
    expect(read.input).toBe(2);
    expect(read.files).toHaveLength(1);
    expect(JSON.stringify(read.files)).toMatch(/reviews(\[1\]|%5B1%5D)\.jsonl/);
  }, 120_000);

  it("the clean job reads the object an S3 event names by bucket and URL-encoded key (a space, = and + in the key)", async () => {
    // A local folder stands in for the bucket; the key is given as S3 events carry it (form-style URL encoding).
    const bucket = join(work, "event-bucket");
    const folder = join(bucket, "reviews", "ingest_date=2024-06-01");
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, "a b+c.jsonl"), `${line({ reviewerID: "AX1" })}\n${line({ reviewerID: "AX2" })}\n`);
    // What a decoding that keeps + as + would read instead.
    writeFileSync(join(folder, "a+b+c.jsonl"), `${line({ reviewerID: "AX3" })}\n`);
    const summaryPath = join(work, "event-direct", "summary.json");
    mkdirSync(join(work, "event-direct"), { recursive: true });
    await driver.runJob(join(ROOT, glueScriptPath(review(), "clean")), {
      input_bucket: bucket,
      input_key: "reviews/ingest_date%3D2024-06-01/a+b%2Bc.jsonl",
      cleaned_path: join(work, "event-direct", "cleaned"),
      quarantine_path: join(work, "event-direct", "quarantine"),
      run_id: "event",
      summary_path: summaryPath,
    });
    const read = JSON.parse(readFileSync(summaryPath, "utf8")).datasets.review;
    expect({ input: read.input, valid: read.valid }).toEqual({ input: 2, valid: 2 });
    expect(read.files).toHaveLength(1);
    expect(decodeURIComponent(read.files[0].file)).toMatch(/\/event-bucket\/reviews\/ingest_date=2024-06-01\/a b\+c\.jsonl$/);
  }, 120_000);

  it("the clean job refuses an object whose name starts with _ or . (Spark would skip it as hidden and read nothing)", async () => {
    const dir = join(work, "hidden-input");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "_batch.jsonl"), `${line({ reviewerID: "AX1" })}\n`);
    const args = { input_path: join(dir, "_batch.jsonl"), cleaned_path: join(work, "hidden-direct", "cleaned"), quarantine_path: join(work, "hidden-direct", "quarantine"), run_id: "hidden", summary_path: join(work, "hidden-direct", "summary.json") };
    mkdirSync(join(work, "hidden-direct"), { recursive: true });
    const failure = await driver.runJob(join(ROOT, glueScriptPath(review(), "clean")), args).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SparkJobError);
    expect((failure as Error).message).toMatch(/names an object whose name starts with '_' or '\.', which Spark skips as a hidden file/);
    expect(existsSync(args.summary_path)).toBe(false);
  }, 120_000);

  it("the same on both: a record over the 16 MiB record limit is quarantined with its first 1024 bytes", async () => {
    const long = `{"overall": 5, "reviewText": "${"é".repeat(9 * 1024 * 1024)}"}`;
    const both = await onBoth("too-long", { "long.jsonl": `${line({ reviewerID: "AX9" })}\n${long}\n` });
    await expectParity(both, "run-too-long");
    expect(both.spark.summary.datasets.review!.quarantined.byReason).toEqual({ "record.too_long": 1 });
  }, 120_000);

  it("the same on both: lists kept as JSON text (tests/fixtures/json-lists) write integers without a decimal point", async () => {
    // The jobs of a contract with an integer list, a number list and a string list, each kept as JSON text (`array:
    // { json: true }`), generated into a scratch root. Integers used to be stored as doubles: [1.0,2.0] on both
    // engines, and [1.2345678E7,2.0E7] on Spark against [12345678.0,20000000.0] on DuckDB.
    const ir = await loadIR(join(ROOT, "tests", "fixtures", "json-lists"), ROOT);
    const root = join(work, "json-lists-root");
    for (const file of emitGluePyspark(ir).files) {
      mkdirSync(dirname(join(root, file.path)), { recursive: true });
      writeFileSync(join(root, file.path), file.contents);
    }
    const input = join(work, "json-lists-input");
    mkdirSync(input, { recursive: true });
    const records = [
      { id: "a", helpful: [1, 2], scores: [1.5, 0.25], tags: ["x", "y"] },
      { id: "b", helpful: [12345678, 20000000] },
      { id: "c", raw: '"helpful":[5.0,-3,0,1e2]' },
      { id: "d", helpful: [9007199254740991, -9007199254740991] },
      { id: "e", helpful: [], scores: [] },
      { id: "f", scores: [1, 2] },
      { id: "g", helpful: [1.5] },
    ];
    const text = records.map(({ raw, ...r }) => (raw ? JSON.stringify(r).replace("}", `,${raw}}`) : JSON.stringify(r))).join("\n");
    writeFileSync(join(input, "lists.jsonl"), `${text}\n`);
    const common = { datasets: ir.datasets, inputs: new Map([["json_lists", [input]]]), runId: "run-json-lists", processedAt: PROCESSED_AT, progress: (line: string) => process.stderr.write(`${line}\n`) };
    const table = ir.datasets[0]!.table;
    const expected = [
      { id: "a", helpful_json: "[1,2]", scores_json: "[1.5,0.25]", tags_json: '["x","y"]' },
      { id: "b", helpful_json: "[12345678,20000000]", scores_json: null, tags_json: null },
      { id: "c", helpful_json: "[5,-3,0,100]", scores_json: null, tags_json: null },
      { id: "d", helpful_json: "[9007199254740991,-9007199254740991]", scores_json: null, tags_json: null },
      { id: "e", helpful_json: "[]", scores_json: "[]", tags_json: null },
      // z.number() elements are doubles, written with a decimal point by both engines.
      { id: "f", helpful_json: null, scores_json: "[1.0,2.0]", tags_json: null },
    ];
    const check = async (engine: string, out: string, summary: RunSummary) => {
      expect(summary.datasets.json_lists!.quarantined.byReason, engine).toEqual({ "helpful[].not_integer": 1 });
      const rows = await query(`SELECT id, helpful_json, scores_json, tags_json FROM (${tableRows(out, table.location)}) ORDER BY id`);
      expect(rows, engine).toEqual(expected);
    };
    const duckOut = join(work, "json-lists", "duckdb");
    await check("duckdb", duckOut, await runPipeline({ ...common, out: duckOut }));
    const sparkOut = join(work, "json-lists", "spark");
    await check("spark", sparkOut, await runSparkPipeline({ ...common, out: sparkOut, root, driver }));
  }, 600_000);
});
