/**
 * Spark SQL rendering of the expression tree, for Glue 4.0 (Spark 3.3) and Glue 5 (Spark 3.5): only functions both
 * have (https://spark.apache.org/docs/3.3.0/api/sql/index.html). The job runs with `spark.sql.ansi.enabled=false`,
 * so `element_at` out of range and failed casts give NULL, as in DuckDB.
 *
 * Spark SQL has no function that tells a JSON string from a number or keeps a member's JSON text (`get_json_object`
 * unquotes strings), so three small Python UDFs, generated into the job (`contract_json_get`,
 * `contract_json_elements`, `contract_json_values`), return canonical JSON text (Python `json.dumps`). Every other
 * JSON question is answered natively from that canonical text.
 */
import { mapType } from "./type-table.js";
import { SPARK_TYPES } from "./types.js";
import { DialectError, inTimestampRange, MONTH_DAY_YEAR_PATTERN, type DialectTable } from "./render.js";
import type { Expr } from "./expr.js";

/**
 * Spark string literals process backslash escapes (https://spark.apache.org/docs/latest/sql-ref-literals.html#string-literal).
 * `$` is written `\u0024`: Spark replaces `${var}`, `${spark.…}` and `${env:NAME}` anywhere in SQL text before
 * parsing it (spark.sql.variable.substitute, on by default; the jobs also turn it off), string literals included.
 */
export function sparkString(value: string): string {
  const escaped = value.replace(/[\\'\n\r\t$]/g, (c) => ({ "\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t", $: "\\u0024" })[c]!);
  return `'${escaped}'`;
}

/**
 * ECMAScript → Java regex for the portable subset (`generators/ir/regex.ts`): the only difference is `$`, which in
 * Java also matches before a final line terminator, so it is written `\z` (end of input).
 * https://docs.oracle.com/javase/8/docs/api/java/util/regex/Pattern.html#lt
 */
export function javaRegex(pattern: string): string {
  let out = "";
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "\\") {
      out += c + (pattern[i + 1] ?? "");
      i++;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
    } else if (c === "[") {
      inClass = true;
    } else if (c === "$") {
      out += "\\z";
      continue;
    }
    out += c;
  }
  return out;
}

function literalPattern(arg: Expr | undefined, fn: string): string {
  if (arg?.op !== "lit" || typeof arg.value !== "string") throw new DialectError("spark", fn, "the pattern must be a literal.", "pass lit(pattern).");
  return arg.value;
}

const rlike = (text: string, pattern: string) => `(${text} RLIKE ${sparkString(javaRegex(pattern))})`;

export const SPARK_DIALECT: DialectTable = {
  name: "spark",
  string: sparkString,
  identifier: (name) => `\`${name.replace(/`/g, "``")}\``,
  regex: (pattern) => sparkString(javaRegex(pattern)),
  type: (type) => mapType(SPARK_TYPES, type),
  functions: {
    // RLIKE is a search (Matcher.find), like JavaScript's RegExp.test.
    regex_search: ([text], raw) => rlike(text!, literalPattern(raw[1], "regex_search")),
    // Group 0: the whole match.
    regex_extract_all: ([text], raw) => `regexp_extract_all(${text}, ${sparkString(javaRegex(literalPattern(raw[1], "regex_extract_all")))}, 0)`,
    // Spark's length(), instr() and substr() count code points (UTF8String characters), as Zod 4 and JSON Schema do.
    codepoint_length: ([text]) => `length(${text})`,
    string_position: ([text, search]) => `instr(${text}, ${search})`,
    substring: (args) => `substr(${args.join(", ")})`,
    replace: ([text, search, replacement]) => `replace(${text}, ${search}, ${replacement})`,
    trim_whitespace: ([text]) => `trim(BOTH ' \\t\\r\\n' FROM ${text})`,
    sha256_hex: ([text]) => `sha2(${text}, 256)`,
    to_text: ([value]) => `CAST(${value} AS STRING)`,
    // Spark's floor(DOUBLE) returns BIGINT and saturates beyond 2^63 (floor(1e300) = 9223372036854775807, so 1e300
    // would not be an integer); this stays a DOUBLE. % on doubles is IEEE fmod, exact, with the dividend's sign. An
    // infinity (a JSON number beyond a double's range, 1e999) is its own floor, as in DuckDB (inf % 1 is NaN).
    floor: ([x]) => `CASE WHEN abs(${x}) = double('Infinity') THEN ${x} ELSE (${x} - (${x} % 1) - CASE WHEN (${x} % 1) < 0 THEN 1 ELSE 0 END) END`,
    list_length: ([list]) => `size(${list})`,
    to_json_text: ([value]) => `to_json(${value})`,
    list_join: ([list, separator]) => `array_join(${list}, ${separator})`,
    // chr() is Latin-1 only (it takes the code point modulo 256); a code point is decoded from its UTF-32BE bytes.
    // https://spark.apache.org/docs/3.3.0/api/sql/index.html#chr
    codepoint_to_text: ([codePoint]) => `decode(unhex(lpad(hex(${codePoint}), 8, '0')), 'UTF-32BE')`,
    hex_to_integer: ([text]) => `CAST(conv(${text}, 16, 10) AS INT)`,
    // Needs spark.sql.legacy.timeParserPolicy=CORRECTED (set by the job): "February 30" is NULL, not an upgrade error.
    // MMMM reads full month names only, MMM the three-letter ones only.
    parse_month_day_year: ([text]) =>
      `CASE WHEN ${rlike(text!, MONTH_DAY_YEAR_PATTERN)} THEN coalesce(to_date(${text}, 'MMMM d, yyyy'), to_date(${text}, 'MMM d, yyyy')) END`,
    epoch_seconds_to_timestamp: ([seconds]) => `CASE WHEN ${inTimestampRange(seconds!)} THEN timestamp_seconds(${seconds}) END`,
    // Day arithmetic, so the date does not depend on the session time zone.
    epoch_seconds_to_date: ([seconds]) => `CASE WHEN ${inTimestampRange(seconds!)} THEN date_from_unix_date(CAST(floor(${seconds} / 86400) AS INT)) END`,
    strip_trailing_colon: ([text]) => `regexp_replace(${text}, ':\\\\z', '')`,
    map_keys: ([map]) => `map_keys(${map})`,
    map_values: ([map]) => `map_values(${map})`,
    // array_position is 1-based, 0 when absent (element_at(…, 0) raises, hence nullif: a NULL index gives NULL), NULL
    // for a NULL array.
    list_lookup: ([keys, values, key]) => `element_at(${values}, CAST(nullif(array_position(${keys}, ${key}), 0) AS INT))`,
    // Java decodes malformed UTF-8 to U+FFFD; the bytes round-trip unchanged exactly when they were valid.
    invalid_utf8: ([value]) => `(encode(decode(CAST(${value} AS BINARY), 'UTF-8'), 'UTF-8') <> CAST(${value} AS BINARY))`,
  },
  jsonGet: (json, key) => `contract_json_get(${json}, ${sparkString(key)})`,
  // The UDFs return canonical JSON text (no leading space), so the first character tells the type.
  jsonType: (json) =>
    `CASE WHEN ${json} IS NULL THEN NULL WHEN ${json} = 'null' THEN 'null' WHEN ${json} IN ('true', 'false') THEN 'boolean' ` +
    `WHEN substr(${json}, 1, 1) = '"' THEN 'string' WHEN substr(${json}, 1, 1) = '[' THEN 'array' WHEN substr(${json}, 1, 1) = '{' THEN 'object' ELSE 'number' END`,
  jsonElements: (json) => `contract_json_elements(${json})`,
  jsonValues: (json) => `contract_json_values(${json})`,
  // Wrapping the canonical text in [ ] makes it a document from_json reads with an explicit element type.
  jsonScalar: (json, as) => {
    const element = { string: "STRING", boolean: "BOOLEAN", double: "DOUBLE", bigint: "DOUBLE" }[as];
    const value = `element_at(from_json(concat('[', ${json}, ']'), 'ARRAY<${element}>'), 1)`;
    return as === "bigint" ? `CAST(${value} AS BIGINT)` : value;
  },
  lambda: (variable, body) => `${variable} -> ${body}`,
  exists: (list, lambda) => `exists(${list}, ${lambda})`,
  filter: (list, lambda) => `filter(${list}, ${lambda})`,
  transform: (list, lambda) => `transform(${list}, ${lambda})`,
  elementAt: (list, index) => `element_at(${list}, ${index})`,
  mapEntries: (map) => `map_entries(${map})`,
  mapFromEntries: (entries) => `map_from_entries(${entries})`,
  arrayOf: (items) => `array(${items.join(", ")})`,
  field: (value, name) => `${value}.\`${name.replace(/`/g, "``")}\``,
  jsonNodesOutsideLambdasOnly: true,
};

/**
 * Spark DDL type of a typed raw shape: as read (`"read"`: integers are DOUBLE, since the typed read refuses JSON
 * `5.0` as a long) or as stored in the cleaned zone (`"stored"`: integers at any depth BIGINT, the type the clean job
 * casts the read to).
 */
export function sparkDdl(shape: import("./cleaning.js").RawShape, as: "read" | "stored" = "read"): string {
  switch (shape.kind) {
    case "string":
    case "json":
      return "STRING";
    case "double":
      return "DOUBLE";
    case "integer":
      return as === "read" ? "DOUBLE" : "BIGINT";
    case "boolean":
      return "BOOLEAN";
    case "list":
      return `ARRAY<${sparkDdl(shape.element, as)}>`;
    case "map":
      return `MAP<STRING, ${sparkDdl(shape.value, as)}>`;
    case "struct":
      return `STRUCT<${shape.fields.map((f) => `\`${f.name.replace(/`/g, "``")}\`: ${sparkDdl(f.shape, as)}`).join(", ")}>`;
  }
}
