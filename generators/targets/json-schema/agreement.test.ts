/**
 * The generated JSON Schema and the Zod contract must give every record the same verdict: other teams validate with
 * the schema, the cleaning jobs with the contract's rules. The cases are derived from the IR's raw fields (each bound,
 * length, pattern, enum, required key and null), each one change away from a valid base record, so a constraint the
 * schema loses or gains shows up as a disagreement; the last tests drop constraints from a copy of the schema and
 * expect this test to notice.
 */
import Ajv2020 from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import product from "../../../contracts/product.contract.js";
import review from "../../../contracts/review.contract.js";
import kitchenSink from "../../../tests/fixtures/kitchen-sink/kitchen-sink.contract.js";
import type { DatasetIR, RawField } from "../../ir/types.js";
import { compilePattern, generate } from "../../../runners/synth/pattern.js";
import { Rng } from "../../../runners/synth/prng.js";
import { synthesizeAll } from "../../../runners/synth/synthesize.js";
import { DATA_FILES, dataRecords } from "../../../tests/helpers/data.js";
import { fileOf, generatedFrom } from "../../../tests/helpers/generate.js";
import { jsonSchemaPath } from "./emit.js";

type Json = Record<string, unknown>;
const MISSING = Symbol("missing");
type Value = unknown | typeof MISSING;

/** Where a value of a raw field sits: `put` returns a copy of the base record with that value there. */
interface Slot {
  readonly path: string;
  readonly field: RawField;
  /** The valid value the base record holds there (undefined when it holds none). */
  readonly current: unknown;
  readonly put: (value: Value) => unknown;
  /** The slot is a key of an object (it can be left out). */
  readonly keyed: boolean;
}

interface Case {
  readonly label: string;
  readonly record: unknown;
}

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** A copy of `object` with `key` set (an own property, `__proto__` included) or removed. */
function withKey(object: Json, key: string, value: Value): Json {
  const copy: Json = {};
  for (const k of Object.keys(object)) if (k !== key) Object.defineProperty(copy, k, { value: object[k], enumerable: true, writable: true, configurable: true });
  if (value !== MISSING) Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

/** The largest double below `x`, or the smallest above. */
function nextDouble(x: number, up: boolean): number {
  if (x === 0) return up ? Number.MIN_VALUE : -Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigInt64(0);
  view.setBigInt64(0, (x > 0) === up ? bits + 1n : bits - 1n);
  return view.getFloat64(0);
}

/** Strings matching a pattern, from the synthetic generator: shortest, longest and a few random ones. */
function matching(source: string, seed: string): string[] {
  const pattern = compilePattern(source);
  const rng = new Rng(7, seed);
  const out = [generate(pattern, rng, { mode: "shortest" }), generate(pattern, rng, { mode: "longest", extra: 3 })];
  for (let i = 0; i < 6; i++) out.push(generate(pattern, rng));
  return out;
}

/** One character changed, added or removed (first, middle and last positions), and line terminators around it. */
function nearMisses(value: string): string[] {
  const chars = [...value];
  const out = [`${value}\n`, `\n${value}`, `${value}\r\n`, `${value}😀`];
  const positions = [...new Set([0, Math.floor(chars.length / 2), chars.length - 1])].filter((i) => i >= 0 && i < chars.length);
  for (const i of positions) {
    for (const replacement of ["!", " ", "a", "Z", "0", "é", "😀", "\n"]) {
      if (replacement !== chars[i]) out.push([...chars.slice(0, i), replacement, ...chars.slice(i + 1)].join(""));
    }
    out.push([...chars.slice(0, i + 1), chars[i], ...chars.slice(i + 1)].join(""));
    out.push([...chars.slice(0, i), ...chars.slice(i + 1)].join(""));
  }
  return out;
}

/** A string of exactly `length` code points, from the characters of `like` (or of "😀", two UTF-16 units each). */
function ofLength(like: string, length: number): string {
  const chars = [...(like || "a")];
  return Array.from({ length }, (_, i) => chars[i % chars.length]).join("");
}

/** A valid value of a field, for slots the base record leaves empty. */
function validValue(field: RawField, seed: string): unknown {
  const c = field.constraints;
  switch (field.kind) {
    case "string":
      if (c.enum) return c.enum[0];
      if (c.pattern) return matching(c.pattern, seed)[0];
      return ofLength("x", Math.max(c.minLength ?? 1, 1));
    case "number":
    case "integer":
      return c.minimum ?? (c.exclusiveMinimum !== undefined ? c.exclusiveMinimum + 1 : 1);
    case "boolean":
      return true;
    case "array":
      return Array.from({ length: Math.max(c.minItems ?? 1, 1) }, () => validValue(field.element!, seed));
    case "record":
      return { k: validValue(field.element!, seed) };
    case "object":
      return Object.fromEntries(field.fields!.filter((f) => f.required).map((f) => [f.key, validValue(f, seed)]));
    case "union":
      return validValue(field.options![0]!, seed);
  }
}

/** Every slot of the record: top-level keys, object members, array elements, map values and union members. */
function slotsOf(fields: readonly RawField[], holder: Json, put: (object: Json) => unknown, prefix: string): Slot[] {
  const slots: Slot[] = [];
  for (const field of fields) {
    const slot: Slot = { path: `${prefix}${field.key}`, field, current: holder[field.key], put: (v) => put(withKey(holder, field.key, v)), keyed: true };
    slots.push(slot, ...innerSlots(slot));
  }
  return slots;
}

function innerSlots(slot: Slot): Slot[] {
  const { field } = slot;
  const current = slot.current ?? validValue(field, slot.path);
  if (field.kind === "object" && isObject(current)) return slotsOf(field.fields!, current, (o) => slot.put(o), `${slot.path}.`);
  if (field.kind === "array" && Array.isArray(current)) {
    const element = field.element!;
    const first = current[0] ?? validValue(element, slot.path);
    const inner: Slot = { path: `${slot.path}[]`, field: element, current: first, put: (v) => slot.put([v === MISSING ? undefined : v, ...current.slice(1)]), keyed: false };
    return [inner, ...innerSlots(inner)];
  }
  if (field.kind === "record" && isObject(current)) {
    const element = field.element!;
    const key = Object.keys(current)[0] ?? "Key:";
    const inner: Slot = { path: `${slot.path}{}`, field: element, current: current[key] ?? validValue(element, slot.path), put: (v) => slot.put(withKey(current, key, v)), keyed: false };
    return [inner, ...innerSlots(inner)];
  }
  if (field.kind === "union") {
    return field.options!.flatMap((option, i) => {
      const inner: Slot = { path: `${slot.path}|${i}`, field: option, current: validValue(option, `${slot.path}|${i}`), put: slot.put, keyed: false };
      return [inner, ...innerSlots(inner)];
    });
  }
  return [];
}

/** Values to put in a slot: the valid one, wrong types, null, and each constraint at and just past its bound. */
function valuesFor(slot: Slot): [string, Value][] {
  const { field, current } = slot;
  const c = field.constraints;
  const values: [string, Value][] = [["valid", current], ["null", null]];
  if (slot.keyed) values.push([field.required ? "required key removed" : "optional key removed", MISSING]);
  const wrongTypes: Record<RawField["kind"], unknown[]> = {
    string: [5, true, ["x"], {}],
    number: ["1", true, [1], {}],
    integer: ["1", 1.5, true, [1]],
    boolean: ["true", 1, 0],
    object: [[], "x", 1],
    record: [[], "x", 1],
    array: ["x", {}, 1],
    union: [1, {}],
  };
  for (const wrong of wrongTypes[field.kind]) values.push([`wrong type ${JSON.stringify(wrong)}`, wrong]);

  if (field.kind === "number" || field.kind === "integer") {
    const steps = field.kind === "integer" ? [1, 0.5] : [1, 0];
    for (const [name, bound, outward] of [
      ["minimum", c.minimum, -1],
      ["maximum", c.maximum, 1],
      ["exclusiveMinimum", c.exclusiveMinimum, -1],
      ["exclusiveMaximum", c.exclusiveMaximum, 1],
    ] as const) {
      if (bound === undefined) continue;
      values.push([`${name} ${bound}`, bound]);
      for (const step of steps) {
        const past = step === 0 ? nextDouble(bound, outward > 0) : bound + outward * step;
        const inside = step === 0 ? nextDouble(bound, outward < 0) : bound - outward * step;
        values.push([`${name} ${bound}, past by ${step || "one double"}`, past], [`${name} ${bound}, inside by ${step || "one double"}`, inside]);
      }
    }
    values.push(["integral double", 2], ["fraction", 2.5], ["negative zero", -0]);
  }

  if (field.kind === "string") {
    const like = typeof current === "string" ? current : "a";
    for (const [name, bound] of [["minLength", c.minLength], ["maxLength", c.maxLength]] as const) {
      if (bound === undefined) continue;
      for (const length of [bound - 1, bound, bound + 1].filter((n) => n >= 0)) {
        values.push([`${name} ${bound}: ${length} code points`, ofLength(like, length)], [`${name} ${bound}: ${length} emoji`, ofLength("😀", length)]);
      }
    }
    if (c.pattern) {
      const samples = [...new Set([...(typeof current === "string" ? [current] : []), ...matching(c.pattern, slot.path)])];
      for (const sample of samples) {
        values.push([`pattern: ${JSON.stringify(sample)}`, sample]);
        for (const miss of nearMisses(sample)) values.push([`pattern: ${JSON.stringify(miss)}`, miss]);
      }
    }
    if (c.enum) {
      for (const member of c.enum) {
        values.push([`enum member ${JSON.stringify(member)}`, member]);
        for (const other of [`${member} `, String(member).toUpperCase(), `${member}x`, String(member).slice(1)]) values.push([`enum non-member ${JSON.stringify(other)}`, other]);
      }
      values.push(["enum non-member \"\"", ""]);
    }
  }

  if (field.kind === "array") {
    const element = Array.isArray(current) && current.length ? current[0] : validValue(field.element!, slot.path);
    values.push(["empty array", []]);
    for (const [name, bound] of [["minItems", c.minItems], ["maxItems", c.maxItems]] as const) {
      if (bound === undefined) continue;
      for (const length of [bound - 1, bound, bound + 1].filter((n) => n >= 0)) values.push([`${name} ${bound}: ${length} items`, Array.from({ length }, () => element)]);
    }
  }

  if (field.kind === "record" && isObject(current)) {
    const value = Object.values(current)[0] ?? validValue(field.element!, slot.path);
    values.push(["empty map", {}], ["map key \"\"", withKey(current, "", value)], ["map key with emoji", withKey(current, "😀:", value)]);
    // A valid value under `__proto__`: both accept (Zod leaves the key out of its output). A wrong one: see the last test.
    values.push(["map key __proto__", withKey(current, "__proto__", value)], ["map key constructor, wrong value", withKey(current, "constructor", 1)]);
  }

  if (field.kind === "object" && isObject(current)) {
    values.push(["unknown key", withKey(current, "unknownKey", "x")], ["unknown key null", withKey(current, "unknownKey", null)]);
  }
  return values;
}

/** Every case of a dataset, built from one valid base record. */
function casesOf(dataset: DatasetIR, base: Json): Case[] {
  const cases: Case[] = [
    { label: "base record", record: base },
    { label: "unknown top-level key", record: withKey(base, "unknownKey", "x") },
    { label: "not an object: array", record: [base] },
    { label: "not an object: null", record: null },
    { label: "not an object: string", record: "text" },
  ];
  for (const slot of slotsOf(dataset.raw.fields, base, (o) => o, "")) {
    for (const [what, value] of valuesFor(slot)) cases.push({ label: `${slot.path}: ${what}`, record: slot.put(value) });
  }
  return cases;
}

/** The base record with the most keys among `records` (so that every optional field has a value to vary). */
function fullest(records: readonly unknown[]): Json {
  const objects = records.filter(isObject);
  return objects.reduce((best, r) => (Object.keys(r).length > Object.keys(best).length ? r : best), objects[0]!);
}

interface Subject {
  readonly dataset: DatasetIR;
  readonly schemaText: string;
  readonly contract: { readonly schema: z.ZodType };
  readonly base: Json;
}

async function subject(dir: string, name: string, contract: { readonly schema: z.ZodType }, base: (dataset: DatasetIR) => Json): Promise<Subject> {
  const { ir, files } = await generatedFrom(dir);
  const dataset = ir.datasets.find((d) => d.name === name)!;
  return { dataset, schemaText: fileOf(files, jsonSchemaPath(dataset)), contract, base: base(dataset) };
}

const subjects = () =>
  Promise.all([
    subject("contracts", "review", review, () => fullest(dataRecords(DATA_FILES.reviews2018))),
    subject("contracts", "product", product, () => fullest(dataRecords(DATA_FILES.products2018))),
    subject("tests/fixtures/kitchen-sink", "kitchen_sink", kitchenSink, (dataset) =>
      fullest(synthesizeAll(dataset, { records: 200, seed: 11 }).records.map((r) => JSON.parse(r.line) as unknown)),
    ),
  ]);

/** Cases on which ajv (with `schema`) and the Zod contract differ, with both verdicts. */
function disagreements(s: Subject, schema: object = JSON.parse(s.schemaText) as object): string[] {
  const validate = new Ajv2020.default({ strict: true, allErrors: true }).compile(schema);
  const out: string[] = [];
  for (const { label, record } of casesOf(s.dataset, s.base)) {
    const ajv = validate(record);
    const zod = s.contract.schema.safeParse(record).success;
    if (ajv !== zod) out.push(`${label}: ajv ${ajv}, zod ${zod}`);
  }
  return out;
}

describe("JSON Schema target: agreement with the Zod contract, case by case from the IR", () => {
  it("the base records are valid and the cases cover both verdicts in every dataset", async () => {
    for (const s of await subjects()) {
      expect(s.contract.schema.safeParse(s.base).success, s.dataset.name).toBe(true);
      const verdicts = casesOf(s.dataset, s.base).map((c) => s.contract.schema.safeParse(c.record).success);
      expect(verdicts.filter(Boolean).length, s.dataset.name).toBeGreaterThan(20);
      expect(verdicts.filter((v) => !v).length, s.dataset.name).toBeGreaterThan(100);
    }
  });

  it("gives the contract's verdict on every case of review, product and the kitchen-sink fixture", async () => {
    for (const s of await subjects()) expect(disagreements(s), s.dataset.name).toEqual([]);
  });

  /** Each edit of the generated schema a careless change of the converter or the emitter could make. */
  const MUTATIONS: Record<string, [dataset: string, edit: (schema: any) => void][]> = {
    "minimum dropped on overall": [["review", (s) => delete s.properties.overall.minimum]],
    "minimum dropped on unixReviewTime": [["review", (s) => delete s.properties.unixReviewTime.minimum]],
    "maximum dropped on unixReviewTime": [["review", (s) => delete s.properties.unixReviewTime.maximum]],
    "pattern dropped on asin": [["review", (s) => delete s.properties.asin.pattern]],
    "pattern dropped on reviewerID": [["review", (s) => delete s.properties.reviewerID.pattern]],
    "pattern dropped on reviewTime": [["review", (s) => delete s.properties.reviewTime.pattern]],
    "pattern dropped on the image items": [["review", (s) => delete s.properties.image.items.pattern]],
    "the 18-digit cap of vote lifted": [["review", (s) => (s.properties.vote.pattern = s.properties.vote.pattern.replace("\\d{1,18}", "\\d+"))]],
    "asin no longer required": [["review", (s) => (s.required = s.required.filter((k: string) => k !== "asin"))]],
    "reviewerName made nullable": [["review", (s) => (s.properties.reviewerName.type = ["string", "null"])]],
    "product title no longer required": [["product", (s) => (s.required = s.required.filter((k: string) => k !== "title"))]],
    "product rank's list option loses its item type": [["product", (s) => delete s.properties.rank.anyOf[1].items]],
    "exclusiveMaximum made inclusive on amount": [["kitchen_sink", (s) => { s.properties.amount.maximum = s.properties.amount.exclusiveMaximum; delete s.properties.amount.exclusiveMaximum; }]],
    "flag no longer nullable": [["kitchen_sink", (s) => (s.properties.flag.type = "boolean")]],
    "maxItems dropped on tags": [["kitchen_sink", (s) => delete s.properties.tags.maxItems]],
    "minLength dropped on the tag items": [["kitchen_sink", (s) => delete s.properties.tags.items.minLength]],
    "an enum member added to level": [["kitchen_sink", (s) => s.properties.level.enum.push("LOW")]],
    "owner's firstName no longer required": [["kitchen_sink", (s) => (s.properties.owner.required = [])]],
    "owner's email pattern dropped": [["kitchen_sink", (s) => delete s.properties.owner.properties.email.pattern]],
    "map values may be numbers": [["kitchen_sink", (s) => (s.properties.attrs.additionalProperties = {})]],
    "objects made strict": [["kitchen_sink", (s) => (s.additionalProperties = false)]],
  };

  it.each(Object.entries(MUTATIONS))("notices a schema with %s", async (_name, edits) => {
    const all = await subjects();
    for (const [name, edit] of edits) {
      const s = all.find((x) => x.dataset.name === name)!;
      const schema = JSON.parse(s.schemaText) as object;
      edit(schema);
      expect(JSON.stringify(schema)).not.toBe(JSON.stringify(JSON.parse(s.schemaText)));
      expect(disagreements(s, schema).length).toBeGreaterThan(0);
    }
  });

  it("differs on a map key __proto__ with a wrong value, as the README says (Zod skips the key)", async () => {
    for (const s of await subjects()) {
      const validate = new Ajv2020.default({ strict: true, allErrors: true }).compile(JSON.parse(s.schemaText) as object);
      const maps = s.dataset.raw.fields.filter((f) => f.kind === "record");
      expect(maps.length, s.dataset.name).toBeGreaterThan(0);
      for (const map of maps) {
        const record = withKey(s.base, map.key, JSON.parse('{"__proto__": 1}') as Json);
        expect([validate(record), s.contract.schema.safeParse(record).success], `${s.dataset.name}.${map.key}`).toEqual([false, true]);
      }
    }
  });
});
