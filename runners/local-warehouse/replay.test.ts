/**
 * Processing an older raw object again (a redrive of a dead-lettered event, a manual re-run) must not make its data
 * current. Three runs of the real local pipeline (DuckDB engine), one raw object each, in this order: a product's
 * object of 2026-12-01, the same product's object of 2026-12-05, then the 2026-12-01 object again. Their processed
 * tables are gathered as the Glue flatten job leaves them on S3 (each run's files added beside the earlier runs'),
 * and the real dbt (dbt-core + dbt-duckdb) builds staging and the marts over them: the newer object's record wins
 * in staging and in dim_products (children follow their parent's choice), though the older one was processed last.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IR_VERSION } from "../../generators/ir/types.js";
import { PLATFORM } from "../../generators/platform.js";
import { REPO_ROOT } from "../../tests/helpers/data.js";
import { queryDuckDB } from "../../tests/helpers/duckdb.js";
import { loadGeneratedIR } from "../local-pipeline/generated-ir.js";
import { localPath, runPipeline } from "../local-pipeline/pipeline.js";
import { runWarehouse, type WarehouseResult } from "./warehouse.js";

const datasets = loadGeneratedIR(REPO_ROOT);
const product = datasets.find((d) => d.name === "product")!;
const ASIN = "B0SAMPLE01";
const OLD = { file: "products-2026-12-01.jsonl", title: "OLD TITLE v1", category: ["Old Category"], modified: new Date("2026-12-01T08:00:00.500Z") };
const NEW = { file: "products-2026-12-05.jsonl", title: "NEW TITLE v2", category: ["New Category", "Second"], modified: new Date("2026-12-05T08:00:00.250Z") };

let work: string;
let result: WarehouseResult;

/** A valid product record of the 2018 format. */
function productLine(title: string, category: string[]): string {
  return JSON.stringify({ asin: ASIN, title, category, main_cat: "Gift Cards", brand: "Sample Co", price: "$25.00", date: "May 15, 2009", details: {}, also_buy: [], also_view: [], feature: [], description: [], image: [], rank: [], tech1: "", tech2: "", fit: "", similar_item: "" });
}

/** Every Parquet file under `dir`, relative to it. */
function parquetFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".parquet"));
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "replay-test-"));
  for (const object of [OLD, NEW]) {
    const path = join(work, "raw", object.file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${productLine(object.title, object.category)}\n`);
    utimesSync(path, object.modified, object.modified);
  }
  // Older object, newer object, older object again: each run later than the one before (the run times are recent,
  // so that source freshness passes).
  const order = [OLD, NEW, OLD];
  const start = Date.now() - order.length * 60_000;
  const gathered = join(work, "processed");
  for (const [i, object] of order.entries()) {
    const out = join(work, `run-${i}`);
    const summary = await runPipeline({ datasets, inputs: new Map([["product", [join(work, "raw", object.file)]]]), out, runId: `replay-${i}`, processedAt: new Date(start + i * 60_000) });
    expect(summary.reconciled, summary.problems.join("\n")).toBe(true);
    // As on S3: the run's files are added to the table's prefix, beside the earlier runs' (Spark names them uniquely).
    for (const table of [product.table, ...product.children]) {
      const from = localPath(out, table.location);
      for (const file of parquetFiles(from)) {
        const to = join(gathered, table.name, dirname(file), `run-${i}-${file.split("/").pop()}`);
        mkdirSync(dirname(to), { recursive: true });
        copyFileSync(join(from, file), to);
      }
    }
  }
  result = await runWarehouse({
    ir: { irVersion: IR_VERSION, datasets },
    dbtDir: join(REPO_ROOT, "dbt-out"),
    warehouseDir: join(work, "warehouse"),
    tableDirectory: (table) => join(gathered, table.name),
    env: { ...process.env, [PLATFORM.pseudonym.keyEnv]: `replay-test-key-${"k".repeat(40)}` },
  });
}, 300_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("an older raw object processed again (real local pipeline and dbt)", () => {
  it("leaves three deliveries of the product in the processed tables, the older object's the latest processed", async () => {
    const rows = await queryDuckDB(
      `SELECT title, raw_modified_at::VARCHAR AS modified FROM ${PLATFORM.snowflake.rawSchema.toLowerCase()}.${product.table.name} ORDER BY processed_at`,
      { database: result.database, timeZone: "UTC" },
    );
    expect(rows).toEqual([
      { title: OLD.title, modified: "2026-12-01 08:00:00.5+00" },
      { title: NEW.title, modified: "2026-12-05 08:00:00.25+00" },
      { title: OLD.title, modified: "2026-12-01 08:00:00.5+00" },
    ]);
  });

  it("builds every model and passes every test", () => {
    expect(result.models.filter((m) => m.status !== "success")).toEqual([]);
    expect(result.tests.filter((t) => t.status === "fail" || t.status === "error")).toEqual([]);
  });

  it("keeps the newer object's record in staging and in dim_products, with its children", async () => {
    const query = (sql: string) => queryDuckDB(sql, { database: result.database, timeZone: "UTC" });
    expect(await query(`SELECT title FROM analytics_staging.stg_amazon__products WHERE asin = '${ASIN}'`)).toEqual([{ title: NEW.title }]);
    expect(await query(`SELECT raw_modified_at::VARCHAR AS modified FROM analytics_staging.stg_amazon__products WHERE asin = '${ASIN}'`)).toEqual([
      { modified: "2026-12-05 08:00:00.25+00" },
    ]);
    // The older object's single category, processed last, is not mixed in either.
    expect(await query(`SELECT category FROM analytics_staging.stg_amazon__product_categories WHERE asin = '${ASIN}' ORDER BY position`)).toEqual(
      NEW.category.map((category) => ({ category })),
    );
    expect(await query(`SELECT title, top_category FROM analytics_marts.dim_products WHERE asin = '${ASIN}'`)).toEqual([{ title: NEW.title, top_category: NEW.category[0] }]);
  });
});

