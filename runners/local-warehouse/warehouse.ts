/**
 * The local pipeline's second half: the generated dbt project run by the real dbt (dbt-core + dbt-duckdb, pinned in
 * toolchain/python/dbt.in) on a DuckDB database file.
 *
 * 1. External tables: as `snowflake:apply` creates the Snowflake external tables before dbt runs, this creates their
 *    local counterparts, views over the processed Parquet with the same column definitions (the Snowflake DDL's
 *    columns rendered for DuckDB), in `<database>.<raw schema>` of a file named after the Snowflake database, so the
 *    sources' `database`/`schema`/`identifier` resolve unchanged on both targets. And the pseudonym key table
 *    (`governance.pseudonym_key`, one row) the staging views read their key from: the key from the environment
 *    (`CONTRACT_PSEUDONYM_KEY`) or a random one for this run, bound as a parameter, never in SQL text, never logged.
 * 2. `dbt source freshness`, then `dbt build --store-failures` with the profile's `local` target: every model, its
 *    enforced contract and every test, inside dbt.
 * 3. The result is read from dbt's own artifacts (`run_results.json`, `manifest.json`, `sources.json`, kept under
 *    `<out>/warehouse/dbt/target/`), with a sample of each failing test's rows from the table dbt stored them in.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { duckdbExternalView, externalColumns } from "../../generators/dialects/external-table.js";
import type { ContractIR, DatasetIR, TableIR } from "../../generators/ir/types.js";
import { PLATFORM } from "../../generators/platform.js";
import { DUCKDB_PATH_ENV, LOCAL_TARGET } from "../../generators/targets/dbt/emit.js";
import { KEY_SOURCE, NO_KEY_FIX } from "../../generators/targets/dbt/pseudonym.js";
import { PSEUDONYM_KEY_COLUMN, pseudonymKeyProblem } from "../../generators/targets/protection.js";
import { stopOnInterrupt } from "../../generators/lib/interrupt.js";
import { compareCodePoints } from "../../generators/lib/sort.js";
import { ensurePythonEnv, rebuildFix, toolProblem } from "../../toolchain/python-env.js";
import { holdsParquet } from "../local-pipeline/table-files.js";

export interface WarehouseOptions {
  readonly ir: ContractIR;
  /** The dbt project (`dbt-out/`); its profiles are in `profiles/`. */
  readonly dbtDir: string;
  /** Folder for the database file and dbt's artifacts and logs (replaced each run). */
  readonly warehouseDir: string;
  /** Local folder of a processed table's Parquet files (its S3 location, mirrored). */
  readonly tableDirectory: (table: TableIR, dataset: DatasetIR) => string;
  readonly log?: (line: string) => void;
  /** Where the pseudonym key is read from (`CONTRACT_PSEUDONYM_KEY`) and the base of dbt's environment; default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
}

export interface TestResult {
  /** dbt's node name, e.g. `accepted_range_fct_reviews_rating__5__1`. */
  readonly name: string;
  /** The model (or source) and column tested, e.g. `fct_reviews.rating`. */
  readonly on: string;
  /** dbt's status: pass, fail, warn, error or skipped. */
  readonly status: string;
  readonly failures: number;
  readonly message?: string;
  readonly sample: readonly Record<string, unknown>[];
}

export interface ModelResult {
  readonly name: string;
  /** Schema dbt built it in (e.g. `analytics_staging`). */
  readonly schema: string;
  readonly materialized: string;
  /** dbt's status: success, error or skipped. */
  readonly status: string;
  readonly rows?: number;
  readonly message?: string;
}

export interface FreshnessResult {
  readonly source: string;
  /** dbt's status: pass, warn, error or runtime error. */
  readonly status: string;
  readonly maxLoadedAt?: string;
}

export interface WarehouseResult {
  /** The DuckDB database file dbt built. */
  readonly database: string;
  readonly dbtVersion: string;
  readonly sources: Readonly<Record<string, number>>;
  readonly freshness: readonly FreshnessResult[];
  readonly models: readonly ModelResult[];
  readonly tests: readonly TestResult[];
  /** dbt's artifacts of the run (run_results.json, manifest.json, sources.json). */
  readonly artifacts: readonly string[];
  /** Where the run's pseudonym key came from (never the key). */
  readonly pseudonymKey: PseudonymKeyOrigin;
  readonly ok: boolean;
}

export class WarehouseError extends Error {
  constructor(
    message: string,
    /** How to fix it, when known (printed as the `fix:` line). */
    readonly fix?: string,
  ) {
    super(message);
  }
}

/** No usable pseudonym key (PII.NO_KEY): the environment variable holds one that is too short. */
export class PseudonymKeyError extends Error {
  readonly code = "PII.NO_KEY";
  readonly fix = NO_KEY_FIX.replace(/^Fix: /, "");
}

/** `environment`: from `CONTRACT_PSEUDONYM_KEY`; `random`: made for this run. */
export type PseudonymKeyOrigin = "environment" | "random";

const KEY_ENV = PLATFORM.pseudonym.keyEnv;

/**
 * The run's pseudonym key: the environment's when set (at least `minKeyLength` characters, or refused), otherwise
 * 32 random bytes (base64url, 43 characters). An empty variable counts as unset.
 */
export function pseudonymKeyFrom(env: NodeJS.ProcessEnv): { key: string; origin: PseudonymKeyOrigin } {
  const given = env[KEY_ENV];
  if (given === undefined || given === "") return { key: randomBytes(32).toString("base64url"), origin: "random" };
  const problem = pseudonymKeyProblem(given);
  if (problem) throw new PseudonymKeyError(problem);
  return { key: given, origin: "environment" };
}

/** The line the runners print: where the key came from, never the key. */
export function pseudonymKeyLine(origin: PseudonymKeyOrigin): string {
  return origin === "environment"
    ? `pseudonym key: from ${KEY_ENV}`
    : `pseudonym key: random for this run (pseudonyms differ between runs; set ${KEY_ENV} to keep them stable)`;
}

/** The environment a child process (dbt, Airflow) gets: the key is in the database, so not in its environment. */
export function withoutPseudonymKey(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const rest = { ...env };
  delete rest[KEY_ENV];
  return rest;
}

const SAMPLE_ROWS = 5;
const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

async function count(connection: DuckDBConnection, relation: string): Promise<number> {
  const reader = await connection.runAndReadAll(`SELECT count(*) FROM ${relation}`);
  return Number(reader.getRows()[0]![0]);
}

/** The local external tables: `<raw schema>.<table>` views over the Parquet, or an empty view with the same columns. */
async function createExternalTables(connection: DuckDBConnection, options: WarehouseOptions): Promise<Record<string, number>> {
  const schema = PLATFORM.snowflake.rawSchema.toLowerCase();
  await connection.run(`CREATE SCHEMA ${ident(schema)}`);
  const sources: Record<string, number> = {};
  for (const dataset of options.ir.datasets) {
    for (const table of [dataset.table, ...dataset.children]) {
      const view = `${ident(schema)}.${ident(table.name)}`;
      const dir = options.tableDirectory(table, dataset);
      if (holdsParquet(dir)) {
        await connection.run(duckdbExternalView(view, table, dir));
      } else {
        // No file yet (e.g. no review had a photo): an empty table with the same columns, as Snowflake shows.
        const columns = externalColumns("duckdb", table).map((c) => `CAST(NULL AS ${c.type}) AS ${ident(c.name)}`);
        await connection.run(`CREATE VIEW ${view} AS SELECT ${columns.join(", ")} WHERE false`);
      }
      sources[table.name] = await count(connection, view);
    }
  }
  return sources;
}

interface DbtRun {
  readonly code: number;
  /** The last lines dbt printed (for an error message). */
  readonly tail: readonly string[];
}

/**
 * Runs one dbt command, streaming its lines to `log`. dbt that cannot start (its script's interpreter is gone: the env
 * was moved after it was built) is a WarehouseError saying so, with the fix.
 */
export function runDbt(bin: string, args: readonly string[], env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<DbtRun> {
  return new Promise((resolveRun, reject) => {
    const dbt = join(bin, "dbt");
    // Its own process group, stopped through this process (`stopOnInterrupt`): the run waits for it to end.
    const child = spawn(dbt, args, { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    stopOnInterrupt(child);
    const tail: string[] = [];
    let pending = "";
    const onData = (chunk: Buffer) => {
      const lines = (pending + chunk.toString("utf8")).split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        const text = line.replace(/\s+$/, "");
        if (!text) continue;
        log(`dbt: ${text}`);
        tail.push(text);
        if (tail.length > 40) tail.shift();
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", (error) => reject(new WarehouseError(toolProblem(dbt) ?? `cannot start ${dbt}: ${error.message}`, rebuildFix("dbt"))));
    child.on("close", (code) => {
      if (pending.trim()) {
        log(`dbt: ${pending.trim()}`);
        tail.push(pending.trim());
      }
      resolveRun({ code: code ?? 1, tail });
    });
  });
}

/** What this runner reads of dbt's `run_results.json`. */
export interface RunResults {
  metadata: { dbt_version: string };
  results: { unique_id: string; status: string; failures: number | null; message: string | null; relation_name?: string | null }[];
}

export interface ManifestNode {
  name: string;
  resource_type: string;
  schema: string;
  relation_name?: string | null;
  config: { materialized?: string };
  column_name?: string | null;
  attached_node?: string | null;
  original_file_path: string;
}

/** What this runner reads of dbt's `manifest.json`. */
export interface Manifest {
  nodes: Record<string, ManifestNode>;
  sources: Record<string, { source_name: string; name: string }>;
}

interface Sources {
  results: { unique_id: string; status: string; max_loaded_at?: string }[];
}

/** dbt's error text without the macro call chain that follows it (`> in macro …`, `> called by …`). */
function withoutMacroTrace(message: string): string {
  return message
    .split("\n")
    .filter((line) => !/^\s*> (in|called by) macro /.test(line))
    .join("\n")
    .trim();
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

/** Rows as JSON-safe objects (dates and decimals as text). */
async function sampleRows(connection: DuckDBConnection, relation: string): Promise<Record<string, unknown>[]> {
  const reader = await connection.runAndReadAll(`SELECT * FROM ${relation} LIMIT ${SAMPLE_ROWS}`);
  return reader.getRowObjectsJson() as Record<string, unknown>[];
}

export interface LocalDatabase {
  /** The DuckDB database file (`<warehouseDir>/amazon_reviews.duckdb`). */
  readonly database: string;
  /** Rows per external table. */
  readonly sources: Record<string, number>;
  readonly pseudonymKey: PseudonymKeyOrigin;
}

/**
 * The key table the staging views read their key from at query time (`source('governance', 'pseudonym_key')`,
 * `AMAZON_REVIEWS.GOVERNANCE.PSEUDONYM_KEY` on Snowflake): one row, the key bound as a parameter of a prepared
 * statement, so it is in no SQL text (nor in DuckDB's error messages, nor in dbt's logs).
 */
async function createPseudonymKeyTable(connection: DuckDBConnection, key: string): Promise<void> {
  const table = `${ident(KEY_SOURCE.source)}.${ident(KEY_SOURCE.table)}`;
  await connection.run(`CREATE SCHEMA ${ident(KEY_SOURCE.source)}`);
  await connection.run(`CREATE TABLE ${table} (${ident(PSEUDONYM_KEY_COLUMN)} VARCHAR NOT NULL)`);
  const insert = await connection.prepare(`INSERT INTO ${table} VALUES ($1)`);
  try {
    insert.bindVarchar(1, key);
    await insert.run();
  } finally {
    insert.destroySync();
  }
}

/**
 * Step 1 alone: a fresh `warehouseDir` with the database file holding the local external tables, ready for dbt's
 * `local` target (`dbtEnvironment`). Also used by `npm run dag:test`, where Airflow runs dbt.
 */
export async function prepareLocalDatabase(options: Pick<WarehouseOptions, "ir" | "warehouseDir" | "tableDirectory" | "log" | "env">): Promise<LocalDatabase> {
  // Refused before anything is replaced.
  const { key, origin } = pseudonymKeyFrom(options.env ?? process.env);
  const dir = options.warehouseDir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const database = join(dir, `${PLATFORM.snowflake.database.toLowerCase()}.duckdb`);
  const instance = await DuckDBInstance.create(database, { threads: "2" });
  const connection = await instance.connect();
  let sources: Record<string, number>;
  try {
    sources = await createExternalTables(connection, options as WarehouseOptions);
    await createPseudonymKeyTable(connection, key);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  options.log?.(`external tables: ${Object.entries(sources).map(([t, n]) => `${t} ${n}`).join(", ")}`);
  options.log?.(pseudonymKeyLine(origin));
  return { database, sources, pseudonymKey: origin };
}

/**
 * The environment dbt needs for the `local` target: the database file, dbt's target and log folders under
 * `warehouseDir/dbt/` (never inside the project), and no telemetry.
 */
export function dbtEnvironment(warehouseDir: string, database: string): Record<string, string> {
  return {
    [DUCKDB_PATH_ENV]: database,
    DBT_TARGET_PATH: join(warehouseDir, "dbt", "target"),
    DBT_LOG_PATH: join(warehouseDir, "dbt", "logs"),
    DBT_SEND_ANONYMOUS_USAGE_STATS: "false",
    DBT_USE_COLORS: "false",
    DBT_PARTIAL_PARSE: "false",
    DO_NOT_TRACK: "1",
  };
}

/**
 * The models and tests of a `dbt build`, from its `run_results.json` and `manifest.json`, with each built model's rows
 * and a sample of each failing test's stored rows read through `connection`. Sorted by schema, then name (code
 * points; dbt's unique id breaks a tie): dbt lists results in the order its threads finished them, which differs between identical runs, and the
 * run summary must not.
 */
export async function nodeResults(runResults: RunResults, manifest: Manifest, connection: DuckDBConnection): Promise<{ models: ModelResult[]; tests: TestResult[] }> {
  type Keyed<T> = { schema: string; id: string; result: T };
  const models: Keyed<ModelResult>[] = [];
  const tests: Keyed<TestResult>[] = [];
  for (const result of runResults.results) {
    const node = manifest.nodes[result.unique_id];
    if (!node) continue;
    const message = result.message ?? undefined;
    if (node.resource_type === "model") {
      const built = result.status === "success" && node.relation_name;
      models.push({
        schema: node.schema,
        id: result.unique_id,
        result: {
          name: node.name,
          schema: node.schema,
          materialized: node.config.materialized ?? "view",
          status: result.status,
          ...(built ? { rows: await count(connection, node.relation_name!) } : {}),
          ...(result.status !== "success" && message ? { message: withoutMacroTrace(message) } : {}),
        },
      });
    } else if (node.resource_type === "test") {
      const attached = node.attached_node ? (manifest.nodes[node.attached_node]?.name ?? manifest.sources[node.attached_node]?.name) : undefined;
      const on = [attached ?? "?", node.column_name].filter(Boolean).join(".");
      const failures = result.failures ?? 0;
      const failed = result.status === "fail" || result.status === "warn" || result.status === "error";
      const sample = failed && failures > 0 && result.relation_name ? await sampleRows(connection, result.relation_name) : [];
      tests.push({ schema: node.schema, id: result.unique_id, result: { name: node.name, on, status: result.status, failures, ...(failed && message ? { message } : {}), sample } });
    }
  }
  const bySchemaAndName = (a: Keyed<{ name: string }>, b: Keyed<{ name: string }>) =>
    compareCodePoints(a.schema, b.schema) || compareCodePoints(a.result.name, b.result.name) || compareCodePoints(a.id, b.id);
  return { models: models.sort(bySchemaAndName).map((m) => m.result), tests: tests.sort(bySchemaAndName).map((t) => t.result) };
}

export async function runWarehouse(options: WarehouseOptions): Promise<WarehouseResult> {
  const log = options.log ?? (() => undefined);
  const dir = options.warehouseDir;
  // 1. External tables.
  const { database, sources, pseudonymKey } = await prepareLocalDatabase({ ...options, log });

  // 2. dbt, as in production: source freshness, then build.
  const { bin } = await ensurePythonEnv("dbt", { log });
  const localEnv = dbtEnvironment(dir, database);
  const target = localEnv.DBT_TARGET_PATH!;
  const common = ["--project-dir", options.dbtDir, "--profiles-dir", join(options.dbtDir, "profiles"), "--target", LOCAL_TARGET];
  const env: NodeJS.ProcessEnv = { ...withoutPseudonymKey(options.env ?? process.env), ...localEnv };
  const freshnessRun = await runDbt(bin, ["source", "freshness", ...common], env, log);
  const sourcesJson = join(target, "sources.json");
  if (!existsSync(sourcesJson)) {
    throw new WarehouseError(`dbt source freshness did not run (exit ${freshnessRun.code}):\n${freshnessRun.tail.join("\n")}`);
  }
  const build = await runDbt(bin, ["build", "--store-failures", ...common], env, log);
  const runResultsPath = join(target, "run_results.json");
  const manifestPath = join(target, "manifest.json");
  if (build.code > 1 || !existsSync(runResultsPath) || !existsSync(manifestPath)) {
    throw new WarehouseError(`dbt build could not run (exit ${build.code}):\n${build.tail.join("\n")}`);
  }

  // 3. Results from dbt's artifacts.
  const runResults = readJson<RunResults>(runResultsPath);
  const manifest = readJson<Manifest>(manifestPath);
  const freshness: FreshnessResult[] = readJson<Sources>(sourcesJson).results.map((r) => {
    const source = manifest.sources[r.unique_id];
    return { source: source ? `${source.source_name}.${source.name}` : r.unique_id, status: r.status, ...(r.max_loaded_at ? { maxLoadedAt: r.max_loaded_at } : {}) };
  }).sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
  const instance = await DuckDBInstance.create(database, { access_mode: "READ_ONLY" });
  const connection = await instance.connect();
  let models: ModelResult[];
  let tests: TestResult[];
  try {
    ({ models, tests } = await nodeResults(runResults, manifest, connection));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  const failedTests = tests.filter((t) => t.status === "fail" || t.status === "error");
  const failedModels = models.filter((m) => m.status !== "success");
  // A table this run loaded nothing into has no freshness to measure (dbt reports it as an error): it is shown, but
  // fails the run only when the table has rows.
  const staleSources = freshness.filter((f) => f.status !== "pass" && f.status !== "warn" && (sources[f.source.split(".")[1]!] ?? 0) > 0);
  log(`dbt: ${models.length} models, ${tests.length} tests, ${failedTests.length} failed, ${failedModels.length} models not built`);
  return {
    database,
    dbtVersion: runResults.metadata.dbt_version,
    sources,
    freshness,
    models,
    tests,
    artifacts: [runResultsPath, manifestPath, sourcesJson],
    pseudonymKey,
    ok: build.code === 0 && failedTests.length === 0 && failedModels.length === 0 && staleSources.length === 0,
  };
}

export function formatWarehouse(result: WarehouseResult, base?: string): string {
  const failed = result.tests.filter((t) => t.status === "fail" || t.status === "error");
  const warned = result.tests.filter((t) => t.status === "warn");
  const skipped = result.tests.filter((t) => t.status === "skipped");
  const lines = [
    `Warehouse (dbt ${result.dbtVersion}, DuckDB): ${result.models.length} models, ${result.tests.length} tests, ${failed.length} failed` +
      (warned.length ? `, ${warned.length} warned` : "") +
      (skipped.length ? `, ${skipped.length} skipped` : ""),
  ];
  for (const f of result.freshness) {
    if (f.status === "pass") continue;
    const empty = (result.sources[f.source.split(".")[1]!] ?? 0) === 0;
    lines.push(`  FRESHNESS ${f.status.toUpperCase()} ${f.source}: ${empty ? "no rows (this run loaded nothing into it)" : `newest processed_at ${f.maxLoadedAt ?? "none"}`}`);
  }
  for (const m of result.models) {
    lines.push(`  ${m.schema}.${m.name} (${m.materialized}): ${m.status === "success" ? `${m.rows} rows` : m.status.toUpperCase()}`);
    if (m.message) lines.push(`    ${m.message.split("\n").join("\n    ")}`);
  }
  for (const t of [...failed, ...warned]) {
    lines.push(`  ${t.status.toUpperCase()} ${t.name} on ${t.on}: ${t.failures} failing row(s)${t.sample.length ? `; sample: ${JSON.stringify(t.sample.slice(0, 3))}` : ""}`);
    if (t.status === "error" && t.message) lines.push(`    ${t.message}`);
  }
  if (skipped.length) lines.push(`  ${skipped.length} test(s) skipped: they depend on a model that was not built.`);
  lines.push(`  ${pseudonymKeyLine(result.pseudonymKey)}`);
  lines.push(`  dbt artifacts: ${result.artifacts.map((a) => (base ? relative(base, a) : a)).join(", ")}`);
  return lines.join("\n");
}
