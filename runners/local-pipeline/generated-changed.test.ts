/**
 * A run reads the generated IR at its start, and the Glue jobs and dbt's project much later: `npm run generate` in
 * between made one run of two generations (a misleading dbt Binder error, or a run that passed with data cleaned by
 * the old rules). The run records the manifest's sha256 and fails with PIPELINE.GENERATED_CHANGED when it changes.
 * The change is made at a known point of the run: when its progress (on the error stream) names a step.
 */
import { createHash } from "node:crypto";
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "./cli.js";

const ROOT = join(import.meta.dirname, "..", "..");
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "generated-changed-test-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A repository root of its own (generated files, dbt project): its manifest can change under a run. */
function rootCopy(name: string): string {
  const root = join(work, name, "root");
  mkdirSync(join(root, "generated"), { recursive: true });
  cpSync(join(ROOT, "generated/ir"), join(root, "generated/ir"), { recursive: true });
  cpSync(join(ROOT, "generated/manifest.json"), join(root, "generated/manifest.json"));
  cpSync(join(ROOT, "dbt-out"), join(root, "dbt-out"), { recursive: true, filter: (path) => !/\/(target|logs|dbt_packages)$/.test(path) });
  return root;
}

/** The same, with what the Spark engine reads from its root: the Glue jobs, its driver, and the pinned "spark" env (shared). */
function sparkRootCopy(name: string): string {
  const root = rootCopy(name);
  cpSync(join(ROOT, "glue-pyspark-out"), join(root, "glue-pyspark-out"), { recursive: true });
  cpSync(join(ROOT, "runners/spark-local"), join(root, "runners/spark-local"), { recursive: true });
  cpSync(join(ROOT, "toolchain/python"), join(root, "toolchain/python"), { recursive: true });
  symlinkSync(join(ROOT, ".venv"), join(root, ".venv"));
  return root;
}

const sha256 = (file: string) => `sha256:${createHash("sha256").update(readFileSync(file)).digest("hex")}`;

/** Runs the command on the product samples; `when(line)` true on a progress line regenerates (changes the manifest). */
async function runChanging(root: string, out: string, when: (line: string) => boolean, ...args: string[]) {
  let stdout = "";
  let stderr = "";
  let changed = false;
  const err = {
    write: (text: string) => {
      stderr += text;
      if (!changed && when(text)) {
        // What `npm run generate` does to it: a new file list (here: the same, with one more byte at the end).
        appendFileSync(join(root, "generated/manifest.json"), "\n");
        changed = true;
      }
      return true;
    },
  };
  const code = await main(["--root", root, "--out", out, "--run-id", "changed", "--input", `product=${join(ROOT, "samples", "product")}`, ...args], { write: (text: string) => (stdout += text) }, err);
  return { code, stdout, stderr, changed };
}

describe("the generated files changing during a run (PIPELINE.GENERATED_CHANGED)", () => {
  it("records the manifest's sha256 in run-summary.json when they do not", async () => {
    const root = rootCopy("unchanged");
    const out = join(work, "unchanged", "out");
    const result = await runChanging(root, out, () => false, "--no-warehouse");
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, "run-summary.json"), "utf8")) as { generatedManifest?: string };
    expect(summary.generatedManifest).toBe(sha256(join(root, "generated/manifest.json")));
  });

  it("during the tables: exit 2, no run-summary.json, the warehouse step skipped", async () => {
    const root = rootCopy("tables");
    const out = join(work, "tables", "out");
    const result = await runChanging(root, out, (line) => line.startsWith("product:"));
    expect(result.changed).toBe(true);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(
      /error PIPELINE\.GENERATED_CHANGED: generated files changed during the run \(npm run generate at \d{4}-\d\d-\d\dT[\d:.]+Z\?\): generated\/manifest\.json is not the one the run started with, so its tables may mix the two .+ holds no run-summary\.json, and the warehouse step was skipped\.\n  fix: re-run once generation is done \(npm run generate, then npm run pipeline:local\)\.\n$/,
    );
    expect(result.stderr).not.toContain("external tables:");
    expect(existsSync(join(out, "run-summary.json"))).toBe(false);
  });

  it("on the Spark engine, between the clean and the flatten job (each Glue job is read as it starts): exit 2, no run-summary.json, the warehouse step skipped", async () => {
    const root = sparkRootCopy("spark");
    const out = join(work, "spark", "out");
    const result = await runChanging(root, out, (line) => line.startsWith("product: cleaned"), "--engine", "spark");
    expect(result.changed, result.stderr).toBe(true);
    expect(result.stderr).toContain("product: flatten job (glue-pyspark-out/");
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain("error PIPELINE.GENERATED_CHANGED: generated files changed during the run (npm run generate at ");
    expect(result.stderr).toContain("so its tables may mix the two (the Glue jobs are read as each runs)");
    expect(result.stderr).not.toContain("external tables:");
    expect(existsSync(join(out, "run-summary.json"))).toBe(false);
  }, 300_000);

  it("during the warehouse step: exit 2, run-summary.json without a warehouse section, the last line says so", async () => {
    const root = rootCopy("warehouse");
    const out = join(work, "warehouse", "out");
    const result = await runChanging(root, out, (line) => line.startsWith("external tables:"));
    expect(result.changed).toBe(true);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain("error PIPELINE.GENERATED_CHANGED: generated files changed during the run (npm run generate at ");
    expect(result.stderr).toContain("so dbt may have read the new project over the tables of the old one: run-summary.json keeps the tables' figures and has no warehouse section.");
    expect(result.stdout.trim().split("\n").at(-1)).toBe(
      "Run changed (duckdb): counts reconcile, but the WAREHOUSE FAILED: the generated files changed during the warehouse step (error PIPELINE.GENERATED_CHANGED); run-summary.json has no warehouse section.",
    );
    const summary = JSON.parse(readFileSync(join(out, "run-summary.json"), "utf8")) as { warehouse?: unknown; datasets: Record<string, { input: number }> };
    expect([summary.warehouse, summary.datasets.product?.input]).toEqual([undefined, 6]);
  }, 300_000);
});
