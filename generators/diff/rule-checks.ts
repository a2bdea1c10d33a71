/**
 * The classification and wording shared by several rules: which rule a type change falls under, which way a
 * constraint moved, and the checks of the families of rules (type, allowed values, constraints, keys).
 */
import type { Change, ConstraintName } from "./diff.js";
import type { MartUse, ModelColumn, ModelRawField, Place } from "./model.js";
import { stagingDataType, stagingModelName } from "../targets/dbt/emit.js";
import { stagingColumnName } from "../targets/protection.js";
import { canonicalDataType } from "../targets/dbt/types.js";
import type { Match } from "./rule-types.js";
import { type Bound, tighter } from "./bounds.js";
import { constraintValue } from "./diff.js";

export const q = (name: string) => `"${name}"`;
export const at = (place: Place) => `${place.file}:${place.line}:${place.column}`;
export const list = (names: readonly string[]) => names.map(q).join(", ");
export const fieldName = (f: ModelRawField) => `${f.dataset}.${f.path}`;

export const NUMERIC_ORDER = ["int32", "int64"];
export const TIME_KINDS = new Set(["date", "timestamp"]);
export const TIME_NORMALIZATIONS = new Set(["epoch_seconds_to_timestamp", "epoch_seconds_to_date", "parse_month_day_year"]);

/** How a column's type changed: the rule id that covers it. */
export function typeChangeRule(before: ModelColumn, after: ModelColumn): string {
  const a = before.type;
  const b = after.type;
  if (a.kind === "decimal" && b.kind === "decimal") {
    return b.scale === a.scale && b.precision > a.precision ? "CE009" : "CE010";
  }
  const ia = NUMERIC_ORDER.indexOf(a.kind);
  const ib = NUMERIC_ORDER.indexOf(b.kind);
  if (ia >= 0 && ib >= 0) return ib > ia ? "CE007" : "CE013";
  if (a.kind === "string" && TIME_KINDS.has(b.kind)) return "CE011";
  if (TIME_KINDS.has(a.kind) && TIME_KINDS.has(b.kind)) return "CE012";
  // Narrowing to a smaller numeric kind: a decimal or float64 into an integer.
  if ((a.kind === "float64" || a.kind === "decimal") && ib >= 0) return "CE013";
  if (a.kind === "float64" && b.kind === "decimal") return "CE013";
  return "CE014";
}

/** Which way a raw constraint moved: tightened (accepts less) or relaxed (accepts more). */
export function constraintDirection(name: ConstraintName, before: unknown, after: unknown): "tightened" | "relaxed" {
  if (before === undefined) return "tightened";
  if (after === undefined) return "relaxed";
  if (name === "pattern" || name === "format") return "tightened"; // a changed pattern cannot be proven looser
  if (name === "lowerBound" || name === "upperBound") return tighter(name, before as Bound, after as Bound) ? "tightened" : "relaxed";
  const lowerBound = name === "minLength" || name === "minItems";
  return (after as number) > (before as number) === lowerBound ? "tightened" : "relaxed";
}

export function show(value: unknown, name?: ConstraintName): string {
  if (value === undefined) return "none";
  if (name === "lowerBound" || name === "upperBound") {
    const bound = value as Bound;
    return `${name === "lowerBound" ? ">" : "<"}${bound.inclusive ? "=" : ""} ${bound.value}`;
  }
  return typeof value === "string" ? `/${value}/` : JSON.stringify(value);
}

export function constraintMessage(change: Extract<Change, { kind: "raw_changed" }>, direction: string): string {
  const name = change.constraint!;
  const before = constraintValue(change.before, name);
  const after = constraintValue(change.after, name);
  const what = name === "pattern" ? "Pattern" : name === "format" ? "Format" : name === "lowerBound" ? "Lower bound" : name === "upperBound" ? "Upper bound" : `Constraint ${name}`;
  if (before === undefined) return `${what} ${show(after, name)} was added to field ${q(fieldName(change.after))}.`;
  if (after === undefined) return `${what} ${show(before, name)} was removed from field ${q(fieldName(change.after))}.`;
  const unprovable = name === "pattern" || name === "format" ? " (treated as tightened: a new pattern cannot be proven to accept every old value)" : "";
  return `${what} of field ${q(fieldName(change.after))} was ${direction} from ${show(before, name)} to ${show(after, name)}${unprovable}.`;
}

export function stored(columns: readonly ModelColumn[], tables: readonly { name: string }[]): string {
  return columns.length || tables.length ? `stored as ${columnsNote(columns, tables)}` : "adding no column of its own";
}

export function columnsNote(columns: readonly ModelColumn[], tables: readonly { name: string }[]): string {
  const parts: string[] = [];
  if (columns.length) parts.push(`column${columns.length > 1 ? "s" : ""} ${list(columns.map((c) => c.id))}`);
  if (tables.length) parts.push(`child dataset${tables.length > 1 ? "s" : ""} ${list(tables.map((t) => t.name))}`);
  return parts.join(" and ");
}

export function typeCheck(c: Change, id: string, verb: string): Match | undefined {
  if (c.kind !== "column_changed" || c.aspect !== "type" || typeChangeRule(c.before, c.after) !== id) return undefined;
  const broken = martsKeepingType(c.before, c.after);
  const one = broken.length === 1;
  const declared = broken.map((m) => m.dataType).filter((t, i, all) => all.indexOf(t) === i).join(", ");
  const marts = broken.length
    ? ` Mart column${one ? "" : "s"} ${list(broken.map((m) => m.id))} pass${one ? "es" : ""} it through and ${one ? "its enforced contract still declares" : "their enforced contracts still declare"} ${declared}: the mart${one ? "" : "s"} fail${one ? "s" : ""} to build ("data type mismatch") until that data_type is changed.`
    : "";
  return {
    dataset: c.after.dataset,
    subject: c.after.id,
    message: `Column ${q(c.after.id)} was ${verb} from ${c.before.typeText} to ${c.after.typeText}.${marts}`,
    where: c.after.where,
    ...(broken.length ? { severity: { MART: "B" } } : {}),
    columnsRetyped: [[c.before, c.after]],
  };
}

/**
 * The mart columns (the head's marts' YAML) that pass a retyped staging column through: declared upstream of it, or of
 * a mart column that passes it through, with the old staging type as their data_type, which is no longer the new
 * one. dbt checks an enforced contract's types, so such a mart fails to build ("data type mismatch"). A mart column
 * of another type computes or casts its value; what is computed from it is not followed.
 */
function martsKeepingType(before: ModelColumn, after: ModelColumn): readonly MartUse[] {
  const was = canonicalDataType(stagingDataType(before));
  if (was === canonicalDataType(stagingDataType(after))) return [];
  const passing = new Set([`${stagingModelName({ name: after.table })}.${stagingColumnName(after)}`]);
  const broken: MartUse[] = [];
  for (const use of after.martColumns) {
    if (!passing.has(use.from) || canonicalDataType(use.dataType) !== was) continue;
    broken.push(use);
    passing.add(use.id);
  }
  return broken;
}

export function isNumericWidening(from: ModelRawField, to: ModelRawField): boolean {
  return from.kind === "integer" && to.kind === "number";
}

export function enumCheck(c: Change, direction: "added" | "removed"): Match | undefined {
  let before: readonly (string | number)[] | undefined;
  let after: readonly (string | number)[] | undefined;
  let subject: string;
  let dataset: string;
  let where: Place;
  let what: string;
  if (c.kind === "raw_changed" && c.aspect === "enum") {
    ({ enum: before } = c.before.constraints);
    ({ enum: after } = c.after.constraints);
    subject = fieldName(c.after);
    dataset = c.after.dataset;
    where = c.after.where;
    what = "field";
  } else if (c.kind === "column_changed" && c.aspect === "acceptedValues") {
    before = c.before.acceptedValues;
    after = c.after.acceptedValues;
    subject = c.after.id;
    dataset = c.after.dataset;
    where = c.after.where;
    what = "column";
  } else {
    return undefined;
  }
  // No list means any value: gaining a list removes values, losing one adds them.
  if (before === undefined || after === undefined) {
    if ((before === undefined) !== (direction === "removed")) return undefined;
    const message = before === undefined ? `Allowed values [${after!.map((v) => JSON.stringify(v)).join(", ")}] were declared for ${what} ${q(subject)}.` : `Allowed values of ${what} ${q(subject)} were removed: any value is accepted.`;
    return { dataset, subject, message, where, ...(what === "column" ? COLUMN_TEST_ONLY : {}) };
  }
  const moved = direction === "added" ? after.filter((v) => !before!.includes(v)) : before.filter((v) => !after!.includes(v));
  if (moved.length === 0) return undefined;
  const values = moved.map((v) => JSON.stringify(v)).join(", ");
  const message = direction === "added" ? `Value${moved.length > 1 ? "s" : ""} ${values} ${moved.length > 1 ? "were" : "was"} added to the allowed values of ${what} ${q(subject)}.` : `Value${moved.length > 1 ? "s" : ""} ${values} ${moved.length > 1 ? "were" : "was"} removed from the allowed values of ${what} ${q(subject)}.`;
  return { dataset, subject, message, where, ...(what === "column" ? COLUMN_TEST_ONLY : {}) };
}

/** Allowed values declared on a column (not on the raw field) are a dbt test only: producers never see them. */
const COLUMN_TEST_ONLY = { severity: { RAW: "S" } } as const;

/** The JSON value a union option admits, for messages: `a string`, `an array`. */
function jsonValueName(option: ModelRawField): string {
  const kind = option.kind === "record" ? "object" : option.kind === "integer" ? "whole number" : option.kind;
  return `${/^[aeiou]/.test(kind) ? "an" : "a"} ${kind}`;
}

/**
 * A union's options are the JSON types the cleaning job accepts for its value (`wrong_type` checks the value's type
 * against them): an option removed quarantines producers still sending that type; an option added accepts more.
 */
function unionOptionCheck(c: Change, direction: "tightened" | "relaxed"): Match | undefined {
  if (c.kind === "union_option_removed" && direction === "tightened") {
    const value = jsonValueName(c.option);
    return {
      dataset: c.union.dataset,
      subject: fieldName(c.union),
      message: `Option ${c.option.kind} was removed from union field ${q(fieldName(c.union))}: a record whose ${q(c.union.path)} is ${value} is now quarantined.`,
      where: c.union.where,
      // The union is stored as one column of JSON text: no dbt test checks its JSON type.
      severity: { DBT: "S" },
      consequence: `Producers still sending the removed type are quarantined (wrong_type). Parquet already written keeps such values, so history and new data differ in shape.`,
    };
  }
  if (c.kind === "union_option_added" && direction === "relaxed") {
    const value = jsonValueName(c.option);
    return {
      dataset: c.union.dataset,
      subject: fieldName(c.union),
      message: `Option ${c.option.kind} was added to union field ${q(fieldName(c.union))}: producers may now send ${value} for ${q(c.union.path)}.`,
      where: c.option.where,
      consequence: "Nothing is rejected that was accepted; the stored JSON text can now hold the new type, so marts parsing the column must handle it.",
    };
  }
  return undefined;
}

export function constraintCheck(c: Change, direction: "tightened" | "relaxed"): Match | undefined {
  const option = unionOptionCheck(c, direction);
  if (option) return option;
  if (c.kind === "raw_changed" && c.aspect === "constraint") {
    const name = c.constraint!;
    if (constraintDirection(name, constraintValue(c.before, name), constraintValue(c.after, name)) !== direction) return undefined;
    return { dataset: c.after.dataset, subject: fieldName(c.after), message: constraintMessage(c, direction), where: c.after.where };
  }
  if (c.kind === "raw_changed" && c.aspect === "kind") {
    const relaxed = isNumericWidening(c.before, c.after);
    const tightened = isNumericWidening(c.after, c.before);
    if ((direction === "relaxed" && relaxed) || (direction === "tightened" && tightened)) {
      return { dataset: c.after.dataset, subject: fieldName(c.after), message: `Field ${q(fieldName(c.after))} changed type from ${c.before.kind} to ${c.after.kind}.`, where: c.after.where };
    }
  }
  if (c.kind === "column_changed" && c.aspect === "references") {
    const { references: before } = c.before;
    const { references: after } = c.after;
    const isRelaxed = after === undefined;
    if (isRelaxed !== (direction === "relaxed")) return undefined;
    const message = before === undefined ? `Column ${q(c.after.id)} now references ${q(after!)}.` : after === undefined ? `Column ${q(c.after.id)} no longer references ${q(before)}.` : `Column ${q(c.after.id)} now references ${q(after)} instead of ${q(before)}.`;
    // A relationship is a dbt test; producers do not see it.
    const consequence =
      direction === "tightened"
        ? "A dbt relationships test is generated for it; rows without a match in the referenced dataset fail it, including rows already written."
        : "The dbt relationships test goes away; marts joining on it may meet orphan rows.";
    return { dataset: c.after.dataset, subject: c.after.id, message, where: c.after.where, severity: { RAW: "S" }, consequence };
  }
  return undefined;
}

export function keyCheck(c: Change, direction: "added" | "removed"): Match | undefined {
  if (c.kind !== "table_changed" || c.aspect !== "key") return undefined;
  const moved = direction === "removed" ? c.before.key.filter((k) => !c.after.key.includes(k)) : c.after.key.filter((k) => !c.before.key.includes(k));
  if (moved.length === 0) return undefined;
  const message =
    direction === "removed"
      ? `Column${moved.length > 1 ? "s" : ""} ${list(moved.map((k) => `${c.after.name}.${k}`))} left the key of ${q(c.after.name)} (key is now [${list(c.after.key)}]).`
      : `Column${moved.length > 1 ? "s" : ""} ${list(moved.map((k) => `${c.after.name}.${k}`))} joined the key of ${q(c.after.name)} (key was [${list(c.before.key)}]).`;
  return { dataset: c.dataset.name, subject: c.after.name, message, where: c.dataset.where };
}

export function pathOf(column: ModelColumn): string | undefined {
  return "path" in column.source ? column.source.path : undefined;
}

export function isPathMove(before: ModelColumn, after: ModelColumn): boolean {
  const a = pathOf(before);
  const b = pathOf(after);
  if (a === undefined || b === undefined || a === b || before.source.kind !== after.source.kind) return false;
  const last = (p: string) => p.split(".").pop();
  return last(a) === last(b) && a.split(".").length !== b.split(".").length;
}
