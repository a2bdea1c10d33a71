/**
 * Contract text inside generated Markdown (the data dictionary, the Airflow DAG's DOC_MD): it must read as the
 * text it is, never as Markdown structure or HTML.
 */

/** Text inside a Markdown table cell: no line breaks, no pipes, no raw HTML, no stray code spans. */
export function mdCell(text: string): string {
  return text
    .replace(/\r\n?|\n/g, " ")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\\/g, "\\\\")
    .replace(/\|/g, "\\|")
    .replace(/`/g, "\\`")
    .replace(/\*/g, "\\*")
    .replace(/_/g, "\\_")
    .replace(/\[/g, "\\[");
}

/**
 * Text as one paragraph of its own: `mdCell`, and a first character that would open a block (`#` heading, `>` quote,
 * `-` `+` list or rule, `=` setext underline, `1.` `1)` ordered list) escaped, so a description cannot forge a
 * section.
 */
export function mdParagraph(text: string): string {
  return mdCell(text.trimStart()).replace(/^([#>+=-])/, "\\$1").replace(/^(\d+)([.)])/, "$1\\$2");
}
