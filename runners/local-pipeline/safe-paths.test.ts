/** What a run removes from a table's folder before it writes (the Spark engine) or after a failed write (both). */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isTableFile, removeTableFiles } from "./safe-paths.js";

const work = mkdtempSync(join(tmpdir(), "safe-paths-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const tree = (root: string) =>
  readdirSync(root, { recursive: true, withFileTypes: true })
    .map((entry) => `${join(entry.parentPath, entry.name).slice(root.length)}${entry.isDirectory() ? "/" : ""}`)
    .sort();

describe("removeTableFiles", () => {
  it("removes the files runs write (Parquet parts of either engine, Spark's _SUCCESS and .crc) and links, keeps every other file", () => {
    const out = join(work, "out");
    const table = join(out, "bucket", "reviews");
    const elsewhere = join(work, "elsewhere");
    mkdirSync(elsewhere, { recursive: true });
    writeFileSync(join(elsewhere, "data.txt"), "not the run's\n");
    const files = {
      "review_date=2018-01-01/part-0.parquet": "run",
      "review_date=2018-01-01/part-00000-1b2c.c000.snappy.parquet": "run",
      "review_date=2018-01-01/.part-00000-1b2c.c000.snappy.parquet.crc": "run",
      "_SUCCESS": "run",
      "._SUCCESS.crc": "run",
      "review_date=2018-01-02/part-0.parquet": "run",
      "notes.txt": "mine",
      "review_date=2018-01-01/checked.csv": "mine",
    };
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(table, name, ".."), { recursive: true });
      writeFileSync(join(table, name), text);
    }
    symlinkSync(elsewhere, join(table, "review_date=2018-01-03"));
    const kept = removeTableFiles(out, table);
    expect(kept.map((path) => path.slice(table.length)).sort()).toEqual(["/notes.txt", "/review_date=2018-01-01/checked.csv"]);
    expect(tree(table)).toEqual(["/notes.txt", "/review_date=2018-01-01/", "/review_date=2018-01-01/checked.csv"]);
    expect(tree(elsewhere)).toEqual(["/data.txt"]);
    // Nothing of a person's own: the folder goes too.
    rmSync(join(table, "notes.txt"));
    rmSync(join(table, "review_date=2018-01-01", "checked.csv"));
    expect(removeTableFiles(out, table)).toEqual([]);
    expect(readdirSync(join(out, "bucket"))).toEqual([]);
  });

  it("names the run's files", () => {
    for (const name of ["part-0.parquet", "part-00000-x.c000.snappy.parquet", "_SUCCESS", "._SUCCESS.crc", ".part-0.parquet.crc"]) expect(isTableFile(name), name).toBe(true);
    for (const name of ["notes.txt", "SUCCESS", "part-0.parquet.bak", "x.crc", "README.md"]) expect(isTableFile(name), name).toBe(false);
  });
});
