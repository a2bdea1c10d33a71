import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../../tests/helpers/data.js";
import { dbtParse, dbtSchemaErrors } from "../../../tests/helpers/dbt.js";
import { fileOf, generatedFrom } from "../../../tests/helpers/generate.js";
import { run } from "../../../tests/helpers/run.js";
import { sqlfluffBin } from "../../../tests/helpers/sqlfluff.js";
import { STAGING_DIR } from "./emit.js";

const yamlOf = (files: Awaited<ReturnType<typeof generatedFrom>>["files"], path: string) => parse(fileOf(files, path)) as any;

/** Writes a generated file set's dbt project into a fresh folder. */
function writeDbtProject(files: Awaited<ReturnType<typeof generatedFrom>>["files"]): string {
  const root = mkdtempSync(join(tmpdir(), "dbt-project-"));
  for (const f of files.filter((x) => x.path.startsWith("dbt-out/"))) {
    const path = join(root, f.path.slice("dbt-out/".length));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.contents);
  }
  return root;
}

describe("dbt target", () => {
  it("validates against the official dbt JSON Schemas (core and fusion)", async () => {
    const { files } = await generatedFrom();
    const checks: [string, "dbt_yml_files" | "dbt_project"][] = [
      [`${STAGING_DIR}/_amazon__models.yml`, "dbt_yml_files"],
      [`${STAGING_DIR}/_amazon__sources.yml`, "dbt_yml_files"],
      ["dbt-out/dbt_project.yml", "dbt_project"],
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
      // Portable spellings (the staging SQL's casts); JSON is chosen by the target when dbt parses.
      for (const column of model.columns) {
        expect(column.data_type, `${model.name}.${column.name}`).toMatch(/^([a-z]+( with time zone)?(\(\d+, \d+\))?|\{\{ 'json' if target\.type == 'duckdb' else 'variant' \}\})$/);
      }
    }
    const reviews = models.find((m) => m.name === "stg_amazon__reviews");
    const col = (name: string) => reviews.columns.find((c: any) => c.name === name);
    expect(col("review_id").data_tests).toEqual(["not_null", "unique"]);
    expect(col("rating").data_tests).toEqual(["not_null", { accepted_range: { arguments: { min_value: 1, max_value: 5 } } }]);
    expect(col("asin").data_tests).toEqual(["not_null", { relationships: { arguments: { to: "ref('stg_amazon__products')", field: "asin" } } }]);
    expect(col("reviewer_name")).toBeUndefined();
    expect(col("reviewer_name_hash")).toMatchObject({ data_type: "varchar" });
    const images = models.find((m) => m.name === "stg_amazon__review_images");
    expect(images.data_tests).toEqual([{ unique_combination_of_columns: { arguments: { combination_of_columns: ["review_id", "position"] } } }]);
    expect(images.columns.find((c: any) => c.name === "review_id").data_tests).toContainEqual({
      relationships: { arguments: { to: "ref('stg_amazon__reviews')", field: "review_id" } },
    });
    const sources = yamlOf(files, `${STAGING_DIR}/_amazon__sources.yml`).sources[0];
    expect(sources.config.loaded_at_field).toBe("processed_at");
    expect(sources.tables.map((t: any) => t.name)).toEqual(ir.datasets.flatMap((d) => [d.table, ...d.children].map((t) => t.name)));
  });

  it("needs no dbt package: the tests dbt does not ship are the project's own generic tests", async () => {
    const { files } = await generatedFrom();
    expect(files.map((f) => f.path)).not.toContain("dbt-out/packages.yml");
    const everything = files.filter((f) => f.path.startsWith("dbt-out/")).map((f) => f.contents).join("\n") + readFileSync(join(REPO_ROOT, "dbt-out/models/marts/_marts__models.yml"), "utf8");
    expect(everything).not.toMatch(/dbt_utils|dbt_expectations/);
    expect(fileOf(files, "dbt-out/tests/generic/test_accepted_range.sql")).toContain("{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}");
    expect(fileOf(files, "dbt-out/tests/generic/test_unique_combination_of_columns.sql")).toContain("{% test unique_combination_of_columns(model, combination_of_columns) %}");
  });

  it("lints clean with sqlfluff (Snowflake dialect, dbt Jinja built-ins) under the committed dbt-out/.sqlfluff", async () => {
    const sqlfluff = await sqlfluffBin();
    const lint = (dir: string) => run(sqlfluff, ["lint", "models", "tests", "--format", "json"], { cwd: dir });
    const result = lint(join(REPO_ROOT, "dbt-out"));
    const report = JSON.parse(result.stdout) as { filepath: string; violations: { code: string; description: string; start_line_no: number }[] }[];
    // Staging models and generic tests (generated) and marts (hand-written): every SQL file was linted.
    expect(report.map((r) => r.filepath).sort()).toEqual(
      [...readdirSync(join(REPO_ROOT, "dbt-out/models/staging/amazon")).filter((f) => f.endsWith(".sql")).map((f) => `models/staging/amazon/${f}`),
       ...readdirSync(join(REPO_ROOT, "dbt-out/models/marts")).filter((f) => f.endsWith(".sql")).map((f) => `models/marts/${f}`),
       ...readdirSync(join(REPO_ROOT, "dbt-out/tests/generic")).map((f) => `tests/generic/${f}`)].sort(),
    );
    expect(report.flatMap((r) => r.violations.map((v) => `${r.filepath}:${v.start_line_no} ${v.code} ${v.description}`))).toEqual([]);
    expect(result.status).toBe(0);
    // The lint can fail: a misaligned alias and an unqualified join in a copy.
    const copy = mkdtempSync(join(tmpdir(), "dbt-lint-"));
    try {
      cpSync(join(REPO_ROOT, "dbt-out"), copy, { recursive: true });
      const model = join(copy, "models/staging/amazon/stg_amazon__reviews.sql");
      writeFileSync(model, readFileSync(model, "utf8").replace(/cast\(review_id as varchar\)\s+as review_id/, "cast(review_id as varchar) as review_id"));
      const broken = JSON.parse(lint(copy).stdout) as typeof report;
      expect(broken.flatMap((r) => r.violations.map((v) => v.code))).toContain("LT01");
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it("neutralises Jinja and YAML in contract text (kitchen-sink: renders back to the literal description)", async () => {
    const { files } = await generatedFrom("tests/fixtures/kitchen-sink");
    const text = fileOf(files, `${STAGING_DIR}/_amazon__models.yml`);
    await expect(text).toMatchFileSnapshot("../../../tests/__golden__/kitchen-sink/dbt/_amazon__models.yml");
    const model = (parse(text) as any).models[0];
    expect(dbtSchemaErrors("dbt_yml_files", "latest_fusion", parse(text))).toEqual([]);
    // dbt renders descriptions with Jinja: what the real dbt shows is the contract's text, nothing evaluated.
    const project = writeDbtProject(files);
    try {
      const manifest = await dbtParse(project);
      const node = Object.values(manifest.nodes).find((n: any) => n.name === "stg_amazon__kitchen_sinks");
      expect(node.columns.code.description).toContain(`"""triple""" with {{ jinja }} {% tag %} */ /* <b>html</b>`);
      const source = Object.values(manifest.sources).find((s: any) => s.name === "kitchen_sink");
      expect(source.columns.code.description).toContain(`"""triple""" with {{ jinja }} {% tag %} */ /* <b>html</b>`);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
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
