/**
 * Parity: for records generated valid and invalid around every rule of each contract, the Zod contract's verdict
 * (`safeParse`) equals the DuckDB pipeline's verdict, record by record; and every valid record kept in the cleaned
 * zone holds the values Zod parsed.
 *
 * The same with the contract-derived generator (`runners/synth/`) as the generator, over seeds, ratios and record
 * counts: each record's verdict is known in advance (valid, an exact duplicate, or invalid for one named rule), so
 * both judges are held to it, and DuckDB's run summary to synth's tally.
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
import { loadGeneratedIR } from "./generated-ir.js";
import { localPath, runPipeline } from "./pipeline.js";
import { PRODUCT, recordArbitrary, REVIEW, type Gen } from "../../tests/helpers/record-arbitraries.js";
import { synthesizeAll } from "../synth/synthesize.js";

const ROOT = join(import.meta.dirname, "..", "..");
const datasets = loadGeneratedIR(ROOT);
let work: string;
let runNumber = 0;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "parity-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

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

/** The cleaned zone's row of a valid record holds, for each of these raw fields the contract declares, the value Zod parsed. */
function expectZodValues(schema: z.ZodType, keys: readonly string[], parsed: unknown, row: Record<string, unknown>, line: string): void {
  const data = parsed as Record<string, unknown>;
  for (const key of keys) {
    if (!(key in (schema as unknown as { shape: object }).shape)) continue;
    const want = data[key];
    let got = fromCleaned(row[key]);
    if (typeof want === "object" && want !== null && !Array.isArray(want) && Array.isArray(got) && got.length === 0) got = {};
    if (key === "rank" && typeof got === "string") got = JSON.parse(got);
    expect(got, `${key} of ${line}`).toEqual(want);
  }
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
          expectZodValues(schema, Object.keys(fields), zod.data, row, line);
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

/**
 * Synth's promise, checked over many seeds, ratios and record counts (`runners/synth/synth.test.ts` checks it at one
 * seed per dataset): a record it calls valid or duplicate passes Zod, is not quarantined by DuckDB and keeps Zod's
 * values in the cleaned zone; a record it calls invalid fails Zod and is quarantined by DuckDB with exactly one
 * reason code, the intended one; DuckDB's run summary (input, valid, duplicates, quarantined by reason) equals the
 * tally. Invalid records break the rules in the IR's rule order from the first, so a case with k invalid records
 * breaks the first k rules: the invalid ratio reaches 0.5 for the later rules to be hit too.
 */
function checkSynthesized(dataset: string, schema: z.ZodType) {
  return async () => {
    const rules = datasets.find((d) => d.name === dataset)!.rules.map((r) => r.code);
    const seen = { valid: 0, duplicate: 0, invalid: 0, compared: 0, reasons: new Set<string>() };
    // Ratios in thousandths: fc.double draws uniformly over the doubles' bit patterns, so nearly all near 0.
    const cases = fc.record({
      records: fc.integer({ min: 50, max: 200 }),
      invalidRatio: fc.integer({ min: 0, max: 500 }).map((n) => n / 1000),
      duplicateRatio: fc.integer({ min: 0, max: 100 }).map((n) => n / 1000),
      seed: fc.integer({ min: 0, max: 0xffffffff }),
    });
    await fc.assert(
      fc.asyncProperty(cases, async (options) => {
        const { records, tally } = synthesizeAll(datasets.find((d) => d.name === dataset)!, options);
        const duck = await duckdbVerdicts(dataset, records.map((r) => r.line));
        expect({ input: duck.summary.input, valid: duck.summary.valid, duplicates: duck.summary.duplicates, quarantined: duck.summary.quarantined }).toEqual({
          input: tally.input,
          valid: tally.valid,
          duplicates: tally.duplicates,
          quarantined: tally.quarantined,
        });
        records.forEach(({ line, intended }, i) => {
          seen[intended.kind]++;
          const zod = schema.safeParse(JSON.parse(line));
          const reasons = duck.reasons.get(i + 1);
          const verdicts = `${line}\nZod: ${zod.success ? "valid" : JSON.stringify(zod.error.issues.map((x) => x.path.join(".") + " " + x.code))}\nDuckDB: ${JSON.stringify(reasons ?? "valid")}`;
          if (intended.kind === "invalid") {
            seen.reasons.add(intended.reason);
            expect(zod.success, `Zod accepts a record breaking ${intended.reason}: ${verdicts}`).toBe(false);
            expect(reasons, `intended ${intended.reason}: ${verdicts}`).toEqual([intended.reason]);
            return;
          }
          expect({ zod: zod.success, duckdb: reasons ?? "valid" }, `intended ${intended.kind}: ${verdicts}`).toEqual({ zod: true, duckdb: "valid" });
          const row = duck.cleaned.get(i + 1);
          if (!zod.success || !row) return;
          seen.compared++;
          expectZodValues(schema, Object.keys((schema as unknown as { shape: object }).shape), zod.data, row, line);
        });
      }),
      { numRuns: 20, seed: 20260101 },
    );
    // Every kind of record is reached, and every rule of the contract is broken in some case.
    expect(seen.valid).toBeGreaterThan(500);
    expect(seen.duplicate).toBeGreaterThan(20);
    expect(seen.invalid).toBeGreaterThan(100);
    expect(seen.compared).toBeGreaterThan(500);
    expect([...seen.reasons].sort()).toEqual([...rules].sort());
  };
}

describe("Zod and DuckDB give each synthetic record the verdict it was made for (runners/synth)", () => {
  it("review", checkSynthesized("review", reviewRecord), 120_000);
  it("product", checkSynthesized("product", productRecord), 120_000);
});
