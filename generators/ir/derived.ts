/**
 * Columns that no raw field maps one-to-one: a derived column (a normalisation of a top-level field, e.g. a
 * partition date), and the system columns the flatten job adds to every processed table: `raw_object`,
 * `raw_modified_at` and `processed_at`.
 */
import type { DerivedColumn } from "../contract-kit/index.js";
import { diagnostic } from "../lib/errors.js";
import { checkType, MAY_YIELD_NULL } from "./columns.js";
import type { DatasetContext } from "./dataset-context.js";
import type { WalkedField } from "./from-zod.js";
import type { ColumnIR, SourceLocation } from "./types.js";

export function derivedColumn(spec: DerivedColumn, walked: readonly WalkedField[], ctx: DatasetContext): ColumnIR {
  const where = ctx.whereProperty(["derived", "name"], `derived.${spec.name}`);
  const field = walked.find((w) => w.raw.key === spec.from)?.raw;
  if (!field) {
    ctx.diagnostics.push(
      diagnostic("CONTRACT.BAD_REFERENCE", `Derived column "${spec.name}" reads "${spec.from}", which is not a field of the record.`, where, "Name a top-level field of the raw record in from:."),
    );
  } else {
    checkType(field, spec.type, spec.normalize, ctx);
  }
  return {
    name: spec.name,
    description: spec.description,
    type: spec.type,
    nullable: !field || !field.required || field.nullable || spec.normalize.some((n) => MAY_YIELD_NULL.has(n)),
    source: { kind: "field", path: spec.from },
    normalize: [...spec.normalize],
    pii: spec.pii ?? "none",
    partition: false,
    key: false,
    native: {},
    where,
  };
}

/** A column the pipeline adds to every processed table: non-null, not from the contract (a timestamp unless said). */
function systemColumn(name: string, description: string, source: ColumnIR["source"], where: SourceLocation, type: ColumnIR["type"] = { kind: "timestamp" }): ColumnIR {
  return { name, description, type, nullable: false, source, normalize: [], pii: "none", partition: false, key: false, native: {}, where };
}

/** The column every processed table gets from the flatten job (see `ColumnSource` "processed_at"). */
export function processedAtColumn(where: SourceLocation): ColumnIR {
  return systemColumn("processed_at", "When the flatten job wrote this row (UTC, the run's start time); source freshness is measured on it.", { kind: "processed_at" }, where);
}

/** Name of the system column of `ColumnSource` "raw_modified_at" (reserved: `RESERVED_WORDS`). */
export const RAW_MODIFIED_AT = "raw_modified_at";

/** The column every processed table gets from its raw object (see `ColumnSource` "raw_modified_at"). */
export function rawModifiedAtColumn(where: SourceLocation): ColumnIR {
  const description =
    "When the raw object this row was read from was last modified (UTC, to the millisecond): staging keeps the row of the newest raw object per key, so processing an older object again never makes its data current.";
  return systemColumn(RAW_MODIFIED_AT, description, { kind: "raw_modified_at" }, where);
}

/** Name of the system column of `ColumnSource` "raw_object" (reserved: `RESERVED_WORDS`). */
export const RAW_OBJECT = "raw_object";

/** The column every processed table gets from the clean stage's lineage (see `ColumnSource` "raw_object"). */
export function rawObjectColumn(where: SourceLocation): ColumnIR {
  const description =
    "The raw object this row was read from, as the clean job recorded it: on AWS its URI (s3://bucket/key, percent-encoded as Spark gives it), locally the input file. It leads from a row back to the object to read or process again.";
  return systemColumn(RAW_OBJECT, description, { kind: "raw_object" }, where, { kind: "string" });
}

/** The system columns of every processed table, in order, before its partition columns. */
export function systemColumns(where: SourceLocation): ColumnIR[] {
  return [rawObjectColumn(where), rawModifiedAtColumn(where), processedAtColumn(where)];
}

/** Whether a column is one the pipeline adds to every processed table (not from the contract; its name is reserved). */
export function isSystemColumn(column: Pick<ColumnIR, "source">): boolean {
  return column.source.kind === "processed_at" || column.source.kind === "raw_modified_at" || column.source.kind === "raw_object";
}
