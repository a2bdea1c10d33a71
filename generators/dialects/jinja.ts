/**
 * dbt renders model SQL *and* YAML descriptions through Jinja (descriptions may call `doc()`), so contract text
 * that reaches dbt must not contain a live Jinja delimiter. Every `{` is written as the Jinja expression `{{ '{' }}`,
 * which renders back to a literal `{`: `{{`, `{%` and `{#` can then never open a tag. `}` alone is plain text.
 * https://jinja.palletsprojects.com/en/stable/templates/#escaping
 */
export function jinjaLiteral(text: string): string {
  return text.replace(/\{/g, "{{ '{' }}");
}

/** Inverse of `jinjaLiteral`, for tests and for renderers that do not run Jinja. */
export function unJinjaLiteral(text: string): string {
  return text.split("{{ '{' }}").join("{");
}
