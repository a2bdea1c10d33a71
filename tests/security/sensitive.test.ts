/**
 * Sensitive columns (`pii: "sensitive"`) never leave the cleaned zone: no generated file of any target names them
 * (only the IR and the data dictionary, which say they are withheld), and a run of the local pipeline keeps the
 * value in the cleaned zone and writes it nowhere else. The kitchen-sink fixture has one (`owner.email`).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildFileSet } from "../../generators/assemble/file-set.js";
import type { ContractIR } from "../../generators/ir/types.js";
import type { GeneratedFile } from "../../generators/targets/types.js";
import { localPath, runPipeline } from "../../runners/local-pipeline/pipeline.js";
import { generatedFrom } from "../helpers/generate.js";

/** Files allowed to name a withheld column: the IR itself and the data dictionary (which says where it stays). */
const DESCRIBES_THE_CONTRACT = /^generated\/(?:ir|docs)\//;

/** Every generated file outside the IR and the dictionary that names a withheld column, with the column. */
function leaks(ir: ContractIR, files: readonly GeneratedFile[]): string[] {
  const withheld = ir.datasets.flatMap((d) => [d.table, ...d.children].flatMap((t) => t.withheld.map((c) => c.name)));
  return files.flatMap((f) => (DESCRIBES_THE_CONTRACT.test(f.path) ? [] : withheld.filter((name) => new RegExp(`\\b${name}\\b`).test(f.contents)).map((name) => `${f.path}: ${name}`)));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

describe("sensitive columns never leave the cleaned zone", () => {
  it("are withheld from every processed table by the IR, and no generated file of any target names them", async () => {
    const { ir, files } = await generatedFrom("tests/fixtures/kitchen-sink");
    const sink = ir.datasets.find((d) => d.name === "kitchen_sink")!;
    expect(sink.table.withheld.map((c) => [c.name, c.pii])).toEqual([["owner_email", "sensitive"]]);
    expect(sink.table.columns.map((c) => c.name)).not.toContain("owner_email");
    expect(leaks(ir, files)).toEqual([]);
    // The dictionary names it, and says it is withheld.
    expect(files.find((f) => f.path === "generated/docs/kitchen_sink.md")!.contents).toMatch(/owner_email[^\n]*cleaned zone/);
  });

  it("the check finds a leak: the same column put back into the table reaches the flatten job, Parquet, Snowflake and dbt", async () => {
    const { ir } = await generatedFrom("tests/fixtures/kitchen-sink");
    const leaky: ContractIR = {
      ...ir,
      datasets: ir.datasets.map((d) => ({ ...d, table: { ...d.table, columns: [...d.table.withheld, ...d.table.columns] } })),
    };
    const { files } = await buildFileSet(leaky);
    const found = leaks(ir, files).map((l) => l.split(":")[0]);
    expect(found).toEqual(expect.arrayContaining(["glue-pyspark-out/flatten_kitchen_sink.py", "generated/parquet/kitchen_sink.parquet.txt", "generated/snowflake/20_kitchen_sink.sql"]));
  });

  it("a local run keeps the value in the cleaned zone and writes it to no processed table", async () => {
    const { ir } = await generatedFrom("tests/fixtures/kitchen-sink");
    const out = mkdtempSync(join(tmpdir(), "sensitive-"));
    try {
      const email = "sensitive.person@example.org";
      const input = join(out, "in.jsonl");
      const record = { code: "ABC-12", amount: 12.5, level: "low", flag: true, seen: 1_600_000_000, owner: { firstName: "Ada", email } };
      writeFileSync(input, `${JSON.stringify(record)}\n`);
      const summary = await runPipeline({ datasets: ir.datasets, inputs: new Map([["kitchen_sink", [input]]]), out: join(out, "run"), runId: "sensitive" });
      expect(summary.datasets.kitchen_sink!.valid).toBe(1);
      const sink = ir.datasets.find((d) => d.name === "kitchen_sink")!;
      const holding = filesUnder(join(out, "run")).filter((f) => readFileSync(f).includes(email));
      const cleaned = localPath(join(out, "run"), sink.locations.cleaned);
      expect(holding.length).toBeGreaterThan(0);
      expect(holding.filter((f) => !f.startsWith(cleaned)), "files outside the cleaned zone holding the value").toEqual([]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});
