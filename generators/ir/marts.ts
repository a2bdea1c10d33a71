/**
 * The marts' enforced contracts, read from the hand-written dbt YAML in `dbt-out/models/marts/` (beside the
 * contracts folder). They are the generator's second input: what the marts promise their consumers (QuickSight) is
 * declared there, once, and dbt enforces it on every build. Only the parts consumers need are read and checked:
 * model name, description, enforced contract, each column's name, `data_type`, description, and its upstream
 * staging columns (`config.meta.upstream`, `<model>.<column>`), from which contract review traces a staging change to
 * the mart columns and dashboards it reaches.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { parse } from "yaml";
import { z } from "zod";
import { ContractError, diagnostic, type Diagnostic } from "../lib/errors.js";
import { compareCodePoints } from "../lib/sort.js";
import type { MartIR } from "./types.js";

/** Where the marts live, relative to the repository root (the contracts folder's parent). */
export const MARTS_DIR = "dbt-out/models/marts";

const IDENT = /^[a-z][a-z0-9_]*$/;
const UPSTREAM = /^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/;

const ColumnYaml = z.object({
  name: z.string().regex(IDENT, "must be lowercase snake_case"),
  data_type: z.string().min(1).optional(),
  description: z.string().optional(),
  config: z.object({ meta: z.object({ upstream: z.array(z.string().regex(UPSTREAM, "must be <model>.<column>")).optional() }).loose().optional() }).loose().optional(),
}).loose();

const ModelYaml = z.object({
  name: z.string().regex(IDENT, "must be lowercase snake_case"),
  description: z.string().optional(),
  config: z.object({ contract: z.object({ enforced: z.boolean().optional() }).loose().optional() }).loose().optional(),
  columns: z.array(ColumnYaml).optional(),
}).loose();

const FileYaml = z.object({ version: z.literal(2), models: z.array(ModelYaml).optional() }).loose();

/**
 * A data_type the two warehouses that build the marts read differently, so that one mart would hold different values
 * in Snowflake and in DuckDB (the local warehouse, where dbt runs the same models): a decimal without precision is
 * NUMBER(38,0) in Snowflake (whole numbers) and DECIMAL(18,3) in DuckDB; FLOAT, FLOAT4 and REAL are 64-bit in
 * Snowflake and 32-bit in DuckDB (https://docs.snowflake.com/en/sql-reference/data-types-numeric,
 * https://duckdb.org/docs/stable/sql/data_types/numeric).
 */
export function divergentType(dataType: string): { meaning: string; fix: string } | undefined {
  const t = dataType.toLowerCase().replace(/\s+/g, " ").trim();
  if (/^(decimal|numeric|number)$/.test(t)) {
    return {
      meaning: "which Snowflake reads as NUMBER(38,0) (whole numbers) and DuckDB as DECIMAL(18,3): the two warehouses would store different values",
      fix: "Give precision and scale, e.g. decimal(12, 2), or bigint for whole numbers.",
    };
  }
  if (/^(float|float4|real)$/.test(t)) {
    return {
      meaning: "which is a 64-bit double in Snowflake and a 32-bit float in DuckDB: the two warehouses would store different values",
      fix: "Use double (64-bit in both), or decimal(p, s) for exact values.",
    };
  }
  return undefined;
}

function fail(file: string, path: string, message: string, fix: string): Diagnostic {
  return diagnostic("MARTS.INVALID", message, { file, path }, fix);
}

/** The marts declared in `<root>/dbt-out/models/marts/*.yml`, sorted by name; none when the folder does not exist. */
export function loadMarts(root: string): MartIR[] {
  const dir = join(root, MARTS_DIR);
  if (!existsSync(dir)) return [];
  const diagnostics: Diagnostic[] = [];
  const marts: MartIR[] = [];
  const sqlModels = new Set(readdirSync(dir).filter((f) => f.endsWith(".sql")).map((f) => f.slice(0, -4)));
  for (const name of readdirSync(dir).filter((f) => f.endsWith(".yml") || f.endsWith(".yaml")).sort(compareCodePoints)) {
    const file = relative(root, join(dir, name)).split(sep).join("/");
    let document: unknown;
    try {
      document = parse(readFileSync(join(dir, name), "utf8"));
    } catch (error) {
      diagnostics.push(fail(file, "", `Not valid YAML: ${(error as Error).message.split("\n")[0]}`, "Fix the YAML syntax (dbt cannot parse it either)."));
      continue;
    }
    const parsed = FileYaml.safeParse(document);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        diagnostics.push(fail(file, issue.path.join("."), `${issue.message}.`, "Write the marts YAML as dbt's `version: 2` model properties."));
      }
      continue;
    }
    for (const [i, model] of (parsed.data.models ?? []).entries()) {
      const at = `models.${i}(${model.name})`;
      if (!sqlModels.has(model.name)) {
        diagnostics.push(fail(file, at, `Mart "${model.name}" has no model file ${model.name}.sql beside it.`, "Name the YAML entry after the mart's SQL file."));
      }
      if (model.config?.contract?.enforced !== true) {
        diagnostics.push(
          fail(file, at, `Mart "${model.name}" has no enforced contract: its consumers (QuickSight) need names and types dbt guarantees.`, "Add `config: { contract: { enforced: true } }` and a data_type on every column."),
        );
      }
      const columns = model.columns ?? [];
      if (columns.length === 0) diagnostics.push(fail(file, at, `Mart "${model.name}" declares no columns.`, "List every column the model selects, with its data_type."));
      const seen = new Set<string>();
      for (const column of columns) {
        if (seen.has(column.name)) diagnostics.push(fail(file, `${at}.${column.name}`, `Column "${column.name}" is declared twice.`, "Declare each column once."));
        seen.add(column.name);
        if (!column.data_type) {
          diagnostics.push(fail(file, `${at}.${column.name}`, `Column "${column.name}" has no data_type.`, "Add the column's data_type (the enforced contract needs it)."));
        } else {
          const divergent = divergentType(column.data_type);
          if (divergent) diagnostics.push(fail(file, `${at}.${column.name}`, `Column "${column.name}" has data_type "${column.data_type}", ${divergent.meaning}.`, divergent.fix));
        }
      }
      marts.push({
        name: model.name,
        file,
        description: model.description ?? "",
        columns: columns.map((c) => ({
          name: c.name,
          dataType: (c.data_type ?? "").trim().toLowerCase(),
          description: c.description ?? "",
          upstream: [...(c.config?.meta?.upstream ?? [])],
        })),
      });
    }
  }
  const names = marts.map((m) => m.name);
  for (const [i, n] of names.entries()) {
    if (names.indexOf(n) !== i) diagnostics.push(fail(marts[i]!.file, n, `Mart "${n}" is declared twice.`, "Declare each mart once."));
  }
  if (diagnostics.length) throw new ContractError(diagnostics);
  return marts.sort((a, b) => compareCodePoints(a.name, b.name));
}
