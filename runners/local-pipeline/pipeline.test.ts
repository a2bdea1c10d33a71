/**
 * The local pipeline on the shipped samples and on every real data file, with exact expected counts.
 *
 * Where the expected numbers come from: the samples were written by hand (the count of each quirk is in the file
 * comments below); the real-data numbers were computed separately with Python's `json` and `re` from the contract's
 * rules (and match the data README: 2,972 gift-card reviews, 3 repeated (reviewerID, asin, unixReviewTime) keys,
 * 1,547 products, 2014 files without `verified`). They are not read back from this code's output.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuckDBInstance } from "@duckdb/node-api";
import { main, RUN_LOCK } from "./cli.js";
import { loadGeneratedIR } from "./generated-ir.js";
import { loadIR } from "../../generators/ir/load.js";
import { flushRows, keyIdentity, localPath, PARTITIONED_WRITE_FLUSH_ROWS, PARTITIONS_PER_FLUSH, runPipeline, textRanges, VALIDATE_TEXT_BYTES, type RunSummary } from "./pipeline.js";
import { defaultThreads } from "./threads.js";
import { keyExprs } from "../../generators/dialects/cleaning.js";
import { DUCKDB_DIALECT } from "../../generators/dialects/duckdb.js";
import { render } from "../../generators/dialects/render.js";
import { synthesizeAll, type SynthOptions, type SynthTally } from "../synth/synthesize.js";
import type { DatasetIR } from "../../generators/ir/types.js";
import { mayBePlainJsonLines, plainJsonLines } from "./read-input.js";
import { removeInside } from "./safe-paths.js";
import { duckdbExternalView } from "../../generators/dialects/external-table.js";
import { reviewRecord } from "../../contracts/review.contract.js";
import { queryDuckDB } from "../../tests/helpers/duckdb.js";

const ROOT = join(import.meta.dirname, "..", "..");
const DATA = join(ROOT, "..", "shared", "data", "amazon-reviews");
const datasets = loadGeneratedIR(ROOT);
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "pipeline-test-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function run(name: string, inputs: Record<string, string[]>): Promise<{ out: string; summary: RunSummary }> {
  const out = join(work, name);
  const summary = await runPipeline({ datasets, inputs: new Map(Object.entries(inputs)), out, runId: "test-run" });
  return { out, summary };
}

const query = (sql: string) => queryDuckDB(sql);

describe("shipped samples", () => {
  let out: string;
  let summary: RunSummary;
  beforeAll(async () => {
    ({ out, summary } = await run("samples", { review: [join(ROOT, "samples", "review")], product: [join(ROOT, "samples", "product")] }));
  });

  it("reconciles every record and line of every file shape", () => {
    expect(summary.reconciled).toBe(true);
    const review = summary.datasets.review!;
    // a: 3 valid + 1 duplicate + 4 bad; b (gzip, CRLF): 2 + 1 bad; array: 2 + 1 non-object; truncated: 1 + 1;
    // cut gzip: 1 + the cut line; invalid UTF-8: 1 + 1; empty: nothing.
    expect({ input: review.input, valid: review.valid, duplicates: review.duplicates, quarantined: review.quarantined.total }).toEqual({
      input: 20,
      valid: 10,
      duplicates: 1,
      quarantined: 9,
    });
    expect(review.quarantined.byReason).toEqual({
      "asin.pattern_mismatch": 1,
      "image[].pattern_mismatch": 1,
      "overall.null": 1,
      "overall.out_of_range": 1,
      "record.invalid_json": 2,
      "record.invalid_utf8": 1,
      "record.not_an_object": 2,
      "reviewTime.pattern_mismatch": 1,
      "summary.wrong_type": 1,
      "unixReviewTime.not_integer": 1,
      "verified.missing": 1,
      "verified.wrong_type": 1,
      "vote.pattern_mismatch": 1,
    });
    expect(review.files.map((f) => [f.file, f.format, f.gzip, f.lines, f.records, f.blankLines])).toEqual([
      ["reviews-2018-a.jsonl", "json-lines", false, 9, 8, 1],
      ["reviews-2018-b.jsonl.gz", "json-lines", true, 3, 3, 0],
      ["reviews-array.json", "json-array", false, 21, 3, 0],
      ["reviews-cut.jsonl.gz", "json-lines", true, 2, 2, 0],
      ["reviews-empty.jsonl", "json-lines", false, 0, 0, 0],
      ["reviews-latin1-byte.jsonl", "json-lines", false, 2, 2, 0],
      ["reviews-truncated.jsonl", "json-lines", false, 2, 2, 0],
    ]);
    expect(review.files.find((f) => f.file === "reviews-cut.jsonl.gz")!.error).toBe("reading stopped after 1 lines: unexpected end of file");
    expect(review.files.filter((f) => f.error)).toHaveLength(1);
    expect(review.tables).toEqual({ review: 10, review_images: 2 });
    const product = summary.datasets.product!;
    expect([product.input, product.valid, product.duplicates, product.quarantined.total]).toEqual([6, 4, 0, 2]);
    expect(product.quarantined.byReason).toEqual({ "asin.pattern_mismatch": 1, "rank[].wrong_type": 1 });
    expect(product.tables).toEqual({ product: 4, product_categories: 10 });
  });

  it("keys each review by the SHA-256 of reviewerID|asin|unixReviewTime, their plain join (no part holds `\\` or `|`)", async () => {
    const cleaned = join(out, "amazon-reviews-cleaned", "reviews", "run_id=test-run", "part-00000.parquet");
    const rows = await query(`SELECT reviewerID, asin, unixReviewTime::VARCHAR AS at, review_id FROM read_parquet('${cleaned}')`);
    expect(rows).toHaveLength(10);
    for (const r of rows) expect(r.review_id).toBe(createHash("sha256").update(`${r.reviewerID}|${r.asin}|${r.at}`).digest("hex"));
  });

  it("quarantines the raw text with every reason, the source file, line and run id", () => {
    const dir = join(out, "amazon-reviews-quarantine", "reviews", "run_id=test-run");
    const rows = readFileSync(join(dir, "part-00000.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(rows).toHaveLength(9);
    const first = rows.find((r) => r.source_file === "reviews-2018-a.jsonl" && r.line_number === 5);
    expect(first.reason_codes).toEqual(["overall.out_of_range", "vote.pattern_mismatch"]);
    expect(first.raw_text).toContain('"overall": 6.0');
    expect(first.run_id).toBe("test-run");
    const latin1 = rows.find((r) => r.reason_codes.includes("record.invalid_utf8"));
    expect(Buffer.from(latin1.raw_base64, "base64").includes(Buffer.from([0x43, 0x61, 0x66, 0xe9]))).toBe(true);
    const truncated = rows.find((r) => r.source_file === "reviews-truncated.jsonl");
    expect([truncated.line_number, truncated.reason_codes]).toEqual([2, ["record.invalid_json"]]);
  });

  it("flattens, normalises and partitions by review date", async () => {
    const base = join(out, "amazon-reviews-processed");
    expect(readdirSync(join(base, "reviews")).sort()).toEqual(["review", "review_images"]);
    expect(readdirSync(join(base, "reviews", "review")).sort()).toEqual([
      "review_date=2012-01-31",
      "review_date=2016-03-01",
      "review_date=2016-03-05",
      "review_date=2016-03-06",
      "review_date=2017-02-14",
      "review_date=2017-02-15",
      "review_date=2017-11-17",
      "review_date=2018-06-02",
      "review_date=2018-08-22",
    ]);
    const rows = await query(
      `SELECT * FROM read_parquet('${join(base, "reviews", "review")}/*/*.parquet', hive_partitioning = true) ORDER BY reviewer_id`,
    );
    const byReviewer = Object.fromEntries(rows.map((r) => [r.reviewer_id, r]));
    expect(byReviewer.AX1SAMPLE0001).toMatchObject({ rating: "5.0", style_gift_amount: "50", reviewer_name: "Pat & Sam", summary: "5 stars" });
    expect(byReviewer.AX1SAMPLE0002).toMatchObject({
      helpful_votes: "1341",
      style_format: "Kindle Edition",
      style_size: "Large",
      style_other_json: '{"Edition:":" 2nd"}',
      reviewer_name: "Jo",
      review_text: "It's fine <really>",
      is_verified_purchase: false,
    });
    expect(byReviewer.AX1SAMPLE0003).toMatchObject({ reviewer_name: null, review_text: null, review_date: "2012-01-31" });
    expect(byReviewer.AX1SAMPLE0007).toMatchObject({ style_color: "Red", style_gift_amount: null });
    const products = await query(`SELECT * FROM read_parquet('${join(base, "products", "product")}/*.parquet') ORDER BY asin`);
    expect(products.map((p) => [p.asin, p.title, p.price_usd, p.first_available_date, p.main_category])).toEqual([
      ["B0SAMPLE01", "Sample Gift Card - Happy Birthday's Edition", "25.00", "2009-05-15", "Gift Cards"],
      ["B0SAMPLE02", "Sample Deluxe Card >>>", "1250.00", null, "Gift Cards"],
      ["B0SAMPLE03", "Sample Scraped Price", null, null, '<img src="x.png" alt="AMAZON FASHION"/>'],
      ["B0SAMPLE04", "Sample Empty Category", null, null, "Gift Cards"],
    ]);
    expect(products[0]).toMatchObject({ details_asin: "B0SAMPLE01", details_item_weight: "3 ounces", details_other_json: '{"UPC:":"000000000001"}', sales_rank_json: '"1,786 in Gift Cards ("', brand: "Sample Co & Sons" });
    expect(products[1]!.details_asin).toBe("B0SAMPLE02");
  });
});

describe("plain JSON-lines files (read by DuckDB, judged by JSON.parse)", () => {
  it("quarantines what JSON.parse refuses even where DuckDB's parser accepts it, and numbers every line", async () => {
    const base = { overall: 5, verified: true, reviewTime: "06 2, 2018", reviewerID: "AX1PLAIN", asin: "B0SAMPLE01", summary: "ok", unixReviewTime: 1527897600 };
    const valid = (n: number, extra: Record<string, unknown> = {}) => JSON.stringify({ ...base, reviewerID: `AX1PLAIN${n}`, ...extra });
    const lines = [
      valid(1),
      valid(2).replace('"overall":5', '"overall":NaN'),
      valid(3).replace('"ok"', '"ok",'),
      valid(4, { reviewText: "infinity, nan: [NaN,] stays text" }),
      "[1, 2]",
      '"just a string"',
      valid(7, { reviewText: "\ud800" }),
      valid(8).replace('"overall":5', '"overall":-Infinity'),
      valid(9).slice(0, 40),
      valid(10, { reviewText: "Café ☕" }),
    ];
    const dir = mkdtempSync(join(work, "plain-"));
    writeFileSync(join(dir, "plain.jsonl"), `${lines.join("\n")}\n`);
    // Named like gzip but plain text: read as the bytes say.
    writeFileSync(join(dir, "renamed.jsonl.gz"), valid(11));
    expect(plainJsonLines(join(dir, "plain.jsonl"), dir)!.stats).toMatchObject({ lines: 10, records: 10, blankLines: 0 });
    const { out, summary } = await run("plain", { review: [dir] });
    const d = summary.datasets.review!;
    expect(summary.reconciled).toBe(true);
    expect([d.input, d.valid, d.quarantined.total]).toEqual([11, 4, 7]);
    expect(d.files.map((f) => [f.file, f.gzip, f.lines, f.records])).toEqual([["plain.jsonl", false, 10, 10], ["renamed.jsonl.gz", false, 1, 1]]);
    const rows = readFileSync(join(out, "amazon-reviews-quarantine", "reviews", "run_id=test-run", "part-00000.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(rows.map((r) => [r.line_number, r.reason_codes])).toEqual([
      [2, ["record.invalid_json"]],
      [3, ["record.invalid_json"]],
      [5, ["record.not_an_object"]],
      [6, ["record.not_an_object"]],
      [7, ["record.invalid_json"]],
      [8, ["record.invalid_json"]],
      [9, ["record.invalid_json"]],
    ]);
    expect(rows[0].raw_text).toBe(lines[1]);
  });

  it("a file that is not plain past its first 64 KiB (CR, blank line, invalid UTF-8): what DuckDB read of it is dropped, every line read once in JavaScript (memory and disk)", async () => {
    const review = datasets.find((d) => d.name === "review")!;
    const dir = mkdtempSync(join(work, "late-"));
    const base = { overall: 5, verified: true, reviewTime: "06 2, 2018", asin: "B0SAMPLE01", summary: "a summary long enough to fill the first 64 KiB", unixReviewTime: 1527897600 };
    const lines = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({ ...base, reviewerID: `AX${prefix}${i}` })).join("\n");
    const files: Record<string, Buffer> = {
      "a-plain.jsonl": Buffer.from(`${lines("PLAIN", 500)}\n`),
      "b-late-crlf.jsonl": Buffer.from(`${lines("CRLF", 500)}\r\n${lines("CRLFEND", 2)}\n`),
      "c-late-blank.jsonl": Buffer.from(`${lines("BLANK", 500)}\n\n${lines("BLANKEND", 2)}\n`),
      "d-late-utf8.jsonl": Buffer.concat([Buffer.from(`${lines("UTF", 500)}\n{"reviewerID":"AXBAD`), Buffer.from([0xff]), Buffer.from(`"}\n${lines("UTFEND", 2)}\n`)]),
    };
    for (const [name, bytes] of Object.entries(files)) {
      writeFileSync(join(dir, name), bytes);
      // Past the first look (DuckDB starts reading), refused by the whole-file check.
      expect(mayBePlainJsonLines(join(dir, name)), name).toBe(true);
      expect(plainJsonLines(join(dir, name), dir) === undefined, name).toBe(name !== "a-plain.jsonl");
    }
    for (const recordsInMemoryBytes of [undefined, 0]) {
      const summary = await runPipeline({ datasets: [review], inputs: new Map([["review", [dir]]]), out: join(work, `late-${recordsInMemoryBytes ?? "memory"}`), runId: "late", recordsInMemoryBytes });
      const d = summary.datasets.review!;
      expect(summary.reconciled, summary.problems.join("\n")).toBe(true);
      expect(d.files.map((f) => [f.file, f.lines, f.records, f.blankLines])).toEqual([
        ["a-plain.jsonl", 500, 500, 0],
        ["b-late-crlf.jsonl", 502, 502, 0],
        ["c-late-blank.jsonl", 503, 502, 1],
        ["d-late-utf8.jsonl", 503, 503, 0],
      ]);
      expect([d.input, d.valid, d.duplicates, d.quarantined.total]).toEqual([2007, 2006, 0, 1]);
      expect(d.quarantined.byReason).toEqual({ "record.invalid_utf8": 1 });
    }
  });

  it("reads plain lines of up to 1 MiB with DuckDB (its read buffer holds them): every record whole", async () => {
    const dir = join(work, "near-limit");
    mkdirSync(dir, { recursive: true });
    const record = (i: number, length: number) => {
      const head = { overall: 4, verified: true, reviewTime: "06 2, 2018", reviewerID: `AL${i}`, asin: "B000000001", unixReviewTime: 1527897600 + i, reviewText: "" };
      return JSON.stringify({ ...head, reviewText: "x".repeat(length - JSON.stringify(head).length) });
    };
    const lengths = [1024 * 1024, 700_000, 1024 * 1024 - 1, 300, 1024 * 1024];
    writeFileSync(join(dir, "long.jsonl"), `${lengths.map((n, i) => record(i, n)).join("\n")}\n`);
    expect(plainJsonLines(join(dir, "long.jsonl"), dir)!.stats).toMatchObject({ lines: 5, records: 5 });
    const out = join(work, "near-limit-out");
    const summary = await runPipeline({ datasets, inputs: new Map([["review", [dir]]]), out, runId: "near-limit" });
    expect({ input: summary.datasets.review!.input, valid: summary.datasets.review!.valid }).toEqual({ input: 5, valid: 5 });
    const cleaned = join(out, "amazon-reviews-cleaned", "reviews", "run_id=near-limit", "part-00000.parquet");
    const rows = await query(`SELECT _line_number AS line, strlen(reviewText) AS length FROM read_parquet('${cleaned}') ORDER BY 1`);
    const textLengths = lengths.map((n, i) => (JSON.parse(record(i, n)) as { reviewText: string }).reviewText.length);
    expect(rows.map((r) => [Number(r.line), Number(r.length)])).toEqual(textLengths.map((n, i) => [i + 1, n]));
  });

  it("quarantines a plain file's line over --max-record-bytes as too long (the file goes to the line reader)", async () => {
    const dir = join(work, "record-limit");
    mkdirSync(dir, { recursive: true });
    const head = { overall: 4, verified: true, reviewTime: "06 2, 2018", asin: "B000000001", unixReviewTime: 1527897600 };
    const lines = [
      JSON.stringify({ ...head, reviewerID: "ALSHORT", reviewText: "short" }),
      JSON.stringify({ ...head, reviewerID: "ALLONG", reviewText: "x".repeat(3000) }),
    ];
    writeFileSync(join(dir, "plain.jsonl"), `${lines.join("\n")}\n`);
    expect(plainJsonLines(join(dir, "plain.jsonl"), dir)).toBeDefined();
    expect(plainJsonLines(join(dir, "plain.jsonl"), dir, 2048)).toBeUndefined();
    const out = join(work, "record-limit-out");
    const summary = await runPipeline({ datasets, inputs: new Map([["review", [dir]]]), out, runId: "record-limit", maxRecordBytes: 2048 });
    expect(summary.datasets.review).toMatchObject({ input: 2, valid: 1, quarantined: { byReason: { "record.too_long": 1 } } });
  });

  it("leaves files with CR, blank lines or a leading byte order mark to the line reader", () => {
    const dir = mkdtempSync(join(work, "not-plain-"));
    const cases = { crlf: '{"a":1}\r\n', blank: '{"a":1}\n\n{"a":2}\n', bom: '\ufeff{"a":1}\n', spaces: '{"a":1}\n  \n', array: "[{}]\n", empty: "" };
    for (const [name, text] of Object.entries(cases)) {
      writeFileSync(join(dir, name), text);
      expect(plainJsonLines(join(dir, name), dir), name).toBeUndefined();
    }
    writeFileSync(join(dir, "glob[1].jsonl"), '{"a":1}\n');
    expect(plainJsonLines(join(dir, "glob[1].jsonl"), dir)).toBeUndefined();
    writeFileSync(join(dir, "last-line-open"), '{"a":1}\n{"a":');
    // Lengths 7 and 5 on lines 1 and 2.
    expect(plainJsonLines(join(dir, "last-line-open"), dir)).toMatchObject({ stats: { lines: 2, records: 2 }, checksum: 7 * 1 + 5 * 2 });
  });
});

describe("real data", () => {
  it("is beside the repository (CI copies shared/ next to the clone)", () => {
    expect(existsSync(DATA), `expected the real data at ${DATA}`).toBe(true);
  });

  it("2018 gift cards: 2,972 valid lines, 3 duplicate keys dropped, 18 images, 797 review dates", async () => {
    const { out, summary } = await run("gift-cards", { review: [join(DATA, "2018-gift-cards-5.jsonl")] });
    const d = summary.datasets.review!;
    expect(summary.reconciled).toBe(true);
    expect([d.input, d.valid, d.duplicates, d.quarantined.total]).toEqual([2972, 2969, 3, 0]);
    expect(d.tables).toEqual({ review: 2969, review_images: 18 });
    const base = join(out, "amazon-reviews-processed", "reviews", "review");
    expect(readdirSync(base)).toHaveLength(797);
    const [stats] = await query(`SELECT count(style_gift_amount) AS style, count(helpful_votes) AS votes, count(review_text) AS texts,
        count(reviewer_name) AS names, count(*) FILTER (WHERE rating = 5) AS five, count(DISTINCT review_id) AS ids,
        count(*) FILTER (WHERE reviewer_name LIKE '% & %') AS entity_names, count(*) FILTER (WHERE reviewer_name LIKE '%&amp;%') AS escaped_names
      FROM read_parquet('${base}/*/*.parquet', hive_partitioning = true)`);
    // The 5 names holding `&amp;` in the file arrive decoded.
    expect(stats).toEqual({ style: "862", votes: "208", texts: "2963", names: "2969", five: "2750", ids: "2969", entity_names: "5", escaped_names: "0" });
  });

  it("2018 gift-card products: 1,547 valid, 5,136 category rows, prices and dates parsed", async () => {
    const { out, summary } = await run("meta", { product: [join(DATA, "2018-meta-gift-cards.jsonl")] });
    const d = summary.datasets.product!;
    expect(summary.reconciled).toBe(true);
    expect([d.input, d.valid, d.duplicates, d.quarantined.total]).toEqual([1547, 1547, 0, 0]);
    expect(d.tables).toEqual({ product: 1547, product_categories: 5136 });
    const [stats] = await query(`SELECT count(price_usd) AS prices, count(first_available_date) AS dates, count(details_asin) AS asins,
        count(details_other_json) AS other, count(brand) AS brands, count(main_category) AS cats, max(price_usd) AS top
      FROM read_parquet('${join(out, "amazon-reviews-processed", "products", "product")}/*.parquet')`);
    expect(stats).toEqual({ prices: "358", dates: "12", asins: "1515", other: "4", brands: "527", cats: "1541", top: "1250.00" });
  });

  it.each([
    ["2014-grocery-and-gourmet-food-5.head111.jsonl", 111],
    ["2014-musical-instruments-5.head50.jsonl", 50],
  ])("%s fails the 2018 review contract on every line, only for the missing verified flag", async (file, lines) => {
    const { summary } = await run(file, { review: [join(DATA, file)] });
    const d = summary.datasets.review!;
    expect(summary.reconciled).toBe(true);
    expect([d.input, d.valid, d.duplicates, d.quarantined.total]).toEqual([lines, 0, 0, lines]);
    expect(d.quarantined.byReason).toEqual({ "verified.missing": lines });
  });
});

describe("command line", () => {
  const capture = () => {
    let text = "";
    return { stream: { write: (s: string) => ((text += s), true) } as { write(text: string): boolean }, text: () => text };
  };
  it("prints help and exits 0", async () => {
    const out = capture();
    expect(await main(["--help"], out.stream, capture().stream)).toBe(0);
    expect(out.text()).toContain("--input <dataset>=<file|dir>");
  });
  it("--timings: every progress line carries the time, peak RSS and CPU time so far; the last line the totals", async () => {
    const err = capture();
    const code = await main(["--root", ROOT, "--no-warehouse", "--timings", "--out", join(work, "timings"), "--run-id", "timings", "--input", `product=${join(ROOT, "samples", "product")}`], capture().stream, err.stream);
    expect(code).toBe(0);
    const lines = err.text().trimEnd().split("\n");
    const progress = lines.slice(0, -1).map((line) => /^\[(\d+) ms, peak (\d+) MiB, CPU (\d+) ms\] (.+)$/.exec(line));
    expect(progress.every(Boolean), err.text()).toBe(true);
    const parsed = progress.map((m) => ({ ms: Number(m![1]), peak: Number(m![2]), cpu: Number(m![3]), what: m![4]! }));
    expect(parsed[0]!.what).toBe("started (modules loaded, arguments checked)");
    expect(parsed.at(-1)!.what).toBe("summary written");
    expect(parsed.map((p) => p.what)).toContain("product: validated");
    for (const key of ["ms", "peak", "cpu"] as const) {
      expect(parsed.map((p) => p[key]), key).toEqual([...parsed.map((p) => p[key])].sort((a, b) => a - b));
    }
    // The work between the first and the last line (DuckDB's threads included) used CPU time.
    expect(parsed.at(-1)!.cpu).toBeGreaterThan(parsed[0]!.cpu);
    const end = /^peak RSS (\d+) KiB, CPU (\d+) ms user \+ (\d+) ms system$/.exec(lines.at(-1)!);
    expect(end, lines.at(-1)).not.toBeNull();
    expect(Number(end![2]) + Number(end![3])).toBeGreaterThanOrEqual(parsed.at(-1)!.cpu);
    expect(Math.round(Number(end![1]) / 1024)).toBeGreaterThanOrEqual(parsed.at(-1)!.peak);
  });
  it("exits 2 on a bad --input, 0 on a run that reconciles", async () => {
    const err = capture();
    expect(await main(["--root", ROOT, "--input", "nope=x"], capture().stream, err.stream)).toBe(2);
    expect(err.text()).toContain("CLI.USAGE");
    const engine = capture();
    expect(await main(["--root", ROOT, "--engine", "flink"], capture().stream, engine.stream)).toBe(2);
    expect(engine.text()).toContain('error CLI.USAGE: --engine "flink" is not an engine.');
    expect(engine.text()).toContain("use --engine duckdb (default) or --engine spark");
    const out = capture();
    const code = await main(["--root", ROOT, "--quiet", "--out", join(work, "cli"), "--run-id", "cli", "--input", `product=${join(ROOT, "samples", "product")}`], out.stream, capture().stream);
    expect(code).toBe(0);
    expect(JSON.parse(readFileSync(join(work, "cli", "run-summary.json"), "utf8")).datasets.product.input).toBe(6);
  });
  it("a mostly quarantined object: exit 4 with PIPELINE.QUARANTINE_RATIO once the quarantine and run summary are written; --max-quarantine-ratio sets the limit", async () => {
    // 7 reviews whose overall is a string, and 1 valid one: 7 of 8 quarantined, over the default 0.5.
    const valid = { overall: 5, verified: true, reviewTime: "06 2, 2018", reviewerID: "AVALID", asin: "B000000001", unixReviewTime: 1527897600 };
    const lines = [valid, ...Array.from({ length: 7 }, (_, i) => ({ ...valid, reviewerID: `ABAD${i}`, overall: "5" }))];
    const input = join(work, "ratio-input");
    mkdirSync(input, { recursive: true });
    writeFileSync(join(input, "reviews.jsonl"), lines.map((l) => `${JSON.stringify(l)}\n`).join(""));
    const args = (out: string, ...more: string[]) => ["--root", ROOT, "--quiet", "--out", join(work, out), "--run-id", "ratio", "--input", `review=${input}`, ...more];
    const err = capture();
    // Without --no-warehouse: the warehouse step is skipped (it would need dbt).
    expect(await main(args("ratio-default"), capture().stream, err.stream), err.text()).toBe(4);
    expect(err.text()).toContain(
      "error PIPELINE.QUARANTINE_RATIO: 7 of 8 records of review were quarantined, more than --max-quarantine-ratio 0.5 allows: so large a share is rarely dirty data",
    );
    const written = JSON.parse(readFileSync(join(work, "ratio-default", "run-summary.json"), "utf8")) as RunSummary & { warehouse?: unknown };
    expect([written.reconciled, written.maxQuarantineRatio, written.quarantineAlerts.length, written.warehouse]).toEqual([true, 0.5, 1, undefined]);
    const quarantine = readFileSync(join(work, "ratio-default", "amazon-reviews-quarantine", "reviews", "run_id=ratio", "part-00000.jsonl"), "utf8").trim().split("\n");
    expect(quarantine.map((l) => JSON.parse(l).reason_codes)).toEqual(Array(7).fill(["overall.wrong_type"]));
    // 7/8 = 0.875: accepted at 0.875 and 1, refused at 0.87.
    for (const [ratio, code] of [["0.875", 0], ["1", 0], ["0.87", 4]] as const) {
      const e = capture();
      expect(await main(args(`ratio-${ratio}`, "--no-warehouse", "--max-quarantine-ratio", ratio), capture().stream, e.stream), `${ratio}: ${e.text()}`).toBe(code);
    }
    for (const bad of ["", "1.5", "-0.1", "nan", "0x1", "50%"]) {
      const e = capture();
      expect(await main(args("ratio-bad", "--no-warehouse", `--max-quarantine-ratio=${bad}`), capture().stream, e.stream), bad).toBe(2);
      expect(e.text()).toContain("--max-quarantine-ratio must be a share of the records from 0 to 1");
    }
  });

  it("--threads: DuckDB runs on that many threads (as DuckDB itself reports), with the same result; a bad count exits 2; by default one per core, at most 8", async () => {
    // Only digits: 1e1, 0x4 and 3.0 are what Number() would take, not what anyone writes for a count.
    for (const bad of ["0", "1.5", "x", "257", "", "1e1", "0x4", "3.0", " 2"]) {
      const err = capture();
      expect(await main(["--root", ROOT, "--no-warehouse", "--threads", bad], capture().stream, err.stream), bad).toBe(2);
      expect(err.text()).toContain(`error CLI.USAGE: --threads must be a whole number from 1 to 256, written with digits only, not "${bad}".`);
    }
    for (const bad of ["1e4", "1e300", "1023", "2048.0"]) {
      const err = capture();
      expect(await main(["--root", ROOT, "--no-warehouse", "--max-record-bytes", bad], capture().stream, err.stream), bad).toBe(2);
      expect(err.text()).toContain(`error CLI.USAGE: --max-record-bytes must be a whole number of bytes from 1024 to`);
    }
    const runs: Record<string, unknown>[] = [];
    for (const threads of ["1", "3"]) {
      const err = capture();
      const out = join(work, `threads-${threads}`);
      const code = await main(["--root", ROOT, "--no-warehouse", "--threads", threads, "--out", out, "--run-id", "threads", "--input", `review=${join(ROOT, "samples", "review")}`], capture().stream, err.stream);
      expect(code, err.text()).toBe(0);
      expect(err.text()).toContain(`duckdb: ${threads} thread${threads === "1" ? "" : "s"}, memory limit `);
      runs.push(JSON.parse(readFileSync(join(out, "run-summary.json"), "utf8")).datasets);
    }
    expect(runs[1]).toEqual(runs[0]);
    const err = capture();
    await main(["--root", ROOT, "--no-warehouse", "--out", join(work, "threads-default"), "--input", `product=${join(ROOT, "samples", "product")}`], capture().stream, err.stream);
    // By default one per core, at most 8.
    const threads = Math.min(availableParallelism(), 8);
    expect(defaultThreads()).toBe(threads);
    expect(err.text()).toContain(`duckdb: ${threads} thread${threads === 1 ? "" : "s"}, memory limit `);
  });
});

describe("hostile and careless input: nothing outside --out is removed, nothing hangs", () => {
  const capture = () => {
    let text = "";
    return { stream: { write: (s: string) => ((text += s), true) } as { write(text: string): boolean }, text: () => text };
  };
  const cli = async (args: string[]) => {
    const out = capture();
    const err = capture();
    const code = await main(["--root", ROOT, "--quiet", "--no-warehouse", ...args], out.stream, err.stream);
    return { code, out: out.text(), err: err.text() };
  };

  it("refuses a run id that could name a folder outside --out (and removes nothing)", async () => {
    const victim = join(work, "victim");
    mkdirSync(join(victim, "inner"), { recursive: true });
    writeFileSync(join(victim, "inner", "keep.txt"), "keep\n");
    for (const runId of ["x/../../../../victim", "..", "a/b", "", "x\\y", " x"]) {
      const result = await cli(["--out", join(work, "hostile-out", "deep"), "--run-id", runId, "--input", `product=${join(ROOT, "samples", "product")}`]);
      expect(result.code, runId).toBe(2);
      expect(result.err).toContain("error CLI.USAGE: Run id");
    }
    await expect(runPipeline({ datasets, inputs: new Map([["product", [join(ROOT, "samples", "product")]]]), out: join(work, "x"), runId: "../victim" })).rejects.toThrow(/Run id/);
    expect(readFileSync(join(victim, "inner", "keep.txt"), "utf8")).toBe("keep\n");
  });

  it("never removes a folder outside --out, whatever a location holds", async () => {
    const out = join(work, "guarded");
    const product = datasets.find((d) => d.name === "product")!;
    const hostile = { ...product, locations: { ...product.locations, quarantine: "s3://amazon-reviews-quarantine/../../../victim/" } };
    await expect(runPipeline({ datasets: [hostile], inputs: new Map([["product", [join(ROOT, "samples", "product")]]]), out, runId: "r1" })).rejects.toThrow(/"\." or "\.\." segment/);
    expect(() => removeInside(out, join(out, "..", "victim"))).toThrow(/not inside the output folder/);
    expect(() => removeInside(out, out)).toThrow(/not inside the output folder/);
  });

  it("writes and removes nothing through a folder inside --out that is a link to a folder elsewhere", async () => {
    const product = datasets.find((d) => d.name === "product")!;
    const inputs = new Map([["product", [join(ROOT, "samples", "product")]]]);
    for (const location of [product.table.location, product.locations.cleaned, product.locations.quarantine]) {
      const out = join(work, `linked-bucket-${location.replace(/[^a-z]/g, "")}`);
      const bucket = location.replace(/^s3:\/\//, "").split("/")[0]!;
      // What the link leads to holds files where the run would write and remove: the processed table's or a zone's.
      const victim = join(work, `bucket-victim-${location.replace(/[^a-z]/g, "")}`);
      const path = localPath(victim, location).slice(victim.length + 1).split("/").slice(1);
      mkdirSync(join(victim, ...path, "run_id=r1"), { recursive: true });
      writeFileSync(join(victim, ...path, "part-0.parquet"), "not the pipeline's\n");
      writeFileSync(join(victim, ...path, "run_id=r1", "keep.txt"), "keep\n");
      mkdirSync(out, { recursive: true });
      symlinkSync(victim, join(out, bucket));
      await expect(runPipeline({ datasets: [product], inputs, out, runId: "r1" }), location).rejects.toThrow(
        new RegExp(`${join(out, bucket).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is a symbolic link`),
      );
      expect(readFileSync(join(victim, ...path, "part-0.parquet"), "utf8")).toBe("not the pipeline's\n");
      expect(readFileSync(join(victim, ...path, "run_id=r1", "keep.txt"), "utf8")).toBe("keep\n");
      const victimFiles = readdirSync(victim, { recursive: true, withFileTypes: true }).filter((entry) => !entry.isDirectory());
      expect(victimFiles.map((entry) => entry.name).sort(), location).toEqual(["keep.txt", "part-0.parquet"]);
    }
  });

  it("a table that cannot be written fails the run only after the tables written at the same time are complete", async () => {
    // The tables are written at once; the child table's location is refused at once, the main table's write goes on.
    const review = datasets.find((d) => d.name === "review")!;
    const hostile = { ...review, children: review.children.map((c) => ({ ...c, location: "s3://amazon-reviews-processed/../../child-victim/" })) };
    const inputs = new Map([["review", [join(ROOT, "samples", "review")]]]);
    const whole = await runPipeline({ datasets: [review], inputs, out: join(work, "tables-whole"), runId: "r1" });
    const out = join(work, "tables-hostile");
    await expect(runPipeline({ datasets: [hostile], inputs, out, runId: "r1" })).rejects.toThrow(/"\." or "\.\." segment/);
    const main = localPath(out, review.table.location);
    const [written] = await query(`SELECT count(*) AS n FROM read_parquet('${main}/**/*.parquet')`);
    expect(Number(written!.n)).toBe(whole.datasets.review!.tables.review);
    // Where the refused location would have led: nothing was created there.
    expect(existsSync(join(work, "child-victim"))).toBe(false);
  });

  it("a run into the folder of the last one replaces its tables in place: what it did not write again is removed; a table that fails is removed whole; files a run does not write are kept", async () => {
    const review = datasets.find((d) => d.name === "review")!;
    const inputs = new Map([["review", [join(ROOT, "samples", "review")]]]);
    const options = { datasets: [review], inputs, runId: "r1", processedAt: new Date("2026-12-02T00:00:00Z") };
    const files = (root: string) =>
      readdirSync(root, { recursive: true, withFileTypes: true })
        .map((entry) => `${join(entry.parentPath, entry.name).slice(root.length)}${entry.isDirectory() ? "/" : ""}`)
        .sort();
    const fresh = join(work, "replace-fresh");
    await runPipeline({ ...options, out: fresh });
    const out = join(work, "replace");
    await runPipeline({ ...options, out });
    const main = localPath(out, review.table.location);
    const [partition, second, third] = readdirSync(main).sort();
    const kept = join(main, partition!, "part-0.parquet");
    const before = statSync(kept);
    // What a last run may have left that this one does not write: a partition, a second file in a partition, a folder.
    mkdirSync(join(main, "review_date=1999-01-01"));
    copyFileSync(kept, join(main, "review_date=1999-01-01", "part-0.parquet"));
    copyFileSync(kept, join(main, partition!, "part-1.parquet"));
    mkdirSync(join(main, "review_date=1999-01-02", "nested"), { recursive: true });
    // Files a run never writes (a person's own) are not the run's: kept, with the folders holding them.
    const own = [join(main, "notes.txt"), join(main, "review_date=1999-01-01", "README.md"), join(main, partition!, "checked.csv")];
    for (const file of own) writeFileSync(file, "mine\n");
    // Nothing outside --out is written through what the folder holds: a partition folder that is a link to a folder
    // elsewhere, a file with a second name elsewhere (a hard link).
    const victims = join(work, "replace-victims");
    mkdirSync(join(victims, "linked"), { recursive: true });
    writeFileSync(join(victims, "linked", "part-0.parquet"), "not the pipeline's\n");
    rmSync(join(main, second!), { recursive: true });
    symlinkSync(join(victims, "linked"), join(main, second!));
    linkSync(join(main, third!, "part-0.parquet"), join(victims, "hard-linked.parquet"));
    const victim = readFileSync(join(victims, "hard-linked.parquet"));
    await new Promise((done) => setTimeout(done, 20)); // a file created again would be born later
    const again = await runPipeline({ ...options, out });
    expect(readFileSync(join(victims, "linked", "part-0.parquet"), "utf8")).toBe("not the pipeline's\n");
    expect(readFileSync(join(victims, "hard-linked.parquet")).equals(victim)).toBe(true);
    expect(lstatSync(join(main, second!)).isDirectory()).toBe(true);
    expect(again.reconciled).toBe(true);
    for (const file of own) expect(readFileSync(file, "utf8"), file).toBe("mine\n");
    const ownEntries = ["/notes.txt", "/review_date=1999-01-01/", "/review_date=1999-01-01/README.md", `/${partition}/checked.csv`];
    expect(files(main).filter((f) => ownEntries.includes(f))).toEqual([...ownEntries].sort());
    for (const table of [review.table, ...review.children]) {
      const left = files(localPath(out, table.location)).filter((f) => !ownEntries.includes(f));
      expect(left, table.name).toEqual(files(localPath(fresh, table.location)));
    }
    // Written again in place, under the same name: the same file, born before the run.
    const after = statSync(kept);
    expect({ ino: after.ino, birthtimeMs: after.birthtimeMs }).toEqual({ ino: before.ino, birthtimeMs: before.birthtimeMs });
    const [rows] = await query(`SELECT count(*) AS n FROM read_parquet('${main}/**/*.parquet')`);
    expect(Number(rows!.n)).toBe(again.datasets.review!.tables.review);
    // A file DuckDB cannot write (a folder holds its name): the run fails and that table's folder is removed whole,
    // nothing of the last run's left in it; the table written beside it is complete.
    rmSync(kept);
    mkdirSync(kept);
    await expect(runPipeline({ ...options, out })).rejects.toThrow();
    expect(files(main)).toEqual([...ownEntries, `/${partition}/`].sort());
    const images = localPath(out, review.children[0]!.location);
    expect(files(images)).toEqual(files(localPath(fresh, review.children[0]!.location)));
  });

  it("a later run given one dataset replaces that dataset's tables whole and leaves the other dataset's tables as the earlier run wrote them", async () => {
    const [review, product] = ["review", "product"].map((name) => datasets.find((d) => d.name === name)!);
    const out = join(work, "one-dataset-later");
    const input = join(work, "one-dataset-later-input");
    mkdirSync(input);
    // The earlier run: both datasets, reviews of 2018-06-02; the later one: reviews only, of 2017-11-17.
    const samples = (dataset: string, file: string) => readFileSync(join(ROOT, "samples", dataset, file), "utf8").split("\n").filter(Boolean);
    const firstReview = JSON.parse(samples("review", "reviews-2018-a.jsonl")[0]!) as Record<string, unknown>;
    const reviewOf = (id: string, reviewTime: string, unixReviewTime: number) => JSON.stringify({ ...firstReview, reviewerID: id, reviewTime, unixReviewTime });
    writeFileSync(join(input, "early.jsonl"), `${reviewOf("AXEARLY0001", "06 2, 2018", 1527897600)}\n${reviewOf("AXEARLY0002", "06 2, 2018", 1527897600)}\n`);
    writeFileSync(join(input, "late.jsonl"), `${reviewOf("AXLATE00001", "11 17, 2017", 1510876800)}\n`);
    writeFileSync(join(input, "products.jsonl"), `${samples("product", "meta-sample.jsonl").slice(0, 2).join("\n")}\n`);
    expect((await cli(["--input", `review=${join(input, "early.jsonl")}`, "--input", `product=${join(input, "products.jsonl")}`, "--out", out, "--run-id", "early"])).code).toBe(0);
    const productFiles = (root: string) =>
      [product!.table, ...product!.children].flatMap((table) => {
        const dir = localPath(root, table.location);
        return readdirSync(dir, { recursive: true, withFileTypes: true })
          .filter((entry) => entry.isFile())
          .map((entry) => join(entry.parentPath, entry.name))
          .sort()
          .map((file) => ({ file: file.slice(root.length), bytes: readFileSync(file).toString("base64"), mtimeMs: statSync(file).mtimeMs }));
      });
    const productsBefore = productFiles(out);
    expect(productsBefore.length).toBeGreaterThan(0);
    await new Promise((done) => setTimeout(done, 20)); // a file written again would carry a later time

    expect((await cli(["--input", `review=${join(input, "late.jsonl")}`, "--out", out, "--run-id", "late"])).code).toBe(0);
    // The given dataset's tables hold the later run's rows only, in its partition only.
    const reviews = localPath(out, review!.table.location);
    expect(readdirSync(reviews).sort()).toEqual(["review_date=2017-11-17"]);
    const rows = await query(`SELECT reviewer_id FROM read_parquet('${reviews}/**/*.parquet') ORDER BY 1`);
    expect(rows.map((r) => r.reviewer_id)).toEqual(["AXLATE00001"]);
    // The dataset not given keeps the earlier run's tables, untouched: same files, bytes and times.
    expect(productFiles(out)).toEqual(productsBefore);
    const [products] = await query(`SELECT count(*) AS n FROM read_parquet('${localPath(out, product!.table.location)}/**/*.parquet')`);
    expect(Number(products!.n)).toBe(2);
    // The run summary speaks of this run's datasets only.
    const summary = JSON.parse(readFileSync(join(out, "run-summary.json"), "utf8")) as RunSummary;
    expect([summary.runId, Object.keys(summary.datasets)]).toEqual(["late", ["review"]]);
  });

  it("reads an --out whose path holds glob characters as that folder only (the warehouse's and the catalog's views)", async () => {
    const review = datasets.find((d) => d.name === "review")!;
    const inputs = new Map([["review", [join(ROOT, "samples", "review")]]]);
    // `run[1]*?` as a glob would match `run1x`, whose tables must not be read.
    const out = join(work, "run[1]*?");
    const decoy = join(work, "run1x");
    const summary = await runPipeline({ datasets: [review], inputs, out, runId: "glob" });
    await runPipeline({ datasets: [review], inputs: new Map([["review", [join(ROOT, "samples", "review", "reviews-2018-a.jsonl")]]]), out: decoy, runId: "decoy" });
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    try {
      await connection.run(duckdbExternalView("t", review.table, localPath(out, review.table.location)));
      const rows = (await connection.runAndReadAll("SELECT count(*) AS n, count(DISTINCT review_id) AS ids FROM t")).getRowObjectsJson();
      expect(Number(rows[0]!.n)).toBe(summary.datasets.review!.tables.review);
      expect(Number(rows[0]!.n)).toBeGreaterThan(0);
    } finally {
      connection.closeSync();
    }
  });

  it("refuses an --out in the repository's own folders, the repository itself, a folder holding it or a file, before writing", async () => {
    for (const [out, clash] of [
      [join(ROOT, "generated"), "is inside the repository's own generated/ folder"],
      [join(ROOT, "contracts", "run"), "is inside the repository's own contracts/ folder"],
      [ROOT, "is the repository itself"],
      [dirname(ROOT), `holds the repository ${ROOT}`],
    ] as const) {
      const err = capture();
      expect(await main(["--root", ROOT, "--no-warehouse", "--quiet", "--out", out], capture().stream, err.stream), out).toBe(2);
      expect(err.text()).toContain(`error CLI.USAGE: --out ${out} ${clash}; a run replaces the tables of its output folder.`);
    }
    expect(existsSync(join(ROOT, "generated", RUN_LOCK))).toBe(false);
    const file = join(work, "out-is-a-file");
    writeFileSync(file, "x");
    const err = capture();
    expect(await main(["--root", ROOT, "--no-warehouse", "--quiet", "--out", file], capture().stream, err.stream)).toBe(2);
    expect(err.text()).toContain(`error CLI.USAGE: --out ${file} is a file, not a folder`);
  });

  it("refuses an empty --input path and an --out that overlaps an input", async () => {
    const empty = await cli(["--input", "review="]);
    expect(empty.code).toBe(2);
    expect(empty.err).toContain('error CLI.USAGE: --input "review=" has no path.');
    const input = join(work, "overlap-input");
    mkdirSync(input, { recursive: true });
    writeFileSync(join(input, "a.jsonl"), readFileSync(join(ROOT, "samples", "product", "meta-sample.jsonl")));
    for (const out of [join(input, "out"), input]) {
      const result = await cli(["--input", `product=${input}`, "--out", out]);
      expect(result.code).toBe(2);
      expect(result.err).toContain("overlap: the run would read its own output");
    }
  });

  it("reads regular files only: a FIFO in an input folder is reported, not opened", async () => {
    const input = join(work, "fifo-input");
    mkdirSync(input, { recursive: true });
    writeFileSync(join(input, "a.jsonl"), readFileSync(join(ROOT, "samples", "product", "meta-sample.jsonl")));
    execFileSync("mkfifo", [join(input, "pipe.jsonl")]);
    const progress: string[] = [];
    const summary = await runPipeline({ datasets, inputs: new Map([["product", [input]]]), out: join(work, "fifo-out"), runId: "fifo", progress: (line) => progress.push(line) });
    expect(summary.datasets.product!.input).toBe(6);
    expect(progress.join("\n")).toContain("pipe.jsonl is not a regular file (a FIFO, socket or device): not read");
  }, 30_000);

  it("an input that yields no file to read (an empty folder, /dev/null, a folder of FIFOs) is PIPELINE.NO_INPUT, not a run over nothing; a FIFO beside files is a warning even with --quiet", async () => {
    const emptyFolder = join(work, "empty-input");
    mkdirSync(emptyFolder, { recursive: true });
    const fifos = join(work, "fifo-only-input");
    mkdirSync(fifos, { recursive: true });
    execFileSync("mkfifo", [join(fifos, "pipe.jsonl")]);
    for (const [input, what] of [
      [emptyFolder, "holds no input file."],
      ["/dev/null", "is not a regular file (a FIFO, socket or device): it is not read."],
      [fifos, "holds no input file (only 1 FIFO, socket or device entry, which are not read)."],
    ] as const) {
      const result = await cli(["--input", `product=${input}`, "--out", join(work, "no-input-out")]);
      expect(result.code, input).toBe(2);
      expect(result.err).toContain(`error PIPELINE.NO_INPUT: --input product=${input} ${what}`);
    }
    expect(existsSync(join(work, "no-input-out"))).toBe(false);
    // A file named as Spark's hidden files: the Glue clean job refuses it (spark.test.ts), and so does this command.
    for (const hidden of ["_batch.jsonl", ".batch.jsonl"]) {
      const file = join(work, hidden);
      writeFileSync(file, readFileSync(join(ROOT, "samples", "product", "meta-sample.jsonl")));
      const result = await cli(["--input", `product=${file}`, "--out", join(work, "no-input-out")]);
      expect([result.code, result.err]).toEqual([2, expect.stringContaining(`error PIPELINE.NO_INPUT: --input product=${file} is a file whose name starts with "_" or ".": Spark and the Glue clean job skip such files`)]);
      expect(result.err).toContain("fix: rename the file (e.g. batch.jsonl)");
    }
    expect(existsSync(join(work, "no-input-out"))).toBe(false);
    const mixed = join(work, "fifo-mixed-input");
    mkdirSync(mixed, { recursive: true });
    writeFileSync(join(mixed, "a.jsonl"), readFileSync(join(ROOT, "samples", "product", "meta-sample.jsonl")));
    execFileSync("mkfifo", [join(mixed, "pipe.jsonl")]);
    const quiet = await cli(["--input", `product=${mixed}`, "--out", join(work, "fifo-quiet-out")]);
    expect(quiet.code).toBe(0);
    expect(quiet.err).toBe(`warning: product: ${join(mixed, "pipe.jsonl")} is not a regular file (a FIFO, socket or device): not read\n`);
  }, 30_000);

  it("a vote the contract accepts loads; one too long for the column is refused by the contract, not stored as NULL", async () => {
    const line = (vote: string) => JSON.stringify({ overall: 5, vote, verified: true, reviewTime: "06 2, 2018", reviewerID: `A${vote.length}`, asin: "B000000001", unixReviewTime: 1527897600 });
    expect(reviewRecord.safeParse(JSON.parse(line("99999999999999999999"))).success).toBe(false);
    expect(reviewRecord.safeParse(JSON.parse(line("999999999999999999"))).success).toBe(true);
    const input = join(work, "votes.jsonl");
    writeFileSync(input, `${line("999999999999999999")}\n${line("99999999999999999999")}\n`);
    const out = join(work, "votes-out");
    const summary = await runPipeline({ datasets, inputs: new Map([["review", [input]]]), out, runId: "votes" });
    expect(summary.datasets.review!.quarantined.byReason).toEqual({ "vote.pattern_mismatch": 1 });
    const rows = await query(`SELECT helpful_votes::VARCHAR AS v FROM read_parquet('${out}/amazon-reviews-processed/reviews/review/**/*.parquet')`);
    expect(rows).toEqual([{ v: "999999999999999999" }]);
  });

  it("a cut JSON array with CRLF line ends: every complete element is a record, the cut one is quarantined as truncated", async () => {
    const element = (id: string) => JSON.stringify({ overall: 4, verified: true, reviewTime: "06 2, 2018", reviewerID: id, asin: "B000000001", unixReviewTime: 1527897600 });
    const input = join(work, "cut-array.json");
    writeFileSync(input, `[${element("AC1")},\r\n${element("AC2")},\r\n{"overall": 5, "verified":`);
    const summary = await runPipeline({ datasets, inputs: new Map([["review", [input]]]), out: join(work, "cut-array-out"), runId: "cut-array" });
    const review = summary.datasets.review!;
    expect({ input: review.input, valid: review.valid, byReason: review.quarantined.byReason }).toEqual({ input: 3, valid: 2, byReason: { "record.truncated": 1 } });
    expect(review.files[0]).toMatchObject({ format: "json-array", records: 3 });
    expect(review.files[0]!.error).toBe("the JSON array is cut off after 2 complete elements; the cut element is quarantined (record.truncated)");
    expect(summary.reconciled).toBe(true);
  });

  it("an over-long record is quarantined with its first bytes and the run goes on (plain and gzip, linear in the line)", async () => {
    const good = JSON.stringify({ overall: 4, verified: true, reviewTime: "06 2, 2018", reviewerID: "AL1", asin: "B000000001", unixReviewTime: 1527897600 });
    const long = `{"overall": 5, "reviewText": "${"x".repeat(3 * 1024 * 1024)}"}`;
    const input = join(work, "long-input");
    mkdirSync(input, { recursive: true });
    writeFileSync(join(input, "plain.jsonl"), `${good}\n${long}\n`);
    // One 48 MiB line in gzip, read in 64 KiB chunks: joining the unfinished line at every chunk would copy it
    // about 750 times (minutes); the reader keeps its first bytes once it is over the limit.
    writeFileSync(join(input, "huge.jsonl.gz"), gzipSync(Buffer.from(`{"reviewText": "${"y".repeat(48 * 1024 * 1024)}"}\n${good.replace("AL1", "AL2")}\n`)));
    const out = join(work, "long-out");
    const summary = await runPipeline({ datasets, inputs: new Map([["review", [input]]]), out, runId: "long", maxRecordBytes: 1024 * 1024 });
    const review = summary.datasets.review!;
    expect({ input: review.input, valid: review.valid, byReason: review.quarantined.byReason }).toEqual({ input: 4, valid: 2, byReason: { "record.too_long": 2 } });
    expect(review.files.map((f) => f.error)).toEqual([
      expect.stringContaining("line 1 has 50331666 bytes, over the 1048576-byte record limit"),
      expect.stringContaining("line 2 has 3145760 bytes, over the 1048576-byte record limit"),
    ]);
    const quarantine = readFileSync(join(out, "amazon-reviews-quarantine/reviews/run_id=long/part-00000.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { raw_text: string; reason_codes: string[] });
    expect(quarantine.map((q) => [q.reason_codes, q.raw_text.length])).toEqual([
      [["record.too_long"], 1025],
      [["record.too_long"], 1025],
    ]);
  }, 120_000);
});

describe("long records: up to the record limit, with the memory limit's 1 GB", () => {
  it("5 valid and 1 invalid record of about 15 MiB between short ones, on one thread: every record validated, quarantined or typed in ranges of rows; the counts reconcile", async () => {
    // One vector of these (their 90 MB of text in one statement) ran out of the 1 GB limit while validating: the
    // members extracted from each record (reviewText among them) and their parses are several copies of the text.
    const dir = mkdtempSync(join(tmpdir(), "long-records-"));
    try {
      const base = { overall: 5, verified: true, reviewTime: "06 2, 2018", asin: "B0SAMPLE01", reviewerName: "Pat", summary: "Five", unixReviewTime: 1527897600 };
      const short = (i: number) => ({ ...base, reviewerID: `AXSHORT${i}`, reviewText: "short" });
      const long = (i: number) => ({ ...base, reviewerID: `AXLONG${i}`, reviewText: String.fromCharCode(97 + i).repeat((15 << 20) - i) });
      const records = [short(1), long(0), long(1), short(2), long(2), { ...long(3), overall: 9 }, long(4), long(5), short(3)];
      writeFileSync(join(dir, "long.jsonl"), `${records.map((r) => JSON.stringify(r)).join("\n")}\n`);
      const out = join(dir, "out");
      const progress: string[] = [];
      const summary = await runPipeline({ datasets, inputs: new Map([["review", [dir]]]), out, runId: "long-records", threads: 1, progress: (l) => progress.push(l) });
      expect(summary.reconciled, summary.problems.join("\n")).toBe(true);
      const review = summary.datasets.review!;
      expect({ input: review.input, valid: review.valid, byReason: review.quarantined.byReason, rows: review.tables.review }).toEqual({
        input: 9,
        valid: 8,
        byReason: { "overall.out_of_range": 1 },
        rows: 8,
      });
      expect(progress.filter((l) => l.includes("ranges of rows"))).toHaveLength(1);
      // Every valid record whole in the cleaned zone (its files together), the invalid one whole in the quarantine.
      const cleaned = join(localPath(out, datasets.find((d) => d.name === "review")!.locations.cleaned), "run_id=long-records", "*.parquet");
      const rows = await query(`SELECT _line_number AS line, reviewerID AS id, strlen(reviewText) AS length FROM read_parquet('${cleaned}') ORDER BY 1`);
      const expected = records.map((r, line) => [line + 1, r.reviewerID, r.reviewText.length] as const).filter(([line]) => line !== 6);
      expect(rows.map((r) => [Number(r.line), r.id, Number(r.length)])).toEqual(expected);
      const quarantine = readFileSync(join(out, "amazon-reviews-quarantine/reviews/run_id=long-records/part-00000.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { raw_text: string });
      expect(quarantine.map((q) => q.raw_text)).toEqual([JSON.stringify(records[5])]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it("cuts only runs of long records into ranges of at most VALIDATE_TEXT_BYTES; light blocks stay one range; every row in exactly one range", async () => {
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    try {
      const mib = 2 ** 20;
      const ranges = async (lengths: string) => {
        await connection.run(`CREATE OR REPLACE TABLE t AS SELECT range AS _row, ${lengths} AS raw_length FROM range(10000)`);
        return textRanges(connection, "t", 2, Number((await connection.runAndReadAll("SELECT max(raw_length) FROM t")).getRows()[0]![0]), 32 * mib);
      };
      // Short records only, however many: the whole relation, one statement. Blocks of records that may be long but
      // are not are light too.
      expect(await ranges("1000")).toEqual([{ from: 0 }]);
      expect(await ranges(`CASE WHEN range % 2048 = 0 THEN 4 * ${mib} ELSE 1000 END`)).toEqual([{ from: 0 }]);
      // Rows 3000-3009 of 15 MiB: their block (2048-4095) is cut into ranges of two of them (with the short rows
      // beside them, under 32 MiB), the blocks around stay whole.
      const cut = await ranges(`CASE WHEN range BETWEEN 3000 AND 3009 THEN 15 * ${mib} ELSE 1000 END`);
      expect(cut).toEqual([
        { from: 0, to: 2047 },
        { from: 2048, to: 3001 },
        { from: 3002, to: 3003 },
        { from: 3004, to: 3005 },
        { from: 3006, to: 3007 },
        { from: 3008, to: 4095 },
        { from: 4096, to: 10239 },
      ]);
      // A record longer than the limit is a range of its own.
      expect(await ranges(`CASE WHEN range = 5 THEN 40 * ${mib} ELSE 100 END`)).toEqual([{ from: 0, to: 4 }, { from: 5, to: 5 }, { from: 6, to: 2047 }, { from: 2048, to: 10239 }]);
      expect(VALIDATE_TEXT_BYTES).toBe(32 * mib);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});

/** Writes synthetic records (`npm run synth`'s generator) to `path`; returns the generator's tally. */
function writeSynthetic(dataset: DatasetIR, options: SynthOptions, path: string): SynthTally {
  const { records, tally } = synthesizeAll(dataset, options);
  writeFileSync(path, records.map((r) => `${r.line}\n`).join(""));
  return tally;
}

describe("partitioned writes of sparse data (few rows per partition over many partitions)", () => {
  it("sizes each write's batches to its partitions: 4,000 reviews over 2,000+ dates fit the default 1 GB", async () => {
    const review = datasets.find((d) => d.name === "review")!;
    const dir = mkdtempSync(join(tmpdir(), "sparse-"));
    try {
      const input = join(dir, "reviews.jsonl");
      const tally = writeSynthetic(review, { records: 4000 }, input);
      // The whole write in one batch (the former fixed threshold) ran out of memory on this input.
      const summary = await runPipeline({ datasets: [review], inputs: new Map([["review", [input]]]), out: join(dir, "out"), runId: "sparse" });
      expect(summary.reconciled, summary.problems.join("\n")).toBe(true);
      expect(summary.datasets.review!.valid).toBe(tally.valid);
      const dates = readdirSync(join(dir, "out", "amazon-reviews-processed", "reviews", "review")).length;
      expect(dates).toBeGreaterThan(2000);
      expect(summary.datasets.review!.tables.review).toBe(tally.valid);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("a table of more rows than one sorted write takes is written in buckets of whole partitions: the same rows, partitions and Parquet schema", async () => {
    // 10M reviews in one sorted write ran out of memory under the 1 GB limit; a small bucket size takes that path here.
    const review = datasets.find((d) => d.name === "review")!;
    const dir = mkdtempSync(join(tmpdir(), "buckets-"));
    try {
      const input = join(dir, "reviews.jsonl");
      const tally = writeSynthetic(review, { records: 4000, seed: 5 }, input);
      const runs = { whole: [] as string[], buckets: [] as string[] };
      const tables: Record<string, number> = {};
      for (const [name, sortedWriteRows] of [["whole", undefined], ["buckets", 700]] as const) {
        const summary = await runPipeline({
          datasets: [review],
          inputs: new Map([["review", [input]]]),
          out: join(dir, name),
          runId: "buckets",
          processedAt: new Date("2026-12-02T00:00:00Z"),
          sortedWriteRows,
          progress: (line) => runs[name].push(line),
        });
        expect(summary.reconciled, summary.problems.join("\n")).toBe(true);
        expect(summary.datasets.review!.tables.review).toBe(tally.valid);
        Object.assign(tables, summary.datasets.review!.tables);
      }
      expect(runs.whole.filter((l) => l.includes("buckets"))).toEqual([]);
      const [line, ...more] = runs.buckets.filter((l) => l.includes("buckets"));
      expect(more).toEqual([]);
      // 4,000 rows in buckets of about 700: 5 or more (a bucket ends on a whole partition).
      expect(line).toMatch(new RegExp(`^review: ${tally.valid.toLocaleString("en-US")} rows, written in ([5-9]) buckets of whole partitions`));
      for (const table of [review.table, ...review.children]) {
        const [whole, buckets] = ["whole", "buckets"].map((name) => localPath(join(dir, name), table.location));
        expect(readdirSync(buckets!).sort(), table.name).toEqual(readdirSync(whole!).sort());
        const glob = (root: string) => `'${join(root, "*", "*.parquet").replace(/'/g, "''")}'`;
        const files = (root: string) => `read_parquet(${glob(root)}, hive_partitioning = true)`;
        const [difference] = await query(
          `SELECT (SELECT count(*) FROM (SELECT * FROM ${files(whole!)} EXCEPT ALL SELECT * FROM ${files(buckets!)})) AS a,
                  (SELECT count(*) FROM (SELECT * FROM ${files(buckets!)} EXCEPT ALL SELECT * FROM ${files(whole!)})) AS b,
                  (SELECT count(*) FROM ${files(buckets!)}) AS n`,
        );
        expect(difference, table.name).toEqual({ a: "0", b: "0", n: String(tables[table.name]) });
        const schema = async (root: string) => query(`SELECT DISTINCT name, type, converted_type, logical_type FROM parquet_schema(${glob(root)}) ORDER BY ALL`);
        expect(await schema(buckets!), table.name).toEqual(await schema(whole!));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it("writes a partition's rows as they come (row groups of at most 2,048 rows), not held until its file is closed", async () => {
    // DuckDB holds rows below half its row-group size in the file's buffer and writes them when the file is closed,
    // under the lock all partition files share (`PARTITIONED_ROW_GROUP_ROWS`): at its default, these 5,000 reviews of
    // one date would be one row group.
    const review = datasets.find((d) => d.name === "review")!;
    const dir = mkdtempSync(join(tmpdir(), "row-groups-"));
    try {
      const input = join(dir, "reviews.jsonl");
      const { records } = synthesizeAll(review, { records: 5000, seed: 11 });
      const day = 1262304000; // 2010-01-01
      writeFileSync(input, records.map((r) => `${JSON.stringify({ ...(JSON.parse(r.line) as object), unixReviewTime: day })}\n`).join(""));
      const summary = await runPipeline({ datasets: [review], inputs: new Map([["review", [input]]]), out: join(dir, "out"), runId: "row-groups" });
      expect(summary.reconciled, summary.problems.join("\n")).toBe(true);
      const folder = join(localPath(join(dir, "out"), review.table.location), "review_date=2010-01-01");
      const groups = await query(`SELECT file_name, row_group_id, any_value(row_group_num_rows) AS n FROM parquet_metadata('${join(folder, "*.parquet")}') GROUP BY ALL`);
      expect(groups.reduce((n, g) => n + Number(g.n), 0)).toBe(summary.datasets.review!.tables.review);
      expect(summary.datasets.review!.tables.review).toBeGreaterThan(4900);
      expect(Math.max(...groups.map((g) => Number(g.n)))).toBeLessThanOrEqual(2048);
      expect(groups.length).toBeGreaterThanOrEqual(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("flushes at most PARTITIONED_WRITE_FLUSH_ROWS rows, and a batch spans about PARTITIONS_PER_FLUSH partitions", () => {
    expect(flushRows(1_000_000, 7_000)).toBe(PARTITIONED_WRITE_FLUSH_ROWS);
    expect(flushRows(100, 50)).toBe(PARTITIONED_WRITE_FLUSH_ROWS);
    expect(flushRows(4_000, 2_000)).toBe(2 * PARTITIONS_PER_FLUSH);
    expect(flushRows(10, 5_000)).toBe(1);
  });
});

describe("duplicates by key", () => {
  it("finds repeated keys by what they are computed from: a surrogate key is equal exactly when its text is", async () => {
    const review = datasets.find((d) => d.name === "review")!;
    const product = datasets.find((d) => d.name === "product")!;
    const [reviewKey] = keyExprs(review);
    const [productKey] = keyExprs(product);
    // review_id is the SHA-256 of its fields' text: the text stands for it. A key that is a field stands for itself.
    const surrogate = reviewKey!.expr;
    if (surrogate.op !== "call" || surrogate.fn !== "sha256_hex") throw new Error(`review_id is not a SHA-256: ${JSON.stringify(surrogate)}`);
    expect(keyIdentity(surrogate)).toBe(surrogate.args[0]);
    expect(keyIdentity(productKey!.expr)).toBe(productKey!.expr);
    const sql = (e: Parameters<typeof render>[0]) => render(e, DUCKDB_DIALECT);
    const rows = await query(`SELECT ${sql(reviewKey!.expr)} AS key, sha256(${sql(keyIdentity(reviewKey!.expr))}) AS hashed,
        hash(${sql(keyIdentity(reviewKey!.expr))}) AS identity
      FROM (VALUES ('AX1', 'B000000001', 1527897600::DOUBLE), ('AX1', 'B000000001', 1527897600::DOUBLE), ('AX2', 'B000000001', 1527897600::DOUBLE),
        ('AX1', 'B000000002', 1527897600::DOUBLE), ('AX1', 'B000000001', 1527897601::DOUBLE), ('AX1', NULL, 1527897600::DOUBLE)) AS t("reviewerID", "asin", "unixReviewTime")`);
    for (const a of rows) {
      expect(a.hashed).toBe(a.key);
      for (const b of rows) expect(a.identity === b.identity).toBe(a.key === b.key);
    }
    expect(new Set(rows.map((r) => r.key)).size).toBe(5);
  });

  it("keeps the record whose raw text sorts first, then the first by file and line (texts the same)", async () => {
    const review = datasets.find((d) => d.name === "review")!;
    const record = (reviewerID: string, summary: string) =>
      JSON.stringify({ overall: 5.0, verified: true, reviewTime: "06 2, 2018", reviewerID, asin: "B000000001", unixReviewTime: 1527897600, summary });
    const dir = mkdtempSync(join(work, "duplicates-"));
    const input = join(dir, "reviews.jsonl");
    // Lines 1 and 3: the same text (the first line is kept); lines 2 and 4: the same key, different texts ("a" < "b").
    writeFileSync(input, [record("AX1", "same"), record("AX2", "b"), record("AX1", "same"), record("AX2", "a"), record("AX3", "alone")].join("\n") + "\n");
    const { out, summary } = await run("duplicates", { review: [input] });
    expect([summary.datasets.review!.valid, summary.datasets.review!.duplicates]).toEqual([3, 2]);
    const cleaned = join(localPath(out, review.locations.cleaned), "run_id=test-run", "part-00000.parquet");
    const kept = await query(`SELECT reviewerID, summary, _line_number FROM read_parquet('${cleaned}') ORDER BY reviewerID`);
    expect(kept).toEqual([
      { reviewerID: "AX1", summary: "same", _line_number: "1" },
      { reviewerID: "AX2", summary: "a", _line_number: "4" },
      { reviewerID: "AX3", summary: "alone", _line_number: "5" },
    ]);
  }, 60_000);

  it("keeps the record of the newest file first (as staging does across runs), whatever its text", async () => {
    const review = datasets.find((d) => d.name === "review")!;
    const record = (reviewerID: string, summary: string) =>
      JSON.stringify({ overall: 5.0, verified: true, reviewTime: "06 2, 2018", reviewerID, asin: "B000000001", unixReviewTime: 1527897600, summary });
    const dir = mkdtempSync(join(work, "duplicates-newest-"));
    // AX1: the older file's text sorts first ("a" < "b"); AX2: the same text in both files; AX3 only in the older one.
    // The older file is named to sort last, so neither the text nor the file name would pick the newer file's record.
    writeFileSync(join(dir, "z-older.jsonl"), [record("AX1", "a"), record("AX2", "same"), record("AX3", "alone")].join("\n") + "\n");
    writeFileSync(join(dir, "a-newer.jsonl"), [record("AX2", "same"), record("AX1", "b")].join("\n") + "\n");
    utimesSync(join(dir, "z-older.jsonl"), new Date("2026-12-01T10:00:00.250Z"), new Date("2026-12-01T10:00:00.250Z"));
    utimesSync(join(dir, "a-newer.jsonl"), new Date("2026-12-05T10:00:00.500Z"), new Date("2026-12-05T10:00:00.500Z"));
    const { out, summary } = await run("duplicates-newest", { review: [dir] });
    expect([summary.datasets.review!.valid, summary.datasets.review!.duplicates]).toEqual([3, 2]);
    const cleaned = join(localPath(out, review.locations.cleaned), "run_id=test-run", "part-00000.parquet");
    const kept = await query(`SELECT reviewerID, summary, _source_file, _line_number, strftime(_raw_modified_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S.%g') AS modified
      FROM read_parquet('${cleaned}') ORDER BY reviewerID`);
    expect(kept).toEqual([
      { reviewerID: "AX1", summary: "b", _source_file: "a-newer.jsonl", _line_number: "2", modified: "2026-12-05 10:00:00.500" },
      { reviewerID: "AX2", summary: "same", _source_file: "a-newer.jsonl", _line_number: "1", modified: "2026-12-05 10:00:00.500" },
      { reviewerID: "AX3", summary: "alone", _source_file: "z-older.jsonl", _line_number: "3", modified: "2026-12-01 10:00:00.250" },
    ]);
  }, 60_000);
});

describe("surrogate keys over texts that may hold the separator", () => {
  it("give two records whose parts join alike two keys; parts without `\\` or `|` keep the key of their plain join", async () => {
    // Before the parts were escaped, ("A|B", "C") and ("A", "B|C") both hashed "A|B|C|…": one review was dropped as a
    // duplicate of the other.
    const dir = mkdtempSync(join(ROOT, "tests/fixtures/.scratch-"));
    try {
      writeFileSync(
        join(dir, "notes.contract.ts"),
        `import { z } from "zod";
import { column, defineContract } from "../../../generators/contract-kit/index.js";
export default defineContract({
  dataset: "notes",
  version: "1.0.0",
  owner: "tests",
  description: "Notes keyed by a surrogate over free texts.",
  schema: z.object({
    author: column(z.string(), { description: "Author." }),
    item: column(z.string(), { description: "Item." }),
    at: column(z.int().min(0).max(253402300799), { description: "Epoch seconds." }),
  }),
  key: { surrogate: { name: "note_id", from: ["author", "item", "at"], description: "Key." } },
  locations: { raw: "s3://notes-raw/notes/", cleaned: "s3://notes-cleaned/notes/", quarantine: "s3://notes-quarantine/notes/", processed: "s3://notes-processed/notes/" },
});
`,
      );
      const ir = await loadIR(dir, ROOT);
      const records = [
        { author: "A|B", item: "C", at: 1527897600 },
        { author: "A", item: "B|C", at: 1527897600 },
        { author: "A\\", item: "|B", at: 1527897600 },
        { author: "A\\|", item: "B", at: 1527897600 },
        { author: "AX1", item: "B000000001", at: 1527897600 },
      ];
      const input = join(work, "notes.jsonl");
      writeFileSync(input, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
      const out = join(work, "notes");
      const summary = await runPipeline({ datasets: ir.datasets, inputs: new Map([["notes", [input]]]), out, runId: "notes" });
      expect([summary.datasets["notes"]!.valid, summary.datasets["notes"]!.duplicates]).toEqual([5, 0]);
      const rows = await query(`SELECT author, item, note_id FROM read_parquet('${join(out, "notes-processed", "notes", "notes")}/*.parquet') ORDER BY author, item`);
      expect(new Set(rows.map((r) => r.note_id)).size).toBe(5);
      // The key of texts holding neither character is the SHA-256 of the plain join, as it always was.
      const plain = rows.find((r) => r.author === "AX1")!;
      expect(plain.note_id).toBe(createHash("sha256").update("AX1|B000000001|1527897600").digest("hex"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("large inputs: the records kept as Parquet in the scratch folder instead of in memory", () => {
  it("gives the same run summary, quarantine, cleaned zone and tables as records in memory", async () => {
    // Every reader path at once: the samples (files read line by line in JavaScript and plain ones read by DuckDB),
    // lines DuckDB accepts and JSON.parse refuses, synthetic records of every rule with duplicates, and the real gift
    // cards (duplicate keys with different texts: ranked by the text read back from the records).
    const review = datasets.find((d) => d.name === "review")!;
    const dir = mkdtempSync(join(tmpdir(), "records-on-disk-"));
    try {
      const base = { overall: 5, verified: true, reviewTime: "06 2, 2018", reviewerID: "AX1DISK", asin: "B0SAMPLE01", summary: "ok", unixReviewTime: 1527897600 };
      const line = (n: number) => JSON.stringify({ ...base, reviewerID: `AX1DISK${n}` });
      writeFileSync(join(dir, "suspicious.jsonl"), `${[line(1), line(2).replace('"overall":5', '"overall":NaN'), line(3).replace('"ok"', '"ok",'), line(4).replace('"ok"', '"ok, information"')].join("\n")}\n`);
      writeSynthetic(review, { records: 3000, invalidRatio: 0.1, duplicateRatio: 0.02, seed: 11 }, join(dir, "synthetic.jsonl"));
      const inputs = [join(ROOT, "samples", "review"), join(dir, "suspicious.jsonl"), join(dir, "synthetic.jsonl"), join(DATA, "2018-gift-cards-5.jsonl")];
      const progress = { memory: [] as string[], disk: [] as string[] };
      const summaries: Record<string, RunSummary> = {};
      for (const [name, recordsInMemoryBytes] of [["memory", undefined], ["disk", 0]] as const) {
        summaries[name] = await runPipeline({
          datasets: [review],
          inputs: new Map([["review", inputs]]),
          out: join(dir, name),
          runId: "disk",
          processedAt: new Date("2026-12-02T00:00:00Z"),
          recordsInMemoryBytes,
          progress: (l) => progress[name].push(l),
        });
        expect(summaries[name]!.reconciled, summaries[name]!.problems.join("\n")).toBe(true);
      }
      // The path was taken (and only where asked for).
      expect(progress.disk.filter((l) => l.includes("kept as Parquet"))).toHaveLength(1);
      expect(progress.memory.filter((l) => l.includes("kept as Parquet"))).toEqual([]);
      const d = summaries.disk!.datasets.review!;
      expect(d.quarantined.byReason["record.invalid_json"]).toBeGreaterThanOrEqual(2);
      expect(d.duplicates).toBeGreaterThan(3);
      expect(summaries.disk).toEqual(summaries.memory);
      const quarantine = (name: string) => readFileSync(join(localPath(join(dir, name), review.locations.quarantine), "run_id=disk", "part-00000.jsonl"), "utf8");
      expect(quarantine("disk")).toBe(quarantine("memory"));
      const parquet = (name: string, location: string, glob: string) => `read_parquet('${join(localPath(join(dir, name), location), glob).replace(/'/g, "''")}', hive_partitioning = false)`;
      const relations = [
        ["cleaned", (name: string) => parquet(name, review.locations.cleaned, "run_id=disk/*.parquet")],
        ...[review.table, ...review.children].map((table) => [table.name, (name: string) => parquet(name, table.location, "*/*.parquet")] as const),
      ] as const;
      for (const [what, relation] of relations) {
        const [difference] = await query(
          `SELECT (SELECT count(*) FROM (SELECT * FROM ${relation("memory")} EXCEPT ALL SELECT * FROM ${relation("disk")})) AS a,
                  (SELECT count(*) FROM (SELECT * FROM ${relation("disk")} EXCEPT ALL SELECT * FROM ${relation("memory")})) AS b,
                  (SELECT count(*) > 0 FROM ${relation("disk")}) AS rows`,
        );
        expect(difference, what).toEqual({ a: "0", b: "0", rows: true });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

describe("many invalid records of every kind (synthetic, 30% breaking one rule each)", () => {
  it("quarantines each with exactly its intended reason: the run summary equals the generator's tally", async () => {
    // 60,000 records: enough that DuckDB once evaluated a number cast on a JSON `true` before its type guard (the
    // optimizer reorders AND) and stopped the run with a conversion error; the rules now read scalars with TRY_CAST.
    const review = datasets.find((d) => d.name === "review")!;
    const dir = mkdtempSync(join(tmpdir(), "invalid-mix-"));
    try {
      const input = join(dir, "reviews.jsonl");
      const tally = writeSynthetic(review, { records: 60_000, invalidRatio: 0.3, duplicateRatio: 0.01 }, input);
      const summary = await runPipeline({ datasets: [review], inputs: new Map([["review", [input]]]), out: join(dir, "out"), runId: "invalid-mix" });
      const d = summary.datasets.review!;
      expect({ input: d.input, valid: d.valid, duplicates: d.duplicates, quarantined: d.quarantined }).toEqual({
        input: tally.input,
        valid: tally.valid,
        duplicates: tally.duplicates,
        quarantined: tally.quarantined,
      });
      // The cleaned zone is written in row groups of about 8 MB (`CLEANED_PARQUET`): its 40,000-odd valid reviews
      // (about 16 MB) fill several, where DuckDB's default (122,880 rows) would put them in one.
      const cleaned = join(dir, "out", localPath("", review.locations.cleaned), "run_id=invalid-mix", "part-00000.parquet");
      const groups = await query(`SELECT row_group_id, any_value(row_group_num_rows) AS n FROM parquet_metadata('${cleaned}') GROUP BY ALL`);
      expect(groups.length).toBeGreaterThanOrEqual(2);
      expect(groups.reduce((n, g) => n + Number(g.n), 0)).toBe(d.valid);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

describe("values at the edges of their column types (contracts must bound them: CONTRACT.RANGE_EXCEEDS_TYPE)", () => {
  it("int32, decimal and epoch-second edges load exactly; one past an edge is quarantined by its range rule, and the run goes on", async () => {
    // Before contracts had to bound such values, 3000000000 in an int32 column or 12345.5 in a decimal(4, 1) failed the
    // whole run with a cast error, and epoch seconds past year 9999 loaded as NULL.
    const dir = mkdtempSync(join(ROOT, "tests/fixtures/.scratch-"));
    try {
      writeFileSync(
        join(dir, "edges.contract.ts"),
        `import { z } from "zod";
import { column, defineContract, types } from "../../../generators/contract-kit/index.js";
export default defineContract({
  dataset: "edges",
  version: "1.0.0",
  owner: "tests",
  description: "Values at the edges of their types.",
  schema: z.object({
    id: column(z.string(), { description: "Key." }),
    small: column(z.int32(), { type: types.int32, description: "An int32." }),
    amount: column(z.number().min(-999.9).max(999.9), { type: types.decimal(4, 1), description: "A decimal(4, 1)." }),
    seen: column(z.int().min(-62135596800).max(253402300799), { type: types.timestamp, normalize: ["epoch_seconds_to_timestamp"], description: "Epoch seconds." }),
  }),
  key: { column: "id" },
  locations: { raw: "s3://edges-raw/edges/", cleaned: "s3://edges-cleaned/edges/", quarantine: "s3://edges-quarantine/edges/", processed: "s3://edges-processed/edges/" },
});
`,
      );
      const ir = await loadIR(dir, ROOT);
      const input = join(work, "edges.jsonl");
      const records = [
        { id: "high", small: 2147483647, amount: 999.9, seen: 253402300799 },
        { id: "low", small: -2147483648, amount: -999.9, seen: -62135596800 },
        { id: "small-past", small: 2147483648, amount: 1, seen: 0 },
        { id: "amount-past", small: 1, amount: 12345.5, seen: 0 },
        { id: "seen-past", small: 1, amount: 1, seen: 253402300800 },
      ];
      writeFileSync(input, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
      const out = join(work, "edges");
      const summary = await runPipeline({ datasets: ir.datasets, inputs: new Map([["edges", [input]]]), out, runId: "edges" });
      const d = summary.datasets["edges"]!;
      expect([d.input, d.valid, d.quarantined.byReason]).toEqual([5, 2, { "small.out_of_range": 1, "amount.out_of_range": 1, "seen.out_of_range": 1 }]);
      const rows = await query(
        `SELECT id, small, typeof(small) AS small_type, amount::VARCHAR AS amount, typeof(amount) AS amount_type, strftime(seen, '%Y-%m-%d %H:%M:%S') AS seen FROM read_parquet('${join(out, "edges-processed", "edges", "edges")}/*.parquet') ORDER BY id`,
      );
      expect(rows).toEqual([
        { id: "high", small: 2147483647, small_type: "INTEGER", amount: "999.9", amount_type: "DECIMAL(4,1)", seen: "9999-12-31 23:59:59" },
        { id: "low", small: -2147483648, small_type: "INTEGER", amount: "-999.9", amount_type: "DECIMAL(4,1)", seen: "0001-01-01 00:00:00" },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
