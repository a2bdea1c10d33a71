/**
 * Personal data in quarantined records. A quarantined record is the raw text the producer sent, so masking works
 * on raw field paths (and the processed column names): every raw field whose processed column is `pii: "personal"` or `"sensitive"` is replaced,
 * wherever it sits (nested objects, array elements, map values). A quarantined record is by definition not shaped
 * as the contract says (a batch array, a wrapper object, a Python dict), so a PII field's name is masked at any
 * place, not only at its contract path: over-masking a same-named key elsewhere is accepted; showing a name is not.
 *
 * - Parseable JSON: the value at each PII path, and under every member named as the last segment of a PII path at
 *   any depth, is replaced by a marker naming the PII class; a string that names a PII key (JSON in a string) is
 *   masked as text. The rest of the record is shown as it arrived (re-serialised, one key per line).
 * - Text that is not JSON (cut, truncated, invalid, a Python dict): every `"<key>": <value>`, `'<key>': <value>` or
 *   bare `<key>: <value>` whose key is the last segment of a PII path is masked when the value's end is certain (a
 *   quoted string closed before a delimiter or cut by the end of the text, or a number, boolean or null). If a PII
 *   key's name is still in the text after that (any case, any other form, or before an object, an array, a bare word
 *   or a string followed by more text: an unescaped quote inside the value), or the text
 *   has `\u` escapes (which could spell a key so that it does not match), the text is withheld whole.
 * - `raw_base64` (the exact bytes of a record that is not UTF-8) is never shown: it is not masked.
 */
import type { DatasetIR, PiiClass } from "../generators/ir/types.js";

export type MaskedClass = Exclude<PiiClass, "none">;

export const MASK = (pii: MaskedClass) => `[masked: ${pii}]`;

/** Shown instead of text that is not JSON and could hide a personal field behind escapes. */
export const WITHHELD = "[withheld: not valid JSON, and \\u escapes could hide a personal field]";

/** Shown instead of text that names a personal field in a form the key match does not mask. */
export const WITHHELD_KEY = "[withheld: not valid JSON, and it names a personal field in a form that cannot be masked]";

/**
 * Raw paths (`reviewerName`, `owner.firstName`, `image[]`) holding personal or sensitive data, and the processed
 * names of those columns (`reviewer_name`): a record sent in the processed shape (a replay from a table, a producer
 * that renamed its fields) carries the same value under that name.
 */
export function piiPaths(dataset: Pick<DatasetIR, "table" | "children">): Map<string, MaskedClass> {
  const paths = new Map<string, MaskedClass>();
  const add = (path: string, pii: PiiClass) => {
    if (pii === "none") return;
    // Sensitive wins over personal when two columns read one raw field.
    if (paths.get(path) !== "sensitive") paths.set(path, pii);
  };
  for (const table of [dataset.table, ...dataset.children]) {
    // Withheld (sensitive) columns are in no processed table, but their raw fields are in every quarantined record.
    for (const column of [...table.columns, ...table.withheld]) {
      const source = column.source;
      switch (source.kind) {
        case "field":
        case "map_key":
        case "map_rest":
        case "json":
        case "array_element":
          add(source.path, column.pii);
          break;
        case "surrogate_key":
          for (const path of source.paths) add(path, column.pii);
          break;
        case "parent_key":
        case "array_position":
        case "processed_at":
          break;
      }
      add(column.name, column.pii);
    }
  }
  return paths;
}

export interface MaskedRecord {
  /** The record as shown: JSON re-serialised with masks, or the raw text with masked values. */
  readonly text: string;
  readonly parsed: boolean;
  /** Number of values replaced. */
  readonly masked: number;
}

/** PII classes by member name: the last segment of each PII path (sensitive wins). */
function piiKeys(paths: ReadonlyMap<string, MaskedClass>): Map<string, MaskedClass> {
  const byKey = new Map<string, MaskedClass>();
  for (const [path, pii] of paths) {
    const key = lastKey(path);
    if (byKey.get(key) !== "sensitive") byKey.set(key, pii);
  }
  return byKey;
}

function maskValue(value: unknown, path: string, paths: ReadonlyMap<string, MaskedClass>, keys: ReadonlyMap<string, MaskedClass>, count: { n: number }): unknown {
  // By path, then by member name in any case (`ReviewerName` is masked as `reviewerName` is).
  const pii = paths.get(path) ?? (path === "" ? undefined : lowerKeys(keys).get(lastKey(path).toLowerCase()));
  if (pii !== undefined && value !== undefined) {
    count.n++;
    return MASK(pii);
  }
  if (Array.isArray(value)) return value.map((element) => maskValue(element, `${path}[]`, paths, keys, count));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value as Record<string, unknown>)) {
      out[key] = maskValue(member, path === "" ? key : `${path}.${key}`, paths, keys, count);
    }
    return out;
  }
  if (typeof value === "string" && namesKey(value, keys)) {
    // JSON (or a dict) inside a string: masked as text, withheld if it cannot be.
    const text = maskText(value, keys);
    count.n += text.masked;
    return text.text;
  }
  return value;
}

const lowered = new WeakMap<ReadonlyMap<string, MaskedClass>, Map<string, MaskedClass>>();
function lowerKeys(keys: ReadonlyMap<string, MaskedClass>): Map<string, MaskedClass> {
  let map = lowered.get(keys);
  if (!map) {
    map = new Map();
    for (const [key, pii] of keys) if (map.get(key.toLowerCase()) !== "sensitive") map.set(key.toLowerCase(), pii);
    lowered.set(keys, map);
  }
  return map;
}

/** Whether a text holds a PII key's name, in any case. */
function namesKey(text: string, keys: ReadonlyMap<string, MaskedClass>): boolean {
  const lower = text.toLowerCase();
  for (const key of keys.keys()) if (lower.includes(key.toLowerCase())) return true;
  return false;
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The last key of a raw path: `owner.firstName` → `firstName`, `image[]` → `image`. */
function lastKey(path: string): string {
  return path.replace(/\[\]/g, "").split(".").pop()!;
}

function maskText(text: string, keys: ReadonlyMap<string, MaskedClass>): MaskedRecord {
  // A key spelled with \u escapes would slip past the key match: such text is not shown at all.
  if (keys.size > 0 && /\\u[0-9A-Fa-f]{4}/.test(text)) return { text: WITHHELD, parsed: false, masked: 1 };
  let masked = 0;
  let out = text;
  const marker = (pii: MaskedClass) => `"${MASK(pii)}"`;
  for (const [key, pii] of [...keys].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const name = escapeRegex(key);
    // The key in double quotes, in single quotes (a Python dict) or bare, then `:`; then a value whose end is
    // certain: a string in either quote, closed before a delimiter or cut by the end of the text, or a number,
    // boolean or null before a delimiter. Any other value is not matched: an object, an array, a bare word such as
    // `Zelda Quuxbottom`, and a string whose closing quote is followed by more text (`"Jane "JJ" Doe"`, an unescaped
    // quote inside the value, or `"""Jo"""`): the key's name stays in the text, and the text is withheld below.
    const end = `(?=\\s*(?:[,}\\]]|$))`;
    const pattern = new RegExp(
      `("${name}"\\s*:\\s*|'${name}'\\s*:\\s*|(?<![\\w"'])${name}\\s*:\\s*)` +
        `("(?:[^"\\\\]|\\\\.)*(?:"${end}|$)|'(?:[^'\\\\]|\\\\.)*(?:'${end}|$)|(?:-?\\d[\\d.eE+-]*|true|false|null|True|False|None)${end})`,
      "g",
    );
    out = out.replace(pattern, (_match, prefix: string) => {
      masked++;
      return `${prefix}${marker(pii)}`;
    });
  }
  // What is left must not name a PII key at all: a key in another case, or followed by something the pattern does
  // not read as a value (`reviewerName = Jane`, `reviewerName\tJane`), could still carry its value.
  for (const key of keys.keys()) {
    const quoted = new RegExp(`["']?${escapeRegex(key)}["']?\\s*:\\s*$`, "i");
    // Every place the key's name is left must be a masked key: its prefix directly before a marker.
    const segments = out.split(/"\[masked: (?:personal|sensitive)\]"/);
    const unmasked = segments.map((segment, i) => (i < segments.length - 1 ? segment.replace(quoted, "") : segment)).join("");
    if (unmasked.toLowerCase().includes(key.toLowerCase())) return { text: WITHHELD_KEY, parsed: false, masked: masked + 1 };
  }
  return { text: out, parsed: false, masked };
}

/** The record as it may be shown: personal and sensitive raw fields masked. */
export function maskRecord(rawText: string, paths: ReadonlyMap<string, MaskedClass>): MaskedRecord {
  let value: unknown;
  try {
    value = JSON.parse(rawText);
  } catch {
    return maskText(rawText, piiKeys(paths));
  }
  const count = { n: 0 };
  const masked = maskValue(value, "", paths, piiKeys(paths), count);
  return { text: JSON.stringify(masked, null, 2), parsed: true, masked: count.n };
}
