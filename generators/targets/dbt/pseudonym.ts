/**
 * Personal columns in the dbt project, with names and wording from `../protection.ts`:
 * - the macro `contract_pseudonym(column)`: the keyed pseudonym a staging view carries instead of the value,
 *   lowercase hex SHA-256 of the UTF-8 bytes of key, ':' and value, spelled per warehouse (`PSEUDONYM_SQL`) so that
 *   Snowflake and DuckDB compute the same text as `pseudonym()`. The key is read at query time from the one-row key
 *   table (a dbt source), never written into SQL: compiled SQL lands in `target/` and in the view's definition, so a
 *   key passed through `var()` or `env_var()` would be stored in both. Before rendering, the macro counts the table's
 *   rows and measures its shortest key (without selecting it) and fails with PII.NO_KEY unless there is exactly one
 *   key of at least `minKeyLength` characters: a missing key is an error, not an unkeyed hash or a NULL pseudonym.
 *   The view keeps that rule at query time (`KEY_USABLE`): its key subquery yields the key only when the table holds
 *   exactly one usable key, and otherwise raises PII.NO_KEY, so a key table emptied or weakened after the build fails
 *   every query of a pseudonym instead of returning NULL or weak hashes.
 * - post-hooks tagging each pseudonym column on Snowflake (`alter view … modify column … set tag PII = 'personal'`),
 *   so the tag's masking policy applies to it; and the same on every mart column whose declared lineage
 *   (`config.meta.upstream`, marts built on marts included) reaches a pseudonym column. A hook renders empty on
 *   any other target, and dbt skips an empty hook.
 */
import type { ColumnIR, ContractIR, MartIR, TableIR } from "../../ir/types.js";
import { PLATFORM } from "../../platform.js";
import { personalColumns, piiTagName, PSEUDONYM_KEY_COLUMN, pseudonymColumnName, pseudonymKeyTableName } from "../protection.js";

const GOV = PLATFORM.snowflake.governance;
const KEY_ENV = PLATFORM.pseudonym.keyEnv;
const MIN_KEY_LENGTH = PLATFORM.pseudonym.minKeyLength;

/** dbt source of the key table: `source('governance', 'pseudonym_key')`, i.e. AMAZON_REVIEWS.GOVERNANCE.PSEUDONYM_KEY. */
export const KEY_SOURCE = { source: GOV.schema.toLowerCase(), table: GOV.pseudonymKeyTable.toLowerCase() } as const;

export const PSEUDONYM_MACRO = "contract_pseudonym";
export const PSEUDONYM_MACRO_PATH = `dbt-out/macros/${PSEUDONYM_MACRO}.sql`;

/** A personal column's expression in the staging SQL. */
export const pseudonymExpression = (column: Pick<ColumnIR, "name">) => `{{ ${PSEUDONYM_MACRO}('${column.name}') }}`;

/** How to load a key, said by every PII.NO_KEY message (dbt's and the local runner's). */
export const NO_KEY_FIX =
  `Fix: set ${KEY_ENV} to a secret of at least ${MIN_KEY_LENGTH} characters and load it as the only row of ${pseudonymKeyTableName()} ` +
  `(Snowflake: npm run snowflake:apply; locally, npm run pipeline:local and npm run dag:test load it, or a random key when ${KEY_ENV} is unset).`;

/** The key table holds exactly one key of at least `minKeyLength` characters (an aggregate over the table; a NULL key fails it). */
const KEY_USABLE = `count(*) = 1 and min(length(${PSEUDONYM_KEY_COLUMN})) >= ${MIN_KEY_LENGTH}`;
/** The table's row count and its shortest key's length, for the messages (never the key itself). */
const KEY_ROWS = "count(*)";
const SHORTEST_KEY = `coalesce(min(length(${PSEUDONYM_KEY_COLUMN})), 0)`;

/**
 * The PII.NO_KEY message for a key table without exactly one usable key, as a concatenation (`join`: Jinja's `~` or
 * SQL's `||`) of text and the expressions of the table's name, its row count and its shortest key's length.
 */
function badKeyMessage(join: string, table: string, rows: string, shortest: string): string {
  const text = (t: string) => `'${t}'`;
  return [
    text("PII.NO_KEY: the pseudonym key table "), table, text(" holds "), rows, text(" row(s), the shortest key "), shortest,
    text(` character(s); exactly one key of at least ${MIN_KEY_LENGTH} characters is needed (no unkeyed hash or NULL pseudonym is given). ${NO_KEY_FIX}`),
  ].join(join);
}

/**
 * How each warehouse raises an error inside an expression. DuckDB: `error(message)`. Snowflake has no such function
 * in SQL (RAISE exists only in Snowflake Scripting), so the message is converted with TO_NUMBER, which raises an error
 * where TRY_TO_NUMBER would give NULL ("Numeric value 'PII.NO_KEY: …' is not recognized"). The message is built from
 * the key table's aggregates, so no compiler can fold it into a constant error, and it sits in the ELSE of a CASE,
 * which Snowflake evaluates only when no condition before it holds.
 * https://duckdb.org/docs/stable/sql/functions/utility#errormessage · https://docs.snowflake.com/en/sql-reference/functions/case ·
 * https://docs.snowflake.com/en/sql-reference/functions-conversion#error-handling-conversion-functions
 */
const RAISE_SQL = {
  snowflake: (message: string) => `cast(to_number(${message}) as varchar)`,
  duckdb: (message: string) => `error(${message})`,
} as const;

/** The key, read at query time from the key table: the one usable key, or an error naming PII.NO_KEY. */
const keySql = (keyTable: string, raise: (message: string) => string) =>
  `(select case when ${KEY_USABLE} then min(${PSEUDONYM_KEY_COLUMN}) else ${raise(
    badKeyMessage(" || ", `'${keyTable}'`, `cast(${KEY_ROWS} as varchar)`, `cast(${SHORTEST_KEY} as varchar)`),
  )} end from ${keyTable})`;

/**
 * The pseudonym per warehouse, over the key table's relation and a column. Snowflake `SHA2(expr, 256)` and DuckDB
 * `sha256(expr)` both hash the UTF-8 bytes of a VARCHAR and return lowercase hex; `||` with a NULL value is NULL on
 * both, so a NULL value keeps a NULL pseudonym.
 * https://docs.snowflake.com/en/sql-reference/functions/sha2 · https://duckdb.org/docs/stable/sql/functions/text#sha256value
 */
export const PSEUDONYM_SQL = {
  snowflake: (keyTable: string, column: string) => `sha2(${keySql(keyTable, RAISE_SQL.snowflake)} || ':' || cast(${column} as varchar), 256)`,
  duckdb: (keyTable: string, column: string) => `sha256(${keySql(keyTable, RAISE_SQL.duckdb)} || ':' || cast(${column} as varchar))`,
} as const;

/** The macro file (Jinja text; strings in it use single quotes, so the messages hold none). */
export function pseudonymMacro(): string {
  const noTable = `'PII.NO_KEY: the pseudonym key table ' ~ key_table ~ ' does not exist, so personal columns cannot be pseudonymised. ${NO_KEY_FIX}'`;
  const badRows = badKeyMessage(" ~ ", "key_table", "key_rows", "shortest");
  return `-- Keyed pseudonym of a personal column (generators/targets/dbt/pseudonym.ts, names from generators/targets/protection.ts):
-- lowercase hex SHA-256 of the UTF-8 bytes of the key, ':' and the value, the same text on Snowflake and DuckDB.
-- The key is read at query time from the one-row key table, never written into SQL (compiled SQL is stored in
-- target/ and in the view's definition). Without exactly one key of at least ${MIN_KEY_LENGTH} characters the model fails
-- with PII.NO_KEY instead of writing unkeyed hashes or NULL pseudonyms; and since the view reads the key when it is
-- queried, its key subquery checks the same rule each time: emptied or weakened after the build, the key table makes
-- every query of a pseudonym fail with PII.NO_KEY (DuckDB: error(); Snowflake: TO_NUMBER of the message).

{% macro ${PSEUDONYM_MACRO}(column) -%}
    {%- set key_table = source('${KEY_SOURCE.source}', '${KEY_SOURCE.table}') -%}
    {%- if execute -%}
        {{- ${PSEUDONYM_MACRO}_check_key(key_table) -}}
    {%- endif -%}
    {%- if target.type == 'snowflake' -%}
        ${PSEUDONYM_SQL.snowflake("{{ key_table }}", "{{ column }}")}
    {%- elif target.type == 'duckdb' -%}
        ${PSEUDONYM_SQL.duckdb("{{ key_table }}", "{{ column }}")}
    {%- else -%}
        {{- exceptions.raise_compiler_error('${PSEUDONYM_MACRO} has no SHA-256 spelling for ' ~ target.type) -}}
    {%- endif -%}
{%- endmacro %}

{#- Fails unless the key table holds exactly one key of at least ${MIN_KEY_LENGTH} characters. It counts rows and measures the
    shortest key: the key itself is never selected (dbt logs the query, not its result). -#}
{% macro ${PSEUDONYM_MACRO}_check_key(key_table) -%}
    {#- Lower-case names match exactly on DuckDB (quoted names, created in lower case) and on Snowflake (unquoted). -#}
    {%- set found = adapter.get_relation(
        database=key_table.database | lower,
        schema=key_table.schema | lower,
        identifier=key_table.identifier | lower
    ) -%}
    {%- if found is none -%}
        {{- exceptions.raise_compiler_error(${noTable}) -}}
    {%- endif -%}
    {%- set measured = run_query(
        'select ${KEY_ROWS} as key_rows, ${SHORTEST_KEY} as shortest_key_length, coalesce(${KEY_USABLE}, false) as usable from ' ~ key_table
    ) -%}
    {%- set key_rows = measured.columns[0].values()[0] -%}
    {%- set shortest = measured.columns[1].values()[0] -%}
    {%- if not measured.columns[2].values()[0] -%}
        {{- exceptions.raise_compiler_error(${badRows}) -}}
    {%- endif -%}
{%- endmacro %}
`;
}

/** A post-hook tagging `column` of the model's relation on Snowflake; empty (skipped by dbt) on any other target. */
export function columnTagHook(kind: "view" | "table", column: string): string {
  return `{% if target.type == 'snowflake' %}alter ${kind} {{ this }} modify column ${column} set tag ${piiTagName()} = 'personal'{% endif %}`;
}

/** The pseudonym columns of a staging model (the staging columns tagged 'personal'). */
export function stagingTaggedColumns(table: Pick<TableIR, "columns">): string[] {
  return personalColumns(table).map((c) => pseudonymColumnName(c));
}

/**
 * Mart columns whose declared lineage reaches a pseudonym column (`upstreams`, `<model>.<column>`), directly or
 * through marts built on marts: mart name → its columns to tag, in the mart's column order.
 */
export function martTaggedColumns(marts: readonly MartIR[], upstreams: ReadonlySet<string>): Map<string, string[]> {
  const reached = new Set(upstreams);
  for (let changed = true; changed; ) {
    changed = false;
    for (const mart of marts) {
      for (const column of mart.columns) {
        const id = `${mart.name}.${column.name}`;
        if (!reached.has(id) && column.upstream.some((u) => reached.has(u))) {
          reached.add(id);
          changed = true;
        }
      }
    }
  }
  const out = new Map<string, string[]>();
  for (const mart of marts) {
    const columns = mart.columns.filter((c) => reached.has(`${mart.name}.${c.name}`)).map((c) => c.name);
    if (columns.length) out.set(mart.name, columns);
  }
  return out;
}

/** Every pseudonym column of the project's staging models, `<staging model>.<column>`. */
export function pseudonymUpstreams(ir: ContractIR, stagingModelName: (table: Pick<TableIR, "name">) => string): Set<string> {
  const out = new Set<string>();
  for (const d of ir.datasets) for (const t of [d.table, ...d.children]) for (const c of stagingTaggedColumns(t)) out.add(`${stagingModelName(t)}.${c}`);
  return out;
}
