/**
 * Masking of quarantined raw records: every raw field whose column is personal or sensitive, wherever it sits, in
 * parseable JSON and in text that is not JSON (cut, truncated).
 */
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadIR } from "../generators/ir/load.js";
import type { ContractIR } from "../generators/ir/types.js";
import { MASK, maskRecord, piiPaths, WITHHELD, WITHHELD_KEY } from "./mask.js";

const root = resolve(import.meta.dirname, "..");
let real: ContractIR;
let kitchen: ContractIR;

beforeAll(async () => {
  real = await loadIR(join(root, "contracts"), root);
  kitchen = await loadIR(join(root, "tests/fixtures/kitchen-sink"), root);
});

const dataset = (ir: ContractIR, name: string) => ir.datasets.find((d) => d.name === name)!;

describe("piiPaths", () => {
  it("lists the raw paths of personal and sensitive columns, nested ones included", () => {
    expect([...piiPaths(dataset(real, "review"))]).toEqual([["reviewerName", "personal"], ["reviewer_name", "personal"]]);
    const kitchenPaths = new Map(piiPaths(dataset(kitchen, "kitchen_sink")));
    expect(new Map([...kitchenPaths].filter(([path]) => path.includes(".")))).toEqual(
      new Map([
        ["owner.firstName", "personal"],
        ["owner.email", "sensitive"],
      ]),
    );
    // And the processed column names: a record sent in the processed shape carries the value under that name.
    const kitchenColumns = dataset(kitchen, "kitchen_sink").table;
    for (const column of [...kitchenColumns.columns, ...kitchenColumns.withheld].filter((c) => c.pii !== "none")) expect(kitchenPaths.get(column.name), column.name).toBe(column.pii);
  });
});

describe("maskRecord", () => {
  it("replaces the personal field of a JSON record and keeps the rest", () => {
    const raw = JSON.stringify({ overall: 9, reviewerName: "Jane <img src=x onerror=alert(1)> Doe", summary: "<script>alert(2)</script>" });
    const masked = maskRecord(raw, piiPaths(dataset(real, "review")));
    expect(masked.parsed).toBe(true);
    expect(masked.masked).toBe(1);
    expect(JSON.parse(masked.text)).toEqual({ overall: 9, reviewerName: MASK("personal"), summary: "<script>alert(2)</script>" });
    expect(masked.text).not.toContain("Jane");
  });

  it("masks nested personal and sensitive fields, whatever their type", () => {
    const paths = piiPaths(dataset(kitchen, "kitchen_sink"));
    const masked = maskRecord(JSON.stringify({ code: "ABC-12", owner: { firstName: { odd: "Ann" }, email: "ann@example.com" } }), paths);
    expect(JSON.parse(masked.text)).toEqual({ code: "ABC-12", owner: { firstName: MASK("personal"), email: MASK("sensitive") } });
    expect(masked.masked).toBe(2);
  });

  it("masks the value after a personal key in text that is not JSON, cut or not", () => {
    const paths = piiPaths(dataset(real, "review"));
    const cut = '{"overall": 4.0, "reviewerName": "Jane Doe", "summary": "x", "reviewerName" : "Jo';
    const masked = maskRecord(cut, paths);
    expect(masked.parsed).toBe(false);
    expect(masked.masked).toBe(2);
    expect(masked.text).toBe(`{"overall": 4.0, "reviewerName": "${MASK("personal")}", "summary": "x", "reviewerName" : "${MASK("personal")}"`);
    expect(maskRecord('{"reviewerName": 12, "x": [', paths).text).toBe(`{"reviewerName": "${MASK("personal")}", "x": [`);
    expect(maskRecord('{"reviewerName": "a \\" b", "y": 1', paths).text).toBe(`{"reviewerName": "${MASK("personal")}", "y": 1`);
  });

  it("masks a personal field sent under its processed column name", () => {
    const paths = piiPaths(dataset(real, "review"));
    const processed = maskRecord(JSON.stringify({ reviewer_name: "Snake Casename", overall: 5 }), paths);
    expect(JSON.parse(processed.text)).toEqual({ reviewer_name: MASK("personal"), overall: 5 });
    expect(maskRecord('{"reviewer_name": "Snake Casename", "x": [', paths).text).toBe(`{"reviewer_name": "${MASK("personal")}", "x": [`);
  });

  it("withholds text whose personal string is followed by more than a delimiter (an unescaped quote inside the name)", () => {
    const paths = piiPaths(dataset(real, "review"));
    for (const text of [
      '{"reviewerName": "Jane "JJ" Doeberry", "overall": 5}',
      '{"reviewerName": "Jane" Doeberry, "overall": 5}',
      `{'reviewerName': """Tripleq Quoteson""", 'overall': 5}`,
      "{'reviewerName': 'Jane 'JJ' Doe', 'overall': 5}",
    ]) {
      expect(maskRecord(text, paths), text).toEqual({ text: WITHHELD_KEY, parsed: false, masked: 1 });
    }
    // A closed string before a delimiter, white space between, is still masked.
    expect(maskRecord('{"reviewerName": "Jane Doe" , "x": [', paths).text).toBe(`{"reviewerName": "${MASK("personal")}" , "x": [`);
    expect(maskRecord('{"reviewerName": "Jane Doe"\n}x', paths).text).toBe(`{"reviewerName": "${MASK("personal")}"\n}x`);
  });

  it("withholds text that is not JSON and holds \\u escapes (a key could hide behind them)", () => {
    const masked = maskRecord('{"reviewer\\u004eame": "Jane", ', piiPaths(dataset(real, "review")));
    expect(masked.text).toBe(WITHHELD);
    // Parseable JSON is decoded first, so an escaped key is still found.
    expect(JSON.parse(maskRecord('{"reviewer\\u004eame": "Jane"}', piiPaths(dataset(real, "review"))).text)).toEqual({ reviewerName: MASK("personal") });
  });

  it("leaves records of a dataset without PII as they are", () => {
    const product = piiPaths(dataset(real, "product"));
    expect(product.size).toBe(0);
    expect(maskRecord("[1, 2]", product)).toEqual({ text: "[\n  1,\n  2\n]", parsed: true, masked: 0 });
    expect(maskRecord("not json \\u0041", product).text).toBe("not json \\u0041");
  });

  // A quarantined record is not shaped as the contract says: the personal field is masked wherever its name is.
  it("masks a personal field of a record in a batch array, a wrapper object or another case", () => {
    const paths = piiPaths(dataset(real, "review"));
    const batch = maskRecord(JSON.stringify([{ overall: 5, reviewerName: "Jane ArrayBatch" }]), paths);
    expect(JSON.parse(batch.text)).toEqual([{ overall: 5, reviewerName: MASK("personal") }]);
    const wrapped = maskRecord(JSON.stringify({ review: { reviewerName: "Jane Wrapped", summary: "ok" } }), paths);
    expect(JSON.parse(wrapped.text)).toEqual({ review: { reviewerName: MASK("personal"), summary: "ok" } });
    const cased = maskRecord(JSON.stringify({ ReviewerName: { first: "Jane" }, REVIEWERNAME: "Cased" }), paths);
    expect(JSON.parse(cased.text)).toEqual({ ReviewerName: MASK("personal"), REVIEWERNAME: MASK("personal") });
    for (const masked of [batch, wrapped, cased]) expect(masked.text).not.toMatch(/Jane|Cased/);
    expect(cased.masked).toBe(2);
  });

  // The key in a slightly other form: a trailing space or colon (both seen in real exports), a space, a hyphen or a
  // zero-width space inside, a longer name holding it, an accent, full-width letters.
  const VARIANT_KEYS = ["reviewerName ", "reviewer name", "reviewerName:", "reviewerNameFull", "reviewer-name", "reviewer\u200bName", "reviewer.name", "reviewerNa\u0301me", "ｒｅｖｉｅｗｅｒＮａｍｅ"];

  it("masks a personal field whose member name holds the key in another form", () => {
    const paths = piiPaths(dataset(real, "review"));
    for (const key of VARIANT_KEYS) {
      const masked = maskRecord(JSON.stringify({ overall: 9, [key]: "Jane Variant", nested: [{ [key]: { first: "Jane" } }] }), paths);
      expect(masked.parsed, key).toBe(true);
      expect(masked.text, key).not.toContain("Jane");
      expect(JSON.parse(masked.text), key).toEqual({ overall: 9, [key]: MASK("personal"), nested: [{ [key]: MASK("personal") }] });
      expect(masked.masked, key).toBe(2);
    }
    // Sensitive wins when a name holds a personal and a sensitive key; other members stay.
    const kitchenPaths = piiPaths(dataset(kitchen, "kitchen_sink"));
    const both = maskRecord(JSON.stringify({ owner: { "First Name / E-mail": "ann@example.com", code: "ABC-12" } }), kitchenPaths);
    expect(JSON.parse(both.text)).toEqual({ owner: { "First Name / E-mail": MASK("sensitive"), code: "ABC-12" } });
  });

  it("withholds text that is not JSON, or a string, naming the key in another form", () => {
    const paths = piiPaths(dataset(real, "review"));
    for (const key of VARIANT_KEYS) {
      const line = JSON.stringify({ overall: 9, [key]: "Jane Variant" });
      expect(maskRecord(`${line.slice(0, -1)}, `, paths), key).toEqual({ text: WITHHELD_KEY, parsed: false, masked: 1 });
      expect(maskRecord(JSON.stringify({ note: line }), paths).text, key).toBe(JSON.stringify({ note: WITHHELD_KEY }, null, 2));
    }
  });

  it("masks a record sent as JSON inside a string, and withholds one that cannot be masked", () => {
    const paths = piiPaths(dataset(real, "review"));
    const inner = maskRecord(JSON.stringify(JSON.stringify({ overall: 5, reviewerName: "Jane Encoded" })), paths);
    expect(inner.parsed).toBe(true);
    expect(JSON.parse(inner.text)).toBe(`{"overall":5,"reviewerName":"${MASK("personal")}"}`);
    expect(maskRecord(JSON.stringify({ note: "reviewerName = Jane Equals" }), paths).text).toBe(JSON.stringify({ note: WITHHELD_KEY }, null, 2));
  });

  it("masks a Python dict's single-quoted and a bare key in text that is not JSON", () => {
    const paths = piiPaths(dataset(real, "review"));
    const python = maskRecord("{'overall': 5.0, 'reviewerName': 'Jane PythonRepr', 'summary': 'it\\'s fine'}", paths);
    expect(python.text).toBe(`{'overall': 5.0, 'reviewerName': "${MASK("personal")}", 'summary': 'it\\'s fine'}`);
    expect(python.masked).toBe(1);
    expect(maskRecord("{reviewerName: 'Jane Bare', reviewerName:12, x", paths).text).toBe(`{reviewerName: "${MASK("personal")}", reviewerName:"${MASK("personal")}", x`);
    // The key named in a form the patterns do not read as a key and value: the text is not shown.
    for (const text of [
      "reviewerName = Jane Doe",
      '{"ReviewerName": "Jane Doe", ',
      "{'reviewerName' 'Jane'",
      "reviewerName\tJane",
      // A value whose end is not certain: a bare word (its rest would show), an array or object (nested brackets).
      "{reviewerName: Zelda Quuxbottom, overall: 5",
      "{reviewerName:Jo",
      '{"reviewerName": ["Yolanda", ["x"], "Wobblesworth"], "overall": 5',
      '{"reviewerName": {"first": {"x": 1}, "last": "Xavierina"}, "overall": 5',
    ]) {
      expect(maskRecord(text, paths), text).toEqual({ text: WITHHELD_KEY, parsed: false, masked: 1 });
    }
  });
});
