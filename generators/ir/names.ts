/**
 * Column and dataset names: snake_case derivation, the identifier rule, and the reserved words of the targets.
 * A name that passes here can be written unquoted in Snowflake, Spark SQL, DuckDB, Python and HCL.
 */

/** `reviewerID` → `reviewer_id`, `imageURLHighRes` → `image_url_high_res`, `main_cat` → `main_cat`. */
export function snakeCase(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .toLowerCase();
}

/**
 * The plural of a table's name (`review` → `reviews`; `review_images` and `product_categories` stay): dbt's staging
 * models are named after it (`stg_[source]__[entity]s`), so two tables whose plurals are equal cannot both have one
 * (`checkPluralNames`).
 */
export function pluralName(name: string): string {
  return name.endsWith("s") ? name : `${name}s`;
}

/** Longest name of a column, table or dataset (`IDENTIFIER`). */
export const MAX_IDENTIFIER_LENGTH = 63;

export const IDENTIFIER = /^[a-z][a-z0-9_]{0,62}$/;

/** Lowercase snake_case of any length: `IDENTIFIER` but for its length. */
export const SNAKE_CASE = /^[a-z][a-z0-9_]*$/;

/**
 * A name cut to at most `maxLength` characters, for a suggestion: at the end of a word (before a `_`) when that keeps
 * at least half of what fits, else at `maxLength`; never ending in `_`.
 * `customer_lifetime_value_…` → `customer_lifetime_value`, not `customer_lifetime_val`.
 */
export function shortenName(name: string, maxLength: number): string {
  if (name.length <= maxLength) return name;
  const wordEnd = name.slice(0, maxLength + 1).lastIndexOf("_");
  return name.slice(0, wordEnd >= maxLength / 2 ? wordEnd : maxLength).replace(/_+$/, "");
}

/**
 * Snowflake reserved keywords (https://docs.snowflake.com/en/sql-reference/reserved-keywords), Spark SQL's ANSI
 * reserved keywords (https://spark.apache.org/docs/latest/sql-ref-ansi-compliance.html#sql-keywords) and DuckDB's
 * (`duckdb_keywords()` of category `reserved`: the local pipeline and dbt-duckdb write names unquoted), lowercase.
 */
export const RESERVED_WORDS: ReadonlySet<string> = new Set([
  // Snowflake
  "account", "all", "alter", "and", "any", "as", "between", "by", "case", "cast", "check", "column", "connect",
  "connection", "constraint", "create", "cross", "current", "current_date", "current_time", "current_timestamp",
  "current_user", "database", "delete", "distinct", "drop", "else", "exists", "false", "following", "for", "from",
  "full", "grant", "group", "gscluster", "having", "ilike", "in", "increment", "inner", "insert", "intersect", "into",
  "is", "issue", "join", "lateral", "left", "like", "localtime", "localtimestamp", "minus", "natural", "not", "null",
  "of", "on", "or", "order", "organization", "qualify", "regexp", "revoke", "right", "rlike", "row", "rows", "sample",
  "schema", "select", "set", "some", "start", "table", "tablesample", "then", "to", "trigger", "true", "try_cast",
  "union", "unique", "update", "using", "values", "view", "when", "whenever", "where", "window", "with",
  // Spark SQL (ANSI mode) in addition
  "authorization", "both", "collate", "end", "escape", "except", "fetch", "filter", "foreign", "leading", "offset",
  "only", "outer", "overlaps", "primary", "references", "session_user", "time", "trailing", "unknown", "user",
  // DuckDB in addition (a test compares them with duckdb_keywords() of both DuckDB builds the project runs)
  "analyse", "analyze", "array", "asc", "asymmetric", "default", "deferrable", "desc", "describe", "do", "initially",
  "lambda", "limit", "pivot", "pivot_longer", "pivot_wider", "placing", "returning", "show", "summarize", "symmetric",
  "unpivot", "variadic",
  // Columns the pipeline itself adds: Snowflake's external-table VALUE, the source file used for lineage, and the
  // system columns of every processed table (`derived.ts`).
  "value", "source_file", "processed_at", "raw_modified_at", "raw_object",
]);
