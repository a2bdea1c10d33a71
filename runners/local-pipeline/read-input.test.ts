/**
 * The lines of a plain JSON-lines file that DuckDB reads and judges itself: `plainJsonLines` must name every line
 * whose JSON DuckDB's parser accepts where `JSON.parse` refuses it (`SUSPICIOUS_JSON`), since the pipeline lets
 * DuckDB's verdict stand on every other line.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { ARRAY_FILE_RECORDS, nextSuspicious, plainJsonLines, readFile, SUSPICIOUS_JSON, type RawRecord } from "./read-input.js";

let work: string;
let connection: DuckDBConnection;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "read-input-"));
  connection = await (await DuckDBInstance.create(":memory:")).connect();
});
afterAll(() => {
  connection.closeSync();
  rmSync(work, { recursive: true, force: true });
});

/** DuckDB's own JSON verdict on each line (the parser the pipeline's validation runs). */
async function duckdbValid(file: string): Promise<boolean[]> {
  const reader = await connection.runAndReadAll(
    `SELECT json_valid(raw) FROM read_csv('${file}', columns = {'raw': 'VARCHAR'}, header = false, delim = chr(1), quote = '', escape = '',
      new_line = '\\n', compression = 'none', auto_detect = false) WITH ORDINALITY ORDER BY ordinality`,
  );
  return reader.getRows().map((r) => r[0] === true);
}

function parses(line: string): boolean {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

// JSON-like text around everything DuckDB's parser allows beyond JSON: NaN and Infinity in any case and sign,
// trailing commas, with the whitespace between tokens JSON allows and some it does not; and the same words and
// punctuation inside strings, where they are only text.
const space = fc.constantFrom("", " ", "\t", "  ", "\f", "\u00a0", "\u000b");
const special = fc
  .tuple(fc.constantFrom("", "-", "+"), fc.constantFrom("NaN", "nan", "NAN", "Infinity", "infinity", "INF", "inf", "iNf", "nAn"))
  .map(([sign, word]) => sign + word);
const word = fc.constantFrom("banana", "information", "infinity", "NaN", "nan:", "[inf,", ",]", ", }", "Café ☕", "a\\\"b", "x");
const text = fc.array(word, { maxLength: 3 }).map((w) => JSON.stringify(w.join(" ")));
const scalar = fc.oneof(fc.integer().map(String), fc.constantFrom("1.5", "-0", "1e999", "true", "null"), text, special);
const value: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.tuple(fc.array(tie("value"), { maxLength: 3 }), fc.boolean(), space, space).map(([items, trailing, a, b]) => `[${a}${items.join(`,${a}`)}${trailing && items.length ? `,${b}` : ""}]`),
    fc
      .tuple(fc.array(fc.tuple(fc.constantFrom('"a"', '"style"', '"nan"'), tie("value")), { maxLength: 3 }), fc.boolean(), space)
      .map(([members, trailing, a]) => `{${members.map(([k, v]) => `${k}:${a}${v}`).join(`,${a}`)}${trailing && members.length ? `,${a}` : ""}}`),
  ),
})).value;
const line = fc
  .tuple(fc.array(fc.tuple(fc.constantFrom('"overall"', '"reviewText"', '"vote"'), value), { minLength: 1, maxLength: 4 }), fc.boolean(), space, space)
  .map(([members, trailing, a, b]) => `{${members.map(([k, v]) => `${k}${a}:${b}${v}`).join(`${a},${b}`)}${trailing ? `,${a}` : ""}}`);

describe("plainJsonLines: the lines DuckDB's JSON verdict cannot be taken for", () => {
  it("names every line DuckDB's parser accepts and JSON.parse refuses (fast-check against DuckDB itself)", async () => {
    let file = 0;
    let acceptedOnlyByDuckDB = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 40 }), async (lines) => {
        const path = join(work, `lines-${file++}.jsonl`);
        writeFileSync(path, `${lines.join("\n")}\n`);
        const plain = plainJsonLines(path, work);
        if (!plain) return; // a line starts with whitespace or such: read in JavaScript, judged by JSON.parse
        const valid = await duckdbValid(path);
        const suspects = new Set(plain.suspects);
        lines.forEach((text, i) => {
          if (valid[i] && !parses(text)) {
            acceptedOnlyByDuckDB++;
            expect(suspects.has(i + 1), `line ${i + 1} ${JSON.stringify(text)}`).toBe(true);
          }
        });
      }),
      { numRuns: 300, seed: 7 },
    );
    // The generator reaches the case the check is for.
    expect(acceptedOnlyByDuckDB).toBeGreaterThan(50);
  });

  it("finds the next match of SUSPICIOUS_JSON exactly where the pattern does, from any position (fast-check)", () => {
    // `nextSuspicious` searches the words and brackets and checks their context backwards instead of running the
    // pattern: text of the pieces the pattern names (its words in several cases, signs, whitespace, brackets) and a
    // few others.
    const piece = fc.constantFrom("[", ":", ",", "]", "}", "{", " ", "\t", "\f", "\r", "\n", "-", "+", "nan", "NaN", "nAN", "inf", "Infinity", "INF", "n", "a", "i", "f", "x", '"', "é");
    let matched = 0;
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }).map((pieces) => pieces.join("")), fc.nat(), (text, at) => {
        const from = text.length ? at % (text.length + 1) : 0;
        SUSPICIOUS_JSON.lastIndex = from;
        const expected = SUSPICIOUS_JSON.exec(text)?.index ?? Infinity;
        expect(nextSuspicious(text, from), JSON.stringify({ text, from })).toBe(expected);
        if (expected !== Infinity) matched++;
      }),
      { numRuns: 20_000, seed: 13 },
    );
    // The generator reaches a match often (about 1,000 of the 20,000 cases).
    expect(matched).toBeGreaterThan(500);
  });

  it("numbers every line of a file whose every line is suspicious, by one part of the pattern or the other", () => {
    // Runs of trailing commas and of NaN words: while one part of the pattern matches line after line, the other's
    // next match is kept, not searched for again.
    const lines = Array.from({ length: 3000 }, (_, i) =>
      i % 1000 < 500 ? JSON.stringify({ reviewerID: `AX${i}`, vote: "1" }).replace("}", ",}") : JSON.stringify({ reviewerID: `AX${i}`, overall: 5 }).replace('"overall":5', '"overall":NaN'),
    );
    const path = join(work, "all-suspicious.jsonl");
    writeFileSync(path, `${lines.join("\n")}\n`);
    const plain = plainJsonLines(path, work)!;
    expect(plain.stats.lines).toBe(lines.length);
    expect(plain.suspects).toEqual(lines.map((_, i) => i + 1));
  });

  it("numbers the suspicious lines of a file larger than one read chunk exactly, and only those", () => {
    const plainLine = (n: number) => JSON.stringify({ reviewerID: `AX${n}`, reviewText: "banana and information stay text; so does NaN", overall: 5 });
    const suspicious = new Map<number, string>();
    const lines: string[] = [];
    let bytes = 0;
    let aroundBoundary = 0;
    for (let n = 1; bytes < 17.5 * 2 ** 20; n++) {
      let text = plainLine(n);
      // Lines around the 16 MiB chunk boundary (each about 100 bytes), near the start and at the end.
      const nearBoundary = Math.abs(bytes - 16 * 2 ** 20) < 300;
      if (nearBoundary) aroundBoundary++;
      if (n === 3 || nearBoundary || n % 50_000 === 0) {
        text = n % 2 ? text.replace('"overall":5', '"overall": -Infinity') : text.replace('"overall":5', '"overall":5 ,\t');
        suspicious.set(n, text);
      }
      lines.push(text);
      bytes += Buffer.byteLength(text) + 1;
    }
    const last = lines.length;
    lines[last - 1] = lines[last - 1]!.replace('"overall":5', '"overall":nan');
    suspicious.set(last, lines[last - 1]!);
    const path = join(work, "large.jsonl");
    writeFileSync(path, `${lines.join("\n")}\n`);
    const plain = plainJsonLines(path, work)!;
    expect(plain.stats.lines).toBe(lines.length);
    expect(plain.suspects).toEqual([...suspicious.keys()].sort((a, b) => a - b));
    expect(aroundBoundary).toBeGreaterThan(2);
  });
});

describe("readFile: a first line starting with [ (the file may be one JSON array)", () => {
  const review = (n: number) => JSON.stringify({ reviewerID: `AX${n}`, asin: "B0SAMPLE01", overall: 5, reviewText: "fine" });
  const read = async (path: string, maxRecordBytes: number, onRecord?: (r: RawRecord) => void) => {
    const records: RawRecord[] = [];
    const stats = await readFile(path, work, (r) => {
      records.push(r);
      onRecord?.(r);
    }, maxRecordBytes);
    return { stats, records };
  };

  it("holds the lines no further than ARRAY_FILE_RECORDS record limits, then streams: the same records as the file read line by line", async () => {
    // About 8 MiB of reviews after a stray array line, a blank line among the first few; the record limit 1 KiB, so
    // the reader may hold about 4 KiB. Holding every line until the end of the file held a 1.27 GB file whole.
    const maxRecordBytes = 1024;
    const lines = Array.from({ length: 110_000 }, (_, i) => (i === 3 ? "" : review(i)));
    const body = `${lines.join("\n")}\n`;
    const stray = join(work, "stray-array.jsonl");
    const plain = join(work, "no-array.jsonl");
    writeFileSync(stray, `["stray"]\n${body}`);
    writeFileSync(plain, body);
    // A line appended to the file once the first record is emitted: read only if the reader is still reading then
    // (the file is many read chunks long), not if it emits after reaching the end of the file.
    const appended = review(999_999);
    let appendedOnce = false;
    const { stats, records } = await read(stray, maxRecordBytes, () => {
      if (appendedOnce) return;
      appendedOnce = true;
      appendFileSync(stray, `${appended}\n`);
    });
    appendFileSync(plain, `${appended}\n`);
    const expected = await read(plain, maxRecordBytes);
    expect(records[0]).toEqual({ sourceFile: "stray-array.jsonl", lineNumber: 1, raw: '["stray"]', readError: "record.not_an_object" });
    expect(records.slice(1)).toEqual(expected.records.map((r) => ({ ...r, sourceFile: "stray-array.jsonl", lineNumber: r.lineNumber + 1 })));
    expect(records.at(-1)!.raw).toBe(appended);
    expect({ ...stats, bytes: 0 }).toEqual({ ...expected.stats, file: "stray-array.jsonl", lines: expected.stats.lines + 1, records: expected.stats.records + 1, bytes: 0 });
    expect(stats.blankLines).toBe(1);
  });

  it("still reads a file of one JSON array within ARRAY_FILE_RECORDS record limits as its elements; lines that are not one are numbered as in the file; a line over the limit ends the holding", async () => {
    const maxRecordBytes = 1024;
    const elements = Array.from({ length: 20 }, (_, i) => review(i));
    const arrayText = `[\n${elements.join(",\n")}\n]\n`;
    expect(Buffer.byteLength(arrayText)).toBeLessThan(maxRecordBytes * ARRAY_FILE_RECORDS);
    const array = join(work, "array.json");
    writeFileSync(array, arrayText);
    const whole = await read(array, maxRecordBytes);
    expect(whole.stats.format).toBe("json-array");
    expect(whole.records.map((r) => [r.lineNumber, r.raw, r.readError])).toEqual(elements.map((e, i) => [i + 1, e, undefined]));
    // Lines after blank ones that start with "[" but are not one array: numbered as in the file, every line counted.
    const blankFirst = join(work, "blank-first.jsonl");
    writeFileSync(blankFirst, `\n["stray"]\n${review(1)}\n`);
    const released = await read(blankFirst, maxRecordBytes);
    expect(released.stats).toMatchObject({ format: "json-lines", lines: 3, records: 2, blankLines: 1 });
    expect(released.records.map((r) => [r.lineNumber, r.readError])).toEqual([
      [2, "record.not_an_object"],
      [3, undefined],
    ]);
    // The same array with a line over the limit: every line on its own, the long one quarantined as too long.
    const long = join(work, "array-long.json");
    writeFileSync(long, `[\n${review(1)},\n{"reviewText": "${"x".repeat(2000)}"},\n${review(2)}\n]\n`);
    const lines = await read(long, maxRecordBytes);
    expect(lines.stats).toMatchObject({ format: "json-lines", lines: 5, records: 5, blankLines: 0 });
    expect(lines.records.map((r) => [r.lineNumber, r.readError])).toEqual([
      [1, "record.invalid_json"],
      [2, "record.invalid_json"],
      [3, "record.too_long"],
      [4, undefined],
      [5, "record.invalid_json"],
    ]);
  });
});
