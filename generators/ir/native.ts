/**
 * A `native.snowflake` override is the external table's column type (`VALUE:"x"::VARCHAR(64)`): Snowflake casts every
 * value to it when the table is queried. One narrower than what the contract admits fails that query for a longer
 * string or a larger number, or rounds decimals away, so it is refused (`CONTRACT.RANGE_EXCEEDS_TYPE`, a check of
 * what the generated DDL can read). Checked: a sized string type (VARCHAR(n) and its synonyms; CHAR alone is
 * CHAR(1)) on a string column, and a NUMBER(p, s) (or a synonym, INTEGER and its kind being NUMBER(38, 0)) on an
 * integer, decimal or float column. Other overrides are written as they stand.
 * https://docs.snowflake.com/en/sql-reference/data-types-text (VARCHAR(n): n characters),
 * https://docs.snowflake.com/en/sql-reference/data-types-numeric (NUMBER(p, s) and its synonyms).
 */
import { diagnostic } from "../lib/errors.js";
import { boundsBeyond, decimalRange } from "./columns.js";
import type { DatasetContext } from "./dataset-context.js";
import type { ColumnIR, RawField, TableIR } from "./types.js";

const TEXT_TYPES = new Set(["VARCHAR", "STRING", "TEXT", "NVARCHAR", "NVARCHAR2", "CHAR VARYING", "NCHAR VARYING", "CHAR", "CHARACTER", "NCHAR"]);
/** Without a length these are one character long; the others hold any length. */
const ONE_CHARACTER_TYPES = new Set(["CHAR", "CHARACTER", "NCHAR"]);
const NUMBER_TYPES = new Set(["NUMBER", "DECIMAL", "DEC", "NUMERIC"]);
const INTEGER_TYPES = new Set(["INT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "BYTEINT"]);

type NativeWidth = { readonly kind: "text"; readonly length: number } | { readonly kind: "number"; readonly precision: number; readonly scale: number };

/** The width a Snowflake type name sets, when it is one this check knows (the name's shape is checked in columns.ts). */
function nativeWidth(type: string): NativeWidth | undefined {
  const m = /^([A-Za-z][A-Za-z0-9_]*(?: [A-Za-z][A-Za-z0-9_]*)?) ?(?:\((\d+)(?: ?, ?(\d+))?\))?$/.exec(type.trim());
  if (!m) return undefined;
  const name = m[1]!.toUpperCase();
  const size = m[2] === undefined ? undefined : Number(m[2]);
  if (TEXT_TYPES.has(name)) {
    const length = size ?? (ONE_CHARACTER_TYPES.has(name) ? 1 : undefined);
    return length === undefined ? undefined : { kind: "text", length };
  }
  if (NUMBER_TYPES.has(name)) return { kind: "number", precision: size ?? 38, scale: m[3] === undefined ? 0 : Number(m[3]) };
  if (INTEGER_TYPES.has(name) && size === undefined) return { kind: "number", precision: 38, scale: 0 };
  return undefined;
}

/** The longest string a raw field admits, in code points (Zod's .max() and an enum's longest value); undefined: any. */
function longestText(field: RawField): number | undefined {
  if (field.kind === "union") {
    const options = (field.options ?? []).map(longestText);
    return options.length && options.every((n) => n !== undefined) ? Math.max(...(options as number[])) : undefined;
  }
  if (field.kind !== "string") return undefined;
  const { maxLength, enum: values } = field.constraints;
  const longestValue = values ? Math.max(...values.map((v) => [...String(v)].length)) : undefined;
  const bounds = [maxLength, longestValue].filter((n): n is number => n !== undefined);
  return bounds.length ? Math.min(...bounds) : undefined;
}

/** The raw value a column holds (before its normalisations), by the column's source; undefined when not a raw field's. */
function rawValue(column: ColumnIR, fields: readonly RawField[]): RawField | undefined {
  const byPath = (path: string, among: readonly RawField[] = fields): RawField | undefined => {
    for (const f of among) {
      if (f.path === path) return f;
      const inside = f.fields && byPath(path, f.fields);
      if (inside) return inside;
    }
    return undefined;
  };
  const s = column.source;
  switch (s.kind) {
    case "field":
      return byPath(s.path);
    case "map_key":
    case "array_element":
      return byPath(s.path)?.element;
    default:
      return undefined;
  }
}

/** Why `column`'s values do not all fit `width`, or undefined when they do (or the check does not apply). */
function narrower(column: ColumnIR, width: NativeWidth, raw: RawField | undefined): { reason: string; fix: string } | undefined {
  const type = column.native.snowflake!;
  if (width.kind === "text") {
    if (column.type.kind !== "string") return undefined;
    // trim, html_unescape and empty_to_null only shorten a value: the raw field's bound holds for the column.
    const longest = raw && longestText(raw);
    if (longest !== undefined && longest <= width.length) return undefined;
    return {
      reason: `${longest === undefined ? "strings of any length (no .max())" : `strings of up to ${longest} characters`}, and Snowflake's ${type} holds ${width.length} (it counts characters, Unicode code points, as Zod's .max() does): the external table's cast fails the query that reads a longer one`,
      fix: `Bound the field with .max(${width.length}) (or less), or widen the override${longest === undefined ? "" : ` to VARCHAR(${longest})`}, or remove it (VARCHAR holds any length).`,
    };
  }
  const range = decimalRange(width.precision, width.scale);
  const holds = `Snowflake's ${type} holds ${range.text[0]} to ${range.text[1]}`;
  const fails = "the external table's cast fails the query that reads a value beyond it";
  const fix = "Bound the raw value with .min()/.max() within that range, or widen the override (or remove it: the logical type's own Snowflake type holds every value).";
  switch (column.type.kind) {
    case "float64":
      return {
        reason: `the column is float64, whose values may have any number of decimals, and Snowflake's ${type} rounds them to ${width.scale}`,
        fix: "Remove the override, or declare a decimal column (type: types.decimal(p, s)) with the raw value bounded to it.",
      };
    case "decimal":
      if (width.scale < column.type.scale) {
        return {
          reason: `the column is decimal(${column.type.precision}, ${column.type.scale}), and Snowflake's ${type} rounds its values to ${width.scale} decimal(s)`,
          fix: `Give the override a scale of ${column.type.scale} or more, or remove it.`,
        };
      }
      break;
    case "int32":
    case "int64":
      break;
    default:
      return undefined;
  }
  // The raw number as it stands: its bounds; through a normalisation (parse_integer, parse_money): its column type's.
  if (column.normalize.length === 0 && raw && (raw.kind === "integer" || raw.kind === "number")) {
    const bounds = boundsBeyond(raw, range);
    return bounds === undefined ? undefined : { reason: `raw ${raw.kind} "${raw.path}" is ${bounds}, but ${holds}: ${fails}`, fix };
  }
  const t = column.type;
  const digits = t.kind === "decimal" ? t.precision - t.scale : t.kind === "int32" ? 10 : 19;
  if (digits <= width.precision - width.scale) return undefined;
  const kind = t.kind === "decimal" ? `decimal(${t.precision}, ${t.scale})` : t.kind;
  return {
    reason: `the column's ${kind} values have up to ${digits} digits before the point, but ${holds}: ${fails}`,
    fix: `Widen the override to NUMBER(${Math.min(38, digits + width.scale)}, ${width.scale}) or more, or remove it (the logical type's own Snowflake type holds every value).`,
  };
}

/** Reports every `native.snowflake` override of the tables' columns narrower than what the contract admits. */
export function checkNativeWidths(tables: readonly TableIR[], fields: readonly RawField[], ctx: DatasetContext): void {
  for (const table of tables) {
    for (const column of table.columns) {
      const type = column.native.snowflake;
      const width = type === undefined ? undefined : nativeWidth(type);
      if (!width) continue;
      const problem = narrower(column, width, rawValue(column, fields));
      if (!problem) continue;
      ctx.diagnostics.push(
        diagnostic("CONTRACT.RANGE_EXCEEDS_TYPE", `Column "${table.name}.${column.name}" overrides its Snowflake type with ${type}, narrower than what the contract admits: ${problem.reason}.`, column.where, problem.fix),
      );
    }
  }
}
