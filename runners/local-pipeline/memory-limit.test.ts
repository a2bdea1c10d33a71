/**
 * `pipeline:local --memory-limit`: the sizes taken agree with what DuckDB itself sets, a run on the shipped samples
 * runs under the limit given (as DuckDB reports it), and anything else is refused before the run.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuckDBInstance } from "@duckdb/node-api";
import { main } from "./cli.js";
import { parseMemoryLimit } from "./memory-limit.js";

const ROOT = join(import.meta.dirname, "..", "..");
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "memory-limit-test-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const capture = () => {
  let text = "";
  return { stream: { write: (s: string) => ((text += s), true) } as { write(text: string): boolean }, text: () => text };
};

async function cli(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const out = capture();
  const err = capture();
  const code = await main(["--root", ROOT, "--no-warehouse", ...args], out.stream, err.stream);
  return { code, out: out.text(), err: err.text() };
}

describe("--memory-limit", () => {
  it("takes a number and a unit as DuckDB reads them (KB, MB, GB, TB powers of 1000; KiB, MiB, GiB, TiB of 1024)", async () => {
    // Expected as DuckDB prints its setting, worked out by hand: 1GB = 10^9 bytes = 953.6 MiB, 4GB = 3.7 GiB.
    const given: readonly (readonly [string, string, string])[] = [
      ["512MiB", "512MiB", "512.0 MiB"],
      ["1GB", "1GB", "953.6 MiB"],
      ["2GiB", "2GiB", "2.0 GiB"],
      ["4GB", "4GB", "3.7 GiB"],
      ["1.5gb", "1.5GB", "1.3 GiB"],
      ["128MiB", "128MiB", "128.0 MiB"],
      ["200 MB", "200MB", "190.7 MiB"],
    ];
    for (const [text, setting, duckdb] of given) {
      expect(parseMemoryLimit(text).setting, text).toBe(setting);
      const connection = await (await DuckDBInstance.create(":memory:", { memory_limit: setting })).connect();
      const rows = (await connection.runAndReadAll("SELECT current_setting('memory_limit')")).getRows();
      expect(rows[0]![0], text).toBe(duckdb);
      connection.closeSync();
    }
  });

  it("runs the shipped samples under the limit given: the first progress line says DuckDB took it, and the run reconciles", async () => {
    const out = join(work, "samples");
    const run = await cli(["--memory-limit", "512MiB", "--out", out, "--run-id", "memory-limit"]);
    expect(run.code, run.err).toBe(0);
    const first = run.err.split("\n").find((line) => line.startsWith("duckdb: "));
    expect(first).toMatch(/^duckdb: \d+ threads?, memory limit 512\.0 MiB$/);
    expect(run.out).toContain("Run memory-limit (duckdb): counts reconcile");
    const summary = JSON.parse(readFileSync(join(out, "run-summary.json"), "utf8")) as { reconciled: boolean; datasets: Record<string, { input: number }> };
    expect(summary.reconciled).toBe(true);
    expect(summary.datasets.product!.input).toBe(6);
  });

  it("refuses garbage, zero, a size below 128MiB and the Spark engine with CLI.USAGE and a fix, before the run", async () => {
    const form = "must be a number and a unit (one of B, KB, MB, GB, TB, KiB, MiB, GiB, TiB), such as 512MiB, 1GB or 2GiB";
    const refused: readonly (readonly [string, string])[] = [
      ["lots", form],
      ["512", form],
      ["", form],
      ["1e3GB", form],
      ["0x10GB", form],
      ["80%", form],
      ["-1GB", form],
      ["2XB", form],
      ["1.GB", form],
      ["0GB", "is below the least limit taken, 128MiB"],
      ["0", form],
      ["127MiB", "is below the least limit taken, 128MiB"],
      ["100MB", "is below the least limit taken, 128MiB"],
      ["134217727B", "is below the least limit taken, 128MiB"],
    ];
    for (const [text, message] of refused) {
      const run = await cli([`--memory-limit=${text}`, "--out", join(work, "refused")]);
      expect(run.code, text).toBe(2);
      expect(run.err, text).toContain(`error CLI.USAGE: --memory-limit`);
      expect(run.err, text).toContain(message);
      expect(run.err, text).toContain("  fix: pass e.g. --memory-limit 2GiB, or leave it out (1GB).");
      expect(run.err, text).not.toContain("duckdb: ");
    }
    const spark = await cli(["--engine", "spark", "--memory-limit", "2GiB", "--out", join(work, "spark")]);
    expect(spark.code).toBe(2);
    expect(spark.err).toContain("error CLI.USAGE: --memory-limit applies to the DuckDB engine");
    expect(spark.err).toContain("  fix: leave --memory-limit out with --engine spark");
  });

  it("is stated in --help with its default and trade-off", async () => {
    const help = capture();
    expect(await main(["--help"], help.stream, capture().stream)).toBe(0);
    expect(help.text()).toContain("--memory-limit <size>");
    expect(help.text()).toMatch(/default: 1GB, which kept the peak RSS\s+under 2 GiB at 10M reviews/);
  });
});
