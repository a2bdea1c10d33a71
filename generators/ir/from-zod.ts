/**
 * The only module that reads Zod internals. It walks a contract's schema through `schema._zod.def` (the route
 * Zod's docs sanction for code generators: https://zod.dev/packages/core) and returns plain data: the raw fields,
 * the column metadata attached to each through `columnRegistry`, and the record's JSON Schema.
 */
import { z } from "zod";
import type * as core from "zod/v4/core";
import { columnRegistry, type ColumnMeta } from "../contract-kit/index.js";
import type { Diagnostic } from "../lib/errors.js";
import { diagnostic, GeneratorBug } from "../lib/errors.js";
import type { JsonValue, RawConstraints, RawField, RawKind, SourceLocation } from "./types.js";

/** A raw field with the metadata the contract attached to it (merged across optional/nullable wrappers). */
export interface WalkedField {
  readonly raw: RawField;
  readonly meta: ColumnMeta | undefined;
  readonly children: readonly WalkedField[];
}

export interface WalkContext {
  readonly diagnostics: Diagnostic[];
  /** Location of a raw path (dotted, `[]` for elements). */
  where(path: string): SourceLocation;
  /** Location of a raw field given by its keys; `where` of its path when absent. */
  whereField?(keys: readonly string[], path: string): SourceLocation;
}

/** Walks the top-level `z.object` of a contract. */
export function walkRecord(schema: z.ZodObject, ctx: WalkContext): WalkedField[] {
  const def = (schema as unknown as core.$ZodObject)._zod.def;
  if ((def.checks?.length ?? 0) > 0) {
    ctx.diagnostics.push(uncheckedRule("a check on the record", ctx.where(""), "Remove the .refine/.superRefine/.check from the schema: the cleaning jobs apply only per-field rules; say the rest in the description."));
  }
  const unknownKeys = unknownKeyRule(def);
  if (unknownKeys) ctx.diagnostics.push(uncheckedRule(`${unknownKeys} as the record`, ctx.where(""), UNKNOWN_KEYS_FIX));
  return Object.entries(def.shape).map(([key, child]) => walkField(child, checkMemberKey(key, "", key, ctx), key, ctx));
}

/**
 * A member's key is part of every field path (`details.asin`, `image[]`, `style{}`), which the cleaning rules, keys
 * and derived columns read step by step (`parsePath`): a key holding `.`, `[`, `]`, `{` or `}`, or an empty one,
 * would be read as other steps, and the jobs would check another field than the contract's.
 */
function checkMemberKey(key: string, parent: string, path: string, ctx: WalkContext): string {
  const syntax = /[.[\]{}"\\]/.exec(key)?.[0];
  if (key === "" || syntax !== undefined) {
    ctx.diagnostics.push(
      diagnostic(
        "CONTRACT.UNSUPPORTED_RAW_KEY",
        key === ""
          ? `The raw record has a member with an empty key${parent ? ` in "${parent}"` : ""}: field paths cannot name it.`
          : syntax === '"' || syntax === "\\"
            ? `Raw key ${JSON.stringify(key)} holds ${JSON.stringify(syntax)}, which DuckDB's JSON paths cannot quote: the local engine could not read the field.`
            : `Raw key ${JSON.stringify(key)} holds "${syntax}", which field paths use as syntax: the cleaning jobs would read it as another field.`,
        ctx.whereField?.([...parent.split(/\.|\[\]|\{\}/).filter(Boolean), key], path) ?? ctx.where(path),
        "Have the producer rename the key (any other character is fine), or declare the object that holds it as a map, z.record(z.string(), …), whose keys are data, not field paths.",
      ),
    );
  }
  return key;
}

const INTEGER_BOUNDS: Record<string, [number, number]> = {
  safeint: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};

/** Float formats' bounds (z.float32(), z.float64()): a finite value of that width. */
const FLOAT_BOUNDS: Record<string, [number, number]> = {
  float32: [-3.4028234663852886e38, 3.4028234663852886e38],
  float64: [-Number.MAX_VALUE, Number.MAX_VALUE],
};

const WRAPPERS = new Set(["optional", "nullable", "readonly"]);

const MIXED_FIX = "Use values of one JSON type: all strings or all numbers (the column has one type; the other values would be quarantined as wrong_type).";

function uncheckedRule(rule: string, where: SourceLocation, fix: string): Diagnostic {
  return diagnostic("CONTRACT.UNCHECKED_RULE", `${capitalized(rule)}: Zod and the JSON Schema apply it, no cleaning job would.`, where, fix);
}

const capitalized = (text: string) => (text.startsWith("z.") ? text : text.charAt(0).toUpperCase() + text.slice(1));

const UNKNOWN_KEYS_FIX =
  "Use z.object({...}): the cleaning jobs read the declared fields and ignore any other key, as z.object does; a rule on the other keys (strictObject, catchall) would be Zod's and the JSON Schema's alone.";

/** The rule an object has on keys it does not declare, when it has one (z.looseObject's unknown() is no rule). */
function unknownKeyRule(def: core.$ZodObjectDef): string | undefined {
  const catchall = def.catchall as core.$ZodTypes | undefined;
  if (!catchall) return undefined;
  const type = catchall._zod.def.type;
  if (type === "unknown" || type === "any") return undefined;
  return type === "never" ? "a strict object (unknown keys refused)" : `an object with a catchall (${type})`;
}

const UNION_FIX =
  "A union the cleaning jobs check is of plain options of different JSON types (z.union([z.string(), z.array(z.string())])): move a rule to the elements of an array option, or store the field as JSON text with type: types.json and describe the shapes.";

/**
 * What keeps the cleaning jobs from checking a union as Zod does, if anything: they check the value's JSON type
 * against the options' types and an array option's elements, not an option's own rules, not which object option a
 * value matches.
 */
function unionProblem(options: readonly RawField[]): string | undefined {
  const kinds = new Set<string>();
  for (const option of options) {
    if (!option.required || option.nullable) return "with an optional or nullable option (put .optional() or .nullable() on the union)";
    if (option.kind === "object" || option.kind === "record" || option.kind === "union") return `with an ${option.kind === "union" ? "inner union" : "object"} option`;
    if (option.kind === "integer") return "with an integer option (its whole-number rule would not be checked)";
    if (Object.keys(option.constraints).length > 0) return "with a rule on an option itself (regex, range, length, enum or literal)";
    if (kinds.has(option.kind)) return `with two ${option.kind} options`;
    kinds.add(option.kind);
  }
  return undefined;
}

function walkField(schema: core.$ZodType, key: string, path: string, ctx: WalkContext): WalkedField {
  const where = ctx.where(path);
  // Unwrap optional / nullable / readonly, merging metadata: the outer layer wins.
  const metas: ColumnMeta[] = [];
  let required = true;
  let nullable = false;
  let current = schema as core.$ZodTypes;
  const wrapperChecks: string[] = [];
  for (;;) {
    const meta = columnRegistry.get(current as unknown as z.ZodType);
    if (meta) metas.push(meta);
    const def = current._zod.def;
    if (WRAPPERS.has(def.type) && (def.checks?.length ?? 0) > 0) wrapperChecks.push(def.type);
    if (def.type === "optional") required = false;
    else if (def.type === "nullable") nullable = true;
    else if (def.type !== "readonly") break;
    current = (def as core.$ZodOptionalDef | core.$ZodNullableDef | core.$ZodReadonlyDef).innerType as core.$ZodTypes;
  }
  const meta = metas.length === 0 ? undefined : (Object.assign({}, ...[...metas].reverse()) as ColumnMeta);
  const base = { key, path, required, nullable, where };
  const unsupported = (kind: string, fix: string): WalkedField => {
    ctx.diagnostics.push(
      diagnostic("CONTRACT.UNSUPPORTED_ZOD_KIND", `Zod kind "${kind}" cannot describe a stored raw JSON value.`, where, fix),
    );
    return { raw: { ...base, kind: "string", constraints: {} }, meta, children: [] };
  };
  // A rule Zod applies and no cleaning job would: reported, and the field read as before (a past contract with it
  // is still compared by contract review; `GENERATION_ONLY` in build.ts).
  const unchecked = (rule: string, fix: string) => ctx.diagnostics.push(uncheckedRule(rule, where, fix));

  const def = current._zod.def;
  // A check (.refine, .superRefine, .check) on a kind that keeps none of them as a rule: Zod would apply it, no
  // cleaning job would. String, number and array checks are read (or refused) one by one in `readChecks`.
  if (wrapperChecks.length > 0 || (!["string", "number", "array"].includes(def.type) && (def.checks?.length ?? 0) > 0)) {
    unchecked(
      `a check on ${wrapperChecks[0] ?? def.type}`,
      "Remove the .refine/.superRefine/.check: the cleaning jobs apply only the rules they can express (min/max, length, regex, enum); say the rest in the description.",
    );
  }
  if ((def as { coerce?: boolean }).coerce) {
    unchecked(
      `z.coerce.${def.type}`,
      "Declare the JSON type the producer sends (z.string(), z.number()); a number sent as text is a string with a regex and normalize: [\"parse_integer\"].",
    );
  }
  switch (def.type) {
    case "string": {
      const format = (def as { format?: string }).format;
      if (format !== undefined && format !== "regex") {
        return unsupported(
          `string format ${format}`,
          `Replace the format with .regex(/^...$/) so that Zod, Spark and DuckDB apply the same rule.`,
        );
      }
      return { raw: { ...base, kind: "string", constraints: readChecks(def.checks, ctx, where) }, meta, children: [] };
    }
    case "number": {
      const constraints: Record<string, unknown> = { ...readChecks(def.checks, ctx, where) };
      const format = (def as { format?: string }).format;
      const bounds = format ? (INTEGER_BOUNDS[format] ?? FLOAT_BOUNDS[format]) : undefined;
      if (bounds) {
        constraints.minimum = Math.max(bounds[0], (constraints.minimum as number | undefined) ?? bounds[0]);
        constraints.maximum = Math.min(bounds[1], (constraints.maximum as number | undefined) ?? bounds[1]);
      }
      const kind: RawKind = format && INTEGER_BOUNDS[format] ? "integer" : "number";
      return { raw: { ...base, kind, constraints: constraints as RawConstraints }, meta, children: [] };
    }
    case "boolean":
      return { raw: { ...base, kind: "boolean", constraints: {} }, meta, children: [] };
    case "enum": {
      // Zod's own reading of the entries: a TypeScript numeric enum also maps each number back to its name
      // (`{ A: 1, 1: "A" }`), and those reverse entries are not values.
      const numbers = Object.values(def.entries).filter((v) => typeof v === "number");
      const values = Object.entries(def.entries)
        .filter(([name]) => !numbers.includes(Number(name)))
        .map(([, value]) => value);
      if (!values.every((v) => typeof v === "string") && !values.every((v) => typeof v === "number")) {
        unchecked("an enum mixing strings and numbers", MIXED_FIX);
      }
      const kind: RawKind = values.every((v) => typeof v === "number") ? "number" : "string";
      return { raw: { ...base, kind, constraints: { enum: values } }, meta, children: [] };
    }
    case "literal": {
      const values = def.values.filter((v): v is string | number => typeof v === "string" || typeof v === "number");
      if (values.length !== def.values.length) {
        return unsupported("literal of non-string, non-number value", "Use string or number literals only.");
      }
      if (!values.every((v) => typeof v === "string") && !values.every((v) => typeof v === "number")) {
        unchecked("a literal mixing strings and numbers", MIXED_FIX);
      }
      const kind: RawKind = values.every((v) => typeof v === "number") ? "number" : "string";
      return { raw: { ...base, kind, constraints: { enum: values } }, meta, children: [] };
    }
    case "object": {
      const unknownKeys = unknownKeyRule(def);
      if (unknownKeys) unchecked(unknownKeys, UNKNOWN_KEYS_FIX);
      const children = Object.entries(def.shape).map(([childKey, child]) =>
        walkField(child, checkMemberKey(childKey, path, `${path}.${childKey}`, ctx), `${path}.${childKey}`, ctx),
      );
      return { raw: { ...base, kind: "object", constraints: {}, fields: children.map((c) => c.raw) }, meta, children };
    }
    case "array": {
      const element = walkField(def.element, "[]", `${path}[]`, ctx);
      const constraints = readChecks(def.checks, ctx, where);
      const { minLength, maxLength, ...rest } = constraints;
      const arrayConstraints: RawConstraints = {
        ...rest,
        ...(minLength !== undefined ? { minItems: minLength } : {}),
        ...(maxLength !== undefined ? { maxItems: maxLength } : {}),
      };
      return { raw: { ...base, kind: "array", constraints: arrayConstraints, element: element.raw }, meta, children: [element] };
    }
    case "record": {
      const keyDef = (def.keyType as core.$ZodTypes)._zod.def;
      if (keyDef.type !== "string") {
        return unsupported(`record with ${keyDef.type} keys`, "Use z.record(z.string(), ...): JSON object keys are strings.");
      }
      // A rule on the keys (z.string().regex(...)) would be in the JSON Schema but checked by no cleaning job.
      if ((keyDef.checks?.length ?? 0) > 0) {
        return unsupported(
          "record with a rule on its keys",
          "Use z.record(z.string(), ...): the cleaning jobs check a map's values, not its keys. Declare the keys the warehouse needs as map columns, and describe the expected keys in the description.",
        );
      }
      const value = walkField(def.valueType, "{}", `${path}{}`, ctx);
      return { raw: { ...base, kind: "record", constraints: {}, element: value.raw }, meta, children: [value] };
    }
    case "union": {
      // Options share the union's path: a rule on an option's elements reads `rank[]`, not `rank|1[]`.
      const options = def.options.map((option) => walkField(option, key, path, ctx));
      const problem = unionProblem(options.map((o) => o.raw));
      if (problem) unchecked(`a union ${problem}`, UNION_FIX);
      return { raw: { ...base, kind: "union", constraints: {}, options: options.map((o) => o.raw) }, meta, children: options };
    }
    case "default":
    case "prefault":
      return unsupported(def.type, "Use .optional(): a raw record has no defaults; say what a missing value means in the description.");
    case "transform":
    case "pipe":
    case "catch":
    case "success":
      return unsupported(def.type, "Contracts describe data, not code: remove the transform and declare a normalisation in column(..., { normalize }).");
    case "lazy":
      return unsupported(def.type, "Recursive schemas cannot be flattened into columns: describe a fixed depth.");
    case "custom":
    case "function":
    case "promise":
    case "file":
    case "symbol":
    case "date":
    case "bigint":
    case "map":
    case "set":
    case "nan":
    case "undefined":
    case "void":
    case "never":
    case "any":
    case "unknown":
    case "null":
    case "nonoptional":
    case "intersection":
    case "tuple":
    case "template_literal":
      return unsupported(def.type, "Use string, number, int, boolean, enum, literal, object, array, record or union.");
    case "optional":
    case "nullable":
    case "readonly":
      throw new GeneratorBug(`Wrapper "${def.type}" survived unwrapping at ${path}.`);
    default: {
      const unhandled: never = def;
      return unsupported(String((unhandled as { type?: unknown }).type), "Upgrade the generator for this Zod version.");
    }
  }
}

function tighten(out: Record<string, unknown>, key: string, value: number, pick: (a: number, b: number) => number): void {
  const previous = out[key] as number | undefined;
  out[key] = previous === undefined ? value : pick(previous, value);
}

function readChecks(checks: readonly core.$ZodCheck[] | undefined, ctx: WalkContext, where: SourceLocation): RawConstraints {
  const out: Record<string, unknown> = {};
  for (const check of checks ?? []) {
    const def = check._zod.def as core.$ZodChecks["_zod"]["def"];
    switch (def.check) {
      // A bound given twice keeps the tighter, as Zod applies both (`.min(3).min(1)` is at least 3).
      case "greater_than":
        tighten(out, def.inclusive ? "minimum" : "exclusiveMinimum", Number(def.value), Math.max);
        break;
      case "less_than":
        tighten(out, def.inclusive ? "maximum" : "exclusiveMaximum", Number(def.value), Math.min);
        break;
      case "min_length":
        tighten(out, "minLength", def.minimum, Math.max);
        break;
      case "max_length":
        tighten(out, "maxLength", def.maximum, Math.min);
        break;
      case "length_equals":
        tighten(out, "minLength", def.length, Math.max);
        tighten(out, "maxLength", def.length, Math.min);
        break;
      case "string_format": {
        const pattern = (def as core.$ZodCheckRegexDef).pattern;
        if (def.format === "regex" && pattern instanceof RegExp) {
          if (out.pattern !== undefined) {
            ctx.diagnostics.push(
              diagnostic("CONTRACT.UNSUPPORTED_ZOD_KIND", "More than one .regex() on one field.", where, "Combine the patterns into one regex."),
            );
          }
          if (pattern.flags !== "") {
            ctx.diagnostics.push(
              diagnostic(
                "CONTRACT.UNPORTABLE_REGEX",
                `Regex /${pattern.source}/${pattern.flags} has flags; Spark and DuckDB would not apply them the same way.`,
                where,
                "Remove the flags and spell the alternatives out, e.g. [Aa] instead of the i flag.",
              ),
            );
          }
          out.pattern = pattern.source;
        } else {
          ctx.diagnostics.push(
            diagnostic("CONTRACT.UNSUPPORTED_ZOD_KIND", `Check "${def.format}" is not portable.`, where, "Use .regex(/^...$/) instead."),
          );
        }
        break;
      }
      default:
        ctx.diagnostics.push(
          diagnostic(
            "CONTRACT.UNSUPPORTED_ZOD_KIND",
            `Check "${def.check}" cannot be applied by the cleaning jobs.`,
            where,
            // z.number().int() is a number with a format check; z.int() is the integer kind the jobs check.
            def.check === "number_format" ? "Use z.int() (or z.int32()) instead of z.number().int(): the cleaning jobs check whole numbers of that kind." : "Use min/max, length, regex or enum checks.",
          ),
        );
    }
  }
  return out as RawConstraints;
}

/**
 * The raw record's JSON Schema (draft 2020-12), from Zod's own converter. Input mode: the raw record may carry keys
 * the contract does not list (Zod strips them), so `additionalProperties` stays open. Column descriptions come from
 * the column registry.
 */
export function recordJsonSchema(schema: z.ZodObject, title: string, id: string): JsonValue {
  const json = z.toJSONSchema(schema, {
    target: "draft-2020-12",
    io: "input",
    unrepresentable: "throw",
    override: ({ zodSchema, jsonSchema }) => {
      const meta = columnRegistry.get(zodSchema as unknown as z.ZodType);
      if (meta?.description) jsonSchema.description = meta.description;
    },
  }) as Record<string, JsonValue>;
  const { $schema, ...rest } = json;
  return { $schema: $schema ?? null, $id: id, title, ...rest };
}
