/**
 * The local pipeline's second half, on DuckDB: external tables over the processed Parquet (the same column
 * definitions as the Snowflake external tables), then every dbt model of `dbt-out/` in dependency order (generated
 * staging views and hand-written marts), the enforced model contracts, and every dbt test as a query.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, relative, sep } from "node:path";
import { parse } from "yaml";
import { duckdbExternalView, externalColumns } from "../../generators/dialects/external-table.js";
import type { ContractIR, DatasetIR, TableIR } from "../../generators/ir/types.js";
import { PLATFORM } from "../../generators/platform.js";
import { compileTest, type DataTest } from "./data-tests.js";
import { renderModel } from "./jinja.js";

export interface WarehouseOptions {
  readonly ir: ContractIR;
  /** The dbt project (`dbt-out/`). */
  readonly dbtDir: string;
  /** Local folder of a processed table's Parquet files (its S3 location, mirrored). */
  readonly tableDirectory: (table: TableIR, dataset: DatasetIR) => string;
  readonly connection: DuckDBConnection;
  readonly log?: (line: string) => void;
}

export interface TestResult {
  readonly name: string;
  readonly failures: number;
  readonly sample: readonly Record<string, unknown>[];
}

export interface ModelResult {
  readonly name: string;
  readonly schema: string;
  readonly materialized: string;
  readonly rows: number;
}

export interface WarehouseResult {
  readonly sources: Readonly<Record<string, number>>;
  readonly models: readonly ModelResult[];
  readonly contractProblems: readonly string[];
  readonly tests: readonly TestResult[];
  readonly ok: boolean;
}

export class WarehouseError extends Error {}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
const SAMPLE_ROWS = 5;

interface ModelFile {
  readonly name: string;
  /** First folder under models/ (`staging`, `marts`): the DuckDB schema. */
  readonly schema: string;
  readonly file: string;
  readonly text: string;
}

function walk(dir: string, suffix: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...walk(path, suffix));
    else if (entry.endsWith(suffix)) out.push(path);
  }
  return out;
}

function modelFiles(dbtDir: string): ModelFile[] {
  const models = join(dbtDir, "models");
  return walk(models, ".sql").map((file) => ({
    name: basename(file, ".sql"),
    schema: relative(models, file).split(sep)[0]!,
    file: relative(dbtDir, file),
    text: readFileSync(file, "utf8"),
  }));
}

/** Orders models so that every model comes after the models it refs; a cycle or an unknown ref is an error. */
function dependencyOrder(models: readonly ModelFile[], refsOf: (m: ModelFile) => readonly string[]): ModelFile[] {
  const byName = new Map(models.map((m) => [m.name, m]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const order: ModelFile[] = [];
  const visit = (model: ModelFile, path: string[]) => {
    if (done.has(model.name)) return;
    if (visiting.has(model.name)) throw new WarehouseError(`dbt models form a cycle: ${[...path, model.name].join(" → ")}.`);
    visiting.add(model.name);
    for (const ref of refsOf(model)) {
      const target = byName.get(ref);
      if (!target) throw new WarehouseError(`${model.file}: ref('${ref}') names no model in ${"models/"}.`);
      visit(target, [...path, model.name]);
    }
    visiting.delete(model.name);
    done.add(model.name);
    order.push(model);
  };
  for (const model of models) visit(model, []);
  return order;
}

async function rows(connection: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const reader = await connection.runAndReadAll(sql);
  return reader.getRowObjectsJson() as Record<string, unknown>[];
}

async function count(connection: DuckDBConnection, sql: string): Promise<number> {
  const reader = await connection.runAndReadAll(`SELECT count(*) FROM (${sql})`);
  return Number(reader.getRows()[0]![0]);
}

function hasParquet(dir: string): boolean {
  try {
    return walk(dir, ".parquet").length > 0;
  } catch {
    return false;
  }
}

/** dbt `data_type` (Snowflake spelling) → the DuckDB type the same column has locally. */
export function localType(dataType: string): string {
  const t = dataType.toLowerCase().replace(/\s+/g, "");
  const number = /^number\((\d+),(\d+)\)$/.exec(t);
  if (number) return number[2] === "0" ? "INTEGER_KIND" : `DECIMAL(${number[1]},${number[2]})`;
  const map: Record<string, string> = {
    varchar: "VARCHAR",
    boolean: "BOOLEAN",
    float: "DOUBLE",
    date: "DATE",
    timestamp_tz: "TIMESTAMP WITH TIME ZONE",
    variant: "JSON",
  };
  return map[t] ?? t.toUpperCase();
}

const INTEGER_TYPES = new Set(["TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"]);

interface ModelYaml {
  name: string;
  config?: { contract?: { enforced?: boolean } };
  data_tests?: unknown[];
  columns?: { name: string; data_type?: string; data_tests?: unknown[] }[];
}

function modelYamls(dbtDir: string): ModelYaml[] {
  return walk(join(dbtDir, "models"), ".yml").flatMap((file) => ((parse(readFileSync(file, "utf8")) as { models?: ModelYaml[] }).models ?? []));
}

export async function runWarehouse(options: WarehouseOptions): Promise<WarehouseResult> {
  const { connection, ir } = options;
  const log = options.log ?? (() => undefined);
  const source = PLATFORM.dbt.source;
  await connection.run(`CREATE SCHEMA IF NOT EXISTS ${ident(source)}`);

  // 1. External tables.
  const sources: Record<string, number> = {};
  for (const dataset of ir.datasets) {
    for (const table of [dataset.table, ...dataset.children]) {
      const view = `${ident(source)}.${ident(table.name)}`;
      const dir = options.tableDirectory(table, dataset);
      if (hasParquet(dir)) {
        await connection.run(duckdbExternalView(view, table, dir));
      } else {
        // No file yet (e.g. no review had a photo): an empty table with the same columns, as Snowflake shows.
        const columns = externalColumns("duckdb", table).map((c) => `CAST(NULL AS ${c.type}) AS ${ident(c.name)}`);
        await connection.run(`CREATE OR REPLACE VIEW ${view} AS SELECT ${columns.join(", ")} WHERE false`);
      }
      sources[table.name] = await count(connection, `SELECT * FROM ${view}`);
    }
  }
  log(`external tables: ${Object.entries(sources).map(([t, n]) => `${t} ${n}`).join(", ")}`);

  // 2. Models, in dependency order.
  const models = modelFiles(options.dbtDir);
  const schemaOf = new Map(models.map((m) => [m.name, m.schema]));
  const relation = (model: string) => {
    const schema = schemaOf.get(model);
    if (!schema) throw new WarehouseError(`ref('${model}') names no model in ${options.dbtDir}/models.`);
    return `${ident(schema)}.${ident(model)}`;
  };
  const resolve = {
    ref: relation,
    source: (s: string, t: string) => {
      if (s !== source || sources[t] === undefined) throw new WarehouseError(`source('${s}', '${t}') is not a table of source "${source}".`);
      return `${ident(s)}.${ident(t)}`;
    },
  };
  const rendered = new Map(models.map((m) => [m.name, renderModel(m.text, m.file, resolve)]));
  const results: ModelResult[] = [];
  for (const model of dependencyOrder(models, (m) => rendered.get(m.name)!.refs)) {
    const r = rendered.get(model.name)!;
    const materialized = r.config.materialized ?? "view";
    if (materialized !== "view" && materialized !== "table") {
      throw new WarehouseError(`${model.file}: materialized='${materialized}' is not supported locally (view or table).`);
    }
    await connection.run(`CREATE SCHEMA IF NOT EXISTS ${ident(model.schema)}`);
    const sql = r.sql.replace(/;\s*$/, "");
    try {
      await connection.run(`CREATE OR REPLACE ${materialized.toUpperCase()} ${relation(model.name)} AS ${sql}`);
    } catch (error) {
      throw new WarehouseError(`${model.file}: ${(error as Error).message}`);
    }
    const n = await count(connection, `SELECT * FROM ${relation(model.name)}`);
    results.push({ name: model.name, schema: model.schema, materialized, rows: n });
    log(`model ${model.schema}.${model.name} (${materialized}): ${n} rows`);
  }

  // 3. Enforced contracts: names, order and types of the built relation.
  const yamls = modelYamls(options.dbtDir);
  const contractProblems: string[] = [];
  for (const yaml of yamls.filter((y) => y.config?.contract?.enforced)) {
    if (!schemaOf.has(yaml.name)) {
      contractProblems.push(`${yaml.name}: declared in YAML but there is no such model.`);
      continue;
    }
    const described = await rows(connection, `DESCRIBE SELECT * FROM ${relation(yaml.name)}`);
    const actual = described.map((d) => [String(d.column_name), String(d.column_type)] as const);
    const expected = (yaml.columns ?? []).map((c) => [c.name, localType(c.data_type ?? "")] as const);
    if (actual.map((a) => a[0]).join(",") !== expected.map((e) => e[0]).join(",")) {
      contractProblems.push(`${yaml.name}: columns ${actual.map((a) => a[0]).join(", ")} differ from the contract's ${expected.map((e) => e[0]).join(", ")}.`);
      continue;
    }
    for (const [i, [name, type]] of expected.entries()) {
      const got = actual[i]![1];
      const ok = type === "INTEGER_KIND" ? INTEGER_TYPES.has(got) || /^DECIMAL\(\d+,0\)$/.test(got) : got === type;
      if (!ok) contractProblems.push(`${yaml.name}.${name}: built as ${got}, contract says ${type === "INTEGER_KIND" ? "an integer" : type}.`);
    }
  }

  // 4. Every test of every model, as a query returning the failing rows.
  const tests: DataTest[] = [];
  for (const yaml of yamls) {
    for (const spec of yaml.data_tests ?? []) tests.push(compileTest(spec as never, yaml.name, relation));
    for (const column of yaml.columns ?? []) {
      for (const spec of column.data_tests ?? []) tests.push(compileTest(spec as never, yaml.name, relation, column.name));
    }
  }
  const testResults: TestResult[] = [];
  for (const test of tests) {
    const failures = await count(connection, test.sql);
    const sample = failures ? await rows(connection, `${test.sql} LIMIT ${SAMPLE_ROWS}`) : [];
    testResults.push({ name: test.name, failures, sample });
  }
  const failed = testResults.filter((t) => t.failures > 0);
  log(`dbt tests: ${testResults.length - failed.length} passed, ${failed.length} failed`);
  return { sources, models: results, contractProblems, tests: testResults, ok: failed.length === 0 && contractProblems.length === 0 };
}

export function formatWarehouse(result: WarehouseResult): string {
  const lines = [
    `Warehouse (DuckDB): ${result.models.length} models, ${result.tests.length} tests, ${result.tests.filter((t) => t.failures > 0).length} failed`,
  ];
  for (const m of result.models) lines.push(`  ${m.schema}.${m.name} (${m.materialized}): ${m.rows} rows`);
  for (const p of result.contractProblems) lines.push(`  CONTRACT: ${p}`);
  for (const t of result.tests.filter((x) => x.failures > 0)) {
    lines.push(`  FAIL ${t.name}: ${t.failures} failing row(s); sample: ${JSON.stringify(t.sample.slice(0, 3))}`);
  }
  return lines.join("\n");
}
