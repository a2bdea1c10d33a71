/**
 * dbt generic tests compiled to DuckDB queries that return the failing rows, with dbt's semantics: `not_null`,
 * `unique`, `accepted_values`, `relationships`, and dbt_utils' `accepted_range` and `unique_combination_of_columns`
 * (nulls pass every test but `not_null`, as in dbt). An unknown test is an error, never skipped.
 * https://docs.getdbt.com/reference/resource-properties/data-tests, https://github.com/dbt-labs/dbt-utils
 */
export interface DataTest {
  /** `not_null(stg_amazon__reviews.review_id)` */
  readonly name: string;
  readonly model: string;
  readonly column?: string;
  /** Query returning the failing rows. */
  readonly sql: string;
}

export class UnsupportedTestError extends Error {}

type TestSpec = string | Record<string, { arguments?: Record<string, unknown>; config?: Record<string, unknown> } | null>;

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
const literal = (value: unknown) => (typeof value === "number" ? String(value) : `'${String(value).replace(/'/g, "''")}'`);

/** `ref('x')` (as written in YAML `to:`) → `x`. */
function refTarget(to: unknown): string {
  const match = /^\s*ref\(\s*['"]([A-Za-z0-9_]+)['"]\s*\)\s*$/.exec(String(to));
  if (!match) throw new UnsupportedTestError(`relationships: "to: ${String(to)}" is not ref('<model>').`);
  return match[1]!;
}

export function compileTest(spec: TestSpec, model: string, relation: (model: string) => string, column?: string): DataTest {
  const [testName, body] = typeof spec === "string" ? [spec, null] : (Object.entries(spec)[0] ?? ["", null]);
  const args = (body?.arguments ?? {}) as Record<string, unknown>;
  const from = relation(model);
  const c = column ? ident(column) : "";
  const label = `${testName}(${model}${column ? `.${column}` : ""})`;
  const needColumn = () => {
    if (!column) throw new UnsupportedTestError(`${label}: this test needs a column.`);
  };
  switch (testName) {
    case "not_null":
      needColumn();
      return { name: label, model, column, sql: `SELECT * FROM ${from} WHERE ${c} IS NULL` };
    case "unique":
      needColumn();
      return { name: label, model, column, sql: `SELECT ${c}, count(*) AS n_records FROM ${from} WHERE ${c} IS NOT NULL GROUP BY ${c} HAVING count(*) > 1` };
    case "accepted_values": {
      needColumn();
      const values = (args.values as unknown[] | undefined) ?? [];
      const quote = args.quote !== false;
      const list = values.map((v) => (quote ? literal(String(v)) : String(Number(v)))).join(", ");
      return { name: label, model, column, sql: `SELECT ${c}, count(*) AS n_records FROM ${from} WHERE ${c} IS NOT NULL AND ${c} NOT IN (${list}) GROUP BY ${c}` };
    }
    case "relationships": {
      needColumn();
      const target = relation(refTarget(args.to));
      const field = ident(String(args.field));
      return {
        name: label,
        model,
        column,
        sql: `SELECT child.${c} FROM ${from} AS child LEFT JOIN ${target} AS parent ON child.${c} = parent.${field} WHERE child.${c} IS NOT NULL AND parent.${field} IS NULL`,
      };
    }
    case "dbt_utils.accepted_range": {
      needColumn();
      const inclusive = args.inclusive !== false;
      const bounds: string[] = [];
      if (args.min_value !== undefined) bounds.push(`${c} ${inclusive ? ">=" : ">"} ${literal(args.min_value)}`);
      if (args.max_value !== undefined) bounds.push(`${c} ${inclusive ? "<=" : "<"} ${literal(args.max_value)}`);
      if (!bounds.length) throw new UnsupportedTestError(`${label}: give min_value or max_value.`);
      return { name: label, model, column, sql: `SELECT * FROM ${from} WHERE NOT (${bounds.join(" AND ")})` };
    }
    case "dbt_utils.unique_combination_of_columns": {
      const columns = ((args.combination_of_columns as string[] | undefined) ?? []).map(ident);
      if (!columns.length) throw new UnsupportedTestError(`${label}: give combination_of_columns.`);
      return { name: label, model, column, sql: `SELECT ${columns.join(", ")}, count(*) AS n_records FROM ${from} GROUP BY ${columns.join(", ")} HAVING count(*) > 1` };
    }
    default:
      throw new UnsupportedTestError(`${label}: the local run does not implement this test. Implement it in runners/local-warehouse/data-tests.ts or run it with dbt.`);
  }
}
