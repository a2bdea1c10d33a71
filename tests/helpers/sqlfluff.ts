/** The project's pinned sqlfluff (toolchain/python/lint.in), installed on first use. */
import { join } from "node:path";
import { ensurePythonEnv } from "../../toolchain/python-env.js";
import { REPO_ROOT } from "./data.js";

export async function sqlfluffBin(): Promise<string> {
  const { bin } = await ensurePythonEnv("lint", { root: REPO_ROOT });
  return join(bin, "sqlfluff");
}

export interface ParsedStatement {
  readonly id: string;
  readonly unparsable: boolean;
  /** How many statements sqlfluff found in the text (1 for one statement). */
  readonly statements: number;
}

/**
 * Parses each SQL text in its own file with the pinned sqlfluff's snowflake dialect and the raw templater (plain
 * SQL: a COMMENT may hold "{% … %}" as text); reports per text whether any part was unparsable.
 */
export async function parseSnowflakeStatements(statements: readonly { id: string; sql: string }[], dir: string): Promise<ParsedStatement[]> {
  const { mkdirSync, rmSync, writeFileSync } = await import("node:fs");
  const { run } = await import("./run.js");
  const bin = await sqlfluffBin();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const files = statements.map((s, i) => ({ name: `${String(i).padStart(3, "0")}.sql`, s }));
  for (const { name, s } of files) writeFileSync(join(dir, name), `${s.sql.replace(/;\s*$/, "")};\n`);
  const result = run(bin, ["parse", "--dialect", "snowflake", "--templater", "raw", "--format", "json", dir]);
  if (result.status !== 0 && result.stdout.trim() === "") throw new Error(`sqlfluff failed: ${result.stderr}`);
  const parsed = JSON.parse(result.stdout) as { filepath: string; segments: unknown }[];
  return files.map(({ name, s }) => {
    const entry = parsed.find((p) => p.filepath.endsWith(name));
    const text = JSON.stringify(entry?.segments ?? null);
    const unparsable = !entry || entry.segments === null || text.includes('"unparsable"');
    return { id: s.id, unparsable, statements: (text.match(/"statement":/g) ?? []).length };
  });
}
