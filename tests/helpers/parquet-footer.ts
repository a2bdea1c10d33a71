/**
 * The Parquet message type of a file's footer, read with DuckDB's parquet_schema(), in the notation of
 * `generated/parquet/<table>.parquet.txt`; used by the tests of both engines.
 *
 * Files that carry only a legacy ConvertedType (DuckDB writes `INT_64` without a LogicalType for BIGINT) are read
 * as the Parquet spec's backward-compatibility rules say (UTF8 → STRING, INT_64 → INTEGER(64,true),
 * TIMESTAMP_MICROS → TIMESTAMP(MICROS,true)); a bare INT32 / INT64 is a signed integer of its width: https://github.com/apache/parquet-format/blob/master/LogicalTypes.md
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";

export function firstParquet(dir: string): string {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return firstParquet(path);
    if (name.endsWith(".parquet")) return path;
  }
  throw new Error(`No Parquet file under ${dir}.`);
}

interface SchemaRow {
  name: string;
  type: string | null;
  repetition_type: string | null;
  converted_type: string | null;
  logical_type: string | null;
  scale: string | null;
  precision: string | null;
  num_children: string | null;
}

const PHYSICAL: Record<string, string> = { BYTE_ARRAY: "binary", INT32: "int32", INT64: "int64", BOOLEAN: "boolean", DOUBLE: "double", FLOAT: "float" };

function annotation(row: SchemaRow): string | undefined {
  const logical = row.logical_type ?? "";
  if (logical.startsWith("DecimalType") || row.converted_type === "DECIMAL") return `DECIMAL(${row.precision},${row.scale})`;
  if (logical.startsWith("TimestampType")) {
    const unit = /MICROS=MicroSeconds/.test(logical) ? "MICROS" : /MILLIS=MilliSeconds/.test(logical) ? "MILLIS" : "NANOS";
    return `TIMESTAMP(${unit},${/isAdjustedToUTC=1/.test(logical)})`;
  }
  if (logical.startsWith("StringType")) return "STRING";
  if (logical.startsWith("DateType")) return "DATE";
  if (logical.startsWith("IntType")) return `INTEGER(${/bitWidth=(\d+)/.exec(logical)![1]},${/isSigned=1/.test(logical)})`;
  if (logical) throw new Error(`Unmapped logical type ${logical}.`);
  const legacy: Record<string, string> = {
    UTF8: "STRING",
    DATE: "DATE",
    INT_8: "INTEGER(8,true)",
    INT_16: "INTEGER(16,true)",
    INT_32: "INTEGER(32,true)",
    INT_64: "INTEGER(64,true)",
    TIMESTAMP_MICROS: "TIMESTAMP(MICROS,true)",
    TIMESTAMP_MILLIS: "TIMESTAMP(MILLIS,true)",
  };
  if (row.converted_type === null) {
    // A bare INT32 / INT64 is a signed integer of that width (Spark writes IntegerType and LongType so).
    if (row.type === "INT32") return "INTEGER(32,true)";
    if (row.type === "INT64") return "INTEGER(64,true)";
    return undefined;
  }
  const mapped = legacy[row.converted_type];
  if (!mapped) throw new Error(`Unmapped converted type ${row.converted_type}.`);
  return mapped;
}

export async function footerMessage(file: string, table: string): Promise<string> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  const rows = (await connection.runAndReadAll(`SELECT * FROM parquet_schema('${file.replace(/'/g, "''")}')`)).getRowObjectsJson() as unknown as SchemaRow[];
  connection.closeSync();
  instance.closeSync();
  const [, ...columns] = rows;
  const lines = columns.map((c) => {
    const a = annotation(c);
    return `  ${c.repetition_type!.toLowerCase()} ${PHYSICAL[c.type!] ?? c.type} ${c.name}${a ? ` (${a})` : ""};`;
  });
  return `message ${table} {\n${lines.join("\n")}\n}\n`;
}

/** The expected message type of a table: `generated/parquet/<table>.parquet.txt` without its comment lines. */
export function expectedMessage(root: string, table: string): string {
  return readFileSync(join(root, "generated", "parquet", `${table}.parquet.txt`), "utf8")
    .split("\n")
    .filter((line) => !line.startsWith("#"))
    .join("\n");
}
