/**
 * Partition columns: each must be a non-null date, string or integer column, and they end the table (after the
 * system columns `raw_modified_at` and `processed_at`), flagged `partition: true`, in `partitionBy` order.
 *
 * A partition's value is written into the folder name (`region=EU/`) and read back from it (the Snowflake external
 * table, the local views): the writers escape characters there, each its own set (DuckDB `EU: West` →
 * `EU%3A%20West`, Spark → `EU%3A West`, both `US/East` → `US%2FEast`), and nothing decodes them on the way back. So a
 * string partition column must list its accepted values, each made of characters no writer escapes.
 */
import { diagnostic } from "../lib/errors.js";
import type { DatasetContext } from "./dataset-context.js";
import type { ColumnIR } from "./types.js";

export function checkPartitionColumns(columns: readonly ColumnIR[], partitionBy: readonly string[], ctx: DatasetContext): void {
  for (const name of partitionBy) {
    const column = columns.find((c) => c.name === name);
    if (!column || column.nullable || !["date", "string", "int32", "int64"].includes(column.type.kind)) {
      ctx.diagnostics.push(
        diagnostic(
          "CONTRACT.BAD_REFERENCE",
          `Partition column "${name}" is ${column ? "nullable or not a date, string or integer" : "not a column of the dataset"}.`,
          ctx.whereProperty(["partitionBy"], "partitionBy"),
          "Partition by a non-null date, string or integer column (e.g. a derived review_date).",
        ),
      );
      continue;
    }
    if (column.type.kind === "string" && !(column.acceptedValues?.length && column.acceptedValues.every((v) => typeof v === "string" && SAFE_PARTITION_VALUE.test(v)))) {
      ctx.diagnostics.push(
        diagnostic(
          "CONTRACT.BAD_REFERENCE",
          `Partition column "${name}" is a string whose values are not limited to letters, digits, "_", "." and "-": ` +
            "they go into folder names, which the engines escape differently (EU: West → EU%3A%20West or EU%3A West) and the warehouse reads back as written.",
          ctx.whereProperty(["partitionBy"], "partitionBy"),
          `List the column's acceptedValues, each of letters, digits, "_", "." and "-" (e.g. ["EU-West", "US-East"]), or partition by a date or integer column.`,
        ),
      );
    }
  }
}

const SAFE_PARTITION_VALUE = /^[A-Za-z0-9_.-]+$/;

/** The table's columns in order: every other column, then the system columns (`raw_modified_at`, `processed_at`), then the partition columns. */
export function partitionsLast(columns: readonly ColumnIR[], system: readonly ColumnIR[], partitionBy: readonly string[]): ColumnIR[] {
  const isPartition = (c: ColumnIR) => partitionBy.includes(c.name);
  return [
    ...columns.filter((c) => !isPartition(c)),
    ...system,
    ...partitionBy.flatMap((name) => columns.filter((c) => c.name === name).map((c) => ({ ...c, partition: true }))),
  ];
}
