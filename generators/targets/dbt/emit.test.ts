import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, SHIPPED_DATASETS } from "../../../tests/helpers/data.js";
import { dbtParse, dbtSchemaErrors } from "../../../tests/helpers/dbt.js";
import { fileOf, generatedFrom } from "../../../tests/helpers/generate.js";
import { queryDuckDB } from "../../../tests/helpers/duckdb.js";
import { run } from "../../../tests/helpers/run.js";
import { parseSnowflakeStatements, sqlfluffBin } from "../../../tests/helpers/sqlfluff.js";
import { ensurePythonEnv } from "../../../toolchain/python-env.js";
import { jinjaLiteral } from "../../dialects/jinja.js";
import { loadMarts } from "../../ir/marts.js";
import { personalColumns, pseudonymColumnName } from "../protection.js";
import { dbtTarget, LOCAL_TARGET, reporterSchemaUsageHook, SNOWFLAKE_UTC_SESSION_HOOK, STAGING_DIR, stagingColumns, stagingModelName } from "./emit.js";

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

  it("requires the dbt-core minor the project is tested with, up to the next major; the real dbt accepts it and refuses a dbt outside it", async () => {
    const { files } = await generatedFrom();
    const lock = readFileSync(join(REPO_ROOT, "toolchain/python/dbt.lock.txt"), "utf8");
    const [major, minor] = /^dbt-core==(\d+)\.(\d+)\./m.exec(lock)!.slice(1).map(Number) as [number, number];
    const project = yamlOf(files, "dbt-out/dbt_project.yml");
    expect(project["require-dbt-version"]).toEqual([`>=${major}.${minor}.0`, `<${major + 1}.0.0`]);
    // The committed file is the generated one (the drift check), so dbt reads this range.
    expect(parse(readFileSync(join(REPO_ROOT, "dbt-out/dbt_project.yml"), "utf8"))["require-dbt-version"]).toEqual(project["require-dbt-version"]);
    const dir = writeDbtProject(files);
    try {
      await dbtParse(dir); // the pinned dbt-core is inside the range
      // A range the running dbt is outside of (as dbt 1.9 is of the real one): dbt stops before parsing, naming it.
      const text = fileOf(files, "dbt-out/dbt_project.yml").replace(`">=${major}.${minor}.0"`, `">=${major}.${minor + 1}.0"`);
      writeFileSync(join(dir, "dbt_project.yml"), text);
      await expect(dbtParse(dir)).rejects.toThrow(/This version of dbt is not supported with the 'amazon_reviews' package/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rejects legacy test syntax (the schema check can fail)", () => {
    const legacy = { version: 2, models: [{ name: "m", columns: [{ name: "c", tests: [{ accepted_values: { values: [1] } }] }] }] };
    expect(dbtSchemaErrors("dbt_yml_files", "latest_fusion", legacy)).not.toEqual([]);
  });

  it("enforces a contract with a data_type on every column, and derives tests from the contract", async () => {
    const { files, ir } = await generatedFrom();
    const models = yamlOf(files, `${STAGING_DIR}/_amazon__models.yml`).models as any[];
    // A staging model per table of every dataset (parent, then its children), in the IR's order.
    const tables = ir.datasets.flatMap((d) => [d.table, ...d.children]);
    expect(models.map((m) => m.name)).toEqual(tables.map((t) => stagingModelName(t)));
    const shipped = ir.datasets.filter((d) => SHIPPED_DATASETS.includes(d.name)).flatMap((d) => [d.table, ...d.children]);
    expect(shipped.map((t) => stagingModelName(t))).toEqual(["stg_amazon__products", "stg_amazon__product_categories", "stg_amazon__reviews", "stg_amazon__review_images"]);
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
    // Another dataset's row may arrive later: a warning; a child's parent row (below) is written with it: an error.
    expect(col("asin").data_tests).toEqual(["not_null", { relationships: { arguments: { to: "ref('stg_amazon__products')", field: "asin" }, config: { severity: "warn" } } }]);
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

  it("writes every `{` of contract text so that Jinja (dbt's jinja2) renders the text as written", async () => {
    // A comment `{# … #}` would vanish and an unclosed `{#` would not parse if only `{{` and `{%` were escaped.
    const texts = ["a {# c #} b", "unclosed {# here", "lone { brace }", "{{ x }} {% if y %} {{{#"];
    const { python } = await ensurePythonEnv("dbt", { root: REPO_ROOT });
    const script = [
      "import json, sys, jinja2",
      "def render(t):",
      "    try: return jinja2.Template(t).render()",
      "    except jinja2.TemplateError as e: return f'{type(e).__name__}: {e}'",
      "print(json.dumps([render(t) for t in json.load(sys.stdin)]), end='')",
    ].join("\n");
    const rendered = run(python, ["-c", script], {
      input: JSON.stringify(texts.map(jinjaLiteral)),
    });
    expect(rendered.status, rendered.stderr).toBe(0);
    expect(JSON.parse(rendered.stdout)).toEqual(texts);
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

  it("accepted_values with a quote and Jinja in a value: the real dbt, on DuckDB, passes the contract's values and fails any other", async () => {
    const { files } = await generatedFrom("tests/fixtures/kitchen-sink");
    const project = writeDbtProject(files);
    const database = join(project, "w.duckdb");
    const { ensurePythonEnv } = await import("../../../toolchain/python-env.js");
    const { dbtEnvironment } = await import("../../../runners/local-warehouse/warehouse.js");
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const { bin } = await ensurePythonEnv("dbt", { root: REPO_ROOT });
    // The staging view's rows, as a table where dbt's test reads them (the local target's staging schema).
    const levels = async (values: string[]) => {
      const instance = await DuckDBInstance.create(database);
      const connection = await instance.connect();
      await connection.run("CREATE SCHEMA IF NOT EXISTS analytics_staging");
      const rows = values.map((v) => `('${v.replace(/'/g, "''")}')`).join(", ");
      await connection.run(`CREATE OR REPLACE TABLE analytics_staging.stg_amazon__kitchen_sinks AS SELECT * FROM (VALUES ${rows}) AS t(level)`);
      connection.closeSync();
      instance.closeSync();
    };
    const dbtTest = () => {
      const args = ["test", "--project-dir", project, "--profiles-dir", join(project, "profiles"), "--target", LOCAL_TARGET, "--select", "stg_amazon__kitchen_sinks,test_name:accepted_values"];
      const env = { ...process.env, ...dbtEnvironment(project, database) };
      const result = spawnSync(join(bin, "dbt"), args, { env, encoding: "utf8" });
      const results = JSON.parse(readFileSync(join(env.DBT_TARGET_PATH!, "run_results.json"), "utf8")).results as { unique_id: string; status: string; failures: number }[];
      return { status: result.status, results: results.filter((r) => r.unique_id.startsWith("test.")).map((r) => [r.status, r.failures]) };
    };
    try {
      await levels(["low", "mid", "high", "it's {{ high }}"]);
      expect(dbtTest()).toEqual({ status: 0, results: [["pass", 0]] });
      // The same value rendered by Jinja, or with its quote left single, is another value: the test fails on each.
      await levels(["low", "it's high", "it''s {{ high }}", "it's {{ '{' }}{{ '{' }} high }}"]);
      expect(dbtTest()).toEqual({ status: 1, results: [["fail", 3]] });
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  it("keeps a child table's rows of the run its parent row comes from: a re-sent review with fewer images keeps none of the old ones (DuckDB runs the staging SQL)", async () => {
    const { files } = await generatedFrom();
    const sql = fileOf(files, `${STAGING_DIR}/stg_amazon__review_images.sql`);
    // The model as dbt runs it, its two Jinja calls replaced by the tables they name.
    const query = sql
      .replace("{{ config(materialized='view') }}", "")
      .replace("{{ source('amazon', 'review_images') }}", "review_images")
      .replace("{{ ref('stg_amazon__reviews') }}", "stg_amazon__reviews");
    expect(query).not.toContain("{{");
    const t1 = "TIMESTAMPTZ '2026-01-01 00:00:00+00'";
    const t2 = "TIMESTAMPTZ '2026-02-01 00:00:00+00'";
    const rows = await queryDuckDB(
      `CREATE TABLE review_images AS SELECT * FROM (VALUES
         ('r1', 0, 'a0', 'o1.jsonl', ${t1}, ${t1}, DATE '2018-01-01', 'run1/part-0.parquet'),
         ('r1', 1, 'a1', 'o1.jsonl', ${t1}, ${t1}, DATE '2018-01-01', 'run1/part-0.parquet'),
         ('r1', 0, 'b0', 'o2.jsonl', ${t2}, ${t2}, DATE '2018-01-01', 'run2/part-0.parquet'),
         ('r2', 0, 'c0', 'o1.jsonl', ${t1}, ${t1}, DATE '2018-01-01', 'run1/part-0.parquet')
       ) AS t(review_id, position, image_url, raw_object, raw_modified_at, processed_at, review_date, source_file);
       -- The parent rows staging keeps: r1 and r2 re-sent in the second run (r2 now without images).
       CREATE TABLE stg_amazon__reviews AS SELECT * FROM (VALUES ('r1', ${t2}), ('r2', ${t2})) AS t(review_id, processed_at);
       SELECT review_id, position, image_url FROM (${query.replace(/^--.*$/gm, "")}) ORDER BY ALL`,
    );
    expect(rows).toEqual([{ review_id: "r1", position: 0, image_url: "b0" }]);
  });

  it("leaves the hand-written marts out of its file set", async () => {
    const { files } = await generatedFrom();
    const marts = readdirSync(join(REPO_ROOT, "dbt-out/models/marts"));
    expect(marts.length).toBeGreaterThan(0);
    expect(files.filter((f) => f.path.startsWith("dbt-out/models/marts/"))).toEqual([]);
    for (const name of marts) expect(readFileSync(join(REPO_ROOT, "dbt-out/models/marts", name), "utf8")).not.toContain("Generated by review-contracts");
  });
});

describe("keyed pseudonyms and Snowflake column tags", () => {
  const tagHook = (kind: string, column: string) =>
    `{% if target.type == 'snowflake' %}alter ${kind} {{ this }} modify column ${column} set tag AMAZON_REVIEWS.GOVERNANCE.PII = 'personal'{% endif %}`;

  it("replaces a personal column by the macro over the key table's source, described as a keyed pseudonym, tagged by a post-hook", async () => {
    const { files, ir } = await generatedFrom();
    const sql = fileOf(files, `${STAGING_DIR}/stg_amazon__reviews.sql`);
    expect(sql).toMatch(/^ {8}\{\{ contract_pseudonym\('reviewer_name'\) \}\} +as reviewer_name_hash,$/m);
    expect(sql).not.toMatch(/\b(md5|sha\w*|hash)\s*\(/i);
    const column = (yamlOf(files, `${STAGING_DIR}/_amazon__models.yml`).models as any[]).find((m) => m.name === "stg_amazon__reviews").columns.find((c: any) => c.name === "reviewer_name_hash");
    expect(column.description).toMatch(/^Keyed pseudonym of reviewer_name \(personal data\): lowercase hex SHA-256 of the pseudonym key, ':' and the value, the key read at query time from AMAZON_REVIEWS\.GOVERNANCE\.PSEUDONYM_KEY/);
    expect(column.description).not.toMatch(/md5/i);
    // The key table: a source without freshness (it changes when the key is rotated, not with the data).
    const governance = (yamlOf(files, `${STAGING_DIR}/_amazon__sources.yml`).sources as any[]).find((s) => s.name === "governance");
    expect(governance).toMatchObject({ database: "AMAZON_REVIEWS", schema: "GOVERNANCE", tables: [{ name: "pseudonym_key", identifier: "PSEUDONYM_KEY", columns: [{ name: "key", data_type: "varchar" }] }] });
    expect(JSON.stringify(governance)).not.toMatch(/freshness|loaded_at_field/);
    // The tag: on the pseudonym columns of each staging model that has one (of the shipped datasets, only
    // stg_amazon__reviews: reviewer_name), and on no other model.
    const staging = yamlOf(files, "dbt-out/dbt_project.yml").models.amazon_reviews.staging;
    const withPersonal = ir.datasets.flatMap((d) => [d.table, ...d.children]).filter((t) => personalColumns(t).length > 0);
    expect(staging.amazon).toEqual(
      Object.fromEntries(withPersonal.map((t) => [stagingModelName(t), { "+post-hook": personalColumns(t).map((c) => tagHook("view", pseudonymColumnName(c))) }])),
    );
    const shippedWithPersonal = withPersonal.filter((t) => ir.datasets.some((d) => SHIPPED_DATASETS.includes(d.name) && [d.table, ...d.children].includes(t)));
    expect(shippedWithPersonal.map((t) => stagingModelName(t))).toEqual(["stg_amazon__reviews"]);
    expect(staging.amazon.stg_amazon__reviews).toEqual({ "+post-hook": [tagHook("view", "reviewer_name_hash")] });
    const macro = fileOf(files, "dbt-out/macros/contract_pseudonym.sql");
    expect(macro).toContain("{%- set key_table = source('governance', 'pseudonym_key') -%}");
    expect(macro).not.toMatch(/env_var|var\(/);
  });

  it("tests a range with bounds of different kinds as two accepted_range tests (one inclusive flag applies to both bounds)", async () => {
    const { ir } = await generatedFrom();
    const review = ir.datasets.find((d) => d.name === "review")!;
    const rangeTests = (params: Record<string, number>) => {
      const rules = review.rules.map((r) => (r.path === "overall" && r.kind === "out_of_range" ? { ...r, params } : r));
      const columns = stagingColumns(ir, { ...review, rules }, review.table);
      return columns.find((c) => c.name === "rating")!.tests.filter((t) => typeof t === "object" && "accepted_range" in t);
    };
    const args = (...list: Record<string, unknown>[]) => list.map((a) => ({ accepted_range: { arguments: a } }));
    expect(rangeTests({ minimum: 1, maximum: 5 })).toEqual(args({ min_value: 1, max_value: 5 }));
    expect(rangeTests({ exclusiveMinimum: 0, exclusiveMaximum: 6 })).toEqual(args({ min_value: 0, max_value: 6, inclusive: false }));
    // .gt(0).max(5): 5 is valid, so the upper bound is tested inclusively on its own.
    expect(rangeTests({ exclusiveMinimum: 0, maximum: 5 })).toEqual(args({ min_value: 0, inclusive: false }, { max_value: 5 }));
    expect(rangeTests({ minimum: 1, exclusiveMaximum: 6 })).toEqual(args({ min_value: 1 }, { max_value: 6, inclusive: false }));
    // Two bounds on one side: the tighter (.min(1).gt(0) is at least 1; .gt(1).min(1) is above 1).
    expect(rangeTests({ minimum: 1, exclusiveMinimum: 0, maximum: 5 })).toEqual(args({ min_value: 1, max_value: 5 }));
    expect(rangeTests({ minimum: 1, exclusiveMinimum: 1 })).toEqual(args({ min_value: 1, inclusive: false }));
  });

  it("tests processed_at for nulls but not raw_modified_at or raw_object, which rows written before those columns existed lack", async () => {
    const { ir } = await generatedFrom();
    for (const dataset of ir.datasets) {
      for (const table of [dataset.table, ...dataset.children]) {
        const columns = stagingColumns(ir, dataset, table);
        expect(columns.find((c) => c.name === "processed_at")!.tests, table.name).toContain("not_null");
        expect(columns.find((c) => c.name === "raw_modified_at")!.tests, table.name).not.toContain("not_null");
        expect(columns.find((c) => c.name === "raw_object")!.tests, table.name).not.toContain("not_null");
      }
    }
  });

  it("tests a pseudonym column for what a hash can hold: no accepted_values or accepted_range copied from its field", async () => {
    const { ir } = await generatedFrom("tests/fixtures/kitchen-sink");
    const dataset = ir.datasets.find((d) => d.name === "kitchen_sink")!;
    const personal = (name: string) => (c: (typeof dataset.table.columns)[number]) => (c.name === name ? { ...c, pii: "personal" as const } : c);
    const table = { ...dataset.table, columns: dataset.table.columns.map(personal("level")).map(personal("amount")) };
    const columns = stagingColumns(ir, { ...dataset, table }, table);
    const plain = stagingColumns(ir, dataset, dataset.table);
    expect(plain.find((c) => c.name === "level")!.tests).toContainEqual({ accepted_values: expect.anything() });
    expect(plain.find((c) => c.name === "amount")!.tests).toContainEqual({ accepted_range: expect.anything() });
    expect(columns.find((c) => c.name === "level_hash")!.tests).toEqual([]);
    expect(columns.find((c) => c.name === "amount_hash")!.tests).toEqual([]);
  });

  it("renders the Snowflake branch of the macro as sha2 over the guarded key (parsed by sqlfluff's Snowflake dialect; not executed: no local Snowflake)", async () => {
    const sqlfluff = await sqlfluffBin();
    // sqlfluff renders the committed model with the committed macro and .sqlfluff (target.type snowflake).
    const rendered = run(sqlfluff, ["render", "models/staging/amazon/stg_amazon__reviews.sql"], { cwd: join(REPO_ROOT, "dbt-out") });
    expect(rendered.status, rendered.stderr).toBe(0);
    const line = rendered.stdout.split("\n").find((l) => l.includes("as reviewer_name_hash"))!.trim();
    // sqlfluff's stand-in for source('governance', 'pseudonym_key') is governance_pseudonym_key.
    // The key subquery yields the key only when the table holds exactly one of at least 32 characters; otherwise
    // TO_NUMBER of a PII.NO_KEY message built from the table's row count (Snowflake has no error() in SQL).
    expect(line).toMatch(
      /^sha2\(\(select case when count\(\*\) = 1 and min\(length\(key\)\) >= 32 then min\(key\) else cast\(to_number\('PII\.NO_KEY: the pseudonym key table ' \|\| 'governance_pseudonym_key' \|\| ' holds ' \|\| cast\(count\(\*\) as varchar\) \|\| [^\n]*'\) as varchar\) end from governance_pseudonym_key\) \|\| ':' \|\| cast\(reviewer_name as varchar\), 256\) +as reviewer_name_hash,$/,
    );
    const expression = line.replace(/ +as reviewer_name_hash,$/, "").replace("governance_pseudonym_key", "AMAZON_REVIEWS.GOVERNANCE.PSEUDONYM_KEY");
    // The tag hook, rendered by Jinja for Snowflake (a statement) and for DuckDB (empty: dbt skips it).
    const python = join(dirname(sqlfluff), "python");
    /** A hook rendered by Jinja (dbt's jinja2) with the given context. */
    const renderJinja = (hook: string, context: Record<string, unknown>) =>
      run(python, ["-c", "import json, sys, jinja2; a = json.load(sys.stdin); print(jinja2.Template(a['hook']).render(**a['context']), end='')"], {
        input: JSON.stringify({ hook, context }),
      }).stdout;
    const hook = tagHook("view", "reviewer_name_hash");
    const render = (type: string) => renderJinja(hook, { target: { type }, this: "AMAZON_REVIEWS.ANALYTICS_STAGING.STG_AMAZON__REVIEWS" });
    expect(render("duckdb")).toBe("");
    const statement = render("snowflake");
    expect(statement).toBe("alter view AMAZON_REVIEWS.ANALYTICS_STAGING.STG_AMAZON__REVIEWS modify column reviewer_name_hash set tag AMAZON_REVIEWS.GOVERNANCE.PII = 'personal'");
    // Every model's pre-hook, the session's time zone: a statement on Snowflake, empty elsewhere.
    expect(renderJinja(SNOWFLAKE_UTC_SESSION_HOOK, { target: { type: "duckdb" } })).toBe("");
    const utc = renderJinja(SNOWFLAKE_UTC_SESSION_HOOK, { target: { type: "snowflake" } });
    expect(utc).toBe("alter session set timezone = 'UTC'");
    // The run's last hook: USAGE on the marts schema for the reporter, on Snowflake's target, only when the run built
    // something there (`schemas`: the schemas of the run's successful nodes); never on the local target.
    const renderRunEnd = (targetName: string, schemas: string[]) =>
      renderJinja(reporterSchemaUsageHook("AMAZON_REVIEWS_REPORTER"), { target: { name: targetName, database: "AMAZON_REVIEWS", schema: "ANALYTICS" }, schemas });
    const usage = renderRunEnd("prod", ["ANALYTICS_staging", "ANALYTICS_marts"]);
    expect(usage).toBe("grant usage on schema AMAZON_REVIEWS.ANALYTICS_marts to role AMAZON_REVIEWS_REPORTER");
    expect(renderRunEnd("prod", ["ANALYTICS_staging"])).toBe("");
    expect(renderRunEnd("prod", [])).toBe("");
    expect(renderRunEnd("local", ["ANALYTICS_marts"])).toBe("");
    expect(parse(readFileSync(join(REPO_ROOT, "dbt-out/dbt_project.yml"), "utf8"))["on-run-end"]).toEqual([reporterSchemaUsageHook("AMAZON_REVIEWS_REPORTER")]);
    const dir = mkdtempSync(join(tmpdir(), "dbt-snowflake-"));
    try {
      const parsed = await parseSnowflakeStatements(
        [
          { id: "pseudonym", sql: `select ${expression} as reviewer_name_hash from AMAZON_REVIEWS.RAW.REVIEW` },
          { id: "tag", sql: statement },
          { id: "utc", sql: utc },
          { id: "usage", sql: usage },
          { id: "broken", sql: `select ${expression.replace(", 256)", ", 256")} as reviewer_name_hash from AMAZON_REVIEWS.RAW.REVIEW` },
        ],
        join(dir, "sql"),
      );
      // The parse can fail: a parenthesis short.
      expect(parsed.map((p) => [p.id, p.unparsable, p.unparsable ? "-" : p.statements])).toEqual([["pseudonym", false, 1], ["tag", false, 1], ["utc", false, 1], ["usage", false, 1], ["broken", true, "-"]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("tags every mart column whose lineage reaches a pseudonym column, through marts built on marts (fixture tests/fixtures/pii-marts; dbt parses it)", async () => {
    const { ir, files } = await generatedFrom();
    const marts = loadMarts(join(REPO_ROOT, "tests/fixtures/pii-marts"));
    const withMarts = (await dbtTarget.emit({ ...ir, marts: [...(ir.marts ?? []), ...marts] })).files;
    const project = yamlOf(withMarts, "dbt-out/dbt_project.yml");
    expect(dbtSchemaErrors("dbt_project", "latest", project)).toEqual([]);
    expect(dbtSchemaErrors("dbt_project", "latest_fusion", project)).toEqual([]);
    const configs = project.models.amazon_reviews.marts;
    expect(configs.reviewer_activity["+post-hook"]).toEqual([tagHook("table", "reviewer_name_hash")]);
    expect(configs.reviewer_ranking["+post-hook"]).toEqual([tagHook("table", "reviewer_key")]);
    // The project's own marts reach no personal column: grants only.
    for (const m of ir.marts ?? []) expect(configs[m.name]).toEqual({ "+grants": { select: ["AMAZON_REVIEWS_REPORTER"] } });
    expect(fileOf(files, "dbt-out/dbt_project.yml")).not.toContain("alter table");
    // The real dbt reads the hooks as the marts' post-hooks.
    const dir = writeDbtProject(withMarts);
    try {
      cpSync(join(REPO_ROOT, "tests/fixtures/pii-marts/dbt-out/models/marts"), join(dir, "models/marts"), { recursive: true });
      const manifest = await dbtParse(dir);
      const hooks = (name: string) => manifest.nodes[`model.amazon_reviews.${name}`].config["post-hook"].map((h: { sql: string }) => h.sql);
      expect(hooks("reviewer_activity")).toEqual([tagHook("table", "reviewer_name_hash")]);
      expect(hooks("reviewer_ranking")).toEqual([tagHook("table", "reviewer_key")]);
      expect(hooks("stg_amazon__reviews")).toEqual([tagHook("view", "reviewer_name_hash")]);
      expect(hooks("stg_amazon__products")).toEqual([]);
      // Every model, staging and mart, sets its Snowflake session's time zone first.
      const models = Object.values(manifest.nodes as Record<string, { resource_type: string; config: { "pre-hook": { sql: string }[] } }>).filter((n) => n.resource_type === "model");
      expect(models.length).toBeGreaterThan(5);
      for (const model of models) expect(model.config["pre-hook"].map((h) => h.sql)).toEqual([SNOWFLAKE_UTC_SESSION_HOOK]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
