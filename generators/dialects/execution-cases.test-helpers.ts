/**
 * Expressions executed by the real engines (DuckDB in `render.test.ts`, Spark in `runners/spark-local/`), each over
 * a column `input` with the value both must give. The expected values come from the contract's words and a plain
 * JavaScript reference, never from the rendering under test.
 */
import { createHash } from "node:crypto";
import { ruleFails, surrogateKey } from "./cleaning.js";
import { call, caseWhen, cast, elementAt, lit, ref, transform, type Expr } from "./expr.js";
import { render, type DialectTable } from "./render.js";

/** The decoder the contract documents, in plain JavaScript: one pass, valid code points only. */
export function htmlUnescapeReference(text: string): string {
  return text.replace(/&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|amp|lt|gt|quot|apos);/g, (entity, body: string) => {
    const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
    if (named[body]) return named[body]!;
    const cp = body[1] === "x" || body[1] === "X" ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
    return cp >= 1 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : entity;
  });
}

const sha256Hex = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

/** The surrogate key the contract kit documents: each text with `\` as `\\` and `|` as `\|`, joined by `|`, hashed. */
function surrogateKeyReference(texts: readonly string[]): string {
  return sha256Hex(texts.map((t) => t.replace(/[\\|]/g, (c) => `\\${c}`)).join("|"));
}

/** Key parts, two by two joined into the same text by a weaker encoding, which would keep one record of each two. */
const COLLIDING_KEY_PARTS: readonly (readonly [string, string])[] = [
  // The plain join: "A|B|C", twice.
  ["A|B", "C"],
  ["A", "B|C"],
  // `|` escaped and `\` not: "A\|B\|C", twice.
  ["A\\", "B|C"],
  ["A|B\\", "C"],
  // The plain join: "A\||B", twice.
  ["A\\", "|B"],
  ["A\\|", "B"],
];

const HTML_TEXTS = [
  "Robin &amp; Family",
  "Maggiano&#39;s &gt;&gt;&gt; &quot;x&quot; &apos;y&apos;",
  "&amp;lt; stays &lt;",
  "&#x1F600; &#X41; &#0; &#55296; &#1114112; &#99999999;",
  "&#0; &#xD800; &#xdfff; &#x110000; &#1114111; &#x10FFFF;",
  // Beyond Latin-1 (Spark's chr() cannot write these), and inside it.
  "&#128512; &#233; &#xE9; &#256; &#8364;",
  "a & b &amp c &#; &#x; &AMP; &&amp;; &#65&#66;",
  "line\nbreak &amp; 'quote' \\ back",
  "😀 é &lt;b&gt;",
  "",
  "plain",
];

const INTEGER_TEXTS: readonly (readonly [string, string | null])[] = [
  ["1,341", "1341"],
  ["1341", "1341"],
  ["0", "0"],
  ["123456789012345678", "123456789012345678"],
  ["999,999,999,999,999,999", "999999999999999999"],
  ["1,34", null],
  ["12,34", null],
  ["1,3410", null],
  [",341", null],
  ["1234567890123456789", null],
  ["-5", null],
  ["1.0", null],
  [" 12", null],
  ["12\n", null],
  ["", null],
];

const MONEY_TEXTS: readonly (readonly [string, string | null])[] = [
  ["$1,250.00", "1250.00"],
  ["$1250", "1250.00"],
  ["$1,250.5", "1250.50"],
  ["$0.99", "0.99"],
  ["$9,999,999,999.99", "9999999999.99"],
  // Beyond DECIMAL(12,2): NULL, not an error.
  ["$10,000,000,000.00", null],
  ["$99999999999.00", null],
  ["$1.999", null],
  ["$1,25.00", null],
  ["1250.00", null],
  ["$", null],
  ["$1.", null],
  ["$1.00\n", null],
  ["<div>$5.00</div>", null],
];

/** DECIMAL(38,2): every value the pattern admits (at most 30 integer digits) fits. */
const WIDE_MONEY_TEXTS: readonly (readonly [string, string | null])[] = [
  [`$${"9".repeat(30)}.99`, `${"9".repeat(30)}.99`],
  [`$1${",000".repeat(9)}.5`, `1${"000".repeat(9)}.50`],
  [`$${"9".repeat(31)}`, null],
  [`$1${",000".repeat(10)}`, null],
  ["$0.01", "0.01"],
];

export interface ExecutionCase {
  readonly name: string;
  /** An expression over the column `input` (a string). */
  readonly expr: Expr;
  /** Each input and the value wanted, as text (NULL as null). */
  readonly rows: readonly (readonly [string, string | null])[];
}

const over = (fn: Parameters<typeof call>[0], ...rest: Expr[]) => call(fn, ref("input"), ...rest);

export const EXECUTION_CASES: readonly ExecutionCase[] = [
  { name: "html_unescape", expr: over("html_unescape"), rows: HTML_TEXTS.map((t) => [t, htmlUnescapeReference(t)] as const) },
  { name: "parse_integer", expr: over("parse_integer"), rows: INTEGER_TEXTS },
  { name: "parse_money DECIMAL(12,2)", expr: over("parse_money", lit(12), lit(2)), rows: MONEY_TEXTS },
  { name: "parse_money DECIMAL(38,2)", expr: over("parse_money", lit(38), lit(2)), rows: WIDE_MONEY_TEXTS },
  // DECIMAL(25,2): the bound, 10^23, is beyond a double's exact integers.
  {
    name: "parse_money DECIMAL(25,2)",
    expr: over("parse_money", lit(25), lit(2)),
    rows: [
      [`$${"9".repeat(23)}.99`, `${"9".repeat(23)}.99`],
      [`$1${"0".repeat(23)}`, null],
      [`$${"0".repeat(7)}1${"0".repeat(22)}`, `1${"0".repeat(22)}.00`],
    ],
  },
  {
    name: "parse_month_day_year",
    expr: over("parse_month_day_year"),
    // Full and three-letter English month names, capitalised; every other text NULL (MONTH_DAY_YEAR_PATTERN).
    rows: [
      ["May 15, 2009", "2009-05-15"],
      ["October 4, 2018", "2018-10-04"],
      ["February 30, 2009", null],
      ["Mar 1, 2016", "2016-03-01"],
      ["Dec 27, 2013", "2013-12-27"],
      ["Sep 5, 2017", "2017-09-05"],
      ["Sep 05, 2017", "2017-09-05"],
      ["Feb 29, 2016", "2016-02-29"],
      ["Feb 29, 2015", null],
      ["Feb 30, 2016", null],
      // Year 0 (1 BC) exists in neither engine's reading of a date as Python's, which starts at year 1: a Parquet date
      // of year 0 fails every Python reader (PySpark's collect: "ordinal must be >= 1").
      ["January 1, 0000", null],
      ["Feb 29, 0000", null],
      ["Dec 31, 0000", null],
      ["Jan 1, 0001", "0001-01-01"],
      ["December 31, 9999", "9999-12-31"],
      ["Sept 5, 2017", null],
      ["Mar. 1, 2016", null],
      ["mar 1, 2016", null],
      ["MAR 1, 2016", null],
      ["Marc 1, 2016", null],
      ["Mar 1 2016", null],
      ["Mar 1, 16", null],
      ["Dec 27, 2013 ", null],
      ["03 1, 2016", null],
      ["2016-03-01", null],
      ["", null],
    ],
  },
  // UTC days, before 1970 too; NULL outside years 1–9999.
  {
    name: "epoch_seconds_to_date",
    expr: call("epoch_seconds_to_date", cast(ref("input"), { kind: "int64" })),
    rows: [
      ["0", "1970-01-01"],
      ["86399", "1970-01-01"],
      ["86400", "1970-01-02"],
      ["-1", "1969-12-31"],
      ["-86400", "1969-12-31"],
      ["-86401", "1969-12-30"],
      ["1528848000", "2018-06-13"],
      ["951782400", "2000-02-29"],
      ["-62135596800", "0001-01-01"],
      ["253402300799", "9999-12-31"],
      ["253402300800", null],
      ["-62135596801", null],
    ],
  },
  // Two key parts, written "first;second" in the input: distinct parts give distinct keys, and parts holding neither
  // `\` nor `|` give the SHA-256 of their plain join (the keys of the shipped contracts, unchanged).
  {
    name: "surrogate key",
    expr: surrogateKey([1, 2].map((i) => elementAt(call("regex_extract_all", ref("input"), lit("[^;]+")), i))),
    rows: [
      ...COLLIDING_KEY_PARTS.map((parts) => [parts.join(";"), surrogateKeyReference(parts)] as const),
      ["AX1;B000000001", sha256Hex("AX1|B000000001")],
      ["A1B2C3D4E5F6G7;0123456789", sha256Hex("A1B2C3D4E5F6G7|0123456789")],
    ],
  },
  // The range rule of z.number().gt(0).lt(5) (.positive() is gt(0)), over the input as the JSON value itself (an
  // empty path): a value at an exclusive bound is out of range, one just inside is valid.
  {
    name: "out_of_range at exclusive bounds",
    expr: caseWhen(
      [[ruleFails({ code: "score.out_of_range", path: "", kind: "out_of_range", description: "score is greater than 0 and less than 5", params: { exclusiveMinimum: 0, exclusiveMaximum: 5 } }, ref("input")), lit("out_of_range")]],
      lit("valid"),
    ),
    rows: [
      ["0", "out_of_range"],
      ["0.0", "out_of_range"],
      ["0.001", "valid"],
      ["1", "valid"],
      ["4.999", "valid"],
      ["5", "out_of_range"],
      ["5.0", "out_of_range"],
      ["-1", "out_of_range"],
      ["6", "out_of_range"],
    ],
  },
  { name: "trim_whitespace", expr: over("trim_whitespace"), rows: [["\n    Item Weight: \n    ", "Item Weight:"]] },
  { name: "codepoint_length", expr: over("codepoint_length"), rows: [["a😀e\u0301", "4"]] },
  { name: "strip_trailing_colon", expr: over("strip_trailing_colon"), rows: [["ASIN:", "ASIN"], ["ASIN::", "ASIN:"], ["ASIN", "ASIN"]] },
  // Not a column: DuckDB trims it with trim() instead of testing its edges.
  // Spark substitutes ${var}, ${spark.conf.key} and ${env:NAME} in SQL text before parsing it, string literals
  // included (spark.sql.variable.substitute): contract text written into a literal must stay as written.
  {
    name: "string literals holding ${…} are taken as written",
    expr: call("concat", ref("input"), lit("|${x}|${spark.app.name}|${env:HOME}")),
    rows: [
      ["${x}", "${x}|${x}|${spark.app.name}|${env:HOME}"],
      ["$${hivevar:a}", "$${hivevar:a}|${x}|${spark.app.name}|${env:HOME}"],
    ],
  },
  { name: "trim_whitespace of a computed value", expr: call("trim_whitespace", call("concat", ref("input"), lit("\t"))), rows: [[" a b ", "a b"], ["x", "x"], ["", ""]] },
  // The items of the input between ";", looked up by their normalized form (trimmed, one trailing colon off): the
  // first item that normalizes to "Size", as a map's value is looked up by its normalized key.
  {
    name: "list_lookup",
    expr: call(
      "list_lookup",
      transform(call("regex_extract_all", ref("input"), lit("[^;]+")), "k", call("strip_trailing_colon", call("trim_whitespace", ref("k")))),
      call("regex_extract_all", ref("input"), lit("[^;]+")),
      lit("Size"),
    ),
    rows: [
      ["Color: ; Size:;Size", " Size:"],
      ["Size;Size:", "Size"],
      ["Color:;Sizes", null],
      ["Size::", null],
      ["", null],
    ],
  },
];

/**
 * One query over all rows of a case: `position` (0-based) and `value` as text (so that no engine's client rounds a
 * BIGINT through a double), in input order.
 */
export function executionQuery(c: ExecutionCase, d: DialectTable): string {
  const values = c.rows.map(([input], i) => `(${i}, ${d.string(input)})`).join(", ");
  return `SELECT ${d.identifier("position")}, ${render(call("to_text", c.expr), d)} AS ${d.identifier("value")} FROM (VALUES ${values}) AS cases(${d.identifier("position")}, ${d.identifier("input")}) ORDER BY 1`;
}

/** An engine's answer as text (numbers, decimals and dates as they print), for comparison across engines. */
export function asText(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}
