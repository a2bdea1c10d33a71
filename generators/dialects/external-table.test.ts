/**
 * The external tables of a contract that renamed a field (`renamedFrom`): the files written before the rename carry
 * the column's previous name, and both the Snowflake DDL and the local DuckDB view read it. Executed on DuckDB (the
 * local warehouse's stand-in); the Snowflake text is checked here and parsed with the rest of the DDL
 * (`generators/targets/snowflake/`).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuckDBInstance } from "@duckdb/node-api";
import { loadIR } from "../ir/load.js";
import { ContractError } from "../lib/errors.js";
import type { DatasetIR } from "../ir/types.js";
import { duckdbExternalView, externalColumns, externalColumnType } from "./external-table.js";

const ROOT = join(import.meta.dirname, "..", "..");

/** A scratch contract: `headline` was `summary`, the object `details` was `info`, `profileName` kept its column. */
function contract(extraField = ""): string {
  return `import { z } from "zod";
import { column, defineContract } from "../../../generators/contract-kit/index.js";
export default defineContract({
  dataset: "notes",
  version: "2.0.0",
  owner: "tests",
  description: "Notes whose fields were renamed.",
  schema: z.object({
    id: column(z.string(), { description: "Key." }),
    headline: column(z.string().optional(), { description: "Headline.", renamedFrom: "summary" }),
    details: column(z.object({ color: column(z.string().optional(), { description: "Colour." }) }).optional(), { description: "Details.", renamedFrom: "info" }),
    profileName: column(z.string().optional(), { name: "reviewer_name", description: "Name.", renamedFrom: "reviewerName" }),${extraField}
  }),
  key: { column: "id" },
  locations: { raw: "s3://notes-raw/notes/", cleaned: "s3://notes-cleaned/notes/", quarantine: "s3://notes-quarantine/notes/", processed: "s3://notes-processed/notes/" },
});
`;
}

async function load(source: string): Promise<DatasetIR[]> {
  const dir = mkdtempSync(join(ROOT, "tests/fixtures/.scratch-"));
  try {
    writeFileSync(join(dir, "notes.contract.ts"), source);
    return [...(await loadIR(dir, ROOT)).datasets];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let notes: DatasetIR;
const work = mkdtempSync(join(ROOT, "tests/fixtures/.scratch-views-"));
beforeAll(async () => {
  [notes] = (await load(contract())) as [DatasetIR];
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("a renamed column's previous name", () => {
  it("is the old key's column name, under the previous name of an object it is in; an explicit name kept is no rename", () => {
    const previous = Object.fromEntries(notes.table.columns.map((c) => [c.name, c.previousName ?? null]));
    expect(previous).toMatchObject({ id: null, headline: "summary", details_color: "info_color", reviewer_name: null });
  });

  it("is refused when it is a column again (CONTRACT.NAME_COLLISION): old files could not be told from new ones", async () => {
    const error = await load(contract(`\n    summary: column(z.string().optional(), { description: "A new summary." }),`)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContractError);
    const messages = (error as ContractError).diagnostics.filter((d) => d.code === "CONTRACT.NAME_COLLISION").map((d) => d.message);
    expect(messages).toEqual([
      'Column "headline" of notes was "summary" before its field was renamed (renamedFrom), and "summary" is a column again, from "summary": the files written before the rename could not be told from the new ones.',
    ]);
  });
});

describe("the external tables read a renamed column under both names", () => {
  it("Snowflake: COALESCE of the new and the previous key of VALUE", () => {
    const byName = Object.fromEntries(externalColumns("snowflake", notes.table).map((c) => [c.name, c.expression]));
    expect(byName.headline).toBe('COALESCE(VALUE:"headline"::VARCHAR, VALUE:"summary"::VARCHAR)');
    expect(byName.details_color).toBe('COALESCE(VALUE:"details_color"::VARCHAR, VALUE:"info_color"::VARCHAR)');
    expect(byName.reviewer_name).toBe('VALUE:"reviewer_name"::VARCHAR');
  });

  /** A Parquet file of the table as a flatten run writes it, with `names` for the renamed columns. */
  async function writeFile(path: string, id: string, names: { headline: string; color: string }): Promise<void> {
    mkdirSync(join(path, ".."), { recursive: true });
    const columns = notes.table.columns.map((c) => {
      const as = c.name === "headline" ? names.headline : c.name === "details_color" ? names.color : c.name;
      const value = c.name === "id" ? `'${id}'` : c.name === "headline" || c.name === "details_color" ? `'${id} ${c.name}'` : "NULL";
      return `CAST(${value} AS ${externalColumnType("duckdb", c)}) AS "${as}"`;
    });
    await query(`COPY (SELECT ${columns.join(", ")}) TO '${path}' (FORMAT PARQUET)`);
  }

  async function query(sql: string, setup: string[] = []): Promise<Record<string, unknown>[]> {
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    try {
      for (const statement of setup) await connection.run(statement);
      return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  }

  it("DuckDB: a view over a file written before the rename and one after reads both", async () => {
    const table = join(work, "both");
    await writeFile(join(table, "part-old.parquet"), "old", { headline: "summary", color: "info_color" });
    await writeFile(join(table, "part-new.parquet"), "new", { headline: "headline", color: "details_color" });
    const rows = await query(`SELECT count(headline) AS headlines, count(details_color) AS colors, string_agg(headline, ', ' ORDER BY id) AS values FROM t`, [
      duckdbExternalView("t", notes.table, table),
    ]);
    expect(rows).toEqual([{ headlines: "2", colors: "2", values: "new headline, old headline" }]);
  });

  it("DuckDB: the view still binds when no file carries one of the names", async () => {
    for (const [folder, names] of [
      ["new-only", { headline: "headline", color: "details_color" }],
      ["old-only", { headline: "summary", color: "info_color" }],
    ] as const) {
      const table = join(work, folder);
      await writeFile(join(table, "part-0.parquet"), folder, names);
      const rows = await query(`SELECT headline, details_color FROM t`, [duckdbExternalView("t", notes.table, table)]);
      expect(rows, folder).toEqual([{ headline: `${folder} headline`, details_color: `${folder} details_color` }]);
    }
  });
});
