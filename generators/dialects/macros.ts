/**
 * Functions of the expression tree written once, as expansions into primitive nodes that every dialect table
 * renders (`MACRO_FUNCTIONS` in `expr.ts`). The renderer expands a macro call before it looks in the dialect table,
 * so rule builders keep writing `call("html_unescape", …)` and no dialect holds its own copy of the algorithm; what
 * differs per engine (how a code point becomes a character, how hex text is read, regex and lambda syntax) stays in
 * the primitives of each dialect table.
 */
import type { LogicalType } from "../ir/types.js";
import { DialectError, type SqlDialect } from "./dialect-error.js";
import { and, call, caseWhen, cast, eq, lit, not, ref, transform, type Expr, type Fn, MACRO_FUNCTIONS, type MacroFn } from "./expr.js";

/**
 * One token per entity or run of text (`[^&]+`, or a lone `&`), so decoding is one left-to-right pass: `&amp;lt;`
 * becomes `&lt;`, not `<`.
 */
export const HTML_TOKEN_PATTERN = "&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|amp|lt|gt|quot|apos);|[^&]+|&";
export const NAMED_ENTITIES: readonly (readonly [string, string])[] = [
  ["&amp;", "&"],
  ["&lt;", "<"],
  ["&gt;", ">"],
  ["&quot;", '"'],
  ["&apos;", "'"],
];
/** At most 18 digits, or 1–3 digits then groups of three: always fits a BIGINT. */
export const INTEGER_TEXT_PATTERN = "^([0-9]{1,18}|[0-9]{1,3}(,[0-9]{3}){1,5})$";
/** The most integer digits `moneyPattern` admits. */
const MONEY_INTEGER_DIGITS = 30;
/** At most 30 integer digits (with or without thousands separators) and at most `scale` decimals. */
export function moneyPattern(scale: number): string {
  return `^\\$([0-9]{1,30}|[0-9]{1,3}(,[0-9]{3}){1,9})${scale > 0 ? `(\\.[0-9]{1,${scale}})?` : ""}$`;
}

/** The lambda variable holding one token of `html_unescape`. */
const TOKEN = "t";

function htmlUnescape(text: Expr): Expr {
  const token = ref(TOKEN);
  const tokenLength = call("codepoint_length", token);
  // Code points 1..U+10FFFF except surrogates decode; anything else (&#0;, &#xD800;, &#x110000;) stays as written.
  const decode = (codePoint: Expr) =>
    caseWhen(
      [[and(call("between", codePoint, lit(1), lit(0x10ffff)), not(call("between", codePoint, lit(0xd800), lit(0xdfff)))), call("codepoint_to_text", codePoint)]],
      token,
    );
  // `&#NNN;`: the digits from the third character on; `&#xHH;`: the hex digits from the fourth (at most 7 decimal
  // or 6 hex digits, by the token pattern, so both fit an INT).
  const decimal = cast(call("substring", token, lit(3), call("subtract", tokenLength, lit(3))), { kind: "int32" });
  const hex = call("hex_to_integer", call("substring", token, lit(4), call("subtract", tokenLength, lit(4))));
  const decodeToken = caseWhen(
    [
      ...NAMED_ENTITIES.map(([entity, character]) => [eq(token, lit(entity)), lit(character)] as const),
      [call("regex_search", token, lit("^&#[0-9]+;$")), decode(decimal)],
      [call("regex_search", token, lit("^&#[xX][0-9a-fA-F]+;$")), decode(hex)],
    ],
    token,
  );
  // Most text has no "&": the tokenizer gets NULL for it (no tokens, no decoding), and the text is kept as it is.
  // The lambda stays outside any CASE branch: DuckDB evaluated it under one a fifth to a quarter slower per text column
  // (a CASE whose ELSE held the decoding: 0.60-0.64 s for the review text of 1M reviews, against 0.44-0.54 s so).
  const tokens = call("regex_extract_all", caseWhen([[eq(call("string_position", text, lit("&")), lit(0)), lit(null)]], text), lit(HTML_TOKEN_PATTERN));
  return call("coalesce", call("list_join", transform(tokens, TOKEN, decodeToken), lit("")), text);
}

function parseInteger(text: Expr): Expr {
  return caseWhen([[call("regex_search", text, lit(INTEGER_TEXT_PATTERN)), cast(call("replace", text, lit(","), lit("")), { kind: "int64" })]], lit(null));
}

function parseMoney(text: Expr, precision: number, scale: number): Expr {
  const decimal = (p: number): LogicalType => ({ kind: "decimal", precision: p, scale });
  // The wide cast holds any text the pattern admits (at most 30 integer digits); the bound keeps the narrow cast
  // from overflowing (DuckDB would raise). The bound is exact (a bigint literal), never a DOUBLE. With 30 or more
  // integer digits in the column type every admitted value fits, and no bound is written: at DECIMAL(38,s) the bound
  // itself does not fit the comparison's DECIMAL(38,s) (DuckDB raised, Spark gave NULL for every value).
  const wide = cast(call("replace", call("substring", text, lit(2)), lit(","), lit("")), decimal(38));
  const matches = call("regex_search", text, lit(moneyPattern(scale)));
  const fits = precision - scale >= MONEY_INTEGER_DIGITS ? [] : [call("lt", wide, lit(10n ** BigInt(precision - scale)))];
  return caseWhen([[and(matches, ...fits), cast(wide, decimal(precision))]], lit(null));
}

function literalInteger(arg: Expr | undefined, what: string, dialect: SqlDialect): number {
  if (arg?.op !== "lit" || typeof arg.value !== "number" || !Number.isInteger(arg.value)) {
    throw new DialectError(dialect, what, "needs an integer literal argument.", "pass lit(n).");
  }
  return arg.value;
}

const MACROS: { readonly [F in MacroFn]: (args: readonly Expr[], dialect: SqlDialect) => Expr } = {
  html_unescape: ([text]) => htmlUnescape(text!),
  parse_integer: ([text]) => parseInteger(text!),
  parse_money: ([text, precision, scale], dialect) =>
    parseMoney(text!, literalInteger(precision, "parse_money precision", dialect), literalInteger(scale, "parse_money scale", dialect)),
};

export function isMacro(fn: Fn): fn is MacroFn {
  return (MACRO_FUNCTIONS as readonly Fn[]).includes(fn);
}

/** The primitive tree a macro call stands for (its arguments appear in it as given, possibly more than once). */
export function expandMacro(fn: MacroFn, args: readonly Expr[], dialect: SqlDialect): Expr {
  return MACROS[fn](args, dialect);
}
