/**
 * Logical type → Parquet primitive and annotation, and → Arrow type. The annotations are the ones Spark 3.3+
 * (`spark.sql.parquet.outputTimestampType=TIMESTAMP_MICROS`, non-legacy decimals) and DuckDB both write, and
 * Snowflake reads: https://github.com/apache/parquet-format/blob/master/LogicalTypes.md
 */
import { arrow, type Arrow } from "./arrow.js";
import type { TypeTable } from "../../dialects/type-table.js";

export interface ParquetType {
  /** Primitive type as written in a message type (`binary`, `int64`, `fixed_len_byte_array(16)`). */
  readonly primitive: string;
  /** Logical type annotation (`STRING`, `DECIMAL(12,2)`), if any. */
  readonly annotation?: string;
}

/** Bytes a FIXED_LEN_BYTE_ARRAY decimal of this precision needs. */
function decimalBytes(precision: number): number {
  let bytes = 1;
  while (Math.pow(2, 8 * bytes - 1) < Math.pow(10, precision)) bytes++;
  return bytes;
}

export const PARQUET_TYPES: TypeTable<ParquetType> = {
  string: () => ({ primitive: "binary", annotation: "STRING" }),
  boolean: () => ({ primitive: "boolean" }),
  int32: () => ({ primitive: "int32", annotation: "INTEGER(32,true)" }),
  int64: () => ({ primitive: "int64", annotation: "INTEGER(64,true)" }),
  float64: () => ({ primitive: "double" }),
  // Decimals up to 9 digits are INT32, up to 18 INT64, wider ones FIXED_LEN_BYTE_ARRAY (LogicalTypes.md#decimal).
  decimal: (t) => ({
    primitive: t.precision <= 9 ? "int32" : t.precision <= 18 ? "int64" : `fixed_len_byte_array(${decimalBytes(t.precision)})`,
    annotation: `DECIMAL(${t.precision},${t.scale})`,
  }),
  date: () => ({ primitive: "int32", annotation: "DATE" }),
  // Never INT96 (deprecated; readers disagree on it): INT64 micros, adjusted to UTC.
  timestamp: () => ({ primitive: "int64", annotation: "TIMESTAMP(MICROS,true)" }),
  // JSON text is a plain string column: Spark has no JSON annotation and Snowflake parses the text.
  json: () => ({ primitive: "binary", annotation: "STRING" }),
};

export const ARROW_TYPES: TypeTable<Arrow.DataType> = {
  string: () => new arrow.Utf8(),
  boolean: () => new arrow.Bool(),
  int32: () => new arrow.Int32(),
  int64: () => new arrow.Int64(),
  float64: () => new arrow.Float64(),
  decimal: (t) => new arrow.Decimal(t.scale, t.precision, 128),
  date: () => new arrow.DateDay(),
  timestamp: () => new arrow.TimestampMicrosecond("UTC"),
  json: () => new arrow.Utf8(),
};
