/**
 * Python source helpers: string literals and comments that nothing in a contract can break out of.
 * https://docs.python.org/3/reference/lexical_analysis.html#string-and-bytes-literals
 */

/**
 * A Python string literal. JSON string escapes (`\"`, `\\`, `\n`, `\uXXXX`) mean the same in Python; every non-ASCII
 * character is escaped too, so the literal is plain ASCII whatever the description holds (`"""`, `'`, `\`, line
 * separators). Quotes as `ruff format` writes them, so generated Python passes `ruff format --check`: double quotes,
 * unless the text holds more double than single quotes (then single quotes, with fewer escapes).
 */
export function pyString(value: string): string {
  // Astral characters need \U escapes: Python does not join a \uD83D\uDE00 pair into one character.
  const body = JSON.stringify(value)
    .slice(1, -1)
    .replace(/[\u{7f}-\u{10ffff}]/gu, (c) => {
      const cp = c.codePointAt(0)!;
      return cp > 0xffff ? `\\U${cp.toString(16).padStart(8, "0")}` : `\\u${cp.toString(16).padStart(4, "0")}`;
    });
  const doubles = [...value].filter((c) => c === '"').length;
  const singles = [...value].filter((c) => c === "'").length;
  if (doubles <= singles) return `"${body}"`;
  // Every backslash of a JSON body starts an escape pair, so pairs are matched first: \" becomes ", ' becomes \'.
  return `'${body.replace(/\\.|'/g, (m) => (m === '\\"' ? '"' : m === "'" ? "\\'" : m))}'`;
}

/** A `#` comment line: line breaks would end the comment, so they become spaces. */
export function pyComment(text: string): string {
  return `# ${text.replace(/[\r\n\u2028\u2029\u0085\u000b\u000c]+/g, " ")}`.trimEnd();
}

/** A word for a POSIX shell: single-quoted, with embedded single quotes closed, escaped and reopened. */
export function shellWord(text: string): string {
  return /^[A-Za-z0-9_./=:-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}
