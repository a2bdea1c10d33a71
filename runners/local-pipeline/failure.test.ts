/**
 * A run that fails midway (here: DuckDB out of its memory limit, for real): it leaves no folder of its own in the
 * cleaned zone or the quarantine (as an interrupted run), keeps the earlier runs' there, leaves no run-summary.json,
 * and pipeline:local says what is left and what to change (`failureAdvice`, whose other causes are checked on the
 * engines' own messages: a full disk, Spark's memory, a read-only or forbidden folder).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "./cli.js";
import { failureAdvice } from "./failure-advice.js";
import { loadGeneratedIR } from "./generated-ir.js";
import { runPipeline } from "./pipeline.js";
import { synthesizeAll } from "../synth/synthesize.js";
import { runOutputs } from "../../tests/helpers/run-folders.js";
import type { DatasetIR } from "../../generators/ir/types.js";

const ROOT = join(import.meta.dirname, "..", "..");
const datasets = loadGeneratedIR(ROOT);
const review = datasets.find((d) => d.name === "review")!;
const product = datasets.find((d) => d.name === "product")!;
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "pipeline-failure-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function synthetic(dataset: DatasetIR, records: number, path: string): string {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, synthesizeAll(dataset, { records, seed: 7 }).records.map((r) => `${r.line}\n`).join(""));
  return path;
}

describe("a run that fails midway", () => {
  it("leaves no folder of its own in the cleaned zone or the quarantine (the product's, written before the review failed, are removed), keeps the earlier run's, and no run-summary.json", async () => {
    const out = join(work, "engine");
    const products = synthetic(product, 50, join(work, "engine-input", "products.jsonl"));
    const inputs = new Map([["product", [products]]]);
    await runPipeline({ datasets: [product, review], inputs, out, runId: "earlier" });
    const earlier = runOutputs(out);
    expect(earlier).toEqual(["amazon-reviews-cleaned/products/run_id=earlier", "amazon-reviews-quarantine/products/run_id=earlier"]);
    expect(existsSync(join(out, "run-summary.json"))).toBe(true);

    // 16 MB: the 50 products fit, the 20,000 reviews do not (DuckDB's own Out of Memory Error, after the product's
    // cleaned zone and quarantine are written).
    const reviews = synthetic(review, 20_000, join(work, "engine-input", "reviews.jsonl"));
    const lines: string[] = [];
    const failure = await runPipeline({ datasets: [product, review], inputs: new Map([...inputs, ["review", [reviews]]]), out, runId: "failed", memoryLimit: "16MB", progress: (line) => lines.push(line) }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/^Out of Memory Error/);
    expect(lines).toContain("product: cleaned written");
    expect(lines).not.toContain("review: cleaned written");
    expect(runOutputs(out)).toEqual(earlier);
    expect(existsSync(join(out, "run-summary.json"))).toBe(false);
  }, 60_000);

  it("pipeline:local says what the failure left and what to change: a higher --memory-limit or fewer --threads", async () => {
    const out = join(work, "cli");
    // 150,000 reviews need more than the least --memory-limit taken (128MiB).
    const reviews = synthetic(review, 150_000, join(work, "cli-input", "reviews.jsonl"));
    let stdout = "";
    let stderr = "";
    const code = await main(["--root", ROOT, "--no-warehouse", "--quiet", "--input", `review=${reviews}`, "--out", out, "--run-id", "cli-failed", "--memory-limit", "128MiB"], { write: (s: string) => (stdout += s) }, { write: (s: string) => (stderr += s) });
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^error PIPELINE\.FAILED: Out of Memory Error: /);
    const [state, fix] = stderr.split("\n").slice(-3, -1);
    expect(state).toBe(`  ${out} holds no run-summary.json until a run completes: its tables may be partly replaced (the run's own folders in the cleaned zone and the quarantine were removed).`);
    expect(fix).toBe(
      "  fix: DuckDB ran out of its memory limit (--memory-limit, this run's 128MiB). Pass a higher one (e.g. --memory-limit 4GB, below the machine's free memory), or fewer --threads (each thread holds buffers of its own); then run the same command again.",
    );
    expect(runOutputs(out)).toEqual([]);
  }, 90_000);
});

describe("failureAdvice: the fix for each cause, from the engines' own messages", () => {
  const out = "/data/run-out";
  const advice = (message: string, engine: "duckdb" | "spark" = "duckdb", memoryLimit?: string) => failureAdvice(message, { out, engine, ...(memoryLimit ? { memoryLimit } : {}) }).split("\n")[1]!;

  it.each([
    // DuckDB's write of a partition file, and Spark's (Java's) on a full disk.
    ['IO Error: Could not write file "/data/run-out/amazon-reviews-processed/reviews/review/review_date=2018-06-02/part-0.parquet": No space left on device', "duckdb", /^ {2}fix: a disk is full: the one of \/data\/run-out, or the one of the system's temporary folder \(.+\), where DuckDB's spill files beyond its memory limit go .*Free some space there, or pass --out on a disk with room, or set TMPDIR/],
    ["org.apache.spark.SparkException: Job aborted. Caused by: java.io.IOException: No space left on device", "spark", /^ {2}fix: a disk is full: .* where Spark's shuffle and spill files go/],
    ["EDQUOT: disk quota exceeded, write", "duckdb", /^ {2}fix: a disk is full/],
    ["Out of Memory Error: failed to allocate data of size 1.0 MiB (127.3 MiB/128.0 MiB used)", "duckdb", /^ {2}fix: DuckDB ran out of its memory limit \(--memory-limit, default 1GB\)\. Pass a higher one/],
    ["java.lang.OutOfMemoryError: Java heap space", "spark", /^ {2}fix: the Spark driver ran out of memory\. Set SPARK_DRIVER_MEMORY higher \(default 2g/],
    ['IO Error: Cannot open file "/data/run-out/x.parquet": Read-only file system', "duckdb", /^ {2}fix: the file system named above is read-only: pass --out on a writable one/],
    ["EACCES: permission denied, mkdir '/data/run-out/amazon-reviews-cleaned'", "duckdb", /^ {2}fix: the run may not write the file or folder named above: make it writable \(chmod u\+w\)/],
    ["ENOTDIR: not a directory, mkdir '/data/a-file/out'", "duckdb", /^ {2}fix: a file stands where a folder belongs on the path named above: move it away, or pass another --out/],
    ["Binder Error: something else", "duckdb", /^ {2}fix: the message above names the cause; once it is mended, run the same command again \(it replaces every table\)\.$/],
    // Spark's refusal to start with too little memory: its own advice (--driver-memory) is not this command's.
    ["The local Spark session did not start (exit 1).\nErrors:\n  org.apache.spark.SparkIllegalArgumentException: [INVALID_DRIVER_MEMORY] System memory 167772160 must be at least 471859200. Please increase heap size using the --driver-memory option", "spark", /^ {2}fix: SPARK_DRIVER_MEMORY is below the least memory Spark starts with/],
    // DuckDB's message on Spark's engine names no Spark setting.
    ["Out of Memory Error: failed to allocate", "spark", /^ {2}fix: the message above names the cause/],
  ] as const)("%s (%s)", (message, engine, expected) => {
    expect(advice(message, engine)).toMatch(expected);
  });

  it("adds no generic fix line to a message that carries its own (the Spark session's start)", () => {
    const message = "The local Spark session did not start (exit 1).\nErrors:\n  java.lang.UnsupportedClassVersionError: x\nFix: act on the first error above (a java was found, so a missing Java is not the cause).";
    expect(failureAdvice(message, { out, engine: "spark" }).split("\n").filter(Boolean)).toHaveLength(1);
    expect(failureAdvice("Binder Error: x", { out, engine: "spark" }).split("\n").filter(Boolean)).toHaveLength(2);
  });

  it("shows a failed Spark job's console error lines its message lacks, and takes the fix from them (the JVM out of memory)", () => {
    const lines = failureAdvice("py4j.reflection does not exist in the JVM", {
      out,
      engine: "spark",
      consoleErrors: ["java.lang.OutOfMemoryError: Java heap space", "py4j.reflection does not exist in the JVM", "py4j.protocol.Py4JNetworkError: Answer from Java side is empty"],
    }).split("\n");
    expect(lines.slice(0, 3)).toEqual(["  Spark's console output named these errors:", "    java.lang.OutOfMemoryError: Java heap space", "    py4j.protocol.Py4JNetworkError: Answer from Java side is empty"]);
    expect(lines[4]).toMatch(/^ {2}fix: the Spark driver ran out of memory\. Set SPARK_DRIVER_MEMORY higher/);
    expect(failureAdvice("x", { out, engine: "spark", consoleErrors: [] })).not.toContain("console");
  });

  it("names the --memory-limit the run was given", () => {
    expect(advice("Out of Memory Error: x", "duckdb", "512MB")).toContain("(--memory-limit, this run's 512MB)");
  });

  it("says the output folder was not changed when the last run's summary is still there (the run stopped before replacing anything)", () => {
    const folder = join(work, "untouched");
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, "run-summary.json"), "{}\n");
    expect(failureAdvice("x", { out: folder, engine: "spark" }).split("\n")[0]).toBe(`  ${folder} was not changed: the run stopped before replacing anything (the last run's run-summary.json stays).`);
  });
});
