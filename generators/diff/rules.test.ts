/**
 * One previous/current fixture pair per rule (generators/diff/testdata/{previous,current}/<RULE_ID>/), run through
 * the CLI: the exact findings (text format) and the exit code. The expectations were written by hand from each
 * fixture's single edit; a change in classification, message, severity, bump or location fails them.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RULES } from "./rules.js";
import { run, runFixture, TESTDATA } from "../../tests/helpers/contract-diff.js";

interface Case {
  readonly id: string;
  readonly exit: 0 | 1 | 2;
  readonly findings: readonly string[];
  readonly stderr?: string;
}

const CASES: readonly Case[] = [
    {
      id: "CE001",
      exit: 0,
      findings: [
        "CE001/rating.contract.ts:19:5: [CE001] Optional field \"rating.reviewText\" was added, stored as column \"rating.review_text\". (minor; RAW M, PQ S, SF S, DBT S, MART S)",
      ],
    },
    {
      id: "CE002",
      exit: 2,
      findings: [],
      stderr: "error CONTRACT.UNSUPPORTED_ZOD_KIND at rating.reviewText: Zod kind \"default\" cannot describe a stored raw JSON value.",
    },
    {
      id: "CE003",
      exit: 1,
      findings: [
        "CE003/rating.contract.ts:19:5: [CE003] Required field \"rating.verified\" was added, stored as column \"rating.is_verified_purchase\": producers must now send \"verified\". (major; RAW B, PQ M, SF S, DBT S, MART S)",
      ],
    },
    {
      id: "CE004",
      exit: 0,
      findings: [
        "CE004/rating.contract.ts:13:5: [CE004] Previously present field \"rating.reviewerName\" (CE004/rating.contract.ts:19:5 before) was deleted, and with it column \"rating.reviewer_name\". (major; RAW S, PQ S, SF M, DBT B, MART B)",
      ],
    },
    {
      id: "CE005",
      exit: 0,
      findings: [
        "CE005/rating.contract.ts:19:5: [CE005] Field \"rating.reviewerName\" was renamed to \"rating.profileName\" (declared with renamedFrom; columns \"rating.reviewer_name\" \u2192 \"rating.profile_name\"): producers must send \"profileName\"; a record still sending only \"reviewerName\" loses its value (the column is NULL). (major; RAW M, PQ M, SF M, DBT B, MART B)",
      ],
    },
    {
      id: "CE006",
      exit: 0,
      findings: [
        "CE006/rating.contract.ts:13:5: [CE004] Previously present field \"rating.reviewerName\" (CE006/rating.contract.ts:19:5 before) was deleted, and with it column \"rating.reviewer_name\". (major; RAW S, PQ S, SF M, DBT B, MART B)",
        "CE006/rating.contract.ts:19:5: [CE001] Optional field \"rating.profileName\" was added, stored as column \"rating.profile_name\". (minor; RAW M, PQ S, SF S, DBT S, MART S)",
        "CE006/rating.contract.ts:19:5: [CE006] Field \"rating.reviewerName\" was deleted and \"rating.profileName\" was added with the same shape: if this is a rename, declare renamedFrom: \"reviewerName\" on \"profileName\". (major; RAW S, PQ S, SF M, DBT B, MART B)",
      ],
    },
    {
      id: "CE007",
      exit: 0,
      findings: [
        "CE007/rating.contract.ts:16:5: [CE007] Column \"rating.helpful_votes\" was widened from int32 to int64. (minor; RAW S, PQ M, SF M, DBT M, MART S)",
      ],
    },
    {
      id: "CE009",
      exit: 0,
      findings: [
        "CE009/rating.contract.ts:15:5: [CE009] Column \"rating.rating\" was widened from decimal(2,1) to decimal(3,1). (minor; RAW S, PQ M, SF M, DBT M, MART S)",
      ],
    },
    {
      id: "CE010",
      exit: 1,
      findings: [
        "CE010/rating.contract.ts:15:5: [CE010] Column \"rating.rating\" was changed from decimal(2,1) to decimal(3,2). (major; RAW B, PQ B, SF M, DBT B, MART B)",
      ],
    },
    {
      id: "CE011",
      exit: 0,
      findings: [
        "CE011/rating.contract.ts:18:5: [CE011] Column \"rating.summary\" was changed from string to date. (major; RAW M, PQ B, SF M, DBT B, MART B)",
      ],
    },
    {
      id: "CE012",
      exit: 0,
      findings: [
        "CE012/rating.contract.ts:24:7: [CE012] Column \"rating.reviewed_at\" was changed from timestamp to date. (major; RAW M, PQ M, SF M, DBT B, MART B)",
      ],
    },
    {
      id: "CE013",
      exit: 1,
      findings: [
        "CE013/rating.contract.ts:16:5: [CE013] Column \"rating.helpful_votes\" was narrowed from int64 to int32. (major; RAW B, PQ B, SF M, DBT B, MART M)",
      ],
    },
    {
      id: "CE014",
      exit: 0,
      findings: [
        "CE014/rating.contract.ts:15:5: [CE014] Column \"rating.rating\" was changed from decimal(2,1) to float64. (major; RAW B, PQ B, SF M, DBT B, MART B)",
      ],
    },
    {
      id: "CE015",
      exit: 0,
      findings: [
        "CE015/rating.contract.ts:17:5: [CE015] Column \"rating.channel\" became nullable. (minor; RAW S, PQ S, SF S, DBT M, MART M)",
        "CE015/rating.contract.ts:17:5: [CE015] Field \"rating.channel\" became optional (producers may leave it out). (minor; RAW S, PQ S, SF S, DBT S, MART S)",
      ],
    },
    {
      id: "CE016",
      exit: 1,
      findings: [
        "CE016/rating.contract.ts:18:5: [CE016] Field \"rating.summary\" became required (producers must send it). (major; RAW B, PQ S, SF S, DBT S, MART S)",
      ],
    },
    {
      id: "CE017",
      exit: 0,
      findings: [
        "CE017/rating.contract.ts:17:5: [CE017] Value \"phone\" was added to the allowed values of field \"rating.channel\". (minor; RAW S, PQ S, SF S, DBT S, MART M)",
      ],
    },
    {
      id: "CE018",
      exit: 1,
      findings: [
        "CE018/rating.contract.ts:17:5: [CE018] Value \"app\" was removed from the allowed values of field \"rating.channel\". (major; RAW B, PQ M, SF S, DBT M, MART S)",
      ],
    },
    {
      id: "CE019",
      exit: 1,
      findings: [
        "CE019/rating.contract.ts:18:5: [CE019] Constraint maxLength of field \"rating.summary\" was tightened from 200 to 100. (major; RAW B, PQ M, SF S, DBT M, MART S)",
      ],
    },
    {
      id: "CE020",
      exit: 0,
      findings: [
        "CE020/rating.contract.ts:18:5: [CE020] Constraint maxLength of field \"rating.summary\" was relaxed from 200 to 500. (minor; RAW S, PQ S, SF S, DBT S, MART M)",
      ],
    },
    {
      id: "CE021",
      exit: 0,
      findings: [
        "CE021/rating.contract.ts:13:5: [CE004] Previously present column \"rating.rating_id\" (CE021/rating.contract.ts:22:23 before) was deleted. (major; RAW S, PQ S, SF M, DBT B, MART B)",
        "CE021/rating.contract.ts:13:5: [CE021] Column \"rating.rating_id\" left the key of \"rating\" (key is now [\"asin\"]). (major; RAW S, PQ S, SF S, DBT M, MART B)",
        "CE021/rating.contract.ts:13:5: [CE022] Column \"rating.asin\" joined the key of \"rating\" (key was [\"rating_id\"]). (minor; RAW S, PQ M, SF S, DBT M, MART S)",
      ],
    },
    {
      id: "CE022",
      exit: 0,
      findings: [
        "CE022/rating.contract.ts:13:5: [CE021] Column \"rating.asin\" left the key of \"rating\" (key is now [\"rating_id\"]). (major; RAW S, PQ S, SF S, DBT M, MART B)",
        "CE022/rating.contract.ts:13:5: [CE022] Column \"rating.rating_id\" joined the key of \"rating\" (key was [\"asin\"]). (minor; RAW S, PQ M, SF S, DBT M, MART S)",
        "CE022/rating.contract.ts:22:23: [CE001] Column \"rating.rating_id\" (string, not null) was added, read from an existing field. (minor; RAW S, PQ M, SF S, DBT M, MART S)",
      ],
    },
    {
      id: "CE023",
      exit: 0,
      findings: [
        "CE023/rating.contract.ts:13:5: [CE004] Previously present field \"rating.reviewerName\" (CE023/rating.contract.ts:19:5 before) was deleted; no column is deleted with it. (minor; RAW S, PQ S, SF S, DBT S, MART S)",
        "CE023/rating.contract.ts:19:5: [CE001] Optional field \"rating.reviewer\" was added, adding no column of its own. (minor; RAW M, PQ S, SF S, DBT S, MART S)",
        "CE023/rating.contract.ts:19:33: [CE023] Column \"rating.reviewer_name\" moved from \"reviewerName\" to \"reviewer.reviewerName\". (major; RAW M, PQ M, SF M, DBT B, MART B)",
      ],
    },
    {
      id: "CE024",
      exit: 2,
      findings: [],
      stderr: "error CONTRACT.UNSUPPORTED_ZOD_KIND at rating.summary: Zod kind \"default\" cannot describe a stored raw JSON value.",
    },
    {
      id: "CE025",
      exit: 0,
      findings: [
        "CE025/rating.contract.ts:13:5: [CE025] Raw record of \"rating\" became open: unknown keys are no longer rejected. (minor; RAW S, PQ S, SF S, DBT S, MART S)",
      ],
    },
    {
      id: "CE026",
      exit: 0,
      findings: [
        "CE026/rating.contract.ts:13:5: [CE026] The processed location of \"rating\" changed from \"s3://fixture-processed/ratings/\" to \"s3://fixture-processed/ratings-v2/\". (minor; RAW S, PQ M, SF M, DBT S, MART S)",
      ],
    },
    {
      id: "CE027",
      exit: 1,
      findings: [
        "CE027/seller.contract.ts:13:5: [CE027] Previously present dataset \"seller\" (CE027/seller.contract.ts, tables \"seller\") was deleted. (major; RAW B, PQ M, SF B, DBT B, MART B)",
      ],
    },
    {
      id: "CE028",
      exit: 0,
      findings: [
        "CE028/rating.contract.ts:19:5: [CE028] PII classification of column \"rating.reviewer_name\" changed from \"none\" to \"personal\". It touches the tag AMAZON_REVIEWS.GOVERNANCE.PII on AMAZON_REVIEWS.RAW.RATING and the masking policy AMAZON_REVIEWS.GOVERNANCE.RATING_VALUE_MASK on its VALUE (which now removes reviewer_name); the tag-based masking policy AMAZON_REVIEWS.GOVERNANCE.PII_STRING_MASK; the staging view stg_amazon__ratings (reviewer_name → reviewer_name_hash); every mart and QuickSight data set built from that staging column. (major; RAW S, PQ S, SF M, DBT B, MART B)",
      ],
    },
    {
      id: "CE028-lowered",
      exit: 1,
      findings: [
        "CE028-lowered/rating.contract.ts:19:5: [CE028] PII classification of column \"rating.reviewer_name\" changed from \"personal\" to \"none\" (lowered). It touches the tag AMAZON_REVIEWS.GOVERNANCE.PII on AMAZON_REVIEWS.RAW.RATING and the masking policy AMAZON_REVIEWS.GOVERNANCE.RATING_VALUE_MASK on its VALUE (which no longer removes reviewer_name); the tag-based masking policy AMAZON_REVIEWS.GOVERNANCE.PII_STRING_MASK; the staging view stg_amazon__ratings (reviewer_name_hash → reviewer_name); every mart and QuickSight data set built from that staging column. Lowering a class needs a reviewer's note: add piiReview to the column's metadata (why it is safe, who approved). (major; RAW S, PQ S, SF M, DBT B, MART B)",
      ],
    },
    {
      id: "CE028-noted",
      exit: 0,
      findings: [
        "CE028-noted/rating.contract.ts:19:5: [CE028] PII classification of column \"rating.reviewer_name\" changed from \"personal\" to \"none\" (lowered). It touches the tag AMAZON_REVIEWS.GOVERNANCE.PII on AMAZON_REVIEWS.RAW.RATING and the masking policy AMAZON_REVIEWS.GOVERNANCE.RATING_VALUE_MASK on its VALUE (which no longer removes reviewer_name); the tag-based masking policy AMAZON_REVIEWS.GOVERNANCE.PII_STRING_MASK; the staging view stg_amazon__ratings (reviewer_name_hash → reviewer_name); every mart and QuickSight data set built from that staging column. Reviewer's note (piiReview): \"Only initials since 2026-11; approved by privacy review PRIV-42.\". (major; RAW S, PQ S, SF M, DBT B, MART B)",
      ],
    },
    {
      id: "CE028-sensitive",
      exit: 0,
      findings: [
        "CE028-sensitive/rating.contract.ts:13:5: [CE004] Previously present column \"rating.reviewer_name\" (CE028-sensitive/rating.contract.ts:19:5 before) was deleted. (major; RAW S, PQ S, SF M, DBT B, MART B)",
        "CE028-sensitive/rating.contract.ts:19:5: [CE028] PII classification of column \"rating.reviewer_name\" changed from \"none\" to \"sensitive\". It touches the processed table rating, the Parquet schema and external table AMAZON_REVIEWS.RAW.RATING (the column leaves them: sensitive data stays in the cleaned zone); the staging view stg_amazon__ratings (reviewer_name → (absent)); every mart and QuickSight data set built from that staging column. (major; RAW S, PQ B, SF B, DBT B, MART B)",
      ],
    },
    {
      // The class is compared per raw field: a column renamed while its class is lowered is not just a removal and
      // an addition.
      id: "CE028-renamed",
      exit: 1,
      findings: [
        "CE028-renamed/rating.contract.ts:13:5: [CE004] Previously present column \"rating.reviewer_name\" (CE028-renamed/rating.contract.ts:19:5 before) was deleted. (major; RAW S, PQ S, SF M, DBT B, MART B)",
        "CE028-renamed/rating.contract.ts:19:5: [CE001] Column \"rating.reviewer_display_name\" (string) was added, read from an existing field. (minor; RAW S, PQ S, SF S, DBT S, MART S)",
        "CE028-renamed/rating.contract.ts:19:5: [CE028] PII classification of column \"rating.reviewer_display_name\" (\"rating.reviewer_name\" before, read from the same raw field) changed from \"personal\" to \"none\" (lowered). It touches the tag AMAZON_REVIEWS.GOVERNANCE.PII on AMAZON_REVIEWS.RAW.RATING and the masking policy AMAZON_REVIEWS.GOVERNANCE.RATING_VALUE_MASK on its VALUE (which no longer removes reviewer_display_name); the tag-based masking policy AMAZON_REVIEWS.GOVERNANCE.PII_STRING_MASK; the staging view stg_amazon__ratings (reviewer_name_hash \u2192 reviewer_display_name); every mart and QuickSight data set built from that staging column. Lowering a class needs a reviewer's note: add piiReview to the column's metadata (why it is safe, who approved). (major; RAW S, PQ S, SF M, DBT B, MART B)",
      ],
    },
    {
      // A sensitive field is withheld (in no processed table): brought out as "none" under another column name, it
      // is still a lowered class, not only an added column.
      id: "CE028-withheld",
      exit: 1,
      findings: [
        "CE028-withheld/rating.contract.ts:19:5: [CE001] Column \"rating.reviewer_display_name\" (string) was added, read from an existing field. (minor; RAW S, PQ S, SF S, DBT S, MART S)",
        "CE028-withheld/rating.contract.ts:19:5: [CE028] PII classification of column \"rating.reviewer_display_name\" (\"rating.reviewer_name\" before, read from the same raw field) changed from \"sensitive\" to \"none\" (lowered). It touches the processed table rating, the Parquet schema and external table AMAZON_REVIEWS.RAW.RATING (the column is added to them); the staging view stg_amazon__ratings ((absent) \u2192 reviewer_display_name); every mart and QuickSight data set built from that staging column. Lowering a class needs a reviewer's note: add piiReview to the column's metadata (why it is safe, who approved). (major; RAW S, PQ M, SF M, DBT B, MART M)",
      ],
    },
    {
      id: "CE029",
      exit: 0,
      findings: [
        "CE029/rating.contract.ts:18:5: [CE029] The description of column \"rating.summary\" changed. (patch; RAW S, PQ S, SF S, DBT S, MART S)",
      ],
    },
    {
      id: "CE030",
      exit: 0,
      findings: [
        "CE030/seller.contract.ts:13:5: [CE030] Dataset \"seller\" was added (tables \"seller\"). (minor; RAW S, PQ S, SF S, DBT S, MART S)",
      ],
    },
    {
      id: "CE031",
      exit: 1,
      findings: [
        "CE031/rating.contract.ts:18:5: [CE031] Normalisations of column \"rating.summary\" changed from [trim, empty_to_null] to [trim, html_unescape, empty_to_null]. (minor; RAW S, PQ M, SF S, DBT S, MART M)",
      ],
    },
    {
      id: "EQUIVALENT",
      exit: 0,
      findings: [],
    },
    // No change, but the version went down: a later change could take the higher number again.
    {
      id: "VERSION-DOWN",
      exit: 1,
      findings: [],
    },
    // No change; a pre-release becomes its release, which comes after it (semver precedence).
    {
      id: "PRERELEASE-RELEASE",
      exit: 0,
      findings: [],
    },
    // Variants: the same rule, another case.
    {
      id: "CE005-same-column",
      exit: 0,
      findings: [
        "CE005-same-column/rating.contract.ts:19:5: [CE005] Field \"rating.reviewerName\" was renamed to \"rating.profileName\" (declared with renamedFrom; column names unchanged): producers must send \"profileName\"; a record still sending only \"reviewerName\" loses its value (the column is NULL). (minor; RAW M, PQ S, SF S, DBT S, MART S)",
      ],
    },
    {
      // The cleaning job reads only the new key: a required key under its old name is a missing key.
      id: "CE005-required",
      exit: 1,
      findings: [
        "CE005-required/rating.contract.ts:17:5: [CE005] Field \"rating.channel\" was renamed to \"rating.source\" (declared with renamedFrom; column names unchanged): producers must send \"source\"; a record still sending only \"channel\" is quarantined (the key is required). (major; RAW B, PQ S, SF S, DBT S, MART S)",
      ],
    },
    {
      id: "CE014-raw-kind",
      exit: 0,
      findings: [
        "CE014-raw-kind/rating.contract.ts:16:5: [CE014] Field \"rating.helpful\" changed type from integer to string. (major; RAW B, PQ S, SF S, DBT S, MART S)",
        "CE014-raw-kind/rating.contract.ts:16:5: [CE031] Normalisations of column \"rating.helpful_votes\" changed from [] to [parse_integer]. (minor; RAW S, PQ M, SF S, DBT S, MART M)",
      ],
    },
    {
      // A closed record is refused: the cleaning jobs ignore keys the contract does not list (only a base can be closed).
      id: "CE025-closed",
      exit: 2,
      findings: [],
      stderr: "error CONTRACT.UNCHECKED_RULE at rating: A strict object (unknown keys refused) as the record: Zod and the JSON Schema apply it, no cleaning job would.",
    },
    {
      id: "CE031-key",
      exit: 1,
      findings: [
        "CE031-key/rating.contract.ts:22:23: [CE031] Column \"rating.rating_id\" is now read from surrogate_key:reviewerID|asin (was surrogate_key:reviewerID|asin|unixReviewTime). (major; RAW S, PQ B, SF S, DBT S, MART B)",
      ],
    },
    {
      // A key column normalised differently gives changed values new identities, as a changed key source does.
      id: "CE031-key-normalize",
      exit: 1,
      findings: [
        "CE031-key-normalize/rating.contract.ts:14:5: [CE031] Normalisations of key column \"rating.asin\" changed from [] to [trim]. (major; RAW S, PQ B, SF S, DBT S, MART B)",
      ],
    },
    {
      // A surrogate key hashes its inputs' values, not their names: renaming an input (declared) keeps every key.
      id: "CE031-key-renamed-input",
      exit: 0,
      findings: [
        "CE031-key-renamed-input/rating.contract.ts:13:5: [CE005] Field \"rating.reviewerID\" was renamed to \"rating.reviewerId\" (declared with renamedFrom; column names unchanged): producers must send \"reviewerId\"; a record still sending only \"reviewerID\" is quarantined (the key is required). (major; RAW B, PQ S, SF S, DBT S, MART S)",
      ],
    },
    {
      id: "CE018-accepted-values",
      exit: 0,
      findings: [
        "CE018-accepted-values/rating.contract.ts:19:5: [CE018] Allowed values [\"anonymous\"] were declared for column \"rating.reviewer_name\". (minor; RAW S, PQ M, SF S, DBT M, MART S)",
      ],
    },
    {
      id: "CE014-native",
      exit: 0,
      findings: [
        "CE014-native/rating.contract.ts:19:5: [CE014] Native type override of column \"rating.reviewer_name\" changed from [] to [snowflake=VARCHAR(64)]. (minor; RAW S, PQ S, SF M, DBT M, MART S)",
      ],
    },
    {
      // The external table reads a partition column only from the file path: removed, it is read from inside the
      // files, where it was never written (NULL on every old row); added or changed, old files have no such folder.
      id: "CE026-partition",
      exit: 1,
      findings: [
        "CE026-partition/rating.contract.ts:13:5: [CE026] Partitioning of \"rating\" changed from [\"review_date\"] to []: the files under \"s3://fixture-processed/ratings/rating/\" must be rewritten in the new layout before the change is applied. (major; RAW S, PQ M, SF B, DBT B, MART B)",
      ],
    },
    {
      id: "CE026-partition-added",
      exit: 0,
      findings: [
        "CE026-partition-added/rating.contract.ts:13:5: [CE026] Partitioning of \"rating\" changed from [] to [\"review_date\"]: the files under \"s3://fixture-processed/ratings/rating/\" must be rewritten in the new layout before the change is applied. (major; RAW S, PQ M, SF B, DBT B, MART B)",
      ],
    },
    {
      id: "CE026-partition-changed",
      exit: 1,
      findings: [
        "CE026-partition-changed/rating.contract.ts:13:5: [CE026] Partitioning of \"rating\" changed from [\"review_date\"] to [\"channel\"]: the files under \"s3://fixture-processed/ratings/rating/\" must be rewritten in the new layout before the change is applied. (major; RAW S, PQ M, SF B, DBT B, MART B)",
      ],
    },
    {
      // The cleaning job checks a union's JSON type against its options: a removed option quarantines its senders.
      id: "CE019-union-option",
      exit: 1,
      findings: [
        "CE019-union-option/rating.contract.ts:19:5: [CE019] Option number was removed from union field \"rating.reviewerName\": a record whose \"reviewerName\" is a number is now quarantined. (major; RAW B, PQ M, SF S, DBT S, MART S)",
      ],
    },
    {
      id: "CE020-union-option",
      exit: 0,
      findings: [
        "CE020-union-option/rating.contract.ts:19:5: [CE020] Option number was added to union field \"rating.reviewerName\": producers may now send a number for \"reviewerName\". (minor; RAW S, PQ S, SF S, DBT S, MART M)",
      ],
    },
    {
      // A range is compared by its effective bounds: .min(1) → .gt(0) admits (0, 1) on a number; on an integer
      // .min(0).max(2147483647) → .gt(-1).lt(2147483648) is the same range.
      id: "CE020-bound-keyword",
      exit: 0,
      findings: [
        "CE020-bound-keyword/rating.contract.ts:15:5: [CE020] Lower bound of field \"rating.overall\" was relaxed from >= 1 to > 0. (minor; RAW S, PQ S, SF S, DBT S, MART M)",
      ],
    },
    {
      id: "CE006-not-alike",
      exit: 0,
      findings: [
        "CE006-not-alike/rating.contract.ts:13:5: [CE004] Previously present field \"rating.reviewerName\" (CE006-not-alike/rating.contract.ts:19:5 before) was deleted, and with it column \"rating.reviewer_name\". (major; RAW S, PQ S, SF M, DBT B, MART B)",
        "CE006-not-alike/rating.contract.ts:19:5: [CE001] Optional field \"rating.nickname\" was added, stored as column \"rating.nickname\". (minor; RAW M, PQ S, SF S, DBT S, MART S)",
      ],
    },
];

describe("one fixture pair per rule", () => {
  it.each(CASES)("$id", async ({ id, exit, findings, stderr }) => {
    const result = await runFixture(id);
    const lines = result.stdout.split("\n").filter((line) => line.startsWith(`${id}/`));
    expect(lines).toEqual(findings);
    expect(result.code).toBe(exit);
    if (stderr) expect(result.stderr).toContain(stderr);
    else expect(result.stderr).toBe("");
  });

  it("covers every reachable rule with its own fixture pair, and only unreachable rules go without", () => {
    // A base folder is read from a copy inside the head's root while it is compared (`.contract-diff-*`).
    const fixtures = (side: string) => new Set(readdirSync(join(TESTDATA, side)).filter((name) => !name.startsWith(".")));
    const dirs = fixtures("previous");
    expect(fixtures("current")).toEqual(dirs);
    for (const rule of RULES) {
      if (rule.id === "CE008") {
        // The IR has no 32-bit float kind: a contract cannot express this change at all (types.float32 does not exist).
        expect(rule.reachable).toBe(false);
        continue;
      }
      expect(dirs.has(rule.id), rule.id).toBe(true);
      const own = CASES.find((c) => c.id === rule.id)!;
      if (rule.reachable) expect(own.findings.some((line) => line.includes(`[${rule.id}]`)), rule.id).toBe(true);
      else expect(own.exit, `${rule.id} is unreachable: its fixture must be refused`).toBe(2);
    }
  });

  it("refuses a version lowered without any change", async () => {
    const result = await runFixture("VERSION-DOWN");
    expect(result.stdout).toContain('FAIL: contract "rating" (VERSION-DOWN/rating.contract.ts) 2.0.0 → 1.0.0: 2.0.0 → 1.0.0 lowers the version: keep 2.0.0, or raise it.');
  });

  it("accepts a pre-release's release as the next version", async () => {
    const result = await runFixture("PRERELEASE-RELEASE");
    expect(result.stdout).toContain('ok: contract "rating" (PRERELEASE-RELEASE/rating.contract.ts) 3.0.0-rc.1 → 3.0.0: No contract change.');
  });

  it.each(["CE028-lowered", "CE028-renamed", "CE028-withheld"])("%s: a lowered PII class without a reviewer's note fails the verdict", async (id) => {
    const { code, stdout } = await runFixture(id, ["--format", "json"]);
    const report = JSON.parse(stdout) as { verdicts: { dataset: string; ok: boolean; problem: string | null }[] };
    expect(report.verdicts).toEqual([expect.objectContaining({ dataset: "rating", ok: false, problem: "pii-note-missing" })]);
    expect(code).toBe(1);
  });

  it("CE009-mart: a retype a mart passes through under its enforced contract breaks the mart (MART B, major)", async () => {
    // A project of its own (contracts/ beside dbt-out/models/marts/): fct_ratings.rating selects the staging column
    // as it is and declares decimal(2, 1); agg_ratings.highest_rating is max() of it, declared the same. Columns that
    // cast (whole_stars, average_rating) are not named.
    const project = join(TESTDATA, "current", "CE009-mart");
    const { code, stdout, stderr } = await run(["--base-dir", join(TESTDATA, "previous", "CE009-mart", "contracts"), "--root", project, "--contracts", "contracts"]);
    expect(stdout.split("\n").filter((line) => line.startsWith("contracts/"))).toEqual([
      'contracts/rating.contract.ts:15:5: [CE009] Column "rating.rating" was widened from decimal(2,1) to decimal(3,1). Mart columns "fct_ratings.rating", "agg_ratings.highest_rating" pass it through and their enforced contracts still declare decimal(2, 1): the marts fail to build ("data type mismatch") until that data_type is changed. (major; RAW S, PQ M, SF M, DBT M, MART B)',
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(1);
  });

  it("names the bump a failing contract needs", async () => {
    const result = await runFixture("CE003");
    expect(result.stdout).toContain(
      'FAIL: contract "rating" (CE003/rating.contract.ts) 1.0.0 → 1.1.0: The changes need a major bump, but 1.0.0 → 1.1.0 is only a minor bump: set version to 2.0.0 or higher.',
    );
  });

  it.each([
    ["CE005", ["ALTER TABLE AMAZON_REVIEWS.RAW.RATING DROP COLUMN REVIEWER_NAME;", 'ALTER TABLE AMAZON_REVIEWS.RAW.RATING ADD COLUMN PROFILE_NAME VARCHAR AS (COALESCE(VALUE:"profile_name"::VARCHAR, VALUE:"reviewer_name"::VARCHAR));']],
    ["CE014-native", ["ALTER TABLE AMAZON_REVIEWS.RAW.RATING DROP COLUMN REVIEWER_NAME;", 'ALTER TABLE AMAZON_REVIEWS.RAW.RATING ADD COLUMN REVIEWER_NAME VARCHAR(64) AS (VALUE:"reviewer_name"::VARCHAR(64));']],
    ["CE007", ["ALTER TABLE AMAZON_REVIEWS.RAW.RATING DROP COLUMN HELPFUL_VOTES;", 'ALTER TABLE AMAZON_REVIEWS.RAW.RATING ADD COLUMN HELPFUL_VOTES NUMBER(19,0) AS (VALUE:"helpful_votes"::NUMBER(19,0));']],
    ["CE001", ['ALTER TABLE AMAZON_REVIEWS.RAW.RATING ADD COLUMN REVIEW_TEXT VARCHAR AS (VALUE:"review_text"::VARCHAR);']],
    ["CE027", ["DROP EXTERNAL TABLE IF EXISTS AMAZON_REVIEWS.RAW.SELLER;"]],
    ["CE030", ["-- seller is a new external table: create it with the generated external-table DDL."]],
    ["CE029", []],
  ])("%s: Snowflake migration statements", async (id, statements) => {
    const { stdout } = await runFixture(id, ["--format", "json"]);
    const report = JSON.parse(stdout) as { findings: { migration: { snowflake: string[] } }[] };
    expect(report.findings.flatMap((f) => f.migration.snowflake)).toEqual(statements);
  });

  it("accepts a deleted contract only with --allow-removal", async () => {
    expect((await runFixture("CE027")).code).toBe(1);
    const allowed = await runFixture("CE027", ["--allow-removal", "seller"]);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain('ok: contract "seller" (CE027/seller.contract.ts) 1.0.0 → (deleted): Deleted; the deletion was accepted with --allow-removal.');
  });
});
