/**
 * The warehouse half of `pipeline:local` on the real 2018 data: the real dbt (dbt-core + dbt-duckdb) builds every
 * model of dbt-out/ (generated staging, hand-written marts) over the local external tables, with enforced contracts,
 * every test and source freshness. Expected numbers are computed here from the raw lines with plain JavaScript (not
 * read back from the pipeline), following the contracts' rules: the key is (reviewerID, asin, unixReviewTime), the
 * first line of a repeated key is kept. Row counts are read from the database dbt built.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATA_FILES, dataRecords, REPO_ROOT, SHARED_DATA } from "../../tests/helpers/data.js";
import { loadGeneratedIR, main as pipelineMain, runLocalWarehouse } from "../local-pipeline/cli.js";
import { runPipeline } from "../local-pipeline/pipeline.js";
import { parse } from "yaml";
import type { WarehouseResult } from "./warehouse.js";

const datasets = loadGeneratedIR(REPO_ROOT);
let work: string;
let out: string;
let result: WarehouseResult;

interface RawReview {
  overall: number;
  reviewerID: string;
  asin: string;
  unixReviewTime: number;
  image?: string[];
}

/** Independent expectations from the raw 2018 lines. */
function expected() {
  const seen = new Set<string>();
  const reviews: RawReview[] = [];
  for (const r of dataRecords(DATA_FILES.reviews2018) as RawReview[]) {
    const key = `${r.reviewerID}|${r.asin}|${r.unixReviewTime}`;
    if (!seen.has(key)) reviews.push(r);
    seen.add(key);
  }
  const products = dataRecords(DATA_FILES.products2018) as { category: string[] }[];
  const day = (r: RawReview) => new Date(r.unixReviewTime * 1000).toISOString().slice(0, 10);
  return {
    reviews: reviews.length,
    images: reviews.reduce((n, r) => n + (r.image?.length ?? 0), 0),
    products: products.length,
    categories: products.reduce((n, p) => n + p.category.length, 0),
    productDays: new Set(reviews.map((r) => `${r.asin}|${day(r)}`)).size,
    fiveStar: reviews.filter((r) => r.overall === 5).length,
  };
}

/** A repository root for the CLI: the generated IR and a copy of dbt-out/ with `edit` applied. */
function rootWith(edit: (dbtDir: string) => void): string {
  const root = mkdtempSync(join(work, "root-"));
  cpSync(join(REPO_ROOT, "generated/ir"), join(root, "generated/ir"), { recursive: true });
  cpSync(join(REPO_ROOT, "dbt-out"), join(root, "dbt-out"), { recursive: true });
  edit(join(root, "dbt-out"));
  return root;
}

function replaceIn(path: string, from: string, to: string): void {
  const text = readFileSync(path, "utf8");
  expect(text, path).toContain(from);
  writeFileSync(path, text.replace(from, to));
}

async function query(database: string, sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(database, { access_mode: "READ_ONLY" });
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

const realInputs = () => ["--input", `review=${join(SHARED_DATA, DATA_FILES.reviews2018)}`, "--input", `product=${join(SHARED_DATA, DATA_FILES.products2018)}`];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "warehouse-test-"));
  out = join(work, "out");
  const summary = await runPipeline({
    datasets,
    inputs: new Map([
      ["review", [join(SHARED_DATA, DATA_FILES.reviews2018)]],
      ["product", [join(SHARED_DATA, DATA_FILES.products2018)]],
    ]),
    out,
    runId: "warehouse-test",
  });
  expect(summary.reconciled).toBe(true);
  result = await runLocalWarehouse(REPO_ROOT, datasets, out);
}, 180_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("local warehouse on the real 2018 data (real dbt)", () => {
  it("builds every external table and model with the expected row counts, counted in the database dbt built", async () => {
    const want = expected();
    expect(result.sources).toEqual({ product: want.products, product_categories: want.categories, review: want.reviews, review_images: want.images });
    const rows = Object.fromEntries(result.models.map((m) => [`${m.schema}.${m.name}`, [m.materialized, m.status, m.rows]]));
    expect(rows).toEqual({
      "analytics_staging.stg_amazon__reviews": ["view", "success", want.reviews],
      "analytics_staging.stg_amazon__review_images": ["view", "success", want.images],
      "analytics_staging.stg_amazon__products": ["view", "success", want.products],
      "analytics_staging.stg_amazon__product_categories": ["view", "success", want.categories],
      "analytics_marts.fct_reviews": ["table", "success", want.reviews],
      "analytics_marts.dim_products": ["table", "success", want.products],
      "analytics_marts.agg_product_daily_ratings": ["table", "success", want.productDays],
    });
    // Independently of dbt's report: the tables are in the database file, with the marts' contract types.
    const [counts] = await query(
      result.database,
      "SELECT (SELECT count(*) FROM analytics_marts.fct_reviews) AS reviews, (SELECT sum(image_count) FROM analytics_marts.fct_reviews) AS images, (SELECT count(*) FILTER (WHERE rating = 5) FROM analytics_marts.fct_reviews) AS five_star",
    );
    expect(counts).toEqual({ reviews: String(want.reviews), images: String(want.images), five_star: String(want.fiveStar) });
    const types = await query(result.database, "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'analytics_marts' AND table_name = 'agg_product_daily_ratings' ORDER BY ordinal_position");
    expect(types.map((t) => `${t.column_name} ${t.data_type}`)).toEqual([
      "asin VARCHAR", "review_date DATE", "review_count BIGINT", "verified_review_count BIGINT", "average_rating DECIMAL(4,2)", "lowest_rating DECIMAL(2,1)", "highest_rating DECIMAL(2,1)",
    ]);
  });

  it("passes every dbt test (staging and marts), every enforced contract and source freshness, and keeps dbt's artifacts", () => {
    expect(result.tests.filter((t) => t.status !== "pass")).toEqual([]);
    // Every test declared in the YAML (generated staging and hand-written marts) ran.
    const declared = ["models/staging/amazon/_amazon__models.yml", "models/marts/_marts__models.yml"]
      .map((f) => parse(readFileSync(join(REPO_ROOT, "dbt-out", f), "utf8")) as { models: { data_tests?: unknown[]; columns?: { data_tests?: unknown[] }[] }[] })
      .flatMap((y) => y.models.flatMap((m) => [...(m.data_tests ?? []), ...(m.columns ?? []).flatMap((c) => c.data_tests ?? [])]));
    expect(result.tests.length).toBe(declared.length);
    expect(result.tests.map((t) => t.on)).toContain("stg_amazon__reviews.asin");
    expect(result.tests.map((t) => t.name)).toContain("unique_combination_of_columns_agg_product_daily_ratings_asin__review_date");
    expect(result.freshness.map((f) => [f.source, f.status])).toEqual(
      datasets.flatMap((d) => [d.table, ...d.children]).map((t) => [`amazon.${t.name}`, "pass"]).sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
    );
    const runResults = JSON.parse(readFileSync(join(out, "warehouse/dbt/target/run_results.json"), "utf8"));
    // Every model and test, plus the project's on-run-end hook (the reporter's schema grant, a no-op locally).
    const nodes = (runResults.results as { unique_id: string }[]).map((r) => r.unique_id.split(".")[0]);
    expect(nodes.filter((k) => k === "model").length).toBe(7);
    expect(nodes.filter((k) => k === "test").length).toBe(result.tests.length);
    expect(nodes.filter((k) => k === "operation").length).toBe(1);
    const manifest = JSON.parse(readFileSync(join(out, "warehouse/dbt/target/manifest.json"), "utf8"));
    expect(Object.values(manifest.nodes as Record<string, { resource_type: string; config: { contract?: { enforced: boolean } } }>).filter((n) => n.resource_type === "model").every((n) => n.config.contract?.enforced)).toBe(true);
    expect(result.ok).toBe(true);
  });
});

describe("pipeline:local failures come from dbt (exit 3)", () => {
  it("names a failing test with its failing-row count and a sample, and a model that breaks its enforced contract", async () => {
    const root = rootWith((dbt) => {
      // A tightened range on the mart: exactly the five-star reviews fail.
      replaceIn(join(dbt, "models/marts/_marts__models.yml"), "                min_value: 1\n                max_value: 5\n      - name: helpful_votes", "                min_value: 1\n                max_value: 4\n      - name: helpful_votes");
      // A retyped staging column: dbt refuses to build the model.
      replaceIn(join(dbt, "models/staging/amazon/stg_amazon__products.sql"), "cast(price_usd as decimal(12, 2))", "cast(price_usd as double)         ");
    });
    const target = join(work, "broken-run");
    let text = "";
    const sink = { write: (t: string) => (text += t) };
    const code = await pipelineMain(["--root", root, "--out", target, "--quiet", ...realInputs()], sink, sink);
    expect(code, text).toBe(3);
    const fiveStar = expected().fiveStar;
    expect(text).toContain(`FAIL accepted_range_fct_reviews_rating__4__1 on fct_reviews.rating: ${fiveStar} failing row(s); sample: [{"rating":"5.0"}`);
    expect(text).toMatch(/analytics_staging\.stg_amazon__products \(view\): ERROR\n[\s\S]*?This model has an enforced contract that failed/);
    expect(text).not.toContain("called by macro");
    expect(text).toMatch(/7 models, 54 tests, 1 failed, 19 skipped/);
    expect(text).toMatch(/price_usd\s*\|\s*DOUBLE\s*\|\s*DECIMAL/);
    const summary = JSON.parse(readFileSync(join(target, "run-summary.json"), "utf8"));
    expect(summary.warehouse.ok).toBe(false);
    const failed = summary.warehouse.tests.failed.find((t: { name: string }) => t.name === "accepted_range_fct_reviews_rating__4__1");
    expect(failed).toMatchObject({ status: "fail", failures: fiveStar, on: "fct_reviews.rating" });
    expect(failed.sample).toHaveLength(5);
    // Downstream of the broken model: skipped, not reported as passing.
    expect(summary.warehouse.models.find((m: { name: string }) => m.name === "dim_products").status).toBe("skipped");
  }, 120_000);

  it("exits 2 with dbt's own message when the project does not compile", async () => {
    const root = rootWith((dbt) => writeFileSync(join(dbt, "models/marts/broken.sql"), "select * from {{ ref('no_such_model') }}\n"));
    mkdirSync(join(work, "parse-error"), { recursive: true });
    let text = "";
    const sink = { write: (t: string) => (text += t) };
    const code = await pipelineMain(["--root", root, "--out", join(work, "parse-error"), "--quiet"], sink, sink);
    expect(code, text).toBe(2);
    expect(text).toMatch(/error PIPELINE\.WAREHOUSE: dbt source freshness did not run[\s\S]*no_such_model/);
  }, 120_000);
});

describe("pipeline:local end to end on the shipped samples", () => {
  it("runs both halves and exits 0, with the warehouse in the run summary", async () => {
    const target = join(work, "samples-run");
    let text = "";
    const sink = { write: (t: string) => (text += t) };
    const code = await pipelineMain(["--root", REPO_ROOT, "--out", target, "--quiet"], sink, sink);
    expect(code, text).toBe(0);
    expect(text).toMatch(/Warehouse \(dbt 1\.11\.\d+, DuckDB\): 7 models, \d+ tests, 0 failed/);
    const summary = JSON.parse(readFileSync(join(target, "run-summary.json"), "utf8"));
    expect(summary.warehouse).toMatchObject({ ok: true, database: "warehouse/amazon_reviews.duckdb", artifacts: ["warehouse/dbt/target/run_results.json", "warehouse/dbt/target/manifest.json", "warehouse/dbt/target/sources.json"] });
    expect(summary.datasets.review.input).toBe(summary.datasets.review.valid + summary.datasets.review.duplicates + summary.datasets.review.quarantined.total);
  }, 120_000);
});
