/**
 * snowflake:apply and snowflake:verify through an injected connection (FakeSnowflake) that records statements and
 * replays Snowflake's documented result shapes: no Snowflake is reachable from CI.
 */
import { execFile } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from "vitest";
import { buildFileSet } from "../../generators/assemble/file-set.js";
import { loadIR } from "../../generators/ir/load.js";
import { fileOf, generatedFrom } from "../../tests/helpers/generate.js";
import { REPO_ROOT } from "../../tests/helpers/data.js";
import { apply, ApplyUsageError, PseudonymKeyError, readPlan, type Plan } from "./apply.js";
import { ConnectionConfigError, connectFromEnv } from "./connection.js";
import { FakeSnowflake, QUEUE_ARN } from "../../tests/helpers/fake-snowflake.js";
import { main } from "./cli.js";
import { formatDrift, normalizeExpression, verify } from "./verify.js";

const execFileAsync = promisify(execFile);
const ARN = "arn:aws:iam::123456789012:role/amazon-reviews-snowflake";
const plan = () => readPlan(`${REPO_ROOT}/generated/snowflake/plan.json`);
const quiet = { log: () => undefined };
/** A test key (not a secret): long enough, and distinctive, so that finding it anywhere is a finding. */
const KEY = "test-pseudonym-key-5f2c9e81d7a34b6c";
const KEY_TABLE = "AMAZON_REVIEWS.GOVERNANCE.PSEUDONYM_KEY";

async function appliedFake() {
  const fake = new FakeSnowflake();
  const result = await apply(fake, plan(), { dryRun: false, scope: "all", storageRoleArn: ARN, pseudonymKey: KEY, ...quiet });
  return { fake, result };
}

describe("snowflake:apply", () => {
  it("runs every statement in order, switching roles, with the role ARN substituted", async () => {
    const { fake, result } = await appliedFake();
    const statements = plan().statements;
    expect(result.failed).toBeUndefined();
    expect(result.applied).toEqual(statements.map((s) => s.id));
    const sent = fake.statements.filter((s) => !s.startsWith("USE ROLE") && !/^(SHOW|DESC) /.test(s));
    // The plan, then the key load on the plan's warehouse. A stage's URL is altered only when it changed: the stages
    // were just created with the plan's URLs.
    expect(sent).toEqual([
      ...statements.filter((s) => !/^stage\.[a-z_]+\.url$/.test(s.id)).map((s) => s.sql.replace("${STORAGE_AWS_ROLE_ARN}", ARN)),
      "USE WAREHOUSE AMAZON_REVIEWS_WH",
      `INSERT OVERWRITE INTO ${KEY_TABLE} (KEY) VALUES (?)`,
    ]);
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

  it("creates the warehouse that dbt and QuickSight use, as SYSADMIN, and grants its USAGE to their roles after creating them", async () => {
    const { fake, result } = await appliedFake();
    expect(result.failed).toBeUndefined();
    const profile = readFileSync(join(REPO_ROOT, "dbt-out/profiles/profiles.yml"), "utf8");
    const quicksight = JSON.parse(readFileSync(join(REPO_ROOT, "generated/quicksight/quicksight.json"), "utf8")) as { dataSource: { warehouse: string; role: string } };
    const name = quicksight.dataSource.warehouse;
    expect(profile).toContain(`warehouse: "{{ env_var('SNOWFLAKE_WAREHOUSE', '${name}') }}"`);
    // What ran, each after the USE ROLE of its role.
    const ran = (pattern: RegExp) => fake.statements.flatMap((s, i) => (pattern.test(s) ? [[fake.statements.slice(0, i).filter((u) => u.startsWith("USE ROLE ")).at(-1), s] as const] : []));
    expect(ran(/^CREATE WAREHOUSE /)).toEqual([["USE ROLE SYSADMIN", expect.stringMatching(new RegExp(`^CREATE WAREHOUSE IF NOT EXISTS ${name}\n`))]]);
    expect(ran(/ ON WAREHOUSE /)).toEqual([
      ["USE ROLE SECURITYADMIN", `GRANT USAGE ON WAREHOUSE ${name} TO ROLE AMAZON_REVIEWS_TRANSFORMER`],
      ["USE ROLE SECURITYADMIN", `GRANT USAGE ON WAREHOUSE ${name} TO ROLE ${quicksight.dataSource.role}`],
    ]);
    const index = (sql: string) => fake.statements.findIndex((s) => s.startsWith(sql));
    for (const role of ["AMAZON_REVIEWS_TRANSFORMER", quicksight.dataSource.role]) {
      expect(index(`CREATE ROLE IF NOT EXISTS ${role}`)).toBeLessThan(index(`GRANT USAGE ON WAREHOUSE ${name} TO ROLE ${role}`));
    }
    expect(index("CREATE WAREHOUSE ")).toBeLessThan(index(`GRANT USAGE ON WAREHOUSE `));
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
    expect(lines.join("\n")).not.toContain("Enterprise Edition");
  });

  it("names the edition tags and masking policies need when such a statement fails (a Standard Edition account stops there)", async () => {
    for (const [failOn, id] of [
      [/^CREATE TAG IF NOT EXISTS /, "tag.pii"],
      [/^CREATE MASKING POLICY IF NOT EXISTS AMAZON_REVIEWS\.GOVERNANCE\.PII_STRING_MASK/, "masking_policy.string"],
      [/^ALTER TABLE AMAZON_REVIEWS\.RAW\.REVIEW MODIFY COLUMN VALUE SET MASKING POLICY/, "table.review.value_mask"],
    ] as const) {
      const fake = new FakeSnowflake();
      fake.failOn = failOn;
      const lines: string[] = [];
      const result = await apply(fake, plan(), { dryRun: false, scope: "all", storageRoleArn: ARN, log: (l) => lines.push(l) });
      expect(result.failed?.id).toBe(id);
      expect(lines.join("\n")).toContain("tags and masking policies (the protection of personal data) need Enterprise Edition or higher");
    }
  });

  it("first deploy: prints the integration's IAM user and external id as soon as it exists, so a table Snowflake cannot read yet still leaves what Terraform's second phase needs", async () => {
    expect(plan().statements.map((st) => st.id)).toContain("integration.locations");
    const fake = new FakeSnowflake();
    // Before the IAM role trusts the integration's user, creating an external table (it lists the stage) fails.
    fake.failOn = /^CREATE OR REPLACE EXTERNAL TABLE /;
    const lines: string[] = [];
    const result = await apply(fake, plan(), { dryRun: false, scope: "all", storageRoleArn: ARN, log: (l) => lines.push(l) });
    expect(result.failed?.id).toMatch(/^table\./);
    expect(result.integration).toEqual({ iamUserArn: "arn:aws:iam::210987654321:user/abc1-b-self1234", externalId: "MYACCOUNT_SFCRole=2_a123456/s0aBCDEfGHIJklmNoPq=" });
    const text = lines.join("\n");
    expect(text.indexOf("storage integration IAM user: arn:aws:iam::210987654321:user/abc1-b-self1234")).toBeLessThan(text.indexOf("FAILED table."));
    expect(text).toContain("On the first deploy this is expected");
    // The names the messages give are Terraform's own.
    const outputs = readFileSync(join(REPO_ROOT, "infra/outputs.tf"), "utf8");
    const variables = readFileSync(join(REPO_ROOT, "infra/variables.tf"), "utf8");
    for (const name of ["snowflake_iam_user_arn", "snowflake_external_id"]) expect(variables).toContain(`variable "${name}"`);
    const all = await apply(new FakeSnowflake(), plan(), { dryRun: false, scope: "all", storageRoleArn: ARN, log: (l) => lines.push(l) });
    expect(all.failed).toBeUndefined();
    for (const name of [...lines.join("\n").matchAll(/Terraform variables? (\w+)/g)].map((m) => m[1]!)) expect(variables).toContain(`variable "${name}"`);
    const unset = await apply(new FakeSnowflake(), plan(), { dryRun: false, scope: "all", ...quiet }).catch((error: unknown) => String(error));
    const output = /Terraform output (\w+)/.exec(unset as string)![1]!;
    expect(outputs).toContain(`output "${output}"`);
  });

  it("takes a role ARN of any AWS partition (GovCloud, China), as Terraform's output gives it", async () => {
    for (const arn of ["arn:aws-us-gov:iam::123456789012:role/x", "arn:aws-cn:iam::123456789012:role/x"]) {
      const result = await apply(new FakeSnowflake(), plan(), { dryRun: false, scope: "all", storageRoleArn: arn, ...quiet });
      expect(result.failed).toBeUndefined();
    }
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

  it("re-creates an external table only when its definition changed (re-creating one lists all its files again)", async () => {
    const { fake } = await appliedFake();
    const creates = () => fake.statements.filter((st) => st.startsWith("CREATE OR REPLACE EXTERNAL TABLE")).map((st) => /TABLE ([A-Z0-9_.]+)/.exec(st)![1]);
    expect(creates()).toHaveLength(4);
    // Every comment carries the digest of its statement.
    for (const st of plan().statements.filter((p) => /^table\.[a-z_]+$/.test(p.id))) expect(st.sql).toMatch(/definition sha256:[0-9a-f]{16}\)'$/);
    fake.statements.length = 0;
    const lines: string[] = [];
    const again = await apply(fake, plan(), { dryRun: false, scope: "all", storageRoleArn: ARN, pseudonymKey: KEY, log: (l) => lines.push(l) });
    expect(again.failed).toBeUndefined();
    expect(creates()).toEqual([]);
    expect(again.unchanged).toHaveLength(4);
    expect(lines.join("\n")).toContain("unchanged since it was created (definition sha256:");
    // Masks and tags are set again all the same (idempotent).
    expect(fake.columnPolicies.get("AMAZON_REVIEWS.RAW.REVIEW.VALUE")).toBe("AMAZON_REVIEWS.GOVERNANCE.REVIEW_VALUE_MASK");
    // A changed definition (another digest), and a table created without one (an older generator), are re-created.
    const changed = plan();
    const review = changed.statements.find((st) => st.id === "table.review")!;
    Object.assign(review, { sql: review.sql.replace(/definition sha256:[0-9a-f]{16}/, "definition sha256:0000000000000000") });
    fake.comments.set("AMAZON_REVIEWS.RAW.PRODUCT", "Products. (contract 1.0.0)");
    fake.statements.length = 0;
    const third = await apply(fake, changed, { dryRun: false, scope: "all", storageRoleArn: ARN, pseudonymKey: KEY, ...quiet });
    expect(third.failed).toBeUndefined();
    expect(creates()).toEqual(["AMAZON_REVIEWS.RAW.PRODUCT", "AMAZON_REVIEWS.RAW.REVIEW"]);
  });

  describe("a dataset moved to another processed location", () => {
    const MOVED = "s3://amazon-reviews-processed-v2/reviews/";
    let contracts: string;
    /** The plan of the contracts with review's processed location changed, generated the way `generate` does. */
    let moved: Plan;
    beforeAll(async () => {
      // Same depth as tests/fixtures/kitchen-sink, so the contracts' imports resolve to the real contract kit.
      contracts = mkdtempSync(join(REPO_ROOT, "tests/fixtures/.scratch-"));
      for (const name of ["review.contract.ts", "product.contract.ts"]) {
        const source = readFileSync(join(REPO_ROOT, "contracts", name), "utf8").replaceAll('"../generators/', '"../../../generators/');
        writeFileSync(join(contracts, name), source.replace('processed: "s3://amazon-reviews-processed/reviews/"', `processed: "${MOVED}"`));
      }
      expect(readFileSync(join(contracts, "review.contract.ts"), "utf8")).toContain(MOVED);
      const { files } = await buildFileSet(await loadIR(contracts, REPO_ROOT));
      moved = JSON.parse(fileOf(files, "generated/snowflake/plan.json")) as Plan;
    });
    afterAll(() => rmSync(contracts, { recursive: true, force: true }));

    it("moves the stage and re-creates the dataset's external tables over the new location, after dropping them; the other dataset's stay", async () => {
      const { fake } = await appliedFake();
      fake.statements.length = 0;
      const lines: string[] = [];
      const result = await apply(fake, moved, { dryRun: false, scope: "all", storageRoleArn: ARN, pseudonymKey: KEY, log: (l) => lines.push(l) });
      expect(result.failed).toBeUndefined();
      expect(fake.stages.get("AMAZON_REVIEWS.RAW.REVIEW_PROCESSED")).toBe(MOVED);
      expect(fake.stages.get("AMAZON_REVIEWS.RAW.PRODUCT_PROCESSED")).toBe("s3://amazon-reviews-processed/products/");
      // Dropped (Snowflake refuses to move a stage external tables depend on), moved, then created again: in that order.
      const touched = fake.statements.filter((st) => /^(DROP EXTERNAL TABLE|ALTER STAGE|CREATE OR REPLACE EXTERNAL TABLE)/.test(st)).map((st) => st.split("\n")[0]!.replace(/ \($| SET URL .*$/, ""));
      expect(touched).toEqual([
        "DROP EXTERNAL TABLE IF EXISTS AMAZON_REVIEWS.RAW.REVIEW",
        "DROP EXTERNAL TABLE IF EXISTS AMAZON_REVIEWS.RAW.REVIEW_IMAGES",
        "ALTER STAGE AMAZON_REVIEWS.RAW.REVIEW_PROCESSED",
        "CREATE OR REPLACE EXTERNAL TABLE AMAZON_REVIEWS.RAW.REVIEW",
        "CREATE OR REPLACE EXTERNAL TABLE AMAZON_REVIEWS.RAW.REVIEW_IMAGES",
      ]);
      expect(fake.statements).toContain(`ALTER STAGE AMAZON_REVIEWS.RAW.REVIEW_PROCESSED SET URL = '${MOVED}' STORAGE_INTEGRATION = AMAZON_REVIEWS_S3`);
      expect(result.unchanged).toEqual(["table.product", "table.product_categories"]);
      expect(lines.join("\n")).toContain(`URL changes from s3://amazon-reviews-processed/reviews/ to ${MOVED}`);
      // The re-created table is protected again, and reads the new location.
      expect(fake.columnPolicies.get("AMAZON_REVIEWS.RAW.REVIEW.VALUE")).toBe("AMAZON_REVIEWS.GOVERNANCE.REVIEW_VALUE_MASK");
      expect(fake.tableStages.get("AMAZON_REVIEWS.RAW.REVIEW")).toBe("AMAZON_REVIEWS.RAW.REVIEW_PROCESSED");
      // Applied again: nothing moves, nothing is re-created.
      fake.statements.length = 0;
      const again = await apply(fake, moved, { dryRun: false, scope: "all", storageRoleArn: ARN, pseudonymKey: KEY, ...quiet });
      expect(again.failed).toBeUndefined();
      expect(fake.statements.filter((st) => /^(DROP|ALTER STAGE|CREATE OR REPLACE EXTERNAL TABLE)/.test(st))).toEqual([]);
      expect(again.unchanged).toHaveLength(4);
    });

    it("the tables' definition digests cover the location (their statements alone would not change: LOCATION is relative to the stage)", () => {
      const table = (p: Plan, id: string) => p.statements.find((st) => st.id === id)!.sql;
      for (const id of ["table.review", "table.review_images"]) {
        expect(table(moved, id).replace(/sha256:[0-9a-f]{16}/, "")).toBe(table(plan(), id).replace(/sha256:[0-9a-f]{16}/, ""));
        expect(table(moved, id)).not.toBe(table(plan(), id));
      }
      for (const id of ["table.product", "table.product_categories"]) expect(table(moved, id)).toBe(table(plan(), id));
    });

    it("--scope datasets refuses to move a stage (the storage integration must allow the new location first) and drops nothing", async () => {
      const { fake } = await appliedFake();
      fake.statements.length = 0;
      const lines: string[] = [];
      const result = await apply(fake, moved, { dryRun: false, scope: "datasets", log: (l) => lines.push(l) });
      expect(result.failed).toEqual({ id: "stage.review.url", role: "AMAZON_REVIEWS_LOADER", message: expect.stringContaining("run the full snowflake:apply (scope all)") });
      expect(fake.statements.filter((st) => /^(DROP|ALTER STAGE)/.test(st))).toEqual([]);
      expect(fake.stages.get("AMAZON_REVIEWS.RAW.REVIEW_PROCESSED")).toBe("s3://amazon-reviews-processed/reviews/");
      expect(fake.tables.has("AMAZON_REVIEWS.RAW.REVIEW")).toBe(true);
    });
  });

  it("keeps the file format's options current without re-creating it (external tables depend on it)", () => {
    const statements = plan().statements;
    const create = statements.find((st) => st.id === "file_format")!.sql;
    const options = statements.find((st) => st.id === "file_format.options")!;
    expect(statements.some((st) => /^CREATE OR REPLACE (FILE FORMAT|STAGE) /.test(st.sql))).toBe(false);
    expect(options.sql).toBe(`ALTER FILE FORMAT AMAZON_REVIEWS.RAW.PARQUET_FF SET ${create.split("\n").slice(2).map((l) => l.trim()).join(" ")}`);
    expect(options.sql).toBe("ALTER FILE FORMAT AMAZON_REVIEWS.RAW.PARQUET_FF SET USE_LOGICAL_TYPE = TRUE");
  });

  it("--scope datasets runs only the loader's file format, stages and tables (and re-applies their masks and tags)", async () => {
    // After a bootstrap: the VALUE policies and the tag exist.
    const { fake: bootstrapped } = await appliedFake();
    const fake = Object.assign(bootstrapped, { statements: [] as string[] });
    const result = await apply(fake, plan(), { dryRun: false, scope: "datasets", ...quiet });
    expect(result.applied).toEqual([
      "file_format", "file_format.options", "stage.product", "stage.product.url", "table.product", "table.product_categories",
      "stage.review", "stage.review.url", "table.review", "table.review.value_mask", "table.review.pii_tag", "table.review_images",
    ]);
    expect(fake.statements.filter((s) => s.startsWith("USE ROLE"))).toEqual(["USE ROLE AMAZON_REVIEWS_LOADER"]);
    // The loader's part does not load the key (SYSADMIN's).
    expect(fake.statements.some((s) => s.startsWith("INSERT"))).toBe(false);
    // The tables were unchanged, so none was re-created; the loader set the mask and the tag on REVIEW again.
    expect(result.unchanged).toEqual(["table.product", "table.product_categories", "table.review", "table.review_images"]);
    expect(fake.columnPolicies.get("AMAZON_REVIEWS.RAW.REVIEW.VALUE")).toBe("AMAZON_REVIEWS.GOVERNANCE.REVIEW_VALUE_MASK");
    expect(fake.objectTags.get("AMAZON_REVIEWS.RAW.REVIEW")?.get("AMAZON_REVIEWS.GOVERNANCE.PII")).toBe("personal");
  });
});

describe("snowflake:apply and personal data", () => {
  it("masks VALUE of every table with personal columns, tags it, and gives the PII tag its string policy", async () => {
    const { fake } = await appliedFake();
    expect(Object.fromEntries(fake.columnPolicies)).toEqual({ "AMAZON_REVIEWS.RAW.REVIEW.VALUE": "AMAZON_REVIEWS.GOVERNANCE.REVIEW_VALUE_MASK" });
    expect([...fake.objectTags].map(([t, tags]) => [t, Object.fromEntries(tags)])).toEqual([["AMAZON_REVIEWS.RAW.REVIEW", { "AMAZON_REVIEWS.GOVERNANCE.PII": "personal" }]]);
    expect(Object.fromEntries(fake.tags.get("AMAZON_REVIEWS.GOVERNANCE.PII")!.policies)).toEqual({ STRING: "AMAZON_REVIEWS.GOVERNANCE.PII_STRING_MASK" });
  });

  it("is re-runnable: a second apply succeeds and leaves the same state; without FORCE or IF NOT EXISTS it would not", async () => {
    const { fake } = await appliedFake();
    const state = (f: FakeSnowflake) => JSON.stringify([[...f.policies], [...f.columnPolicies], [...f.objectTags].map(([t, m]) => [t, [...m]]), [...f.tags].map(([t, v]) => [t, [...v.policies]])]);
    const first = state(fake);
    const again = await apply(fake, plan(), { dryRun: false, scope: "all", storageRoleArn: ARN, pseudonymKey: KEY, ...quiet });
    expect(again.failed).toBeUndefined();
    expect(state(fake)).toBe(first);
    // Negative controls: the same plan without the re-run guards fails on its second run.
    for (const [guard, strip, failing] of [
      ["FORCE on the tag", / FORCE$/, "tag.pii.masking_policy"],
      ["IF NOT EXISTS on the masking policy", /IF NOT EXISTS (?=AMAZON_REVIEWS\.GOVERNANCE\.PII_STRING_MASK)/, "masking_policy.string"],
    ] as const) {
      const unguarded = { statements: plan().statements.map((s) => (s.id === failing ? { ...s, sql: s.sql.replace(strip, "") } : s)) };
      const fresh = new FakeSnowflake();
      expect((await apply(fresh, unguarded, { dryRun: false, scope: "all", storageRoleArn: ARN, ...quiet })).failed, guard).toBeUndefined();
      expect((await apply(fresh, unguarded, { dryRun: false, scope: "all", storageRoleArn: ARN, ...quiet })).failed?.id, guard).toBe(failing);
    }
  });

  it("loads the key as a bind parameter after the plan, as SYSADMIN, and never echoes it", async () => {
    const fake = new FakeSnowflake();
    const lines: string[] = [];
    const outDir = mkdtempSync(join(tmpdir(), "snowflake-apply-"));
    onTestFinished(() => rmSync(outDir, { recursive: true, force: true }));
    const out = join(outDir, "outputs.json");
    const log = vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void lines.push(a.join(" ")));
    const error = vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void lines.push(a.join(" ")));
    try {
      expect(await main(["apply", "--root", REPO_ROOT, "--outputs", out], async () => fake, { STORAGE_AWS_ROLE_ARN: ARN, CONTRACT_PSEUDONYM_KEY: KEY })).toBe(0);
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
    // Loaded: the table holds the key, bound to the one INSERT, as SYSADMIN.
    expect(fake.rows.get(KEY_TABLE)).toEqual([KEY]);
    const load = fake.executions.findIndex((e) => e.sqlText.startsWith("INSERT OVERWRITE"));
    expect(fake.executions[load]!.binds).toEqual([KEY]);
    expect(fake.statements.slice(0, load).filter((s) => s.startsWith("USE ROLE")).at(-1)).toBe("USE ROLE SYSADMIN");
    expect(lines.join("\n")).toContain(`pseudonym key loaded into ${KEY_TABLE}`);
    // Echoed nowhere: not in apply's output, not in any SQL text sent, not in --outputs, not under generated/.
    expect(lines.join("\n")).not.toContain(KEY);
    expect(fake.statements.join("\n")).not.toContain(KEY);
    expect(readFileSync(out, "utf8")).not.toContain(KEY);
    expect(JSON.parse(readFileSync(out, "utf8")).pseudonymKeyLoaded).toBe(true);
    const generated = readdirSync(join(REPO_ROOT, "generated"), { recursive: true, encoding: "utf8" }).map((f) => join(REPO_ROOT, "generated", f)).filter((f) => statSync(f).isFile());
    expect(generated.length).toBeGreaterThan(20);
    expect(generated.filter((f) => readFileSync(f, "utf8").includes(KEY))).toEqual([]);
  });

  it("keeps the key out of a failure's message", async () => {
    const fake = new FakeSnowflake();
    fake.execute = ((original) => async (sqlText: string, binds?: readonly (string | number)[]) => {
      if (sqlText.startsWith("INSERT")) throw new Error(`String '${String(binds?.[0])}' is too long and would be truncated`);
      return original(sqlText, binds);
    })(fake.execute.bind(fake));
    const lines: string[] = [];
    const result = await apply(fake, plan(), { dryRun: false, scope: "all", storageRoleArn: ARN, pseudonymKey: KEY, log: (l) => lines.push(l) });
    expect(result.failed).toEqual({ id: "pseudonym_key.load", role: "SYSADMIN", message: "String '[key]' is too long and would be truncated" });
    expect(lines.join("\n")).not.toContain(KEY);
    // A key with a quote and a backslash, echoed escaped as JSON and as a SQL literal.
    const odd = `${KEY}'q"b\\s`;
    const echoing = new FakeSnowflake();
    echoing.execute = ((original) => async (sqlText: string, binds?: readonly (string | number)[]) => {
      const bound = String(binds?.[0]);
      if (sqlText.startsWith("INSERT")) throw new Error(`Bind values ${JSON.stringify([bound])} rejected near '${bound.replaceAll("'", "''")}'`);
      return original(sqlText, binds);
    })(echoing.execute.bind(echoing));
    const escaped = await apply(echoing, plan(), { dryRun: false, scope: "all", storageRoleArn: ARN, pseudonymKey: odd, ...quiet });
    expect(escaped.failed?.message).toBe(`Bind values ["[key]"] rejected near '[key]'`);
  });

  it("without the key, applies the plan and says in one line that the key was not loaded", async () => {
    const fake = new FakeSnowflake();
    const lines: string[] = [];
    const result = await apply(fake, plan(), { dryRun: false, scope: "all", storageRoleArn: ARN, log: (l) => lines.push(l) });
    expect(result.failed).toBeUndefined();
    expect(result.pseudonymKeyLoaded).toBe(false);
    expect(fake.statements.some((s) => s.startsWith("INSERT"))).toBe(false);
    expect(lines.filter((l) => l.includes("pseudonym key"))).toEqual([
      `pseudonym key not loaded: CONTRACT_PSEUDONYM_KEY is not set, so ${KEY_TABLE} is empty or keeps its previous key; dbt runs fail until it holds one (set CONTRACT_PSEUDONYM_KEY and run snowflake:apply again).`,
    ]);
  });

  it("PII.NO_KEY: refuses a key shorter than the minimum before connecting, without printing it", async () => {
    const short = "short-secret-key-123";
    const connect = vi.fn();
    const lines: string[] = [];
    const error = vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void lines.push(a.join(" ")));
    try {
      expect(await main(["apply", "--root", REPO_ROOT], connect, { STORAGE_AWS_ROLE_ARN: ARN, CONTRACT_PSEUDONYM_KEY: short })).toBe(2);
      expect(await main(["apply", "--dry-run", "--root", REPO_ROOT], connect, { CONTRACT_PSEUDONYM_KEY: short })).toBe(2);
    } finally {
      error.mockRestore();
    }
    expect(connect).not.toHaveBeenCalled();
    expect(lines[0]).toMatch(/^error PII\.NO_KEY: CONTRACT_PSEUDONYM_KEY holds a key of 20 character\(s\); a pseudonym key needs at least 32\. Nothing was applied\.\n {2}fix: set CONTRACT_PSEUDONYM_KEY to a secret of at least 32 characters and load it/);
    expect(lines.join("\n")).not.toContain(short);
    // Counted in characters, not bytes: 32 two-byte characters pass.
    await expect(apply(new FakeSnowflake(), plan(), { dryRun: true, scope: "all", pseudonymKey: "é".repeat(32), ...quiet })).resolves.toBeDefined();
    await expect(apply(new FakeSnowflake(), plan(), { dryRun: true, scope: "all", pseudonymKey: "é".repeat(31), ...quiet })).rejects.toThrow(PseudonymKeyError);
  });
});

describe("snowflake:verify", () => {
  it("finds no drift right after apply", async () => {
    const { fake } = await appliedFake();
    const { ir } = await generatedFrom();
    expect(await verify(fake, ir)).toEqual([]);
    expect(fake.executions.filter((e) => e.sqlText.includes("INFORMATION_SCHEMA")).map((e) => e.binds)).toEqual([["RAW", "PRODUCT"], ["RAW", "PRODUCT_CATEGORIES"], ["RAW", "REVIEW"], ["RAW", "REVIEW_IMAGES"]]);
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

  it("checks, as the transformer, that the key table holds exactly one key of the minimum length", async () => {
    const { ir } = await generatedFrom();
    const drifts = async (fake: FakeSnowflake) => (await verify(fake, ir)).filter((d) => d.kind === "pseudonym_key").map((d) => [d.table, d.actual]);
    const { fake } = await appliedFake();
    expect(await drifts(fake)).toEqual([]);
    expect(fake.statements.slice(-3)).toEqual([
      "USE ROLE AMAZON_REVIEWS_TRANSFORMER",
      "USE WAREHOUSE AMAZON_REVIEWS_WH",
      `SELECT COUNT(*) AS KEY_ROWS, MIN(LENGTH(KEY)) AS SHORTEST_KEY FROM ${KEY_TABLE}`,
    ]);
    fake.rows.set(KEY_TABLE, []);
    expect(await drifts(fake)).toEqual([[KEY_TABLE, "no key"]]);
    fake.rows.set(KEY_TABLE, ["too-short"]);
    expect(await drifts(fake)).toEqual([[KEY_TABLE, "a key of 9 characters"]]);
    fake.rows.set(KEY_TABLE, [KEY, KEY]);
    expect(await drifts(fake)).toEqual([[KEY_TABLE, "2 keys"]]);
    fake.rows.delete(KEY_TABLE);
    expect(await drifts(fake)).toEqual([[KEY_TABLE, expect.stringContaining("does not exist or not authorized")]]);
    expect(formatDrift((await verify(fake, ir)).find((d) => d.kind === "pseudonym_key")!)).toContain("(set CONTRACT_PSEUDONYM_KEY and run snowflake:apply)");
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
      // The count names the statements of the scope asked for, not the whole plan.
      expect(await main(["apply", "--dry-run", "--scope", "datasets", "--root", REPO_ROOT], connect)).toBe(0);
      const datasets = plan().statements.filter((st) => /^(stage|table|file_format)[.]?/.test(st.id)).length;
      expect(datasets).toBeLessThan(plan().statements.length);
      expect(log.mock.calls.flat().join("\n")).toContain(`Dry run: ${datasets} statements of the plan in scope datasets, nothing executed.`);
      expect(await main(["apply", "--root", REPO_ROOT], () => connectFromEnv({}), { STORAGE_AWS_ROLE_ARN: ARN })).toBe(2);
      expect(error.mock.calls.flat().join("\n")).toContain("Missing environment variables: SNOWFLAKE_ACCOUNT");
      expect(await main(["bogus"])).toBe(2);
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  });

  it("refuses what would lose or misplace outputs, and options of the other command, before connecting (exit 2)", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const work = mkdtempSync(join(tmpdir(), "snowflake-cli-"));
    onTestFinished(() => rmSync(work, { recursive: true, force: true }));
    try {
      const connect = vi.fn();
      const outputs = join(work, "outputs.json");
      writeFileSync(outputs, '{"kept": true}\n');
      const cases: [string[], string][] = [
        [["apply", "--dry-run", "--outputs", outputs], "--outputs with --dry-run"],
        [["apply", "--outputs", join(work, "missing", "o.json")], `the folder ${join(work, "missing")} does not exist`],
        [["apply", "--outputs", work], "is a folder"],
        [["verify", "--dry-run", "--scope", "datasets"], "--dry-run, --scope are options of apply, not of verify"],
        [["apply", "--root", join(work, "nowhere")], `error CLI.USAGE: --root ${join(work, "nowhere")} does not exist`],
        [["apply", "--root", work], `no Snowflake plan at ${join(work, "generated/snowflake/plan.json")}`],
        [["apply", "datasets"], 'apply takes no argument, got "datasets".'],
      ];
      for (const [args, message] of cases) {
        error.mockClear();
        expect(await main([...args, ...(args.includes("--root") ? [] : ["--root", REPO_ROOT])], connect), args.join(" ")).toBe(2);
        expect(error.mock.calls.flat().join("\n"), args.join(" ")).toContain(message);
      }
      // The role ARN the storage integration needs is checked before logging in, too.
      error.mockClear();
      expect(await main(["apply", "--root", REPO_ROOT], connect, { CONTRACT_PSEUDONYM_KEY: KEY })).toBe(2);
      expect(error.mock.calls.flat().join("\n")).toContain("STORAGE_AWS_ROLE_ARN is not set");
      expect(connect).not.toHaveBeenCalled();
      expect(readFileSync(outputs, "utf8")).toBe('{"kept": true}\n');
      // An apply writes its outputs whole, over the file, through a new temporary: a link planted under the name the
      // temporary had (`<outputs>.partial`) is not followed.
      const victim = join(work, "victim.txt");
      writeFileSync(victim, "not the apply's\n");
      symlinkSync(victim, `${outputs}.partial`);
      const { fake } = await appliedFake();
      expect(await main(["apply", "--outputs", outputs, "--root", REPO_ROOT], async () => fake, { STORAGE_AWS_ROLE_ARN: ARN })).toBe(0);
      expect(JSON.parse(readFileSync(outputs, "utf8")).failed).toBeUndefined();
      expect(readFileSync(victim, "utf8")).toBe("not the apply's\n");
      expect(readdirSync(work).sort()).toEqual(["outputs.json", "outputs.json.partial", "victim.txt"]);
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  });

  it("says what is wrong with a private key path that does not exist or is a folder (no raw ENOENT/EISDIR)", async () => {
    const base = { SNOWFLAKE_ACCOUNT: "a", SNOWFLAKE_USER: "u", SNOWFLAKE_ROLE: "r", SNOWFLAKE_WAREHOUSE: "w" };
    await expect(connectFromEnv({ ...base, SNOWFLAKE_PRIVATE_KEY_PATH: "/nonexistent/key.p8" })).rejects.toMatchObject({
      message: "SNOWFLAKE_PRIVATE_KEY_PATH=/nonexistent/key.p8 does not exist.",
      fix: expect.stringContaining("point it at the PKCS#8 private key file"),
    });
    await expect(connectFromEnv({ ...base, SNOWFLAKE_PRIVATE_KEY_PATH: tmpdir() })).rejects.toMatchObject({ message: `SNOWFLAKE_PRIVATE_KEY_PATH=${tmpdir()} is a folder.` });
  });

  /** A loopback HTTP server that records each request's method and path and answers with `answer`'s status and JSON. */
  async function recordingServer(answer: { status: number; body: unknown }): Promise<{ url: string; requests: string[] }> {
    const requests: string[] = [];
    const server = createServer((request, response) => {
      requests.push(`${request.method} ${request.url?.split("?")[0]}`);
      request.resume();
      request.on("end", () => {
        response.writeHead(answer.status, { "content-type": "application/json" });
        response.end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    onTestFinished(() => new Promise<void>((done) => server.close(() => done())));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
  }
  // Snowflake's login answer for a key it does not accept (HTTP 200, success false); snowflake-sdk's connectAsync
  // hands it to its callback and resolves anyway.
  const refusedLogin = { status: 200, body: { data: null, code: "390144", message: "JWT token is invalid.", success: false } };
  const LOGIN_ENV = { SNOWFLAKE_ACCOUNT: "myorg-myaccount", SNOWFLAKE_USER: "DEPLOYER", SNOWFLAKE_ROLE: "SYSADMIN", SNOWFLAKE_WAREHOUSE: "W" };
  const pkcs8 = (passphrase?: string) =>
    generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: passphrase ? { type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase } : { type: "pkcs8", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    }).privateKey;

  it("a refused login fails at once, naming the account and the user, not at the first statement (real snowflake-sdk, loopback login endpoint)", async () => {
    const login = await recordingServer(refusedLogin);
    const lines: string[] = [];
    const failure = connectFromEnv({ ...LOGIN_ENV, SNOWFLAKE_PRIVATE_KEY: pkcs8() }, { accessUrl: login.url }, (line) => lines.push(line));
    await expect(failure).rejects.toThrow(ConnectionConfigError);
    await expect(failure).rejects.toMatchObject({ message: "cannot log in to Snowflake account myorg-myaccount as DEPLOYER: JWT token is invalid.", fix: expect.stringMatching(/^check SNOWFLAKE_ACCOUNT/) });
    expect(login.requests).toEqual(["POST /session/v1/login-request"]);
    expect(lines).toEqual(["Connecting to Snowflake account myorg-myaccount as DEPLOYER (a login that meets a network error is tried up to 7 more times, for at most 5 minutes) …"]);
  });

  it("signs the login with an encrypted key and its passphrase, and reads the key file when SNOWFLAKE_PRIVATE_KEY is empty (an unset GitHub secret)", async () => {
    const login = await recordingServer(refusedLogin);
    const refused = "cannot log in to Snowflake account myorg-myaccount as DEPLOYER: JWT token is invalid.";
    // Encrypted PKCS#8: the SDK decrypts it with the passphrase and sends the login request.
    const encrypted = pkcs8("a passphrase");
    await expect(connectFromEnv({ ...LOGIN_ENV, SNOWFLAKE_PRIVATE_KEY: encrypted, SNOWFLAKE_PRIVATE_KEY_PASSPHRASE: "a passphrase" }, { accessUrl: login.url }, () => undefined)).rejects.toMatchObject({ message: refused });
    // The same key without its passphrase, or with another, is refused before any request, saying which.
    await expect(connectFromEnv({ ...LOGIN_ENV, SNOWFLAKE_PRIVATE_KEY: encrypted }, { accessUrl: login.url }, () => undefined)).rejects.toMatchObject({
      message: "SNOWFLAKE_PRIVATE_KEY is an encrypted private key, and SNOWFLAKE_PRIVATE_KEY_PASSPHRASE is not set.",
      fix: "set SNOWFLAKE_PRIVATE_KEY_PASSPHRASE to the key's passphrase.",
    });
    const pkcs1 = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs1", format: "pem", cipher: "aes-256-cbc", passphrase: "a passphrase" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    }).privateKey;
    await expect(connectFromEnv({ ...LOGIN_ENV, SNOWFLAKE_PRIVATE_KEY: pkcs1 }, { accessUrl: login.url }, () => undefined)).rejects.toMatchObject({
      message: "SNOWFLAKE_PRIVATE_KEY is an encrypted private key, and SNOWFLAKE_PRIVATE_KEY_PASSPHRASE is not set.",
    });
    await expect(connectFromEnv({ ...LOGIN_ENV, SNOWFLAKE_PRIVATE_KEY: encrypted, SNOWFLAKE_PRIVATE_KEY_PASSPHRASE: "another" }, { accessUrl: login.url }, () => undefined)).rejects.toMatchObject({
      message: expect.stringMatching(/^SNOWFLAKE_PRIVATE_KEY cannot be decrypted with SNOWFLAKE_PRIVATE_KEY_PASSPHRASE: /),
      fix: "set SNOWFLAKE_PRIVATE_KEY_PASSPHRASE to the passphrase the key was encrypted with.",
    });
    // An empty SNOWFLAKE_PRIVATE_KEY beside a key file: the file's key is used.
    const work = mkdtempSync(join(tmpdir(), "snowflake-key-"));
    onTestFinished(() => rmSync(work, { recursive: true, force: true }));
    writeFileSync(join(work, "rsa_key.p8"), pkcs8(), { mode: 0o600 });
    await expect(connectFromEnv({ ...LOGIN_ENV, SNOWFLAKE_PRIVATE_KEY: "", SNOWFLAKE_PRIVATE_KEY_PATH: join(work, "rsa_key.p8") }, { accessUrl: login.url }, () => undefined)).rejects.toMatchObject({ message: refused });
    expect(login.requests).toEqual(["POST /session/v1/login-request", "POST /session/v1/login-request"]);
  });

  /**
   * connectFromEnv in a process of its own (what snowflake-sdk does once per process, as it loads or first connects,
   * happens again), against the loopback `loginUrl`, with the login settings and `extra` as its environment (no AWS_*
   * or SNOWFLAKE_DISABLE_PLATFORM_DETECTION of this one's). Prints the error's message and fix, then the platforms the
   * SDK's telemetry detected.
   */
  async function connectInOwnProcess(loginUrl: string, extra: NodeJS.ProcessEnv): Promise<string[]> {
    const work = mkdtempSync(join(tmpdir(), "snowflake-process-"));
    onTestFinished(() => rmSync(work, { recursive: true, force: true }));
    const script = join(work, "connect.mts");
    writeFileSync(
      script,
      `import { connectFromEnv } from ${JSON.stringify(join(REPO_ROOT, "runners/snowflake/connection.ts"))};\n` +
        `await connectFromEnv(process.env, { accessUrl: process.env.LOGIN_URL }, () => undefined).catch((error) => console.log(\`\${error.message}\\n\${error.fix}\`));\n` +
        `const { getDetectedPlatforms } = await import(${JSON.stringify(join(REPO_ROOT, "node_modules/snowflake-sdk/dist/lib/telemetry/platform_detection.js"))});\n` +
        `console.log(JSON.stringify(await getDetectedPlatforms()));\n`,
    );
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("AWS_") && !key.startsWith("SF_") && key !== "SNOWFLAKE_DISABLE_PLATFORM_DETECTION"));
    const env: NodeJS.ProcessEnv = { ...inherited, ...LOGIN_ENV, SNOWFLAKE_PRIVATE_KEY: pkcs8(), LOGIN_URL: loginUrl, ...extra };
    const { stdout } = await execFileAsync(join(REPO_ROOT, "node_modules/.bin/tsx"), [script], { cwd: REPO_ROOT, env });
    return stdout.trim().split("\n");
  }
  const REFUSED = "cannot log in to Snowflake account myorg-myaccount as DEPLOYER: JWT token is invalid.";

  // The SDK's platform detection runs when the module loads; its AWS call goes to a recording STS on loopback
  // (AWS_ENDPOINT_URL_STS), with placeholder credentials.
  it("keeps snowflake-sdk from calling AWS STS and cloud metadata services for its telemetry, unless the environment asks for it", async () => {
    const sts = await recordingServer({ status: 500, body: {} });
    const login = await recordingServer(refusedLogin);
    const PLACEHOLDER = "sts-placeholder"; // the recording STS accepts any credentials: these name no account
    const aws = { AWS_ENDPOINT_URL_STS: sts.url, AWS_ACCESS_KEY_ID: PLACEHOLDER, AWS_SECRET_ACCESS_KEY: PLACEHOLDER, AWS_REGION: "us-east-1" };
    const said = await connectInOwnProcess(login.url, aws);
    expect([said[0], said.at(-1)]).toEqual([REFUSED, '["disabled"]']);
    expect(sts.requests).toEqual([]);
    // Asked for (the user's own setting wins): the SDK calls STS, which this shows the recorder would see.
    const asked = await connectInOwnProcess(login.url, { ...aws, SNOWFLAKE_DISABLE_PLATFORM_DETECTION: "false" });
    expect(asked[0]).toBe(REFUSED);
    expect(sts.requests.length).toBeGreaterThan(0);
    expect(sts.requests.every((request) => request === "POST /")).toBe(true);
  }, 60_000);

  // The SDK reads its client configuration file once per process, on its first connection.
  it("a connection the SDK refuses before its login request (a client configuration file it cannot read) says so and where to look", async () => {
    const login = await recordingServer(refusedLogin);
    const work = mkdtempSync(join(tmpdir(), "snowflake-client-config-"));
    onTestFinished(() => rmSync(work, { recursive: true, force: true }));
    writeFileSync(join(work, "sf_client_config.json"), "{ not json");
    const said = await connectInOwnProcess(login.url, { SF_CLIENT_CONFIG_FILE: join(work, "sf_client_config.json") });
    expect(said[0]).toBe("snowflake-sdk refused to connect to account myorg-myaccount before logging in: Configuration from client config file failed");
    expect(said[1]).toMatch(/^check snowflake-sdk's client configuration file \(SF_CLIENT_CONFIG_FILE, /);
    expect(login.requests).toEqual([]);
  }, 60_000);

  it("says every configuration error as SNOWFLAKE.CONFIG with a fix line, before connecting (exit 2)", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    onTestFinished(() => {
      error.mockRestore();
      log.mockRestore();
    });
    const said = () => error.mock.calls.flat().join("\n");
    const settings = { SNOWFLAKE_ACCOUNT: "a", SNOWFLAKE_USER: "u", SNOWFLAKE_ROLE: "r", SNOWFLAKE_WAREHOUSE: "w" };
    // [command line, environment of the connection, environment of the command, what is said]
    const cases: [string[], NodeJS.ProcessEnv, NodeJS.ProcessEnv, RegExp][] = [
      [["verify"], {}, {}, /^error SNOWFLAKE\.CONFIG: Missing environment variables: SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER, SNOWFLAKE_ROLE, SNOWFLAKE_WAREHOUSE, SNOWFLAKE_PRIVATE_KEY_PATH or SNOWFLAKE_PRIVATE_KEY\.\n[^]*\n {2}fix: set SNOWFLAKE_ACCOUNT, /],
      [["verify"], { ...settings, SNOWFLAKE_PRIVATE_KEY: "not a key" }, {}, /^error SNOWFLAKE\.CONFIG: the connection settings were refused before connecting: Invalid private key\.[^\n]*\n {2}fix: check the SNOWFLAKE_\* variables/],
      [["verify"], { ...settings, SNOWFLAKE_PRIVATE_KEY: "k", SNOWFLAKE_PASSWORD: "p" }, {}, /^error SNOWFLAKE\.CONFIG: SNOWFLAKE_PASSWORD is set: passwords are not supported\.\n {2}fix: unset SNOWFLAKE_PASSWORD/],
      [["apply"], {}, {}, /^error SNOWFLAKE\.CONFIG: STORAGE_AWS_ROLE_ARN is not set: [^\n]*\n {2}fix: set STORAGE_AWS_ROLE_ARN to Terraform's output snowflake_role_arn, or run --scope datasets/],
      [["apply"], {}, { STORAGE_AWS_ROLE_ARN: "role" }, /^error SNOWFLAKE\.CONFIG: STORAGE_AWS_ROLE_ARN "role" is not an IAM role ARN [^\n]*\n {2}fix: set STORAGE_AWS_ROLE_ARN/],
    ];
    for (const [args, connectionEnv, env, message] of cases) {
      error.mockClear();
      expect(await main([...args, "--root", REPO_ROOT], () => connectFromEnv(connectionEnv), env), args.join(" ")).toBe(2);
      expect(said(), JSON.stringify(connectionEnv)).toMatch(message);
    }
  });

  it("a query of verify that fails is SNOWFLAKE.FAILED with a fix line (exit 2)", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    onTestFinished(() => error.mockRestore());
    const failing = { execute: async () => Promise.reject(new Error("Warehouse 'W' cannot be resumed because resource monitor 'M' has exceeded its quota.")), close: async () => undefined };
    expect(await main(["verify", "--root", REPO_ROOT], async () => failing)).toBe(2);
    expect(error.mock.calls.flat().join("\n")).toMatch(/^error SNOWFLAKE\.FAILED: Warehouse 'W' cannot be resumed [^\n]*\n {2}fix: check the connection's role/);
    // A plan that is not JSON (a merge conflict) is said the same way, with its own fix.
    const root = mkdtempSync(join(tmpdir(), "snowflake-bad-plan-"));
    onTestFinished(() => rmSync(root, { recursive: true, force: true }));
    mkdirSync(join(root, "generated/snowflake"), { recursive: true });
    writeFileSync(join(root, "generated/snowflake/plan.json"), "<<<<<<< HEAD\n");
    error.mockClear();
    expect(await main(["apply", "--dry-run", "--root", root], async () => failing)).toBe(2);
    expect(error.mock.calls.flat().join("\n")).toMatch(/^error SNOWFLAKE\.FAILED: [^]*is not valid JSON\n {2}fix: check the plan/);
  });

  it("says a --root that is a file, an empty --root or --outputs, a root without contracts and a bad --scope as coded usage errors with a fix line", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    onTestFinished(() => error.mockRestore());
    const empty = mkdtempSync(join(tmpdir(), "snowflake-empty-root-"));
    onTestFinished(() => rmSync(empty, { recursive: true, force: true }));
    const connect = vi.fn();
    const cases: [string[], RegExp][] = [
      [["verify", "--root", join(REPO_ROOT, "README.md")], /^error CLI\.USAGE: --root \S+README\.md is a file, not a folder: [^\n]*\n {2}fix: pass --root <repository folder>/],
      [["apply", "--root", ""], /^error CLI\.USAGE: --root is empty\.\n {2}fix: /],
      [["apply", "--root", REPO_ROOT, "--outputs="], /^error CLI\.USAGE: --outputs is empty\.\n {2}fix: /],
      [["verify", "--root", empty], new RegExp(`^error CLI\\.NO_CONTRACTS: the contract folder ${join(empty, "contracts")} does not exist; nothing was compared\\.\\n {2}fix: pass --root <repository>`)],
      [["apply", "--root", REPO_ROOT, "--scope", "foo"], /^error CLI\.USAGE: --scope must be all or datasets, not "foo"\.\n {2}fix: pass --scope all/],
      [["verify", "--bogus"], /^error CLI\.USAGE: Unknown option '--bogus'\n {2}fix: run with --help/],
    ];
    for (const [args, message] of cases) {
      error.mockClear();
      expect(await main(args, connect), args.join(" ")).toBe(2);
      expect(error.mock.calls.flat().join("\n"), args.join(" ")).toMatch(message);
    }
    expect(connect).not.toHaveBeenCalled();
  });

  it("never accepts a password", async () => {
    await expect(
      connectFromEnv({ SNOWFLAKE_ACCOUNT: "a", SNOWFLAKE_USER: "u", SNOWFLAKE_ROLE: "r", SNOWFLAKE_WAREHOUSE: "w", SNOWFLAKE_PRIVATE_KEY: "k", SNOWFLAKE_PASSWORD: "p" }),
    ).rejects.toThrow(ConnectionConfigError);
  });
});
