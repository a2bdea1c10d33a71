/**
 * dbt's own type table (sources document the Snowflake type, from `dialects/types.ts`'s Snowflake table):
 * - `PORTABLE_CASTS`: the type in the staging SQL's `cast(... as T)`, also the models' contract `data_type`. Staging
 *   runs on Snowflake and, locally, on DuckDB, so T must mean the same in both: `timestamp with time zone` is Snowflake's TIMESTAMP_TZ and DuckDB's
 *   TIMESTAMPTZ; `decimal(p,s)`, `bigint`, `double` are synonyms Snowflake accepts. JSON columns are not cast: they
 *   are VARIANT in the Snowflake external table and JSON locally (`undefined` = no cast).
 */
import type { TypeTable } from "../../dialects/type-table.js";

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

/**
 * A `data_type` in one spelling, to compare two (a mart's declared type with a staging column's): lower case, single
 * spaces, none around brackets and commas (`Decimal(2, 1)` → `decimal(2,1)`).
 */
export function canonicalDataType(dataType: string): string {
  return dataType.toLowerCase().replace(/\s+/g, " ").replace(/\s*\(\s*/g, "(").replace(/\s*,\s*/g, ",").replace(/\s*\)/g, ")").trim();
}
