/**
 * Snowflake SQL text helpers. Identifiers the generator writes are validated snake_case names (IR invariant), so they
 * are written unquoted (stored upper-case); semi-structured keys are case-sensitive and always double-quoted
 * (https://docs.snowflake.com/en/user-guide/querying-semistructured#label-semistructured-element-names).
 */

/**
 * A single-quoted string literal. Snowflake treats backslash as an escape character inside single quotes
 * (https://docs.snowflake.com/en/sql-reference/data-types-text#escape-sequences-in-single-quoted-string-constants),
 * so both `\` and `'` are doubled; control characters are written as escapes.
 */
export function snowflakeString(text: string): string {
  const escaped = text
    .replace(/\\/g, "\\\\")
    .replace(/'/g, "''")
    .replace(/\r/g, "\\r")
    .replace(/\n/g, "\\n")
    .replace(/\t/g, "\\t")
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, " ");
  return `'${escaped}'`;
}

/** Upper-case identifier (already validated as `^[a-z][a-z0-9_]*$` or a platform constant). */
export function snowflakeIdent(name: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) throw new Error(`"${name}" is not a safe Snowflake identifier. This is a bug in the generator.`);
  return name.toUpperCase();
}

/** `"key"` for a VALUE path element: double quotes doubled. */
export function snowflakeKey(key: string): string {
  return `"${key.replace(/"/g, '""')}"`;
}
