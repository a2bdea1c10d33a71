/**
 * The processed (flattened) tables' Parquet file schema, in two forms:
 * - `<table>.parquet.txt`: the Parquet message type, as parquet-mr and `parquet-tools schema` print it;
 * - `<table>.arrow.json`: the Arrow schema, built with apache-arrow and serialised in Arrow's JSON integration
 *   format (`RecordBatchReader.from(json)` reads it back), with the contract facts as field metadata.
 *
 * Two facts shape both files:
 * - Partition columns live in the Hive-style path (`review_date=2018-06-17/`), not inside the files, so they are
 *   not in the file schema; the Arrow schema lists them in its `partition_columns` metadata.
 * - Every column is `optional`: Spark ("all columns are automatically converted to be nullable for compatibility
 *   reasons", https://spark.apache.org/docs/latest/sql-data-sources-parquet.html) and DuckDB both write OPTIONAL.
 *   The contract's NOT NULL is enforced by the cleaning job and dbt `not_null` tests, and kept here as the
 *   `contract.nullable` field metadata.
 */
import { arrow, type Arrow } from "./arrow.js";
import { mapType } from "../../dialects/type-table.js";
import { finalText, headerLines } from "../../lib/header.js";
import type { ColumnIR, ContractIR, DatasetIR, LogicalType, TableIR } from "../../ir/types.js";
import type { EmitResult, GeneratedFile, Target } from "../types.js";
import { ARROW_TYPES, PARQUET_TYPES } from "./types.js";

export function fileColumns(table: TableIR): ColumnIR[] {
  return table.columns.filter((c) => !c.partition);
}

function logicalTypeText(type: LogicalType): string {
  return type.kind === "decimal" ? `decimal(${type.precision},${type.scale})` : type.kind;
}

export function parquetMessageType(table: TableIR): string {
  const lines = fileColumns(table).map((column) => {
    const t = mapType(PARQUET_TYPES, column.type);
    return `  optional ${t.primitive} ${column.name}${t.annotation ? ` (${t.annotation})` : ""};`;
  });
  return `message ${table.name} {\n${lines.join("\n")}\n}\n`;
}

/** The Arrow schema of a table's files, with contract facts as metadata (sorted keys). */
export function arrowSchema(dataset: DatasetIR, table: TableIR): Arrow.Schema {
  const fields = fileColumns(table).map(
    (column) =>
      new arrow.Field(
        column.name,
        mapType(ARROW_TYPES, column.type),
        true,
        new Map([
          ["contract.logical_type", logicalTypeText(column.type)],
          ["contract.nullable", String(column.nullable)],
          ["contract.pii", column.pii],
        ]),
      ),
  );
  return new arrow.Schema(
    fields,
    new Map([
      ["contract.dataset", dataset.name],
      ["contract.hash", dataset.contract.hash],
      ["contract.version", dataset.contract.version],
      ["key_columns", table.key.join(",")],
      ["partition_columns", table.partitionBy.join(",")],
    ]),
  );
}

/** Arrow JSON integration format of an empty table with this schema, plus metadata (which arrow-js omits). */
async function arrowJson(dataset: DatasetIR, table: TableIR): Promise<string> {
  const schema = arrowSchema(dataset, table);
  const writer = arrow.RecordBatchJSONWriter.writeAll(new arrow.Table(schema));
  const parsed = JSON.parse(await writer.toString()) as { schema: { fields: Record<string, unknown>[] } };
  const metadata = (map: Map<string, string>) => [...map].map(([key, value]) => ({ key, value }));
  const fields = parsed.schema.fields.map((field, i) => ({ ...field, metadata: metadata(schema.fields[i]!.metadata) }));
  const document = {
    $comment: headerLines(dataset).join(" "),
    schema: { fields, metadata: metadata(schema.metadata) },
    batches: [],
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

export const parquetTarget: Target = {
  id: "parquet",
  description: "Parquet message type and Arrow schema of each processed table",
  async emit(ir: ContractIR): Promise<EmitResult> {
    const files: GeneratedFile[] = [];
    for (const dataset of ir.datasets) {
      for (const table of [dataset.table, ...dataset.children]) {
        const header = headerLines(dataset).map((line) => `# ${line}`).join("\n");
        const partitions = table.partitionBy.length
          ? `# Partition columns (in the path, not in the files): ${table.partitionBy.join(", ")}.\n`
          : "";
        files.push({
          path: `generated/parquet/${table.name}.parquet.txt`,
          contents: finalText(`${header}\n${partitions}${parquetMessageType(table)}`),
        });
        files.push({ path: `generated/parquet/${table.name}.arrow.json`, contents: await arrowJson(dataset, table) });
      }
    }
    return { files, diagnostics: [] };
  },
};
