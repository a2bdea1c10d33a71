/**
 * The processed columns of a dataset's raw fields: one column per scalar field (nested objects flattened with a
 * `parent_` prefix), declared map keys plus a JSON rest column per record, a child table per array of scalars, and
 * the checks that a column type can hold what its normalisations produce.
 */
import { diagnostic } from "../lib/errors.js";
import type { DatasetContext } from "./dataset-context.js";
import type { WalkedField } from "./from-zod.js";
import { snakeCase } from "./names.js";
import { columnMetaProblems, shapeDiagnostic } from "./spec-shape.js";
import type { ChildTableIR, ColumnIR, LogicalType, Normalization, RawField } from "./types.js";

/** A Snowflake type as `native.snowflake` may name it: words (`TIMESTAMP_NTZ`, `DOUBLE PRECISION`) and an optional
 * `(precision)` or `(precision, scale)`; nothing else reaches the DDL. */
const SNOWFLAKE_TYPE_NAME = /^[A-Za-z][A-Za-z0-9_]*( [A-Za-z][A-Za-z0-9_]*)?( ?\(\d{1,9}( ?, ?\d{1,9})?\))?$/;

/** Normalisations that may turn a present value into null. */
export const MAY_YIELD_NULL: ReadonlySet<Normalization> = new Set(["empty_to_null", "parse_money", "parse_month_day_year"]);

/** What each normalisation takes and gives; `undefined` input means "any string". */
const NORMALIZATION_TYPES: Record<Normalization, { input: "string" | "integer"; output: LogicalType["kind"][] }> = {
  trim: { input: "string", output: ["string"] },
  empty_to_null: { input: "string", output: ["string"] },
  html_unescape: { input: "string", output: ["string"] },
  // A BIGINT: an int32 column could not hold every count it reads (up to 18 digits), and no bound applies to text.
  parse_integer: { input: "string", output: ["int64"] },
  parse_money: { input: "string", output: ["decimal"] },
  parse_month_day_year: { input: "string", output: ["date"] },
  epoch_seconds_to_timestamp: { input: "integer", output: ["timestamp"] },
  epoch_seconds_to_date: { input: "integer", output: ["date"] },
};

/** A string, number, integer or boolean: what one column holds without JSON. */
export function isScalar(field: RawField): boolean {
  return field.kind === "string" || field.kind === "number" || field.kind === "integer" || field.kind === "boolean";
}

function inferredType(field: RawField): LogicalType {
  switch (field.kind) {
    case "integer":
      return { kind: "int64" };
    case "number":
      return { kind: "float64" };
    case "boolean":
      return { kind: "boolean" };
    default:
      return { kind: "string" };
  }
}

/**
 * Appends the columns of one walked field (nested objects recursively) to `out`, the child table of an array (not
 * yet keyed: see `finishChild`) to `children`, and an excluded field with its reason to `excluded`.
 */
export function collectColumns(
  field: WalkedField,
  prefix: string,
  ctx: DatasetContext,
  out: ColumnIR[],
  children: ChildTableIR[],
  excluded: { path: string; reason: string }[],
  previousPrefix: string = prefix,
): void {
  const { raw, meta } = field;
  if (!meta) {
    ctx.diagnostics.push(
      diagnostic("CONTRACT.MISSING_METADATA", `Field "${raw.path}" has no column(...) metadata.`, raw.where, `Wrap it: ${raw.key}: column(z..., { description: "..." }).`),
    );
    return;
  }
  // Both at once: a misspelt key (`descriptio`) is the reason a description is missing, and must be named with it.
  const noDescription = typeof meta.description !== "string" || meta.description.trim() === "";
  if (noDescription) {
    ctx.diagnostics.push(
      diagnostic(
        "CONTRACT.MISSING_METADATA",
        `Field "${raw.path}" has ${typeof meta.description === "string" ? "an empty" : "no"} description.`,
        raw.where,
        `Say what the field means: ${raw.key}: column(z..., { description: "..." }).`,
      ),
    );
  }
  const problems = columnMetaProblems(meta).filter((p) => !(noDescription && p.path.length === 1 && p.path[0] === "description"));
  for (const problem of problems) ctx.diagnostics.push(shapeDiagnostic(`The column(...) metadata of field "${raw.path}"`, problem, raw.where));
  if (noDescription || problems.length) return;
  if (meta.exclude) {
    excluded.push({ path: raw.path, reason: meta.exclude.reason });
    return;
  }
  // Only Snowflake's column type can be chosen per engine: the cleaning and flattening casts (Spark, DuckDB) follow
  // the logical type, and an override they would not apply must not appear in the dictionary or review as if it did.
  for (const engine of Object.keys(meta.native ?? {}).filter((e) => e !== "snowflake").sort()) {
    ctx.diagnostics.push(
      diagnostic(
        "CONTRACT.UNSUPPORTED_NATIVE",
        `Field "${raw.path}" overrides its ${engine} type (native.${engine}); only native.snowflake (the external table's column type) is supported.`,
        raw.where,
        `Remove native.${engine}, or choose the logical type (type: types.…) that gives the ${engine} type you need.`,
      ),
    );
  }
  // The override is pasted into DDL as the column's type: only a type name with an optional (precision[, scale]).
  const snowflakeType = meta.native?.snowflake;
  if (snowflakeType !== undefined && !SNOWFLAKE_TYPE_NAME.test(snowflakeType)) {
    ctx.diagnostics.push(
      diagnostic(
        "CONTRACT.UNSUPPORTED_NATIVE",
        `Field "${raw.path}" overrides its Snowflake type with ${JSON.stringify(snowflakeType)}, which is not a Snowflake type name.`,
        raw.where,
        'Write a type name with an optional size, e.g. native: { snowflake: "VARCHAR(64)" } or "NUMBER(38, 0)".',
      ),
    );
  }
  const name = meta.name ?? `${prefix}${snakeCase(raw.key)}`;
  // The name the column had before a declared rename of this field's key (the old key's own column name) or of an
  // object it is in: files written before the rename carry it. An explicit name the rename kept is no change.
  const previousName = meta.renamedFrom !== undefined ? `${previousPrefix}${snakeCase(meta.renamedFrom)}` : (meta.name ?? `${previousPrefix}${snakeCase(raw.key)}`);
  const renamed = previousName !== name ? { previousName } : {};
  const nullable = !raw.required || raw.nullable;
  const common = {
    description: meta.description,
    pii: meta.pii ?? "none",
    partition: false,
    key: false,
    native: { ...meta.native },
    ...(meta.references ? { references: { ...meta.references } } : {}),
    ...(meta.acceptedValues ? { acceptedValues: [...meta.acceptedValues] } : {}),
    ...(meta.renamedFrom ? { renamedFrom: meta.renamedFrom } : {}),
    ...(meta.piiReview ? { piiReview: meta.piiReview } : {}),
    where: raw.where,
  } as const;
  const normalize = [...(meta.normalize ?? [])];

  if (meta.type?.kind === "json" && !(raw.kind === "array" && meta.array && "child" in meta.array)) {
    out.push({ ...common, ...renamed, name, type: { kind: "json" }, nullable, source: { kind: "json", path: raw.path }, normalize: [] });
    return;
  }
  switch (raw.kind) {
    case "string":
    case "number":
    case "integer":
    case "boolean": {
      const type = meta.type ?? inferredType(raw);
      checkType(raw, type, normalize, ctx);
      const enumValues = raw.constraints.enum;
      out.push({
        ...common,
        ...(enumValues && !common.acceptedValues && normalize.length === 0 ? { acceptedValues: [...enumValues] } : {}),
        ...renamed,
        name,
        type,
        nullable: nullable || normalize.some((n) => MAY_YIELD_NULL.has(n)),
        source: { kind: "field", path: raw.path },
        normalize,
      });
      return;
    }
    case "object":
      for (const child of field.children) collectColumns(child, `${name}_`, ctx, out, children, excluded, `${previousName}_`);
      return;
    case "record": {
      if (!meta.map) return undecided(raw, "map", ctx);
      const keyNormalize = [...(meta.map.keyNormalize ?? ["trim", "strip_trailing_colon"])];
      const value = raw.element;
      if (!value || !isScalar(value)) {
        ctx.diagnostics.push(
          diagnostic("CONTRACT.TYPE_MISMATCH", `Record "${raw.path}" must have scalar values to map keys to columns.`, raw.where, "Use z.record(z.string(), z.string()) or store it with type: types.json."),
        );
        return;
      }
      for (const [key, spec] of Object.entries(meta.map.keys)) {
        const type = inferredType(value);
        checkType(value, type, normalize, ctx);
        out.push({
          ...common,
          description: spec.description,
          name: spec.name,
          type,
          nullable: true,
          source: { kind: "map_key", path: raw.path, key, keyNormalize },
          normalize,
        });
      }
      out.push({
        ...common,
        description: meta.map.rest.description,
        name: meta.map.rest.name,
        type: { kind: "json" },
        nullable: true,
        source: { kind: "map_rest", path: raw.path, declaredKeys: Object.keys(meta.map.keys), keyNormalize },
        normalize: [],
      });
      return;
    }
    case "array": {
      if (!meta.array) return undecided(raw, "array", ctx);
      if ("json" in meta.array) {
        out.push({ ...common, ...renamed, name, type: { kind: "json" }, nullable, source: { kind: "json", path: raw.path }, normalize: [] });
        return;
      }
      const element = raw.element;
      if (!element || !isScalar(element)) {
        ctx.diagnostics.push(
          diagnostic("CONTRACT.TYPE_MISMATCH", `Array "${raw.path}" must hold scalars to become a child dataset.`, raw.where, "Store it with array: { json: true }."),
        );
        return;
      }
      const spec = meta.array.child;
      const type = meta.type ?? inferredType(element);
      checkType(element, type, normalize, ctx);
      children.push({
        name: spec.dataset,
        description: `${meta.description} One row per element of ${ctx.dataset}.${raw.path}.`,
        parent: ctx.dataset,
        arrayPath: raw.path,
        key: [],
        partitionBy: [],
        withheld: [],
        location: "",
        columns: [
          {
            ...common,
            description: spec.description,
            name: spec.column,
            type,
            nullable: element.nullable || normalize.some((n) => MAY_YIELD_NULL.has(n)),
            source: { kind: "array_element", path: raw.path },
            normalize,
          },
        ],
      });
      return;
    }
    case "union": {
      const options = raw.options ?? [];
      const first = options[0];
      if (first && options.every((o) => isScalar(o) && o.kind === first.kind)) {
        const type = meta.type ?? inferredType(first);
        out.push({ ...common, ...renamed, name, type, nullable, source: { kind: "field", path: raw.path }, normalize });
        return;
      }
      ctx.diagnostics.push(
        diagnostic(
          "CONTRACT.UNSTORABLE_UNION",
          `Union "${raw.path}" mixes ${options.map((o) => o.kind).join(" and ")}: no single column type holds it.`,
          raw.where,
          "Store it as JSON text with type: types.json, or make the producer send one type.",
        ),
      );
      return;
    }
  }
}

function undecided(raw: RawField, what: "map" | "array", ctx: DatasetContext): void {
  const example = what === "map" ? "map: { keys: {...}, rest: {...} }" : "array: { child: {...} } or array: { json: true }";
  ctx.diagnostics.push(
    diagnostic("CONTRACT.STORAGE_UNDECIDED", `Field "${raw.path}" is a${what === "array" ? "n array" : " record"} with no storage decision.`, raw.where, `Add ${example} to its column(...) metadata.`),
  );
}

/** Reports a column type that cannot hold the raw value as its normalisations leave it. */
export function checkType(raw: RawField, type: LogicalType, normalize: readonly Normalization[], ctx: DatasetContext): void {
  if (type.kind === "decimal" && !isValidDecimal(type)) {
    ctx.diagnostics.push(
      diagnostic("CONTRACT.INVALID_DECIMAL", `decimal(${type.precision}, ${type.scale}) is not a valid decimal type.`, raw.where, "Use precision 1–38 and scale 0–precision."),
    );
  }
  // Walk the normalisations to find the value kind they produce.
  let current: string = raw.kind;
  for (const step of normalize) {
    const spec = NORMALIZATION_TYPES[step];
    const accepts = spec.input === "string" ? current === "string" : current === "integer";
    if (!accepts) {
      ctx.diagnostics.push(
        diagnostic("CONTRACT.TYPE_MISMATCH", `Normalisation "${step}" takes a ${spec.input} but "${raw.path}" is a ${current} at that step.`, raw.where, "Reorder or remove the normalisation, or change the raw type."),
      );
      return;
    }
    if (!(spec.output.length === 1 && spec.output[0] === "string")) {
      if (!spec.output.includes(type.kind)) {
        ctx.diagnostics.push(
          diagnostic("CONTRACT.TYPE_MISMATCH", `Normalisation "${step}" produces ${spec.output.join(" or ")}, but the column type is ${type.kind}.`, raw.where, `Declare type: types.${spec.output[0]}${spec.output[0] === "decimal" ? "(p, s)" : ""}.`),
        );
        return;
      }
      if (spec.input === "integer") checkRange(raw, EPOCH_SECONDS, `${step} converts`, ctx);
      current = "converted";
    }
  }
  if (current === "converted") return;
  const compatible: Record<string, readonly LogicalType["kind"][]> = {
    string: ["string"],
    integer: ["int32", "int64", "decimal", "float64"],
    number: ["float64", "decimal"],
    boolean: ["boolean"],
  };
  if (!(compatible[current] ?? []).includes(type.kind)) {
    ctx.diagnostics.push(
      diagnostic("CONTRACT.TYPE_MISMATCH", `Raw ${current} "${raw.path}" cannot be stored as ${type.kind} without a normalisation.`, raw.where, "Add a parse_* normalisation, or change the column type."),
    );
    return;
  }
  if (type.kind === "int32") checkRange(raw, INT32, "int32 holds", ctx);
  if (type.kind === "decimal" && isValidDecimal(type)) {
    checkRange(raw, decimalRange(type.precision, type.scale), `decimal(${type.precision}, ${type.scale}) holds`, ctx);
  }
}

/** Precision 1–38 and scale 0–precision (`CONTRACT.INVALID_DECIMAL` otherwise). */
function isValidDecimal(type: { readonly precision: number; readonly scale: number }): boolean {
  return type.precision >= 1 && type.precision <= 38 && type.scale >= 0 && type.scale <= type.precision;
}

/** The values a type or conversion holds, with the fix that bounds a raw value to them. */
export interface ValueRange {
  readonly min: number;
  readonly max: number;
  /** The text of the bounds, exact (a decimal's bounds are not always exact as numbers). */
  readonly text: readonly [string, string];
  readonly fix: string;
}

const INT32: ValueRange = {
  min: -2147483648,
  max: 2147483647,
  text: ["-2147483648", "2147483647"],
  fix: "Bound the raw value: z.int32(), or .min()/.max() within that range; or declare type: types.int64.",
};

/** Seconds of years 1 to 9999: the conversions give NULL outside (`epoch_seconds_to_*` in expr.ts). */
const EPOCH_SECONDS: ValueRange = {
  min: -62135596800,
  max: 253402300799,
  text: ["-62135596800", "253402300799"],
  fix: "Bound the raw value with .min()/.max() within that range (years 1 to 9999), e.g. .min(0).max(253402300799).",
};

/**
 * A decimal(p, s) holds ±(10^(p-s) − 10^-s). The raw bound must be within it: a number between the largest value and
 * the next power of ten would round up past it (9.96 into decimal(2, 1) is 10.0).
 */
export function decimalRange(precision: number, scale: number): ValueRange {
  const digits = precision - scale;
  const largest = `${digits > 0 ? "9".repeat(digits) : "0"}${scale > 0 ? `.${"9".repeat(scale)}` : ""}`;
  // Beyond 15 digits the largest value as a double may be 10^(p-s) itself: then the double just below it is used.
  const max = Number(largest) < 10 ** digits ? Number(largest) : 10 ** digits * (1 - Number.EPSILON);
  return { min: -max, max, text: [`-${largest}`, largest], fix: "Bound the raw value with .min()/.max() within that range, or declare a decimal with more digits before the point." };
}

/**
 * Reports a raw integer or number whose bounds (Zod's `.min`/`.max`/`.gt`/`.lt`, or a format such as z.int()'s safe
 * integers) let it exceed what the column type or conversion holds: such a value failed the DuckDB run with a cast
 * error, and Spark's cast (ANSI off) wraps an int32 or gives NULL, silently.
 */
function checkRange(raw: RawField, range: ValueRange, what: string, ctx: DatasetContext): void {
  const bounds = boundsBeyond(raw, range);
  if (bounds === undefined) return;
  ctx.diagnostics.push(
    diagnostic("CONTRACT.RANGE_EXCEEDS_TYPE", `Raw ${raw.kind} "${raw.path}" is ${bounds}, but ${what} only ${range.text[0]} to ${range.text[1]}.`, raw.where, range.fix),
  );
}

/** The raw value's bounds in words (`at least 0 and at most 100`) when they let it leave `range`; undefined when not. */
export function boundsBeyond(raw: RawField, range: Pick<ValueRange, "min" | "max">): string | undefined {
  const c = raw.constraints;
  // An integer beyond an exclusive bound is one past it at least (z.int().lt(2147483648) fits an int32).
  const step = raw.kind === "integer" ? 1 : 0;
  const side = (inclusive: number | undefined, exclusive: number | undefined, by: number, words: [string, string]) => {
    const fromExclusive = exclusive === undefined ? undefined : Number.isInteger(exclusive) ? exclusive + by : exclusive;
    const useExclusive = fromExclusive !== undefined && (inclusive === undefined || (by > 0 ? fromExclusive >= inclusive : fromExclusive <= inclusive));
    return useExclusive ? { value: fromExclusive, text: `${words[1]} ${String(exclusive)}` } : inclusive !== undefined ? { value: inclusive, text: `${words[0]} ${String(inclusive)}` } : undefined;
  };
  const low = side(c.minimum, c.exclusiveMinimum, step, ["at least", "greater than"]);
  const high = side(c.maximum, c.exclusiveMaximum, -step, ["at most", "less than"]);
  if (low !== undefined && low.value >= range.min && high !== undefined && high.value <= range.max) return undefined;
  return `${low?.text ?? "without a lower bound"} and ${high?.text ?? "without an upper bound"}`;
}
