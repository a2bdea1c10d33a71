/**
 * A child table (one row per element of an array field) gets its parent's key, a position and the parent's partitions.
 * Exactly the parent's: the local pipeline replaces the partitions a run writes, so a child partitioned more coarsely
 * than its parent (say by month under a daily parent) would lose the rows of every other day of that month written
 * by earlier runs, while their parents stay; and a parent's partition is where a reader looks for its children.
 */
import type { ChildTableIR, ColumnIR } from "./types.js";

/** Child table columns: parent key, position, element, then the parent's trailing columns (raw_modified_at, processed_at, partitions). */
export function finishChild(child: ChildTableIR, parentKey: readonly ColumnIR[], partitions: readonly ColumnIR[]): ChildTableIR {
  const keyColumns: ColumnIR[] = parentKey.map((k) => ({
    ...k,
    description: `Key of the parent ${child.parent} row.`,
    source: { kind: "parent_key", column: k.name },
    normalize: [],
    key: true,
    references: { dataset: child.parent, column: k.name },
  }));
  const element = child.columns[0]!;
  const position: ColumnIR = {
    name: "position",
    description: `0-based position of the element in ${child.parent}.${child.arrayPath}.`,
    type: { kind: "int32" },
    nullable: false,
    source: { kind: "array_position", path: child.arrayPath },
    normalize: [],
    pii: "none",
    partition: false,
    key: true,
    native: {},
    where: element.where,
  };
  return {
    ...child,
    columns: [...keyColumns, position, ...child.columns, ...partitions],
    key: [...keyColumns.map((k) => k.name), "position"],
    partitionBy: partitions.filter((p) => p.partition).map((p) => p.name),
  };
}
