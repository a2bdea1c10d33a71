/**
 * The shape of what a contract author writes outside the Zod schema: `defineContract({...})` and each field's
 * `column(schema, {...})`. TypeScript checks both where the contract is type-checked, but a contract is loaded as it
 * runs: a misspelt key (`kee:`, `nme:`) would be ignored and a misspelt value (`normalize: ["parse_integr"]`,
 * `pii: "persnal"`) would reach the IR builder. Both are refused here as CONTRACT.INVALID_METADATA, at their line.
 */
import { z } from "zod";
import { diagnostic, type Diagnostic } from "../lib/errors.js";
import type { LogicalType, Normalization, PiiClass } from "./types.js";

const NORMALIZATIONS = {
  trim: true,
  empty_to_null: true,
  html_unescape: true,
  parse_integer: true,
  parse_money: true,
  parse_month_day_year: true,
  epoch_seconds_to_timestamp: true,
  epoch_seconds_to_date: true,
} as const satisfies Record<Normalization, true>;
const PII_CLASSES = { none: true, personal: true, sensitive: true } as const satisfies Record<PiiClass, true>;
const SIMPLE_TYPES = {
  string: true,
  boolean: true,
  int32: true,
  int64: true,
  float64: true,
  date: true,
  timestamp: true,
  json: true,
} as const satisfies Record<Exclude<LogicalType["kind"], "decimal">, true>;

const normalization = z.enum(Object.keys(NORMALIZATIONS) as [Normalization, ...Normalization[]]);
const pii = z.enum(Object.keys(PII_CLASSES) as [PiiClass, ...PiiClass[]]);
const logicalType = z.union([
  z.strictObject({ kind: z.enum(Object.keys(SIMPLE_TYPES) as [string, ...string[]]) }),
  z.strictObject({ kind: z.literal("decimal"), precision: z.number(), scale: z.number() }),
]);
const named = z.strictObject({ name: z.string(), description: z.string() });

/** `column(schema, {...})`: `ColumnMeta` of the contract kit. The description is checked on its own (MISSING_METADATA). */
const columnMeta = z.strictObject({
  description: z.unknown(),
  name: z.string().optional(),
  type: logicalType.optional(),
  normalize: z.array(normalization).optional(),
  pii: pii.optional(),
  piiReview: z.string().optional(),
  exclude: z.strictObject({ reason: z.string() }).optional(),
  map: z
    .strictObject({
      keys: z.record(z.string(), named),
      keyNormalize: z.array(z.enum(["trim", "strip_trailing_colon"])).optional(),
      rest: named,
    })
    .optional(),
  array: z
    .union([z.strictObject({ child: z.strictObject({ dataset: z.string(), column: z.string(), description: z.string() }) }), z.strictObject({ json: z.literal(true) })])
    .optional(),
  references: z.strictObject({ dataset: z.string(), column: z.string() }).optional(),
  acceptedValues: z.array(z.union([z.string(), z.number()])).optional(),
  // Engines other than Snowflake are refused by name (CONTRACT.UNSUPPORTED_NATIVE), the Snowflake type's form too.
  native: z.record(z.string(), z.string()).optional(),
  renamedFrom: z.string().optional(),
});

/** `defineContract({...})`: `Contract` of the contract kit. */
const contractSpec = z.strictObject({
  kind: z.literal("data-contract"),
  dataset: z.string(),
  version: z.string(),
  owner: z.string(),
  description: z.string(),
  schema: z.custom<z.ZodObject>((value) => value instanceof z.ZodObject, "schema must be a z.object({...})"),
  key: z.union([
    z.strictObject({ column: z.string() }),
    z.strictObject({ surrogate: z.strictObject({ name: z.string(), description: z.string(), from: z.array(z.string()).min(1) }) }),
  ]),
  derived: z
    .array(z.strictObject({ name: z.string(), description: z.string(), from: z.string(), type: logicalType, normalize: z.array(normalization), pii: pii.optional() }))
    .optional(),
  partitionBy: z.array(z.string()).optional(),
  locations: z.strictObject({ raw: z.string(), cleaned: z.string(), quarantine: z.string(), processed: z.string() }),
});

/** One problem of a metadata object: the property path it is at (for its line) and what is wrong, in words. */
export interface ShapeProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
  /** The keys that are not the kit's, when that is the problem (their line is the place to point at). */
  readonly unknownKeys?: readonly string[];
}

/** The problems of `column(...)` metadata, none when it has the contract kit's shape. */
export function columnMetaProblems(meta: unknown): ShapeProblem[] {
  return problems(columnMeta, meta);
}

/** The problems of a `defineContract(...)` result, none when it has the contract kit's shape. */
export function contractSpecProblems(contract: unknown): ShapeProblem[] {
  return problems(contractSpec, contract);
}

function problems(shape: z.ZodType, value: unknown): ShapeProblem[] {
  const result = shape.safeParse(value);
  if (result.success) return [];
  return result.error.issues.map((issue) => ({
    path: issue.path.filter((p): p is string | number => typeof p !== "symbol"),
    message: describe(issue, value),
    ...(issue.code === "unrecognized_keys" ? { unknownKeys: issue.keys } : {}),
  }));
}

function describe(issue: z.core.$ZodIssue, root: unknown): string {
  const at = issue.path.length ? issue.path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join("") : "";
  const value = issue.path.reduce<unknown>((node, key) => (node && typeof node === "object" ? (node as Record<PropertyKey, unknown>)[key] : undefined), root);
  const shown = (v: unknown) => (typeof v === "string" ? JSON.stringify(v) : typeof v === "object" && v !== null ? "an object" : String(v));
  switch (issue.code) {
    case "unrecognized_keys":
      return `${at ? `${at} has` : "has"} the unknown ${issue.keys.length === 1 ? "key" : "keys"} ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}`;
    case "invalid_value":
      return `${at} is ${shown(value)}, not one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "invalid_union":
      if (value === undefined) return `${at} is missing`;
      if (issue.path[issue.path.length - 1] === "type" || (issue.path[0] === "derived" && issue.path[2] === "type")) {
        return typeof value === "string" ? `${at} is the string ${JSON.stringify(value)}; write types.${value} (a logical type of the contract kit's types)` : `${at} is not a logical type of the contract kit's types`;
      }
      return issue.path[0] === "key" ? "key is neither { column: ... } nor { surrogate: { name, description, from } }" : `${at} does not have one of the shapes it may take`;
    case "invalid_type":
      return value === undefined ? `${at} is missing` : `${at} is ${shown(value)}, not ${issue.expected === "array" ? "a list" : `a ${issue.expected}`}`;
    default:
      return `${at || "it"}: ${issue.message}`;
  }
}

/** A diagnostic for a metadata problem, with the fix that names where the allowed keys and values are listed. */
export function shapeDiagnostic(what: string, problem: ShapeProblem, where: Diagnostic["where"]): Diagnostic {
  return diagnostic(
    "CONTRACT.INVALID_METADATA",
    `${what} ${problem.message}.`,
    where,
    "Correct the spelling or remove it: the keys and values allowed are those of ColumnMeta and ContractSpec in generators/contract-kit/index.ts (your editor shows them when the contract is type-checked).",
  );
}
