/**
 * DuckDB rendering of the expression tree (DuckDB 1.5, https://duckdb.org/docs/stable/sql/functions/overview).
 * JSON values are DuckDB's JSON type; regexes run on RE2, which reads the portable subset like JavaScript.
 */
import { mapType } from "./type-table.js";
import { DUCKDB_TYPES } from "./types.js";
import { DialectError, inTimestampRange, MONTH_DAY_YEAR_PATTERN, type DialectTable } from "./render.js";
import type { Expr } from "./expr.js";

const str = (value: string) => `'${value.replace(/'/g, "''")}'`;
const WHITESPACE = "(' ' || chr(9) || chr(13) || chr(10))";

/** A column, or a field of one (a lambda variable is a column here): cheap to name more than once. */
const isColumnValue = (e: Expr): boolean => e.op === "ref" || (e.op === "field" && isColumnValue(e.value));

function literalPattern(arg: Expr | undefined, fn: string): string {
  if (arg?.op !== "lit" || typeof arg.value !== "string") throw new DialectError("duckdb", fn, "the pattern must be a literal.", "pass lit(pattern).");
  return arg.value;
}

export const DUCKDB_DIALECT: DialectTable = {
  name: "duckdb",
  string: str,
  identifier: (name) => `"${name.replace(/"/g, '""')}"`,
  // RE2 reads the admitted subset as JavaScript does (`$` is end of text without the m flag).
  regex: (pattern) => str(pattern),
  type: (type) => mapType(DUCKDB_TYPES, type),
  functions: {
    regex_search: ([text], raw) => `regexp_matches(${text}, ${str(literalPattern(raw[1], "regex_search"))})`,
    regex_extract_all: ([text], raw) => `regexp_extract_all(${text}, ${str(literalPattern(raw[1], "regex_extract_all"))})`,
    // length(), strpos() and substr() count code points (not grapheme clusters: that is length_grapheme), as Zod 4
    // and JSON Schema do.
    codepoint_length: ([text]) => `length(${text})`,
    string_position: ([text, search]) => `strpos(${text}, ${search})`,
    substring: (args) => `substr(${args.join(", ")})`,
    replace: ([text, search, replacement]) => `replace(${text}, ${search}, ${replacement})`,
    // trim() walks the whole string (13× slower on review texts); most values need no trimming at all. The CASE names
    // the value ten times, and DuckDB computes it again each time (it shares nothing under a CASE): only a column or a
    // field of one is cheap enough for that; any other value (a map lookup) is trimmed by trim() once.
    trim_whitespace: ([text], [raw]) => {
      if (!isColumnValue(raw!)) return `trim(${text}, ${WHITESPACE})`;
      const edges = ["' '", "chr(9)", "chr(10)", "chr(13)"].flatMap((c) => [`starts_with(${text}, ${c})`, `ends_with(${text}, ${c})`]).join(" OR ");
      return `CASE WHEN ${edges} THEN trim(${text}, ${WHITESPACE}) ELSE ${text} END`;
    },
    sha256_hex: ([text]) => `sha256(${text})`,
    to_text: ([value]) => `CAST(${value} AS VARCHAR)`,
    // DuckDB's floor(DOUBLE) is a DOUBLE (no saturation).
    floor: ([x]) => `floor(${x})`,
    list_length: ([list]) => `len(${list})`,
    to_json_text: ([value]) => `CAST(to_json(${value}) AS VARCHAR)`,
    list_join: ([list, separator]) => `array_to_string(${list}, ${separator})`,
    codepoint_to_text: ([codePoint]) => `chr(${codePoint})`,
    hex_to_integer: ([text]) => `CAST('0x' || ${text} AS INTEGER)`,
    // %B reads full month names only, %b the three-letter ones only.
    parse_month_day_year: ([text]) =>
      `CASE WHEN regexp_matches(${text}, ${str(MONTH_DAY_YEAR_PATTERN)}) THEN CAST(coalesce(try_strptime(${text}, '%B %d, %Y'), try_strptime(${text}, '%b %d, %Y')) AS DATE) END`,
    epoch_seconds_to_timestamp: ([seconds]) => `CASE WHEN ${inTimestampRange(seconds!)} THEN to_timestamp(${seconds}) END`,
    // The day count since 1970-01-01 (as Spark's date_from_unix_date), not the timestamp converted to a UTC date: that
    // conversion goes through the time-zone library and took 0.11 s per 1M values against 0.02 s.
    epoch_seconds_to_date: ([seconds]) => `CASE WHEN ${inTimestampRange(seconds!)} THEN DATE '1970-01-01' + CAST(floor(${seconds} / 86400) AS INTEGER) END`,
    strip_trailing_colon: ([text]) => `regexp_replace(${text}, ':$', '')`,
    map_keys: ([map]) => `map_keys(${map})`,
    map_values: ([map]) => `map_values(${map})`,
    // list_position gives NULL when the key is absent, and a list indexed by NULL gives NULL.
    list_lookup: ([keys, values, key]) => `${values}[list_position(${keys}, ${key})]`,
    // No `invalid_utf8`: a DuckDB VARCHAR cannot hold invalid UTF-8; the local reader checks the bytes first.
  },
  jsonGet: (json, key) => {
    if (/["\\]/.test(key)) throw new DialectError("duckdb", `JSON member ${JSON.stringify(key)}`, "a key with a quote or backslash cannot be written in a JSON path.", "rename the raw field.");
    return `json_extract(${json}, ${str(`$."${key}"`)})`;
  },
  jsonType: (json) =>
    `CASE json_type(${json}) WHEN 'VARCHAR' THEN 'string' WHEN 'BOOLEAN' THEN 'boolean' WHEN 'NULL' THEN 'null' ` +
    `WHEN 'ARRAY' THEN 'array' WHEN 'OBJECT' THEN 'object' WHEN 'BIGINT' THEN 'number' WHEN 'UBIGINT' THEN 'number' WHEN 'DOUBLE' THEN 'number' END`,
  jsonElements: (json) => `CASE WHEN json_type(${json}) = 'ARRAY' THEN json_extract(${json}, '$[*]') ELSE CAST([] AS JSON[]) END`,
  jsonValues: (json) => `CASE WHEN json_type(${json}) = 'OBJECT' THEN json_extract(${json}, '$.*') ELSE CAST([] AS JSON[]) END`,
  // TRY_CAST: a rule reads a scalar only where json_type says it has that type, but DuckDB may evaluate both sides
  // of an AND (its optimizer reorders conjunctions), and CAST of the JSON value `true` to DOUBLE raises; the guard
  // decides the result, so NULL here never changes a verdict.
  jsonScalar: (json, as) =>
    as === "string"
      ? `json_extract_string(${json}, '$')`
      : as === "boolean"
        ? `TRY_CAST(${json} AS BOOLEAN)`
        : as === "double"
          ? `TRY_CAST(${json} AS DOUBLE)`
          : `TRY_CAST(TRY_CAST(${json} AS DOUBLE) AS BIGINT)`,
  lambda: (variable, body) => `lambda "${variable}": ${body}`,
  exists: (list, lambda) => `(len(list_filter(${list}, ${lambda})) > 0)`,
  filter: (list, lambda) => `list_filter(${list}, ${lambda})`,
  transform: (list, lambda) => `list_transform(${list}, ${lambda})`,
  elementAt: (list, index) => `${list}[${index}]`,
  mapEntries: (map) => `map_entries(${map})`,
  // A repeated key (valid JSON: `{"a": 1, "a": 2}`) stays in a map read by json_transform, and map_from_entries
  // refuses it; such a map keeps each key's first entry, as DuckDB's reader keeps a repeated member's first value
  // (Spark keeps the last: runners/spark-local/README.md). Only the maps that fail are built twice.
  mapFromEntries: (entries) =>
    `coalesce(try(map_from_entries(${entries})), map_from_entries(list_filter(${entries}, lambda "_entry", "_index": ` +
    `list_position(list_transform(${entries}, lambda "_other": struct_extract("_other", 'key')), struct_extract("_entry", 'key')) = "_index")))`,
  arrayOf: (items) => `[${items.join(", ")}]`,
  field: (value, name) => `struct_extract(${value}, ${str(name)})`,
};

/**
 * `json_transform` structure of a typed raw shape (https://duckdb.org/docs/stable/data/json/json_functions#json-transform):
 * integers are read as DOUBLE (`duckdbStoredType` is what they are stored as).
 */
export function duckdbStructure(shape: import("./cleaning.js").RawShape): unknown {
  switch (shape.kind) {
    case "string":
      return "VARCHAR";
    case "double":
    case "integer":
      return "DOUBLE";
    case "boolean":
      return "BOOLEAN";
    case "json":
      return "JSON";
    case "list":
      return [duckdbStructure(shape.element)];
    case "map": {
      const value = duckdbStructure(shape.value);
      if (typeof value !== "string") throw new DialectError("duckdb", "a map of non-scalar values", "json_transform reads only scalar map values.", "store the field as JSON text (`type: types.json`).");
      return `MAP(VARCHAR, ${value})`;
    }
    case "struct":
      return Object.fromEntries(shape.fields.map((f) => [f.name, duckdbStructure(f.shape)]));
  }
}

/**
 * The DuckDB type a typed raw value is stored as in the cleaned zone: its `json_transform` read with every integer,
 * at any depth, BIGINT (a cast of the read: DuckDB casts lists, maps and structs element by element, structs by name).
 */
export function duckdbStoredType(shape: import("./cleaning.js").RawShape): string {
  switch (shape.kind) {
    case "string":
      return "VARCHAR";
    case "double":
      return "DOUBLE";
    case "integer":
      return "BIGINT";
    case "boolean":
      return "BOOLEAN";
    case "json":
      return "JSON";
    case "list":
      return `${duckdbStoredType(shape.element)}[]`;
    case "map":
      return `MAP(VARCHAR, ${duckdbStoredType(shape.value)})`;
    case "struct":
      return `STRUCT(${shape.fields.map((f) => `${DUCKDB_DIALECT.identifier(f.name)} ${duckdbStoredType(f.shape)}`).join(", ")})`;
  }
}
