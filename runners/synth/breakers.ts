/**
 * Invalid records that break exactly one rule each, so the quarantine reason of every invalid record is known.
 *
 * For each rule of the IR, a way to break it alone: the rest of the record is valid, and at the rule's field (an
 * array element or a record value when the path says so: `image[]`, `style{}`) the valid value is replaced by one
 * that fails this rule and no other rule of that field. Candidate values are chosen when the plan is made and
 * checked against every rule at the path with the same semantics the cleaning expressions have
 * (`generators/dialects/cleaning.ts`, `valueFails`); a rule with no candidate that fails it alone is *unbreakable*
 * and reported with the reason (for example `too_long` on a fixed-length pattern whose length is the maximum).
 */
import type { DatasetIR, RawField, RuleIR } from "../../generators/ir/types.js";
import { generate } from "./pattern.js";
import type { Rng } from "./prng.js";
import { boundsOf, DATE_FORMATS, Float, REMOVE, type FieldPlan, type Force, type RecordContext, type ValueFactory } from "./values.js";

export interface BreakPlan {
  readonly rule: RuleIR;
  readonly force: Force;
}

export interface Unbreakable {
  readonly code: string;
  readonly reason: string;
}

/** Fields from the root to the field at `path`; a union's option sits between the union and what is inside it. */
export function chainTo(fields: readonly RawField[], path: string): RawField[] | undefined {
  for (const field of fields) {
    if (field.path === path) return [field];
    for (const child of [...(field.fields ?? []), ...(field.element ? [field.element] : [])]) {
      const inner = chainTo([child], path);
      if (inner) return [field, ...inner];
    }
    for (const option of field.options ?? []) {
      for (const child of [...(option.fields ?? []), ...(option.element ? [option.element] : [])]) {
        const inner = chainTo([child], path);
        if (inner) return [field, option, ...inner];
      }
    }
  }
  return undefined;
}

const unwrap = (value: unknown) => (value instanceof Float ? value.value : value);

function jsonType(value: unknown): string {
  const v = unwrap(value);
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v === "object" ? "object" : typeof v;
}

const codePoints = (s: string) => [...s].length;

/** Whether a value (present at the rule's path) fails the rule: `valueFails` of the cleaning rules, in JavaScript. */
export function valueFails(rule: RuleIR, value: unknown): boolean {
  const p = rule.params;
  const v = unwrap(value);
  // A member left out fails `missing` only: every other rule reads a present value.
  if (v === REMOVE) return rule.kind === "missing";
  const type = jsonType(v);
  switch (rule.kind) {
    case "missing":
      return false;
    case "null":
      return type === "null";
    case "wrong_type": {
      const expected = Array.isArray(p.expected) ? p.expected : [p.expected];
      return !["null", ...expected].includes(type);
    }
    case "not_integer":
      return type === "number" && !Number.isInteger(v);
    case "out_of_range": {
      if (type !== "number") return false;
      const n = v as number;
      return (
        (p.minimum !== undefined && n < p.minimum) ||
        (p.maximum !== undefined && n > p.maximum) ||
        (p.exclusiveMinimum !== undefined && n <= p.exclusiveMinimum) ||
        (p.exclusiveMaximum !== undefined && n >= p.exclusiveMaximum)
      );
    }
    case "too_short":
      return type === "string" && codePoints(v as string) < p.minLength!;
    case "too_long":
      return type === "string" && codePoints(v as string) > p.maxLength!;
    case "pattern_mismatch":
      return type === "string" && !new RegExp(p.pattern!).test(v as string);
    case "not_in_enum": {
      const values = p.enum ?? [];
      const strings = values.filter((e) => typeof e === "string");
      const numbers = values.filter((e) => typeof e === "number");
      if (type === "string") return strings.length ? !strings.includes(v as string) : true;
      if (type === "number") return numbers.length ? !numbers.includes(v as number) : true;
      return false;
    }
    case "too_few_items":
      return type === "array" && (v as unknown[]).length < p.minItems!;
    case "too_many_items":
      return type === "array" && (v as unknown[]).length > p.maxItems!;
    case "invalid_format":
      return false;
  }
}

/** Whether `value` fails `rule` and no other rule at the same path (the value's own rules). */
function failsAlone(rule: RuleIR, sameField: readonly RuleIR[], value: unknown): boolean {
  return sameField.every((r) => valueFails(r, value) === (r === rule));
}

function distinct(values: readonly unknown[]): unknown[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const text = v === REMOVE ? "<remove>" : JSON.stringify(unwrap(v));
    if (seen.has(text)) return false;
    seen.add(text);
    return true;
  });
}

/** Valid sample values of a field, for deriving invalid ones (plan time only). */
function samples(plan: FieldPlan, values: ValueFactory, rng: Rng, n: number): unknown[] {
  return Array.from({ length: n }, () => values.value(plan, values.context(rng, new Map())));
}

function candidates(rule: RuleIR, plan: FieldPlan, values: ValueFactory, rng: Rng): unknown[] {
  const field = plan.field;
  const p = rule.params;
  const strings = () => samples(plan, values, rng, 6).filter((v): v is string => typeof v === "string");
  switch (rule.kind) {
    case "missing":
      return [REMOVE];
    case "null":
      return [null];
    case "wrong_type": {
      const sample = samples(plan, values, rng, 1)[0];
      const asText = typeof unwrap(sample) === "number" || typeof sample === "boolean" ? String(unwrap(sample)) : "x";
      return [asText, 7, true, "true", ["x"], { x: "y" }];
    }
    case "not_integer": {
      const [lo, hi] = boundsOf(field, [0, 1000]);
      return [lo + 0.5, hi - 0.5, Math.floor((lo + hi) / 2) + 0.5];
    }
    case "out_of_range": {
      const out: number[] = [];
      if (p.maximum !== undefined) out.push(p.maximum + 1, p.maximum + 0.5);
      if (p.minimum !== undefined) out.push(p.minimum - 1, p.minimum - 0.5);
      if (p.exclusiveMaximum !== undefined) out.push(p.exclusiveMaximum, p.exclusiveMaximum + 1);
      if (p.exclusiveMinimum !== undefined) out.push(p.exclusiveMinimum, p.exclusiveMinimum - 1);
      return out;
    }
    case "too_short": {
      const short = plan.pattern ? Array.from({ length: 8 }, () => generate(plan.pattern!, rng, { mode: "shortest" })) : [];
      return [...short, ...strings().map((s) => [...s].slice(0, p.minLength! - 1).join("")), ""];
    }
    case "too_long": {
      const extra = p.maxLength! + 1;
      const long = plan.pattern ? Array.from({ length: 8 }, () => generate(plan.pattern!, rng, { mode: "longest", extra })) : [];
      return [...long, ...strings().map((s) => s + "x".repeat(Math.max(1, extra - codePoints(s))))];
    }
    case "pattern_mismatch": {
      const out: unknown[] = [];
      if (plan.hint?.kind === "date_text") {
        const day = new Date(Date.UTC(2009, 4, 15));
        out.push(...DATE_FORMATS.map((f) => f.render(day)));
      }
      if (plan.hint?.kind === "count") out.push("12,34", "1,2345", "1 341");
      for (const s of strings()) out.push(`${s}\n`, ` ${s}`, s.toLowerCase(), `#${s.slice(1)}`, s.slice(1), `${s}!`, s.replace(/[0-9]/g, "x"));
      out.push("x", "?", "");
      return out;
    }
    case "not_in_enum": {
      const values = p.enum ?? [];
      const text = values.filter((v): v is string => typeof v === "string");
      const numbers = values.filter((v): v is number => typeof v === "number");
      return [...text.map((t) => `${t}x`), ...text.map((t) => t.toUpperCase()), "x", ...numbers.map((n) => n + 1), ...numbers.map((n) => n - 0.5), 999_999];
    }
    case "too_few_items":
    case "too_many_items":
    case "invalid_format":
      return [];
  }
}

/** The rules of a dataset that can be broken alone, and those that cannot, with the reason. */
export function planBreaks(dataset: DatasetIR, values: ValueFactory, rng: Rng): { breakable: BreakPlan[]; unbreakable: Unbreakable[] } {
  const breakable: BreakPlan[] = [];
  const unbreakable: Unbreakable[] = [];
  for (const rule of dataset.rules) {
    const chain = chainTo(dataset.raw.fields, rule.path);
    const target = chain?.[chain.length - 1];
    if (!chain || !target) {
      unbreakable.push({ code: rule.code, reason: `its path ${rule.path} is not a raw field of the IR` });
      continue;
    }
    const plan = values.planOf(rule.path);
    const sameField = dataset.rules.filter((r) => r.path === rule.path);
    const emptyArray = chain.slice(0, -1).find((f) => (f.kind === "array" || f.kind === "record") && f.constraints.maxItems === 0);
    if (emptyArray) {
      unbreakable.push({ code: rule.code, reason: `${emptyArray.path} may hold no items, so nothing inside it can be set` });
      continue;
    }
    if (rule.kind === "invalid_format") {
      unbreakable.push({ code: rule.code, reason: "Zod formats are not generated (the IR refuses them: no engine checks them the same way)" });
      continue;
    }
    if (rule.kind === "too_few_items" || rule.kind === "too_many_items") {
      const c = target.constraints;
      const length = rule.kind === "too_few_items" ? (c.minItems ?? 0) - 1 : (c.maxItems ?? 0) + 1;
      if (length < 0) {
        unbreakable.push({ code: rule.code, reason: `${rule.path} may have 0 items, so no array has too few` });
        continue;
      }
      const make = (_plan: FieldPlan, ctx: RecordContext, factory: ValueFactory) => Array.from({ length }, () => factory.value(plan.element!, ctx));
      const sample = make(plan, values.context(rng, new Map()), values);
      if (!failsAlone(rule, sameField, sample)) {
        unbreakable.push({ code: rule.code, reason: `an array of ${length} valid items also breaks another rule of ${rule.path}` });
        continue;
      }
      breakable.push({ rule, force: { chain, replace: make } });
      continue;
    }
    let found = distinct(candidates(rule, plan, values, rng)).filter((v) => failsAlone(rule, sameField, v));
    // Scalars first: a list or object in place of a container could reach the rules of its elements or values.
    const scalars = found.filter((v) => v === null || v === REMOVE || typeof v !== "object");
    if (scalars.length) found = scalars;
    found = found.slice(0, 8);
    if (!found.length) {
      unbreakable.push({ code: rule.code, reason: unbreakableReason(rule, target) });
      continue;
    }
    breakable.push({ rule, force: { chain, replace: (_plan, ctx) => found[ctx.rng.int(found.length)] } });
  }
  return { breakable, unbreakable };
}

function unbreakableReason(rule: RuleIR, field: RawField): string {
  const c = field.constraints;
  switch (rule.kind) {
    case "too_long":
      return `no string longer than ${c.maxLength} characters matches ${c.pattern ? `/${c.pattern}/` : "the field's other constraints"}`;
    case "too_short":
      return `no string shorter than ${c.minLength} characters matches ${c.pattern ? `/${c.pattern}/` : "the field's other constraints"}`;
    case "pattern_mismatch":
      return "every string the generator tried that the pattern refuses also breaks a length or enum rule";
    case "not_integer":
      return "the range admits no number with a fraction";
    default:
      return `no value was found that breaks ${rule.code} without breaking another rule of ${rule.path}`;
  }
}
