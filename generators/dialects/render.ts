/**
 * Renders an `Expr` tree to SQL text for one dialect. The walker is shared; each dialect is a table
 * (`duckdb.ts`, `spark.ts`) with one entry per node and per primitive function; a function written once over the tree
 * (`macros.ts`) is expanded into primitives before the table is consulted. A construct a dialect cannot express has
 * no entry or throws `DialectError` (`DIALECT.UNSUPPORTED`): never a silent approximation.
 */
import type { LogicalType } from "../ir/types.js";
import { DialectError, type SqlDialect } from "./dialect-error.js";
import { some, type Expr, type Fn, type PrimitiveFn } from "./expr.js";
import { expandMacro, isMacro } from "./macros.js";

export { DialectError, type SqlDialect };

/** What a dialect supplies. `r` renders a child node. */
export interface DialectTable {
  readonly name: SqlDialect;
  string(value: string): string;
  identifier(name: string): string;
  /** Regex literal for `regex_search` and `regex_extract_all` (ECMAScript source → this engine's syntax). */
  regex(pattern: string): string;
  type(type: LogicalType): string;
  /** Macros (`macros.ts`) are expanded before this table is consulted, so it has no entry for them. */
  readonly functions: { readonly [F in PrimitiveFn]?: (args: readonly string[], raw: readonly Expr[]) => string };
  jsonGet(json: string, key: string): string;
  jsonType(json: string): string;
  jsonElements(json: string): string;
  jsonValues(json: string): string;
  jsonScalar(json: string, as: "string" | "double" | "bigint" | "boolean"): string;
  lambda(variable: string, body: string): string;
  exists(list: string, lambda: string): string;
  filter(list: string, lambda: string): string;
  transform(list: string, lambda: string): string;
  elementAt(list: string, index: number): string;
  mapEntries(map: string): string;
  mapFromEntries(entries: string): string;
  arrayOf(items: readonly string[]): string;
  field(value: string, name: string): string;
  /** The JSON nodes are UDF calls that may not appear inside a lambda (Spark refuses Python UDFs there). */
  readonly jsonNodesOutsideLambdasOnly?: boolean;
}

const JSON_NODES: ReadonlySet<Expr["op"]> = new Set(["json_get", "json_elements", "json_values"]);

function containsJsonNode(expr: Expr): boolean {
  return some(expr, (node) => JSON_NODES.has(node.op));
}

function checkLambda(pred: Expr, d: DialectTable): void {
  if (d.jsonNodesOutsideLambdasOnly && containsJsonNode(pred)) {
    throw new DialectError(
      d.name,
      "a JSON member, element or value lookup inside a lambda (a rule on a field of an array element or map value)",
      "the lookup is a Python UDF, and Spark does not run Python UDFs inside higher-order functions.",
      "make the elements or values scalars (z.array(z.string()), z.record(z.string(), z.string())), or move the object's fields out of the array or map (a z.object field, at the top level or inside another object, is flattened into columns and checked): the fields of an object inside an array or map (z.array(z.object(…)), z.record(…, z.object(…))) cannot be checked on Spark.",
    );
  }
}

const BINARY: Partial<Record<Fn, string>> = { eq: "=", ne: "<>", lt: "<", le: "<=", gt: ">", ge: ">=", subtract: "-" };

export function render(expr: Expr, d: DialectTable): string {
  const r = (e: Expr) => render(e, d);
  switch (expr.op) {
    case "lit":
      if (expr.value === null) return "NULL";
      if (typeof expr.value === "boolean") return expr.value ? "TRUE" : "FALSE";
      if (typeof expr.value === "number") return numberLiteral(expr.value, d.name);
      if (typeof expr.value === "bigint") return String(expr.value);
      return d.string(expr.value);
    case "ref":
      return d.identifier(expr.name);
    case "call":
      return renderCall(expr.fn, expr.args, d);
    case "in":
      return `(${r(expr.value)} IN (${expr.list.map((v) => (typeof v === "number" ? numberLiteral(v, d.name) : d.string(v))).join(", ")}))`;
    case "case":
      return `CASE ${expr.whens.map(([w, t]) => `WHEN ${r(w)} THEN ${r(t)}`).join(" ")} ELSE ${r(expr.otherwise)} END`;
    case "cast":
      return `CAST(${r(expr.value)} AS ${d.type(expr.type)})`;
    case "json_get":
      return d.jsonGet(r(expr.json), expr.key);
    case "json_type":
      return d.jsonType(r(expr.json));
    case "json_elements":
      return d.jsonElements(r(expr.json));
    case "json_values":
      return d.jsonValues(r(expr.json));
    case "json_scalar":
      return d.jsonScalar(r(expr.json), expr.as);
    case "exists":
      checkLambda(expr.pred, d);
      return d.exists(r(expr.list), d.lambda(expr.variable, r(expr.pred)));
    case "filter":
      checkLambda(expr.pred, d);
      return d.filter(r(expr.list), d.lambda(expr.variable, r(expr.pred)));
    case "transform":
      checkLambda(expr.body, d);
      return d.transform(r(expr.list), d.lambda(expr.variable, r(expr.body)));
    case "element_at":
      return d.elementAt(r(expr.list), expr.index);
    case "map_entries":
      return d.mapEntries(r(expr.map));
    case "map_from_entries":
      return d.mapFromEntries(r(expr.entries));
    case "field":
      return d.field(r(expr.value), expr.name);
    case "codes": {
      if (expr.checks.length === 0) return d.filter(d.arrayOf([d.string("")]), d.lambda("c", "FALSE"));
      const items = expr.checks.map((c) => `CASE WHEN ${r(c.when)} THEN ${d.string(c.code)} END`);
      return d.filter(d.arrayOf(items), d.lambda("c", `${d.identifier("c")} IS NOT NULL`));
    }
  }
}

function renderCall(fn: Fn, args: readonly Expr[], d: DialectTable): string {
  if (isMacro(fn)) return render(expandMacro(fn, args, d.name), d);
  const rendered = args.map((a) => render(a, d));
  const binary = BINARY[fn];
  if (binary) return `(${rendered[0]} ${binary} ${rendered[1]})`;
  switch (fn) {
    case "and":
      return `(${rendered.join(" AND ")})`;
    case "or":
      return `(${rendered.join(" OR ")})`;
    case "not":
      return `(NOT ${rendered[0]})`;
    case "is_null":
      return `(${rendered[0]} IS NULL)`;
    case "is_not_null":
      return `(${rendered[0]} IS NOT NULL)`;
    case "between":
      return `(${rendered[0]} BETWEEN ${rendered[1]} AND ${rendered[2]})`;
    case "coalesce":
      return `coalesce(${rendered.join(", ")})`;
    case "nullif":
      return `nullif(${rendered[0]}, ${rendered[1]})`;
    case "concat":
      return `concat(${rendered.join(", ")})`;
    default: {
      const entry = d.functions[fn];
      if (!entry) throw new DialectError(d.name, `function ${fn}`, "the dialect table has no rendering for it.", "add one to the dialect table, or change the contract so the rule is not needed.");
      return entry(rendered, args);
    }
  }
}

export function numberLiteral(value: number, dialect: SqlDialect): string {
  if (!Number.isFinite(value)) throw new DialectError(dialect, `number ${value}`, "SQL has no literal for it.", "use a finite bound in the contract.");
  // Integers print without exponent; other numbers through JSON (shortest round-trip form).
  return Number.isInteger(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER ? String(value) : JSON.stringify(value);
}

/**
 * The text `parse_month_day_year` reads: an English month name, in full ("March") or in its three-letter form
 * ("Mar", as in Amazon's Q&A data: "Dec 27, 2013"), capitalised as written here, one space, a day of one or two
 * digits, a comma, one space and a year of four digits from 0001, nothing before or after. "Sept", "Mar." and "mar" are
 * not read. A text the pattern admits whose day does not exist in its month ("Feb 30, 2009") is NULL too. Each
 * dialect parses the full form, else the short form, guarded by this pattern (both engines read month names without
 * regard to case). Year 0000 is refused by the pattern: both engines would read it as 1 BC, a date Python's
 * `datetime.date` (years 1–9999) cannot hold, so every Python reader of the Parquet (PySpark's collect, pyarrow's
 * to_pylist) would fail on it.
 */
export const MONTH_DAY_YEAR_PATTERN =
  "^(January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{1,2}, ([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})$";

/**
 * Epoch seconds of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the range both engines and Parquet readers hold.
 * Outside it an epoch normalisation gives NULL instead of failing the run (Spark's timestamp_seconds overflows,
 * DuckDB's to_timestamp raises) — a contract accepting such values should bound them with .max().
 */
export function inTimestampRange(seconds: string): string {
  return `${seconds} BETWEEN -62135596800 AND 253402300799`;
}
