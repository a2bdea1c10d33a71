/**
 * The column definitions of an external table over a processed table's Parquet files, rendered per engine from the
 * same IR columns: Snowflake (virtual columns over VALUE and METADATA$FILENAME) and DuckDB (the local pipeline's
 * stand-in: columns of `read_parquet(..., filename = true)`).
 *
 * - Regular columns read the Parquet column of the same name (Snowflake: the case-sensitive key in VALUE). A column
 *   whose field was renamed (`renamedFrom`, `ColumnIR.previousName`) reads the first non-null of its name and its
 *   previous one, so the files written before the rename still load.
 * - JSON text columns become the engine's semi-structured type (VARIANT / JSON).
 * - Partition columns come from the file path, anchored on the `/<name>=` token: Spark and DuckDB write them only
 *   into Hive-style folder names, never into the files.
 * - `source_file` is the file path, for lineage and deterministic dedup in staging.
 */
import type { ColumnIR, TableIR } from "../ir/types.js";
import { snowflakeIdent, snowflakeKey, snowflakeString } from "./snowflake-sql.js";
import { DUCKDB_DIALECT } from "./duckdb.js";
import { nativeType } from "./types.js";

export const SOURCE_FILE_COLUMN = "source_file";

/**
 * Snowflake's PATTERN (and the local stand-in's filter) over the file path under the table's folder: only Parquet
 * data files, in folders none of which starts with `_` or `.`, so Spark's `_SUCCESS`, `_temporary/…` attempt files
 * and hidden files never match (https://docs.snowflake.com/en/sql-reference/sql/create-external-table, PATTERN).
 */
export const DATA_FILE_PATTERN = "([^_./][^/]*/)*[^_./][^/]*[.]parquet";

export type ExternalDialect = "snowflake" | "duckdb";

interface DialectRules {
  /** The file path expression. */
  readonly filename: string;
  readonly string: (text: string) => string;
  readonly identifier: (name: string) => string;
  /**
   * A Parquet column read under the first of `names` a file has (a renamed column: its name, then its previous one),
   * converted by `as` from the engine's raw value.
   */
  readonly read: (names: readonly string[], as: (value: string) => string) => string;
  readonly value: (value: string, type: string) => string;
  readonly json: (value: string) => string;
  readonly splitPart: (text: string, separator: string, index: number) => string;
  readonly toDate: (text: string) => string;
  readonly toNumber: (text: string) => string;
}

const duckString = (text: string) => DUCKDB_DIALECT.string(text);

const RULES: Record<ExternalDialect, DialectRules> = {
  snowflake: {
    filename: "METADATA$FILENAME",
    string: snowflakeString,
    identifier: snowflakeIdent,
    // A key missing from a file's VALUE reads SQL NULL, and a JSON null cast to a type is SQL NULL too
    // (https://docs.snowflake.com/en/user-guide/semistructured-considerations, "NULL values"): COALESCE over the typed
    // reads takes whichever of the names the file was written with.
    read: (names, as) => {
      const reads = names.map((name) => as(`VALUE:${snowflakeKey(name)}`));
      return reads.length === 1 ? reads[0]! : `COALESCE(${reads.join(", ")})`;
    },
    value: (value, type) => `${value}::${type}`,
    // JSON text columns are parsed once here, so dbt and QuickSight get a VARIANT.
    json: (value) => `PARSE_JSON(${value}::VARCHAR)`,
    splitPart: (text, separator, index) => `SPLIT_PART(${text}, ${snowflakeString(separator)}, ${index})`,
    toDate: (text) => `TO_DATE(${text}, 'YYYY-MM-DD')`,
    toNumber: (text) => `TO_NUMBER(${text})`,
  },
  duckdb: {
    filename: "filename",
    string: duckString,
    identifier: DUCKDB_DIALECT.identifier,
    // A column no file of the view has is a binder error in DuckDB (the view has the union of the files' columns), so
    // the names are matched with COLUMNS, which keeps those some file has: the view still binds when no file carries
    // the previous name any more, or none the new one yet. A file carries one of the two, so the order in which
    // COLUMNS gives them does not matter (CONTRACT.NAME_COLLISION keeps the previous name from being a column again).
    // https://duckdb.org/docs/sql/expressions/star.html (COLUMNS with a lambda, unpacked with *COLUMNS).
    read: (names, as) =>
      as(names.length === 1 ? DUCKDB_DIALECT.identifier(names[0]!) : `coalesce(*COLUMNS(lambda c: c IN (${names.map(duckString).join(", ")})))`),
    value: (value, type) => `CAST(${value} AS ${type})`,
    json: (value) => `CAST(${value} AS JSON)`,
    splitPart: (text, separator, index) => `split_part(${text}, ${duckString(separator)}, ${index})`,
    toDate: (text) => `CAST(${text} AS DATE)`,
    toNumber: (text) => `CAST(${text} AS BIGINT)`,
  },
};

export interface ExternalColumn {
  readonly name: string;
  readonly type: string;
  readonly expression: string;
}

function partitionExpression(rules: DialectRules, column: ColumnIR): string {
  // Anchored on the `/<name>=` token, not on a folder position: the depth depends on the stage URL.
  const text = rules.splitPart(rules.splitPart(rules.filename, `/${column.name}=`, 2), "/", 1);
  switch (column.type.kind) {
    case "date":
      return rules.toDate(text);
    case "string":
      return text;
    case "int32":
    case "int64":
      return rules.toNumber(text);
    default:
      throw new Error(`Partition column ${column.name} has type ${column.type.kind}. This is a bug in the generator (the IR builder refuses it).`);
  }
}

export function externalColumnType(dialect: ExternalDialect, column: ColumnIR): string {
  if (dialect === "duckdb" && column.type.kind === "json") return "JSON";
  return nativeType(dialect, column);
}

/**
 * A column's expression; a column with a previous name (its own `previousName`, or the one contract review read from
 * the base contract) reads both names.
 */
export function externalColumnExpression(dialect: ExternalDialect, column: ColumnIR, previousName = column.previousName): string {
  const rules = RULES[dialect];
  if (column.partition) return partitionExpression(rules, column);
  const names = previousName === undefined || previousName === column.name ? [column.name] : [column.name, previousName];
  if (column.type.kind === "json") return rules.read(names, rules.json);
  const type = nativeType(dialect, column);
  return rules.read(names, (value) => rules.value(value, type));
}

/** Every column of the external table, in order, ending with `source_file`. */
export function externalColumns(dialect: ExternalDialect, table: TableIR): ExternalColumn[] {
  return [
    ...table.columns.map((c) => ({ name: c.name, type: externalColumnType(dialect, c), expression: externalColumnExpression(dialect, c) })),
    { name: SOURCE_FILE_COLUMN, type: "VARCHAR", expression: RULES[dialect].filename },
  ];
}

/**
 * The local stand-in of an external table: a DuckDB view over the table's Parquet files under `directory`, with the
 * same columns and the same data-file filter as the Snowflake table.
 */
/**
 * A folder's path as a literal part of a DuckDB glob pattern: `*`, `?` and `[` each in a class of its own (`[*]`),
 * which DuckDB's glob reads as that one character (a backslash escapes nothing there). Unescaped, `--out run[1]`
 * found no files, and `run[12]` would have read the tables of `run1` or `run2`.
 */
export function globLiteral(path: string): string {
  return path.replace(/[*?[]/g, "[$&]");
}

export function duckdbExternalView(viewName: string, table: TableIR, directory: string): string {
  const dir = directory.replace(/\/+$/, "");
  const columns = externalColumns("duckdb", table).map((c) => `  ${c.expression} AS "${c.name}"`);
  return (
    `CREATE OR REPLACE VIEW ${viewName} AS\nSELECT\n${columns.join(",\n")}\n` +
    `FROM read_parquet(${duckString(`${globLiteral(dir)}/**/*.parquet`)}, filename = true, hive_partitioning = false, union_by_name = true)\n` +
    `WHERE regexp_full_match(substr(filename, ${dir.length + 2}), ${duckString(DATA_FILE_PATTERN)})`
  );
}
