/** Validation of dbt YAML with the official dbt JSON Schemas (draft-07), vendored in ../shared/schemas/dbt/. */
import Ajv from "ajv";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./data.js";

export type DbtSchemaKind = "dbt_yml_files" | "dbt_project" | "packages" | "profiles";
export type DbtFlavor = "latest" | "latest_fusion";

const cache = new Map<string, (data: unknown) => string[]>();

/** Returns the validation errors (empty when valid). */
export function dbtSchemaErrors(kind: DbtSchemaKind, flavor: DbtFlavor, data: unknown): string[] {
  const key = `${flavor}/${kind}`;
  let validate = cache.get(key);
  if (!validate) {
    const file = join(REPO_ROOT, "../shared/schemas/dbt", flavor, `${kind}-${flavor === "latest" ? "latest" : "latest-fusion"}.json`);
    const schema = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    // The fusion schemas use format int64/uint64/… (not JSON Schema formats): only structure is validated.
    const ajv = new Ajv.default({ strict: false, allErrors: true, validateFormats: false });
    // The fusion profiles schema describes one output as definitions/DbConfig; the root admits nothing.
    const root = kind === "profiles" ? { ...schema, additionalProperties: { type: "object", required: ["outputs"], properties: { target: { type: "string" }, outputs: { type: "object", additionalProperties: { $ref: "#/definitions/DbConfig" } } }, additionalProperties: false } } : schema;
    const compiled = ajv.compile(root);
    validate = (value: unknown) => (compiled(value) ? [] : (compiled.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`));
    cache.set(key, validate);
  }
  return validate(data);
}
