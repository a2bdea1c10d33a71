/**
 * Table-driven unit tests of the pieces under the CLI: type-change classification, constraint direction, bump
 * arithmetic, the rule table's self-consistency, line counting of generated files, and escaping in every format.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { GeneratorBug } from "../lib/errors.js";
import { escapeMarkdown, fitMarkdown, GITHUB_COMMENT_LIMIT, render, ruleTable } from "./format.js";
import { compareFileSets, maskHashes } from "./generated-changes.js";
import type { ModelColumn } from "./model.js";
import { classify, compareVersions, declaredBump, nextVersion, type Finding, type Report } from "./report.js";
import { bumpFor, constraintDirection, RULES, typeChangeRule } from "./rules.js";
import { effectiveBound } from "./bounds.js";
import type { LogicalType } from "../ir/types.js";

const column = (type: LogicalType) => ({ type }) as ModelColumn;
const t = (kind: string, precision?: number, scale?: number) => (precision === undefined ? { kind } : { kind, precision, scale }) as LogicalType;

describe("type changes", () => {
  it.each([
    [t("int32"), t("int64"), "CE007"],
    [t("int64"), t("int32"), "CE013"],
    [t("decimal", 2, 1), t("decimal", 3, 1), "CE009"],
    [t("decimal", 3, 1), t("decimal", 2, 1), "CE010"],
    [t("decimal", 3, 1), t("decimal", 4, 2), "CE010"],
    [t("string"), t("date"), "CE011"],
    [t("string"), t("timestamp"), "CE011"],
    [t("timestamp"), t("date"), "CE012"],
    [t("date"), t("timestamp"), "CE012"],
    [t("float64"), t("int64"), "CE013"],
    [t("decimal", 12, 2), t("int64"), "CE013"],
    [t("float64"), t("decimal", 12, 2), "CE013"],
    [t("decimal", 2, 1), t("float64"), "CE014"],
    [t("string"), t("int64"), "CE014"],
    [t("json"), t("string"), "CE014"],
    [t("boolean"), t("string"), "CE014"],
  ])("%j → %j is %s", (before, after, rule) => {
    expect(typeChangeRule(column(before), column(after))).toBe(rule);
  });
});

describe("constraint direction", () => {
  it.each([
    ["lowerBound", { value: 1, inclusive: true }, { value: 2, inclusive: true }, "tightened"],
    ["lowerBound", { value: 2, inclusive: true }, { value: 1, inclusive: true }, "relaxed"],
    ["lowerBound", { value: 0, inclusive: true }, { value: 0, inclusive: false }, "tightened"],
    ["lowerBound", { value: 1, inclusive: true }, { value: 0, inclusive: false }, "relaxed"],
    ["upperBound", { value: 5, inclusive: true }, { value: 4, inclusive: true }, "tightened"],
    ["upperBound", { value: 4, inclusive: true }, { value: 5, inclusive: true }, "relaxed"],
    ["upperBound", { value: 10, inclusive: false }, { value: 20, inclusive: false }, "relaxed"],
    ["upperBound", { value: 10, inclusive: false }, { value: 10, inclusive: true }, "relaxed"],
    ["maxLength", undefined, 10, "tightened"],
    ["maxLength", 10, undefined, "relaxed"],
    ["minItems", 1, 2, "tightened"],
    ["pattern", undefined, "^a$", "tightened"],
    ["pattern", "^a$", undefined, "relaxed"],
    ["pattern", "^a$", "^(a|b)$", "tightened"],
  ] as const)("%s %j → %j is %s", (name, before, after, want) => {
    expect(constraintDirection(name, before, after)).toBe(want);
  });
  // The effective bound: the tighter keyword, and on an integer field the whole number it allows.
  it.each([
    ["number", { minimum: 1 }, "lowerBound", { value: 1, inclusive: true }],
    ["number", { exclusiveMinimum: 0 }, "lowerBound", { value: 0, inclusive: false }],
    ["number", { minimum: 0, exclusiveMinimum: 0 }, "lowerBound", { value: 0, inclusive: false }],
    ["number", { maximum: 5, exclusiveMaximum: 6 }, "upperBound", { value: 5, inclusive: true }],
    ["integer", { exclusiveMinimum: 0 }, "lowerBound", { value: 1, inclusive: true }],
    ["integer", { minimum: 0.5 }, "lowerBound", { value: 1, inclusive: true }],
    ["integer", { exclusiveMaximum: 10 }, "upperBound", { value: 9, inclusive: true }],
    ["integer", {}, "upperBound", undefined],
  ] as const)("%s %j: %s is %j", (kind, constraints, side, want) => {
    expect(effectiveBound({ kind, constraints }, side)).toEqual(want);
  });
});

describe("versions", () => {
  it.each([
    ["1.2.3", "2.0.0", "major"],
    ["1.2.3", "1.3.0", "minor"],
    ["1.2.3", "1.2.4", "patch"],
    ["1.2.3", "1.2.3", "none"],
    ["1.2.3", "1.1.9", "none"],
    ["2.0.0", "1.9.0", "none"],
    ["1.9.0", "1.10.0", "minor"],
    ["1.0.0-rc.1", "1.0.1", "patch"],
    // A pre-release is a step toward its release, which declares the bump its version announces.
    ["3.0.0-rc.1", "3.0.0", "major"],
    ["3.0.0-rc.1", "3.0.0-rc.2", "major"],
    ["3.1.0-rc.1", "3.1.0", "minor"],
    ["3.1.2-rc.1", "3.1.2", "patch"],
    ["2.4.1", "3.0.0-rc.1", "major"],
    ["3.0.0", "3.0.0-rc.1", "none"],
    ["3.0.0-rc.2", "3.0.0-rc.1", "none"],
  ])("%s → %s declares %s", (before, after, want) => {
    expect(declaredBump(before, after)).toBe(want);
  });
  it.each([
    ["1.2.3", "major", "2.0.0"],
    ["1.2.3", "minor", "1.3.0"],
    ["1.2.3", "patch", "1.2.4"],
    ["3.0.0-rc.1", "major", "3.0.0"],
    ["3.1.0-rc.1", "minor", "3.1.0"],
    ["3.1.0-rc.1", "major", "4.0.0"],
  ] as const)("%s needs at least %s: %s", (version, bump, want) => {
    expect(nextVersion(version, bump)).toBe(want);
  });
  // The precedence example of https://semver.org/#spec-item-11, in order.
  const ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0"];
  it.each(ordered.slice(1).map((after, i) => [ordered[i]!, after]))("%s comes before %s", (before, after) => {
    expect(compareVersions(before, after)).toBeLessThan(0);
    expect(compareVersions(after, before)).toBeGreaterThan(0);
    expect(compareVersions(after, after)).toBe(0);
  });
});

describe("the rule table", () => {
  it("has unique ids in order, and each rule's bump is the one its severities imply", () => {
    expect(RULES.map((r) => r.id)).toEqual([...RULES.map((r) => r.id)].sort());
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
    for (const rule of RULES) expect(bumpFor(rule.severity, rule.bump), rule.id).toBe(rule.bump);
  });

  it("derives bumps: any B → major, any M → minor, otherwise the rule's own (at most minor)", () => {
    const s = { RAW: "S", PQ: "S", SF: "S", DBT: "S", MART: "S" } as const;
    expect(bumpFor({ ...s, MART: "B" }, "minor")).toBe("major");
    expect(bumpFor({ ...s, PQ: "M" }, "major")).toBe("minor");
    expect(bumpFor(s, "major")).toBe("minor");
    expect(bumpFor(s, "patch")).toBe("patch");
  });

  it("refuses a change no rule classifies: every change must be reviewed", () => {
    expect(() => classify([{ kind: "dataset_changed", aspect: "owner" } as never], [])).toThrow(GeneratorBug);
  });

  it("is the table the README documents", () => {
    const readme = readFileSync(resolve(import.meta.dirname, "../../README.md"), "utf8");
    expect(readme).toContain(ruleTable());
  });
});

describe("generated file changes", () => {
  it("counts added and removed lines per file, ignoring contract hashes", () => {
    const hashA = `sha256:${"a".repeat(64)}`;
    const hashB = `sha256:${"b".repeat(64)}`;
    const changes = compareFileSets(
      [
        { path: "generated/a.txt", contents: `# from x (${hashA})\none\ntwo\nthree\n` },
        { path: "generated/same.txt", contents: `# ${hashA}\nkept\n` },
        { path: "generated/gone.txt", contents: "1\n2\n" },
      ],
      [
        { path: "generated/a.txt", contents: `# from x (${hashB})\none\n2\nthree\nfour\n` },
        { path: "generated/same.txt", contents: `# ${hashB}\nkept\n` },
        { path: "generated/new.txt", contents: "x\ny\nz\n" },
      ],
    );
    expect(changes).toEqual([
      { path: "generated/a.txt", status: "changed", linesAdded: 2, linesRemoved: 1 },
      { path: "generated/gone.txt", status: "removed", linesAdded: 0, linesRemoved: 2 },
      { path: "generated/new.txt", status: "added", linesAdded: 3, linesRemoved: 0 },
    ]);
    expect(maskHashes(`"sha256": "${"c".repeat(64)}"`)).toBe('"sha256": "…"');
  });

  it("ignores the contract versions beside the hashes in headers, not a version written elsewhere", () => {
    const header = (a: string, b: string) =>
      `# Generated by review-contracts from contracts/a.contract.ts (${a}, sha256:${"a".repeat(12)}), contracts/b.contract.ts (${b}, sha256:${"b".repeat(12)}).\n`;
    const single = (v: string) => `-- Generated by review-contracts from contracts/b.contract.ts (contract ${v}, sha256:${"b".repeat(64)}).\n`;
    const changes = compareFileSets(
      [
        { path: "dbt-out/dbt_project.yml", contents: `${header("1.0.0", "3.0.0")}name: x\n` },
        { path: "generated/snowflake/20_b.sql", contents: `${single("3.0.0")}SELECT 1;\n` },
        { path: "glue-pyspark-out/clean_b.py", contents: `${single("3.0.0")}CONTRACT = "b@3.0.0"\n` },
      ],
      [
        { path: "dbt-out/dbt_project.yml", contents: `${header("1.0.0", "3.0.1-rc.1")}name: x\n` },
        { path: "generated/snowflake/20_b.sql", contents: `${single("3.0.1")}SELECT 1;\n` },
        { path: "glue-pyspark-out/clean_b.py", contents: `${single("3.0.1")}CONTRACT = "b@3.0.1"\n` },
      ],
    );
    expect(changes).toEqual([{ path: "glue-pyspark-out/clean_b.py", status: "changed", linesAdded: 1, linesRemoved: 1 }]);
  });
});

describe("escaping", () => {
  const hostile = 'Value "a|b`c<img src=x>*d*\n::error::x %0A" was added to the allowed values of field "rating.channel".';
  const finding: Finding = {
    rule: "CE017",
    name: "enum-value-added",
    dataset: "rating",
    subject: "rating.channel",
    message: hostile,
    where: { file: "contracts/a,b:c.contract.ts", line: 3, column: 5 },
    severity: { RAW: "S", PQ: "S", SF: "S", DBT: "S", MART: "M" },
    bump: "minor",
    consequence: "c",
    migration: { snowflake: ["ALTER TABLE t ADD COLUMN c VARCHAR AS (VALUE:c::VARCHAR); -- ```"], dbtVersion: false },
  };
  const report: Report = {
    schema: "contract-diff/3",
    base: "main|x",
    head: "working tree",
    ok: true,
    findings: [finding],
    verdicts: [{ dataset: "rating", file: "contracts/a.contract.ts", baseVersion: "1.0.0", headVersion: "1.1.0", declared: "minor", required: "minor", ok: true, problem: null, reason: "r" }],
    quicksight: [
      { mart: "fct_reviews", column: "rating", change: "upstream", detail: "stg.rating a|b`c<img src=x>*d* ::error::x %0A\nnext", dataSet: "ds", visuals: ["v"], breaking: true },
    ],
    generatedFiles: [],
  };

  it("markdown: no cell break, code span, HTML or fence escape comes from contract text", () => {
    expect(escapeMarkdown("a|b`c<d>*e*_f_[g]")).toBe("a\\|b\\`c\\<d\\>\\*e\\*\\_f\\_\\[g\\]");
    // A mention in contract text would notify the user or team when the report is posted as a comment.
    expect(escapeMarkdown("ask @reviews-oncall or @acme/data-platform")).toBe("ask @&#8203;reviews-oncall or @&#8203;acme/data-platform");
    const md = render(report, "markdown");
    expect(md).toContain("a\\|b\\`c\\<img src=x\\>\\*d\\* ::error::x %0A");
    expect(md).not.toMatch(/(?<!\\)<img/);
    expect(md).toContain("Compared main\\|x with working tree.");
    const mentioning = render({ ...report, findings: [{ ...finding, consequence: "Ask @acme/data-platform." }] }, "markdown");
    expect(mentioning).toContain("Ask @&#8203;acme/data-platform.");
    expect(mentioning).not.toMatch(/@(?!&#8203;)/);
    expect(md).toContain("| `fct_reviews.rating` | upstream: stg.rating a\\|b\\`c\\<img src=x\\>\\*d\\* ::error::x %0A next | `ds` | `v` | **yes** |");
    const sql = md.slice(md.indexOf("```sql"));
    expect(sql.split("\n").filter((l) => l.startsWith("```"))).toEqual(["```sql", "```"]);
  });

  it("github: one annotation per line, properties and data escaped", () => {
    const lines = render(report, "github").trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    // The QuickSight impact: its text, newline included, stays data of one annotation.
    expect(lines[1]).toBe(
      "::warning title=QuickSight ds%3A fct_reviews.rating upstream::BREAKS fct_reviews.rating (upstream: stg.rating a|b`c<img src=x>*d* ::error::x %250A next): data set ds, visuals v",
    );
    expect(lines[0]).toBe(
      "::warning file=contracts/a%2Cb%3Ac.contract.ts,line=3,col=5,title=CE017 enum-value-added (minor)::Value \"a|b`c<img src=x>*d*%0A::error::x %250A\" was added to the allowed values of field \"rating.channel\". RAW S, PQ S, SF S, DBT S, MART M. c",
    );
  });

  it("text: one line per finding", () => {
    const text = render(report, "text");
    expect(text.split("\n")[0]).toBe(`contracts/a,b:c.contract.ts:3:5: [CE017] ${hostile.replace("\n", " ")} (minor; RAW S, PQ S, SF S, DBT S, MART M)`);
  });
});

describe("failing verdicts are named by what fails", () => {
  // A lowered PII class without the reviewer's note, on a contract already bumped major: the version is enough, the
  // note is what is missing, so nothing may call it a version bump that is too small.
  const lowered: Finding = {
    rule: "CE028",
    name: "pii-classification-changed",
    dataset: "rating",
    subject: "rating.reviewer_name",
    message: "PII classification of column \"rating.reviewer_name\" changed from \"personal\" to \"none\" (lowered).",
    where: { file: "contracts/rating.contract.ts", line: 19, column: 5 },
    severity: { RAW: "S", PQ: "S", SF: "M", DBT: "B", MART: "B" },
    bump: "major",
    consequence: "c",
    migration: { snowflake: [], dbtVersion: false },
    reviewerNote: { note: null },
  };
  const report = (problem: "pii-note-missing" | "bump-too-small"): Report => ({
    schema: "contract-diff/3",
    base: "main",
    head: "working tree",
    ok: false,
    findings: [lowered],
    verdicts: [
      {
        dataset: "rating",
        file: "contracts/rating.contract.ts",
        baseVersion: "1.0.0",
        headVersion: problem === "pii-note-missing" ? "2.0.0" : "1.1.0",
        declared: problem === "pii-note-missing" ? "major" : "minor",
        required: "major",
        ok: false,
        problem,
        reason: "r",
      },
    ],
    quicksight: [],
    generatedFiles: null,
  });

  it("a missing reviewer's note is an error titled by the note, not by the version", () => {
    const github = render(report("pii-note-missing"), "github");
    expect(github).toMatch(/^::error file=contracts\/rating\.contract\.ts,line=19,col=5,title=CE028 /m);
    expect(github).toContain("title=Contract rating%3A PII class lowered without a reviewer's note (piiReview)::r");
    expect(github).not.toContain("version bump too small");
    expect(render(report("pii-note-missing"), "text")).toMatch(/; 1 contract fails review\.\n$/);
    const md = render(report("pii-note-missing"), "markdown");
    expect(md).toContain("## Contract review: 1 contract fails review");
    expect(md).toContain("| 1.0.0 → 2.0.0 | major | major | **PII class lowered without a reviewer's note (piiReview)** |");
  });

  it("a version bump that is too small keeps its own title", () => {
    const github = render(report("bump-too-small"), "github");
    expect(github).toContain("title=Contract rating%3A version bump too small::r");
    expect(render(report("bump-too-small"), "text")).toMatch(/; 1 contract needs a bigger version bump\.\n$/);
    expect(render(report("bump-too-small"), "markdown")).toContain("| major | **needs major** |");
  });
});

describe("a markdown report cut to fit a pull-request comment", () => {
  // A field-removed finding per field, each with its Snowflake migration statement; messages carry a character outside
  // the Basic Multilingual Plane (one character, two UTF-16 units), so the count is of characters, as GitHub's.
  const finding = (i: number): Finding => ({
    rule: "CE004",
    name: "field-removed",
    dataset: "product",
    subject: `product.extra_${i}`,
    message: `Previously present field "product.extra_${i}" 🧾 was deleted.`,
    where: { file: "contracts/product.contract.ts", line: 17, column: 3 },
    severity: { RAW: "S", PQ: "S", SF: "M", DBT: "B", MART: "B" },
    bump: "major",
    consequence: "dbt models and marts selecting the column fail.",
    migration: { snowflake: [`ALTER TABLE product DROP COLUMN extra_${i};`], dbtVersion: true },
  });
  const report = (count: number): Report => ({
    schema: "contract-diff/3",
    base: "origin/main",
    head: "working tree",
    ok: true,
    findings: Array.from({ length: count }, (_, i) => finding(i)),
    verdicts: [{ dataset: "product", file: "contracts/product.contract.ts", baseVersion: "1.0.0", headVersion: "2.0.0", declared: "major", required: "major", ok: true, problem: null, reason: "r" }],
    quicksight: [],
    generatedFiles: [{ path: "generated/x.sql", status: "changed", linesAdded: 1, linesRemoved: 1 }],
  });
  const characters = (text: string) => [...text].length;

  it("leaves a report that fits unchanged", () => {
    const md = render(report(3), "markdown");
    expect(fitMarkdown(md, characters(md))).toBe(md);
    expect(fitMarkdown(md, GITHUB_COMMENT_LIMIT)).toBe(md);
  });

  it("cuts a longer one at a line, never between a change and its second line, keeping the head and summary, and says what is left out", () => {
    const md = render(report(400), "markdown");
    expect(characters(md)).toBeGreaterThan(GITHUB_COMMENT_LIMIT);
    const fitted = fitMarkdown(md, GITHUB_COMMENT_LIMIT);
    expect(characters(fitted)).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(characters(fitted)).toBeGreaterThan(GITHUB_COMMENT_LIMIT - 1_000); // not cut more than it needs
    const lines = fitted.trimEnd().split("\n");
    const body = lines.slice(0, -4);
    // Every kept line is a line of the report, in order, from its first.
    expect(md.startsWith(`${body.join("\n")}\n`)).toBe(true);
    expect(body).toContain("### Summary");
    expect(body.at(-1)).toMatch(/^ {2}RAW S, PQ S, SF M, DBT B, MART B\./);
    const total = md.trimEnd().split("\n").length;
    expect(lines.slice(-4)).toEqual([
      "",
      "---",
      "",
      `_The review is cut here to fit in ${GITHUB_COMMENT_LIMIT} characters: ${total - body.length} of its ${total} lines are left out (the rest of Changes, Migration, Generated files). ` +
        "The whole review: `npm run contract:diff -- --base <ref> --format markdown` without `--max-chars` (in CI, the workflow run's job summary)._",
    ]);
    expect(fitMarkdown(md, GITHUB_COMMENT_LIMIT)).toBe(fitted); // deterministic
  });

  it("closes a code block the cut leaves open", () => {
    const md = render(report(400), "markdown");
    const lines = md.split("\n");
    // Cut inside the Snowflake migration block: at its 100th statement, plus room for the note.
    const at = lines.indexOf("```sql") + 100;
    const fitted = fitMarkdown(md, characters(lines.slice(0, at).join("\n")) + 600);
    const fences = fitted.split("\n").filter((line) => line.startsWith("```"));
    expect(fences).toEqual(["```sql", "```"]);
    expect(fitted).toMatch(/ALTER TABLE product DROP COLUMN extra_\d+;\n```\n\n---\n\n_The review is cut here to fit in \d+ characters: \d+ of its \d+ lines are left out \(the rest of Migration, Generated files\)/);
    expect(characters(fitted)).toBeLessThanOrEqual(characters(lines.slice(0, at).join("\n")) + 600);
  });
});
