/**
 * Compares the live external tables with the contracts: `DESCRIBE EXTERNAL TABLE … TYPE = COLUMNS` for types and
 * column expressions, `INFORMATION_SCHEMA.COLUMNS` for the canonical data types. Reports missing tables, missing,
 * extra and retyped columns and changed expressions; and a pseudonym key table that does not hold exactly one key of
 * the platform's minimum length, checked as the transformer (the role dbt reads it as) without selecting the key.
 */
import { nativeType } from "../../generators/dialects/types.js";
import type { ContractIR, TableIR } from "../../generators/ir/types.js";
import { PLATFORM } from "../../generators/platform.js";
import { columnExpression, externalTableName, pseudonymKeyCheckStatement, SOURCE_FILE_COLUMN } from "../../generators/targets/snowflake/emit.js";
import { pseudonymKeyTableName } from "../../generators/targets/protection.js";
import type { Row, SqlConnection } from "./connection.js";

export type DriftKind = "missing_table" | "missing_column" | "extra_column" | "retyped_column" | "changed_expression" | "pseudonym_key";

export interface Drift {
  readonly kind: DriftKind;
  readonly table: string;
  readonly column?: string;
  readonly expected?: string;
  readonly actual?: string;
}

interface ExpectedColumn {
  readonly name: string;
  readonly type: string;
  readonly expression: string;
}

export function expectedColumns(table: TableIR): ExpectedColumn[] {
  return [
    ...table.columns.map((c) => ({ name: c.name.toUpperCase(), type: nativeType("snowflake", c), expression: columnExpression(c) })),
    { name: SOURCE_FILE_COLUMN.toUpperCase(), type: "VARCHAR", expression: "METADATA$FILENAME" },
  ];
}

function field(row: Row, name: string): unknown {
  const key = Object.keys(row).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : row[key];
}

/**
 * Types as DESCRIBE prints them (`VARCHAR(16777216)`, `TIMESTAMP_TZ(9)`, `NUMBER(2,1)`) and as the DDL writes them,
 * reduced to one spelling. Snowflake fills in default lengths and precisions.
 */
export function normalizeType(type: string): string {
  const t = type.toUpperCase().replace(/\s+/g, "");
  if (/^(VARCHAR|TEXT|STRING)(\(\d+\))?$/.test(t)) return "VARCHAR";
  if (/^TIMESTAMP_(TZ|LTZ|NTZ)(\(\d\))?$/.test(t)) return t.replace(/\(\d\)$/, "");
  if (/^(INT|INTEGER|BIGINT)$/.test(t)) return "NUMBER(38,0)";
  if (/^(DOUBLE|FLOAT|FLOAT8|REAL)$/.test(t)) return "FLOAT";
  return t;
}

/** INFORMATION_SCHEMA.COLUMNS spelling (`TEXT`, `NUMBER` + precision/scale) → the same normal form. */
function infoSchemaType(row: Row): string {
  const dataType = String(field(row, "DATA_TYPE") ?? "").toUpperCase();
  if (dataType === "NUMBER") return `NUMBER(${field(row, "NUMERIC_PRECISION")},${field(row, "NUMERIC_SCALE")})`;
  return normalizeType(dataType);
}

/**
 * Expression text, compared modulo case, spacing and Snowflake's rewriting of `VALUE:"k"::T` into
 * `CAST(GET(VALUE, 'k') AS T)` / `GET(VALUE, 'k')::T`.
 */
export function normalizeExpression(expression: string): string {
  const rewritten = expression
    .replace(/CAST\(\s*GET\(\s*VALUE\s*,\s*'([^']*)'\s*\)\s+AS\s+([A-Za-z_]+(?:\([\d,\s]*\))?)\s*\)/gi, 'VALUE:"$1"::$2')
    .replace(/GET\(\s*VALUE\s*,\s*'([^']*)'\s*\)/gi, 'VALUE:"$1"')
    .replace(/VALUE:([A-Za-z_][A-Za-z0-9_]*)/g, 'VALUE:"$1"')
    .replace(/\s+/g, "");
  // Keys inside double quotes are case-sensitive; everything else is compared upper-case.
  return rewritten
    .split('"')
    .map((part, i) => (i % 2 === 0 ? part.toUpperCase() : part))
    .join('"')
    .replace(/::(VARCHAR|TEXT|STRING)\(\d+\)/g, "::VARCHAR");
}

export async function verify(connection: SqlConnection, ir: ContractIR): Promise<Drift[]> {
  const sf = PLATFORM.snowflake;
  const drifts: Drift[] = [];
  for (const dataset of ir.datasets) {
    for (const table of [dataset.table, ...dataset.children]) {
      const name = externalTableName(table);
      let described: Row[];
      try {
        described = await connection.execute(`DESCRIBE EXTERNAL TABLE ${name} TYPE = COLUMNS`);
      } catch (error) {
        if (/does not exist|not authorized/i.test((error as Error).message)) {
          drifts.push({ kind: "missing_table", table: name, actual: (error as Error).message });
          continue;
        }
        throw error;
      }
      const info = await connection.execute(
        `SELECT column_name, data_type, is_nullable, numeric_precision, numeric_scale FROM ${sf.database}.INFORMATION_SCHEMA.COLUMNS WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position`,
        [sf.rawSchema, table.name.toUpperCase()],
      );
      const expected = expectedColumns(table);
      const actualByName = new Map(described.map((r) => [String(field(r, "name")).toUpperCase(), r]));
      const infoByName = new Map(info.map((r) => [String(field(r, "COLUMN_NAME")).toUpperCase(), r]));
      for (const column of expected) {
        const row = actualByName.get(column.name);
        if (!row) {
          drifts.push({ kind: "missing_column", table: name, column: column.name, expected: `${column.type} AS (${column.expression})` });
          continue;
        }
        const describedType = normalizeType(String(field(row, "type")));
        const infoRow = infoByName.get(column.name);
        const actualTypes = [describedType, ...(infoRow ? [infoSchemaType(infoRow)] : [])];
        const wanted = normalizeType(column.type);
        const wrong = actualTypes.find((t) => t !== wanted);
        if (wrong !== undefined) drifts.push({ kind: "retyped_column", table: name, column: column.name, expected: wanted, actual: wrong });
        const expression = String(field(row, "expression") ?? "");
        if (normalizeExpression(expression) !== normalizeExpression(column.expression)) {
          drifts.push({ kind: "changed_expression", table: name, column: column.name, expected: column.expression, actual: expression });
        }
      }
      const expectedNames = new Set(expected.map((c) => c.name));
      for (const actual of actualByName.keys()) {
        // VALUE is the external table's own VARIANT column.
        if (actual !== "VALUE" && !expectedNames.has(actual)) drifts.push({ kind: "extra_column", table: name, column: actual });
      }
    }
  }
  drifts.push(...(await pseudonymKeyDrift(connection)));
  return drifts;
}

/** Exactly one key of at least `PLATFORM.pseudonym.minKeyLength` characters, readable by the transformer. */
async function pseudonymKeyDrift(connection: SqlConnection): Promise<Drift[]> {
  const table = pseudonymKeyTableName();
  const { minKeyLength } = PLATFORM.pseudonym;
  const expected = `one key of at least ${minKeyLength} characters, readable by ${PLATFORM.snowflake.roles.transformer}`;
  let rows: Row[];
  try {
    await connection.execute(`USE ROLE ${PLATFORM.snowflake.roles.transformer}`);
    // A query needs a running warehouse: the platform's, the one the transformer may use (as dbt does).
    await connection.execute(`USE WAREHOUSE ${PLATFORM.snowflake.warehouse}`);
    rows = await connection.execute(pseudonymKeyCheckStatement());
  } catch (error) {
    return [{ kind: "pseudonym_key", table, expected, actual: (error as Error).message }];
  }
  const count = Number(field(rows[0] ?? {}, "KEY_ROWS") ?? 0);
  const shortest = Number(field(rows[0] ?? {}, "SHORTEST_KEY") ?? 0);
  if (count === 1 && shortest >= minKeyLength) return [];
  return [{ kind: "pseudonym_key", table, expected, actual: count === 0 ? "no key" : count > 1 ? `${count} keys` : `a key of ${shortest} characters` }];
}

export function formatDrift(d: Drift): string {
  const where = d.column ? `${d.table}.${d.column}` : d.table;
  switch (d.kind) {
    case "missing_table":
      return `missing table     ${where}: ${d.actual}`;
    case "missing_column":
      return `missing column    ${where}: expected ${d.expected}`;
    case "extra_column":
      return `extra column      ${where}: not in the contract`;
    case "retyped_column":
      return `retyped column    ${where}: expected ${d.expected}, found ${d.actual}`;
    case "changed_expression":
      return `changed expression ${where}: expected ${d.expected}, found ${d.actual}`;
    case "pseudonym_key":
      return `pseudonym key     ${where}: expected ${d.expected}, found ${d.actual} (set ${PLATFORM.pseudonym.keyEnv} and run snowflake:apply)`;
  }
}
