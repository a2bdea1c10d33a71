/**
 * Native column types per engine. Emitters use `nativeType(dialect, column)`, which honours a column's
 * Snowflake override (`column(..., { native: { snowflake: "VARCHAR(64)" } })`); Spark and DuckDB follow the logical type.
 */
import type { ColumnIR } from "../ir/types.js";
import { mapType, type TypeTable } from "./type-table.js";

export type Dialect = "spark" | "duckdb" | "snowflake";

/** Spark SQL type names (Glue 4.0 / Spark 3.3 and Glue 5 / Spark 3.5). */
export const SPARK_TYPES: TypeTable<string> = {
  string: () => "STRING",
  boolean: () => "BOOLEAN",
  int32: () => "INT",
  int64: () => "BIGINT",
  float64: () => "DOUBLE",
  decimal: (t) => `DECIMAL(${t.precision},${t.scale})`,
  date: () => "DATE",
  // TimestampType is an instant (session time zone UTC); written as INT64 TIMESTAMP_MICROS, never INT96:
  // https://spark.apache.org/docs/latest/sql-data-sources-parquet.html#configuration (outputTimestampType).
  timestamp: () => "TIMESTAMP",
  json: () => "STRING",
};

/** DuckDB type names. */
export const DUCKDB_TYPES: TypeTable<string> = {
  string: () => "VARCHAR",
  boolean: () => "BOOLEAN",
  int32: () => "INTEGER",
  int64: () => "BIGINT",
  float64: () => "DOUBLE",
  decimal: (t) => `DECIMAL(${t.precision},${t.scale})`,
  date: () => "DATE",
  // TIMESTAMPTZ is written to Parquet as TIMESTAMP(MICROS, isAdjustedToUTC=true), like Spark's TimestampType.
  timestamp: () => "TIMESTAMPTZ",
  // JSON text stays VARCHAR so the Parquet column is a plain STRING, the same as Spark writes.
  json: () => "VARCHAR",
};

/** Snowflake type names (https://docs.snowflake.com/en/sql-reference/intro-summary-data-types). */
export const SNOWFLAKE_TYPES: TypeTable<string> = {
  string: () => "VARCHAR",
  boolean: () => "BOOLEAN",
  int32: () => "NUMBER(10,0)",
  int64: () => "NUMBER(19,0)",
  float64: () => "FLOAT",
  decimal: (t) => `NUMBER(${t.precision},${t.scale})`,
  date: () => "DATE",
  // Parquet TIMESTAMP(isAdjustedToUTC=true) is an instant; TIMESTAMP_TZ keeps it one.
  timestamp: () => "TIMESTAMP_TZ",
  // JSON text is parsed once in the external table, so dbt and QuickSight get a VARIANT.
  json: () => "VARIANT",
};

const TABLES: Record<Dialect, TypeTable<string>> = { spark: SPARK_TYPES, duckdb: DUCKDB_TYPES, snowflake: SNOWFLAKE_TYPES };

export function nativeType(dialect: Dialect, column: Pick<ColumnIR, "type" | "native">): string {
  return (dialect === "snowflake" ? column.native.snowflake : undefined) ?? mapType(TABLES[dialect], column.type);
}
