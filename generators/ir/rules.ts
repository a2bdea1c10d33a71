/**
 * Validation rules of the raw record, derived from the Zod constraints. Each rule has a stable reason code
 * `<path>.<kind>`; the cleaning jobs quarantine a record with every code it fails. Codes appear in quarantine files,
 * run summaries and dashboards: renaming a field renames its codes, nothing else does.
 */
import type { RawField, RawKind, RuleIR, RuleKind } from "./types.js";

export function rulesFor(fields: readonly RawField[]): RuleIR[] {
  const rules: RuleIR[] = [];
  for (const field of fields) addFieldRules(field, rules, true);
  return rules;
}

function rule(path: string, kind: RuleKind, description: string, params: RuleIR["params"] = {}): RuleIR {
  return { code: `${path}.${kind}`, path, kind, description, params };
}

function addFieldRules(field: RawField, rules: RuleIR[], hasKey: boolean): void {
  const p = field.path;
  if (hasKey && field.required) rules.push(rule(p, "missing", `${p} is present`));
  if (!field.nullable) rules.push(rule(p, "null", `${p} is not null`));
  addValueRules(field, rules);
}

function addValueRules(field: RawField, rules: RuleIR[]): void {
  const p = field.path;
  const c = field.constraints;
  const expected: RawKind | readonly RawKind[] =
    field.kind === "union" ? [...new Set((field.options ?? []).map((o) => jsonKind(o.kind)))] : jsonKind(field.kind);
  rules.push(rule(p, "wrong_type", `${p} is ${Array.isArray(expected) ? expected.join(" or ") : expected}`, { expected }));
  if (field.kind === "integer") rules.push(rule(p, "not_integer", `${p} is a whole number`));
  const range = rangeText(c);
  if (range) {
    const { minimum, maximum, exclusiveMinimum, exclusiveMaximum } = c;
    rules.push(rule(p, "out_of_range", `${p} is ${range}`, definedOnly({ minimum, maximum, exclusiveMinimum, exclusiveMaximum })));
  }
  if (c.minLength !== undefined) rules.push(rule(p, "too_short", `${p} has at least ${c.minLength} characters`, { minLength: c.minLength }));
  if (c.maxLength !== undefined) rules.push(rule(p, "too_long", `${p} has at most ${c.maxLength} characters`, { maxLength: c.maxLength }));
  if (c.pattern !== undefined) rules.push(rule(p, "pattern_mismatch", `${p} matches /${c.pattern}/`, { pattern: c.pattern }));
  if (c.enum !== undefined) rules.push(rule(p, "not_in_enum", `${p} is one of ${c.enum.map((v) => JSON.stringify(v)).join(", ")}`, { enum: c.enum }));
  if (c.minItems !== undefined) rules.push(rule(p, "too_few_items", `${p} has at least ${c.minItems} items`, { minItems: c.minItems }));
  if (c.maxItems !== undefined) rules.push(rule(p, "too_many_items", `${p} has at most ${c.maxItems} items`, { maxItems: c.maxItems }));
  for (const child of field.fields ?? []) addFieldRules(child, rules, true);
  addElementRules(field, rules);
  // Union options share the union's path; only their nested rules (array elements, object fields) are added.
  for (const option of field.options ?? []) {
    for (const child of option.fields ?? []) addFieldRules(child, rules, true);
    addElementRules(option, rules);
  }
}

function addElementRules(field: RawField, rules: RuleIR[]): void {
  if (!field.element) return;
  if (!field.element.nullable) rules.push(rule(field.element.path, "null", `${field.element.path} is not null`));
  addValueRules(field.element, rules);
}

/** The JSON type a raw kind is checked against (records are objects; integers are numbers first). */
function jsonKind(kind: RawKind): RawKind {
  return kind === "record" ? "object" : kind === "integer" ? "number" : kind;
}

function rangeText(c: RuleIR["params"]): string | undefined {
  const parts: string[] = [];
  if (c.minimum !== undefined) parts.push(`at least ${c.minimum}`);
  if (c.exclusiveMinimum !== undefined) parts.push(`greater than ${c.exclusiveMinimum}`);
  if (c.maximum !== undefined) parts.push(`at most ${c.maximum}`);
  if (c.exclusiveMaximum !== undefined) parts.push(`less than ${c.exclusiveMaximum}`);
  return parts.length ? parts.join(" and ") : undefined;
}

function definedOnly<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
