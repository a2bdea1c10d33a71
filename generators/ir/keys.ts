/**
 * The dataset's key: either a surrogate key column (a hash of required top-level scalar fields, placed first) or a
 * column of the record, which must be non-null and is flagged `key: true`.
 */
import type { KeySpec } from "../contract-kit/index.js";
import { diagnostic } from "../lib/errors.js";
import { isScalar } from "./columns.js";
import type { DatasetContext } from "./dataset-context.js";
import type { WalkedField } from "./from-zod.js";
import type { ColumnIR } from "./types.js";

export interface DatasetKey {
  /** Columns the key adds in front of the field columns: the surrogate key, or none. */
  readonly keyColumns: ColumnIR[];
  /** The field columns, with the key column flagged when the key is a column of the record. */
  readonly fieldColumns: ColumnIR[];
  readonly keyNames: string[];
}

export function datasetKey(key: KeySpec, walked: readonly WalkedField[], fieldColumns: readonly ColumnIR[], ctx: DatasetContext): DatasetKey {
  if ("surrogate" in key) {
    const spec = key.surrogate;
    const where = ctx.whereProperty(["key", "surrogate", "name"], "key");
    for (const from of spec.from) {
      const field = walked.find((w) => w.raw.key === from)?.raw;
      if (!field || !field.required || field.nullable || !isScalar(field)) {
        ctx.diagnostics.push(
          diagnostic(
            "CONTRACT.BAD_REFERENCE",
            `Surrogate key part "${from}" is not a required, non-null scalar field of the record.`,
            ctx.whereProperty(["key", "surrogate", "from"], "key.from"),
            "List required top-level scalar fields only: a key part must never be missing.",
          ),
        );
      }
    }
    const keyColumn: ColumnIR = {
      name: spec.name,
      description: spec.description,
      type: { kind: "string" },
      nullable: false,
      source: { kind: "surrogate_key", paths: [...spec.from] },
      normalize: [],
      pii: "none",
      partition: false,
      key: true,
      native: {},
      where,
    };
    return { keyColumns: [keyColumn], fieldColumns: [...fieldColumns], keyNames: [spec.name] };
  }
  const name = key.column;
  const columns = [...fieldColumns];
  const found = columns.findIndex((c) => c.name === name);
  const keyColumn = columns[found];
  if (!keyColumn || keyColumn.nullable) {
    ctx.diagnostics.push(
      diagnostic(
        "CONTRACT.BAD_REFERENCE",
        keyColumn ? `Key column "${name}" is nullable.` : `Key column "${name}" is not a column of the dataset.`,
        ctx.whereProperty(["key", "column"], "key"),
        "Name a processed column whose raw field is required and never null.",
      ),
    );
  } else {
    columns[found] = { ...keyColumn, key: true };
  }
  return { keyColumns: [], fieldColumns: columns, keyNames: [name] };
}
