/**
 * The warehouse half of `pipeline:local` on the real 2018 data: the real dbt (dbt-core + dbt-duckdb) builds every
 * model of dbt-out/ (generated staging, hand-written marts) over the local external tables, with enforced contracts,
 * every test and source freshness. Expected numbers are computed here from the raw lines with plain JavaScript (not
 * read back from the pipeline), following the contracts' rules: the key is (reviewerID, asin, unixReviewTime), the
 * first line of a repeated key is kept. Row counts are read from the database dbt built.
 *
 * Keyed pseudonyms: the main run has a known key from the environment; the pseudonyms dbt computed are compared with
 * `pseudonym()` computed here, a second key is run on the same Parquet (`dbt run` of the reviews' staging view only),
 * and a missing, empty or short key is run to see dbt refuse it.
 */
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IR_VERSION } from "../../generators/ir/types.js";
import { PLATFORM } from "../../generators/platform.js";
import { LOCAL_TARGET, stagingModelName } from "../../generators/targets/dbt/emit.js";
import { personalColumns, pseudonym, pseudonymColumnName } from "../../generators/targets/protection.js";
import { DATA_FILES, dataRecords, REPO_ROOT, SHARED_DATA, SHIPPED_DATASETS } from "../../tests/helpers/data.js";
import { run } from "../../tests/helpers/run.js";
import { ensurePythonEnv } from "../../toolchain/python-env.js";
import { main as pipelineMain, runLocalWarehouse } from "../local-pipeline/cli.js";
import { loadGeneratedIR } from "../local-pipeline/generated-ir.js";
import { localPath, runPipeline } from "../local-pipeline/pipeline.js";
import { parse } from "yaml";
import { dbtEnvironment, prepareLocalDatabase, PseudonymKeyError, pseudonymKeyFrom, withoutPseudonymKey, type WarehouseResult } from "./warehouse.js";
import { queryDuckDB } from "../../tests/helpers/duckdb.js";

const datasets = loadGeneratedIR(REPO_ROOT);
/**
 * The shipped datasets' tables, whose row counts are computed below from the real 2018 files; a dataset added beside
 * them (README "Adding a dataset") is given no input here: its tables are empty, its models built with no row.
 */
const shippedTables = datasets.filter((d) => SHIPPED_DATASETS.includes(d.name)).flatMap((d) => [d.table, ...d.children]);
const addedTables = datasets.filter((d) => !SHIPPED_DATASETS.includes(d.name)).flatMap((d) => [d.table, ...d.children]);
const addedModels = new Set(addedTables.map((t) => stagingModelName(t)));
/** The hand-written marts, and every model of the project: one staging view per table of every dataset, and the marts. */
const MARTS = readdirSync(join(REPO_ROOT, "dbt-out/models/marts")).filter((f) => f.endsWith(".sql")).map((f) => f.slice(0, -4));
const MODEL_COUNT = shippedTables.length + addedTables.length + MARTS.length;
let work: string;
let out: string;
let result: WarehouseResult;
const KEY_ENV = PLATFORM.pseudonym.keyEnv;
/** The main run's key, from the environment (as a user sets it). */
const KEY = `test-key-${randomBytes(24).toString("hex")}`;
const keyBefore = process.env[KEY_ENV];

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

/** What these tests read of dbt's manifest.json. */
interface DbtManifest {
  nodes: Record<string, { name: string; resource_type: string; depends_on: { nodes: string[] } }>;
  sources: Record<string, { name: string }>;
}

/** Whether a model or source node of dbt's manifest is a table of a dataset added beside the shipped ones. */
function isAddedNode(manifest: DbtManifest, id: string): boolean {
  if (id.startsWith("source.")) return addedTables.some((t) => t.name === manifest.sources[id]?.name);
  return addedModels.has(manifest.nodes[id]?.name ?? "");
}

/** The tests declared in dbt-out's YAML (generated sources and staging, hand-written marts): on sources, and all. */
function declaredTests(): { sources: number; all: number } {
  type Tested = { data_tests?: unknown[]; columns?: { data_tests?: unknown[] }[] };
  const testsOf = (m: Tested) => [...(m.data_tests ?? []), ...(m.columns ?? []).flatMap((c) => c.data_tests ?? [])];
  const yamlOf = (f: string) => parse(readFileSync(join(REPO_ROOT, "dbt-out", f), "utf8")) as { models?: Tested[]; sources?: { tables: Tested[] }[] };
  const files = ["models/staging/amazon/_amazon__sources.yml", "models/staging/amazon/_amazon__models.yml", "models/marts/_marts__models.yml"].map(yamlOf);
  const sources = files.flatMap((y) => (y.sources ?? []).flatMap((source) => source.tables.flatMap(testsOf))).length;
  return { sources, all: sources + files.flatMap((y) => (y.models ?? []).flatMap(testsOf)).length };
}

/** A repository root for the CLI: the generated IR (with the manifest listing it) and a copy of dbt-out/ with `edit` applied. */
function rootWith(edit: (dbtDir: string) => void): string {
  const root = mkdtempSync(join(work, "root-"));
  cpSync(join(REPO_ROOT, "generated/ir"), join(root, "generated/ir"), { recursive: true });
  cpSync(join(REPO_ROOT, "generated/manifest.json"), join(root, "generated/manifest.json"));
  cpSync(join(REPO_ROOT, "dbt-out"), join(root, "dbt-out"), { recursive: true });
  edit(join(root, "dbt-out"));
  return root;
}

function replaceIn(path: string, from: string, to: string): void {
  const text = readFileSync(path, "utf8");
  expect(text, path).toContain(from);
  writeFileSync(path, text.replace(from, to));
}

const query = (database: string, sql: string) => queryDuckDB(sql, { database });

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
  process.env[KEY_ENV] = KEY;
  result = await runLocalWarehouse(REPO_ROOT, datasets, out);
}, 180_000);
afterAll(() => {
  if (keyBefore === undefined) delete process.env[KEY_ENV];
  else process.env[KEY_ENV] = keyBefore;
  rmSync(work, { recursive: true, force: true });
});

describe("local warehouse on the real 2018 data (real dbt)", () => {
  it("builds every external table and model with the expected row counts, counted in the database dbt built", async () => {
    const want = expected();
    expect(Object.keys(result.sources).sort()).toEqual([...shippedTables, ...addedTables].map((t) => t.name).sort());
    const shippedSources = Object.fromEntries(Object.entries(result.sources).filter(([table]) => shippedTables.some((t) => t.name === table)));
    expect(shippedSources).toEqual({ product: want.products, product_categories: want.categories, review: want.reviews, review_images: want.images });
    expect(addedTables.map((t) => [t.name, result.sources[t.name]])).toEqual(addedTables.map((t) => [t.name, 0]));
    const rows = Object.fromEntries(result.models.filter((m) => !addedModels.has(m.name)).map((m) => [`${m.schema}.${m.name}`, [m.materialized, m.status, m.rows]]));
    expect(result.models.filter((m) => addedModels.has(m.name)).map((m) => [m.name, m.status, m.rows]).sort()).toEqual([...addedModels].sort().map((name) => [name, "success", 0]));
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

  it("passes every dbt test (sources, staging and marts), every enforced contract and source freshness, and keeps dbt's artifacts", () => {
    expect(result.tests.filter((t) => t.status !== "pass")).toEqual([]);
    // Every test declared in the YAML (generated sources and staging, hand-written marts) ran.
    const declared = declaredTests();
    // The source tests: 4 on the shipped datasets' tables (by dbt's manifest), and those of any dataset added.
    const sourceTests = result.tests.filter((t) => t.name.startsWith("source_"));
    const dbtManifest = JSON.parse(readFileSync(join(out, "warehouse/dbt/target/manifest.json"), "utf8")) as DbtManifest;
    const tested = (name: string) => Object.values(dbtManifest.nodes).find((n) => n.resource_type === "test" && n.name === name)!;
    expect(sourceTests.filter((t) => !tested(t.name).depends_on.nodes.some((id) => isAddedNode(dbtManifest, id))).length).toBe(4);
    expect(sourceTests.length).toBe(declared.sources);
    expect(result.tests.length).toBe(declared.all);
    expect(result.tests.map((t) => t.on)).toContain("stg_amazon__reviews.asin");
    expect(result.tests.map((t) => t.name)).toContain("unique_combination_of_columns_agg_product_daily_ratings_asin__review_date");
    // Each dataset's main table: a child table (a review's images) may stay quiet while its parent is fresh. A dataset
    // this run gave no input has no freshness to measure: dbt's error on its empty table does not fail the run.
    const shippedMain = datasets.filter((d) => SHIPPED_DATASETS.includes(d.name)).map((d) => `amazon.${d.table.name}`);
    expect(result.freshness.map((f) => f.source)).toEqual(datasets.map((d) => `amazon.${d.table.name}`).sort((a, b) => (a < b ? -1 : 1)));
    expect(result.freshness.filter((f) => shippedMain.includes(f.source)).map((f) => [f.source, f.status])).toEqual(shippedMain.sort().map((s) => [s, "pass"]));
    expect(result.freshness.filter((f) => !shippedMain.includes(f.source) && f.status === "pass")).toEqual([]);
    const runResults = JSON.parse(readFileSync(join(out, "warehouse/dbt/target/run_results.json"), "utf8"));
    // Every model and test, plus the project's on-run-end hook (the reporter's schema grant, a no-op locally).
    const nodes = (runResults.results as { unique_id: string }[]).map((r) => r.unique_id.split(".")[0]);
    expect(shippedTables.length + MARTS.length).toBe(7);
    expect(nodes.filter((k) => k === "model").length).toBe(MODEL_COUNT);
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
    let stdout = "";
    const sink = { write: (t: string) => (text += t) };
    const code = await pipelineMain(["--root", root, "--out", target, "--quiet", "--run-id", "broken-run", ...realInputs()], { write: (t: string) => ((stdout += t), sink.write(t)) }, sink);
    expect(code, text).toBe(3);
    // The last line says the warehouse failed (before, the last headline said only "counts reconcile").
    expect(stdout.trimEnd().split("\n").at(-1)).toBe("Run broken-run (duckdb): counts reconcile, but the WAREHOUSE FAILED: 1 dbt test failed, 4 models not built (above).");
    const fiveStar = expected().fiveStar;
    expect(text).toContain(`FAIL accepted_range_fct_reviews_rating__4__1 on fct_reviews.rating: ${fiveStar} failing row(s); sample: [{"rating":"5.0"}`);
    expect(text).toMatch(/analytics_staging\.stg_amazon__products \(view\): ERROR\n[\s\S]*?This model has an enforced contract that failed/);
    expect(text).not.toContain("called by macro");
    // Skipped: what depends on the broken staging view, the product categories' view among them (it keeps the rows
    // of the run of each product the products' view keeps), and their tests.
    // The shipped datasets' part, by dbt's own run_results.json: 58 tests, 25 of them skipped; the whole in the line.
    const runResults = JSON.parse(readFileSync(join(target, "warehouse/dbt/target/run_results.json"), "utf8")) as { results: { unique_id: string; status: string }[] };
    const manifest = JSON.parse(readFileSync(join(target, "warehouse/dbt/target/manifest.json"), "utf8")) as DbtManifest;
    const tests = runResults.results.filter((r) => r.unique_id.startsWith("test."));
    const onAdded = (id: string) => manifest.nodes[id]!.depends_on.nodes.some((node) => isAddedNode(manifest, node));
    const skipped = tests.filter((r) => r.status === "skipped");
    expect([tests.filter((r) => !onAdded(r.unique_id)).length, skipped.filter((r) => !onAdded(r.unique_id)).length]).toEqual([58, 25]);
    expect(text).toContain(`${MODEL_COUNT} models, ${tests.length} tests, 1 failed, ${skipped.length} skipped`);
    expect(text).toMatch(/price_usd\s*\|\s*DOUBLE\s*\|\s*DECIMAL/);
    const summary = JSON.parse(readFileSync(join(target, "run-summary.json"), "utf8"));
    expect(summary.warehouse.ok).toBe(false);
    const failed = summary.warehouse.tests.failed.find((t: { name: string }) => t.name === "accepted_range_fct_reviews_rating__4__1");
    expect(failed).toMatchObject({ status: "fail", failures: fiveStar, on: "fct_reviews.rating" });
    expect(failed.sample).toHaveLength(5);
    // Downstream of the broken model: skipped, not reported as passing.
    expect(summary.warehouse.models.find((m: { name: string }) => m.name === "dim_products").status).toBe("skipped");
    expect(summary.warehouse.models.find((m: { name: string }) => m.name === "stg_amazon__product_categories").status).toBe("skipped");
  }, 120_000);

  it("exits 2 with dbt's own message when the project does not compile", async () => {
    const root = rootWith((dbt) => writeFileSync(join(dbt, "models/marts/broken.sql"), "select * from {{ ref('no_such_model') }}\n"));
    mkdirSync(join(work, "parse-error"), { recursive: true });
    let text = "";
    let stdout = "";
    const sink = { write: (t: string) => (text += t) };
    const code = await pipelineMain(["--root", root, "--out", join(work, "parse-error"), "--quiet", "--run-id", "parse-error"], { write: (t: string) => ((stdout += t), sink.write(t)) }, sink);
    expect(code, text).toBe(2);
    expect(stdout.trimEnd().split("\n").at(-1)).toBe(
      "Run parse-error (duckdb): counts reconcile, but the WAREHOUSE FAILED: dbt could not run (error PIPELINE.WAREHOUSE); run-summary.json has no warehouse section.",
    );
    expect(text).toMatch(/error PIPELINE\.WAREHOUSE: dbt source freshness did not run[\s\S]*no_such_model/);
  }, 120_000);
});

describe("pipeline:local with a review whose product has not arrived, and no review image", () => {
  it("warns on the review's product reference, builds every mart and exits 0 (the missing product held back dim_products)", async () => {
    const input = join(work, "orphan-input");
    mkdirSync(input, { recursive: true });
    const lines = readFileSync(join(REPO_ROOT, "samples", "review", "reviews-2018-a.jsonl"), "utf8").split("\n").filter(Boolean);
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((r) => typeof r.overall === "number" && r.overall <= 5);
    const reviews = records.map((r) => {
      const { image: _image, ...rest } = r;
      return JSON.stringify(rest);
    });
    reviews.push(JSON.stringify({ ...records[0], reviewerID: "AXORPHAN0001", asin: "B0MISSING1", image: undefined }));
    writeFileSync(join(input, "reviews.jsonl"), `${reviews.join("\n")}\n`);
    const target = join(work, "orphan-run");
    let text = "";
    const sink = { write: (t: string) => (text += t) };
    const code = await pipelineMain(["--root", REPO_ROOT, "--input", `review=${input}`, "--input", `product=${join(REPO_ROOT, "samples", "product")}`, "--out", target, "--quiet"], sink, sink);
    expect(code, text).toBe(0);
    const summary = JSON.parse(readFileSync(join(target, "run-summary.json"), "utf8"));
    expect(summary.datasets.review.tables.review_images).toBe(0);
    expect(summary.warehouse.ok).toBe(true);
    expect(summary.warehouse.models.map((m: { name: string; status: string }) => [m.name, m.status]).filter(([, status]: string[]) => status !== "success")).toEqual([]);
    const warned = summary.warehouse.tests.failed.filter((t: { status: string }) => t.status === "warn").map((t: { on: string; failures: number }) => [t.on, t.failures]);
    expect(warned.sort()).toEqual([
      ["fct_reviews.asin", 1],
      ["stg_amazon__reviews.asin", 1],
    ]);
    expect(text).toMatch(/WARN relationships_stg_amazon__reviews_asin\S* on stg_amazon__reviews\.asin: 1 failing row\(s\); sample: \[\{"from_field":"B0MISSING1"/);
    // No freshness error for the empty images table: it has no freshness of its own.
    expect(summary.warehouse.freshness.map((f: { source: string }) => f.source)).not.toContain("amazon.review_images");
  }, 180_000);
});

describe("pipeline:local end to end on the shipped samples", () => {
  it("runs both halves and exits 0, with the warehouse in the run summary", async () => {
    const target = join(work, "samples-run");
    let text = "";
    const sink = { write: (t: string) => (text += t) };
    const code = await pipelineMain(["--root", REPO_ROOT, "--out", target, "--quiet"], sink, sink);
    expect(code, text).toBe(0);
    expect(text).toMatch(new RegExp(`Warehouse \\(dbt 1\\.11\\.\\d+, DuckDB\\): ${MODEL_COUNT} models, \\d+ tests, 0 failed`));
    expect(text).toContain(`pseudonym key: from ${KEY_ENV}\n`);
    expect(text).not.toContain(KEY);
    const summary = JSON.parse(readFileSync(join(target, "run-summary.json"), "utf8"));
    expect(summary.warehouse).toMatchObject({ ok: true, database: "warehouse/amazon_reviews.duckdb", artifacts: ["warehouse/dbt/target/run_results.json", "warehouse/dbt/target/manifest.json", "warehouse/dbt/target/sources.json"], pseudonymKey: "environment" });
    expect(summary.datasets.review.input).toBe(summary.datasets.review.valid + summary.datasets.review.duplicates + summary.datasets.review.quarantined.total);
  }, 120_000);
});

/** Personal columns of every processed table, with the staging model and pseudonym column they become. */
const personal = datasets.flatMap((d) => [d.table, ...d.children]).flatMap((table) => personalColumns(table).map((column) => ({ table, column })));
const KEY_TABLE = '"AMAZON_REVIEWS"."GOVERNANCE"."PSEUDONYM_KEY"';
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A fresh database over the main run's Parquet, with `key` from the environment, for dbt runs of one model. */
async function databaseWithKey(name: string, key: string) {
  const warehouseDir = join(work, name);
  const lines: string[] = [];
  const prepared = await prepareLocalDatabase({
    ir: { irVersion: IR_VERSION, datasets },
    warehouseDir,
    tableDirectory: (table) => localPath(out, table.location),
    env: { [KEY_ENV]: key },
    log: (line) => lines.push(line),
  });
  return { warehouseDir, ...prepared, lines };
}

/** `dbt run --select <select>` with the local target on a prepared database (the key is not in dbt's environment). */
async function dbtRun(db: { warehouseDir: string; database: string }, select: string) {
  const { bin } = await ensurePythonEnv("dbt", { root: REPO_ROOT });
  const dbtDir = join(REPO_ROOT, "dbt-out");
  const args = ["run", "--select", select, "--project-dir", dbtDir, "--profiles-dir", join(dbtDir, "profiles"), "--target", LOCAL_TARGET];
  const r = run(join(bin, "dbt"), args, { env: { ...withoutPseudonymKey(process.env), ...dbtEnvironment(db.warehouseDir, db.database) } });
  return { status: r.status, output: r.stdout + r.stderr };
}

async function write(database: string, sql: string): Promise<void> {
  const instance = await DuckDBInstance.create(database);
  const connection = await instance.connect();
  try {
    await connection.run(sql);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Staging pseudonyms joined with the clear value of the external table (the row the staging view kept). */
async function pseudonymsOf(database: string): Promise<{ id: string; value: string | null; hash: string | null }[]> {
  const shipped = personal.filter((p) => shippedTables.includes(p.table));
  expect(shipped.map((p) => `${p.table.name}.${p.column.name}`)).toEqual(["review.reviewer_name"]);
  const { column } = shipped[0]!;
  const rows = await query(
    database,
    `SELECT s.review_id AS id, r.${column.name} AS value, s.${pseudonymColumnName(column)} AS hash FROM analytics_staging.stg_amazon__reviews s JOIN raw.review r USING (review_id, source_file) ORDER BY s.review_id`,
  );
  return rows as { id: string; value: string | null; hash: string | null }[];
}

/** Files under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/**
 * Where a personal column appears in SQL other than inside the keyed pseudonym, and every hash call not keyed by the
 * key table: `allowed` is the pseudonym expression of a column as this SQL spells it, `keyed` how a keyed hash's
 * argument starts.
 */
function unkeyedUses(sql: string, allowed: (column: string) => string | RegExp, keyed: string): string[] {
  const code = sql.replace(/--[^\n]*/g, "");
  const problems: string[] = [];
  for (const { column } of personal) {
    const rest = code.split(allowed(column.name)).join(" ");
    const left = rest.match(new RegExp(`\\b${column.name}\\b`, "g"));
    if (left) problems.push(`${column.name} outside the pseudonym (${left.length}x)`);
  }
  for (const call of code.matchAll(/\b(md5\w*|sha\w*|hash\w*)\s*\(/gi)) {
    if (!code.slice(call.index + call[0].length).startsWith(keyed)) problems.push(`unkeyed ${call[0]}${code.slice(call.index + call[0].length, call.index + call[0].length + 40)}`);
  }
  return problems;
}

describe("keyed pseudonyms of personal columns (real dbt)", () => {
  it("computes every staging pseudonym as pseudonym(key, value) with the key from the environment, and NULL for a NULL value", async () => {
    const rows = await pseudonymsOf(result.database);
    expect(rows.length).toBe(expected().reviews);
    const named = rows.filter((r) => r.value !== null);
    expect(named.length).toBeGreaterThan(rows.length * 0.9);
    expect(rows.filter((r) => r.hash !== (r.value === null ? null : pseudonym(KEY, r.value)))).toEqual([]);
    expect(result.pseudonymKey).toBe("environment");
    // dbt read the key table as a source of the staging view, and the Snowflake tag hook rendered empty on DuckDB.
    const manifest = JSON.parse(readFileSync(join(out, "warehouse/dbt/target/manifest.json"), "utf8"));
    const node = manifest.nodes["model.amazon_reviews.stg_amazon__reviews"];
    expect(node.sources).toContainEqual(["governance", "pseudonym_key"]);
    expect(node.config["post-hook"].map((h: { sql: string }) => h.sql)).toEqual([
      "{% if target.type == 'snowflake' %}alter view {{ this }} modify column reviewer_name_hash set tag AMAZON_REVIEWS.GOVERNANCE.PII = 'personal'{% endif %}",
    ]);
    // The model's Snowflake session hook (the time zone) is there, and rendered empty on DuckDB too.
    expect(node.config["pre-hook"].map((h: { sql: string }) => h.sql)).toEqual(["{% if target.type == 'snowflake' %}alter session set timezone = 'UTC'{% endif %}"]);
    const log = readFileSync(join(out, "warehouse/dbt/logs/dbt.log"), "utf8");
    expect(log).not.toMatch(/set tag/i);
    expect(log).not.toMatch(/alter session/i);
  });

  it("gives a different pseudonym for every value under another key (a second dbt run on the same Parquet); the built view refuses an emptied or weakened key table when queried", async () => {
    const other = `other-key-${randomBytes(24).toString("hex")}`;
    const db = await databaseWithKey("other-key", other);
    expect(db.lines).toContain(`pseudonym key: from ${KEY_ENV}`);
    const r = await dbtRun(db, "stg_amazon__reviews");
    expect(r.status, r.output).toBe(0);
    const first = new Map((await pseudonymsOf(result.database)).map((row) => [row.id, row.hash]));
    const all = await pseudonymsOf(db.database);
    const second = all.filter((row) => row.value !== null);
    expect(second.length).toBeGreaterThan(0);
    expect(second.filter((row) => row.hash !== pseudonym(other, row.value!))).toEqual([]);
    expect(second.filter((row) => row.hash === first.get(row.id))).toEqual([]);
    // The view reads the key when queried, after dbt's build-time check: an emptied table, a 1-character key or two
    // keys make every query of the pseudonym fail with PII.NO_KEY (not NULL pseudonyms, not sha256('x:' || value)).
    const cases: [string, string, RegExp][] = [
      ["empty", "DELETE FROM governance.pseudonym_key", /holds 0 row\(s\), the shortest key 0 character\(s\)/],
      ["1 character", "INSERT INTO governance.pseudonym_key VALUES ('x')", /holds 1 row\(s\), the shortest key 1 character\(s\)/],
      ["two keys", `INSERT INTO governance.pseudonym_key VALUES ('${other}')`, /holds 2 row\(s\), the shortest key 1 character\(s\)/],
    ];
    for (const [name, change, message] of cases) {
      await write(db.database, change);
      const attempt = pseudonymsOf(db.database);
      await expect(attempt, name).rejects.toThrow(/PII\.NO_KEY: the pseudonym key table "AMAZON_REVIEWS"\."GOVERNANCE"\."PSEUDONYM_KEY" holds/);
      await expect(attempt, name).rejects.toThrow(message);
      await expect(attempt, name).rejects.toThrow(`exactly one key of at least 32 characters is needed`);
      await expect(attempt, name).rejects.toThrow(`Fix: set ${KEY_ENV} to a secret of at least 32 characters`);
    }
    // The key restored: the same view gives the same pseudonyms again (rotation keeps working without a rebuild).
    await write(db.database, `DELETE FROM governance.pseudonym_key; INSERT INTO governance.pseudonym_key VALUES ('${other}')`);
    expect(await pseudonymsOf(db.database)).toEqual(all);
  }, 120_000);

  it("fails the staging model with PII.NO_KEY naming the fix when the key table is empty, holds a short key or is missing: no staging row", async () => {
    const db = await databaseWithKey("no-key", KEY);
    const staged = async () =>
      (await query(db.database, "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema IN ('analytics_staging', 'analytics_marts') AND table_name IN ('stg_amazon__reviews', 'fct_reviews')"))[0]!.n;
    const cases: [string, string, RegExp][] = [
      ["empty", "DELETE FROM governance.pseudonym_key", /holds 0 row\(s\), the shortest key 0 character\(s\); exactly one key of at least 32 characters is needed/],
      ["short", "INSERT INTO governance.pseudonym_key VALUES ('0123456789')", /holds 1 row\(s\), the shortest key 10 character\(s\)/],
      ["missing", "DROP TABLE governance.pseudonym_key", /the pseudonym key table "AMAZON_REVIEWS"\."GOVERNANCE"\."PSEUDONYM_KEY" does not exist/],
    ];
    for (const [name, change, message] of cases) {
      await write(db.database, change);
      const r = await dbtRun(db, "stg_amazon__reviews fct_reviews");
      expect(r.status, `${name}: ${r.output}`).toBe(1);
      expect(r.output, name).toContain("Compilation Error in model stg_amazon__reviews");
      expect(r.output, name).toMatch(/PII\.NO_KEY: the pseudonym key table/);
      expect(r.output, name).toMatch(message);
      expect(r.output, name).toContain(`Fix: set ${KEY_ENV} to a secret of at least 32 characters and load it as the only row of AMAZON_REVIEWS.GOVERNANCE.PSEUDONYM_KEY`);
      expect(r.output, name).toMatch(/1 of 2 SKIP relation analytics_marts\.fct_reviews|SKIP=1/);
      expect(await staged(), name).toBe("0");
    }
  }, 180_000);

  it("refuses a key from the environment shorter than 32 characters before touching the database (PII.NO_KEY)", async () => {
    const dir = join(work, "short-env-key");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "kept"), "");
    const attempt = prepareLocalDatabase({ ir: { irVersion: IR_VERSION, datasets }, warehouseDir: dir, tableDirectory: (table) => localPath(out, table.location), env: { [KEY_ENV]: "too-short" } });
    await expect(attempt).rejects.toThrow(PseudonymKeyError);
    await expect(attempt).rejects.toThrow(`${KEY_ENV} holds a key of 9 character(s); a pseudonym key needs at least 32.`);
    expect(existsSync(join(dir, "kept"))).toBe(true);
    // Unset (or empty): a random key per run, 43 characters, different each time.
    const a = pseudonymKeyFrom({});
    const b = pseudonymKeyFrom({ [KEY_ENV]: "" });
    expect([a.origin, b.origin]).toEqual(["random", "random"]);
    expect(a.key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.key).not.toBe(b.key);
  });

  it("writes the key into no file: dbt's target/ and logs, the run summary, the run's data and the generated folders", () => {
    const outputs = filesUnder(out).filter((f) => f !== result.database);
    const scanned = outputs.map((f) => relative(out, f));
    // The places the key would land if it were in SQL text or dbt's environment are among the files read.
    for (const f of ["run-summary.json", "warehouse/dbt/logs/dbt.log", "warehouse/dbt/target/run_results.json", "warehouse/dbt/target/manifest.json", "warehouse/dbt/target/compiled/amazon_reviews/models/staging/amazon/stg_amazon__reviews.sql", "warehouse/dbt/target/run/amazon_reviews/models/staging/amazon/stg_amazon__reviews.sql"]) {
      expect(scanned).toContain(f);
    }
    const repo = ["generated", "dbt-out", "glue-pyspark-out", "infra"].filter((d) => existsSync(join(REPO_ROOT, d))).flatMap((d) => filesUnder(join(REPO_ROOT, d)));
    const needle = Buffer.from(KEY, "utf8");
    expect([...outputs, ...repo].filter((f) => readFileSync(f).includes(needle))).toEqual([]);
    // The scan can find it: the database file holds it.
    expect(readFileSync(result.database).includes(needle)).toBe(true);
  });

  it("has no unkeyed hash of a personal column in the generated staging SQL or in dbt's compiled SQL", () => {
    const staging = join(REPO_ROOT, "dbt-out/models/staging/amazon");
    const generated = readdirSync(staging).filter((f) => f.endsWith(".sql")).map((f) => join(staging, f));
    for (const file of generated) {
      expect(unkeyedUses(readFileSync(file, "utf8"), (c) => `{{ contract_pseudonym('${c}') }}`, "never"), file).toEqual([]);
    }
    const compiled = filesUnder(join(out, "warehouse/dbt/target")).filter((f) => f.endsWith(".sql") && /\/(compiled|run)\//.test(f));
    expect(compiled.length).toBeGreaterThan(7);
    // Every hash is over the guarded key: the one key when the table holds exactly one of at least 32 characters,
    // otherwise error('PII.NO_KEY: …') (a message without a personal column), then ':' and the value.
    const keyed = "(select case when count(*) = 1 and min(length(key)) >= 32 then min(key) else error('PII.NO_KEY: ";
    const pseudonymOf = (c: string) => new RegExp(`sha256\\(${escapeRegExp(keyed)}[^\\n]*? end from ${escapeRegExp(KEY_TABLE)}\\) \\|\\| ':' \\|\\| cast\\(${c} as varchar\\)\\)`);
    for (const file of compiled) {
      expect(unkeyedUses(readFileSync(file, "utf8"), pseudonymOf, keyed), file).toEqual([]);
    }
    const reviews = readFileSync(join(out, "warehouse/dbt/target/compiled/amazon_reviews/models/staging/amazon/stg_amazon__reviews.sql"), "utf8");
    expect(reviews).toMatch(new RegExp(`^ {8}${pseudonymOf("reviewer_name").source} +as reviewer_name_hash,$`, "m"));
    // The check can fail: the former unkeyed MD5, a hash of the clear value beside the keyed one, the value selected,
    // and the key read without its guard.
    const guarded = `sha256(${keyed}…') end from ${KEY_TABLE}) || ':' || cast(reviewer_name as varchar))`;
    expect(unkeyedUses(guarded, pseudonymOf, keyed)).toEqual([]);
    expect(unkeyedUses("md5(cast(reviewer_name as varchar)) as reviewer_name_hash", () => "\u0000", keyed)).toEqual(["reviewer_name outside the pseudonym (1x)", expect.stringMatching(/^unkeyed md5\(cast\(reviewer_name as varchar\)\)/)]);
    expect(unkeyedUses(`${guarded}, sha256(reviewer_name)`, pseudonymOf, keyed)).toHaveLength(2);
    expect(unkeyedUses("select reviewer_name from x", pseudonymOf, keyed)).toEqual(["reviewer_name outside the pseudonym (1x)"]);
    expect(unkeyedUses(`sha256((select key from ${KEY_TABLE}) || ':' || cast(reviewer_name as varchar))`, pseudonymOf, keyed)).toEqual([
      "reviewer_name outside the pseudonym (1x)",
      expect.stringMatching(/^unkeyed sha256\(\(select key from/),
    ]);
  });
});
