/**
 * Parity: for records generated valid and invalid around every rule of each contract, the Zod contract's verdict
 * (`safeParse`) equals the DuckDB pipeline's verdict, record by record; and every valid record kept in the cleaned
 * zone holds the values Zod parsed.
 *
 * Known and documented divergence, kept out of the generators: lone UTF-16 surrogates (`"\ud800"`) are valid for
 * JSON.parse but not for DuckDB's JSON reader; the pipeline quarantines them as `record.invalid_json`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { DuckDBInstance } from "@duckdb/node-api";
import { productRecord } from "../../contracts/product.contract.js";
import { reviewRecord } from "../../contracts/review.contract.js";
import { loadGeneratedIR } from "./cli.js";
import { localPath, runPipeline } from "./pipeline.js";

const ROOT = join(import.meta.dirname, "..", "..");
const datasets = loadGeneratedIR(ROOT);
const MISSING = Symbol("missing");
type Gen = fc.Arbitrary<unknown>;
let work: string;
let runNumber = 0;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "parity-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A field that is sometimes missing, sometimes valid, sometimes invalid. */
const field = (valid: Gen, invalid: Gen, optional: boolean): Gen =>
  fc.oneof({ arbitrary: valid, weight: 20 }, { arbitrary: invalid, weight: 1 }, { arbitrary: fc.constant(MISSING), weight: optional ? 6 : 1 });

const text = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 12 }),
  fc.constantFrom("", "  padded  ", "Brett &amp; Family", "It&#39;s &lt;ok&gt;", "line\nbreak", "tab\there", "😀 emoji", "\u2028", "&#x1F600;"),
);
const wrongScalar = fc.constantFrom<unknown>(null, 5, 1.5, true, [], {}, ["x"], { a: "b" });
const notString = fc.constantFrom<unknown>(null, 5, true, [], {});

const REVIEW: Record<string, [Gen, boolean]> = {
  overall: [field(fc.oneof(fc.constantFrom(1, 5, 4.5, 1.0, 3), fc.double({ min: 1, max: 5, noNaN: true })), fc.constantFrom<unknown>(0.99, 5.01, 0, -1, "5", null, true, 1e300), false), false],
  vote: [field(fc.constantFrom("1", "1,341", "12", "999,999,999", "0"), fc.constantFrom<unknown>("12,34", "1,2345", "", "abc", " 1", "1\n", 5, null, "1,341\n"), true), true],
  verified: [field(fc.boolean(), fc.constantFrom<unknown>(null, "true", 1), false), false],
  reviewTime: [field(fc.constantFrom("06 2, 2018", "12 31, 2017", "01 01, 2000"), fc.constantFrom<unknown>("6 2, 2018", "06 2, 2018\n", "", null, 5), false), false],
  reviewerID: [field(fc.oneof(fc.constantFrom("A1B2", "ABC", "A2IBPI20UZIR0U"), fc.stringMatching(/^[A-Z0-9]{1,14}$/)), fc.constantFrom<unknown>("", "abc", "A B", "A1\n", null, [], "A1B2é"), false), false],
  asin: [field(fc.constantFrom("B00ABCDEFG", "616719923X"), fc.constantFrom<unknown>("B00ABCDEF", "b00abcdefg", "B00ABCDEFGH", "B00ABCDEFG\n", null, 5), false), false],
  style: [
    field(
      fc.oneof(fc.constant({}), fc.dictionary(fc.constantFrom("Gift Amount:", "Format:", " Size: ", "Color", "Edition:", "\n Other \n"), text, { maxKeys: 3 })),
      fc.constantFrom<unknown>(null, { a: 1 }, { a: null }, "Format: x", [], { "Gift Amount:": ["50"] }),
      true,
    ),
    true,
  ],
  reviewerName: [field(text, notString, true), true],
  reviewText: [field(text, notString, true), true],
  summary: [field(text, notString, true), true],
  unixReviewTime: [
    field(fc.oneof(fc.constantFrom(0, 1527897600, 9007199254740991), fc.integer({ min: 0, max: 2_000_000_000 })), fc.constantFrom<unknown>(-1, 1.5, "1527897600", null, 9007199254740992, 1e300, true), false),
    false,
  ],
  image: [
    field(fc.array(fc.constantFrom("https://images-na.ssl-images-amazon.com/images/I/a._SY88.jpg", "http://x.y/z"), { maxLength: 3 }), fc.constantFrom<unknown>(["http://a b"], [5], [null], "http://x", null, ["ftp://x"], ["https://x\n"]), true),
    true,
  ],
  helpful: [field(fc.constant([0, 1]), fc.constant("ignored"), true), true],
};

const stringList = fc.array(text, { maxLength: 3 });
const PRODUCT: Record<string, [Gen, boolean]> = {
  asin: [field(fc.oneof(fc.constantFrom("B00ABCDEFG", "616719923X"), fc.stringMatching(/^[0-9A-Z]{10}$/)), fc.constantFrom<unknown>("b00abcdefg", "", null, 5), false), false],
  title: [field(text, notString, false), false],
  brand: [field(text, notString, true), true],
  main_cat: [field(text, notString, true), true],
  category: [field(stringList, fc.constantFrom<unknown>([1], [null], "Gift Cards", null, {}), true), true],
  price: [field(fc.constantFrom("", "$25.00", "$1,250.00", " $5 ", "<div>$5.00</div>", "$1,2"), wrongScalar, true), true],
  rank: [field(fc.oneof(text, stringList), fc.constantFrom<unknown>([1], 5, null, [["x"]], {}), true), true],
  date: [field(fc.constantFrom("", "May 15, 2009", "February 30, 2009", "may 15, 2009"), wrongScalar, true), true],
  also_buy: [field(stringList, fc.constantFrom<unknown>([1], null, "B00"), true), true],
  details: [
    field(fc.dictionary(fc.constantFrom("ASIN:", "ASIN: ", "\n    Item Weight: \n    ", "UPC:", "Item model number"), text, { maxKeys: 3 }), fc.constantFrom<unknown>({ a: 1 }, null, [], "x"), true),
    true,
  ],
  tech1: [field(text, notString, true), true],
};

function recordArbitrary(fields: Record<string, [Gen, boolean]>): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(fields);
  return fc.tuple(...entries.map(([, [gen]]) => gen)).map((values) => {
    const record: Record<string, unknown> = {};
    values.forEach((value, i) => {
      if (value !== MISSING) record[entries[i]![0]] = value;
    });
    return record;
  });
}

async function duckdbVerdicts(dataset: string, lines: readonly string[]) {
  const run = `run${runNumber++}`;
  const input = join(work, `${run}.jsonl`);
  writeFileSync(input, `${lines.join("\n")}\n`);
  const out = join(work, run);
  const summary = await runPipeline({ datasets, inputs: new Map([[dataset, [input]]]), out, runId: run });
  const ir = datasets.find((d) => d.name === dataset)!;
  const quarantine = readFileSync(join(localPath(out, ir.locations.quarantine), `run_id=${run}`, "part-00000.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { line_number: number; reason_codes: string[] });
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  const cleaned = (
    await connection.runAndReadAll(`SELECT to_json(c)::VARCHAR AS j FROM read_parquet('${join(localPath(out, ir.locations.cleaned), `run_id=${run}`, "*.parquet")}') c`)
  )
    .getRows()
    .map(([j]) => JSON.parse(String(j)) as Record<string, unknown>);
  connection.closeSync();
  instance.closeSync();
  return {
    summary: summary.datasets[dataset]!,
    reasons: new Map(quarantine.map((q) => [q.line_number, q.reason_codes])),
    cleaned: new Map(cleaned.map((row) => [Number(row._line_number), row])),
  };
}

/** The cleaned zone's value for a raw field, in Zod's terms: maps back to objects, null back to absent. */
function fromCleaned(value: unknown): unknown {
  if (value === null) return undefined;
  if (Array.isArray(value) && value.every((e) => e && typeof e === "object" && "key" in e && "value" in e) && value.length > 0) {
    return Object.fromEntries(value.map((e: { key: string; value: unknown }) => [e.key, e.value]));
  }
  return value;
}

function checkParity(dataset: string, schema: z.ZodType, fields: Record<string, [Gen, boolean]>) {
  return async () => {
    const seen = { valid: 0, invalid: 0, compared: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(recordArbitrary(fields), { minLength: 20, maxLength: 40 }), async (records) => {
        const lines = records.map((r) => JSON.stringify(r));
        const duck = await duckdbVerdicts(dataset, lines);
        expect(duck.summary.input).toBe(records.length);
        lines.forEach((line, i) => {
          const zod = schema.safeParse(JSON.parse(line));
          seen[zod.success ? "valid" : "invalid"]++;
          const reasons = duck.reasons.get(i + 1);
          expect(reasons === undefined, `${line}\nZod: ${zod.success ? "valid" : JSON.stringify(zod.error.issues.map((x) => x.path.join(".") + " " + x.code))}\nDuckDB: ${JSON.stringify(reasons ?? "valid")}`).toBe(zod.success);
          const row = duck.cleaned.get(i + 1);
          if (!zod.success || !row) return;
          seen.compared++;
          const data = zod.data as Record<string, unknown>;
          for (const key of Object.keys(fields)) {
            if (!(key in (schema as unknown as { shape: object }).shape)) continue;
            const want = data[key];
            let got = fromCleaned(row[key]);
            if (typeof want === "object" && want !== null && !Array.isArray(want) && Array.isArray(got) && got.length === 0) got = {};
            if (key === "rank" && typeof got === "string") got = JSON.parse(got);
            expect(got, `${key} of ${line}`).toEqual(want);
          }
        });
      }),
      { numRuns: 12, seed: 20260101 },
    );
    // The generators reach both verdicts often enough for the comparison to mean something.
    expect(seen.valid).toBeGreaterThan(60);
    expect(seen.invalid).toBeGreaterThan(60);
    expect(seen.compared).toBeGreaterThan(50);
  };
}

describe("Zod and DuckDB agree record by record", () => {
  it("review", checkParity("review", reviewRecord, REVIEW), 120_000);
  it("product", checkParity("product", productRecord, PRODUCT), 120_000);
});
