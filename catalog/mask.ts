/**
 * Personal data in quarantined records. A quarantined record is the raw text the producer sent, so masking works
 * on raw field paths: every raw field whose processed column is `pii: "personal"` or `"sensitive"` is replaced,
 * wherever it sits (nested objects, array elements, map values).
 *
 * - Parseable JSON: the value at each such path is replaced by a marker naming the PII class; the rest of the record
 *   is shown as it arrived (re-serialised, one key per line).
 * - Text that is not JSON (cut, truncated, invalid): a PII field's key may still be in it, followed by its value.
 *   Every `"<key>": <value>` whose key is the last segment of a PII path is masked, value cut or not. Over-masking
 *   a same-named key elsewhere is accepted; showing a name is not. Such text with `\u` escapes (which could spell a
 *   key so that it does not match) is withheld whole.
 * - `raw_base64` (the exact bytes of a record that is not UTF-8) is never shown: it is not masked.
 */
import type { DatasetIR, PiiClass } from "../generators/ir/types.js";

export type MaskedClass = Exclude<PiiClass, "none">;

export const MASK = (pii: MaskedClass) => `[masked: ${pii}]`;

/** Shown instead of text that is not JSON and could hide a personal field behind escapes. */
export const WITHHELD = "[withheld: not valid JSON, and \\u escapes could hide a personal field]";

/** Raw paths (`reviewerName`, `owner.firstName`, `image[]`) holding personal or sensitive data. */
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

function maskValue(value: unknown, path: string, paths: ReadonlyMap<string, MaskedClass>, count: { n: number }): unknown {
  const pii = paths.get(path);
  if (pii !== undefined && value !== undefined) {
    count.n++;
    return MASK(pii);
  }
  if (Array.isArray(value)) return value.map((element) => maskValue(element, `${path}[]`, paths, count));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value as Record<string, unknown>)) {
      out[key] = maskValue(member, path === "" ? key : `${path}.${key}`, paths, count);
    }
    return out;
  }
  return value;
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The last key of a raw path: `owner.firstName` → `firstName`, `image[]` → `image`. */
function lastKey(path: string): string {
  return path.replace(/\[\]/g, "").split(".").pop()!;
}

function maskText(text: string, paths: ReadonlyMap<string, MaskedClass>): MaskedRecord {
  // A key spelled with \u escapes would slip past the key match: such text is not shown at all.
  if (paths.size > 0 && /\\u[0-9A-Fa-f]{4}/.test(text)) return { text: WITHHELD, parsed: false, masked: 1 };
  let masked = 0;
  let out = text;
  const byKey = new Map<string, MaskedClass>();
  for (const [path, pii] of paths) {
    const key = lastKey(path);
    if (byKey.get(key) !== "sensitive") byKey.set(key, pii);
  }
  for (const [key, pii] of [...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    // "key" : then a string (closed or cut), an object or array (up to its first closing bracket or the end), or a
    // bare value up to the next delimiter.
    const pattern = new RegExp(`("${escapeRegex(key)}"\\s*:\\s*)("(?:[^"\\\\]|\\\\.)*"?|\\{[^}]*\\}?|\\[[^\\]]*\\]?|[^,}\\]\\s]+)`, "g");
    out = out.replace(pattern, (_match, prefix: string) => {
      masked++;
      return `${prefix}"${MASK(pii)}"`;
    });
  }
  return { text: out, parsed: false, masked };
}

/** The record as it may be shown: personal and sensitive raw fields masked. */
export function maskRecord(rawText: string, paths: ReadonlyMap<string, MaskedClass>): MaskedRecord {
  let value: unknown;
  try {
    value = JSON.parse(rawText);
  } catch {
    return maskText(rawText, paths);
  }
  const count = { n: 0 };
  const masked = maskValue(value, "", paths, count);
  return { text: JSON.stringify(masked, null, 2), parsed: true, masked: count.n };
}
