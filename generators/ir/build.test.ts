import { describe, expect, it } from "vitest";
import { generatedFrom } from "../../tests/helpers/generate.js";
import { compareCodePoints } from "../lib/sort.js";
import { snakeCase } from "./names.js";
import { unportableRegexReason } from "./regex.js";
import { IR_VERSION } from "./types.js";

describe("contract → IR", () => {
  it("is versioned, sorted by dataset, with columns in declaration order and partitions last", async () => {
    const { ir } = await generatedFrom();
    expect(ir.irVersion).toBe(IR_VERSION);
    // Sorted by name (code points): the shipped two, and any dataset added beside them.
    const names = ir.datasets.map((d) => d.name);
    expect(names).toEqual([...names].sort(compareCodePoints));
    expect(names).toEqual(expect.arrayContaining(["product", "review"]));
    const review = ir.datasets.find((d) => d.name === "review")!;
    expect(review.table.columns.map((c) => c.name)).toEqual([
      "review_id", "rating", "helpful_votes", "is_verified_purchase", "reviewer_id", "asin",
      "style_gift_amount", "style_format", "style_size", "style_color", "style_other_json",
      "reviewer_name", "review_text", "summary", "reviewed_at", "raw_object", "raw_modified_at", "processed_at", "review_date",
    ]);
    expect(review.table.key).toEqual(["review_id"]);
    expect(review.table.partitionBy).toEqual(["review_date"]);
    expect(review.excluded.map((e) => e.path)).toEqual(["reviewTime", "unixReviewTime"]);
  });

  it("records sources, normalisations, nullability and PII from the registries", async () => {
    const { ir } = await generatedFrom();
    const review = ir.datasets.find((d) => d.name === "review")!;
    const col = (name: string) => review.table.columns.find((c) => c.name === name)!;
    expect(col("review_id").source).toEqual({ kind: "surrogate_key", paths: ["reviewerID", "asin", "unixReviewTime"] });
    expect(col("helpful_votes")).toMatchObject({ type: { kind: "int64" }, nullable: true, normalize: ["parse_integer"] });
    expect(col("rating")).toMatchObject({ type: { kind: "decimal", precision: 2, scale: 1 }, nullable: false });
    expect(col("reviewer_name")).toMatchObject({ pii: "personal", nullable: true });
    expect(col("style_gift_amount").source).toEqual({ kind: "map_key", path: "style", key: "Gift Amount", keyNormalize: ["trim", "strip_trailing_colon"] });
    expect(col("asin").references).toEqual({ dataset: "product", column: "asin" });
    expect(col("reviewed_at")).toMatchObject({ type: { kind: "timestamp" }, nullable: false, normalize: ["epoch_seconds_to_timestamp"] });
    expect(col("rating").where).toMatchObject({ file: "contracts/review.contract.ts", path: "review.overall" });
    expect(col("rating").where.line).toBeGreaterThan(10);
  });

  it("turns arrays into child tables keyed by parent key and position, inheriting partitions", async () => {
    const { ir } = await generatedFrom();
    const images = ir.datasets.find((d) => d.name === "review")!.children[0]!;
    expect(images.name).toBe("review_images");
    expect(images.columns.map((c) => [c.name, c.source.kind])).toEqual([
      ["review_id", "parent_key"], ["position", "array_position"], ["image_url", "array_element"], ["raw_object", "raw_object"], ["raw_modified_at", "raw_modified_at"], ["processed_at", "processed_at"],
      ["review_date", "field"],
    ]);
    expect(images.key).toEqual(["review_id", "position"]);
    expect(images.partitionBy).toEqual(["review_date"]);
  });

  it("derives rules with stable reason codes from the Zod checks", async () => {
    const { ir } = await generatedFrom();
    const rules = ir.datasets.find((d) => d.name === "review")!.rules;
    const byCode = new Map(rules.map((r) => [r.code, r]));
    expect(byCode.get("overall.out_of_range")?.params).toEqual({ minimum: 1, maximum: 5 });
    expect(byCode.get("vote.pattern_mismatch")?.params.pattern).toBe("^(\\d{1,18}|\\d{1,3}(,\\d{3}){1,5})$");
    expect(byCode.has("vote.missing")).toBe(false);
    expect(byCode.has("asin.missing")).toBe(true);
    expect(byCode.get("unixReviewTime.out_of_range")?.params).toEqual({ minimum: 0, maximum: 253402300799 });
    expect(byCode.has("image[].pattern_mismatch")).toBe(true);
    expect(new Set(rules.map((r) => r.code)).size).toBe(rules.length);
  });
});

describe("names", () => {
  it.each([
    ["reviewerID", "reviewer_id"],
    ["unixReviewTime", "unix_review_time"],
    ["imageURLHighRes", "image_url_high_res"],
    ["main_cat", "main_cat"],
    ["Gift Amount:", "gift_amount"],
  ])("snakeCase(%s) = %s", (given, want) => expect(snakeCase(given)).toBe(want));
});

describe("regex portability (JavaScript, Java, RE2)", () => {
  it.each([
    ["^[0-9A-Z]{10}$", undefined],
    ["^(\\d+|\\d{1,3}(,\\d{3})+)$", undefined],
    ["^https?:\\/\\/[^ \\t\\r\\n]+$", undefined],
    ["^(?:ab)+$", undefined],
    ["^(?=a)", "lookahead"],
    ["(?<=a)b", "lookbehind"],
    ["(?<name>a)", "named group"],
    ["(a)\\1", "backreference"],
    ["^\\S+$", "\\S"],
    ["\\bword", "\\b"],
    ["^a.b$", ". ("],
    ["\\p{L}", "\\p"],
    ["[^]", "[^]"],
    ["(?i)abc", "inline flags"],
    ["^[[:alpha:]]+$", "[ inside a class"],
    ["^\\Qa.b\\E$", "\\Q"],
    ["^abc\\z", "\\z"],
    ["\\Aabc", "\\A"],
    ["^\\u00e9$", "\\u"],
    ["^\\v$", "\\v"],
    ["^[a-z&&[^b]]$", "&& inside a class"],
    ["^[a&&b]$", "&&"],
    ["^\\x4$", "\\x not followed"],
    ["^\\x41\\d\\w\\.\\[\\]$", undefined],
    // What JSON Schema validators refuse: they compile patterns in Unicode mode (the u flag).
    ["^\\x41\\-$", "syntax JSON Schema validators refuse"],
    ["^[A-Z]+\\_[0-9]+$", "syntax JSON Schema validators refuse"],
    ["^a\\:b$", "syntax JSON Schema validators refuse"],
    ["^x]$", "syntax JSON Schema validators refuse"],
    ["^a{2}b{1,}c{0,3}[{}]\\{x\\}$", undefined],
    ["^(ab){2,5}}$", "syntax JSON Schema validators refuse"],
    ["^{x}$", "{ that does not open a repetition"],
    ["^a{,3}$", "{ that does not open a repetition"],
    ["^x{1,2$", "{ that does not open a repetition"],
    ["^{2}a$", "{ that does not open a repetition"],
    ["^(a|{2})$", "{ that does not open a repetition"],
    ["^a{3,1}$", "the repetition {3,1}"],
    ["^a{1001}$", "the repetition {1001}"],
    ["^😀{2}$", "a character above U+FFFF"],
    ["^[😀]$", "a character above U+FFFF"],
    ["^é€$", undefined],
    // A negated class or escape counts an emoji in the data as two characters in JavaScript, one in Java and RE2.
    ["^[^a]$", "a negated class or escape"],
    ["^\\W{1,2}$", "a negated class or escape"],
    ["^\\D?$", "a negated class or escape"],
    ["^[^a]+$", undefined],
    ["^\\W*x\\D+$", undefined],
    // ... and no other negated item (or itself, through a repeated group) may take over where its run stops.
    ["^[^a]+[^b]+$", "another negated item may follow"],
    ["^\\D+\\D+$", "another negated item may follow"],
    ["^\\W+\\D*$", "another negated item may follow"],
    ["^([^,]+){2}$", "another negated item may follow"],
    ["^(?:[^,]+|x)+$", "another negated item may follow"],
    ["^[^a]+x?[^b]+$", "another negated item may follow"],
    ["^[^a]+x{0,2}[^b]+$", "another negated item may follow"],
    ["^[^a]+(?:x)[^b]+$", "another negated item may follow"],
    ["^(?:x|[^a]+)(?:y|[^b]+)$", "another negated item may follow"],
    ["^[^a]*?[^b]+$", "another negated item may follow"],
    ["^[^@ ]+@[^@ ]+$", undefined],
    ["^([^,]+,)+$", undefined],
    ["^(?:x|[^a]+)?y[^b]+$", undefined],
    ["^(?:[^a]+|x)$", undefined],
    ["^[^a]+[bc]{1,3}\\W+$", undefined],
    ["^[^a]+\\x41[^b]+$", undefined],
    // RE2 refuses an escaped non-ASCII character; Java and RE2 refuse a range to a class escape.
    ["^a\\éb$", "an escaped character that is not ASCII"],
    ["^[a-\\d]$", "a class range to \\d"],
    ["^[\\d-z]+$", "syntax JSON Schema validators refuse"],
    ["^[-\\w]+$", undefined],
    ["^a\\ b$", "syntax JSON Schema validators refuse"],
    ["^a b\\.c$", undefined],
  ])("%s → %s", (source, reason) => {
    const got = unportableRegexReason(source);
    if (reason === undefined) expect(got).toBeUndefined();
    else expect(got).toContain(reason);
  });

  // Java and RE2 read a character above U+FFFF as one, like JavaScript with the `u` flag: a pattern the check admits
  // must judge these probes alike with and without it (Zod tests without it).
  const probes = ["😀", "😀😀", "a😀", "😀a", "😀,😀", "😀,", "x😀y", "😀@😀", "😀x😀", "😀AB", "a😀b😀c", "😀 😀", "😀\n😀"];
  const differsOnProbes = (source: string) => probes.some((p) => new RegExp(source).test(p) !== new RegExp(source, "u").test(p));
  it("the refused neighbours do judge an emoji differently without the u flag, the admitted ones alike", () => {
    for (const source of ["^[^a]+[^b]+$", "^\\D+\\D+$", "^([^,]+){2}$", "^[^a]+x?[^b]+$", "^(?:x|[^a]+)(?:y|[^b]+)$"]) {
      expect(differsOnProbes(source), source).toBe(true);
    }
    for (const source of ["^[^a]+$", "^\\W*x\\D+$", "^[^@ ]+@[^@ ]+$", "^([^,]+,)+$", "^(?:x|[^a]+)?y[^b]+$", "^[^a]+\\x41[^b]+$", "^https?:\\/\\/[^ \\t\\r\\n]+$"]) {
      expect(unportableRegexReason(source), source).toBeUndefined();
      expect(differsOnProbes(source), source).toBe(false);
    }
  });
});
