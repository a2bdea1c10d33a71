/**
 * snowflake:apply and snowflake:verify through an injected connection (FakeSnowflake) that records statements and
 * replays Snowflake's documented result shapes: no Snowflake is reachable from CI.
 */
import { describe, expect, it, vi } from "vitest";
import { generatedFrom } from "../../tests/helpers/generate.js";
import { REPO_ROOT } from "../../tests/helpers/data.js";
import { apply, ApplyUsageError, readPlan } from "./apply.js";
import { ConnectionConfigError, connectFromEnv } from "./connection.js";
import { FakeSnowflake, QUEUE_ARN } from "../../tests/helpers/fake-snowflake.js";
import { main } from "./cli.js";
import { normalizeExpression, verify } from "./verify.js";

const ARN = "arn:aws:iam::123456789012:role/amazon-reviews-snowflake";
const plan = () => readPlan(`${REPO_ROOT}/generated/snowflake/plan.json`);
const quiet = { log: () => undefined };

async function appliedFake() {
  const fake = new FakeSnowflake();
  const result = await apply(fake, plan(), { dryRun: false, scope: "all", storageRoleArn: ARN, ...quiet });
  return { fake, result };
}

describe("snowflake:apply", () => {
  it("runs every statement in order, switching roles, with the role ARN substituted", async () => {
    const { fake, result } = await appliedFake();
    const statements = plan().statements;
    expect(result.failed).toBeUndefined();
    expect(result.applied).toEqual(statements.map((s) => s.id));
    const sent = fake.statements.filter((s) => !s.startsWith("USE ROLE") && !/^(SHOW|DESC) /.test(s));
    expect(sent).toEqual(statements.map((s) => s.sql.replace("${STORAGE_AWS_ROLE_ARN}", ARN)));
    expect(fake.statements.join("\n")).not.toContain("${STORAGE_AWS_ROLE_ARN}");
    expect(fake.statements[0]).toBe("USE ROLE USERADMIN");
    // Each statement is preceded by a USE ROLE for its role (when the role changes).
    let role = "";
    for (const s of fake.statements) {
      if (s.startsWith("USE ROLE ")) role = s.slice(9);
      const planned = statements.find((p) => p.sql.replace("${STORAGE_AWS_ROLE_ARN}", ARN) === s);
      if (planned) expect(role, planned.id).toBe(planned.role);
    }
  });

  it("reports the auto-refresh queue of every external table and the integration's IAM user and external id", async () => {
    const { result } = await appliedFake();
    expect(result.notificationChannels).toEqual({ REVIEW: QUEUE_ARN, REVIEW_IMAGES: QUEUE_ARN, PRODUCT: QUEUE_ARN, PRODUCT_CATEGORIES: QUEUE_ARN });
    expect(result.integration).toEqual({
      iamUserArn: "arn:aws:iam::210987654321:user/abc1-b-self1234",
      externalId: "MYACCOUNT_SFCRole=2_a123456/s0aBCDEfGHIJklmNoPq=",
    });
  });

  it("stops at the first failing statement and names it, its role and the error", async () => {
    const fake = new FakeSnowflake();
    fake.failOn = /^CREATE STAGE IF NOT EXISTS AMAZON_REVIEWS\.RAW\.PRODUCT_PROCESSED/;
    const lines: string[] = [];
    const result = await apply(fake, plan(), { dryRun: false, scope: "all", storageRoleArn: ARN, log: (l) => lines.push(l) });
    expect(result.failed).toEqual({ id: "stage.product", role: "AMAZON_REVIEWS_LOADER", message: expect.stringContaining("Insufficient privileges") });
    expect(fake.statements.at(-1)).toMatch(/^CREATE STAGE IF NOT EXISTS AMAZON_REVIEWS\.RAW\.PRODUCT_PROCESSED/);
    expect(lines.join("\n")).toContain("FAILED stage.product (as AMAZON_REVIEWS_LOADER): SQL access control error");
  });

  it("refuses to run without a valid storage role ARN, but a dry run needs none and connects to nothing", async () => {
    await expect(apply(new FakeSnowflake(), plan(), { dryRun: false, scope: "all", ...quiet })).rejects.toThrow(ApplyUsageError);
    await expect(apply(new FakeSnowflake(), plan(), { dryRun: false, scope: "all", storageRoleArn: "arn:aws:iam::1:user/x", ...quiet })).rejects.toThrow(/not an IAM role ARN/);
    const fake = new FakeSnowflake();
    const lines: string[] = [];
    await apply(fake, plan(), { dryRun: true, scope: "all", log: (l) => lines.push(l) });
    expect(fake.statements).toEqual([]);
    expect(lines.filter((l) => /^\[\d+\/\d+\]/.test(l))).toHaveLength(plan().statements.length);
  });

  it("--scope datasets runs only the loader's file format, stages and tables", async () => {
    const fake = new FakeSnowflake();
    const result = await apply(fake, plan(), { dryRun: false, scope: "datasets", ...quiet });
    expect(result.applied).toEqual(["file_format", "stage.product", "table.product", "table.product_categories", "stage.review", "table.review", "table.review_images"]);
    expect(fake.statements.filter((s) => s.startsWith("USE ROLE"))).toEqual(["USE ROLE AMAZON_REVIEWS_LOADER"]);
  });
});

describe("snowflake:verify", () => {
  it("finds no drift right after apply", async () => {
    const { fake } = await appliedFake();
    const { ir } = await generatedFrom();
    expect(await verify(fake, ir)).toEqual([]);
    expect(fake.statements.filter((s) => s.includes("INFORMATION_SCHEMA")).map((s) => s.split(' -- binds: ')[1])).toEqual(['["RAW","PRODUCT"]', '["RAW","PRODUCT_CATEGORIES"]', '["RAW","REVIEW"]', '["RAW","REVIEW_IMAGES"]']);
  });

  it("reports missing, extra and retyped columns, changed expressions and missing tables", async () => {
    const { fake } = await appliedFake();
    const { ir } = await generatedFrom();
    const review = fake.tables.get("AMAZON_REVIEWS.RAW.REVIEW")!;
    fake.tables.set("AMAZON_REVIEWS.RAW.REVIEW", [
      ...review
        .filter((c) => c.name !== "SUMMARY")
        .map((c) => (c.name === "RATING" ? { ...c, type: "NUMBER(3,1)" } : c))
        .map((c) => (c.name === "ASIN" ? { ...c, expression: 'VALUE:"ASIN"::VARCHAR' } : c)),
      { name: "LEGACY_SCORE", type: "FLOAT", expression: 'VALUE:"legacy_score"::FLOAT' },
    ]);
    fake.tables.delete("AMAZON_REVIEWS.RAW.REVIEW_IMAGES");
    const drifts = await verify(fake, ir);
    expect(drifts.map((d) => [d.kind, d.table, d.column])).toEqual([
      ["retyped_column", "AMAZON_REVIEWS.RAW.REVIEW", "RATING"],
      ["changed_expression", "AMAZON_REVIEWS.RAW.REVIEW", "ASIN"],
      ["missing_column", "AMAZON_REVIEWS.RAW.REVIEW", "SUMMARY"],
      ["extra_column", "AMAZON_REVIEWS.RAW.REVIEW", "LEGACY_SCORE"],
      ["missing_table", "AMAZON_REVIEWS.RAW.REVIEW_IMAGES", undefined],
    ]);
  });

  it("compares expressions modulo Snowflake's rewriting, spacing and case, but not key case", () => {
    expect(normalizeExpression("CAST(GET(VALUE, 'rating') AS NUMBER(2,1))")).toBe(normalizeExpression('VALUE:"rating"::NUMBER(2,1)'));
    expect(normalizeExpression('value:"rating"::number(2, 1)')).toBe(normalizeExpression('VALUE:"rating"::NUMBER(2,1)'));
    expect(normalizeExpression('VALUE:"Rating"::NUMBER(2,1)')).not.toBe(normalizeExpression('VALUE:"rating"::NUMBER(2,1)'));
  });
});

describe("CLI", () => {
  it("verify exits 0 when clean and 1 on drift, closing the connection", async () => {
    const { fake } = await appliedFake();
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      expect(await main(["verify", "--root", REPO_ROOT], async () => fake)).toBe(0);
      expect(fake.closed).toBe(true);
      fake.tables.delete("AMAZON_REVIEWS.RAW.PRODUCT");
      expect(await main(["verify", "--root", REPO_ROOT], async () => fake)).toBe(1);
      expect(log.mock.calls.flat().join("\n")).toContain("missing table     AMAZON_REVIEWS.RAW.PRODUCT");
    } finally {
      log.mockRestore();
    }
  });

  it("apply --dry-run connects to nothing; a missing connection setting is a usage error (exit 2)", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      const connect = vi.fn();
      expect(await main(["apply", "--dry-run", "--root", REPO_ROOT], connect)).toBe(0);
      expect(connect).not.toHaveBeenCalled();
      expect(await main(["apply", "--root", REPO_ROOT], () => connectFromEnv({}), {})).toBe(2);
      expect(error.mock.calls.flat().join("\n")).toContain("Missing environment variables: SNOWFLAKE_ACCOUNT");
      expect(await main(["bogus"])).toBe(2);
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  });

  it("never accepts a password", async () => {
    await expect(
      connectFromEnv({ SNOWFLAKE_ACCOUNT: "a", SNOWFLAKE_USER: "u", SNOWFLAKE_ROLE: "r", SNOWFLAKE_WAREHOUSE: "w", SNOWFLAKE_PRIVATE_KEY: "k", SNOWFLAKE_PASSWORD: "p" }),
    ).rejects.toThrow(ConnectionConfigError);
  });
});
