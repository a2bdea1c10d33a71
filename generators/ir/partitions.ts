/**
 * Partition columns: each must be a non-null date, string or integer column, and they end the table (after
 * `processed_at`), flagged `partition: true`, in `partitionBy` order.
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
    }
  }
}

/** The table's columns in order: every other column, then `processed_at`, then the partition columns. */
export function partitionsLast(columns: readonly ColumnIR[], processedAt: ColumnIR, partitionBy: readonly string[]): ColumnIR[] {
  const isPartition = (c: ColumnIR) => partitionBy.includes(c.name);
  return [
    ...columns.filter((c) => !isPartition(c)),
    processedAt,
    ...partitionBy.flatMap((name) => columns.filter((c) => c.name === name).map((c) => ({ ...c, partition: true }))),
  ];
}
