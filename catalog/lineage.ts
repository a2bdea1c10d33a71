/**
 * A processed column's path through the platform, stage by stage, from what the project already knows:
 *
 *   raw JSON path ─► cleaned zone (the raw field, validated) ─► Parquet column (normalised, typed)
 *     ─► Snowflake external-table expression ─► dbt staging column ─► the mart columns computed from it
 *
 * The Snowflake expression is `externalColumns("snowflake", table)`, the staging column `stagingColumns(...)`
 * (personal data as its keyed pseudonym, sensitive data not at all), and the marts follow the marts' declared lineage
 * (`config.meta.upstream`, marts built on marts included), confirmed by dbt's manifest (`depends_on`) when a run
 * left one.
 */
import { externalColumns } from "../generators/dialects/external-table.js";
import { mapType } from "../generators/dialects/type-table.js";
import type { ColumnIR, ColumnSource, ContractIR, DatasetIR, MartIR, RawField, RuleIR, TableIR } from "../generators/ir/types.js";
import { findRawField } from "../generators/ir/raw-fields.js";
import { compareCodePoints } from "../generators/lib/sort.js";
import { stagingColumns, stagingModelName, type StagingColumn } from "../generators/targets/dbt/emit.js";
import { stagingColumnName } from "../generators/targets/protection.js";
import { PARQUET_TYPES } from "../generators/targets/parquet/types.js";
import { externalTableName } from "../generators/targets/snowflake/emit.js";

export type StageKind = "raw" | "cleaned" | "parquet" | "snowflake" | "staging" | "mart";

export interface LineageStage {
  readonly stage: StageKind;
  /** What the stage is (`Raw JSON`, `dbt staging`…). */
  readonly label: string;
  /** The name of the column at that stage (`overall`, `stg_amazon__reviews.rating`). */
  readonly name: string;
  /** How the value gets there: type, expression, rules. */
  readonly detail: string;
}

export interface MartUse {
  /** `fct_reviews.rating`. */
  readonly column: string;
  /** The chain it is computed through, staging column first (`stg_amazon__reviews.rating`, `fct_reviews.rating`). */
  readonly via: readonly string[];
  /** dbt's manifest says the mart depends on the model it reads (null: no manifest to check against). */
  readonly inManifest: boolean | null;
}

export interface ColumnLineage {
  readonly stages: readonly LineageStage[];
  readonly marts: readonly MartUse[];
}

/** What dbt's manifest tells about models: which models each model depends on. */
export type ModelDependencies = ReadonlyMap<string, ReadonlySet<string>>;

export function logicalText(column: Pick<ColumnIR, "type">): string {
  return column.type.kind === "decimal" ? `decimal(${column.type.precision},${column.type.scale})` : column.type.kind;
}

export function parquetText(column: ColumnIR): string {
  if (column.partition) return "path (partition)";
  const t = mapType(PARQUET_TYPES, column.type);
  return `${t.primitive}${t.annotation ? ` ${t.annotation}` : ""}`;
}

/** The raw paths a column's value is read from. */
export function rawPaths(source: ColumnSource): string[] {
  switch (source.kind) {
    case "field":
    case "map_key":
    case "map_rest":
    case "json":
    case "array_element":
    case "array_position":
      return [source.path];
    case "surrogate_key":
      return [...source.paths];
    case "parent_key":
    case "processed_at":
    case "raw_modified_at":
    case "raw_object":
      return [];
  }
}

/** The raw side of a column in words: `overall`, `style` key `Format`, sha256(…). */
export function rawText(source: ColumnSource): string {
  switch (source.kind) {
    case "field":
      return source.path;
    case "map_key":
      return `${source.path} › key "${source.key}"`;
    case "map_rest":
      return `${source.path} › every other key (as JSON)`;
    case "json":
      return `${source.path} (as JSON)`;
    case "surrogate_key":
      return `sha256(${source.paths.join(" | ")})`;
    case "parent_key":
      return `the parent row's ${source.column}`;
    case "array_position":
      return `position in ${source.path}`;
    case "array_element":
      return `element of ${source.path}`;
    case "processed_at":
      return "the flatten run's start time";
    case "raw_modified_at":
      return "the raw object's last-modified time";
    case "raw_object":
      return "the raw object's name (its URI on AWS)";
  }
}

/** The rules checked on the raw fields a column reads (element rules of an array included). */
export function columnRules(dataset: DatasetIR, column: ColumnIR): RuleIR[] {
  const paths = rawPaths(column.source);
  return dataset.rules.filter((r) => paths.some((p) => r.path === p || r.path.startsWith(`${p}[]`) || r.path.startsWith(`${p}.`)));
}

function rawDetail(dataset: DatasetIR, column: ColumnIR): string {
  const paths = rawPaths(column.source);
  if (paths.length === 0) {
    if (column.source.kind === "processed_at") return "not in the raw record: set when the row is written";
    if (column.source.kind === "raw_modified_at") return "not in the raw record: the raw object's last-modified time";
    if (column.source.kind === "raw_object") return "not in the raw record: the raw object it was read from";
    return "from the parent record";
  }
  return paths
    .map((path) => {
      const field = findRawField(dataset.raw.fields, path);
      if (!field) return path;
      return `${path}: ${field.kind}, ${field.required ? "required" : "optional"}${field.nullable ? ", may be null" : ""}`;
    })
    .join("; ");
}

/** The staging column a processed column becomes (null: it never leaves the raw layer). */
export function stagingColumnOf(ir: ContractIR, dataset: DatasetIR, table: TableIR, column: ColumnIR): StagingColumn | null {
  const columns = stagingColumns(ir, dataset, table);
  const name = stagingColumnName(column);
  return columns.find((c) => c.name === name) ?? null;
}

/** Mart columns computed from `start` (`<model>.<column>`), following marts built on marts. */
export function martUses(marts: readonly MartIR[], start: string, dependencies: ModelDependencies | null): MartUse[] {
  const uses: MartUse[] = [];
  const seen = new Set<string>([start]);
  let frontier: { name: string; via: string[] }[] = [{ name: start, via: [start] }];
  while (frontier.length) {
    const next: { name: string; via: string[] }[] = [];
    for (const from of frontier) {
      const model = from.name.split(".")[0]!;
      for (const mart of marts) {
        for (const column of mart.columns) {
          const name = `${mart.name}.${column.name}`;
          if (seen.has(name) || !column.upstream.includes(from.name)) continue;
          seen.add(name);
          const via = [...from.via, name];
          const depends = dependencies ? (dependencies.get(mart.name)?.has(model) ?? false) : null;
          uses.push({ column: name, via, inManifest: depends });
          next.push({ name, via });
        }
      }
    }
    frontier = next;
  }
  return uses.sort((a, b) => a.via.length - b.via.length || compareCodePoints(a.column, b.column));
}

export function columnLineage(ir: ContractIR, dataset: DatasetIR, table: TableIR, column: ColumnIR, dependencies: ModelDependencies | null): ColumnLineage {
  const rules = columnRules(dataset, column);
  const paths = rawPaths(column.source);
  const stages: LineageStage[] = [
    { stage: "raw", label: "Raw JSON", name: rawText(column.source), detail: rawDetail(dataset, column) },
    {
      stage: "cleaned",
      label: "Cleaned zone",
      name: paths.length ? paths.join(", ") : "—",
      detail: rules.length ? `validated: ${rules.map((r) => r.code).join(", ")}` : paths.length ? "kept as sent (no rule on it)" : "nothing to validate",
    },
    {
      stage: "parquet",
      label: "Parquet column",
      name: `${table.name}.${column.name}`,
      detail: `${parquetText(column)}${column.normalize.length ? `; normalised: ${column.normalize.join(", ")}` : ""}`,
    },
  ];
  const external = externalColumns("snowflake", table).find((c) => c.name === column.name);
  stages.push({
    stage: "snowflake",
    label: "Snowflake external table",
    name: `${externalTableName(table)}.${column.name.toUpperCase()}`,
    detail: external ? `${external.expression} (${external.type})` : "not an external-table column",
  });
  const staging = stagingColumnOf(ir, dataset, table, column);
  const model = stagingModelName(table);
  if (!staging) {
    stages.push({ stage: "staging", label: "dbt staging", name: `${model} (left out)`, detail: `${column.pii} data never leaves the raw layer` });
    return { stages, marts: [] };
  }
  stages.push({
    stage: "staging",
    label: "dbt staging",
    name: `${model}.${staging.name}`,
    detail: `${staging.expression}${column.pii === "personal" ? " (personal data, pseudonymised)" : ""}`,
  });
  return { stages, marts: martUses(ir.marts ?? [], `${model}.${staging.name}`, dependencies) };
}
