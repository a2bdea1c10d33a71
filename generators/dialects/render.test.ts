/**
 * Matrix: one expression, the expected text per dialect ("cannot express" is an expected value too); then the
 * DuckDB rendering of the trickier functions is executed against a plain JavaScript reference.
 */
import { describe, expect, it } from "vitest";
import { DuckDBInstance } from "@duckdb/node-api";
import { DUCKDB_DIALECT } from "./duckdb.js";
import { FUNCTIONS, call, eq, exists, jsonElements, jsonGet, jsonScalar, jsonType, lit, ref, type Expr } from "./expr.js";
import { DialectError, render, type DialectTable } from "./render.js";
import { SPARK_DIALECT, javaRegex } from "./spark.js";

const DIALECTS: Record<"duckdb" | "spark", DialectTable> = { duckdb: DUCKDB_DIALECT, spark: SPARK_DIALECT };
type Want = string | { error: string };

const MATRIX: { name: string; expr: Expr; want: Record<"duckdb" | "spark", Want> }[] = [
  {
    name: "member of the record",
    expr: jsonGet(ref("_json"), "overall"),
    want: { duckdb: `json_extract("_json", '$."overall"')`, spark: "contract_json_get(`_json`, 'overall')" },
  },
  {
    name: "regex search, $ is end of input",
    expr: call("regex_search", ref("s"), lit("^[0-9A-Z]{10}$")),
    want: { duckdb: `regexp_matches("s", '^[0-9A-Z]{10}$')`, spark: "(`s` RLIKE '^[0-9A-Z]{10}\\\\z')" },
  },
  {
    name: "string literal with quote and backslash",
    expr: eq(ref("s"), lit("it's a \\ path")),
    want: { duckdb: `("s" = 'it''s a \\ path')`, spark: "(`s` = 'it\\'s a \\\\ path')" },
  },
  {
    name: "any array element is not a string",
    expr: exists(jsonElements(ref("j")), "x0", call("ne", jsonType(ref("x0")), lit("string"))),
    want: {
      duckdb: `(len(list_filter(CASE WHEN json_type("j") = 'ARRAY' THEN json_extract("j", '$[*]') ELSE CAST([] AS JSON[]) END, lambda "x0": (CASE json_type("x0") WHEN 'VARCHAR' THEN 'string' WHEN 'BOOLEAN' THEN 'boolean' WHEN 'NULL' THEN 'null' WHEN 'ARRAY' THEN 'array' WHEN 'OBJECT' THEN 'object' WHEN 'BIGINT' THEN 'number' WHEN 'UBIGINT' THEN 'number' WHEN 'DOUBLE' THEN 'number' END <> 'string'))) > 0)`,
      spark:
        "exists(contract_json_elements(`j`), x0 -> (CASE WHEN `x0` IS NULL THEN NULL WHEN `x0` = 'null' THEN 'null' WHEN `x0` IN ('true', 'false') THEN 'boolean' WHEN substr(`x0`, 1, 1) = '\"' THEN 'string' WHEN substr(`x0`, 1, 1) = '[' THEN 'array' WHEN substr(`x0`, 1, 1) = '{' THEN 'object' ELSE 'number' END <> 'string'))",
    },
  },
  {
    name: "number of a JSON value",
    expr: jsonScalar(ref("v"), "double"),
    want: { duckdb: `CAST("v" AS DOUBLE)`, spark: "element_at(from_json(concat('[', `v`, ']'), 'ARRAY<DOUBLE>'), 1)" },
  },
  {
    name: "epoch seconds to a UTC date",
    expr: call("epoch_seconds_to_date", ref("t")),
    want: {
      duckdb: `CASE WHEN "t" BETWEEN -62135596800 AND 253402300799 THEN CAST(to_timestamp("t") AT TIME ZONE 'UTC' AS DATE) END`,
      spark: "CASE WHEN `t` BETWEEN -62135596800 AND 253402300799 THEN date_from_unix_date(CAST(floor(`t` / 86400) AS INT)) END",
    },
  },
  {
    name: "member of each array element (a rule on objects inside an array)",
    expr: exists(jsonElements(ref("j")), "x0", call("is_null", jsonGet(ref("x0"), "url"))),
    want: {
      duckdb: `(len(list_filter(CASE WHEN json_type("j") = 'ARRAY' THEN json_extract("j", '$[*]') ELSE CAST([] AS JSON[]) END, lambda "x0": (json_extract("x0", '$."url"') IS NULL))) > 0)`,
      spark: { error: "DIALECT.UNSUPPORTED" },
    },
  },
  {
    name: "invalid UTF-8 test of raw bytes",
    expr: call("invalid_utf8", ref("value")),
    want: {
      duckdb: { error: "DIALECT.UNSUPPORTED" },
      spark: "(encode(decode(CAST(`value` AS BINARY), 'UTF-8'), 'UTF-8') <> CAST(`value` AS BINARY))",
    },
  },
];

describe("expression matrix", () => {
  for (const row of MATRIX) {
    for (const dialect of ["duckdb", "spark"] as const) {
      it(`${row.name} — ${dialect}`, () => {
        const want = row.want[dialect];
        if (typeof want === "string") expect(render(row.expr, DIALECTS[dialect])).toBe(want);
        else {
          expect(() => render(row.expr, DIALECTS[dialect])).toThrow(DialectError);
          expect(() => render(row.expr, DIALECTS[dialect])).toThrow(want.error);
        }
      });
    }
  }
});

describe("every function has an answer in every dialect", () => {
  /** The functions a dialect cannot express, on purpose. Anything else must render. */
  const UNSUPPORTED: Record<"duckdb" | "spark", readonly string[]> = { duckdb: ["invalid_utf8"], spark: [] };
  const args = (fn: string): Expr[] => (fn === "parse_money" ? [ref("a"), lit(12), lit(2)] : fn === "regex_search" ? [ref("a"), lit("^a$")] : [ref("a"), ref("b")]);
  for (const dialect of ["duckdb", "spark"] as const) {
    it(dialect, () => {
      const unsupported = FUNCTIONS.filter((fn) => {
        try {
          render(call(fn, ...args(fn)), DIALECTS[dialect]);
          return false;
        } catch (error) {
          if (!(error instanceof DialectError)) throw error;
          return true;
        }
      });
      expect(unsupported).toEqual(UNSUPPORTED[dialect]);
    });
  }
});

describe("javaRegex", () => {
  it.each([
    ["^a$", "^a\\z"],
    ["^[$]\\$$", "^[$]\\$\\z"],
    ["^(\\d+|\\d{1,3}(,\\d{3})+)$", "^(\\d+|\\d{1,3}(,\\d{3})+)\\z"],
  ])("%s → %s", (js, java) => expect(javaRegex(js)).toBe(java));
});

/** The decoder the contract documents, in plain JavaScript: one pass, valid code points only. */
function htmlUnescapeReference(text: string): string {
  return text.replace(/&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|amp|lt|gt|quot|apos);/g, (entity, body: string) => {
    const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
    if (named[body]) return named[body]!;
    const cp = body[1] === "x" || body[1] === "X" ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
    return cp >= 1 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : entity;
  });
}

describe("DuckDB rendering runs and agrees with the JavaScript reference", () => {
  const texts = [
    "Brett &amp; Family",
    "Maggiano&#39;s &gt;&gt;&gt; &quot;x&quot;",
    "&amp;lt; stays &lt;",
    "&#x1F600; &#X41; &#0; &#55296; &#1114112; &#99999999;",
    "a & b &amp c &#; &#x;",
    "",
    "plain",
  ];
  it("html_unescape", async () => {
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    for (const text of texts) {
      const sql = `SELECT ${render(call("html_unescape", lit(text)), DUCKDB_DIALECT)} AS v`;
      const rows = (await connection.runAndReadAll(sql)).getRowObjectsJson();
      expect(rows[0]!.v, text).toBe(htmlUnescapeReference(text));
    }
    const cases: [Expr, unknown][] = [
      [call("parse_integer", lit("1,341")), "1341"],
      [call("parse_integer", lit("12,34")), null],
      [call("parse_money", lit("$1,250.00"), lit(12), lit(2)), "1250.00"],
      [call("parse_money", lit("$99999999999.00"), lit(12), lit(2)), null],
      [call("parse_money", lit("<div>$5.00</div>"), lit(12), lit(2)), null],
      [call("parse_month_day_year", lit("May 15, 2009")), "2009-05-15"],
      [call("parse_month_day_year", lit("February 30, 2009")), null],
      [call("trim_whitespace", lit("\n    Item Weight: \n    ")), "Item Weight:"],
      [call("codepoint_length", lit("a😀e\u0301")), "4"],
      [call("strip_trailing_colon", lit("ASIN:")), "ASIN"],
    ];
    for (const [expr, want] of cases) {
      const rows = (await connection.runAndReadAll(`SELECT ${render(expr, DUCKDB_DIALECT)} AS v`)).getRowObjectsJson();
      expect(rows[0]!.v, JSON.stringify(expr)).toBe(want);
    }
    connection.closeSync();
    instance.closeSync();
  });
});

describe("a number SQL cannot write", () => {
  it("is refused naming the dialect being rendered", () => {
    for (const d of [DUCKDB_DIALECT, SPARK_DIALECT]) {
      let error: unknown;
      try {
        render(lit(Number.POSITIVE_INFINITY), d);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DialectError);
      expect((error as DialectError).dialect).toBe(d.name);
      expect((error as DialectError).message).toMatch(new RegExp(`^DIALECT.UNSUPPORTED: ${d.name} cannot express number Infinity`));
    }
  });
});
