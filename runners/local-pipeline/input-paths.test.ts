/**
 * What an input path leads to: links that make --out overlap an input, broken links and link loops in an input
 * folder, an input given twice or inside another, files of the same name in two inputs, files in an input folder
 * whose names the platform does not ingest. Real files, real runs of the command on DuckDB (`--no-warehouse`).
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "./cli.js";
import type { RunSummary } from "./pipeline.js";
import { queryDuckDB } from "../../tests/helpers/duckdb.js";

const ROOT = join(import.meta.dirname, "..", "..");
const PRODUCTS = readFileSync(join(ROOT, "samples", "product", "meta-sample.jsonl"));
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "input-paths-test-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function cli(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(["--root", ROOT, "--no-warehouse", "--quiet", ...args], { write: (s: string) => (out += s) }, { write: (s: string) => (err += s) });
  return { code, out, err };
}

const query = (sql: string) => queryDuckDB(sql);

/** The run summary a run wrote into `out`. */
function summaryOf(out: string): RunSummary {
  return JSON.parse(readFileSync(join(out, "run-summary.json"), "utf8"));
}

/** A fresh folder under the test's work folder. */
function folder(...names: string[]): string {
  const path = join(work, ...names);
  mkdirSync(path, { recursive: true });
  return path;
}

describe("--out and the inputs are compared by their real paths", () => {
  it("refuses an --out reached through a link to the input folder, and writes nothing there", async () => {
    const input = folder("linked", "in");
    writeFileSync(join(input, "meta.jsonl"), PRODUCTS);
    symlinkSync(input, join(work, "linked", "alias"));
    const out = join(work, "linked", "alias", "out");
    const result = await cli(["--input", `product=${input}`, "--out", out]);
    expect(result.code).toBe(2);
    expect(result.err).toContain(`error CLI.USAGE: the output folder ${out} and the input ${input} overlap`);
    expect(existsSync(join(input, "out"))).toBe(false);
    // And the other way: the input named through the link, --out in the real folder.
    const reverse = await cli(["--input", `product=${join(work, "linked", "alias")}`, "--out", join(input, "out")]);
    expect(reverse.code).toBe(2);
    expect(reverse.err).toContain("overlap: the run would read its own output");
  });
});

describe("links in an input folder", () => {
  it("a broken link is a warning naming it, not a stack trace; the other files are read", async () => {
    const input = folder("broken", "in");
    writeFileSync(join(input, "meta.jsonl"), PRODUCTS);
    symlinkSync(join(work, "broken", "gone.jsonl"), join(input, "dangling.jsonl"));
    const out = join(work, "broken", "out");
    const result = await cli(["--input", `product=${input}`, "--out", out]);
    expect([result.code, result.err]).toEqual([0, `warning: product: ${join(input, "dangling.jsonl")} cannot be read (ENOENT: a broken link, a link loop or no permission): not read\n`]);
    expect(summaryOf(out).datasets.product!.input).toBe(6);
  });

  it("a link back up the tree (sub/loop -> ..) is walked once: each file is read once, the loop is named", async () => {
    const input = folder("loop", "in");
    writeFileSync(join(input, "meta.jsonl"), PRODUCTS);
    mkdirSync(join(input, "sub"));
    writeFileSync(join(input, "sub", "more.jsonl"), PRODUCTS);
    symlinkSync("..", join(input, "sub", "loop"));
    const out = join(work, "loop", "out");
    const result = await cli(["--input", `product=${input}`, "--out", out]);
    expect(result.code, result.err).toBe(0);
    expect(result.err).toBe(`warning: product: ${join(input, "sub", "loop")} is the folder ${realpathSync(input)}, which this input already reads (a link to it, or to a folder holding it): not read again\n`);
    const product = summaryOf(out).datasets.product!;
    expect(product.input).toBe(12);
    expect(product.files.map((f) => f.file)).toEqual(["meta.jsonl", "sub/more.jsonl"]);
  });

  it("a folder holding only a broken link and a link loop is PIPELINE.NO_INPUT, naming what it holds", async () => {
    const input = folder("only-links", "in");
    symlinkSync(join(work, "only-links", "gone.jsonl"), join(input, "dangling.jsonl"));
    symlinkSync("self.jsonl", join(input, "self.jsonl"));
    const result = await cli(["--input", `product=${input}`, "--out", join(work, "only-links", "out")]);
    expect(result.code).toBe(2);
    expect(result.err).toContain(`error PIPELINE.NO_INPUT: --input product=${input} holds no input file (only 2 unreadable entries (broken links, link loops, no permission), which are not read).`);
    expect(existsSync(join(work, "only-links", "out"))).toBe(false);
  });
});

describe("several inputs of one dataset", () => {
  it("refuses an input given twice, through a link, or inside another input of its dataset, before writing anything", async () => {
    const input = folder("twice", "in");
    mkdirSync(join(input, "sub"));
    writeFileSync(join(input, "sub", "meta.jsonl"), PRODUCTS);
    symlinkSync(input, join(work, "twice", "alias"));
    const out = join(work, "twice", "out");
    for (const [inputs, message] of [
      [[input, input], `--input product=${input} is the same as --input product=${input}`],
      [[input, join(work, "twice", "alias")], `--input product=${join(work, "twice", "alias")} is the same as --input product=${input}`],
      [[input, join(input, "sub", "meta.jsonl")], `--input product=${join(input, "sub", "meta.jsonl")} lies inside --input product=${input}`],
      [[join(input, "sub"), input], `--input product=${input} holds --input product=${join(input, "sub")}`],
    ] as const) {
      const result = await cli([...inputs.flatMap((path) => ["--input", `product=${path}`]), "--out", out]);
      expect([result.code, result.err]).toEqual([2, expect.stringContaining(`error CLI.USAGE: ${message}: its records would be read twice.\n  fix: `)]);
    }
    expect(existsSync(out)).toBe(false);
  });

  it("files of the same name in two inputs are named from the inputs' common folder: the summary and the lineage tell them apart", async () => {
    const first = folder("same-name", "a");
    const second = folder("same-name", "b");
    writeFileSync(join(first, "x.jsonl"), PRODUCTS);
    writeFileSync(join(second, "x.jsonl"), PRODUCTS);
    // One modification time for both: duplicates are ranked by their file's time first, then by text, file and line.
    const time = new Date("2026-12-01T10:00:00.250Z");
    for (const dir of [first, second]) utimesSync(join(dir, "x.jsonl"), time, time);
    const out = join(work, "same-name", "out");
    const result = await cli(["--input", `product=${first}`, "--input", `product=${second}`, "--out", out]);
    expect(result.code, result.err).toBe(0);
    const product = summaryOf(out).datasets.product!;
    expect(product.input).toBe(12);
    expect(product.files.map((f) => [f.file, f.records])).toEqual([["a/x.jsonl", 6], ["b/x.jsonl", 6]]);
    // The sample twice (6 records: 4 valid, 2 quarantined): each valid key kept once, from the first file by name (the
    // files' times being equal).
    expect([product.valid, product.duplicates, product.quarantined.total]).toEqual([4, 4, 4]);
    const lineage = await query(`SELECT _source_file AS file, count(*)::INTEGER AS n FROM read_parquet('${out}/amazon-reviews-cleaned/**/*.parquet') GROUP BY ALL ORDER BY file`);
    expect(lineage).toEqual([{ file: "a/x.jsonl", n: 4 }]);
    const quarantined = await query(`SELECT source_file AS file, count(*)::INTEGER AS n FROM read_json_auto('${out}/amazon-reviews-quarantine/**/*.jsonl') GROUP BY ALL ORDER BY file`);
    expect(quarantined).toEqual([{ file: "a/x.jsonl", n: 2 }, { file: "b/x.jsonl", n: 2 }]);
  });

  it("files of different names in two inputs keep the names they have in their own input", async () => {
    const first = folder("other-names", "a");
    const second = folder("other-names", "b");
    writeFileSync(join(first, "x.jsonl"), PRODUCTS);
    writeFileSync(join(second, "y.jsonl"), PRODUCTS);
    const out = join(work, "other-names", "out");
    expect((await cli(["--input", `product=${first}`, "--input", `product=${second}`, "--out", out])).code).toBe(0);
    expect(summaryOf(out).datasets.product!.files.map((f) => f.file)).toEqual(["x.jsonl", "y.jsonl"]);
  });
});

describe("in an input folder, only the files whose names the platform ingests (.json, .jsonl, .json.gz, .jsonl.gz)", () => {
  it("a readme, a binary and a renamed backup beside the records are skipped with a warning naming each; the records are read", async () => {
    const input = folder("names", "in");
    writeFileSync(join(input, "meta.jsonl"), PRODUCTS);
    writeFileSync(join(input, "readme.txt"), "Products exported on Monday.\nOne record a line.\n");
    writeFileSync(join(input, "photo.bin"), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37) % 256)));
    mkdirSync(join(input, "old"));
    writeFileSync(join(input, "old", "meta.jsonl.bak"), PRODUCTS);
    const out = join(work, "names", "out");
    const result = await cli(["--input", `product=${input}`, "--out", out]);
    expect(result.code, result.err).toBe(0);
    const why = "has a name the platform does not ingest (in AWS only objects whose names end in .json, .json.gz, .jsonl, .jsonl.gz start a run): not read";
    expect(result.err.split("\n").filter(Boolean)).toEqual(
      [join(input, "old", "meta.jsonl.bak"), join(input, "photo.bin"), join(input, "readme.txt")].map((path) => `warning: product: ${path} ${why}`),
    );
    const product = summaryOf(out).datasets.product!;
    expect([product.input, product.quarantined.total]).toEqual([6, 2]);
    expect(product.files.map((f) => f.file)).toEqual(["meta.jsonl"]);
  });

  it("the warning goes to the run's progress too, without --quiet", async () => {
    const input = folder("names-progress", "in");
    writeFileSync(join(input, "meta.json"), PRODUCTS);
    writeFileSync(join(input, "notes.md"), "# notes\n");
    let err = "";
    const code = await main(["--root", ROOT, "--no-warehouse", "--input", `product=${input}`, "--out", join(work, "names-progress", "out")], { write: () => true }, { write: (s: string) => (err += s) });
    expect(code).toBe(0);
    expect(err).toContain(`product: warning: ${join(input, "notes.md")} has a name the platform does not ingest`);
  });

  it("a file named on its own is read whatever its name; a folder of other names only is PIPELINE.NO_INPUT", async () => {
    const file = join(folder("names-file"), "meta.ndjson");
    writeFileSync(file, PRODUCTS);
    const out = join(work, "names-file", "out");
    expect((await cli(["--input", `product=${file}`, "--out", out])).code).toBe(0);
    expect(summaryOf(out).datasets.product!.input).toBe(6);
    const other = folder("names-other", "in");
    writeFileSync(join(other, "meta.ndjson"), PRODUCTS);
    const result = await cli(["--input", `product=${other}`, "--out", join(work, "names-other", "out")]);
    expect(result.code).toBe(2);
    expect(result.err).toContain(`error PIPELINE.NO_INPUT: --input product=${other} holds no input file (only 1 file whose name the platform does not ingest, which are not read).`);
    expect(result.err).toContain("fix: pass a JSON Lines file or a folder holding some (named *.json, *.json.gz, *.jsonl, *.jsonl.gz");
  });
});

describe("without --input, each dataset's samples/<dataset>/ folder", () => {
  it("warns, naming the folder to create, for a dataset whose samples folder is missing, and runs the others", async () => {
    // A repository root whose product contract has no samples yet (as a contract just added has none).
    const root = folder("no-samples", "root");
    cpSync(join(ROOT, "generated/ir"), join(root, "generated/ir"), { recursive: true });
    cpSync(join(ROOT, "generated/manifest.json"), join(root, "generated/manifest.json"));
    cpSync(join(ROOT, "samples/review"), join(root, "samples/review"), { recursive: true });
    const out = join(work, "no-samples", "out");
    let err = "";
    const code = await main(["--root", root, "--no-warehouse", "--quiet", "--out", out], { write: () => true }, { write: (s: string) => (err += s) });
    expect(code, err).toBe(0);
    expect(err).toBe(
      "warning: product: no samples folder samples/product/, so this run reads nothing for dataset product and leaves its tables empty.\n" +
        '  fix: create samples/product/ holding JSON Lines sample records of the dataset (README "Adding a dataset"), or pass --input product=<file or folder>.\n',
    );
    const summary = summaryOf(out);
    expect(Object.keys(summary.datasets)).toEqual(["review"]);
    expect(summary.datasets.review!.input).toBeGreaterThan(0);
  });
});
