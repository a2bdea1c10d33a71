/**
 * The contracts against the real 2018 data: every line passes, with exact counts; realistic bad records are
 * rejected with the precise field path.
 */
import { describe, expect, it } from "vitest";
import product from "../contracts/product.contract.js";
import review from "../contracts/review.contract.js";
import { DATA_FILES, dataLines, dataRecords } from "./helpers/data.js";

function verdicts(schema: { safeParse(v: unknown): { success: boolean } }, records: unknown[]) {
  const valid = records.filter((r) => schema.safeParse(r).success).length;
  return { total: records.length, valid, invalid: records.length - valid };
}

const goodReview = dataRecords(DATA_FILES.reviews2018)[0] as Record<string, unknown>;

function issuePaths(value: unknown): string[] {
  const result = review.schema.safeParse(value);
  if (result.success) return [];
  return result.error.issues.map((i) => i.path.join("."));
}

describe("review contract on real 2018 data", () => {
  it("accepts every one of the 2,972 review lines", () => {
    expect(verdicts(review.schema, dataRecords(DATA_FILES.reviews2018))).toEqual({ total: 2972, valid: 2972, invalid: 0 });
  });

  it("rejects the 161 lines in the 2014 format (no `verified`)", () => {
    const lines = [...dataRecords(DATA_FILES.grocery2014), ...dataRecords(DATA_FILES.instruments2014)];
    expect(verdicts(review.schema, lines)).toEqual({ total: 161, valid: 0, invalid: 161 });
    expect(new Set(lines.flatMap(issuePaths))).toEqual(new Set(["verified"]));
  });

  it.each([
    ["overall null", { ...goodReview, overall: null }, ["overall"]],
    ["overall 7", { ...goodReview, overall: 7 }, ["overall"]],
    ["asin missing", (({ asin: _a, ...rest }) => rest)(goodReview), ["asin"]],
    ["vote \"abc\"", { ...goodReview, vote: "abc" }, ["vote"]],
    ["unixReviewTime as a string", { ...goodReview, unixReviewTime: "1529193600" }, ["unixReviewTime"]],
    ["image not an array", { ...goodReview, image: "https://images-na.ssl-images-amazon.com/x.jpg" }, ["image"]],
    ["an image URL with a space", { ...goodReview, image: ["https://x.example/a b.jpg"] }, ["image.0"]],
    ["style value not a string", { ...goodReview, style: { "Gift Amount:": 50 } }, ["style.Gift Amount:"]],
    ["a non-object line", [1, 2, 3], [""]],
  ])("rejects %s with the field path", (_name, record, paths) => {
    expect(issuePaths(record)).toEqual(paths);
  });

  it("accepts a vote with thousands separators and rejects a malformed one", () => {
    expect(issuePaths({ ...goodReview, vote: "1,341" })).toEqual([]);
    expect(issuePaths({ ...goodReview, vote: "1,34" })).toEqual(["vote"]);
  });
});

describe("product contract on real 2018 data", () => {
  it("accepts every one of the 1,547 product lines", () => {
    expect(verdicts(product.schema, dataRecords(DATA_FILES.products2018))).toEqual({ total: 1547, valid: 1547, invalid: 0 });
  });

  it("covers every asin the reviews refer to", () => {
    const asins = new Set(dataRecords(DATA_FILES.products2018).map((p) => (p as { asin: string }).asin));
    const reviewed = new Set(dataRecords(DATA_FILES.reviews2018).map((r) => (r as { asin: string }).asin));
    expect(reviewed.size).toBe(148);
    expect([...reviewed].filter((a) => !asins.has(a))).toEqual([]);
  });

  it("rejects a product without asin and one whose rank is a number", () => {
    const good = JSON.parse(dataLines(DATA_FILES.products2018)[0]!) as Record<string, unknown>;
    const { asin: _asin, ...noAsin } = good;
    expect(product.schema.safeParse(noAsin).error?.issues.map((i) => i.path.join("."))).toEqual(["asin"]);
    expect(product.schema.safeParse({ ...good, rank: 5 }).error?.issues.map((i) => i.path.join("."))).toEqual(["rank"]);
  });
});
