/**
 * What a pipeline run left in its output folder (`npm run pipeline:local` → `.pipeline-out/`), read for the data
 * quality page: `run-summary.json`, the quarantined records of the run (masked before they leave this module), the
 * processed Parquet counted per partition value (DuckDB, through the same external-table definition dbt reads), and
 * dbt's artifacts (`run_results.json`, `manifest.json`).
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { duckdbExternalView } from "../generators/dialects/external-table.js";
import type { DatasetIR, TableIR } from "../generators/ir/types.js";
import { compareCodePoints } from "../generators/lib/sort.js";
import { isInside, localPath } from "../runners/local-pipeline/safe-paths.js";
import { holdsParquet } from "../runners/local-pipeline/table-files.js";
import { CatalogError } from "./errors.js";
import type { ModelDependencies } from "./lineage.js";
import { maskRecord, piiPaths } from "./mask.js";

const Count = z.number().int().nonnegative();

const DatasetSummary = z
  .object({
    input: Count,
    valid: Count,
    duplicates: Count,
    quarantined: z.object({ total: Count, byReason: z.record(z.string(), Count) }).loose(),
    files: z.array(z.object({ file: z.string(), format: z.string().optional(), gzip: z.boolean().optional(), lines: Count.optional(), records: Count.optional(), blankLines: Count.optional(), error: z.string().optional() }).loose()),
    tables: z.record(z.string(), Count),
  })
  .loose();

const TestResult = z
  .object({ name: z.string(), on: z.string(), status: z.string(), failures: Count, message: z.string().optional(), sample: z.array(z.record(z.string(), z.unknown())) })
  .loose();

const Warehouse = z
  .object({
    ok: z.boolean(),
    dbtVersion: z.string(),
    sources: z.record(z.string(), Count).optional(),
    freshness: z.array(z.object({ source: z.string(), status: z.string(), maxLoadedAt: z.string().optional() }).loose()).optional(),
    models: z.array(z.object({ name: z.string(), schema: z.string(), materialized: z.string(), status: z.string(), rows: Count.optional(), message: z.string().optional() }).loose()),
    tests: z.object({ passed: Count, failed: z.array(TestResult) }).loose(),
    artifacts: z.array(z.string()),
  })
  .loose();

const RunSummary = z
  .object({
    runId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/),
    engine: z.string(),
    reconciled: z.boolean(),
    problems: z.array(z.string()),
    datasets: z.record(z.string(), DatasetSummary),
    warehouse: Warehouse.optional(),
  })
  .loose();

export type RunSummaryData = z.infer<typeof RunSummary>;
export type DatasetSummaryData = z.infer<typeof DatasetSummary>;
export type WarehouseData = z.infer<typeof Warehouse>;

export interface QuarantineSample {
  readonly sourceFile: string;
  readonly lineNumber: number | null;
  readonly reasons: readonly string[];
  /** The raw record with personal and sensitive fields masked (or withheld). */
  readonly text: string;
  readonly parsed: boolean;
  readonly masked: number;
}

export interface PartitionSeries {
  readonly table: string;
  readonly column: string;
  readonly points: readonly { readonly date: string; readonly rows: number }[];
}

export interface DbtTest {
  readonly name: string;
  /** `model.column` or `model` the test is attached to. */
  readonly on: string;
  readonly status: string;
  readonly failures: number | null;
}

export interface RunData {
  readonly summary: RunSummaryData;
  /**
   * Per dataset: one quarantined record for every reason found in the part of the quarantine files read, then more
   * in file order up to SAMPLE_LIMIT records in all.
   */
  readonly samples: ReadonlyMap<string, readonly QuarantineSample[]>;
  readonly partitions: ReadonlyMap<string, readonly PartitionSeries[]>;
  /** Every dbt test of the run (from run_results.json and the manifest), sorted by name; null without artifacts. */
  readonly dbtTests: readonly DbtTest[] | null;
  /** Model → the models it depends on, from dbt's manifest; null without one. */
  readonly dependencies: ModelDependencies | null;
}

export const SAMPLE_LIMIT = 25;
/** Bytes read from each quarantine file: samples need only the first records, whatever the file's size. */
export const QUARANTINE_READ_MIB = 4;
const QUARANTINE_READ_BYTES = QUARANTINE_READ_MIB * 1024 * 1024;

function readJson(path: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new CatalogError("CATALOG.BAD_RUN", `${what} could not be read as JSON: ${(error as Error).message}`, "Run the pipeline again (npm run pipeline:local), or pass --run <dir> of a complete run.");
  }
}

function readHead(path: string, bytes: number): string {
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.alloc(Math.min(bytes, statSync(path).size));
    const read = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, read).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

const QuarantineLine = z.object({ raw_text: z.string().nullable(), reason_codes: z.array(z.string()), source_file: z.string().nullable().optional(), line_number: z.number().nullable().optional() }).loose();

/** Quarantined records of the run for one dataset: every reason once first, then in file order. */
function quarantineSamples(runDir: string, runId: string, dataset: DatasetIR | undefined, location: string): QuarantineSample[] {
  const dir = join(localPath(runDir, location), `run_id=${runId}`);
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir)
    .filter((f) => !f.startsWith(".") && !f.startsWith("_") && /\.jsonl?$/.test(f))
    .sort(compareCodePoints);
  const records: z.infer<typeof QuarantineLine>[] = [];
  for (const file of files) {
    const text = readHead(join(dir, file), QUARANTINE_READ_BYTES);
    const lines = text.split("\n");
    if (!text.endsWith("\n")) lines.pop(); // a record cut by the read limit
    for (const line of lines) {
      if (line.trim() === "") continue;
      let parsed;
      try {
        parsed = QuarantineLine.safeParse(JSON.parse(line));
      } catch {
        continue;
      }
      if (parsed.success) records.push(parsed.data);
    }
  }
  const chosen = new Set<number>();
  const covered = new Set<string>();
  // Every reason first, whatever their number (at most the contract's rules and the record-level reasons).
  records.forEach((r, i) => {
    if (r.reason_codes.some((code) => !covered.has(code))) {
      chosen.add(i);
      for (const code of r.reason_codes) covered.add(code);
    }
  });
  for (let i = 0; i < records.length && chosen.size < SAMPLE_LIMIT; i++) chosen.add(i);
  const paths = dataset ? piiPaths(dataset) : null;
  return [...chosen]
    .sort((a, b) => a - b)
    .map((i) => {
      const r = records[i]!;
      // Without the dataset's contract nothing says which fields are personal: the text is not shown.
      const masked = paths ? maskRecord(r.raw_text ?? "", paths) : { text: "[withheld: no contract for this dataset]", parsed: false, masked: 0 };
      return { sourceFile: r.source_file ?? "", lineNumber: r.line_number ?? null, reasons: r.reason_codes, ...masked };
    });
}

async function partitionSeries(runDir: string, datasets: readonly DatasetIR[]): Promise<Map<string, PartitionSeries[]>> {
  const out = new Map<string, PartitionSeries[]>();
  // A table the run wrote no row to (its folder empty) has no partition and nothing for DuckDB to read: no points.
  const tables: { dataset: string; table: TableIR; dir: string; empty: boolean }[] = [];
  for (const dataset of datasets) {
    for (const table of [dataset.table, ...dataset.children]) {
      const dir = localPath(runDir, table.location);
      if (table.partitionBy.length === 1 && existsSync(dir)) tables.push({ dataset: dataset.name, table, dir, empty: !holdsParquet(dir) });
    }
  }
  if (tables.length === 0) return out;
  const instance = await DuckDBInstance.create(":memory:", { threads: "2" });
  const connection = await instance.connect();
  try {
    for (const { dataset, table, dir, empty } of tables) {
      const column = table.partitionBy[0]!;
      let points: PartitionSeries["points"] = [];
      if (!empty) {
        // The local stand-in of the Snowflake external table: partition values from the path, data files only.
        await connection.run(duckdbExternalView("t", table, dir));
        const reader = await connection.runAndReadAll(`SELECT CAST("${column}" AS VARCHAR) AS d, count(*) AS n FROM t GROUP BY 1 ORDER BY 1`);
        points = reader.getRows().map(([d, n]) => ({ date: String(d), rows: Number(n) }));
      }
      out.set(dataset, [...(out.get(dataset) ?? []), { table: table.name, column, points }]);
    }
  } catch (error) {
    throw new CatalogError("CATALOG.BAD_RUN", `The processed Parquet could not be read: ${(error as Error).message}`, "Run the pipeline again (npm run pipeline:local).");
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return out;
}

interface ManifestNode {
  readonly name: string;
  readonly resource_type: string;
  readonly column_name?: string | null;
  readonly attached_node?: string | null;
  readonly depends_on?: { readonly nodes?: readonly string[] };
}

function dbtArtifacts(runDir: string, summary: RunSummaryData): { tests: DbtTest[] | null; dependencies: ModelDependencies | null } {
  const artifact = (name: string) => {
    const relative = summary.warehouse?.artifacts.find((a) => a.endsWith(`/${name}`) || a === name);
    const path = relative ? join(runDir, relative) : join(runDir, "warehouse", "dbt", "target", name);
    return isInside(runDir, path) && existsSync(path) ? path : null;
  };
  const manifestPath = artifact("manifest.json");
  const resultsPath = artifact("run_results.json");
  if (!manifestPath) return { tests: null, dependencies: null };
  const manifest = readJson(manifestPath, "dbt's manifest.json") as { nodes?: Record<string, ManifestNode> };
  const nodes = manifest.nodes ?? {};
  const dependencies = new Map<string, Set<string>>();
  for (const node of Object.values(nodes)) {
    if (node.resource_type !== "model") continue;
    const upstream = (node.depends_on?.nodes ?? []).filter((id) => id.startsWith("model.")).map((id) => nodes[id]?.name ?? id.split(".").pop()!);
    dependencies.set(node.name, new Set(upstream));
  }
  if (!resultsPath) return { tests: null, dependencies };
  const results = readJson(resultsPath, "dbt's run_results.json") as { results?: { unique_id: string; status: string; failures?: number | null }[] };
  const tests: DbtTest[] = [];
  for (const result of results.results ?? []) {
    const node = nodes[result.unique_id];
    if (!result.unique_id.startsWith("test.") || !node) continue;
    const attached = node.attached_node ? (nodes[node.attached_node]?.name ?? node.attached_node) : "";
    const on = node.column_name ? `${attached}.${node.column_name}` : attached;
    tests.push({ name: node.name, on, status: result.status, failures: result.failures ?? null });
  }
  tests.sort((a, b) => compareCodePoints(a.name, b.name));
  return { tests, dependencies };
}

/** Reads the run in `runDir`; `datasets` are the contracts' datasets (for locations and PII). */
export async function readRun(runDir: string, datasets: readonly DatasetIR[]): Promise<RunData> {
  const summaryPath = join(runDir, "run-summary.json");
  if (!existsSync(summaryPath)) {
    throw new CatalogError("CATALOG.NO_RUN", `${runDir} holds no run-summary.json: it is not the output folder of a completed pipeline run (a run that fails or is stopped leaves none).`, "Run npm run pipeline:local (again), or pass --run <dir> of a completed run's output folder (or --no-run).");
  }
  const parsed = RunSummary.safeParse(readJson(summaryPath, "run-summary.json"));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CatalogError("CATALOG.BAD_RUN", `run-summary.json does not have the shape pipeline:local writes: ${issue.path.join(".") || "(root)"}: ${issue.message}.`, "Run the pipeline again (npm run pipeline:local).");
  }
  const summary = parsed.data;
  const samples = new Map<string, QuarantineSample[]>();
  for (const name of Object.keys(summary.datasets).sort(compareCodePoints)) {
    const dataset = datasets.find((d) => d.name === name);
    if (dataset) samples.set(name, quarantineSamples(runDir, summary.runId, dataset, dataset.locations.quarantine));
  }
  const partitions = await partitionSeries(runDir, datasets.filter((d) => d.name in summary.datasets));
  const { tests, dependencies } = dbtArtifacts(runDir, summary);
  return { summary, samples, partitions, dbtTests: tests, dependencies };
}
