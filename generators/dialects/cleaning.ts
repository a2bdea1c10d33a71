/**
 * The cleaning and flattening rules of a dataset, as expression trees (`expr.ts`), built from the IR only.
 * The Glue jobs and the local DuckDB pipeline render these same trees; nothing here knows a dialect.
 *
 * Stages and the names they share:
 * - clean reads each raw line into `_json` (the record as a JSON value), computes `_reasons` (every failed rule
 *   code), keeps the valid records typed in the raw shape (one column per raw top-level field, `rawColumns`),
 *   plus the table key and the lineage columns (`stages.ts`: `CLEANED_LINEAGE`);
 * - flatten reads the cleaned zone and computes each processed column (`columnExpr`) and each child table.
 */
import type { ChildTableIR, ColumnIR, DatasetIR, RawField, RuleIR } from "../ir/types.js";
import {
  and,
  call,
  cast,
  caseWhen,
  children,
  codes,
  eq,
  exists,
  field,
  filter,
  inList,
  isNotNull,
  isNull,
  jsonElements,
  jsonGet,
  jsonScalar,
  jsonType,
  jsonValues,
  lit,
  mapEntries,
  mapFromEntries,
  mapChildren,
  not,
  or,
  ref,
  transform,
  type Expr,
  type Fn,
} from "./expr.js";

export const RECORD = "_json";
export const RAW_TEXT = "_raw";
export const REASONS = "_reasons";
/** Longest record (bytes of one line) both engines load by default; a longer one is quarantined as too long. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

/** Reason codes of records that are not JSON objects; they come before any rule. */
export const RECORD_REASONS = {
  invalidUtf8: "record.invalid_utf8",
  invalidJson: "record.invalid_json",
  notAnObject: "record.not_an_object",
  /** The record is longer than the record limit (`MAX_RECORD_BYTES`); quarantined with its first bytes. */
  tooLong: "record.too_long",
  /** The last element of a JSON array file that was cut off (an interrupted upload). */
  truncated: "record.truncated",
  /** Spark only: the rules accepted the record but Spark's typed read did not (a safety net; never seen so far). */
  unreadableBySpark: "record.unreadable_by_spark",
} as const;

type Step = { readonly kind: "member"; readonly key: string } | { readonly kind: "elements" } | { readonly kind: "values" };

/** `style{}` → member style, values; `image[]` → member image, elements; `details.asin` → two members. */
export function parsePath(path: string): Step[] {
  const steps: Step[] = [];
  const re = /([^.[\]{}]+)|(\[\])|(\{\})|\./g;
  for (const m of path.matchAll(re)) {
    if (m[1] !== undefined) steps.push({ kind: "member", key: m[1] });
    else if (m[2] !== undefined) steps.push({ kind: "elements" });
    else if (m[3] !== undefined) steps.push({ kind: "values" });
  }
  return steps;
}


/**
 * True when some value at `steps` (from `json`) fails `check`. `parentIsObject` guards `missing` on nested members:
 * a member of something that is not an object is reported by the parent's wrong_type rule, not as missing.
 */
function anyValue(json: Expr, steps: readonly Step[], check: (value: Expr, parent: Expr) => Expr, parent: Expr = json, depth = 0): Expr {
  if (steps.length === 0) return check(json, parent);
  const [step, ...rest] = steps;
  if (step!.kind === "member") return anyValue(jsonGet(json, step!.key), rest, check, json, depth);
  // Lambda variables are named by nesting depth, so the rendered text is the same on every run.
  const variable = `x${depth}`;
  const list = step!.kind === "elements" ? jsonElements(json) : jsonValues(json);
  return exists(list, variable, anyValue(ref(variable), rest, check, json, depth + 1));
}

const typeIs = (value: Expr, type: string) => eq(jsonType(value), lit(type));

/** The predicate that is true when a JSON value breaks the rule (the value itself is SQL NULL when absent). */
function valueFails(rule: RuleIR, value: Expr, parent: Expr, nested: boolean): Expr {
  const p = rule.params;
  const number = () => jsonScalar(value, "double");
  const text = () => jsonScalar(value, "string");
  switch (rule.kind) {
    case "missing":
      return nested ? and(typeIs(parent, "object"), isNull(value)) : isNull(value);
    case "null":
      return typeIs(value, "null");
    case "wrong_type": {
      const expected = Array.isArray(p.expected) ? p.expected : [p.expected];
      return and(isNotNull(value), not(inList(jsonType(value), ["null", ...(expected as string[])])));
    }
    case "not_integer":
      return and(typeIs(value, "number"), call("ne", call("floor", number()), number()));
    case "out_of_range": {
      const bounds: Expr[] = [];
      if (p.minimum !== undefined) bounds.push(call("lt", number(), lit(p.minimum)));
      if (p.maximum !== undefined) bounds.push(call("gt", number(), lit(p.maximum)));
      if (p.exclusiveMinimum !== undefined) bounds.push(call("le", number(), lit(p.exclusiveMinimum)));
      if (p.exclusiveMaximum !== undefined) bounds.push(call("ge", number(), lit(p.exclusiveMaximum)));
      return and(typeIs(value, "number"), or(...bounds));
    }
    case "too_short":
      return and(typeIs(value, "string"), call("lt", call("codepoint_length", text()), lit(p.minLength!)));
    case "too_long":
      return and(typeIs(value, "string"), call("gt", call("codepoint_length", text()), lit(p.maxLength!)));
    case "pattern_mismatch":
      return and(typeIs(value, "string"), not(call("regex_search", text(), lit(p.pattern!))));
    case "not_in_enum": {
      const values = p.enum ?? [];
      const strings = values.filter((v): v is string => typeof v === "string");
      const numbers = values.filter((v): v is number => typeof v === "number");
      const fails: Expr[] = [];
      fails.push(and(typeIs(value, "string"), strings.length ? not(inList(text(), strings)) : lit(true)));
      fails.push(and(typeIs(value, "number"), numbers.length ? not(inList(number(), numbers)) : lit(true)));
      return or(...fails);
    }
    case "too_few_items":
      return and(typeIs(value, "array"), call("lt", call("list_length", jsonElements(value)), lit(p.minItems!)));
    case "too_many_items":
      return and(typeIs(value, "array"), call("gt", call("list_length", jsonElements(value)), lit(p.maxItems!)));
    case "invalid_format":
      throw new Error(
        `DIALECT.UNSUPPORTED: rule ${rule.code} (Zod format "${String(p.format)}") has no exact SQL equivalent in Spark or DuckDB. Fix: use .regex(...) in the contract instead of a format.`,
      );
  }
}

/** The failure predicate of one rule over the record `record` (a JSON object value). */
export function ruleFails(rule: RuleIR, record: Expr = ref(RECORD)): Expr {
  const steps = parsePath(rule.path);
  const nested = steps.length > 1;
  return anyValue(record, steps, (value, parent) => valueFails(rule, value, parent, nested));
}

/** Every failed rule code of a record, in rule order (a list of strings; empty when valid). */
export function reasonCodes(dataset: DatasetIR, record: Expr = ref(RECORD)): Expr {
  return codes(dataset.rules.map((rule) => ({ code: rule.code, when: ruleFails(rule, record) })));
}

/**
 * Shape of a typed raw value in the cleaned zone. An integer, at any depth (a list's elements, a map's values, an
 * object's fields), is read as a number first (JSON `5.0` is a valid int; Spark's typed read refuses it as a long),
 * then stored as BIGINT (`storedCast`): a list of integers kept as JSON text is written `[1,2]` by both engines, not
 * `[1.0,2.0]` (DuckDB) and `[1.2345678E7]` (Spark, for 12345678).
 */
export type RawShape =
  | { readonly kind: "string" | "double" | "integer" | "boolean" | "json" }
  | { readonly kind: "list"; readonly element: RawShape }
  | { readonly kind: "map"; readonly value: RawShape }
  | { readonly kind: "struct"; readonly fields: readonly { readonly name: string; readonly shape: RawShape }[] };

export function rawShape(field: RawField): RawShape {
  switch (field.kind) {
    case "string":
      return { kind: "string" };
    case "number":
      return { kind: "double" };
    case "integer":
      return { kind: "integer" };
    case "boolean":
      return { kind: "boolean" };
    case "union":
      return { kind: "json" };
    case "array":
      return { kind: "list", element: rawShape(field.element!) };
    case "record":
      return { kind: "map", value: rawShape(field.element!) };
    case "object":
      return { kind: "struct", fields: (field.fields ?? []).map((f) => ({ name: f.key, shape: rawShape(f) })) };
  }
}

/** True when the shape holds an integer at some depth: its typed read (numbers as doubles) is cast to the stored type. */
export function holdsInteger(shape: RawShape): boolean {
  switch (shape.kind) {
    case "integer":
      return true;
    case "list":
      return holdsInteger(shape.element);
    case "map":
      return holdsInteger(shape.value);
    case "struct":
      return shape.fields.some((f) => holdsInteger(f.shape));
    default:
      return false;
  }
}

/** A typed top-level raw column of the cleaned zone. */
export interface RawColumn {
  readonly name: string;
  readonly field: RawField;
  readonly shape: RawShape;
  /**
   * The typed read is cast to the stored type (every integer in it, at any depth, read as a double, stored as
   * BIGINT); otherwise the read is stored as it is.
   */
  readonly storedCast: boolean;
}

export function rawColumns(dataset: DatasetIR): RawColumn[] {
  return dataset.raw.fields.map((f) => {
    const shape = rawShape(f);
    return { name: f.key, field: f, shape, storedCast: holdsInteger(shape) };
  });
}

/**
 * The surrogate key of `ColumnSource` over raw values: lowercase hex SHA-256 of their texts (null as empty) joined by
 * `|`, each text with `\` written `\\` and `|` written `\|` first, so that two different lists of texts never give
 * the same joined text ("A|B", "C" and "A", "B|C" would, unescaped; key parts are required and non-null, so no NULL
 * meets an empty text). A text holding neither character is written as it stands: the key of such values is the hash
 * of their plain join, as before the escape.
 */
export function surrogateKey(values: readonly Expr[]): Expr {
  const parts: Expr[] = [];
  values.forEach((value, i) => {
    if (i > 0) parts.push(lit("|"));
    const escaped = call("replace", call("replace", call("to_text", value), lit("\\"), lit("\\\\")), lit("|"), lit("\\|"));
    parts.push(call("coalesce", escaped, lit("")));
  });
  return call("sha256_hex", call("concat", ...parts));
}

/** A typed raw value in the cleaned zone, by dotted path (top-level column, then struct fields). */
function rawValue(path: string): Expr {
  const [top, ...rest] = path.split(".");
  return rest.reduce<Expr>((value, name) => field(value, name), ref(top!));
}

function normalizeKey(key: Expr, steps: readonly ("trim" | "strip_trailing_colon")[]): Expr {
  return steps.reduce((value, step) => (step === "trim" ? call("trim_whitespace", value) : call("strip_trailing_colon", value)), key);
}

/** The keys of a map, each normalized, in the map's order. */
function normalizedKeys(map: Expr, steps: readonly ("trim" | "strip_trailing_colon")[]): Expr {
  const k = "k";
  return transform(call("map_keys", map), k, normalizeKey(ref(k), steps));
}

function applyNormalizations(value: Expr, column: ColumnIR): Expr {
  let out = value;
  for (const step of column.normalize) {
    switch (step) {
      case "trim":
        out = call("trim_whitespace", out);
        break;
      case "empty_to_null":
        out = call("nullif", out, lit(""));
        break;
      case "html_unescape":
        out = call("html_unescape", out);
        break;
      case "parse_integer":
        out = call("parse_integer", out);
        break;
      case "parse_money": {
        const t = column.type.kind === "decimal" ? column.type : { precision: 38, scale: 2 };
        out = call("parse_money", out, lit(t.precision), lit(t.scale));
        break;
      }
      case "parse_month_day_year":
        out = call("parse_month_day_year", out);
        break;
      case "epoch_seconds_to_timestamp":
        out = call("epoch_seconds_to_timestamp", out);
        break;
      case "epoch_seconds_to_date":
        out = call("epoch_seconds_to_date", out);
        break;
    }
  }
  return out;
}

/** The key columns computed while cleaning (surrogate keys, or the key fields themselves). */
export function keyExprs(dataset: DatasetIR): { name: string; expr: Expr }[] {
  return dataset.table.key.map((name) => {
    const column = dataset.table.columns.find((c) => c.name === name)!;
    return { name, expr: sourceValue(dataset, column) };
  });
}

/**
 * The key columns the clean stage adds beside the typed raw columns: all of `keyExprs` but a key that is a raw
 * top-level field under its own name (product's `asin`), which is already a column of the cleaned zone.
 */
export function addedKeyExprs(dataset: DatasetIR): { name: string; expr: Expr }[] {
  const raw = new Set(dataset.raw.fields.map((f) => f.key));
  return keyExprs(dataset).filter((k) => {
    if (!raw.has(k.name)) return true;
    if (k.expr.op === "ref" && k.expr.name === k.name) return false;
    throw new Error(`Bug: key column "${k.name}" of dataset ${dataset.name} has the name of a raw field but another value.`);
  });
}

function sourceValue(dataset: DatasetIR, column: ColumnIR): Expr {
  const s = column.source;
  switch (s.kind) {
    case "field":
      return rawValue(s.path);
    case "surrogate_key":
      return surrogateKey(s.paths.map(rawValue));
    case "map_key": {
      // The value of the first key (in record order: maps keep insertion order in both engines) that normalizes to
      // the declared one. The normalized keys are the same expression for every key of the map, so an engine can
      // compute them once per record for all its columns (`hoistSharedLists`).
      const map = rawValue(s.path);
      return call("list_lookup", normalizedKeys(map, s.keyNormalize), call("map_values", map), lit(s.key));
    }
    case "map_rest": {
      const e = "entry";
      const rest = filter(mapEntries(rawValue(s.path)), e, not(inList(normalizeKey(field(ref(e), "key"), s.keyNormalize), s.declaredKeys)));
      return caseWhen([[call("gt", call("list_length", rest), lit(0)), call("to_json_text", mapFromEntries(rest))]], lit(null));
    }
    case "json": {
      const top = s.path.split(".")[0]!;
      // Unions are kept as JSON text while cleaning; arrays and objects are typed and printed back.
      const union = dataset.raw.fields.some((f) => f.key === top && f.kind === "union");
      return union ? rawValue(s.path) : call("to_json_text", rawValue(s.path));
    }
    case "parent_key":
      return ref(s.column);
    case "array_position":
      return ref(CHILD_POSITION);
    case "array_element":
      return ref(CHILD_ELEMENT);
    case "processed_at":
      return ref(PROCESSED_AT);
    case "raw_modified_at":
      return ref(RAW_MODIFIED_AT);
    case "raw_object":
      return ref(RAW_OBJECT);
  }
}

export const CHILD_POSITION = "_position";
export const CHILD_ELEMENT = "_element";
/** Column the flatten stage adds to the cleaned relation: the run's start time (UTC), one value per run. */
export const PROCESSED_AT = "_processed_at";
/** Lineage column of the cleaned zone (`stages.ts`): when the record's raw object was last modified (UTC). */
export const RAW_MODIFIED_AT = "_raw_modified_at";
/** Lineage column of the cleaned zone (`stages.ts`): the input file (on AWS the raw object's URI) the record was read from. */
export const RAW_OBJECT = "_source_file";

/** A processed column's expression over the cleaned zone (children: over exploded `_position`, `_element`). */
export function columnExpr(dataset: DatasetIR, column: ColumnIR): Expr {
  if (column.key && column.source.kind === "surrogate_key") return cast(ref(column.name), column.type);
  return cast(applyNormalizations(sourceValue(dataset, column), column), column.type);
}

/** The child tables with the raw array each explodes (a list column of the cleaned zone). */
export function childArrays(dataset: DatasetIR): { child: ChildTableIR; array: Expr }[] {
  return dataset.children.map((child) => ({ child, array: rawValue(child.arrayPath) }));
}

/**
 * Replaces each `json_get(_json, key)` (a top-level member of the record) with a column computed once per record,
 * named by `column(key, index)` (default `_m_<key>`); returns the member keys in order of first use. Both engines
 * extract the members in one pass instead of parsing the record again for every rule.
 */
export function hoistMembers(expr: Expr, column: (key: string, index: number) => string = (key) => `_m_${key}`): { expr: Expr; members: string[] } {
  const members: string[] = [];
  const walk = (e: Expr): Expr => {
    if (e.op === "json_get" && e.json.op === "ref" && e.json.name === RECORD) {
      if (!members.includes(e.key)) members.push(e.key);
      return { op: "ref", name: column(e.key, members.indexOf(e.key)) };
    }
    return mapChildren(e, walk);
  };
  return { expr: walk(expr), members };
}

/**
 * Node kinds over a member column that `hoistMemberValues` computes once per record: none of them raises on any JSON
 * value (a scalar is read with a `TRY_CAST` or as text, elements and values are guarded by the JSON type inside the
 * node), and each gives NULL for a NULL member, so each may be evaluated for every record.
 */
const MEMBER_VALUES: ReadonlySet<Expr["op"]> = new Set(["json_type", "json_scalar", "json_elements", "json_values"]);

/**
 * Replaces each JSON type, scalar, element list or value list of a member column (`columns`, as `hoistMembers` named
 * them) that the expression reads more than once with a column named `name(index)`, to be computed once per record
 * before the expression; returns those values in order. Every rule is a CASE, and DuckDB does not share a repeated
 * sub-expression under a CASE or AND/OR: the 42 review rules parsed the member texts about 40 times per record
 * (a member's JSON type alone up to four times).
 */
export function hoistMemberValues(expr: Expr, columns: ReadonlySet<string>, name: (index: number) => string): { expr: Expr; values: { name: string; expr: Expr }[] } {
  const isValue = (e: Expr) => MEMBER_VALUES.has(e.op) && "json" in e && e.json.op === "ref" && columns.has(e.json.name);
  const { exprs, values } = hoistRepeated([expr], isValue, name);
  return { expr: exprs[0]!, values };
}

const isLambda = (e: Expr): e is Extract<Expr, { op: "exists" | "filter" | "transform" }> => e.op === "exists" || e.op === "filter" || e.op === "transform";

/**
 * Replaces each sub-expression `hoist` accepts that appears more than once in `exprs` with a column named
 * `name(index)`, to be computed once per row before them; returns those values in order. Lambda bodies are not
 * searched: what they hold may read the lambda's variable, which is no column.
 */
function hoistRepeated(exprs: readonly Expr[], hoist: (e: Expr) => boolean, name: (index: number) => string): { exprs: Expr[]; values: { name: string; expr: Expr }[] } {
  const uses = new Map<string, number>();
  const count = (e: Expr): void => {
    if (!hoist(e)) return (isLambda(e) ? [e.list] : children(e)).forEach(count);
    const key = JSON.stringify(e);
    uses.set(key, (uses.get(key) ?? 0) + 1);
  };
  exprs.forEach(count);
  const values: { name: string; expr: Expr }[] = [];
  const names = new Map<string, string>();
  const walk = (e: Expr): Expr => {
    const key = hoist(e) ? JSON.stringify(e) : undefined;
    if (key && uses.get(key)! > 1) {
      if (!names.has(key)) {
        names.set(key, name(values.length));
        values.push({ name: names.get(key)!, expr: e });
      }
      return ref(names.get(key)!);
    }
    return isLambda(e) ? { ...e, list: walk(e.list) } : mapChildren(e, walk);
  };
  return { exprs: exprs.map(walk), values };
}

/** Functions that raise on no argument (no cast, parse or JSON read): a list built with them may be computed for every row. */
const TOTAL_FUNCTIONS: ReadonlySet<Fn> = new Set<Fn>([
  "and", "or", "not", "is_null", "is_not_null", "eq", "ne", "coalesce", "nullif", "concat", "trim_whitespace", "strip_trailing_colon",
  "map_keys", "map_values", "to_text", "list_length", "codepoint_length", "string_position", "replace",
]);

const total = (e: Expr): boolean =>
  (e.op === "call" ? TOTAL_FUNCTIONS.has(e.fn) : ["lit", "ref", "in", "case", "field", "transform", "filter", "exists", "map_entries"].includes(e.op)) && children(e).every(total);

/**
 * Replaces each list built by a lambda (`transform`, `filter`) that appears more than once in `exprs` (a table's
 * columns) with a column named `name(index)`, to be computed once per row before them; returns the lists in order.
 * The normalized keys of a map are one such list for every declared key of the map: DuckDB computed them once per
 * column (four style columns: four passes of a lambda over every record's style), and the rest of the map twice in
 * its column (under a CASE, where DuckDB shares nothing). Only lists built with functions that raise on nothing are
 * moved (`TOTAL_FUNCTIONS`), since they are then computed for every row.
 */
export function hoistSharedLists(exprs: readonly Expr[], name: (index: number) => string): { exprs: Expr[]; values: { name: string; expr: Expr }[] } {
  return hoistRepeated(exprs, (e) => (e.op === "transform" || e.op === "filter") && total(e), name);
}

/** Names of the columns an expression reads (lambda variables included; callers intersect with what they know). */
export function refNames(e: Expr): string[] {
  return e.op === "ref" ? [e.name] : children(e).flatMap(refNames);
}
