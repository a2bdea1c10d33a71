import { DuckDBInstance } from "@duckdb/node-api";
import nunjucks from "nunjucks";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { nativeType } from "../../dialects/types.js";
import { REPO_ROOT } from "../../../tests/helpers/data.js";
import { dbtSchemaErrors } from "../../../tests/helpers/dbt.js";
import { fileOf, generatedFrom } from "../../../tests/helpers/generate.js";
import { run } from "../../../tests/helpers/run.js";
import { sqlfluffBin } from "../../../tests/helpers/sqlfluff.js";
import { STAGING_DIR, stagingModelName } from "./emit.js";

const yamlOf = (files: Awaited<ReturnType<typeof generatedFrom>>["files"], path: string) => parse(fileOf(files, path)) as any;

/** Renders a model with a real Jinja engine, with `source` and `config` bound as the local runner binds them. */
function render(sql: string, source: (s: string, t: string) => string): string {
  const env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true });
  return env.renderString(sql, { source, config: () => "", ref: (m: string) => m });
}

describe("dbt target", () => {
  it("validates against the official dbt JSON Schemas (core and fusion)", async () => {
    const { files } = await generatedFrom();
    const checks: [string, "dbt_yml_files" | "dbt_project" | "packages"][] = [
      [`${STAGING_DIR}/_amazon__models.yml`, "dbt_yml_files"],
      [`${STAGING_DIR}/_amazon__sources.yml`, "dbt_yml_files"],
      ["dbt-out/dbt_project.yml", "dbt_project"],
      ["dbt-out/packages.yml", "packages"],
    ];
    for (const [path, kind] of checks) {
      for (const flavor of ["latest", "latest_fusion"] as const) {
        expect(dbtSchemaErrors(kind, flavor, yamlOf(files, path)), `${path} (${flavor})`).toEqual([]);
      }
    }
    expect(dbtSchemaErrors("profiles", "latest_fusion", yamlOf(files, "dbt-out/profiles/profiles.yml"))).toEqual([]);
    // The hand-written marts YAML is held to the same standard.
    const marts = parse(readFileSync(join(REPO_ROOT, "dbt-out/models/marts/_marts__models.yml"), "utf8"));
    expect(dbtSchemaErrors("dbt_yml_files", "latest_fusion", marts)).toEqual([]);
  });

  it("rejects legacy test syntax (the schema check can fail)", () => {
    const legacy = { version: 2, models: [{ name: "m", columns: [{ name: "c", tests: [{ accepted_values: { values: [1] } }] }] }] };
    expect(dbtSchemaErrors("dbt_yml_files", "latest_fusion", legacy)).not.toEqual([]);
  });

  it("enforces a contract with a data_type on every column, and derives tests from the contract", async () => {
    const { files, ir } = await generatedFrom();
    const models = yamlOf(files, `${STAGING_DIR}/_amazon__models.yml`).models as any[];
    expect(models.map((m) => m.name)).toEqual(["stg_amazon__products", "stg_amazon__product_categories", "stg_amazon__reviews", "stg_amazon__review_images"]);
    for (const model of models) {
      expect(model.config.contract).toEqual({ enforced: true });
      for (const column of model.columns) expect(column.data_type, `${model.name}.${column.name}`).toMatch(/^[a-z_]+(\(\d+,\d+\))?$/);
    }
    const reviews = models.find((m) => m.name === "stg_amazon__reviews");
    const col = (name: string) => reviews.columns.find((c: any) => c.name === name);
    expect(col("review_id").data_tests).toEqual(["not_null", "unique"]);
    expect(col("rating").data_tests).toEqual(["not_null", { "dbt_utils.accepted_range": { arguments: { min_value: 1, max_value: 5 } } }]);
    expect(col("asin").data_tests).toEqual(["not_null", { relationships: { arguments: { to: "ref('stg_amazon__products')", field: "asin" } } }]);
    expect(col("reviewer_name")).toBeUndefined();
    expect(col("reviewer_name_hash")).toMatchObject({ data_type: "varchar" });
    const images = models.find((m) => m.name === "stg_amazon__review_images");
    expect(images.data_tests).toEqual([{ "dbt_utils.unique_combination_of_columns": { arguments: { combination_of_columns: ["review_id", "position"] } } }]);
    expect(images.columns.find((c: any) => c.name === "review_id").data_tests).toContainEqual({
      relationships: { arguments: { to: "ref('stg_amazon__reviews')", field: "review_id" } },
    });
    const sources = yamlOf(files, `${STAGING_DIR}/_amazon__sources.yml`).sources[0];
    expect(sources.config.loaded_at_field).toBe("processed_at");
    expect(sources.tables.map((t: any) => t.name)).toEqual(ir.datasets.flatMap((d) => [d.table, ...d.children].map((t) => t.name)));
  });

  it("staging SQL renders with Jinja, parses as Snowflake SQL (sqlfluff) and runs on DuckDB over the external-table columns", async () => {
    const { files, ir } = await generatedFrom();
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    for (const dataset of ir.datasets) {
      for (const table of [dataset.table, ...dataset.children]) {
        const columns = table.columns.map((c) => `"${c.name}" ${c.type.kind === "json" ? "JSON" : nativeType("duckdb", c)}`);
        await connection.run(`CREATE TABLE ext_${table.name} (${columns.join(", ")}, source_file VARCHAR)`);
        const sql = render(fileOf(files, `${STAGING_DIR}/${stagingModelName(table)}.sql`), (_s, t) => `ext_${t}`);
        const described = await connection.runAndReadAll(`DESCRIBE ${sql}`);
        const names = described.getRowObjectsJS().map((r) => r.column_name);
        const yamlColumns = (yamlOf(files, `${STAGING_DIR}/_amazon__models.yml`).models as any[]).find((m) => m.name === stagingModelName(table)).columns;
        expect(names, table.name).toEqual(yamlColumns.map((c: any) => c.name));
      }
    }
    connection.closeSync();
    const rendered = render(fileOf(files, `${STAGING_DIR}/stg_amazon__reviews.sql`), (s, t) => `AMAZON_REVIEWS.RAW.${t.toUpperCase()}`);
    const dir = join(REPO_ROOT, "tests/fixtures/.scratch-dbt");
    const { mkdirSync, writeFileSync, rmSync } = await import("node:fs");
    mkdirSync(dir, { recursive: true });
    try {
      writeFileSync(join(dir, "stg.sql"), rendered);
      // Already rendered: the raw templater (sqlfluff 4 would otherwise template it with Jinja again).
      const result = run(await sqlfluffBin(), ["parse", "--dialect", "snowflake", "--templater", "raw", "--format", "json", dir]);
      const tree = JSON.parse(result.stdout) as { segments: unknown }[];
      expect(tree[0]!.segments).not.toBeNull();
      expect(JSON.stringify(tree)).not.toContain('"unparsable"');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("neutralises Jinja and YAML in contract text (kitchen-sink: renders back to the literal description)", async () => {
    const { files } = await generatedFrom("tests/fixtures/kitchen-sink");
    const text = fileOf(files, `${STAGING_DIR}/_amazon__models.yml`);
    await expect(text).toMatchFileSnapshot("../../../tests/__golden__/kitchen-sink/dbt/_amazon__models.yml");
    const model = (parse(text) as any).models[0];
    expect(dbtSchemaErrors("dbt_yml_files", "latest_fusion", parse(text))).toEqual([]);
    const code = model.columns.find((c: any) => c.name === "code");
    const env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true });
    // dbt renders descriptions with Jinja: the rendered text is the contract's text, nothing evaluated.
    expect(env.renderString(code.description, {})).toContain(`"""triple""" with {{ jinja }} {% tag %} */ /* <b>html</b>`);
    expect(model.columns.find((c: any) => c.name === "owner_email")).toBeUndefined();
    await expect(fileOf(files, `${STAGING_DIR}/stg_amazon__kitchen_sinks.sql`)).toMatchFileSnapshot("../../../tests/__golden__/kitchen-sink/dbt/stg_amazon__kitchen_sinks.sql");
  });

  it("leaves the hand-written marts out of its file set", async () => {
    const { files } = await generatedFrom();
    const marts = readdirSync(join(REPO_ROOT, "dbt-out/models/marts"));
    expect(marts.length).toBeGreaterThan(0);
    expect(files.filter((f) => f.path.startsWith("dbt-out/models/marts/"))).toEqual([]);
    for (const name of marts) expect(readFileSync(join(REPO_ROOT, "dbt-out/models/marts", name), "utf8")).not.toContain("Generated by review-contracts");
  });
});
