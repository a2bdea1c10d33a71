/**
 * The warehouse half of `pipeline:local` on the real 2018 data: external tables, every dbt model (generated staging,
 * hand-written marts), enforced contracts and every dbt test, with exact results. Expected numbers are computed
 * here from the raw lines with plain JavaScript (not read back from the pipeline), following the contracts' rules:
 * the key is (reviewerID, asin, unixReviewTime), the first line of a repeated key is kept.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DATA_FILES, dataRecords, REPO_ROOT } from "../../tests/helpers/data.js";
import { loadGeneratedIR, main as pipelineMain, runLocalWarehouse } from "../local-pipeline/cli.js";
import { runPipeline } from "../local-pipeline/pipeline.js";
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

async function warehouseWith(dbtDir: string): Promise<WarehouseResult> {
  const root = mkdtempSync(join(work, "root-"));
  cpSync(dbtDir, join(root, "dbt-out"), { recursive: true });
  return runLocalWarehouse(root, datasets, out);
}

/** A copy of dbt-out/ with one file replaced, for the failure cases. */
function dbtCopy(edit: (dir: string) => void): string {
  const dir = mkdtempSync(join(work, "dbt-"));
  cpSync(join(REPO_ROOT, "dbt-out"), dir, { recursive: true });
  edit(dir);
  return dir;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "warehouse-test-"));
  out = join(work, "out");
  const summary = await runPipeline({
    datasets,
    inputs: new Map([
      ["review", [join(REPO_ROOT, "../shared/data/amazon-reviews", DATA_FILES.reviews2018)]],
      ["product", [join(REPO_ROOT, "../shared/data/amazon-reviews", DATA_FILES.products2018)]],
    ]),
    out,
    runId: "warehouse-test",
  });
  expect(summary.reconciled).toBe(true);
  result = await runLocalWarehouse(REPO_ROOT, datasets, out);
}, 180_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("local warehouse on the real 2018 data", () => {
  it("builds every external table and model with the expected row counts", () => {
    const want = expected();
    expect(result.sources).toEqual({ product: want.products, product_categories: want.categories, review: want.reviews, review_images: want.images });
    const rows = Object.fromEntries(result.models.map((m) => [`${m.schema}.${m.name}`, [m.materialized, m.rows]]));
    expect(rows).toEqual({
      "staging.stg_amazon__reviews": ["view", want.reviews],
      "staging.stg_amazon__review_images": ["view", want.images],
      "staging.stg_amazon__products": ["view", want.products],
      "staging.stg_amazon__product_categories": ["view", want.categories],
      "marts.fct_reviews": ["table", want.reviews],
      "marts.dim_products": ["table", want.products],
      "marts.agg_product_daily_ratings": ["table", want.productDays],
    });
    // Dependency order: every model after the models it refs.
    const order = result.models.map((m) => m.name);
    expect(order.indexOf("fct_reviews")).toBeGreaterThan(order.indexOf("stg_amazon__review_images"));
    expect(order.indexOf("agg_product_daily_ratings")).toBeGreaterThan(order.indexOf("fct_reviews"));
  });

  it("passes every dbt test (staging and marts) and every enforced contract", () => {
    expect(result.contractProblems).toEqual([]);
    expect(result.tests.filter((t) => t.failures > 0)).toEqual([]);
    // Every test declared in the YAML (generated staging and hand-written marts) ran.
    const declared = ["models/staging/amazon/_amazon__models.yml", "models/marts/_marts__models.yml"]
      .map((f) => parse(readFileSync(join(REPO_ROOT, "dbt-out", f), "utf8")) as { models: { data_tests?: unknown[]; columns?: { data_tests?: unknown[] }[] }[] })
      .flatMap((y) => y.models.flatMap((m) => [...(m.data_tests ?? []), ...(m.columns ?? []).flatMap((c) => c.data_tests ?? [])]));
    expect(result.tests.length).toBe(declared.length);
    expect(result.tests.map((t) => t.name)).toContain("relationships(stg_amazon__reviews.asin)");
    expect(result.ok).toBe(true);
  });

  it("fails a test with the failing rows' count and a sample", async () => {
    const dir = dbtCopy((d) => {
      const path = join(d, "models/marts/_marts__models.yml");
      writeFileSync(path, readFileSync(path, "utf8").replace("                min_value: 1\n                max_value: 5\n      - name: image_count", "                min_value: 1\n                max_value: 4\n      - name: image_count"));
    });
    const broken = await warehouseWith(dir);
    const failed = broken.tests.filter((t) => t.failures > 0);
    expect(failed.map((t) => [t.name, t.failures])).toEqual([["dbt_utils.accepted_range(fct_reviews.rating)", expected().fiveStar]]);
    expect(failed[0]!.sample).toHaveLength(5);
    expect(failed[0]!.sample[0]).toMatchObject({ rating: "5.0" });
    expect(broken.ok).toBe(false);
  });

  it("reports a staging model that breaks its enforced contract", async () => {
    const dir = dbtCopy((d) => {
      const path = join(d, "models/staging/amazon/stg_amazon__products.sql");
      writeFileSync(path, readFileSync(path, "utf8").replace("cast(price_usd as decimal(12,2))", "cast(price_usd as double)        "));
    });
    const broken = await warehouseWith(dir);
    expect(broken.contractProblems).toEqual(["stg_amazon__products.price_usd: built as DOUBLE, contract says DECIMAL(12,2)."]);
  });

  it("refuses Jinja it does not render, naming the file and line", async () => {
    const dir = dbtCopy((d) => writeFileSync(join(d, "models/marts/uses_var.sql"), "select 1 as x\nwhere {{ var('cutoff') }} > 0\n"));
    await expect(warehouseWith(dir)).rejects.toThrow(/^models\/marts\/uses_var\.sql:2: unsupported Jinja "\{\{ var\('cutoff'\) \}\}"/);
  });
});

describe("pipeline:local end to end on the shipped samples", () => {
  it("runs both halves and exits 0, with the warehouse in the run summary", async () => {
    const target = join(work, "samples-run");
    let text = "";
    const sink = { write: (t: string) => (text += t) };
    const code = await pipelineMain(["--root", REPO_ROOT, "--out", target, "--quiet"], sink, sink);
    expect(code).toBe(0);
    expect(text).toMatch(/Warehouse \(DuckDB\): 7 models, \d+ tests, 0 failed/);
    const summary = JSON.parse(readFileSync(join(target, "run-summary.json"), "utf8"));
    expect(summary.warehouse.ok).toBe(true);
    expect(summary.datasets.review.input).toBe(summary.datasets.review.valid + summary.datasets.review.duplicates + summary.datasets.review.quarantined.total);
  });
});
