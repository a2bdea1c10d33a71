/**
 * The Snowflake DDL parses with sqlfluff's snowflake dialect (the project's pinned sqlfluff 4, see
 * toolchain/python/lint.in), one statement at a time, each as exactly one statement with no unparsable section: sqlfluff 4
 * knows storage integrations and the USE_LOGICAL_TYPE file-format option.
 *
 * Three documented Snowflake forms are missing from sqlfluff 4.5's grammar (`GRAMMAR_GAPS`): each such statement must
 * match its documented form exactly, and a stand-in sqlfluff has, with the same object references, must parse; the
 * statement itself must still fail to parse, so that the list goes when sqlfluff learns the form.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileOf, generatedFrom } from "../../../tests/helpers/generate.js";
import { REPO_ROOT, SHIPPED_DATASETS } from "../../../tests/helpers/data.js";
import { parseSnowflakeStatements, sqlfluffBin } from "../../../tests/helpers/sqlfluff.js";
import type { ContractIR } from "../../ir/types.js";
import { personalColumns } from "../protection.js";
import { DATA_FILE_PATTERN, plan, pseudonymKeyCheckStatement, pseudonymKeyLoadStatement, type PlannedStatement } from "./emit.js";

const work = mkdtempSync(join(tmpdir(), "snowflake-target-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// Installs the pinned sqlfluff (first use) before the tests' own timeouts start.
beforeAll(async () => {
  await sqlfluffBin();
}, 300_000);

const NAME = "[A-Z][A-Z0-9_]*(?:\\.[A-Z][A-Z0-9_]*)*";

/** Documented Snowflake forms sqlfluff 4.5 cannot parse, with a stand-in it can (same references). */
const GRAMMAR_GAPS: readonly { form: RegExp; standIn: (m: RegExpExecArray) => string; doc: string }[] = [
  {
    // sqlfluff 4.5 has no TAG among the objects of GRANT … ON.
    form: new RegExp(`^GRANT APPLY ON TAG (${NAME}) TO ROLE (${NAME})$`),
    standIn: (m) => `GRANT APPLY ON MASKING POLICY ${m[1]} TO ROLE ${m[2]}`,
    doc: "https://docs.snowflake.com/en/user-guide/object-tagging (grant apply on tag … to role …)",
  },
  {
    // sqlfluff 4.5 takes only an unqualified policy name here, and no FORCE.
    form: new RegExp(`^ALTER TAG (${NAME}) SET MASKING POLICY (${NAME}) FORCE$`),
    standIn: (m) => `ALTER TAG ${m[1]} SET MASKING POLICY ${m[2]!.split(".").pop()}`,
    doc: "https://docs.snowflake.com/en/sql-reference/sql/alter-tag",
  },
  {
    // sqlfluff 4.5 knows the `:1` bind placeholder, not `?` (both are Snowflake's; the driver binds either).
    form: new RegExp(`^INSERT OVERWRITE INTO (${NAME}) \\(KEY\\) VALUES \\(\\?\\)$`),
    standIn: (m) => `INSERT OVERWRITE INTO ${m[1]} (KEY) VALUES (:1)`,
    doc: "https://docs.snowflake.com/en/sql-reference/bind-variables",
  },
];

/** The plan and the two statements the runner sends beside it (the key load and verify's key check). */
function allStatements(ir: ContractIR): { id: string; sql: string }[] {
  return [...plan(ir), { id: "runner.pseudonym_key.load", sql: pseudonymKeyLoadStatement() }, { id: "runner.pseudonym_key.check", sql: pseudonymKeyCheckStatement() }];
}

/** Each statement, or the stand-in of a grammar gap; and the gaps' statements as written. */
function toParse(statements: readonly { id: string; sql: string }[]): { parsed: { id: string; sql: string }[]; gaps: { id: string; sql: string }[] } {
  const parsed: { id: string; sql: string }[] = [];
  const gaps: { id: string; sql: string }[] = [];
  for (const s of statements) {
    const gap = GRAMMAR_GAPS.map((g) => g.form.exec(s.sql)).find((m) => m !== null);
    parsed.push(gap ? { id: s.id, sql: GRAMMAR_GAPS.find((g) => g.form.test(s.sql))!.standIn(gap) } : s);
    if (gap) gaps.push(s);
  }
  return { parsed, gaps };
}

/** `CASE WHEN <condition> THEN val ELSE <masked> END` of a masking policy statement. */
function maskingBody(sql: string): { condition: string; masked: string } {
  const m = /->\n {2}CASE WHEN (.+) THEN val ELSE (.+) END(?:\n|$)/.exec(sql);
  if (!m) throw new Error(`not a masking policy body: ${sql}`);
  return { condition: m[1]!, masked: m[2]! };
}

const CLEAR = "IS_ROLE_IN_SESSION('AMAZON_REVIEWS_LOADER') OR IS_ROLE_IN_SESSION('AMAZON_REVIEWS_TRANSFORMER')";

/** The personal columns of each shipped contract's tables, written out (not computed by the code under test). */
const PERSONAL_KEYS: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  contracts: { review: ["reviewer_name"], review_images: [], product: [], product_categories: [] },
  "tests/fixtures/kitchen-sink": { kitchen_sink: ["owner_first_name"], kitchen_sink_tags: [] },
};

/**
 * The personal keys of every table of `dir`: PERSONAL_KEYS for the shipped datasets (which it must list exactly), and
 * for a dataset added to contracts/ beside them, its columns classed personal in the IR.
 */
function personalKeysOf(dir: string, ir: ContractIR): Record<string, readonly string[]> {
  const added = dir === "contracts" ? ir.datasets.filter((d) => !SHIPPED_DATASETS.includes(d.name)) : [];
  const written = ir.datasets.filter((d) => !added.includes(d)).flatMap((d) => [d.table, ...d.children]);
  expect(written.map((t) => t.name).sort()).toEqual(Object.keys(PERSONAL_KEYS[dir]!).sort());
  const derived = added.flatMap((d) => [d.table, ...d.children]).map((t) => [t.name, personalColumns(t).map((c) => c.name)] as const);
  return { ...Object.fromEntries(derived), ...PERSONAL_KEYS[dir]! };
}

describe("Snowflake target", () => {
  it("every statement parses with sqlfluff (snowflake dialect), as exactly one statement", async () => {
    const { ir } = await generatedFrom();
    const statements = plan(ir);
    const { parsed, gaps } = toParse(allStatements(ir));
    const results = await parseSnowflakeStatements(parsed, join(work, "real"));
    expect(results.length).toBeGreaterThan(10);
    for (const r of results) expect(r, `${r.id}: ${parsed.find((p) => p.id === r.id)!.sql}`).toEqual({ id: r.id, unparsable: false, statements: 1 });
    // The grammar gaps are real (each still fails to parse as written), and each form is used.
    expect(gaps.map((g) => g.id)).toEqual([
      "grant.tag.pii.amazon_reviews_loader",
      "grant.tag.pii.amazon_reviews_transformer",
      "tag.pii.masking_policy",
      "runner.pseudonym_key.load",
    ]);
    const asWritten = await parseSnowflakeStatements(gaps, join(work, "gaps"));
    expect(asWritten.map((r) => [r.id, r.unparsable])).toEqual(gaps.map((g) => [g.id, true]));
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
    // And the statements protecting its personal column.
    const masking = plan(ir).filter((s) => /^(grant\.)?masking_policy\.value\./.test(s.id));
    expect(masking.length).toBe(3);
    const results = await parseSnowflakeStatements([...tables, ...masking], join(work, "kitchen"));
    expect(results.map((r) => [r.id, r.unparsable, r.statements])).toEqual([...tables, ...masking].map((t) => [t.id, false, 1]));
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

  it("types a contract timestamp TIMESTAMP_TZ, as the Parquet files mark it adjusted to UTC (review.reviewed_at)", async () => {
    const { ir, files } = await generatedFrom();
    const review = ir.datasets.find((d) => d.name === "review")!;
    expect(review.table.columns.find((c) => c.name === "reviewed_at")?.type).toEqual({ kind: "timestamp" });
    // TIMESTAMP_NTZ would read the instants as wall-clock times of no zone.
    expect(fileOf(files, "generated/snowflake/20_review.sql")).toContain('REVIEWED_AT TIMESTAMP_TZ AS (VALUE:"reviewed_at"::TIMESTAMP_TZ)');
    expect(fileOf(files, "generated/parquet/review.parquet.txt")).toContain("optional int64 reviewed_at (TIMESTAMP(MICROS,true));");
    const arrow = JSON.parse(fileOf(files, "generated/parquet/review.arrow.json")) as { schema: { fields: { name: string; type: unknown }[] } };
    expect(arrow.schema.fields.find((f) => f.name === "reviewed_at")?.type).toEqual({ name: "timestamp", unit: "MICROSECOND", timezone: "UTC" });
  });

  it("grants least privilege: loader creates, transformer reads, reporter only uses the database", async () => {
    const { ir } = await generatedFrom();
    const grants = plan(ir).filter((s) => s.sql.startsWith("GRANT")).map((s) => s.sql);
    expect(grants.some((g) => /ALL PRIVILEGES|OWNERSHIP| ON ACCOUNT /.test(g))).toBe(false);
    expect(grants.filter((g) => g.includes("AMAZON_REVIEWS_REPORTER"))).toEqual([
      "GRANT ROLE AMAZON_REVIEWS_REPORTER TO ROLE SYSADMIN",
      "GRANT USAGE ON DATABASE AMAZON_REVIEWS TO ROLE AMAZON_REVIEWS_REPORTER",
      "GRANT USAGE ON WAREHOUSE AMAZON_REVIEWS_WH TO ROLE AMAZON_REVIEWS_REPORTER",
    ]);
    expect(grants).toContain("GRANT SELECT ON FUTURE EXTERNAL TABLES IN SCHEMA AMAZON_REVIEWS.RAW TO ROLE AMAZON_REVIEWS_TRANSFORMER");
    // Governance: the key to the transformer only; the tag and the VALUE policies to the roles that set them on their own objects.
    expect(grants.filter((g) => g.includes("GOVERNANCE"))).toEqual([
      "GRANT USAGE ON SCHEMA AMAZON_REVIEWS.GOVERNANCE TO ROLE AMAZON_REVIEWS_LOADER",
      "GRANT USAGE ON SCHEMA AMAZON_REVIEWS.GOVERNANCE TO ROLE AMAZON_REVIEWS_TRANSFORMER",
      "GRANT APPLY ON TAG AMAZON_REVIEWS.GOVERNANCE.PII TO ROLE AMAZON_REVIEWS_LOADER",
      "GRANT APPLY ON TAG AMAZON_REVIEWS.GOVERNANCE.PII TO ROLE AMAZON_REVIEWS_TRANSFORMER",
      "GRANT SELECT ON TABLE AMAZON_REVIEWS.GOVERNANCE.PSEUDONYM_KEY TO ROLE AMAZON_REVIEWS_TRANSFORMER",
      // One VALUE policy per table with a personal column (of the shipped datasets: review's).
      ...ir.datasets
        .flatMap((d) => [d.table, ...d.children])
        .filter((t) => personalKeysOf("contracts", ir)[t.name]!.length > 0)
        .map((t) => `GRANT APPLY ON MASKING POLICY AMAZON_REVIEWS.GOVERNANCE.${t.name.toUpperCase()}_VALUE_MASK TO ROLE AMAZON_REVIEWS_LOADER`),
    ]);
    expect(grants).toContain("GRANT APPLY ON MASKING POLICY AMAZON_REVIEWS.GOVERNANCE.REVIEW_VALUE_MASK TO ROLE AMAZON_REVIEWS_LOADER");
    const sql = plan(ir).map((s) => s.sql).join("\n");
    expect(sql).not.toMatch(/PASSWORD|arn:aws:iam::\d{12}/i);
    expect(sql).toContain("'${STORAGE_AWS_ROLE_ARN}'");
  });

  for (const dir of Object.keys(PERSONAL_KEYS)) {
    it(`protects every external table with a personal column (${dir}): VALUE policy, then the table, then its mask and tag`, async () => {
      const { ir } = await generatedFrom(dir);
      const statements = plan(ir);
      const at = (id: string) => statements.findIndex((s) => s.id === id);
      const tables = ir.datasets.flatMap((d) => [d.table, ...d.children]);
      const personalKeys = personalKeysOf(dir, ir);
      expect(tables.map((t) => t.name).sort()).toEqual(Object.keys(personalKeys).sort());
      for (const table of tables) {
        const name = table.name.toUpperCase();
        const mask = statements.filter((s) => s.sql.includes(`AMAZON_REVIEWS.RAW.${name} MODIFY COLUMN VALUE`));
        const tag = statements.filter((s) => s.sql.includes(`AMAZON_REVIEWS.RAW.${name} SET TAG`));
        if (personalKeys[table.name]!.length === 0) {
          expect([...mask, ...tag], table.name).toEqual([]);
          expect(statements.some((s) => s.sql.includes(`${name}_VALUE_MASK`)), table.name).toBe(false);
          continue;
        }
        const policy = `AMAZON_REVIEWS.GOVERNANCE.${name}_VALUE_MASK`;
        expect(mask.map((s) => [s.id, s.role, s.sql])).toEqual([
          [`table.${table.name}.value_mask`, "AMAZON_REVIEWS_LOADER", `ALTER TABLE AMAZON_REVIEWS.RAW.${name} MODIFY COLUMN VALUE SET MASKING POLICY ${policy} FORCE`],
        ]);
        expect(tag.map((s) => [s.id, s.role, s.sql])).toEqual([
          [`table.${table.name}.pii_tag`, "AMAZON_REVIEWS_LOADER", `ALTER TABLE AMAZON_REVIEWS.RAW.${name} SET TAG AMAZON_REVIEWS.GOVERNANCE.PII = 'personal'`],
        ]);
        // Order: policy created, its body set and the loader allowed to apply it; the table (re-)created; then applied.
        const create = at(`table.${table.name}`);
        expect(at(`masking_policy.value.${table.name}`)).toBeGreaterThan(at("schema.governance"));
        expect(at(`masking_policy.value.${table.name}.body`)).toBe(at(`masking_policy.value.${table.name}`) + 1);
        expect(at(`grant.masking_policy.value.${table.name}.loader`)).toBeLessThan(create);
        expect(at("grant.tag.pii.amazon_reviews_loader")).toBeLessThan(create);
        expect(at(`table.${table.name}.value_mask`)).toBeGreaterThan(create);
        expect(at(`table.${table.name}.pii_tag`)).toBeGreaterThan(create);
        // No other statement re-creates the table after its mask.
        expect(statements.slice(at(`table.${table.name}.value_mask`)).some((s) => s.sql.startsWith(`CREATE OR REPLACE EXTERNAL TABLE AMAZON_REVIEWS.RAW.${name} `))).toBe(false);
      }
    });

    it(`the VALUE policy deletes exactly the personal keys, the ones the personal virtual columns read (${dir})`, async () => {
      const { ir } = await generatedFrom(dir);
      const statements = plan(ir);
      for (const [table, personal] of Object.entries(personalKeysOf(dir, ir))) {
        if (personal.length === 0) continue;
        const create = statements.find((s) => s.id === `masking_policy.value.${table}`)!;
        const body = statements.find((s) => s.id === `masking_policy.value.${table}.body`)!;
        expect(create.sql).toMatch(new RegExp(`^CREATE MASKING POLICY IF NOT EXISTS AMAZON_REVIEWS\\.GOVERNANCE\\.${table.toUpperCase()}_VALUE_MASK AS \\(val VARIANT\\) RETURNS VARIANT ->\\n`));
        expect(maskingBody(body.sql)).toEqual(maskingBody(create.sql));
        const { condition, masked } = maskingBody(create.sql);
        expect(condition).toBe(CLEAR);
        const deleted = /^OBJECT_DELETE\(val::OBJECT, ((?:'[a-z0-9_]+'(?:, )?)+)\)::VARIANT$/.exec(masked);
        expect(deleted, masked).not.toBeNull();
        const keys = [...deleted![1]!.matchAll(/'([a-z0-9_]+)'/g)].map((k) => k[1]);
        expect(keys).toEqual(personal);
        // Each deleted key is the VALUE key of a virtual column of the table, and the other virtual columns read other keys.
        const ddl = statements.find((s) => s.id === `table.${table}`)!.sql;
        const reads = [...ddl.matchAll(/^ {2}([A-Z0-9_]+) .* AS \((?:PARSE_JSON\()?VALUE:"([^"]+)"/gm)].map((m) => [m[1]!, m[2]!] as const);
        expect(reads.length).toBeGreaterThan(personal.length);
        for (const key of personal) expect(reads.filter(([, k]) => k === key).map(([column]) => column)).toEqual([key.toUpperCase()]);
        expect(reads.filter(([, k]) => !personal.includes(k)).length).toBe(reads.length - personal.length);
      }
    });
  }

  it("creates the warehouse dbt and QuickSight name, cost-safe, and lets the transformer and the reporter use it once they exist", async () => {
    const { ir } = await generatedFrom();
    const statements = plan(ir);
    const at = (id: string) => statements.findIndex((s) => s.id === id);
    // The name the dbt profile and the QuickSight data source use, read from those files.
    const profile = readFileSync(join(REPO_ROOT, "dbt-out/profiles/profiles.yml"), "utf8");
    const dbtWarehouse = /^ {6}warehouse: "\{\{ env_var\('SNOWFLAKE_WAREHOUSE', '([A-Z0-9_]+)'\) \}\}"$/m.exec(profile)?.[1];
    const quicksight = JSON.parse(readFileSync(join(REPO_ROOT, "generated/quicksight/quicksight.json"), "utf8")) as { dataSource: { warehouse: string } };
    expect(dbtWarehouse).toBe(quicksight.dataSource.warehouse);
    const name = quicksight.dataSource.warehouse;
    const created = statements.filter((s) => s.sql.startsWith("CREATE WAREHOUSE"));
    expect(created.map((s) => [s.id, s.role, s.sql])).toEqual([
      [
        "warehouse",
        "SYSADMIN",
        `CREATE WAREHOUSE IF NOT EXISTS ${name}\n  WAREHOUSE_SIZE = XSMALL\n  AUTO_SUSPEND = 60\n  AUTO_RESUME = TRUE\n  INITIALLY_SUSPENDED = TRUE\n` +
          "  COMMENT = 'Runs the queries of dbt (transformer role) and QuickSight (reporter role).'",
      ],
    ]);
    const grants = statements.filter((s) => s.sql.startsWith(`GRANT USAGE ON WAREHOUSE ${name} `));
    expect(grants.map((s) => [s.role, s.sql])).toEqual([
      ["SECURITYADMIN", `GRANT USAGE ON WAREHOUSE ${name} TO ROLE AMAZON_REVIEWS_TRANSFORMER`],
      ["SECURITYADMIN", `GRANT USAGE ON WAREHOUSE ${name} TO ROLE AMAZON_REVIEWS_REPORTER`],
    ]);
    // No other warehouse privilege, to anyone.
    expect(statements.filter((s) => / ON WAREHOUSE /.test(s.sql))).toEqual(grants);
    // Order: the roles exist (and roll up to SYSADMIN) and the warehouse exists before the grants.
    for (const grant of grants) {
      const role = grant.sql.split(" ").pop()!.toLowerCase();
      expect(at(`role.${role}`)).toBeLessThan(at("warehouse"));
      expect(at(`role.${role}.to_sysadmin`)).toBeLessThan(at("warehouse"));
      expect(statements.indexOf(grant)).toBeGreaterThan(at("warehouse"));
    }
  });

  it("the PII tag carries the string masking policy: clear for the loader and transformer, masked for every other role", async () => {
    const { ir } = await generatedFrom();
    const statements = plan(ir);
    const by = (id: string) => statements.find((s) => s.id === id)!;
    expect(by("tag.pii").sql).toMatch(/^CREATE TAG IF NOT EXISTS AMAZON_REVIEWS\.GOVERNANCE\.PII ALLOWED_VALUES 'personal', 'sensitive' COMMENT = '/);
    expect(by("masking_policy.string").sql).toMatch(/^CREATE MASKING POLICY IF NOT EXISTS AMAZON_REVIEWS\.GOVERNANCE\.PII_STRING_MASK AS \(val STRING\) RETURNS STRING ->\n/);
    expect(maskingBody(by("masking_policy.string").sql)).toEqual({ condition: CLEAR, masked: "'***MASKED***'" });
    expect(maskingBody(by("masking_policy.string.body").sql)).toEqual({ condition: CLEAR, masked: "'***MASKED***'" });
    const attach = by("tag.pii.masking_policy");
    expect([attach.role, attach.sql]).toEqual(["ACCOUNTADMIN", "ALTER TAG AMAZON_REVIEWS.GOVERNANCE.PII SET MASKING POLICY AMAZON_REVIEWS.GOVERNANCE.PII_STRING_MASK FORCE"]);
    const at = (id: string) => statements.indexOf(by(id));
    expect(at("tag.pii.masking_policy")).toBeGreaterThan(Math.max(at("tag.pii"), at("masking_policy.string.body")));
    // The key table: one VARCHAR column, readable by the transformer only.
    expect(by("pseudonym_key").sql).toMatch(/^CREATE TABLE IF NOT EXISTS AMAZON_REVIEWS\.GOVERNANCE\.PSEUDONYM_KEY \(KEY VARCHAR NOT NULL\)\n {2}COMMENT = '/);
    expect(statements.filter((s) => s.sql.includes("PSEUDONYM_KEY") && s.sql.startsWith("GRANT")).map((s) => s.sql)).toEqual([
      "GRANT SELECT ON TABLE AMAZON_REVIEWS.GOVERNANCE.PSEUDONYM_KEY TO ROLE AMAZON_REVIEWS_TRANSFORMER",
    ]);
  });

  it("every statement is re-runnable: IF NOT EXISTS, OR REPLACE … COPY GRANTS, SET BODY after each policy, FORCE, GRANT, SET", async () => {
    for (const dir of Object.keys(PERSONAL_KEYS)) {
      const { ir } = await generatedFrom(dir);
      const statements = plan(ir);
      const rerunnable = [
        /^CREATE (?:ROLE|DATABASE|SCHEMA|WAREHOUSE|STORAGE INTEGRATION|TAG|MASKING POLICY|TABLE|FILE FORMAT|STAGE) IF NOT EXISTS /,
        /^CREATE OR REPLACE EXTERNAL TABLE [\s\S]*\nCOPY GRANTS\n/,
        /^GRANT /,
        /^ALTER STORAGE INTEGRATION \S+ SET /,
        /^ALTER FILE FORMAT \S+ SET /,
        /^ALTER STAGE \S+ SET URL = '[^']+' STORAGE_INTEGRATION = \S+$/,
        /^ALTER MASKING POLICY \S+ SET BODY ->/,
        /^ALTER TAG \S+ SET MASKING POLICY \S+ FORCE$/,
        /^ALTER TABLE \S+ MODIFY COLUMN VALUE SET MASKING POLICY \S+ FORCE$/,
        /^ALTER TABLE \S+ SET TAG \S+ = '[a-z]+'$/,
      ];
      for (const s of statements) expect(rerunnable.some((r) => r.test(s.sql)), `${s.id}: ${s.sql.split("\n")[0]}`).toBe(true);
      // Every policy created IF NOT EXISTS has its body set right after, to the same body (an existing policy stays current).
      for (const [i, s] of statements.entries()) {
        if (!s.sql.startsWith("CREATE MASKING POLICY")) continue;
        const next = statements[i + 1]!;
        expect(next.sql.startsWith(`ALTER MASKING POLICY ${s.sql.split(" ")[6]} SET BODY ->`), s.id).toBe(true);
        expect(maskingBody(next.sql), s.id).toEqual(maskingBody(s.sql));
      }
    }
  });
});
