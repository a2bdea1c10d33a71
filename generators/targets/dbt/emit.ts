/**
 * The dbt project in `dbt-out/`: project and package files, a Snowflake key-pair profile, sources on the external
 * tables and on the pseudonym key table, one staging model per processed table (explicit columns and casts, dedup
 * across files by key, personal columns replaced by keyed pseudonyms: `pseudonym.ts`) and its YAML: enforced model
 * contract (every column with `data_type`) and tests from the contract.
 *
 * The generator owns only the files it lists (see `generated/manifest.json`); marts in `dbt-out/models/marts/` are
 * hand-written and never touched. YAML is written by the `yaml` package (all strings quoted as needed); contract
 * text reaching dbt goes through `jinjaLiteral` because dbt renders descriptions with Jinja.
 */
import { stringify } from "yaml";
import { mapType } from "../../dialects/type-table.js";
import { jinjaLiteral } from "../../dialects/jinja.js";
import { type Bound, rangeEnd } from "../../lib/bounds.js";
import { commentBlock, combinedHeaderLines, finalText, headerLines } from "../../lib/header.js";
import type { ColumnIR, ContractIR, DatasetIR, TableIR } from "../../ir/types.js";
import { RAW_MODIFIED_AT } from "../../ir/derived.js";
import { pluralName } from "../../ir/names.js";
import { PLATFORM } from "../../platform.js";
import { SOURCE_FILE_COLUMN } from "../snowflake/emit.js";
import type { EmitResult, GeneratedFile, Target } from "../types.js";
import { nativeType } from "../../dialects/types.js";
import { PORTABLE_CASTS } from "./types.js";
import { PSEUDONYM_KEY_COLUMN, pseudonymColumnName, pseudonymKeyTableName } from "../protection.js";
import { columnTagHook, KEY_SOURCE, martTaggedColumns, PSEUDONYM_MACRO_PATH, pseudonymExpression, pseudonymMacro, pseudonymUpstreams, stagingTaggedColumns } from "./pseudonym.js";

const DBT = PLATFORM.dbt;
export const STAGING_DIR = `dbt-out/models/staging/${DBT.source}`;

/**
 * `stg_amazon__reviews`: dbt's staging naming, `stg_[source]__[entity]s`. The IR refuses two tables whose plurals
 * are equal (`checkPluralNames`), so each table has a model of its own.
 */
export function stagingModelName(table: Pick<TableIR, "name">): string {
  return `stg_${DBT.source}__${pluralName(table.name)}`;
}

type DataTest = string | Record<string, { arguments: Record<string, unknown>; config?: { severity: "warn" } }>;

export interface StagingColumn {
  readonly name: string;
  /** SQL expression over the source columns. */
  readonly expression: string;
  readonly dataType: string;
  readonly description: string;
  readonly tests: DataTest[];
}

/** The Snowflake type of an external-table column, documented on the source (sources have no contract). */
function sourceDataType(column: ColumnIR): string {
  return nativeType("snowflake", column).toLowerCase();
}

/**
 * A staging column's contract `data_type`: the type its SQL casts to. dbt checks a contract by letting the database
 * cast `null` to the declared type and comparing with the model, so a portable spelling means the same on Snowflake
 * and DuckDB. JSON is the one type with no common name (Snowflake VARIANT, DuckDB JSON): its `data_type` is chosen
 * by the target when dbt parses the YAML.
 */
function contractDataType(column: Pick<ColumnIR, "type">): string {
  return mapType(PORTABLE_CASTS, column.type) ?? JSON_DATA_TYPE;
}

/** The contract `data_type` of a column's staging column: a personal column's pseudonym is text whatever its type. */
export function stagingDataType(column: Pick<ColumnIR, "type" | "pii">): string {
  return column.pii === "personal" ? "varchar" : contractDataType(column);
}

export const JSON_DATA_TYPE = "{{ 'json' if target.type == 'duckdb' else 'variant' }}";

/**
 * Range tests only for bounds the contract states (not the implicit safe-integer bounds of `z.int()`), with dbt_utils'
 * arguments: `inclusive` applies to both bounds, so bounds of different kinds (`.gt(0).max(5)`) are two tests, one
 * per bound; a single test with `inclusive: false` would fail every valid 5. Of two bounds on one side
 * (`.min(1).gt(0)`), the tighter is tested.
 */
function rangeArguments(column: ColumnIR, dataset: DatasetIR): Record<string, unknown>[] {
  if (column.source.kind !== "field" || column.normalize.length > 0) return [];
  const path = column.source.path;
  const rule = dataset.rules.find((r) => r.path === path && r.kind === "out_of_range");
  if (!rule) return [];
  const explicit = (v: number | undefined) => (v !== undefined && Math.abs(v) < Number.MAX_SAFE_INTEGER ? v : undefined);
  const { minimum, maximum, exclusiveMinimum, exclusiveMaximum } = rule.params;
  const limits = { minimum: explicit(minimum), maximum: explicit(maximum), exclusiveMinimum: explicit(exclusiveMinimum), exclusiveMaximum: explicit(exclusiveMaximum) };
  const lower = rangeEnd(limits, "lowerBound");
  const upper = rangeEnd(limits, "upperBound");
  const test = (min: Bound | undefined, max: Bound | undefined) => ({
    ...(min ? { min_value: min.value } : {}),
    ...(max ? { max_value: max.value } : {}),
    ...((min ?? max)!.inclusive ? {} : { inclusive: false }),
  });
  if (!lower && !upper) return [];
  if (lower && upper && lower.inclusive !== upper.inclusive) return [test(lower, undefined), test(undefined, upper)];
  return [test(lower, upper)];
}

function tableOf(ir: ContractIR, name: string): TableIR | undefined {
  for (const d of ir.datasets) for (const t of [d.table, ...d.children]) if (t.name === name) return t;
  return undefined;
}

/**
 * dbt's `accepted_values` renders each value (arguments are rendered with Jinja) and pastes it between quotes into
 * SQL: a `'` is doubled (standard SQL, DuckDB and Snowflake alike) and a `{` cannot open a Jinja tag. A backslash,
 * which Snowflake reads as an escape and DuckDB does not, is refused in the contract (CONTRACT.INVALID_ACCEPTED_VALUE).
 */
function acceptedValuesTest(values: readonly (string | number)[]): DataTest {
  const quote = values.some((v) => typeof v === "string");
  const literal = (v: string | number) => (quote ? jinjaLiteral(String(v).replace(/'/g, "''")) : v);
  return { accepted_values: { arguments: { values: values.map(literal), quote } } };
}

export function stagingColumns(ir: ContractIR, dataset: DatasetIR, table: TableIR): StagingColumn[] {
  const out: StagingColumn[] = [];
  for (const column of table.columns) {
    if (column.pii === "sensitive") continue; // not in a processed table (the IR withholds it); never in staging
    const tests: DataTest[] = [];
    // raw_modified_at and raw_object are NULL in rows written before those columns existed (staging orders them last):
    // a not_null test would fail every key not processed again since the upgrade.
    const addedLater = column.source.kind === "raw_modified_at" || column.source.kind === "raw_object";
    if (!column.nullable && column.pii === "none" && !addedLater) tests.push("not_null");
    if (table.key.length === 1 && table.key[0] === column.name) tests.push("unique");
    // Value tests check the value itself: none on a pseudonym (its values are hashes).
    if (column.acceptedValues?.length && column.pii !== "personal") tests.push(acceptedValuesTest(column.acceptedValues));
    if (column.pii !== "personal") for (const range of rangeArguments(column, dataset)) tests.push({ accepted_range: { arguments: range } });
    if (column.references) {
      const target = tableOf(ir, column.references.dataset);
      if (target) {
        const args = { to: `ref('${stagingModelName(target)}')`, field: column.references.column };
        // A child row and its parent row are written by one job: a missing parent is an error. A row of another
        // dataset arrives on its own (a review before its product's metadata, or a product Amazon never published):
        // a missing one is a warning, so that it does not fail the build and hold back every mart.
        tests.push({ relationships: column.source.kind === "parent_key" ? { arguments: args } : { arguments: args, config: { severity: "warn" } } });
      }
    }
    if (column.pii === "personal") {
      out.push({
        name: pseudonymColumnName(column),
        // The key is read at query time from the key table inside the macro; the value never leaves the expression.
        expression: pseudonymExpression(column),
        dataType: stagingDataType(column),
        description:
          `Keyed pseudonym of ${column.name} (personal data): lowercase hex SHA-256 of the pseudonym key, ':' and the value, ` +
          `the key read at query time from ${pseudonymKeyTableName()} (never written into SQL); NULL when the value is. ` +
          `Tagged PII = 'personal' on Snowflake. ${column.description}`,
        tests,
      });
      continue;
    }
    const cast = mapType(PORTABLE_CASTS, column.type);
    out.push({
      name: column.name,
      expression: cast ? `cast(${column.name} as ${cast})` : column.name,
      dataType: stagingDataType(column),
      description: column.description,
      tests,
    });
  }
  out.push({
    name: SOURCE_FILE_COLUMN,
    expression: `cast(${SOURCE_FILE_COLUMN} as varchar)`,
    dataType: "varchar",
    description: "Parquet file the row was read from (lineage).",
    tests: ["not_null"],
  });
  return out;
}

export function stagingSql(ir: ContractIR, dataset: DatasetIR, table: TableIR): string {
  const columns = stagingColumns(ir, dataset, table);
  const width = Math.max(...columns.map((c) => c.expression.length));
  // A column passed through unchanged is not aliased to itself (sqlfluff AL09); the others align their `as`.
  const select = columns.map((c, i) => `        ${c.expression === c.name ? c.name : `${c.expression.padEnd(width)} as ${c.name}`}${i < columns.length - 1 ? "," : ""}`);
  // Auto-refresh may expose the same record from two files (a re-run, a redrive, a late duplicate): keep the newest.
  const dedup = `\n        partition by ${table.key.join(", ")}\n        order by ${NEWEST_FIRST.join(", ")}\n    `;
  const parent = "parent" in table ? dataset.table : undefined;
  return finalText(
    commentBlock(headerLines(dataset), "--") +
      "\n{{ config(materialized='view') }}\n\n" +
      `with source as (\n\n    select * from {{ source('${DBT.source}', '${table.name}') }}\n\n),\n\n` +
      `renamed as (\n\n    select\n${select.join("\n")}\n    from source\n\n),\n\n` +
      (parent ? childDeduplicated(table, parent) : `deduplicated as (\n\n    select *\n    from renamed\n    qualify row_number() over (${dedup}) = 1\n\n)\n\n`) +
      "select * from deduplicated\n",
  );
}

/**
 * Which of a key's rows staging keeps: the row of the newest raw object (`raw_modified_at`, the object's last-modified
 * time), so that processing an older object again (a redrive of a dead-lettered event, a manual re-run, two objects of
 * one product processed at once) never makes its data current; of rows of one object, the latest run's
 * (`processed_at`); then the greatest Parquet file name. `nulls last`: Snowflake sorts NULLs first in a descending
 * order (DuckDB last), and a row written before the column existed reads it as NULL: it loses to any row that has it.
 * https://docs.snowflake.com/en/sql-reference/constructs/order-by
 */
const NEWEST_FIRST = [`${RAW_MODIFIED_AT} desc nulls last`, "processed_at desc", `${SOURCE_FILE_COLUMN} desc`];

/**
 * A child table's rows are those of the run whose parent row the parent's staging model keeps (the same key and
 * processed_at, which a run stamps on every table's rows; the source file is each table's own Parquet file):
 * deduplicated per element on their own, a newer delivery with fewer elements (a review re-sent with one image of
 * two, or none) kept the older delivery's extra elements.
 */
function childDeduplicated(table: TableIR, parent: TableIR): string {
  const parentKeys = table.columns.filter((c) => c.source.kind === "parent_key").map((c) => c.name);
  const delivery = [...parentKeys, "processed_at"];
  const on = delivery.map((c, i) => `            ${i === 0 ? "" : "and "}renamed.${c} = kept.${c}`).join("\n");
  const partition = table.key.map((k) => `renamed.${k}`).join(", ");
  return (
    `kept as (\n\n    select\n${delivery.map((c, i) => `        ${c}${i < delivery.length - 1 ? "," : ""}`).join("\n")}\n    from {{ ref('${stagingModelName(parent)}') }}\n\n),\n\n` +
    `deduplicated as (\n\n    select renamed.*\n    from renamed\n    inner join kept\n        on\n${on}\n` +
    `    qualify row_number() over (\n        partition by ${partition}\n        order by ${NEWEST_FIRST.map((o) => `renamed.${o}`).join(", ")}\n    ) = 1\n\n)\n\n`
  );
}

function yamlText(header: string[], document: unknown): string {
  return finalText(commentBlock(header, "#") + "\n" + stringify(document, { lineWidth: 0, indent: 2, defaultStringType: "PLAIN", defaultKeyType: "PLAIN" }));
}

function modelsYaml(ir: ContractIR): string {
  const models = ir.datasets.flatMap((dataset) =>
    [dataset.table, ...dataset.children].map((table) => {
      const columns = stagingColumns(ir, dataset, table);
      return {
        name: stagingModelName(table),
        description: jinjaLiteral(`${table.description} Staging view over ${DBT.source}.${table.name}: typed, one row per key (${table.key.join(", ")}).`),
        config: { materialized: "view", contract: { enforced: true } },
        ...(table.key.length > 1
          ? { data_tests: [{ unique_combination_of_columns: { arguments: { combination_of_columns: [...table.key] } } }] }
          : {}),
        columns: columns.map((c) => ({
          name: c.name,
          data_type: c.dataType,
          description: jinjaLiteral(c.description),
          ...(c.tests.length ? { data_tests: c.tests } : {}),
        })),
      };
    }),
  );
  return yamlText(combinedHeaderLines(ir.datasets), { version: 2, models });
}

/**
 * The staging view keeps one row per key (the newest run's), so its `unique` test guards that SQL only. What the
 * cleaning and flattening jobs promise is tested on the source: one row per key in each run (a run's rows share its
 * `processed_at`), so a duplicate a run let through fails here, while a key sent again in a later run does not.
 */
function sourceKeyTest(table: TableIR): { data_tests?: unknown[] } {
  const processedAt = table.columns.find((c) => c.source.kind === "processed_at");
  if (!processedAt || table.key.length === 0) return {};
  return { data_tests: [{ unique_combination_of_columns: { arguments: { combination_of_columns: [...table.key, processedAt.name] } } }] };
}

function sourcesYaml(ir: ContractIR): string {
  const sf = PLATFORM.snowflake;
  const tables = ir.datasets.flatMap((dataset) =>
    [dataset.table, ...dataset.children].map((table) => ({
      name: table.name,
      identifier: table.name.toUpperCase(),
      description: jinjaLiteral(`${table.description} External table over ${table.location} (contract ${dataset.contract.version}).`),
      // A child table gets rows only from parents that have elements (a review's images): it may stay empty or quiet
      // while its parent is fresh, and its parent's freshness already says whether the dataset's loads arrive.
      ...(table === dataset.table ? {} : { config: { freshness: null } }),
      ...sourceKeyTest(table),
      columns: [
        ...table.columns.map((c) => ({ name: c.name, data_type: sourceDataType(c), description: jinjaLiteral(c.description) })),
        { name: SOURCE_FILE_COLUMN, data_type: "varchar", description: "Parquet file the row was read from." },
      ],
    })),
  );
  const hours = (count: number) => ({ count, period: "hour" });
  return yamlText(combinedHeaderLines(ir.datasets), {
    version: 2,
    sources: [
      {
        name: DBT.source,
        description: "Processed Amazon review data: Snowflake external tables over the Parquet the Glue flatten jobs write.",
        database: sf.database,
        schema: sf.rawSchema,
        config: {
          loaded_at_field: "processed_at",
          freshness: { warn_after: hours(DBT.freshness.warnAfterHours), error_after: hours(DBT.freshness.errorAfterHours) },
        },
        tables,
      },
      {
        // Read by the pseudonym macro only (inside the expression, at query time); no freshness: it changes when the
        // key is rotated, not with the data.
        name: KEY_SOURCE.source,
        description: `Governance objects of the warehouse (created by snowflake:apply on Snowflake; by the local runner in the DuckDB file).`,
        database: sf.database,
        schema: sf.governance.schema,
        tables: [
          {
            name: KEY_SOURCE.table,
            identifier: sf.governance.pseudonymKeyTable,
            description: `One row: the key of the keyed pseudonyms of personal columns, from ${PLATFORM.pseudonym.keyEnv}. Read inside the pseudonym expression at query time; never selected on its own, never written into SQL.`,
            columns: [{ name: PSEUDONYM_KEY_COLUMN, data_type: "varchar", description: `The pseudonym key (at least ${PLATFORM.pseudonym.minKeyLength} characters).` }],
          },
        ],
      },
    ],
  });
}

/** Sets the session's time zone to UTC on Snowflake; empty (skipped by dbt) on any other target. */
export const SNOWFLAKE_UTC_SESSION_HOOK = "{% if target.type == 'snowflake' %}alter session set timezone = 'UTC'{% endif %}";

function projectYaml(ir: ContractIR): string {
  const reporter = PLATFORM.snowflake.roles.reporter;
  // Snowflake column tags on the pseudonym columns and on the mart columns computed from them: post-hooks, because
  // dbt recreates a view or table on every run (and its column tags with it).
  const stagingHooks = ir.datasets.flatMap((d) =>
    [d.table, ...d.children]
      .map((t) => [stagingModelName(t), stagingTaggedColumns(t)] as const)
      .filter(([, columns]) => columns.length > 0)
      .map(([model, columns]) => [model, { "+post-hook": columns.map((c) => columnTagHook("view", c)) }] as const),
  );
  const martHooks = martTaggedColumns(ir.marts ?? [], pseudonymUpstreams(ir, stagingModelName));
  return yamlText(combinedHeaderLines(ir.datasets), {
    name: DBT.project,
    version: "1.0.0",
    "config-version": 2,
    "require-dbt-version": [...DBT.requireDbtVersion],
    profile: DBT.profile,
    "model-paths": ["models"],
    "macro-paths": ["macros"],
    "test-paths": ["tests"],
    "clean-targets": ["target", "logs"],
    flags: { require_generic_test_arguments_property: true },
    models: {
      [DBT.project]: {
        // Every model's Snowflake session reads the external tables' Parquet timestamps (UTC instants) in UTC: how an
        // external table's VALUE surfaces them is not pinned by Snowflake's documentation (a time without a zone is
        // read in the session's TIMEZONE, America/Los_Angeles by default). A pre-hook, because dbt-snowflake cannot
        // set a connection's time zone and an on-run-start hook reaches one of its threads' sessions only.
        "+pre-hook": [SNOWFLAKE_UTC_SESSION_HOOK],
        staging: {
          "+materialized": "view",
          "+schema": "staging",
          ...(stagingHooks.length ? { [DBT.source]: Object.fromEntries(stagingHooks) } : {}),
        },
        // The reporter (QuickSight) may SELECT exactly the marts QuickSight reads (one data set per mart with an
        // enforced contract): a grant per mart, none on the folder, so a new model is not readable by accident.
        marts: {
          "+materialized": "table",
          "+schema": "marts",
          ...Object.fromEntries(
            (ir.marts ?? []).map((m) => {
              const tagged = martHooks.get(m.name) ?? [];
              return [m.name, { "+grants": { select: [reporter] }, ...(tagged.length ? { "+post-hook": tagged.map((c) => columnTagHook("table", c)) } : {}) }];
            }),
          ),
        },
      },
    },
    // Table grants come from +grants; the reporter also needs USAGE on the marts schema dbt creates.
    "on-run-end": [reporterSchemaUsageHook(reporter)],
  });
}

/**
 * The project's own generic tests for what dbt does not ship, so the project needs no package (nothing to download
 * from dbt Hub) and runs the same tests on Snowflake and locally. Portable SQL; arguments as dbt_utils names them.
 * A test returns the failing rows; `where`, `severity` and `store_failures` configs apply as to any dbt test.
 */
export const GENERIC_TESTS: Readonly<Record<string, string>> = {
  accepted_range: `{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
    {%- if min_value is none and max_value is none %}
        {{ exceptions.raise_compiler_error("accepted_range on " ~ model ~ "." ~ column_name ~ " needs a bound") }}
    {%- endif %}

select {{ column_name }}
from {{ model }}
where
    {%- if min_value is not none %}
    not ({{ column_name }} {{ '>=' if inclusive else '>' }} {{ min_value }})
    {%- endif %}
    {%- if min_value is not none and max_value is not none %}
    or
    {%- endif %}
    {%- if max_value is not none %}
    not ({{ column_name }} {{ '<=' if inclusive else '<' }} {{ max_value }})
    {%- endif %}

{% endtest %}
`,
  unique_combination_of_columns: `{% test unique_combination_of_columns(model, combination_of_columns) %}

select
    {{ combination_of_columns | join(', ') }},
    count(*) as n_records
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1

{% endtest %}
`,
};

function genericTestSql(ir: ContractIR, name: string): string {
  return finalText(commentBlock(combinedHeaderLines(ir.datasets), "--") + "\n" + GENERIC_TESTS[name]!);
}

/**
 * sqlfluff's configuration for the project's SQL (generated staging models, hand-written marts, generic tests):
 * Snowflake dialect, dbt's Jinja built-ins (ref, source, config), the project's macros rendered with a Snowflake
 * `target`, aligned aliases. Two rules are off for a reason of this project: column names and their order are the
 * contract's (RF04 would refuse a column named like a keyword, ST06 would reorder the contract's columns).
 */
function sqlfluffConfig(ir: ContractIR): string {
  return finalText(
    commentBlock(combinedHeaderLines(ir.datasets), "#") +
      `
[sqlfluff]
dialect = snowflake
templater = jinja
max_line_length = 120
# Column names and their order are the data contract's: a contract may name a column like a keyword (RF04), and a
# model lists its columns in the contract's order (ST06).
exclude_rules = RF04, ST06

[sqlfluff:templater:jinja]
apply_dbt_builtins = True
# The project's macros (the keyed pseudonym), rendered as on Snowflake: the dialect linted is Snowflake's, and
# nothing runs a query at lint time (execute is false, as when dbt parses).
load_macros_from_path = macros

[sqlfluff:templater:jinja:context]
target = {"type": "snowflake", "name": "${PLATFORM.airflow.dbtTarget}"}
execute = False

[sqlfluff:rules:layout.long_lines]
# The provenance header names the contract file, its version and its full sha256.
ignore_comment_lines = True

[sqlfluff:layout:type:alias_expression]
spacing_before = align
align_within = select_clause
align_scope = bracketed
`,
  );
}

/**
 * The project's `on-run-end` hook: USAGE on the marts schema for the reporter, on Snowflake's target. Only when the
 * run built something there: `schemas` names the schemas of the run's successful relational nodes
 * (https://docs.getdbt.com/reference/project-configs/on-run-start-on-run-end), and a `dbt test` or a run of the staging
 * models alone on a new account, before any mart exists, would otherwise stop at a schema that does not exist yet.
 */
export function reporterSchemaUsageHook(reporter: string): string {
  return `{% if target.name == '${PLATFORM.airflow.dbtTarget}' %}{% for schema in schemas if schema | lower == (target.schema ~ '_marts') | lower %}grant usage on schema {{ target.database }}.{{ schema }} to role ${reporter}{% endfor %}{% endif %}`;
}

/** Local target (DuckDB): the database file of a local run; the runner sets the path. */
export const LOCAL_TARGET = "local";
export const DUCKDB_PATH_ENV = "DBT_DUCKDB_PATH";

/**
 * Two targets: \`prod\` (Snowflake, key-pair authentication, everything from the environment, no password) and
 * \`local\` (DuckDB: the database file named after the Snowflake database, so that the sources' database, schema and
 * table names resolve the same way in both).
 */
function profilesYaml(ir: ContractIR): string {
  // A fallback of '' is one too: an unencrypted key has no passphrase (dbt-snowflake reads '' as none).
  const env = (name: string, fallback?: string) => `{{ env_var('${name}'${fallback !== undefined ? `, '${fallback}'` : ""}) }}`;
  const sf = PLATFORM.snowflake;
  return yamlText(combinedHeaderLines(ir.datasets), {
    [DBT.profile]: {
      target: PLATFORM.airflow.dbtTarget,
      outputs: {
        [PLATFORM.airflow.dbtTarget]: {
          type: "snowflake",
          account: env("SNOWFLAKE_ACCOUNT"),
          user: env("SNOWFLAKE_USER"),
          private_key_path: env("SNOWFLAKE_PRIVATE_KEY_PATH"),
          private_key_passphrase: env("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE", ""),
          role: env("SNOWFLAKE_ROLE", sf.roles.transformer),
          warehouse: env("SNOWFLAKE_WAREHOUSE", sf.warehouse),
          database: env("SNOWFLAKE_DATABASE", sf.database),
          schema: env("DBT_SCHEMA", DBT.schema),
          threads: 4,
        },
        [LOCAL_TARGET]: {
          type: "duckdb",
          path: env(DUCKDB_PATH_ENV, `target/${sf.database.toLowerCase()}.duckdb`),
          schema: "analytics",
          threads: 2,
          settings: { TimeZone: "UTC" },
        },
      },
    },
  });
}

export const dbtTarget: Target = {
  id: "dbt",
  description: "dbt project: sources, staging models with enforced contracts and tests",
  emit(ir: ContractIR): EmitResult {
    const files: GeneratedFile[] = [
      { path: "dbt-out/dbt_project.yml", contents: projectYaml(ir) },
      { path: "dbt-out/profiles/profiles.yml", contents: profilesYaml(ir) },
      { path: "dbt-out/.sqlfluff", contents: sqlfluffConfig(ir) },
      { path: `${STAGING_DIR}/_${DBT.source}__sources.yml`, contents: sourcesYaml(ir) },
      { path: `${STAGING_DIR}/_${DBT.source}__models.yml`, contents: modelsYaml(ir) },
      { path: PSEUDONYM_MACRO_PATH, contents: finalText(commentBlock(combinedHeaderLines(ir.datasets), "--") + "\n" + pseudonymMacro()) },
    ];
    for (const dataset of ir.datasets) {
      for (const table of [dataset.table, ...dataset.children]) {
        files.push({ path: `${STAGING_DIR}/${stagingModelName(table)}.sql`, contents: stagingSql(ir, dataset, table) });
      }
    }
    for (const name of Object.keys(GENERIC_TESTS)) files.push({ path: `dbt-out/tests/generic/test_${name}.sql`, contents: genericTestSql(ir, name) });
    return { files, diagnostics: [] };
  },
};
