/** One query on DuckDB (the pipeline's engine, from node_modules): in memory, or read-only on a database file. */
import { DuckDBInstance } from "@duckdb/node-api";

export async function queryDuckDB(sql: string, options: { readonly database?: string; readonly timeZone?: string } = {}): Promise<Record<string, unknown>[]> {
  const instance = options.database === undefined ? await DuckDBInstance.create(":memory:") : await DuckDBInstance.create(options.database, { access_mode: "READ_ONLY" });
  const connection = await instance.connect();
  try {
    if (options.timeZone !== undefined) await connection.run(`SET TimeZone = '${options.timeZone.replace(/'/g, "''")}'`);
    return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
