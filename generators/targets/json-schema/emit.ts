/**
 * JSON Schema (draft 2020-12) of each raw record, from Zod's own converter (built into the IR by the loader).
 * Other teams point at `generated/json-schema/<dataset>.schema.json`: keep the path stable.
 */
import { headerLines, jsonText } from "../../lib/header.js";
import type { ContractIR, DatasetIR, JsonValue } from "../../ir/types.js";
import type { EmitResult, Target } from "../types.js";

export function jsonSchemaPath(dataset: Pick<DatasetIR, "name">): string {
  return `generated/json-schema/${dataset.name}.schema.json`;
}

export function jsonSchemaOf(dataset: DatasetIR): JsonValue {
  const { $schema, $id, ...rest } = dataset.raw.jsonSchema as Record<string, JsonValue>;
  return { $schema: $schema ?? null, $id: $id ?? null, $comment: headerLines(dataset).join(" "), ...rest };
}

export const jsonSchemaTarget: Target = {
  id: "json-schema",
  description: "JSON Schema (draft 2020-12) of each raw record",
  emit(ir: ContractIR): EmitResult {
    return {
      files: ir.datasets.map((dataset) => ({ path: jsonSchemaPath(dataset), contents: jsonText(jsonSchemaOf(dataset)) })),
      diagnostics: [],
    };
  },
};
