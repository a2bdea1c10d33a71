/**
 * The flat, identity-keyed model contract review diffs (drizzle-kit's idea: diff flat entity stores, never trees).
 *
 * Built from the IR only. Everything that is not a property of the contract is dropped here, so reordering fields,
 * moving a file's lines or re-hashing it produce no change: source locations (`where`) are kept beside each entity
 * for reporting but never compared, contract hashes are not kept, and types are canonical strings.
 */
import type { ColumnIR, ContractIR, DatasetIR, LogicalType, RawConstraints, RawField, SourceLocation, TableIR } from "../ir/types.js";
import { compareCodePoints } from "../lib/sort.js";
import { stagingModelName } from "../targets/dbt/emit.js";
import { stagingColumnName } from "../targets/protection.js";

export interface Place {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export interface ModelDataset {
  readonly name: string;
  readonly version: string;
  readonly owner: string;
  readonly description: string;
  readonly file: string;
  readonly locations: DatasetIR["locations"];
  /** `closed` when the raw record rejects unknown keys (`z.strictObject`), else `open`. */
  readonly closedness: "open" | "closed";
  /** Tables of the dataset: the main table first, then child tables by name. */
  readonly tables: readonly string[];
  /** Where the record is declared (its first field), used for findings about things no longer declared. */
  readonly where: Place;
}

export interface ModelTable {
  readonly dataset: string;
  readonly name: string;
  readonly description: string;
  readonly parent?: string;
  readonly arrayPath?: string;
  readonly key: readonly string[];
  readonly partitionBy: readonly string[];
  /** S3 prefix of the table's processed Parquet files (reported, not compared: the dataset's location is). */
  readonly location: string;
}

export interface ModelColumn {
  /** `table.column`. */
  readonly id: string;
  readonly dataset: string;
  readonly table: string;
  readonly name: string;
  readonly description: string;
  readonly type: LogicalType;
  /** Canonical spelling of the type: `int64`, `decimal(2,1)`. */
  readonly typeText: string;
  readonly nullable: boolean;
  readonly pii: ColumnIR["pii"];
  readonly key: boolean;
  readonly partition: boolean;
  readonly references?: string;
  readonly acceptedValues?: readonly (string | number)[];
  /** Native overrides as `engine=TYPE`, sorted. */
  readonly native: readonly string[];
  readonly source: ColumnIR["source"];
  /** Canonical text of the source (`field:style`, `map_key:style["Size"]`). */
  readonly sourceText: string;
  /** Top-level raw key the column is read from, when it is read from one field. */
  readonly rawRoot?: string;
  readonly normalize: readonly string[];
  readonly renamedFrom?: string;
  /** The contract's reviewer note on the PII class (`piiReview`). */
  readonly piiReview?: string;
  /**
   * Mart columns computed from this column's staging column (`config.meta.upstream`), then those computed from them
   * (marts built on marts), in that order. Not compared.
   */
  readonly martColumns: readonly MartUse[];
  readonly where: Place;
}

/** A mart column computed from a staging column, with the `data_type` its enforced contract declares. */
export interface MartUse {
  /** `mart.column`. */
  readonly id: string;
  readonly dataType: string;
  /** The upstream it is reached through: the staging column (`model.column`) or an earlier mart column's id. */
  readonly from: string;
}

export interface ModelRawField {
  /** `dataset.path` (union options: `dataset.path|<kind>`, e.g. `product.rank|array`). */
  readonly id: string;
  readonly dataset: string;
  readonly path: string;
  /** Top-level key this field is, or is nested in. */
  readonly root: string;
  readonly kind: RawField["kind"];
  readonly required: boolean;
  readonly nullable: boolean;
  readonly constraints: RawConstraints;
  readonly where: Place;
}

export interface FlatModel {
  readonly datasets: ReadonlyMap<string, ModelDataset>;
  readonly tables: ReadonlyMap<string, ModelTable>;
  readonly columns: ReadonlyMap<string, ModelColumn>;
  /** Sensitive columns, kept in the cleaned zone only (`TableIR.withheld`): in no processed table. */
  readonly withheld: ReadonlyMap<string, ModelColumn>;
  readonly rawFields: ReadonlyMap<string, ModelRawField>;
}

export function typeText(type: LogicalType): string {
  return type.kind === "decimal" ? `decimal(${type.precision},${type.scale})` : type.kind;
}

function place(where: SourceLocation | undefined, file: string): Place {
  return { file: where?.file ?? file, line: where?.line ?? 1, column: where?.column ?? 1 };
}

export function sourceText(source: ColumnIR["source"]): string {
  switch (source.kind) {
    case "field":
    case "json":
    case "array_element":
    case "array_position":
      return `${source.kind}:${source.path}`;
    case "map_key":
      return `map_key:${source.path}[${JSON.stringify(source.key)}] normalize ${source.keyNormalize.join(",")}`;
    case "map_rest":
      return `map_rest:${source.path} except ${JSON.stringify(source.declaredKeys)} normalize ${source.keyNormalize.join(",")}`;
    case "surrogate_key":
      return `surrogate_key:${source.paths.join("|")}`;
    case "parent_key":
      return `parent_key:${source.column}`;
    case "processed_at":
    case "raw_modified_at":
    case "raw_object":
      return source.kind;
  }
}

function rawRoot(source: ColumnIR["source"]): string | undefined {
  if (source.kind === "surrogate_key" || source.kind === "parent_key" || source.kind === "array_position" || source.kind === "processed_at" || source.kind === "raw_modified_at" || source.kind === "raw_object") return undefined;
  return source.path.split(/[.[{]/)[0];
}

/** The mart columns whose declared upstream is the column's staging column, then theirs, breadth first. */
function martUses(ir: ContractIR, table: Pick<TableIR, "name">, column: ColumnIR): MartUse[] {
  const staging = stagingColumnName(column);
  if (staging === undefined) return [];
  const uses: MartUse[] = [];
  const queue = [`${stagingModelName(table)}.${staging}`];
  for (let i = 0; i < queue.length; i++) {
    for (const mart of ir.marts ?? []) {
      for (const c of mart.columns) {
        const id = `${mart.name}.${c.name}`;
        if (!c.upstream.includes(queue[i]!) || queue.includes(id)) continue;
        uses.push({ id, dataType: c.dataType, from: queue[i]! });
        queue.push(id);
      }
    }
  }
  return uses;
}

/** Canonical constraints: keys in code-point order, absent keys left out. */
function canonicalConstraints(constraints: RawConstraints): RawConstraints {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(constraints).sort(compareCodePoints)) {
    const value = (constraints as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value;
  }
  return out as RawConstraints;
}

export function buildModel(ir: ContractIR): FlatModel {
  const datasets = new Map<string, ModelDataset>();
  const tables = new Map<string, ModelTable>();
  const columns = new Map<string, ModelColumn>();
  const withheld = new Map<string, ModelColumn>();
  const rawFields = new Map<string, ModelRawField>();
  for (const dataset of ir.datasets) {
    const file = dataset.contract.file;
    const firstField = dataset.raw.fields[0]?.where;
    const schema = dataset.raw.jsonSchema as { additionalProperties?: unknown } | null;
    const allTables: TableIR[] = [dataset.table, ...[...dataset.children].sort((a, b) => compareCodePoints(a.name, b.name))];
    datasets.set(dataset.name, {
      name: dataset.name,
      version: dataset.contract.version,
      owner: dataset.contract.owner,
      description: dataset.description,
      file,
      locations: dataset.locations,
      closedness: schema?.additionalProperties === false ? "closed" : "open",
      tables: allTables.map((t) => t.name),
      where: place(firstField, file),
    });
    for (const table of allTables) {
      const child = dataset.children.find((c) => c.name === table.name);
      tables.set(table.name, {
        dataset: dataset.name,
        name: table.name,
        description: table.description,
        ...(child ? { parent: child.parent, arrayPath: child.arrayPath } : {}),
        key: table.key,
        partitionBy: table.partitionBy,
        location: table.location,
      });
      for (const column of [...table.columns, ...table.withheld]) {
        const root = rawRoot(column.source);
        (column.pii === "sensitive" && table.withheld.includes(column) ? withheld : columns).set(`${table.name}.${column.name}`, {
          id: `${table.name}.${column.name}`,
          dataset: dataset.name,
          table: table.name,
          name: column.name,
          description: column.description,
          type: column.type,
          typeText: typeText(column.type),
          nullable: column.nullable,
          pii: column.pii,
          key: column.key,
          partition: column.partition,
          ...(column.references ? { references: `${column.references.dataset}.${column.references.column}` } : {}),
          ...(column.acceptedValues ? { acceptedValues: column.acceptedValues } : {}),
          native: Object.entries(column.native)
            .filter(([, value]) => value !== undefined)
            .map(([engine, value]) => `${engine}=${value}`)
            .sort(compareCodePoints),
          source: column.source,
          sourceText: sourceText(column.source),
          ...(root !== undefined ? { rawRoot: root } : {}),
          normalize: column.normalize,
          ...(column.renamedFrom ? { renamedFrom: column.renamedFrom } : {}),
          ...(column.piiReview ? { piiReview: column.piiReview } : {}),
          martColumns: martUses(ir, table, column),
          where: place(column.where, file),
        });
      }
    }
    // `path` is the field's identity in the model: the IR path, except inside a union option, whose path is the
    // union's plus the option's kind (`rank|array`, its elements `rank|array[]`). The cleaning jobs tell options
    // apart by JSON type, never by position, so reordering options is no change and removing one is named by it.
    const addField = (field: RawField, path: string, root: string): void => {
      const under = (child: RawField) => path + child.path.slice(field.path.length);
      rawFields.set(`${dataset.name}.${path}`, {
        id: `${dataset.name}.${path}`,
        dataset: dataset.name,
        path,
        root,
        kind: field.kind,
        required: field.required,
        nullable: field.nullable,
        constraints: canonicalConstraints(field.constraints),
        where: place(field.where, file),
      });
      for (const child of field.fields ?? []) addField(child, under(child), root);
      if (field.element) addField(field.element, under(field.element), root);
      const seen = new Map<string, number>();
      for (const option of field.options ?? []) {
        // A contract's options have distinct kinds; a base may hold two of one kind (`rank|string`, `rank|string2`).
        const count = (seen.get(option.kind) ?? 0) + 1;
        seen.set(option.kind, count);
        addField(option, `${path}|${option.kind}${count > 1 ? count : ""}`, root);
      }
    };
    for (const field of dataset.raw.fields) addField(field, field.path, field.key);
  }
  return { datasets, tables, columns, withheld, rawFields };
}

/** Code-point sorted keys of a map. */
export function sortedKeys<V>(map: ReadonlyMap<string, V>): string[] {
  return [...map.keys()].sort(compareCodePoints);
}
