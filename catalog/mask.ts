/**
 * Personal data in quarantined records. A quarantined record is the raw text the producer sent, so masking works
 * on raw field paths (and the processed column names): every raw field whose processed column is `pii: "personal"` or `"sensitive"` is replaced,
 * wherever it sits (nested objects, array elements, map values). A quarantined record is by definition not shaped
 * as the contract says (a batch array, a wrapper object, a Python dict), so a PII field's name is masked at any
 * place, not only at its contract path: over-masking a same-named key elsewhere is accepted; showing a name is not.
 *
 * Names are compared normalised (`normalisedName`: NFKD, lowercased, letters and digits only), so a key in another
 * form (`"reviewerName "`, `"reviewer name"`, `"reviewer-name"`, `"reviewerName:"`, a zero-width space inside) is
 * still the PII key, and a name that contains it (`"reviewerNameFull"`) is treated as it.
 *
 * - Parseable JSON: the value at each PII path, and under every member whose normalised name contains the normalised
 *   last segment of a PII path, at any depth, is replaced by a marker naming the PII class; a string that names a
 *   PII key (JSON in a string) is masked as text. The rest of the record is shown as it arrived (re-serialised, one
 *   key per line).
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
        case "raw_modified_at":
        case "raw_object":
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

/**
 * `member` is the name of the member holding the value (an array's, for its elements); none for the record itself.
 * It is matched as it stands, not as the last segment of `path`: a member named `reviewer.name` is one name.
 */
function maskValue(value: unknown, path: string, member: string | undefined, paths: ReadonlyMap<string, MaskedClass>, keys: ReadonlyMap<string, MaskedClass>, count: { n: number }): unknown {
  // By path, then by member name in any form (`ReviewerName`, `reviewer name`, `reviewerNameFull`).
  const pii = paths.get(path) ?? (member === undefined ? undefined : memberPii(member, keys));
  if (pii !== undefined && value !== undefined) {
    count.n++;
    return MASK(pii);
  }
  if (Array.isArray(value)) return value.map((element) => maskValue(element, `${path}[]`, member, paths, keys, count));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      out[key] = maskValue(inner, path === "" ? key : `${path}.${key}`, key, paths, keys, count);
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

/**
 * A name as the key match compares it: decomposed (NFKD: full-width letters become ASCII, accents separate marks),
 * lowercased, letters and digits only (spaces, punctuation, marks and invisible characters such as U+200B are
 * dropped): `reviewer name`, `Reviewer-Name:`, `reviewer\u200bName` and `reviewerNamé` are all `reviewername`.
 */
function normalisedName(text: string): string {
  return text.normalize("NFKD").toLowerCase().replace(/[^\p{L}\p{N}]/gu, "");
}

const normalised = new WeakMap<ReadonlyMap<string, MaskedClass>, Map<string, MaskedClass>>();
/** The PII keys by normalised name (sensitive wins); a key with no letter or digit is matched by path only. */
function normalisedKeys(keys: ReadonlyMap<string, MaskedClass>): Map<string, MaskedClass> {
  let map = normalised.get(keys);
  if (!map) {
    map = new Map();
    for (const [key, pii] of keys) {
      const name = normalisedName(key);
      if (name !== "" && map.get(name) !== "sensitive") map.set(name, pii);
    }
    normalised.set(keys, map);
  }
  return map;
}

/** The PII class of a member whose normalised name contains a PII key's (sensitive wins), if any. */
function memberPii(member: string, keys: ReadonlyMap<string, MaskedClass>): MaskedClass | undefined {
  const name = normalisedName(member);
  let found: MaskedClass | undefined;
  for (const [key, pii] of normalisedKeys(keys)) {
    if (name.includes(key)) {
      if (pii === "sensitive") return pii;
      found = pii;
    }
  }
  return found;
}

/** Whether a text holds a PII key's name, in any form (compared normalised). */
function namesKey(text: string, keys: ReadonlyMap<string, MaskedClass>): boolean {
  return memberPii(text, keys) !== undefined;
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
  if (keys.size === 0) return { text: out, parsed: false, masked };
  // What is left must not name a PII key at all: a key in another form (`ReviewerName`, `reviewer name`), or followed
  // by something the pattern does not read as a value (`reviewerName = Jane`, `reviewerName\tJane`), could still
  // carry its value. Every place a key's name is left must be a masked key: its prefix directly before a marker.
  const quoted = new RegExp(`["']?(?:${[...keys.keys()].map(escapeRegex).join("|")})["']?\\s*:\\s*$`, "i");
  const segments = out.split(/"\[masked: (?:personal|sensitive)\]"/);
  const unmasked = segments.map((segment, i) => (i < segments.length - 1 ? segment.replace(quoted, "") : segment)).join("");
  const lower = unmasked.toLowerCase();
  if ([...keys.keys()].some((key) => lower.includes(key.toLowerCase())) || namesKey(unmasked, keys)) return { text: WITHHELD_KEY, parsed: false, masked: masked + 1 };
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
  const masked = maskValue(value, "", undefined, paths, piiKeys(paths), count);
  return { text: JSON.stringify(masked, null, 2), parsed: true, masked: count.n };
}
