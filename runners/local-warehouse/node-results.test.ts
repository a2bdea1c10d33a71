/**
 * The run summary's models and tests come from dbt's run_results.json, which lists nodes in the order dbt's threads
 * finished them: two identical runs list them differently. `nodeResults` sorts them by schema and name; here every
 * order of one build's results gives the same summary. Rows and failure samples are read from a real DuckDB database
 * holding the relations the manifest names.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeResults, type Manifest, type ManifestNode, type RunResults } from "./warehouse.js";

let instance: DuckDBInstance;
let connection: Awaited<ReturnType<DuckDBInstance["connect"]>>;

beforeAll(async () => {
  instance = await DuckDBInstance.create(":memory:");
  connection = await instance.connect();
  await connection.run(`
    CREATE SCHEMA analytics_staging; CREATE SCHEMA analytics_marts; CREATE SCHEMA analytics_dbt_test__audit;
    CREATE TABLE analytics_staging.stg_amazon__reviews AS SELECT range AS id FROM range(3);
    CREATE TABLE analytics_staging.stg_amazon__products AS SELECT range AS id FROM range(2);
    CREATE TABLE analytics_marts.fct_reviews AS SELECT range AS id FROM range(3);
    CREATE TABLE analytics_marts.dim_products AS SELECT range AS id FROM range(2);
    CREATE TABLE analytics_dbt_test__audit.accepted_range_fct_reviews_rating AS SELECT 5 AS rating;`);
});
afterAll(() => {
  connection.closeSync();
  instance.closeSync();
});

const model = (schema: string, name: string, materialized: string): ManifestNode => ({
  name,
  resource_type: "model",
  schema,
  relation_name: `${schema}.${name}`,
  config: { materialized },
  original_file_path: `models/${name}.sql`,
});
const test = (name: string, attached: string, column: string): ManifestNode => ({
  name,
  resource_type: "test",
  schema: "analytics_dbt_test__audit",
  config: {},
  column_name: column,
  attached_node: attached,
  original_file_path: `models/${name}.yml`,
});

const manifest: Manifest = {
  nodes: {
    "model.p.stg_amazon__reviews": model("analytics_staging", "stg_amazon__reviews", "view"),
    "model.p.stg_amazon__products": model("analytics_staging", "stg_amazon__products", "view"),
    "model.p.fct_reviews": model("analytics_marts", "fct_reviews", "table"),
    "model.p.dim_products": model("analytics_marts", "dim_products", "table"),
    "test.p.not_null_stg_amazon__reviews_id.1": test("not_null_stg_amazon__reviews_id", "model.p.stg_amazon__reviews", "id"),
    "test.p.unique_fct_reviews_id.2": test("unique_fct_reviews_id", "model.p.fct_reviews", "id"),
    "test.p.accepted_range_fct_reviews_rating.3": test("accepted_range_fct_reviews_rating", "model.p.fct_reviews", "rating"),
  },
  sources: {},
};

const results: RunResults["results"] = [
  { unique_id: "model.p.stg_amazon__reviews", status: "success", failures: null, message: "OK" },
  { unique_id: "model.p.stg_amazon__products", status: "success", failures: null, message: "OK" },
  { unique_id: "test.p.not_null_stg_amazon__reviews_id.1", status: "pass", failures: 0, message: null },
  { unique_id: "model.p.fct_reviews", status: "success", failures: null, message: "OK" },
  { unique_id: "model.p.dim_products", status: "error", failures: null, message: "Runtime Error in model dim_products" },
  { unique_id: "test.p.unique_fct_reviews_id.2", status: "pass", failures: 0, message: null },
  {
    unique_id: "test.p.accepted_range_fct_reviews_rating.3",
    status: "fail",
    failures: 1,
    message: "Got 1 result, configured to fail if != 0",
    relation_name: "analytics_dbt_test__audit.accepted_range_fct_reviews_rating",
  },
];

/** Deterministic shuffles of `items` (a seeded Fisher-Yates), each a different order. */
function shuffles<T>(items: readonly T[], count: number): T[][] {
  let seed = 20_241_206;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: count }, () => {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy;
  });
}

describe("the warehouse summary's models and tests", () => {
  it("are sorted by schema and name, whatever order dbt's threads finished the nodes in", async () => {
    const summaryOf = async (order: RunResults["results"]) => nodeResults({ metadata: { dbt_version: "1.11.0" }, results: order }, manifest, connection);
    const first = await summaryOf(results);
    expect(first.models.map((m) => [m.schema, m.name, m.status, m.rows ?? null])).toEqual([
      ["analytics_marts", "dim_products", "error", null],
      ["analytics_marts", "fct_reviews", "success", 3],
      ["analytics_staging", "stg_amazon__products", "success", 2],
      ["analytics_staging", "stg_amazon__reviews", "success", 3],
    ]);
    expect(first.models[0]!.message).toBe("Runtime Error in model dim_products");
    expect(first.tests.map((t) => [t.name, t.on, t.status, t.failures, t.sample])).toEqual([
      ["accepted_range_fct_reviews_rating", "fct_reviews.rating", "fail", 1, [{ rating: 5 }]],
      ["not_null_stg_amazon__reviews_id", "stg_amazon__reviews.id", "pass", 0, []],
      ["unique_fct_reviews_id", "fct_reviews.id", "pass", 0, []],
    ]);
    const orders = [[...results].reverse(), ...shuffles(results, 8)];
    expect(new Set(orders.map((o) => o.map((r) => r.unique_id).join())).size).toBe(orders.length);
    for (const order of orders) expect(await summaryOf(order), order.map((r) => r.unique_id).join(", ")).toEqual(first);
  });
});
