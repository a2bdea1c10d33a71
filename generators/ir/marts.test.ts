/** The marts' contracts reader: what it takes from the dbt YAML, and coded errors for what consumers cannot rely on. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../tests/helpers/data.js";
import { ContractError } from "../lib/errors.js";
import { loadMarts, MARTS_DIR } from "./marts.js";

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function rootWith(yaml: string, sql: string[] = ["m"]): string {
  const root = mkdtempSync(join(tmpdir(), "marts-"));
  roots.push(root);
  mkdirSync(join(root, MARTS_DIR), { recursive: true });
  writeFileSync(join(root, MARTS_DIR, "_marts.yml"), yaml);
  for (const name of sql) writeFileSync(join(root, MARTS_DIR, `${name}.sql`), "select 1 as a\n");
  return root;
}

function problems(root: string): string[] {
  try {
    loadMarts(root);
  } catch (error) {
    if (error instanceof ContractError) return error.diagnostics.map((d) => `${d.code} ${d.where?.path}: ${d.message}`);
    throw error;
  }
  return [];
}

describe("marts' contracts", () => {
  it("reads the repository's marts: name, columns, data types, descriptions and upstream columns", () => {
    const marts = loadMarts(REPO_ROOT);
    expect(marts.map((m) => m.name)).toEqual(["agg_product_daily_ratings", "dim_products", "fct_reviews"]);
    const fct = marts.find((m) => m.name === "fct_reviews")!;
    expect(fct.file).toBe("dbt-out/models/marts/_marts__models.yml");
    expect(fct.columns.find((c) => c.name === "rating")).toEqual({ name: "rating", dataType: "decimal(2, 1)", description: "Star rating, 1 to 5.", upstream: ["stg_amazon__reviews.rating"] });
    expect(loadMarts(join(REPO_ROOT, "tests/fixtures"))).toEqual([]);
  });

  it("refuses a mart without an enforced contract, a column without data_type, a bad upstream and a mart with no SQL file", () => {
    const yaml = [
      "version: 2",
      "models:",
      "  - name: m",
      "    columns:",
      "      - name: a",
      "        config: { meta: { upstream: [not-a-column] } }",
      "  - name: orphan",
      "    config: { contract: { enforced: true } }",
      "    columns: [{ name: b, data_type: bigint }]",
      "",
    ].join("\n");
    expect(problems(rootWith(yaml))).toEqual([
      "MARTS.INVALID models.0.columns.0.config.meta.upstream.0: must be <model>.<column>.",
    ]);
    const fixed = yaml.replace("upstream: [not-a-column]", "upstream: [stg.a]");
    expect(problems(rootWith(fixed))).toEqual([
      'MARTS.INVALID models.0(m): Mart "m" has no enforced contract: its consumers (QuickSight) need names and types dbt guarantees.',
      'MARTS.INVALID models.0(m).a: Column "a" has no data_type.',
      'MARTS.INVALID models.1(orphan): Mart "orphan" has no model file orphan.sql beside it.',
    ]);
    expect(problems(rootWith("version: 2\nmodels: [\n"))[0]).toMatch(/^MARTS.INVALID : Not valid YAML/);
  });

  it("refuses a data_type Snowflake and DuckDB read differently: a decimal without precision, a float that is 32-bit in DuckDB", () => {
    const yaml = (types: string[]) =>
      ["version: 2", "models:", "  - name: m", "    config: { contract: { enforced: true } }", "    columns:", ...types.map((t, i) => `      - { name: c${i}, data_type: "${t}" }`), ""].join("\n");
    expect(problems(rootWith(yaml(["decimal", "NUMERIC", "number", "float", "real", "float4"])))).toEqual([
      ...["decimal", "NUMERIC", "number"].map((t, i) => `MARTS.INVALID models.0(m).c${i}: Column "c${i}" has data_type "${t}", which Snowflake reads as NUMBER(38,0) (whole numbers) and DuckDB as DECIMAL(18,3): the two warehouses would store different values.`),
      ...["float", "real", "float4"].map((t, i) => `MARTS.INVALID models.0(m).c${i + 3}: Column "c${i + 3}" has data_type "${t}", which is a 64-bit double in Snowflake and a 32-bit float in DuckDB: the two warehouses would store different values.`),
    ]);
    expect(problems(rootWith(yaml(["decimal(12, 2)", "numeric(18,0)", "double", "bigint", "varchar", "timestamp with time zone"])))).toEqual([]);
  });
});
