/**
 * The reporter role (QuickSight's) reaches no clear personal value. Its grants come from two places, and both are
 * read here as they are deployed:
 *
 * - `generated/snowflake/plan.json` (run by `snowflake:apply`): every GRANT statement is parsed; the reporter may get
 *   USAGE on the database and on the platform's warehouse (compute, no data) and nothing else: no role (a role brings everything it can read), nothing on RAW (the
 *   external tables) or GOVERNANCE (the key and the policies), nothing account- or database-wide.
 * - `dbt-out/dbt_project.yml` (dbt's `+grants` and `on-run-end` hooks): SELECT on marts only, USAGE on the marts
 *   schema only.
 *
 * Then, for every mart the reporter can select, each column's lineage (`config.meta.upstream` in
 * `dbt-out/models/marts/*.yml`, followed through marts to staging) must not reach a personal column of the contracts;
 * its keyed pseudonym (`<column>_hash`) is allowed. Negative controls show each check can fail.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PLATFORM } from "../../generators/platform.js";
import type { ContractIR } from "../../generators/ir/types.js";
import { stagingModelName } from "../../generators/targets/dbt/emit.js";
import { personalColumns, pseudonymColumnName } from "../../generators/targets/protection.js";
import { REPO_ROOT, SHIPPED_DATASETS } from "../helpers/data.js";
import { generatedFrom } from "../helpers/generate.js";

const SF = PLATFORM.snowflake;
const REPORTER = SF.roles.reporter;
const DB = SF.database;

interface Deployed {
  readonly planGrants: readonly string[];
  /** dbt_project.yml, parsed. */
  readonly dbtProject: Record<string, unknown>;
  /** The marts' YAML files, parsed. */
  readonly martsYaml: readonly Record<string, unknown>[];
  /** Model names with a .sql file under dbt-out/models/marts/. */
  readonly martModels: readonly string[];
}

function deployed(): Deployed {
  const plan = JSON.parse(readFileSync(join(REPO_ROOT, "generated/snowflake/plan.json"), "utf8")) as { statements: { sql: string }[] };
  const marts = join(REPO_ROOT, "dbt-out/models/marts");
  const files = readdirSync(marts).sort();
  return {
    planGrants: plan.statements.map((s) => s.sql).filter((sql) => /^GRANT\b/i.test(sql)),
    dbtProject: parse(readFileSync(join(REPO_ROOT, "dbt-out/dbt_project.yml"), "utf8")) as Record<string, unknown>,
    martsYaml: files.filter((f) => /\.ya?ml$/.test(f)).map((f) => parse(readFileSync(join(marts, f), "utf8")) as Record<string, unknown>),
    martModels: files.filter((f) => f.endsWith(".sql")).map((f) => f.slice(0, -4)),
  };
}

/** What the plan grants the reporter beyond USAGE on the database: each a finding. */
function planFindings(grants: readonly string[]): string[] {
  const findings: string[] = [];
  for (const sql of grants) {
    const role = /^GRANT ROLE (\S+) TO ROLE (\S+)$/i.exec(sql);
    if (role) {
      if (role[2]!.toUpperCase() === REPORTER) findings.push(`plan: the reporter is granted role ${role[1]} (and all it can read): ${sql}`);
      continue;
    }
    const privilege = /^GRANT (.+?) ON (.+) TO ROLE (\S+)$/i.exec(sql);
    if (!privilege) {
      // Fail closed: a grant this check cannot read might be to the reporter.
      findings.push(`plan: unreadable grant: ${sql}`);
      continue;
    }
    const [, privileges, object, grantee] = privilege;
    if (grantee!.toUpperCase() !== REPORTER) continue;
    if (new RegExp(`\\b${DB}\\.(${SF.rawSchema}|${SF.governance.schema})\\b`, "i").test(object!)) {
      findings.push(`plan: the reporter gets ${privileges} on ${object} (RAW holds clear personal values, GOVERNANCE the key): ${sql}`);
    } else if (!(privileges!.toUpperCase() === "USAGE" && [`DATABASE ${DB}`, `WAREHOUSE ${SF.warehouse}`].includes(object!.toUpperCase()))) {
      // USAGE on the platform's warehouse runs its queries and reads nothing.
      findings.push(`plan: the reporter gets more than USAGE on the database and the warehouse: ${sql}`);
    }
  }
  return findings;
}

/** dbt's grants to the reporter: SELECT on marts only; which marts. */
function dbtFindings(d: Deployed): { findings: string[]; readable: string[] } {
  const findings: string[] = [];
  const readable = new Set<string>();
  const models = (d.dbtProject.models as Record<string, unknown> | undefined)?.[PLATFORM.dbt.project] as Record<string, unknown> | undefined;
  const walk = (node: Record<string, unknown>, path: string[]) => {
    const grants = node["+grants"] as Record<string, string[] | string> | undefined;
    for (const [privilege, roles] of Object.entries(grants ?? {})) {
      if (![roles].flat().some((r) => r.toUpperCase() === REPORTER)) continue;
      const where = path.join(".") || "(project)";
      if (privilege.toLowerCase() !== "select") findings.push(`dbt: the reporter gets ${privilege} on ${where}`);
      if (path[0] !== "marts") findings.push(`dbt: the reporter gets ${privilege} on ${where}, which is not a mart`);
      else if (path.length === 1) for (const m of d.martModels) readable.add(m);
      else if (d.martModels.includes(path.at(-1)!)) readable.add(path.at(-1)!);
      else findings.push(`dbt: the reporter gets ${privilege} on ${where}, which is not a mart model`);
    }
    for (const [key, value] of Object.entries(node)) if (!key.startsWith("+") && value && typeof value === "object") walk(value as Record<string, unknown>, [...path, key]);
  };
  walk(models ?? {}, []);
  for (const hook of [d.dbtProject["on-run-end"] ?? [], d.dbtProject["on-run-start"] ?? []].flat() as string[]) {
    if (!hook.toUpperCase().includes(REPORTER)) continue;
    // USAGE on the marts schema (the profile's schema and dbt's `_marts`), on Snowflake's target, when the run built it.
    const allowed = `{% if target.name == 'prod' %}{% for schema in schemas if schema | lower == (target.schema ~ '_marts') | lower %}grant usage on schema {{ target.database }}.{{ schema }} to role ${REPORTER}{% endfor %}{% endif %}`;
    if (hook !== allowed) findings.push(`dbt: a hook grants the reporter more than USAGE on the marts schema: ${hook}`);
  }
  return { findings, readable: [...readable].sort() };
}

interface MartColumn {
  readonly upstream: readonly string[];
}

/** Mart columns whose lineage reaches a clear personal column (the pseudonym column is allowed). */
function lineageFindings(ir: ContractIR, d: Deployed, readable: readonly string[]): string[] {
  const columns = new Map<string, MartColumn>();
  for (const doc of d.martsYaml) {
    for (const model of (doc.models as { name: string; columns?: { name: string; config?: { meta?: { upstream?: string[] } } }[] }[] | undefined) ?? []) {
      for (const c of model.columns ?? []) columns.set(`${model.name}.${c.name}`, { upstream: c.config?.meta?.upstream ?? [] });
    }
  }
  const personal = new Map<string, string>(); // staging model.column → the contract column it is clear for
  for (const dataset of ir.datasets) {
    for (const table of [dataset.table, ...dataset.children]) {
      for (const c of personalColumns(table)) personal.set(`${stagingModelName(table)}.${c.name}`, `${table.name}.${c.name} (pseudonym: ${pseudonymColumnName(c)})`);
    }
  }
  const reached = (ref: string, seen: Set<string>): string[] => {
    if (seen.has(ref)) return [];
    seen.add(ref);
    if (personal.has(ref)) return [ref];
    const mart = columns.get(ref);
    return mart ? mart.upstream.flatMap((u) => reached(u, seen)) : [];
  };
  const findings: string[] = [];
  for (const [ref, column] of columns) {
    if (!readable.includes(ref.split(".")[0]!)) continue;
    for (const hit of column.upstream.flatMap((u) => reached(u, new Set([ref])))) {
      findings.push(`lineage: mart column ${ref} (readable by the reporter) is computed from clear personal column ${hit}, ${personal.get(hit)}`);
    }
  }
  return findings;
}

async function reporterFindings(d: Deployed): Promise<{ findings: string[]; readable: string[] }> {
  const { ir } = await generatedFrom();
  const dbt = dbtFindings(d);
  return { findings: [...planFindings(d.planGrants), ...dbt.findings, ...lineageFindings(ir, d, dbt.readable)], readable: dbt.readable };
}

describe("the reporter reaches no clear personal value", () => {
  it("gets USAGE on the database and the warehouse from the plan, SELECT on marts from dbt, and no mart column computed from a personal column", async () => {
    const d = deployed();
    expect(d.planGrants.length).toBeGreaterThan(15);
    const { findings, readable } = await reporterFindings(d);
    expect(findings).toEqual([]);
    // It does read the marts (the check is about something).
    expect(readable).toEqual(d.martModels);
    expect(readable.length).toBeGreaterThan(0);
    // And the shipped contracts have a personal column whose staging model the marts read (a dataset added beside
    // them is checked by the lineage above like these, whatever personal columns it has).
    const { ir } = await generatedFrom();
    const shipped = ir.datasets.filter((ds) => SHIPPED_DATASETS.includes(ds.name));
    expect(shipped.map((ds) => ds.name)).toEqual(SHIPPED_DATASETS);
    expect(shipped.flatMap((ds) => [ds.table, ...ds.children]).flatMap((t) => personalColumns(t).map((c) => `${t.name}.${c.name}`))).toEqual(["review.reviewer_name"]);
  });

  it("fails on a reporter grant on RAW or GOVERNANCE, a role granted to the reporter, or more than database and warehouse usage (negative controls)", async () => {
    const d = deployed();
    for (const extra of [
      `GRANT SELECT ON ALL EXTERNAL TABLES IN SCHEMA ${DB}.RAW TO ROLE ${REPORTER}`,
      `GRANT USAGE ON SCHEMA ${DB}.RAW TO ROLE ${REPORTER}`,
      `GRANT SELECT ON TABLE ${DB}.GOVERNANCE.PSEUDONYM_KEY TO ROLE ${REPORTER}`,
      `GRANT ROLE ${SF.roles.transformer} TO ROLE ${REPORTER}`,
      `GRANT SELECT ON FUTURE TABLES IN DATABASE ${DB} TO ROLE ${REPORTER}`,
      `GRANT MODIFY ON WAREHOUSE ${SF.warehouse} TO ROLE ${REPORTER}`,
      `GRANT REVOKE_ME SOMETHING ODD`,
    ]) {
      const { findings } = await reporterFindings({ ...d, planGrants: [...d.planGrants, extra] });
      expect(findings, extra).toHaveLength(1);
    }
  });

  it("fails on dbt grants to the reporter outside the marts, and on a mart column computed from a personal column (negative controls)", async () => {
    const d = deployed();
    const project = structuredClone(d.dbtProject) as { models: Record<string, Record<string, Record<string, unknown>>> };
    project.models[PLATFORM.dbt.project]!.staging!["+grants"] = { select: [REPORTER] };
    expect((await reporterFindings({ ...d, dbtProject: project })).findings).toEqual([`dbt: the reporter gets select on staging, which is not a mart`]);

    // fct_reviews gains a column from the clear reviewer name; agg_product_daily_ratings reads it through fct_reviews.
    const marts = structuredClone(d.martsYaml) as { models: { name: string; columns: { name: string; config?: { meta?: { upstream?: string[] } } }[] }[] }[];
    const fct = marts.flatMap((m) => m.models).find((m) => m.name === "fct_reviews")!;
    fct.columns.push({ name: "reviewer", config: { meta: { upstream: ["stg_amazon__reviews.reviewer_name"] } } });
    const agg = marts.flatMap((m) => m.models).find((m) => m.name === "agg_product_daily_ratings")!;
    agg.columns.push({ name: "top_reviewer", config: { meta: { upstream: ["fct_reviews.reviewer"] } } });
    expect((await reporterFindings({ ...d, martsYaml: marts })).findings).toEqual([
      "lineage: mart column fct_reviews.reviewer (readable by the reporter) is computed from clear personal column stg_amazon__reviews.reviewer_name, review.reviewer_name (pseudonym: reviewer_name_hash)",
      "lineage: mart column agg_product_daily_ratings.top_reviewer (readable by the reporter) is computed from clear personal column stg_amazon__reviews.reviewer_name, review.reviewer_name (pseudonym: reviewer_name_hash)",
    ]);
    // The pseudonym column is allowed.
    fct.columns.at(-1)!.config!.meta!.upstream = ["stg_amazon__reviews.reviewer_name_hash"];
    expect((await reporterFindings({ ...d, martsYaml: marts })).findings).toEqual([]);
  });
});
