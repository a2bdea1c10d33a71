/**
 * What an input path leads to: links that make --out overlap an input. Real files, real runs of the command on
 * DuckDB (`--no-warehouse`).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "./cli.js";

const ROOT = join(import.meta.dirname, "..", "..");
const PRODUCTS = readFileSync(join(ROOT, "samples", "product", "meta-sample.jsonl"));
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "input-paths-test-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function cli(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(["--root", ROOT, "--no-warehouse", "--quiet", ...args], { write: (s: string) => (out += s) }, { write: (s: string) => (err += s) });
  return { code, out, err };
}

/** A fresh folder under the test's work folder. */
function folder(...names: string[]): string {
  const path = join(work, ...names);
  mkdirSync(path, { recursive: true });
  return path;
}

describe("--out and the inputs are compared by their real paths", () => {
  it("refuses an --out reached through a link to the input folder, and writes nothing there", async () => {
    const input = folder("linked", "in");
    writeFileSync(join(input, "meta.jsonl"), PRODUCTS);
    symlinkSync(input, join(work, "linked", "alias"));
    const out = join(work, "linked", "alias", "out");
    const result = await cli(["--input", `product=${input}`, "--out", out]);
    expect(result.code).toBe(2);
    expect(result.err).toContain(`error CLI.USAGE: the output folder ${out} and the input ${input} overlap`);
    expect(existsSync(join(input, "out"))).toBe(false);
    // And the other way: the input named through the link, --out in the real folder.
    const reverse = await cli(["--input", `product=${join(work, "linked", "alias")}`, "--out", join(input, "out")]);
    expect(reverse.code).toBe(2);
    expect(reverse.err).toContain("overlap: the run would read its own output");
  });
});
