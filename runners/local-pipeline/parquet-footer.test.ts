/**
 * The processed Parquet the local pipeline writes has exactly the file schema in `generated/parquet/<table>.parquet.txt`
 * (names, order, physical and logical types, repetition), read from the file footer with DuckDB's parquet_schema().
 * (`tests/helpers/parquet-footer.ts` reads the footer).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectedMessage, firstParquet, footerMessage } from "../../tests/helpers/parquet-footer.js";
import { loadGeneratedIR } from "./generated-ir.js";
import { localPath, runPipeline } from "./pipeline.js";

const ROOT = join(import.meta.dirname, "..", "..");
const datasets = loadGeneratedIR(ROOT);
let out: string;

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), "parquet-footer-"));
  const inputs = new Map(datasets.map((d) => [d.name, [join(ROOT, "samples", d.name)]]));
  await runPipeline({ datasets, inputs, out, runId: "footer" });
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("processed Parquet footers match generated/parquet", () => {
  const tables = datasets.flatMap((d) => [
    { table: d.table.name, dir: localPath("", d.table.location) },
    ...d.children.map((c) => ({ table: c.name, dir: localPath("", c.location) })),
  ]);
  it.each(tables)("$table", async ({ table, dir }) => {
    expect(await footerMessage(firstParquet(join(out, dir)), table)).toBe(expectedMessage(ROOT, table));
  });
});
