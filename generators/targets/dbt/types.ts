/**
 * Two type tables for dbt:
 * - `DBT_DATA_TYPES`: the Snowflake type written as a column's `data_type` in the models YAML (dbt model contracts
 *   compare it with the built relation, ignoring size and precision:
 *   https://docs.getdbt.com/reference/resource-configs/contract).
 * - `PORTABLE_CASTS`: the type in the staging SQL's `cast(... as T)`. Staging runs on Snowflake and, locally, on
 *   DuckDB, so T must mean the same in both: `timestamp with time zone` is Snowflake's TIMESTAMP_TZ and DuckDB's
 *   TIMESTAMPTZ; `decimal(p,s)`, `bigint`, `double` are synonyms Snowflake accepts. JSON columns are not cast: they
 *   are VARIANT in the Snowflake external table and JSON locally (`undefined` = no cast).
 */
import type { TypeTable } from "../../dialects/type-table.js";

export const DBT_DATA_TYPES: TypeTable<string> = {
  string: () => "varchar",
  boolean: () => "boolean",
  int32: () => "number(10,0)",
  int64: () => "number(19,0)",
  float64: () => "float",
  decimal: (t) => `number(${t.precision},${t.scale})`,
  date: () => "date",
  timestamp: () => "timestamp_tz",
  json: () => "variant",
};

export const PORTABLE_CASTS: TypeTable<string | undefined> = {
  string: () => "varchar",
  boolean: () => "boolean",
  int32: () => "integer",
  int64: () => "bigint",
  float64: () => "double",
  decimal: (t) => `decimal(${t.precision}, ${t.scale})`,
  date: () => "date",
  timestamp: () => "timestamp with time zone",
  json: () => undefined,
};
