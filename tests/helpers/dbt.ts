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

/**
 * `dbt parse` by the project's pinned dbt (toolchain/python/dbt.in) on a dbt project folder, with its `local`
 * (DuckDB) target and a throw-away target path; returns dbt's manifest. dbt renders every YAML property but
 * descriptions at parse time, and descriptions when it writes the manifest: what it shows is what users would see.
 */
export async function dbtParse(projectDir: string): Promise<{ nodes: Record<string, any>; sources: Record<string, any> }> {
  const { ensurePythonEnv } = await import("../../toolchain/python-env.js");
  const { spawnSync } = await import("node:child_process");
  const { mkdtempSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { bin } = await ensurePythonEnv("dbt", { root: REPO_ROOT });
  const { dbtEnvironment } = await import("../../runners/local-warehouse/warehouse.js");
  const { LOCAL_TARGET } = await import("../../generators/targets/dbt/emit.js");
  const work = mkdtempSync(join(tmpdir(), "dbt-parse-"));
  try {
    // The environment the local run gives dbt (database file, target and log folders under `work`, no telemetry).
    const args = ["parse", "--project-dir", projectDir, "--profiles-dir", join(projectDir, "profiles"), "--target", LOCAL_TARGET];
    const env = { ...process.env, ...dbtEnvironment(work, join(work, "amazon_reviews.duckdb")) };
    const result = spawnSync(join(bin, "dbt"), args, { env, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`dbt parse failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
    return JSON.parse(readFileSync(join(env.DBT_TARGET_PATH!, "manifest.json"), "utf8"));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
