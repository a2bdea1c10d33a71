/**
 * A small evaluator of Amazon EventBridge event patterns, for tests: the subset the generated rules use plus the
 * operators their tests compare against. No npm package evaluates EventBridge patterns without calling AWS, so the
 * semantics are implemented here from the documentation:
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 *
 * - Keys of a pattern object are AND-ed; the values in a pattern array are OR-ed.
 * - A pattern leaf is an array; it matches when any of its entries matches the event value. An event value that
 *   is an array matches when any of its elements matches.
 * - Entries: a literal (string, number, boolean, null) compares exactly; `{prefix}`, `{suffix}`, `{wildcard}`,
 *   `{exists}`, `{"anything-but": ...}`, `{"equals-ignore-case"}`. Anything else throws, so a test can never pass
 *   because an operator was silently ignored.
 */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function matchesEventPattern(pattern: Json, event: Json): boolean {
  if (!isObject(pattern)) throw new Error("An event pattern must be a JSON object.");
  return matchObject(pattern, event);
}

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function matchObject(pattern: { [key: string]: Json }, event: Json | undefined): boolean {
  return Object.entries(pattern).every(([key, sub]) => {
    const value = isObject(event) ? event[key] : undefined;
    if (Array.isArray(sub)) return matchLeaf(sub, value);
    if (isObject(sub)) return matchObject(sub, value);
    throw new Error(`Pattern value at "${key}" must be an array or an object.`);
  });
}

function matchLeaf(entries: Json[], value: Json | undefined): boolean {
  return entries.some((entry) => {
    if (isObject(entry) && "exists" in entry) return (value !== undefined) === entry.exists;
    if (value === undefined) return false;
    const values = Array.isArray(value) ? value : [value];
    return values.some((v) => matchEntry(entry, v));
  });
}

function matchEntry(entry: Json, value: Json): boolean {
  if (!isObject(entry)) return entry === value;
  const [operator, ...more] = Object.keys(entry);
  if (operator === undefined || more.length > 0) throw new Error(`Unsupported pattern entry ${JSON.stringify(entry)}.`);
  const operand = entry[operator]!;
  switch (operator) {
    case "prefix":
      return typeof value === "string" && typeof operand === "string" && value.startsWith(operand);
    case "suffix":
      return typeof value === "string" && typeof operand === "string" && value.endsWith(operand);
    case "equals-ignore-case":
      return typeof value === "string" && typeof operand === "string" && value.toLowerCase() === operand.toLowerCase();
    case "wildcard":
      return typeof value === "string" && typeof operand === "string" && wildcardRegExp(operand).test(value);
    case "anything-but": {
      const excluded = Array.isArray(operand) ? operand : [operand];
      return !excluded.some((e) => matchEntry(e, value));
    }
    default:
      throw new Error(`Unsupported pattern operator "${operator}".`);
  }
}

/** `*` matches any run of characters (including `/`); `\*` and `\\` are a literal `*` and `\`. */
export function wildcardRegExp(wildcard: string): RegExp {
  let source = "";
  for (let i = 0; i < wildcard.length; i++) {
    const c = wildcard[i]!;
    if (c === "\\") {
      const next = wildcard[++i];
      if (next !== "*" && next !== "\\") throw new Error(`Invalid escape in wildcard "${wildcard}".`);
      source += `\\${next}`;
    } else if (c === "*") {
      source += "[\\s\\S]*";
    } else {
      source += c.replace(/[.+?^${}()|[\]\\/-]/g, "\\$&");
    }
  }
  return new RegExp(`^${source}$`);
}
