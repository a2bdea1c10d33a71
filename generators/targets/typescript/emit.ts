/**
 * TypeScript types of each raw record, generated from its JSON Schema by json-schema-to-typescript, for producers
 * and tools written in TypeScript. Validated by `tsc --noEmit` in the tests.
 */
import { compile } from "json-schema-to-typescript";
import type { JSONSchema4 } from "json-schema";
import { commentBlock, finalText, headerLines } from "../../lib/header.js";
import type { ContractIR, DatasetIR, JsonValue } from "../../ir/types.js";
import { jsonSchemaOf } from "../json-schema/emit.js";
import type { EmitResult, Target } from "../types.js";

/** `review` → `ReviewRecord`, `product_categories` → `ProductCategoriesRecord`. */
export function recordTypeName(dataset: Pick<DatasetIR, "name">): string {
  return `${dataset.name.split("_").map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join("")}Record`;
}

/** JSDoc cannot hold `*\/`: a description containing it would end the comment and inject code. */
function escapeForJsDoc(value: JsonValue): JsonValue {
  if (typeof value === "string") return value.replace(/\*\//g, "*\\/");
  if (Array.isArray(value)) return value.map(escapeForJsDoc);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === "description" || k === "title" ? escapeForJsDoc(v) : v]));
  }
  return value;
}

async function emitDataset(dataset: DatasetIR): Promise<string> {
  const { $comment: _comment, $id: _id, title: _title, ...schema } = jsonSchemaOf(dataset) as Record<string, JsonValue>;
  const source = await compile(escapeForJsDoc({ ...schema, title: recordTypeName(dataset) }) as JSONSchema4, recordTypeName(dataset), {
    bannerComment: "",
    format: true,
    declareExternallyReferenced: true,
    strictIndexSignatures: true,
    unknownAny: true,
  });
  return finalText(commentBlock(headerLines(dataset), "//") + "\n" + source.trim());
}

export const typescriptTarget: Target = {
  id: "typescript",
  description: "TypeScript types of each raw record (from its JSON Schema)",
  async emit(ir: ContractIR): Promise<EmitResult> {
    const files = [];
    for (const dataset of ir.datasets) {
      files.push({ path: `generated/typescript/${dataset.name}.ts`, contents: await emitDataset(dataset) });
    }
    return { files, diagnostics: [] };
  },
};
