/** The reserved words a name may not be: every reserved keyword of the engines that run the generated SQL unquoted. */
import { execFileSync } from "node:child_process";
import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../tests/helpers/data.js";
import { ensurePythonEnv } from "../../toolchain/python-env.js";
import { systemColumns } from "./derived.js";
import { RESERVED_WORDS } from "./names.js";

const QUERY = "select keyword_name from duckdb_keywords() where keyword_category = 'reserved' order by 1";

describe("RESERVED_WORDS", () => {
  it("holds every reserved keyword of DuckDB, as the pipeline's engine and dbt-duckdb's build report them", async () => {
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    const node = (await connection.runAndReadAll(QUERY)).getRows().map((row) => String(row[0]));
    connection.closeSync();
    const { python } = await ensurePythonEnv("dbt", { root: REPO_ROOT });
    const dbt = JSON.parse(execFileSync(python, ["-c", `import duckdb, json; print(json.dumps([r[0] for r in duckdb.sql("${QUERY}").fetchall()]))`], { encoding: "utf8" })) as string[];
    for (const words of [node, dbt]) {
      expect(words.length).toBeGreaterThan(50);
      expect(words.filter((word) => !RESERVED_WORDS.has(word))).toEqual([]);
    }
  }, 60_000);

  it("holds the name of every system column the pipeline adds to processed tables, so no contract column takes it", () => {
    const where = { file: "contracts/x.contract.ts", line: 1, column: 1, path: "x" };
    for (const column of systemColumns(where)) expect(RESERVED_WORDS.has(column.name), column.name).toBe(true);
  });
});
