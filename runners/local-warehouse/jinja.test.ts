import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { compileTest, UnsupportedTestError } from "./data-tests.js";
import { checkJinjaSubset, renderModel, UnsupportedJinjaError } from "./jinja.js";

const resolve = { ref: (m: string) => `marts.${m}`, source: (s: string, t: string) => `${s}.${t}` };

describe("local Jinja subset", () => {
  it("renders ref, source and config and records them", () => {
    const r = renderModel("{{ config(materialized='table') }}\nselect * from {{ ref('a') }} join {{ source('amazon', 'review') }}", "m.sql", resolve);
    expect(r.sql).toBe("\nselect * from marts.a join amazon.review");
    expect(r.refs).toEqual(["a"]);
    expect(r.sources).toEqual([["amazon", "review"]]);
    expect(r.config).toEqual({ materialized: "table" });
  });

  it.each([
    ["{% if target.name == 'prod' %}x{% endif %}", "{% if target.name"],
    ["select {{ var('x') }}", "{{ var('x') }}"],
    ["select 1 {# note #}", "{# note #}"],
    ["select {{ dbt_utils.star(ref('a')) }}", "dbt_utils.star"],
  ])("refuses %s with file and line", (text, shown) => {
    expect(() => checkJinjaSubset(`select 1\n${text}`, "models/x.sql")).toThrow(UnsupportedJinjaError);
    expect(() => checkJinjaSubset(`select 1\n${text}`, "models/x.sql")).toThrow(new RegExp(`^models/x\\.sql:2: unsupported Jinja .*${shown.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").slice(0, 12)}`));
  });
});

describe("dbt tests compiled for DuckDB", () => {
  it("return exactly the failing rows, with dbt's null semantics", async () => {
    const instance = await DuckDBInstance.create(":memory:");
    const c = await instance.connect();
    await c.run("CREATE SCHEMA marts");
    await c.run("CREATE TABLE marts.p AS SELECT * FROM (VALUES ('A'), ('B')) t(asin)");
    await c.run("CREATE TABLE marts.r AS SELECT * FROM (VALUES (1, 'A', 5.0, 'x'), (2, 'B', 1.0, 'y'), (2, 'Z', 7.0, NULL), (NULL, NULL, NULL, 'q')) t(id, asin, rating, kind)");
    const relation = (m: string) => `marts.${m}`;
    const failing = async (spec: Parameters<typeof compileTest>[0], column?: string) => {
      const reader = await c.runAndReadAll(`SELECT count(*) FROM (${compileTest(spec, "r", relation, column).sql})`);
      return Number(reader.getRows()[0]![0]);
    };
    expect(await failing("not_null", "id")).toBe(1);
    expect(await failing("unique", "id")).toBe(1);
    expect(await failing({ relationships: { arguments: { to: "ref('p')", field: "asin" } } }, "asin")).toBe(1);
    expect(await failing({ "dbt_utils.accepted_range": { arguments: { min_value: 1, max_value: 5 } } }, "rating")).toBe(1);
    expect(await failing({ accepted_values: { arguments: { values: ["x", "y"] } } }, "kind")).toBe(1);
    expect(await failing({ "dbt_utils.unique_combination_of_columns": { arguments: { combination_of_columns: ["id", "asin"] } } })).toBe(0);
    expect(() => compileTest({ "dbt_expectations.expect_x": { arguments: {} } }, "r", relation, "id")).toThrow(UnsupportedTestError);
    c.closeSync();
  });
});
