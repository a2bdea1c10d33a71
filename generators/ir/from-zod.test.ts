/**
 * What the contract reader makes of Zod constraints: every one is kept as a rule the cleaning jobs check, or refused
 * (CONTRACT.UNCHECKED_RULE); none is accepted by Zod and the JSON Schema but checked by no cleaning job.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { Diagnostic } from "../lib/errors.js";
import { walkRecord } from "./from-zod.js";
import type { RawField } from "./types.js";

function read(schema: z.ZodObject): { fields: RawField[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const fields = walkRecord(schema, { diagnostics, where: (path) => ({ file: "x.contract.ts", line: 1, column: 1, path }) }).map((w) => w.raw);
  return { fields, diagnostics };
}

const refusal = (schema: z.ZodObject) => read(schema).diagnostics.map((d) => `${d.code}: ${d.message}`);

describe("refused: a constraint Zod applies and the cleaning jobs would not", () => {
  it.each([
    ["a check on a boolean", z.object({ x: z.boolean().refine((v) => v) }), 'check on boolean'],
    ["a check on an enum", z.object({ x: z.enum(["a", "bb"]).refine((v) => v.length < 2) }), 'check on enum'],
    ["a check on a nullable wrapper", z.object({ x: z.string().nullable().check((ctx) => void ctx) }), 'check on nullable'],
    ["a check on an optional wrapper", z.object({ x: z.string().optional().refine((v) => v !== "x") }), 'check on optional'],
    ["a check on an object", z.object({ x: z.object({ a: z.int(), b: z.int() }).refine((v) => v.a < v.b) }), 'check on object'],
    ["a check on a record", z.object({ x: z.record(z.string(), z.string()).refine((v) => Object.keys(v).length < 3) }), 'check on record'],
    ["a strict object", z.object({ x: z.strictObject({ a: z.string() }) }), 'strict object (unknown keys refused)'],
    ["an object with a catchall", z.object({ x: z.object({ a: z.string() }).catchall(z.number()) }), 'object with a catchall (number)'],
    ["a coerced number", z.object({ x: z.coerce.number() }), 'z.coerce.number'],
    ["a coerced boolean", z.object({ x: z.coerce.boolean() }), 'z.coerce.boolean'],
    ["an enum mixing strings and numbers", z.object({ x: z.enum({ A: "a", B: 1 } as never) }), 'enum mixing strings and numbers'],
    ["a literal mixing strings and numbers", z.object({ x: z.literal(["a", 1]) }), 'literal mixing strings and numbers'],
    ["a union of literals", z.object({ x: z.union([z.literal("a"), z.literal("b")]) }), 'union with a rule on an option itself (regex, range, length, enum or literal)'],
    ["a union with a regex option", z.object({ x: z.union([z.string().regex(/^a$/), z.array(z.string())]) }), "union with a rule on an option itself"],
    ["a union with an integer option", z.object({ x: z.union([z.int(), z.string()]) }), 'union with an integer option (its whole-number rule would not be checked)'],
    ["a union of objects", z.object({ x: z.union([z.object({ a: z.string() }), z.object({ b: z.string() })]) }), 'union with an object option'],
    ["a discriminated union", z.object({ x: z.discriminatedUnion("k", [z.object({ k: z.literal("a") }), z.object({ k: z.literal("b") })]) }), 'union with an object option'],
    ["a union of two arrays", z.object({ x: z.union([z.array(z.string()), z.array(z.number())]) }), 'union with two array options'],
    ["a union with a nullable option", z.object({ x: z.union([z.string(), z.number().nullable()]) }), 'union with an optional or nullable option (put .optional() or .nullable() on the union)'],
    ["a check on the record itself", z.object({ a: z.int(), b: z.int() }).refine((v) => v.a < v.b), 'check on the record'],
    ["a strict record", z.strictObject({ a: z.string() }), 'A strict object (unknown keys refused) as the record: Zod and the JSON Schema apply it, no cleaning job would.'],
  ])("%s", (_what, schema, message) => {
    const found = refusal(schema as z.ZodObject);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain("CONTRACT.UNCHECKED_RULE: ");
    expect(found[0]).toContain(message);
  });
});

it("z.number().int() is refused with the fix that works: z.int()", () => {
  const { diagnostics } = read(z.object({ x: z.number().int() }));
  expect(diagnostics.map((d) => [d.code, d.fix])).toEqual([["CONTRACT.UNSUPPORTED_ZOD_KIND", expect.stringContaining("Use z.int() (or z.int32()) instead of z.number().int()")]]);
});

describe("kept: read as Zod applies them", () => {
  it("a loose object, and unions of plain options of different JSON types", () => {
    const { fields, diagnostics } = read(
      z.object({
        loose: z.looseObject({ a: z.string() }),
        rank: z.union([z.string(), z.array(z.string().max(3))]),
        either: z.union([z.string(), z.number()]).nullable(),
      }),
    );
    expect(diagnostics).toEqual([]);
    expect(fields.map((f) => f.kind)).toEqual(["object", "union", "union"]);
  });

  it("a bound given twice keeps the tighter, as Zod applies both", () => {
    const { fields, diagnostics } = read(
      z.object({
        minmin: z.string().min(3).min(1),
        maxmax: z.string().max(2).max(5),
        lenmax: z.string().length(2).max(5),
        intmax: z.int().max(5).max(10),
        nummin: z.number().min(5).min(1),
        gt: z.number().gt(1).gt(0),
        items: z.array(z.string()).min(3).min(2).max(4).max(9),
      }),
    );
    expect(diagnostics).toEqual([]);
    expect(Object.fromEntries(fields.map((f) => [f.key, f.constraints]))).toEqual({
      minmin: { minLength: 3 },
      maxmax: { maxLength: 2 },
      lenmax: { minLength: 2, maxLength: 2 },
      intmax: { minimum: Number.MIN_SAFE_INTEGER, maximum: 5 },
      nummin: { minimum: 5 },
      gt: { exclusiveMinimum: 1 },
      items: { minItems: 3, maxItems: 4 },
    });
  });

  it("a TypeScript numeric enum's values, not its reverse mapping; a float32's finite range", () => {
    enum Stars {
      One = 1,
      Two = 2,
    }
    const { fields, diagnostics } = read(z.object({ stars: z.enum(Stars), light: z.float32() }));
    expect(diagnostics).toEqual([]);
    expect(fields.map((f) => [f.kind, f.constraints])).toEqual([
      ["number", { enum: [1, 2] }],
      ["number", { minimum: -3.4028234663852886e38, maximum: 3.4028234663852886e38 }],
    ]);
  });
});

describe("raw keys: a key field paths cannot name is refused", () => {
  it.each([
    ["a dot", z.object({ "sum.mary": z.string() }), '"sum.mary" holds "."'],
    ["brackets, nested", z.object({ details: z.object({ "size[cm]": z.number() }) }), '"size[cm]" holds "["'],
    ["braces", z.object({ "{x}": z.string() }), '"{x}" holds "{"'],
    ["an empty key, nested", z.object({ details: z.object({ "": z.string() }) }), 'empty key in "details"'],
    ["a double quote", z.object({ 'say "x"': z.string() }), "which DuckDB's JSON paths cannot quote"],
    ["a backslash", z.object({ "a\\b": z.string() }), "which DuckDB's JSON paths cannot quote"],
  ])("%s", (_name, schema, expected) => {
    const found = read(schema).diagnostics.filter((d) => d.code === "CONTRACT.UNSUPPORTED_RAW_KEY");
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain(expected);
  });

  it("takes other characters: spaces, colons, single quotes, dashes, non-ASCII", () => {
    const { diagnostics } = read(z.object({ "Size:": z.string(), "it's x": z.string(), "a-b c": z.string(), "größe": z.string() }));
    expect(diagnostics).toEqual([]);
  });
});
