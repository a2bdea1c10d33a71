import { marked, type Tokens } from "marked";
import { describe, expect, it } from "vitest";
import { fileOf, generatedFrom } from "../../../tests/helpers/generate.js";
import { dataDictionary } from "./emit.js";

function tablesOf(markdown: string): Tokens.Table[] {
  return marked.lexer(markdown).filter((t): t is Tokens.Table => t.type === "table");
}

describe("data dictionary target", () => {
  it("lists every processed column, its source and types per engine, in well-formed tables", async () => {
    const { ir, files } = await generatedFrom();
    for (const dataset of ir.datasets) {
      const markdown = fileOf(files, `generated/docs/${dataset.name}.md`);
      const tables = tablesOf(markdown);
      for (const table of tables) for (const row of table.rows) expect(row.length).toBe(table.header.length);
      const columnTables = tables.filter((t) => t.header[0]?.text === "column" && t.header.length === 7);
      const listed = columnTables.flatMap((t) => t.rows.map((r) => r[0]!.text.replace(/`/g, "").split(" ")[0]));
      expect(listed).toEqual([dataset.table, ...dataset.children].flatMap((t) => t.columns.map((c) => c.name)));
      const rules = tables.find((t) => t.header[0]?.text === "reason code")!;
      expect(rules.rows.map((r) => r[0]!.text.replace(/`/g, ""))).toEqual(dataset.rules.map((r) => r.code));
    }
    const review = fileOf(files, "generated/docs/review.md");
    expect(review).toContain("| `reviewer_name` | string | yes | personal | `reviewerName` | trim, html_unescape, empty_to_null |");
    expect(review).toContain("| `reviewed_at` | int64 TIMESTAMP(MICROS,true) | TIMESTAMP | TIMESTAMPTZ | TIMESTAMP_TZ |");
  });

  it("escapes hostile descriptions: no HTML, no broken table (kitchen-sink golden)", async () => {
    const { files } = await generatedFrom("tests/fixtures/kitchen-sink");
    const markdown = fileOf(files, "generated/docs/kitchen_sink.md");
    await expect(markdown).toMatchFileSnapshot("../../../tests/__golden__/kitchen-sink/docs/kitchen_sink.md");
    for (const table of tablesOf(markdown)) for (const row of table.rows) expect(row.length).toBe(table.header.length);
    const html = await marked.parse(markdown);
    expect(html).not.toContain("<b>");
    expect(html).toContain("&lt;b&gt;html&lt;/b&gt;");
  });

  it("a description cannot forge a section of the data dictionary (heading, quote, list, setext underline)", async () => {
    const { ir } = await generatedFrom();
    const review = ir.datasets.find((d) => d.name === "review")!;
    const structure = (description: string) => {
      const forged = { ...review, description, table: { ...review.table, description } };
      return marked
        .lexer(dataDictionary(forged))
        .filter((t) => t.type !== "space")
        .map((t) => (t.type === "heading" ? `h${(t as Tokens.Heading).depth} ${(t as Tokens.Heading).text}` : t.type));
    };
    const plain = structure("Plain text.");
    for (const hostile of ["# Big heading\n\n## Settings", "> quoted\n- item", "1. first\n2) second", "text\n===", "+ item", "    indented code"]) {
      expect(structure(hostile), hostile).toEqual(plain);
    }
  });
});
