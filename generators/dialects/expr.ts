/**
 * One expression tree for the cleaning and flattening rules, rendered per engine by `render.ts` (sqlglot's shape:
 * one tree, one generator per dialect, a function table per dialect, "cannot express" is an error).
 *
 * JSON values: a node of "JSON value" type is whatever the engine uses to hold a parsed JSON value — DuckDB's JSON
 * type, or JSON text in Spark. `json_get` yields SQL NULL when a member is absent and a JSON `null` when it is
 * present and null, so "missing" and "null" stay two different reasons, as in Zod.
 */
import type { LogicalType } from "../ir/types.js";

/** Canonical JSON types, as `json_type` returns them. */
export type JsonType = "string" | "number" | "boolean" | "null" | "array" | "object";

/**
 * Functions written once over the tree: `macros.ts` expands each into the primitive functions and nodes below
 * before any dialect table is consulted, so no dialect renders them itself.
 * - `html_unescape`: decode `&amp; &lt; &gt; &quot; &apos; &#NNN; &#xHH;` in one left-to-right pass (`&amp;lt;` →
 *   `&lt;`); invalid code points (`&#0;`, surrogates, beyond U+10FFFF) stay as written.
 * - `parse_integer`: `"1,341"` / `"1341"` → BIGINT; anything else (`"1,34"`) NULL.
 * - `parse_money(text, precision, scale)`: `"$1,250.00"` → DECIMAL(p,s) (integer literal arguments); anything else,
 *   or a value beyond the precision, NULL.
 */
export const MACRO_FUNCTIONS = ["html_unescape", "parse_integer", "parse_money"] as const;

/**
 * Every function of the tree. Each dialect table renders the primitives or leaves one out (then rendering throws
 * `DIALECT.UNSUPPORTED`); `render.test.ts` asserts the full table, so a new function needs an explicit answer
 * per dialect.
 * - `between(x, low, high)`: SQL `BETWEEN` (bounds included); `subtract(a, b)`: `a - b`.
 * - `regex_search(text, pattern)`: the ECMAScript pattern matches somewhere in text (JavaScript `RegExp.test`).
 * - `regex_extract_all(text, pattern)`: every non-overlapping match, left to right, as a list of strings (the
 *   pattern, a literal, must not match the empty string).
 * - `codepoint_length`: length in Unicode code points, as Zod 4's min/max and JSON Schema's minLength/maxLength count.
 * - `string_position(text, search)`: 1-based code point position of the first occurrence; 0 when absent.
 * - `substring(text, start[, length])`: 1-based, in code points; to the end without a length.
 * - `replace(text, search, replacement)`: every occurrence, literally (no pattern).
 * - `trim_whitespace`: remove leading and trailing space, tab, CR and LF.
 * - `sha256_hex`: lowercase hex SHA-256 of the UTF-8 text.
 * - `to_json_text`: JSON text of a typed value (list or map), compact, as both engines print it.
 * - `list_join(list, separator)`: the strings of a list joined.
 * - `codepoint_to_text(n)`: the one-character string of code point n (1..U+10FFFF, not a surrogate; callers guard).
 * - `hex_to_integer(text)`: INT of 1–7 hex digits (either case).
 * - `parse_month_day_year`: `"May 15, 2009"` or `"Dec 27, 2013"` → DATE; anything else NULL (`MONTH_DAY_YEAR_PATTERN`).
 * - `epoch_seconds_to_timestamp` / `_to_date`: UTC; NULL outside years 1–9999.
 * - `strip_trailing_colon`: remove one trailing `:`.
 * - `map_keys(map)` / `map_values(map)`: a map's keys, and its values in the same order.
 * - `list_lookup(keys, values, key)`: the element of `values` at the first position where `keys` holds `key` (a
 *   non-NULL value); NULL when `keys` does not hold it or is NULL.
 * - `invalid_utf8`: whether the bytes of a raw line are not valid UTF-8 (Spark reads text lines as bytes).
 */
export const FUNCTIONS = [
  "and", "or", "not",
  "is_null", "is_not_null",
  "eq", "ne", "lt", "le", "gt", "ge", "between", "subtract",
  "coalesce", "concat", "nullif",
  "regex_search", "regex_extract_all", "codepoint_length", "string_position", "substring", "replace", "trim_whitespace",
  "sha256_hex", "to_text", "floor", "list_length", "list_join", "to_json_text", "codepoint_to_text", "hex_to_integer",
  ...MACRO_FUNCTIONS, "parse_month_day_year",
  "epoch_seconds_to_timestamp", "epoch_seconds_to_date", "strip_trailing_colon", "invalid_utf8",
  "map_keys", "map_values", "list_lookup",
] as const;

export type Fn = (typeof FUNCTIONS)[number];
export type MacroFn = (typeof MACRO_FUNCTIONS)[number];
/** The functions a dialect table renders (macros never reach it). */
export type PrimitiveFn = Exclude<Fn, MacroFn>;

export type Expr =
  /** A bigint is an exact integer beyond a double's (a decimal bound); it prints as written. */
  | { readonly op: "lit"; readonly value: string | number | bigint | boolean | null }
  | { readonly op: "ref"; readonly name: string }
  | { readonly op: "call"; readonly fn: Fn; readonly args: readonly Expr[] }
  | { readonly op: "in"; readonly value: Expr; readonly list: readonly (string | number)[] }
  | { readonly op: "case"; readonly whens: readonly (readonly [Expr, Expr])[]; readonly otherwise: Expr }
  | { readonly op: "cast"; readonly value: Expr; readonly type: LogicalType }
  /** Member `key` of a JSON object value; SQL NULL when absent or when the value is not an object. */
  | { readonly op: "json_get"; readonly json: Expr; readonly key: string }
  /** Canonical JSON type of a JSON value (`JsonType`); SQL NULL for SQL NULL. */
  | { readonly op: "json_type"; readonly json: Expr }
  /** Elements of a JSON array value, as a list of JSON values (empty for a non-array). */
  | { readonly op: "json_elements"; readonly json: Expr }
  /** Member values of a JSON object value, as a list of JSON values (empty for a non-object). */
  | { readonly op: "json_values"; readonly json: Expr }
  /** Scalar of a JSON value read as the given type (string, number as DOUBLE, BIGINT, boolean). */
  | { readonly op: "json_scalar"; readonly json: Expr; readonly as: "string" | "double" | "bigint" | "boolean" }
  /** Whether any element of `list` satisfies `pred` (with `variable` bound to the element). */
  | { readonly op: "exists"; readonly list: Expr; readonly variable: string; readonly pred: Expr }
  /** Elements of `list` that satisfy `pred`. */
  | { readonly op: "filter"; readonly list: Expr; readonly variable: string; readonly pred: Expr }
  /** Each element of `list` replaced by `body` (with `variable` bound to the element), in order. */
  | { readonly op: "transform"; readonly list: Expr; readonly variable: string; readonly body: Expr }
  /** 1-based element of a list; NULL when out of range. */
  | { readonly op: "element_at"; readonly list: Expr; readonly index: number }
  /** Entries (`key`, `value` fields) of a typed map, in insertion order. */
  | { readonly op: "map_entries"; readonly map: Expr }
  /** A map built from a list of entries (`key`, `value`). */
  | { readonly op: "map_from_entries"; readonly entries: Expr }
  /** Field of a struct-typed value (map entries: `key`, `value`). */
  | { readonly op: "field"; readonly value: Expr; readonly name: string }
  /** The codes whose condition holds, as a list of strings, in the order given. */
  | { readonly op: "codes"; readonly checks: readonly { readonly code: string; readonly when: Expr }[] };

export const lit = (value: string | number | bigint | boolean | null): Expr => ({ op: "lit", value });
export const ref = (name: string): Expr => ({ op: "ref", name });
export const call = (fn: Fn, ...args: Expr[]): Expr => ({ op: "call", fn, args });
export const and = (...args: Expr[]): Expr => (args.length === 1 ? args[0]! : call("and", ...args));
export const or = (...args: Expr[]): Expr => (args.length === 1 ? args[0]! : call("or", ...args));
export const not = (arg: Expr): Expr => call("not", arg);
export const isNull = (arg: Expr): Expr => call("is_null", arg);
export const isNotNull = (arg: Expr): Expr => call("is_not_null", arg);
export const eq = (a: Expr, b: Expr): Expr => call("eq", a, b);
export const inList = (value: Expr, list: readonly (string | number)[]): Expr => ({ op: "in", value, list });
export const caseWhen = (whens: readonly (readonly [Expr, Expr])[], otherwise: Expr): Expr => ({ op: "case", whens, otherwise });
export const cast = (value: Expr, type: LogicalType): Expr => ({ op: "cast", value, type });
export const jsonGet = (json: Expr, key: string): Expr => ({ op: "json_get", json, key });
export const jsonType = (json: Expr): Expr => ({ op: "json_type", json });
export const jsonElements = (json: Expr): Expr => ({ op: "json_elements", json });
export const jsonValues = (json: Expr): Expr => ({ op: "json_values", json });
export const jsonScalar = (json: Expr, as: "string" | "double" | "bigint" | "boolean"): Expr => ({ op: "json_scalar", json, as });
export const exists = (list: Expr, variable: string, pred: Expr): Expr => ({ op: "exists", list, variable, pred });
export const filter = (list: Expr, variable: string, pred: Expr): Expr => ({ op: "filter", list, variable, pred });
export const transform = (list: Expr, variable: string, body: Expr): Expr => ({ op: "transform", list, variable, body });
export const elementAt = (list: Expr, index: number): Expr => ({ op: "element_at", list, index });
export const mapEntries = (map: Expr): Expr => ({ op: "map_entries", map });
export const mapFromEntries = (entries: Expr): Expr => ({ op: "map_from_entries", entries });
export const field = (value: Expr, name: string): Expr => ({ op: "field", value, name });
export const codes = (checks: readonly { code: string; when: Expr }[]): Expr => ({ op: "codes", checks });

/**
 * The direct sub-expressions of a node, in order. The one place that knows where each node kind keeps its children:
 * every walker (rendering checks, hoisting, reference collection) goes through `children` / `mapChildren`, and a new
 * node kind fails to compile here until it says what its children are.
 */
export function children(e: Expr): Expr[] {
  switch (e.op) {
    case "lit":
    case "ref":
      return [];
    case "call":
      return [...e.args];
    case "in":
    case "cast":
    case "field":
      return [e.value];
    case "case":
      return [...e.whens.flatMap(([w, t]) => [w, t]), e.otherwise];
    case "json_get":
    case "json_type":
    case "json_elements":
    case "json_values":
    case "json_scalar":
      return [e.json];
    case "exists":
    case "filter":
      return [e.list, e.pred];
    case "transform":
      return [e.list, e.body];
    case "element_at":
      return [e.list];
    case "map_entries":
      return [e.map];
    case "map_from_entries":
      return [e.entries];
    case "codes":
      return e.checks.map((c) => c.when);
    default:
      return unreachable(e);
  }
}

/** A copy of the node with every direct sub-expression replaced by `f(child)` (the node itself is not visited). */
export function mapChildren(e: Expr, f: (child: Expr) => Expr): Expr {
  switch (e.op) {
    case "lit":
    case "ref":
      return e;
    case "call":
      return { ...e, args: e.args.map(f) };
    case "in":
    case "cast":
    case "field":
      return { ...e, value: f(e.value) };
    case "case":
      return { ...e, whens: e.whens.map(([w, t]) => [f(w), f(t)] as const), otherwise: f(e.otherwise) };
    case "json_get":
    case "json_type":
    case "json_elements":
    case "json_values":
    case "json_scalar":
      return { ...e, json: f(e.json) };
    case "exists":
    case "filter":
      return { ...e, list: f(e.list), pred: f(e.pred) };
    case "transform":
      return { ...e, list: f(e.list), body: f(e.body) };
    case "element_at":
      return { ...e, list: f(e.list) };
    case "map_entries":
      return { ...e, map: f(e.map) };
    case "map_from_entries":
      return { ...e, entries: f(e.entries) };
    case "codes":
      return { ...e, checks: e.checks.map((c) => ({ ...c, when: f(c.when) })) };
    default:
      return unreachable(e);
  }
}

/** Whether `test` holds for the node or any node below it (pre-order, stops at the first match). */
export function some(e: Expr, test: (node: Expr) => boolean): boolean {
  return test(e) || children(e).some((c) => some(c, test));
}

function unreachable(e: never): never {
  throw new Error(`Unknown expression node ${JSON.stringify(e)}. This is a bug in the generator.`);
}
