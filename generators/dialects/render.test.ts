/**
 * Matrix: one expression, the expected text per dialect ("cannot express" is an expected value too); then the
 * DuckDB rendering of the trickier functions is executed against a plain JavaScript reference.
 */
import { describe, expect, it } from "vitest";
import { DuckDBInstance } from "@duckdb/node-api";
import { DUCKDB_DIALECT } from "./duckdb.js";
import { asText, EXECUTION_CASES, executionQuery } from "./execution-cases.test-helpers.js";
import { FUNCTIONS, MACRO_FUNCTIONS, call, eq, exists, jsonElements, jsonGet, jsonScalar, jsonType, lit, ref, transform, type Expr, type Fn } from "./expr.js";
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
    want: { duckdb: `TRY_CAST("v" AS DOUBLE)`, spark: "element_at(from_json(concat('[', `v`, ']'), 'ARRAY<DOUBLE>'), 1)" },
  },
  {
    name: "epoch seconds to a UTC date",
    expr: call("epoch_seconds_to_date", ref("t")),
    want: {
      duckdb: `CASE WHEN "t" BETWEEN -62135596800 AND 253402300799 THEN DATE '1970-01-01' + CAST(floor("t" / 86400) AS INTEGER) END`,
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
  {
    name: "every match of a pattern, $ is end of input",
    expr: call("regex_extract_all", ref("s"), lit("[0-9]+$|a")),
    want: { duckdb: `regexp_extract_all("s", '[0-9]+$|a')`, spark: "regexp_extract_all(`s`, '[0-9]+\\\\z|a', 0)" },
  },
  {
    name: "each element of a list mapped by a lambda, joined",
    expr: call("list_join", transform(ref("l"), "t", call("substring", ref("t"), lit(2), call("subtract", call("codepoint_length", ref("t")), lit(1)))), lit("")),
    want: {
      duckdb: `array_to_string(list_transform("l", lambda "t": substr("t", 2, (length("t") - 1))), '')`,
      spark: "array_join(transform(`l`, t -> substr(`t`, 2, (length(`t`) - 1))), '')",
    },
  },
  {
    name: "a code point as text (Spark's chr() is Latin-1 only)",
    expr: call("codepoint_to_text", call("hex_to_integer", ref("h"))),
    want: {
      duckdb: `chr(CAST('0x' || "h" AS INTEGER))`,
      spark: "decode(unhex(lpad(hex(CAST(conv(`h`, 16, 10) AS INT)), 8, '0')), 'UTF-32BE')",
    },
  },
  {
    name: "position of a text, replace, between",
    expr: call("between", call("string_position", call("replace", ref("s"), lit(","), lit("")), lit("&")), lit(1), lit(9)),
    want: { duckdb: `(strpos(replace("s", ',', ''), '&') BETWEEN 1 AND 9)`, spark: "(instr(replace(`s`, ',', ''), '&') BETWEEN 1 AND 9)" },
  },
  {
    name: "a macro expands into primitives: parse_integer",
    expr: call("parse_integer", ref("s")),
    want: {
      duckdb: `CASE WHEN regexp_matches("s", '^([0-9]{1,18}|[0-9]{1,3}(,[0-9]{3}){1,5})$') THEN CAST(replace("s", ',', '') AS BIGINT) ELSE NULL END`,
      spark: "CASE WHEN (`s` RLIKE '^([0-9]{1,18}|[0-9]{1,3}(,[0-9]{3}){1,5})\\\\z') THEN CAST(replace(`s`, ',', '') AS BIGINT) ELSE NULL END",
    },
  },
  {
    name: "parse_money with a precision that is not a literal",
    expr: call("parse_money", ref("s"), ref("p"), lit(2)),
    want: { duckdb: { error: "DIALECT.UNSUPPORTED: duckdb cannot express parse_money precision" }, spark: { error: "DIALECT.UNSUPPORTED: spark cannot express parse_money precision" } },
  },
  {
    name: "a lambda over a JSON lookup (a UDF on Spark)",
    expr: transform(jsonElements(ref("j")), "x0", jsonGet(ref("x0"), "url")),
    want: {
      duckdb: `list_transform(CASE WHEN json_type("j") = 'ARRAY' THEN json_extract("j", '$[*]') ELSE CAST([] AS JSON[]) END, lambda "x0": json_extract("x0", '$."url"'))`,
      spark: { error: "DIALECT.UNSUPPORTED" },
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
  const ARGS: Partial<Record<Fn, Expr[]>> = {
    parse_money: [ref("a"), lit(12), lit(2)],
    regex_search: [ref("a"), lit("^a$")],
    regex_extract_all: [ref("a"), lit("a+")],
    between: [ref("a"), ref("b"), ref("c")],
    replace: [ref("a"), ref("b"), ref("c")],
    substring: [ref("a"), ref("b"), ref("c")],
    list_lookup: [ref("a"), ref("b"), lit("k")],
  };
  const args = (fn: Fn): Expr[] => ARGS[fn] ?? [ref("a"), ref("b")];
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
  it("a macro is written once: no dialect table renders it", () => {
    for (const d of Object.values(DIALECTS)) for (const fn of MACRO_FUNCTIONS) expect(Object.keys(d.functions), `${d.name} ${fn}`).not.toContain(fn);
  });
  it("parse_money's bound is an exact integer, not a DOUBLE, and is left out where every admitted value fits", () => {
    for (const d of Object.values(DIALECTS)) {
      expect(render(call("parse_money", ref("a"), lit(31), lit(2)), d)).toContain(` < 1${"0".repeat(29)})`);
      expect(render(call("parse_money", ref("a"), lit(32), lit(2)), d)).not.toContain(" < 1");
    }
  });
});

describe("javaRegex", () => {
  it.each([
    ["^a$", "^a\\z"],
    ["^[$]\\$$", "^[$]\\$\\z"],
    ["^(\\d+|\\d{1,3}(,\\d{3})+)$", "^(\\d+|\\d{1,3}(,\\d{3})+)\\z"],
  ])("%s → %s", (js, java) => expect(javaRegex(js)).toBe(java));
});

describe("DuckDB runs the renderings and agrees with the expected values (Spark: runners/spark-local/expressions.test.ts)", () => {
  it.each(EXECUTION_CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    try {
      const rows = (await connection.runAndReadAll(executionQuery(c, DUCKDB_DIALECT))).getRowObjectsJson();
      expect(rows.map((row, i) => [c.rows[i]![0], asText(row.value)])).toEqual(c.rows);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
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
