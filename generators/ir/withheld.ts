/**
 * Sensitive columns (`pii: "sensitive"`) never leave the cleaned zone: the raw field is validated and stays inside
 * the cleaned record, but its column is moved out of the processed table into `TableIR.withheld`, so no emitter can
 * write it (flatten job, Parquet, Snowflake, dbt, QuickSight all read `columns`).
 *
 * Refused with `CONTRACT.PII_LEAK`, because they would carry protected data past its protection:
 * - a sensitive column the table needs (its key or a partition), or the element of a child table;
 * - a personal column as the key (dbt staging replaces it with its pseudonym, so staging would lose its key, while
 *   the key is written in clear into every child table's rows and every reference to it);
 * - a personal column as a partition (its values become S3 paths and the external table's partition column, which
 *   no masking policy reaches);
 * - a surrogate key computed from a personal or sensitive field (an unkeyed hash of a name is not a pseudonym);
 * - a derived column classed lower than the field it is computed from;
 * - (across datasets, `checks.ts`) a column referencing a column of a higher class.
 */
import { diagnostic } from "../lib/errors.js";
import type { DatasetContext } from "./dataset-context.js";
import type { WalkedField } from "./from-zod.js";
import type { ChildTableIR, ColumnIR, PiiClass } from "./types.js";

const RANK: Readonly<Record<PiiClass, number>> = { none: 0, personal: 1, sensitive: 2 };

/** Whether `to` is a lower class than `from` (personal → none, sensitive → personal or none). */
export function lowersPiiClass(from: PiiClass, to: PiiClass): boolean {
  return RANK[to] < RANK[from];
}

/** The class of the top-level raw field `key` (its own column's class), `none` when it has no metadata. */
function fieldClass(walked: readonly WalkedField[], key: string): PiiClass {
  return walked.find((w) => w.raw.key === key)?.meta?.pii ?? "none";
}

/** Splits the main table's columns into what is written (`columns`) and what stays in the cleaned zone (`withheld`). */
export function withholdSensitive(
  columns: readonly ColumnIR[],
  children: readonly ChildTableIR[],
  walked: readonly WalkedField[],
  ctx: DatasetContext,
): { columns: ColumnIR[]; withheld: ColumnIR[] } {
  const leak = (column: ColumnIR, message: string, fix: string) => ctx.diagnostics.push(diagnostic("CONTRACT.PII_LEAK", message, column.where, fix));
  for (const column of columns) {
    if (column.pii === "sensitive" && (column.key || column.partition)) {
      leak(
        column,
        `Sensitive column "${column.name}" is the table's ${column.key ? "key" : "partition"}: sensitive data stays in the cleaned zone, and a ${column.key ? "key" : "partition"} is written to every processed table.`,
        column.key ? "Key the dataset on other fields (a surrogate over non-personal fields), or lower the class with a reviewer's note (piiReview)." : "Partition by a column that is not sensitive.",
      );
    }
    if (column.pii === "personal" && column.key) {
      leak(
        column,
        `Personal column "${column.name}" is the table's key: dbt staging replaces a personal column with its keyed pseudonym, so the staging model would lose the key it deduplicates and joins on, while the clear value is the key of every child table row and of every reference to it.`,
        "Key the dataset on fields that are not personal (a surrogate over non-personal fields), or classify the column none with a reviewer's note (piiReview).",
      );
    }
    if (column.pii === "personal" && column.partition) {
      leak(
        column,
        `Personal column "${column.name}" is a partition: its values would become S3 folder names and the external table's partition column, which no masking policy reaches.`,
        "Partition by a column that is not personal (e.g. a date).",
      );
    }
    if (column.source.kind === "surrogate_key") {
      for (const path of column.source.paths) {
        const pii = fieldClass(walked, path);
        if (pii !== "none") {
          leak(
            column,
            `Surrogate key "${column.name}" is computed from ${pii} field "${path}": an unkeyed SHA-256 of personal data can be reversed by hashing candidate values.`,
            `Compute the key from fields that are not personal, or classify "${path}" as none with a reviewer's note (piiReview).`,
          );
        }
      }
    }
    if (column.source.kind === "field" && !column.key) {
      const pii = fieldClass(walked, column.source.path.split(/[.[{]/)[0]!);
      if (lowersPiiClass(pii, column.pii)) {
        leak(
          column,
          `Column "${column.name}" is classed ${column.pii} but is computed from ${pii} field "${column.source.path}".`,
          `Declare pii: "${pii}" on the derived column (a class at least the field's).`,
        );
      }
    }
  }
  for (const child of children) {
    for (const column of child.columns.filter((c) => c.pii === "sensitive")) {
      leak(
        column,
        `Child table "${child.name}" would hold sensitive column "${column.name}": sensitive data stays in the cleaned zone.`,
        "Store the array as JSON text (array: { json: true }), which keeps it in the cleaned zone only, or lower the class with a reviewer's note (piiReview).",
      );
    }
  }
  return { columns: columns.filter((c) => c.pii !== "sensitive"), withheld: columns.filter((c) => c.pii === "sensitive") };
}
