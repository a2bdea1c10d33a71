/**
 * The real evolution: the 2014 review format (fixture contract 1.2.0, checked against the real 2014 lines) against
 * the 2018 format in contracts/review.contract.ts (3.0.0). The report must name every change a careful reviewer
 * would, and CI must refuse the change unless the major version was bumped.
 */
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ajv2020 } from "ajv/dist/2020.js";
import contract2018 from "../../contracts/review.contract.js";
import { FORMATS } from "./format.js";
import { run } from "../../tests/helpers/contract-diff.js";
import contract2014 from "./testdata/evolution/review-2014/review.contract.js";

const ROOT = resolve(import.meta.dirname, "../..");
const DATA = resolve(ROOT, "../shared/data/amazon-reviews");
const BASE_2014 = join(import.meta.dirname, "testdata/evolution/review-2014");

function lines(file: string): unknown[] {
  return readFileSync(join(DATA, file), "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as unknown);
}

describe("the 2014 fixture contract describes the real 2014 data", () => {
  const grocery = lines("2014-grocery-and-gourmet-food-5.head111.jsonl");
  const music = lines("2014-musical-instruments-5.head50.jsonl");

  it("accepts every real 2014 line (111 + 50), including the one without reviewerName", () => {
    expect(grocery).toHaveLength(111);
    expect(music).toHaveLength(50);
    const failures = [...grocery, ...music].map((r) => contract2014.schema.safeParse(r)).filter((r) => !r.success);
    expect(failures).toEqual([]);
    expect(grocery.filter((r) => !("reviewerName" in (r as object)))).toHaveLength(0);
    expect(music.filter((r) => !("reviewerName" in (r as object)))).toHaveLength(1);
  });

  it("is really breaking: the 2018 contract rejects all 161 lines for the missing required 'verified'", () => {
    const results = [...grocery, ...music].map((r) => contract2018.schema.safeParse(r));
    expect(results.filter((r) => r.success)).toHaveLength(0);
    expect(results.every((r) => !r.success && r.error.issues.some((i) => i.path.join(".") === "verified"))).toBe(true);
  });

  it("is really breaking the other way: the 2014 contract rejects all 2,972 2018 lines (no 'helpful')", () => {
    const results = lines("2018-gift-cards-5.jsonl").map((r) => contract2014.schema.safeParse(r));
    expect(results).toHaveLength(2972);
    expect(results.filter((r) => !r.success && r.error.issues.some((i) => i.path.join(".") === "helpful"))).toHaveLength(2972);
  });
});

describe("contract review of 2014 → 2018", () => {
  it("reads like a reviewer's summary and accepts the major bump", async () => {
    const { code, stdout } = await run(["--base-dir", BASE_2014, "--root", ROOT]);
    // Locations depend on the line layout of the real contract; the rule and the words do not.
    const findings = stdout
      .split("\n")
      .filter((l) => /^\S+:\d+:\d+: \[CE/.test(l))
      .map((l) => l.replace(/^\S+:\d+:\d+: /, ""));
    expect(findings).toEqual([
      '[CE030] Dataset "product" was added (tables "product", "product_categories"). (minor; RAW S, PQ S, SF S, DBT S, MART S)',
      '[CE004] Previously present field "review.helpful" (review-2014/review.contract.ts:30:3 before) was deleted, and with it column "review.helpful_json". (major; RAW S, PQ S, SF M, DBT B, MART B)',
      '[CE029] The description of dataset "review" changed. (patch; RAW S, PQ S, SF S, DBT S, MART S)',
      '[CE001] Optional field "review.vote" was added, stored as column "review.helpful_votes". (minor; RAW M, PQ S, SF S, DBT S, MART S)',
      '[CE003] Required field "review.verified" was added, stored as column "review.is_verified_purchase": producers must now send "verified". (major; RAW B, PQ M, SF S, DBT S, MART S)',
      '[CE019] Column "review.asin" now references "product.asin". (minor; RAW S, PQ M, SF S, DBT M, MART S)',
      '[CE001] Optional field "review.style" was added, stored as columns "review.style_gift_amount", "review.style_format", "review.style_size", "review.style_color", "review.style_other_json". (minor; RAW M, PQ S, SF S, DBT S, MART S)',
      '[CE015] Field "review.reviewText" became optional (producers may leave it out). (minor; RAW S, PQ S, SF S, DBT S, MART S)',
      '[CE015] Field "review.summary" became optional (producers may leave it out). (minor; RAW S, PQ S, SF S, DBT S, MART S)',
      '[CE019] Upper bound of field "review.unixReviewTime" was tightened from <= 9007199254740991 to <= 253402300799. (major; RAW B, PQ M, SF S, DBT M, MART S)',
      '[CE001] Optional field "review.image" was added, stored as columns "review_images.position", "review_images.image_url" and child dataset "review_images". (minor; RAW M, PQ S, SF S, DBT S, MART S)',
    ]);
    expect(stdout).toContain('ok: contract "review" (contracts/review.contract.ts) 1.2.0 → 3.0.0: The changes need a major bump; 1.2.0 → 3.0.0 is a major bump.');
    expect(code).toBe(0);
  });

  it("gives the pull request its migration: ALTER TABLE on the external table, a dbt model version stub, backfill notes, generated files", async () => {
    const { stdout } = await run(["--base-dir", BASE_2014, "--root", ROOT, "--format", "markdown"]);
    expect(stdout).toContain("| `review` | 1.2.0 → 3.0.0 | major | major | ok |");
    expect(stdout).toContain("- `review`: 10 changes: 3 breaking a consumer, 4 needing a migration step, 3 safe.");
    // Rendered by the same functions as the generated external-table DDL (names, quoted keys, types).
    expect(stdout).toContain("ALTER TABLE AMAZON_REVIEWS.RAW.REVIEW DROP COLUMN HELPFUL_JSON;");
    expect(stdout).toContain('ALTER TABLE AMAZON_REVIEWS.RAW.REVIEW ADD COLUMN IS_VERIFIED_PURCHASE BOOLEAN AS (VALUE:"is_verified_purchase"::BOOLEAN);');
    expect(stdout).toContain('ALTER TABLE AMAZON_REVIEWS.RAW.REVIEW ADD COLUMN STYLE_OTHER_JSON VARIANT AS (PARSE_JSON(VALUE:"style_other_json"::VARCHAR));');
    expect(stdout).toContain("-- review_images is a new external table: create it with the generated external-table DDL.");
    expect(stdout).not.toContain("ALTER TABLE AMAZON_REVIEWS.RAW.REVIEW_IMAGES");
    expect(stdout).toContain(["  - name: stg_amazon__reviews", "    latest_version: 3", "    versions:", "      - v: 3", "      - v: 1", "        defined_in: stg_amazon__reviews_v1"].join("\n"));
    expect(stdout).toContain("- CE003 `review.verified`: Parquet written before this change has no value for the new columns");
    expect(stdout).toMatch(/\| `generated\/json-schema\/review\.schema\.json` \| changed \| \+\d+ \| −\d+ \|/);
    expect(stdout).toMatch(/\| `generated\/json-schema\/product\.schema\.json` \| added \| \+\d+ \| −0 \|/);
  });

  describe("when the 2018 contract does not bump the major version", () => {
    let dir: string;
    beforeAll(() => {
      // Same depth as contracts/, so `../generators/contract-kit/index.js` resolves to the real contract kit.
      dir = mkdtempSync(join(ROOT, ".contract-diff-test-"));
      for (const name of readdirSync(join(ROOT, "contracts"))) cpSync(join(ROOT, "contracts", name), join(dir, name));
      const review = readFileSync(join(dir, "review.contract.ts"), "utf8");
      expect(review).toContain('version: "3.0.0"');
      writeFileSync(join(dir, "review.contract.ts"), review.replace('version: "3.0.0"', 'version: "1.3.0"'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("exits 1 after printing the report, naming the version to declare", async () => {
      const { code, stdout } = await run(["--base-dir", BASE_2014, "--root", ROOT, "--contracts", dir]);
      expect(stdout).toMatch(/FAIL: contract "review" \(\.contract-diff-test-\w+\/review\.contract\.ts\) 1\.2\.0 → 1\.3\.0: The changes need a major bump, but 1\.2\.0 → 1\.3\.0 is only a minor bump: set version to 2\.0\.0 or higher\./);
      expect(stdout.indexOf("[CE003]")).toBeLessThan(stdout.indexOf("FAIL:"));
      expect(code).toBe(1);
    });

    it("annotates the breaking findings as errors for GitHub", async () => {
      const { code, stdout } = await run(["--base-dir", BASE_2014, "--root", ROOT, "--contracts", dir, "--format", "github"]);
      expect(code).toBe(1);
      expect(stdout).toMatch(/^::error file=\.contract-diff-test-\w+\/review\.contract\.ts,line=\d+,col=3,title=CE003 field-added-required \(major\)::Required field "review\.verified" was added/m);
      expect(stdout).toMatch(/^::warning file=[^\n]*title=CE001 field-added-optional \(minor\)::Optional field "review\.vote" was added/m);
      expect(stdout).toMatch(/^::notice file=[^\n]*title=CE029 docs-only \(patch\)::/m);
      expect(stdout).toMatch(/^::error file=\.contract-diff-test-\w+\/review\.contract\.ts,title=Contract review%3A version bump too small::The changes need a major bump/m);
    });
  });
});

describe("determinism and the JSON schema", () => {
  it.each(FORMATS)("%s: the same inputs give the same bytes, with no absolute path", async (format) => {
    const first = await run(["--base-dir", BASE_2014, "--root", ROOT, "--format", format]);
    const second = await run(["--base-dir", BASE_2014, "--root", ROOT, "--format", format]);
    expect(second.stdout).toBe(first.stdout);
    expect(first.stdout).not.toContain(ROOT);
    expect(first.stdout.endsWith("\n") && !first.stdout.endsWith("\n\n") && !first.stdout.includes("\r")).toBe(true);
  });

  it("json output validates against generators/diff/report.schema.json", async () => {
    const schema = JSON.parse(readFileSync(join(import.meta.dirname, "report.schema.json"), "utf8")) as object;
    const validate = new Ajv2020({ strict: true }).compile(schema);
    const { stdout } = await run(["--base-dir", BASE_2014, "--root", ROOT, "--format", "json"]);
    const report = JSON.parse(stdout) as { findings: unknown[]; generatedFiles: unknown[] };
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report.findings).toHaveLength(11);
    expect(validate({ ...report, findings: [{ rule: "CE999" }] })).toBe(false);
  });
});
