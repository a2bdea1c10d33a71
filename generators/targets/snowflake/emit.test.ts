/**
 * The Snowflake DDL parses with sqlfluff's snowflake dialect (the project's pinned sqlfluff 4, see
 * toolchain/python/lint.in), one statement at a time, each as exactly one statement with no unparsable section and
 * no allow-list: sqlfluff 4 knows storage integrations and the USE_LOGICAL_TYPE file-format option.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileOf, generatedFrom } from "../../../tests/helpers/generate.js";
import { parseSnowflakeStatements, sqlfluffBin } from "../../../tests/helpers/sqlfluff.js";
import { DATA_FILE_PATTERN, plan, type PlannedStatement } from "./emit.js";

const work = mkdtempSync(join(tmpdir(), "snowflake-target-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// Installs the pinned sqlfluff (first use) before the tests' own timeouts start.
beforeAll(async () => {
  await sqlfluffBin();
}, 300_000);

describe("Snowflake target", () => {
  it("every statement parses with sqlfluff (snowflake dialect), as exactly one statement", async () => {
    const { ir } = await generatedFrom();
    const statements = plan(ir);
    const results = await parseSnowflakeStatements(statements, join(work, "real"));
    expect(results.length).toBeGreaterThan(10);
    for (const r of results) expect(r, r.id).toEqual({ id: r.id, unparsable: false, statements: 1 });
    // The statements sqlfluff 1.4 could not parse are among them.
    expect(statements.map((s) => s.id)).toEqual(expect.arrayContaining(["integration", "integration.locations", "file_format"]));
    expect(statements.find((s) => s.id === "file_format")!.sql).toContain("USE_LOGICAL_TYPE = TRUE");
  });

  it("fails the parse check on broken SQL (the check can fail)", async () => {
    const [result] = await parseSnowflakeStatements([{ id: "broken", sql: "CREATE EXTERNAL TABLE t (a VARCHAR AS (VALUE:\"a\"::VARCHAR) PARTITION" }], join(work, "broken"));
    expect(result!.unparsable).toBe(true);
  });

  it("keeps hostile descriptions inside one string literal (kitchen-sink parses, golden)", async () => {
    const { ir, files } = await generatedFrom("tests/fixtures/kitchen-sink");
    const tables = plan(ir).filter((s) => s.id.startsWith("table."));
    const results = await parseSnowflakeStatements(tables, join(work, "kitchen"));
    expect(results.map((r) => [r.id, r.unparsable, r.statements])).toEqual(tables.map((t) => [t.id, false, 1]));
    expect(tables[0]!.sql).toContain(`COMMENT = 'It''s "quoted" and """triple""" with {{ jinja }} {% tag %} */ /* <b>html</b> | pipe \\\\ back`);
    await expect(fileOf(files, "generated/snowflake/20_kitchen_sink.sql")).toMatchFileSnapshot("../../../tests/__golden__/kitchen-sink/snowflake/20_kitchen_sink.sql");
  });

  it("defines typed virtual columns over VALUE, path-derived partitions and a data-file-only pattern", async () => {
    const { files } = await generatedFrom();
    const sql = fileOf(files, "generated/snowflake/20_review.sql");
    expect(sql).toContain('RATING NUMBER(2,1) AS (VALUE:"rating"::NUMBER(2,1))');
    expect(sql).toContain("REVIEW_DATE DATE AS (TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, '/review_date=', 2), '/', 1), 'YYYY-MM-DD'))");
    expect(sql).toContain("PARTITION BY (REVIEW_DATE)");
    expect(sql).toContain("AUTO_REFRESH = TRUE");
    const pattern = new RegExp(`^${DATA_FILE_PATTERN}$`);
    for (const path of ["review/review_date=2018-06-17/part-00000-1b2c.snappy.parquet", "review/review_date=2018-06-17/data_0.parquet"]) {
      expect(pattern.test(path), path).toBe(true);
    }
    for (const path of [
      "review/_SUCCESS",
      "review/_temporary/0/_temporary/attempt_1/review_date=2018-06-17/part-0.parquet",
      "review/review_date=2018-06-17/.part-0.parquet.crc",
      "review/review_date=2018-06-17/part-0.json",
    ]) {
      expect(pattern.test(path), path).toBe(false);
    }
  });

  it("grants least privilege: loader creates, transformer reads, reporter only uses the database", async () => {
    const { ir } = await generatedFrom();
    const grants = plan(ir).filter((s) => s.sql.startsWith("GRANT")).map((s) => s.sql);
    expect(grants.some((g) => /ALL PRIVILEGES|OWNERSHIP/.test(g))).toBe(false);
    expect(grants.filter((g) => g.includes("AMAZON_REVIEWS_REPORTER"))).toEqual([
      "GRANT ROLE AMAZON_REVIEWS_REPORTER TO ROLE SYSADMIN",
      "GRANT USAGE ON DATABASE AMAZON_REVIEWS TO ROLE AMAZON_REVIEWS_REPORTER",
    ]);
    expect(grants).toContain("GRANT SELECT ON FUTURE EXTERNAL TABLES IN SCHEMA AMAZON_REVIEWS.RAW TO ROLE AMAZON_REVIEWS_TRANSFORMER");
    const sql = plan(ir).map((s) => s.sql).join("\n");
    expect(sql).not.toMatch(/PASSWORD|arn:aws:iam::\d{12}/i);
    expect(sql).toContain("'${STORAGE_AWS_ROLE_ARN}'");
  });
});
