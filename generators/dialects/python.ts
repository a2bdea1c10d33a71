/**
 * Python source text helpers. A string literal is written double-quoted with every character that could end or
 * change it escaped, so contract text (`"""`, `'`, `\`, newlines, `{}` for f-strings — never used) stays data.
 * https://docs.python.org/3/reference/lexical_analysis.html#string-and-bytes-literals
 */
export function pythonString(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === '"') out += '\\"';
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else if (code > 0x7e) out += code > 0xffff ? `\\U${code.toString(16).padStart(8, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

/** A word for a POSIX shell: single-quoted, with embedded single quotes closed, escaped and reopened. */
export function shellWord(text: string): string {
  return /^[A-Za-z0-9_./=:-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}
