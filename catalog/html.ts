/**
 * HTML with escaping by construction: every value interpolated into an `html` template is escaped unless it is
 * itself the result of `html` (or a list of them). Contract text, git messages and quarantined raw records are
 * hostile by nature, so no page builds markup by string concatenation outside this helper.
 *
 * Escaping `& < > " '` makes a value safe in element content and in quoted attribute values; URLs go through
 * `href()`, which only accepts the catalog's own relative links.
 */

/** Markup produced by `html` (or `raw` for the few fixed strings the catalog owns). */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function piece(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(piece).join("");
  if (value === null || value === undefined || value === false) return "";
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0] ?? "";
  for (let i = 0; i < values.length; i++) out += piece(values[i]!) + (strings[i + 1] ?? "");
  return new SafeHtml(out);
}

/** Fixed markup owned by the catalog (never data). */
/**
 * An identifier or type (`style_gift_amount`, `TIMESTAMP(MICROS,true)`) with a line-break opportunity (`<wbr>`) after
 * each `_`, `,` and `.` and before each `(`, so that a narrow cell (print, a phone) breaks it there instead of inside
 * a word (`STRIN`/`G`). Escaped like any text; the opportunities add no character to the text.
 */
export function breakable(text: string): SafeHtml {
  return new SafeHtml(escapeHtml(text).replace(/([_,.])(?=.)/g, "$1<wbr>").replace(/(?<=.)\(/g, "<wbr>("));
}

export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

/** Joins fragments with a separator (escaped like any value unless it is SafeHtml). */
export function join(items: readonly HtmlValue[], separator: HtmlValue = ""): SafeHtml {
  return new SafeHtml(items.map(piece).join(piece(separator)));
}

/**
 * A link target inside the site: a relative path of safe characters with an optional `#fragment`. Anything else
 * (a scheme such as `javascript:`, `//host`, a backslash) is a bug in the catalog, never data.
 */
export function href(target: string): SafeHtml {
  if (!/^(?:[A-Za-z0-9._~-]+\/)*(?:[A-Za-z0-9._~-]+)?(?:#[A-Za-z0-9._~:-]*)?$/.test(target) || target === "" || /^[A-Za-z][A-Za-z0-9+.-]*:/.test(target)) {
    throw new Error(`Refusing the link target ${JSON.stringify(target)}: the catalog links only to its own pages. This is a bug in the catalog.`);
  }
  return new SafeHtml(escapeHtml(target));
}

/**
 * JSON for a `<script type="application/json">` element: `<`, `>` and `&` as `\u` escapes, so no text can close
 * the element or open a comment; U+2028/U+2029 escaped too (line terminators for older JavaScript parsers).
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** A data island the page's script reads with `JSON.parse(element.textContent)`. */
export function jsonScript(id: string, value: unknown): SafeHtml {
  if (!/^[a-z][a-z0-9-]*$/.test(id)) throw new Error(`Bad data island id ${JSON.stringify(id)}. This is a bug in the catalog.`);
  return new SafeHtml(`<script type="application/json" id="${id}">${jsonForScript(value)}</script>`);
}

/**
 * An id or fragment made from names (dataset, table, column), parts joined by `--`. A contract name
 * (`[a-z][a-z0-9_]*`) gives one id only it gives: `helpful_votes` → `helpful-votes`; a name with a doubled, leading
 * or trailing `_` keeps its underscores (`amount_`, `a__b`), which no other name's id holds, so `amount` and
 * `amount_` do not share an anchor. Other text: lower-case letters, digits and `-`.
 */
export function slug(...parts: readonly string[]): string {
  return parts
    .map((p) =>
      /^[a-z0-9]+(?:_[a-z0-9]+)*$/.test(p)
        ? p.replace(/_/g, "-")
        : /^[a-z0-9_]+$/.test(p)
          ? p
          : p.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, ""),
    )
    .filter(Boolean)
    .join("--");
}
