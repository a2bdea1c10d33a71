/**
 * Python expressions written as `ruff format` writes them (ruff.toml: line length 120), so `ruff format --check`
 * holds for the generated jobs whatever the lengths of the contract's names, paths, versions and SQL texts.
 *
 * The layout is ruff's for the few kinds of expression the jobs hold (checked against ruff itself in
 * `layout.test.ts`):
 * - an expression is written on one line when it fits there with what follows it on that line (the `,` after an
 *   item or argument);
 * - otherwise a call's arguments go on a line of their own, 4 spaces deeper, between `name(` and `)` on lines of
 *   their own, when they fit there; else each argument on its own line followed by a comma (a single argument by
 *   none, itself laid out the same way);
 * - a tuple or list that does not fit on one line is one element a line, each followed by a comma;
 * - a list is written with a trailing comma after its last item, which ruff keeps (its "magic trailing comma"): a
 *   non-empty list is always one item a line, and every call or tuple around it is broken too;
 * - an atom (a string literal, a name, a number, a call without arguments) is never broken, however long;
 * - an assignment's value is written after `NAME = ` when it fits there or has brackets of its own (which break as
 *   above); a longer atom is put in parentheses on a line of its own when it fits there, else left as it is.
 */
export const LINE_LENGTH = 120;

export type PyExpr =
  /** Source text that never breaks (a literal, a name, `StringType()`). */
  | { readonly kind: "atom"; readonly text: string }
  | { readonly kind: "call"; readonly name: string; readonly args: readonly PyExpr[] }
  | { readonly kind: "list"; readonly items: readonly PyExpr[] }
  | { readonly kind: "tuple"; readonly items: readonly PyExpr[] };

export const atom = (text: string): PyExpr => ({ kind: "atom", text });
export const call = (name: string, ...args: readonly PyExpr[]): PyExpr => ({ kind: "call", name, args });
export const list = (items: readonly PyExpr[]): PyExpr => ({ kind: "list", items });
export const tuple = (items: readonly PyExpr[]): PyExpr => {
  // A one-element tuple is written (x,) in any layout; the jobs hold none.
  if (items.length < 2) throw new Error("Bug: the Glue job layout writes tuples of two or more elements only.");
  return { kind: "tuple", items };
};

/** The expression on one line, or undefined when it cannot be (a non-empty list, or anything holding one). */
function flat(e: PyExpr): string | undefined {
  switch (e.kind) {
    case "atom":
      return e.text;
    case "list":
      return e.items.length === 0 ? "[]" : undefined;
    case "call":
    case "tuple": {
      const items = e.kind === "call" ? e.args : e.items;
      const texts: string[] = [];
      for (const item of items) {
        const text = flat(item);
        if (text === undefined) return undefined;
        texts.push(text);
      }
      return `${e.kind === "call" ? e.name : ""}(${texts.join(", ")})`;
    }
  }
}

/**
 * The expression starting at column `start` of a line indented by `indent`, followed on its last line by `after`
 * characters (a comma, or nothing): the first line without the indentation, the others with theirs.
 */
export function layout(e: PyExpr, indent = "", start = indent.length, after = 0): string {
  const one = flat(e);
  if (one !== undefined && (e.kind === "atom" || (e.kind === "call" && e.args.length === 0) || start + one.length + after <= LINE_LENGTH)) return one;
  const inner = `${indent}    `;
  const lines = (items: readonly PyExpr[], comma: boolean) =>
    items.map((item) => `${inner}${layout(item, inner, inner.length, comma ? 1 : 0)}${comma ? "," : ""}`).join("\n");
  switch (e.kind) {
    case "atom":
      return e.text;
    case "list":
      return `[\n${lines(e.items, true)}\n${indent}]`;
    case "tuple":
      return `(\n${lines(e.items, true)}\n${indent})`;
    case "call": {
      const args = e.args.map(flat);
      const body = args.every((a) => a !== undefined) ? args.join(", ") : undefined;
      if (e.args.length > 1 && body !== undefined && inner.length + body.length <= LINE_LENGTH) return `${e.name}(\n${inner}${body}\n${indent})`;
      return `${e.name}(\n${lines(e.args, e.args.length > 1)}\n${indent})`;
    }
  }
}

/** `NAME = <value>` at module level, the value laid out as ruff lays out an assignment's value. */
export function assignment(name: string, value: PyExpr): string {
  const prefix = `${name} = `;
  const one = flat(value);
  if (one !== undefined && prefix.length + one.length <= LINE_LENGTH) return `${prefix}${one}`;
  if (value.kind !== "atom") return `${prefix}${layout(value, "", prefix.length)}`;
  return 4 + value.text.length <= LINE_LENGTH ? `${prefix}(\n    ${value.text}\n)` : `${prefix}${value.text}`;
}
