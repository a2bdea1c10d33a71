/**
 * TypeScript types of each raw record, generated from its JSON Schema by json-schema-to-typescript, for producers
 * and tools written in TypeScript. Each type is the contract's `z.input`: an object literal with a key the contract
 * does not declare (a misspelt optional key) is a type error, where Zod would strip the key and lose its value.
 * Validated by `tsc --noEmit` in the tests, against `z.input` of the contracts.
 */
import { compile } from "json-schema-to-typescript";
import type { JSONSchema4 } from "json-schema";
import { commentBlock, finalText, headerLines } from "../../lib/header.js";
import type { ContractIR, DatasetIR, JsonValue, RawField } from "../../ir/types.js";
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

type JsonObject = { readonly [key: string]: JsonValue };
type FieldShape = Partial<Pick<RawField, "kind" | "fields" | "element" | "options">>;

function isJsonObject(value: JsonValue): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * `T | undefined`, as z.input has an optional key (`vote?: string | undefined`: Zod accepts `vote: undefined`), which
 * matters under exactOptionalPropertyTypes. The description stays on the outer schema, where it becomes the JSDoc.
 */
function orUndefined(schema: JsonValue): JsonValue {
  if (!isJsonObject(schema)) return schema;
  const { description, ...rest } = schema;
  return { ...(description === undefined ? {} : { description }), anyOf: [rest, { tsType: "undefined" }] };
}

/**
 * The schema the types are compiled from, so that each type is the contract's z.input. The published JSON Schema
 * leaves a z.object's other keys open (Zod accepts and strips them), which json-schema-to-typescript would type as
 * `[k: string]: unknown`, so that any key, a misspelt one too, would compile. Here every object that says nothing
 * about other keys is closed (`additionalProperties: false`); a map (z.record) keeps its value schema, a z.looseObject
 * its `{}`. A map's value may be optional (z.record(z.string(), z.string().optional())): the JSON Schema cannot say
 * so, the IR field can, and the value type then admits `undefined`.
 */
function forTypes(schema: JsonValue, field?: FieldShape): JsonValue {
  if (Array.isArray(schema)) return schema.map((item: JsonValue) => forTypes(item, field));
  if (!isJsonObject(schema)) return schema;
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  const out: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "properties" && isJsonObject(value)) {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([name, property]) => {
          const typed = forTypes(property, field?.fields?.find((f) => f.key === name));
          return [name, required.has(name) ? typed : orUndefined(typed)];
        }),
      );
    } else if (key === "additionalProperties" && isJsonObject(value)) {
      const typed = forTypes(value, field?.element);
      out[key] = field?.kind === "record" && field.element?.required === false ? orUndefined(typed) : typed;
    } else if (key === "items" || key === "prefixItems") {
      out[key] = forTypes(value, field?.element);
    } else if ((key === "anyOf" || key === "oneOf") && Array.isArray(value)) {
      out[key] = value.map((option: JsonValue, i: number) => forTypes(option, field?.options?.[i]));
    } else {
      out[key] = value;
    }
  }
  const isObject = out.type === "object" || (out.type === undefined && out.properties !== undefined);
  if (isObject && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

async function emitDataset(dataset: DatasetIR): Promise<string> {
  const { $comment: _comment, $id: _id, title: _title, ...schema } = jsonSchemaOf(dataset) as Record<string, JsonValue>;
  const typed = forTypes({ ...schema, title: recordTypeName(dataset) }, { kind: "object", fields: dataset.raw.fields });
  const source = await compile(escapeForJsDoc(typed) as JSONSchema4, recordTypeName(dataset), {
    bannerComment: "",
    format: true,
    declareExternallyReferenced: true,
    // Index signatures are left only to maps and loose objects, whose z.input is Record<string, T>: no `| undefined`.
    strictIndexSignatures: false,
    // z.array(...).max(n) is T[] in z.input, not a union of tuples.
    ignoreMinAndMaxItems: true,
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
