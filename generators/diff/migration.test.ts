/**
 * Contract review's Snowflake migration statements are rendered by the functions that render the external-table
 * DDL (`generators/targets/snowflake/emit.ts`), and parse as Snowflake SQL with sqlfluff 4.5: `ALTER TABLE … ADD
 * COLUMN <name> <type> AS (<expr>)` / `DROP COLUMN` (Snowflake alters an external table's virtual columns with ALTER
 * TABLE), each ADD COLUMN's definition equal to the generated DDL's line for that column.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseSnowflakeStatements } from "../../tests/helpers/sqlfluff.js";
import { loadIR } from "./../ir/load.js";
import { ContractError } from "../lib/errors.js";
import { buildReport } from "./report.js";
import { externalTableStatement } from "../targets/snowflake/emit.js";

const TESTDATA = join(import.meta.dirname, "testdata");

/**
 * The fixtures whose current contract is refused by design (rules.test.ts: the review exits 2 on them, so there is no
 * migration to render), with the code each is refused with. Every other fixture must load: one that throws fails the
 * test rather than dropping out of it.
 */
const REFUSED_BY_DESIGN: Readonly<Record<string, string>> = {
  CE002: "CONTRACT.UNSUPPORTED_ZOD_KIND", // a default
  CE024: "CONTRACT.UNSUPPORTED_ZOD_KIND", // a default
  "CE025-closed": "CONTRACT.UNCHECKED_RULE", // a closed record
};
const work = mkdtempSync(join(tmpdir(), "migration-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("migration statements", () => {
  it("every fixture's ALTER/DROP statements parse as Snowflake SQL, and ADD COLUMN repeats the DDL's column definition", async () => {
    const statements: { id: string; sql: string }[] = [];
    const ddl: string[] = [];
    const ids = readdirSync(join(TESTDATA, "previous")).sort();
    expect(Object.keys(REFUSED_BY_DESIGN).filter((id) => !ids.includes(id))).toEqual([]);
    const refused: Record<string, readonly string[]> = {};
    for (const id of ids) {
      // The base as the review reads it, a contract of the past (`past`: it may be closed, CE025); every base loads.
      const base = await loadIR(join(TESTDATA, "previous", id), TESTDATA, undefined, { past: true });
      const current = join(TESTDATA, "current", id);
      if (id in REFUSED_BY_DESIGN) {
        refused[id] = await loadIR(current, TESTDATA).then(
          () => [],
          (error: unknown) => {
            if (error instanceof ContractError) return error.diagnostics.map((d) => d.code);
            throw error;
          },
        );
        continue;
      }
      const head = await loadIR(current, TESTDATA);
      const report = buildReport(base, head, { base: "previous", head: "current" });
      for (const f of report.findings) for (const [i, sql] of f.migration.snowflake.entries()) if (!sql.startsWith("--")) statements.push({ id: `${id} ${f.rule} ${i}`, sql });
      for (const d of head.datasets) for (const t of [d.table, ...d.children]) ddl.push(externalTableStatement(d, t));
    }
    expect(refused).toEqual(Object.fromEntries(Object.entries(REFUSED_BY_DESIGN).map(([id, code]) => [id, [code]])));
    expect(statements.length).toBeGreaterThan(15);
    const prefix = /^ALTER TABLE AMAZON_REVIEWS\.RAW\.[A-Z0-9_]+ (ADD COLUMN (.+)|DROP COLUMN [A-Z0-9_]+);$/;
    const toParse: { id: string; sql: string }[] = [];
    for (const s of statements) {
      toParse.push({ id: s.id, sql: s.sql.replace(/;$/, "") });
      if (s.sql.startsWith("DROP EXTERNAL TABLE IF EXISTS ")) continue;
      const m = prefix.exec(s.sql);
      expect(m, `${s.id}: ${s.sql}`).not.toBeNull();
      const definition = m![2];
      // ADD COLUMN repeats the CREATE statement's own line for that column (a renamed one reads both names in both).
      if (definition) expect(ddl.some((create) => create.includes(`\n  ${definition},\n`) || create.includes(`\n  ${definition}\n`)), s.id).toBe(true);
    }
    expect(toParse.length).toBeGreaterThan(10);
    const parsed = await parseSnowflakeStatements(toParse, join(work, "sql"));
    for (const p of parsed) expect(p, `${p.id}: ${toParse.find((s) => s.id === p.id)!.sql}`).toEqual({ id: p.id, unparsable: false, statements: 1 });
    // The check can fail: a definition without its type does not parse, nor ALTER EXTERNAL TABLE … ADD COLUMN.
    const [broken, external] = await parseSnowflakeStatements(
      [
        { id: "broken", sql: 'ALTER TABLE T ADD COLUMN X AS (VALUE:"x"::)' },
        { id: "external", sql: 'ALTER EXTERNAL TABLE T ADD COLUMN X VARCHAR AS (VALUE:"x"::VARCHAR)' },
      ],
      join(work, "broken"),
    );
    expect(external!.unparsable).toBe(true);
    expect(broken!.unparsable).toBe(true);
  }, 180_000);
});
