/**
 * The dbt project for its production target, by the adapter production runs it with: dbt-snowflake (pinned in the
 * "dbt" env beside dbt-duckdb), on the committed dbt-out/ and its profiles.yml's `prod` target. No Snowflake runs
 * here, so nothing connects: the profile's credentials are placeholders and its private key a file that does not
 * exist, which the connector would read first.
 * - `dbt parse`: the whole project, as dbt-snowflake reads it (configs, contracts, tests, sources); the relations it
 *   resolves are the ones the other targets name: each source is an external table (or the key table) of the Snowflake
 *   DDL, and each mart QuickSight reads is the table of its data set;
 * - `dbt compile --no-populate-cache`: every model and test rendered by dbt-snowflake (its `target.type`, its macros),
 *   parsed by sqlfluff's Snowflake dialect. All but the reviews staging model: its pseudonym key check queries the key
 *   table when the model is compiled (generators/targets/dbt/pseudonym.ts), which needs Snowflake; that compile fails
 *   at the connection (the key file), as the test shows. Its Snowflake SQL is parsed from sqlfluff's own rendering in
 *   generators/targets/dbt/emit.test.ts.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensurePythonEnv } from "../toolchain/python-env.js";
import { REPO_ROOT } from "./helpers/data.js";
import { run } from "./helpers/run.js";
import { parseSnowflakeStatements } from "./helpers/sqlfluff.js";

const PROJECT = join(REPO_ROOT, "dbt-out");
const DBT_TIMEOUT = 180_000;

let work: string;
let dbt: string;
let env: NodeJS.ProcessEnv;

/** dbt with the prod target: its own output (target/, logs) in the temporary folder, never in dbt-out/. */
const dbtRun = (...args: string[]) => run(dbt, [...args, "--project-dir", PROJECT, "--profiles-dir", join(PROJECT, "profiles"), "--target", "prod"], { env });

beforeAll(async () => {
  dbt = join((await ensurePythonEnv("dbt", { root: REPO_ROOT })).bin, "dbt");
  work = mkdtempSync(join(tmpdir(), "dbt-snowflake-"));
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(SNOWFLAKE|DBT)_/.test(name)));
  env = {
    ...inherited,
    SNOWFLAKE_ACCOUNT: "placeholder-account",
    SNOWFLAKE_USER: "placeholder-user",
    SNOWFLAKE_PRIVATE_KEY_PATH: join(work, "no-key.p8"),
    // No SNOWFLAKE_PRIVATE_KEY_PASSPHRASE: an unencrypted key has none, and the profile must read without it.
    DBT_TARGET_PATH: join(work, "target"),
    DBT_LOG_PATH: join(work, "logs"),
    DBT_SEND_ANONYMOUS_USAGE_STATS: "false",
    DBT_USE_COLORS: "false",
    DBT_PARTIAL_PARSE: "false",
    DO_NOT_TRACK: "1",
  };
}, 15 * 60_000);
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

interface Manifest {
  metadata: { adapter_type: string };
  nodes: Record<string, { resource_type: string; name: string; relation_name: string | null; config: { materialized?: string; contract?: { enforced: boolean } } }>;
  sources: Record<string, { source_name: string; name: string; relation_name: string }>;
}

/** Files under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe("the dbt project for Snowflake, by dbt-snowflake (no connection)", () => {
  let manifest: Manifest;
  beforeAll(() => {
    const parsed = dbtRun("parse");
    expect(parsed.status, parsed.stdout + parsed.stderr).toBe(0);
    manifest = JSON.parse(readFileSync(join(work, "target", "manifest.json"), "utf8")) as Manifest;
  }, DBT_TIMEOUT);

  it("dbt parse reads every model with its enforced contract, for the snowflake adapter", () => {
    expect(manifest.metadata.adapter_type).toBe("snowflake");
    const models = Object.values(manifest.nodes).filter((n) => n.resource_type === "model");
    const files = filesUnder(join(PROJECT, "models"))
      .filter((f) => f.endsWith(".sql"))
      .map((f) => f.replace(/^.*\//, "").replace(/\.sql$/, ""));
    expect(models.map((m) => m.name).sort()).toEqual(files.sort());
    for (const model of models) expect(model.config.contract?.enforced, model.name).toBe(true);
    expect(Object.values(manifest.nodes).filter((n) => n.resource_type === "test").length).toBeGreaterThan(0);
  });

  it("resolves each source to a table of the Snowflake DDL: the external tables and the pseudonym key table", () => {
    const ddl = filesUnder(join(REPO_ROOT, "generated", "snowflake"))
      .filter((f) => f.endsWith(".sql"))
      .map((f) => readFileSync(f, "utf8"))
      .join("\n");
    const created = new Set([...ddl.matchAll(/^CREATE (?:OR REPLACE EXTERNAL TABLE|TABLE IF NOT EXISTS) ([A-Z0-9_.]+)/gm)].map((m) => m[1]!));
    const sources = Object.values(manifest.sources).map((s) => s.relation_name.toUpperCase());
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(created, source).toContain(source);
  });

  it("resolves each mart QuickSight reads to the table of its data set (unquoted names: Snowflake upper-cases them)", () => {
    const index = JSON.parse(readFileSync(join(REPO_ROOT, "generated", "quicksight", "quicksight.json"), "utf8")) as { dataSets: { mart: string; table: string }[] };
    expect(index.dataSets.length).toBeGreaterThan(0);
    for (const dataSet of index.dataSets) {
      const model = Object.values(manifest.nodes).find((n) => n.resource_type === "model" && n.name === dataSet.mart);
      expect(model?.config.materialized, dataSet.mart).toBe("table");
      expect(model?.relation_name?.toUpperCase(), dataSet.mart).toBe(dataSet.table);
    }
  });

  it("dbt compile renders every model and test but the reviews staging model, and sqlfluff's Snowflake dialect parses each", async () => {
    const compiled = dbtRun("compile", "--no-populate-cache", "--exclude", "stg_amazon__reviews");
    expect(compiled.status, compiled.stdout + compiled.stderr).toBe(0);
    const sql = filesUnder(join(work, "target", "compiled"))
      .filter((f) => f.endsWith(".sql"))
      .map((f) => ({ id: relative(join(work, "target", "compiled"), f), sql: readFileSync(f, "utf8") }));
    // A model's SQL is <project>/models/…/<model>.sql; a generic test's is under the folder named after its YAML file.
    const models = sql.filter((s) => !s.id.includes(".yml/"));
    expect(models.map((s) => s.id.replace(/^.*\//, "")).sort()).toEqual(
      ["agg_product_daily_ratings.sql", "dim_products.sql", "fct_reviews.sql", "stg_amazon__product_categories.sql", "stg_amazon__products.sql", "stg_amazon__review_images.sql"],
    );
    // Rendered for Snowflake: no DuckDB spelling reached the SQL (the macros' DuckDB branches use sha256() and error()).
    for (const { id, sql: text } of sql) expect(text, id).not.toMatch(/\b(?:sha256|error)\(/);
    const parsed = await parseSnowflakeStatements(sql, join(work, "sqlfluff"));
    expect(parsed.filter((p) => p.unparsable).map((p) => p.id)).toEqual([]);
    expect(parsed.length).toBeGreaterThan(models.length);
  }, DBT_TIMEOUT);

  it("the reviews staging model does not compile without Snowflake: its pseudonym key check connects (the key file is read)", () => {
    const compiled = dbtRun("compile", "--no-populate-cache", "--select", "stg_amazon__reviews");
    expect(compiled.status).not.toBe(0);
    expect(compiled.stdout + compiled.stderr).toContain(join(work, "no-key.p8"));
  }, DBT_TIMEOUT);
});
