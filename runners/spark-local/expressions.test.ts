/**
 * The Spark rendering of the expression tree executed on real Spark (pyspark 3.5.4 = AWS Glue 5.0), on the same
 * cases and expected values as the DuckDB execution in `generators/dialects/render.test.ts`: the edge cases of the
 * functions written once over the tree (`generators/dialects/macros.ts`) that the pipeline parity tests may not reach.
 * The session gets the Spark settings of the generated Glue jobs (ANSI off, the corrected date parser, UTC).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asText, EXECUTION_CASES, executionQuery } from "../../generators/dialects/execution-cases.test-helpers.js";
import { SPARK_DIALECT } from "../../generators/dialects/spark.js";
import { SparkDriver } from "./driver.js";

const ROOT = join(import.meta.dirname, "..", "..");
let driver: SparkDriver;
/** The driver's temporary folder: TMPDIR points here while it starts, so that what it leaves behind can be seen. */
const driverTmp = mkdtempSync(join(tmpdir(), "spark-driver-tmp-"));

/** The `spark.sql.*` settings a generated job applies (its SPARK_SETTINGS), read from the committed job. */
function jobSqlSettings(): [string, string][] {
  const job = readFileSync(join(ROOT, "glue-pyspark-out", "clean_review.py"), "utf8");
  const settings = [...job.matchAll(/^\s+\("(spark\.sql\.[^"]+)", "([^"]*)"\),$/gm)].map((m) => [m[1]!, m[2]!] as [string, string]);
  if (!settings.some(([key]) => key === "spark.sql.ansi.enabled")) throw new Error("The Glue job's SPARK_SETTINGS were not found in glue-pyspark-out/clean_review.py.");
  return settings;
}

beforeAll(async () => {
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = driverTmp;
  try {
    // One thread (pipeline:local --threads 1): the expressions need no more, and the option is checked below.
    driver = await SparkDriver.start({ root: ROOT, log: (line) => process.stderr.write(`${line}\n`), threads: 1 });
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
  for (const [key, value] of jobSqlSettings()) await driver.sql(`SET ${key}=${value}`);
}, 600_000);
afterAll(async () => {
  await driver?.close();
  rmSync(driverTmp, { recursive: true, force: true });
});

describe("Spark runs the renderings and agrees with the expected values", () => {
  it.each(EXECUTION_CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const rows = (await driver.sql<{ value: unknown }>(executionQuery(c, SPARK_DIALECT))).result;
    expect(rows.map((row, i) => [c.rows[i]![0], asText(row.value)])).toEqual(c.rows);
  });
});

describe("the Spark driver's threads", () => {
  it("are the ones asked for (local[1] here, local[2] by default: spark.test.ts)", async () => {
    expect(driver.versions.master).toBe("local[1]");
    expect((await driver.sql<{ key: string; value: string }>("SET spark.sql.shuffle.partitions")).result).toEqual([{ key: "spark.sql.shuffle.partitions", value: "1" }]);
  });
});

describe("the Spark driver leaves nothing behind", () => {
  it("keeps Spark's scratch in one temporary folder while it runs and removes it when it closes", async () => {
    expect(readdirSync(driverTmp).filter((name) => name.startsWith("spark-local-"))).toHaveLength(1);
    await driver.close();
    expect(readdirSync(driverTmp)).toEqual([]);
  });
});
