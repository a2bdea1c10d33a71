/**
 * The data dictionary of each contract, in Markdown, for readers of pull requests: every processed column with its
 * raw source, normalisations, type per engine, nullability and PII class; every validation rule with its reason
 * code; child tables; fields validated but not loaded.
 */
import { nativeType } from "../../dialects/types.js";
import { mapType } from "../../dialects/type-table.js";
import { mdCell, mdParagraph } from "../../dialects/markdown.js";
import { finalText, headerLines } from "../../lib/header.js";
import type { ColumnIR, ColumnSource, ContractIR, DatasetIR, LogicalType, TableIR } from "../../ir/types.js";
import { PARQUET_TYPES } from "../parquet/types.js";
import { protectionOf } from "../protection.js";
import type { EmitResult, Target } from "../types.js";

/** A value inside a code span; backticks inside are doubled delimiters per CommonMark. */
function code(text: string): string {
  const clean = text.replace(/\r\n?|\n/g, " ").replace(/\|/g, "\\|");
  return clean.includes("`") ? `\`\` ${clean} \`\`` : `\`${clean}\``;
}

function logical(type: LogicalType): string {
  return type.kind === "decimal" ? `decimal(${type.precision},${type.scale})` : type.kind;
}

function sourceText(source: ColumnSource): string {
  switch (source.kind) {
    case "field":
      return code(source.path);
    case "map_key":
      return `${code(source.path)} key ${code(source.key)}`;
    case "map_rest":
      return `${code(source.path)} other keys (JSON)`;
    case "json":
      return `${code(source.path)} as JSON`;
    case "surrogate_key":
      return `sha256(${source.paths.map(code).join(" \\| ")})`;
    case "parent_key":
      return `parent ${code(source.column)}`;
    case "array_position":
      return `position in ${code(source.path)}`;
    case "array_element":
      return `element of ${code(source.path)}`;
    case "processed_at":
      return "flatten run time";
    case "raw_modified_at":
      return "raw object's last-modified time";
    case "raw_object":
      return "raw object it was read from";
  }
}

function parquetText(column: ColumnIR): string {
  if (column.partition) return "path (partition)";
  const t = mapType(PARQUET_TYPES, column.type);
  return `${t.primitive}${t.annotation ? ` ${t.annotation}` : ""}`;
}

function tableSection(table: TableIR, heading: string): string[] {
  const lines = [
    `${heading} \`${table.name}\``,
    "",
    mdParagraph(table.description),
    "",
    `Key: ${table.key.map(code).join(", ")}.${table.partitionBy.length ? ` Partitioned by ${table.partitionBy.map(code).join(", ")}.` : ""}`,
    "",
    "| column | type | null | PII | from | normalisation | description |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const c of table.columns) {
    const flags = [c.key ? "key" : "", c.references ? `→ ${c.references.dataset}.${c.references.column}` : ""].filter(Boolean).join(" ");
    lines.push(
      `| ${code(c.name)}${flags ? ` ${mdCell(flags)}` : ""} | ${logical(c.type)} | ${c.nullable ? "yes" : "no"} | ${c.pii} | ${sourceText(c.source)} | ${c.normalize.join(", ") || "—"} | ${mdCell(c.description)} |`,
    );
  }
  lines.push("", "| column | Parquet | Spark | DuckDB | Snowflake |", "|---|---|---|---|---|");
  for (const c of table.columns) {
    lines.push(`| ${code(c.name)} | ${parquetText(c)} | ${nativeType("spark", c)} | ${nativeType("duckdb", c)} | ${nativeType("snowflake", c)} |`);
  }
  lines.push("");
  if (table.withheld.length) {
    lines.push("Sensitive columns, validated and kept in the cleaned zone only (in no processed table):", "");
    lines.push(...table.withheld.map((c) => `- ${code(c.name)} (${logical(c.type)}, from ${sourceText(c.source)}): ${mdCell(c.description)}`), "");
  }
  const protectedColumns = [...table.columns, ...table.withheld].filter((c) => c.pii !== "none");
  if (protectedColumns.length) {
    lines.push("Protection of personal data, by system:", "", "| column | class | system | protection |", "|---|---|---|---|");
    for (const c of protectedColumns) {
      for (const p of protectionOf(c, table)) lines.push(`| ${code(c.name)} | ${c.pii} | ${p.system} | ${mdCell(p.how)} |`);
    }
    lines.push("");
  }
  return lines;
}

export function dataDictionary(dataset: DatasetIR): string {
  const lines = [
    `<!-- ${headerLines(dataset).join(" ").replace(/--/g, "- -")} -->`,
    "",
    `# Dataset \`${dataset.name}\` (contract ${dataset.contract.version})`,
    "",
    mdParagraph(dataset.description),
    "",
    `- Contract: \`${dataset.contract.file}\`, owner ${mdCell(dataset.contract.owner)}`,
    ...Object.entries(dataset.locations).map(([zone, location]) => `- ${zone}: \`${location}\``),
    "",
    ...tableSection(dataset.table, "## Processed table"),
  ];
  for (const child of dataset.children) lines.push(...tableSection(child, "## Child table"));
  lines.push(
    "## Validation rules (raw record)",
    "",
    "A record failing any rule is quarantined with the code of every rule it fails.",
    "",
    "| reason code | rule |",
    "|---|---|",
    ...dataset.rules.map((r) => `| ${code(r.code)} | ${mdCell(r.description)} |`),
    "",
  );
  if (dataset.excluded.length) {
    lines.push("## Raw fields not loaded", "", "| field | why |", "|---|---|");
    lines.push(...dataset.excluded.map((e) => `| ${code(e.path)} | ${mdCell(e.reason)} |`), "");
  }
  return finalText(lines.join("\n"));
}

export const docsTarget: Target = {
  id: "docs",
  description: "Markdown data dictionary of each contract",
  emit(ir: ContractIR): EmitResult {
    return {
      files: ir.datasets.map((dataset) => ({ path: `generated/docs/${dataset.name}.md`, contents: dataDictionary(dataset) })),
      diagnostics: [],
    };
  },
};
