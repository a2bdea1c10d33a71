import { DuckDBInstance } from "@duckdb/node-api";
import * as arrow from "apache-arrow";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { nativeType } from "../../dialects/types.js";
import type { DatasetIR, TableIR } from "../../ir/types.js";
import { fileOf, generatedFrom } from "../../../tests/helpers/generate.js";
import { arrowSchema, fileColumns } from "./emit.js";

const work = mkdtempSync(join(tmpdir(), "parquet-target-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function tables(dir?: string): Promise<{ dataset: DatasetIR; table: TableIR }[]> {
  const { ir } = await generatedFrom(dir);
  return ir.datasets.flatMap((dataset) => [dataset.table, ...dataset.children].map((table) => ({ dataset, table })));
}

/**
 * Renders DuckDB's `parquet_schema()` rows (read from a real file footer) as a Parquet message type, in the same
 * notation as the generated `.parquet.txt`.
 */
async function messageTypeOfFileWrittenByDuckDB(table: TableIR): Promise<string> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  const columns = fileColumns(table).map((c) => `"${c.name}" ${nativeType("duckdb", c)}`);
  await connection.run(`CREATE TABLE t (${columns.join(", ")})`);
  const path = join(work, `${table.name}.parquet`);
  await connection.run(`COPY t TO '${path}' (FORMAT parquet)`);
  const reader = await connection.runAndReadAll(
    `SELECT name, type, type_length, repetition_type, converted_type, scale, precision, logical_type FROM parquet_schema('${path}')`,
  );
  const rows = reader.getRowObjectsJS() as Record<string, unknown>[];
  connection.closeSync();
  const lines = rows.slice(1).map((row) => {
    const physical = row.type === "BYTE_ARRAY" ? "binary" : row.type === "FIXED_LEN_BYTE_ARRAY" ? `fixed_len_byte_array(${row.type_length})` : String(row.type).toLowerCase();
    const logical = String(row.logical_type ?? "");
    const converted = String(row.converted_type ?? "");
    let annotation = "";
    if (converted === "UTF8") annotation = "STRING";
    else if (converted === "DECIMAL") annotation = `DECIMAL(${row.precision},${row.scale})`;
    else if (converted === "DATE") annotation = "DATE";
    else if (/^INT_(8|16|32|64)$/.test(converted)) annotation = `INTEGER(${converted.slice(4)},true)`;
    else if (logical.startsWith("TimestampType")) {
      const utc = /isAdjustedToUTC=1/.test(logical);
      const unit = /MICROS=MicroSeconds/.test(logical) ? "MICROS" : /MILLIS=MilliSeconds/.test(logical) ? "MILLIS" : "NANOS";
      annotation = `TIMESTAMP(${unit},${utc})`;
    }
    return `  ${String(row.repetition_type).toLowerCase()} ${physical} ${row.name}${annotation ? ` (${annotation})` : ""};`;
  });
  return `message ${table.name} {\n${lines.join("\n")}\n}\n`;
}

function withoutComments(text: string): string {
  return text.split("\n").filter((line) => !line.startsWith("#")).join("\n");
}

describe("Parquet target", () => {
  it("matches, column for column, the footer of a Parquet file DuckDB writes for the same table", async () => {
    const { files } = await generatedFrom();
    for (const { table } of [...(await tables()), ...(await tables("tests/fixtures/kitchen-sink"))]) {
      const generated = (await generatedFrom(table.name.startsWith("kitchen") ? "tests/fixtures/kitchen-sink" : undefined)).files;
      const expected = withoutComments(fileOf(generated, `generated/parquet/${table.name}.parquet.txt`));
      expect(await messageTypeOfFileWrittenByDuckDB(table), table.name).toBe(expected);
    }
    expect(fileOf(files, "generated/parquet/review.parquet.txt")).toContain("optional int64 reviewed_at (TIMESTAMP(MICROS,true));");
  });

  it("never uses INT96 and keeps partition columns out of the file schema", async () => {
    const { files } = await generatedFrom();
    for (const file of files.filter((f) => f.path.endsWith(".parquet.txt"))) expect(file.contents).not.toMatch(/int96/i);
    const review = fileOf(files, "generated/parquet/review.parquet.txt");
    expect(review).not.toMatch(/ review_date[ ;]/);
    expect(review).toMatch(/^# Partition columns \(in the path, not in the files\): review_date\.$/m);
  });

  it("writes an Arrow schema that apache-arrow reads back identically, metadata included", async () => {
    const { files } = await generatedFrom();
    for (const { dataset, table } of await tables()) {
      const json = JSON.parse(fileOf(files, `generated/parquet/${table.name}.arrow.json`)) as object;
      // An object in the Arrow JSON integration format selects the synchronous JSON reader.
      const reader = arrow.RecordBatchReader.from(json as never) as unknown as arrow.RecordBatchReader;
      reader.open();
      const back = reader.schema;
      const built = arrowSchema(dataset, table);
      expect(back.fields.map((f) => [f.name, String(f.type), f.nullable, [...f.metadata]])).toEqual(
        built.fields.map((f) => [f.name, String(f.type), f.nullable, [...f.metadata]]),
      );
      expect([...back.metadata]).toEqual([...built.metadata]);
    }
  });

  it("maps logical types as Snowflake and Spark agree (decimal money, micros timestamps)", async () => {
    const { files } = await generatedFrom();
    const product = fileOf(files, "generated/parquet/product.parquet.txt");
    expect(product).toContain("optional int64 price_usd (DECIMAL(12,2));");
    expect(product).toContain("optional int32 first_available_date (DATE);");
    const arrowReview = JSON.parse(fileOf(files, "generated/parquet/review.arrow.json")) as { schema: { fields: { name: string; type: unknown }[] } };
    expect(arrowReview.schema.fields.find((f) => f.name === "reviewed_at")?.type).toEqual({ name: "timestamp", unit: "MICROSECOND", timezone: "UTC" });
  });

  it("golden: kitchen-sink message type and Arrow schema", async () => {
    const { files } = await generatedFrom("tests/fixtures/kitchen-sink");
    for (const name of ["kitchen_sink.parquet.txt", "kitchen_sink.arrow.json", "kitchen_sink_tags.parquet.txt"]) {
      await expect(fileOf(files, `generated/parquet/${name}`)).toMatchFileSnapshot(`../../../tests/__golden__/kitchen-sink/parquet/${name}`);
    }
  });
});
