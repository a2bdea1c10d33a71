/**
 * pipeline:local's refusals before a run: each is one coded error and a `  fix:` line, and none writes anything.
 * The command runs in-process; no engine is started.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "./cli.js";

const ROOT = join(import.meta.dirname, "..", "..");
const work = mkdtempSync(join(tmpdir(), "pipeline-cli-usage-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function cli(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(["--no-warehouse", "--quiet", ...args], { write: (s: string) => (out += s) }, { write: (s: string) => (err += s) });
  return { code, out, err };
}

/** `error <code>: <message>` on one line, then the fix line, and nothing else. */
const coded = (code: string, message: string, fix: string) => new RegExp(`^error ${code.replace(".", "\\.")}: ${message}[^\\n]*\\n  fix: ${fix}[^\\n]*\\n$`);

describe("pipeline:local refuses with a code and a fix line", () => {
  const out = join(work, "out");
  const readme = join(ROOT, "README.md");
  it.each([
    // A file given as the repository: its real problem, not "no generated IR, run npm run generate".
    [["--root", readme], coded("CLI.USAGE", `--root ${readme.replace(/[.]/g, "\\.")} is a file, not a folder`, "pass --root <repository folder>")],
    [["--root", join(work, "missing")], coded("CLI.USAGE", "--root \\S+missing does not exist", "pass --root <repository folder>")],
    // Empty path options (an unset variable) would be the current folder.
    [["--root", ""], coded("CLI.USAGE", "--root is empty\\.", "give --root a folder")],
    [["--root", ROOT, "--out", ""], coded("CLI.USAGE", "--out is empty\\.", "give --out a folder")],
    [["--root", ROOT, "--out", out, "--input", `nosuch=${readme}`], coded("CLI.USAGE", '--input "nosuch=\\S+" must be <dataset>=<file\\|dir> with dataset one of product, review', "write --input product=<file\\|dir>")],
    // The fix names the dataset closest to the one mistyped.
    [["--root", ROOT, "--out", out, "--input", `reviw=${readme}`], coded("CLI.USAGE", '--input "reviw=\\S+" must be <dataset>=<file\\|dir>', "write --input review=<file\\|dir>")],
    [["--root", ROOT, "--max-record-bytes", "abc"], coded("CLI.USAGE", '--max-record-bytes must be a whole number of bytes from 1024 to \\d+, written with digits only, not "abc"', "pass e.g. --max-record-bytes 1048576")],
    [["--root", ROOT, "--max-record-bytes", "1023"], coded("CLI.USAGE", "--max-record-bytes must be a whole number of bytes from 1024 to", "pass e.g.")],
    [["--root", ROOT, "--engine", "spark", "--max-record-bytes", "2048"], coded("CLI.USAGE", "--max-record-bytes applies to the DuckDB engine", "leave --max-record-bytes out with --engine spark")],
    // A folder without the generated IR: the fix on its own line, not inline.
    [["--root", work], coded("PIPELINE.NO_IR", "No generated IR in \\S+: there is no generated/manifest\\.json listing it\\.", "run `npm run generate` first\\.")],
    [["--bogus"], coded("CLI.USAGE", "Unknown option '--bogus'", "run with --help")],
  ])("%j", async (args, expected) => {
    const result = await cli(args);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(expected);
    expect(result.out).toBe("");
    expect(existsSync(out)).toBe(false);
  });
});
