/**
 * Every command of package.json, as a user runs it (`npm run -s <command> -- …`): `--help` prints its usage and exits
 * 0 without doing its work, and an unknown option exits 2 with a usage error naming it and saying what to do.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");

/** npm's own scripts and the suite's: not commands a user gives options to. */
const NOT_COMMANDS = new Set(["prepare", "start", "test", "test:update-goldens", "typecheck"]);

const PACKAGE = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { name: string; version: string; scripts: Record<string, string> };
const COMMANDS = Object.keys(PACKAGE.scripts)
  .filter((name) => !NOT_COMMANDS.has(name))
  .sort();

/** The usage error's code: verify:s3 has its own (`VERIFY.USAGE`), every other command `CLI.USAGE`. */
const usageCode = (command: string) => (command === "verify:s3" ? "VERIFY.USAGE" : "CLI.USAGE");

const CHILD_TIMEOUT_MS = 90_000;

function npmRun(command: string, args: readonly string[], cwd = ROOT) {
  // A command doing its work instead of answering (a benchmark, an install) would run for minutes: 90 s is plenty even
  // on a loaded machine, and stays under the cases' own timeout so that a hang is reported as one, not as a timeout.
  // npm sets INIT_CWD to the folder it was run in (cwd): the one the suite was started from is not passed on.
  const { INIT_CWD: _suite, ...env } = process.env;
  return spawnSync("npm", ["run", "-s", command, "--", ...args], { cwd, env, encoding: "utf8", timeout: CHILD_TIMEOUT_MS });
}

describe("every command answers --help and refuses an unknown option", { timeout: CHILD_TIMEOUT_MS + 30_000 }, () => {
  it("covers the commands of package.json", () => {
    expect(COMMANDS).toEqual(expect.arrayContaining(["bench:generate", "bench:pipeline", "generate", "pipeline:local", "python:setup", "synth"]));
  });

  it.each(COMMANDS)("%s --help: its usage, exit 0, nothing else run", (command) => {
    const result = npmRun(command, ["--help"]);
    expect(result.signal, `${command} --help was still running after ${CHILD_TIMEOUT_MS / 1000} s`).toBeNull();
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Usage:/);
    expect(result.stdout).toContain(`npm run ${command}`);
  });

  // The benchmarks are measurements of this checkout, not tools a bug report names.
  it.each(COMMANDS.filter((c) => !c.startsWith("bench:")))("%s --version: the package's name and version, exit 0, nothing else run", (command) => {
    const result = npmRun(command, ["--version"]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe(`${PACKAGE.name} ${PACKAGE.version}\n`);
    expect(result.stderr).toBe("");
  });

  it("a mistyped option is answered with the one meant", () => {
    const result = npmRun("generate", ["--chek"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe("error CLI.USAGE: Unknown option '--chek'\n  fix: did you mean --check? Run with --help for the options.\n");
  });

  // Every command a user runs (the benchmarks are measurements): `--hepl` is two typos from `--help`.
  it.each(COMMANDS.filter((c) => !c.startsWith("bench:")))("%s --hepl: answered with --help, the option meant", (command) => {
    const result = npmRun(command, ["--hepl"]);
    expect(result.status, result.stdout + result.stderr).toBe(2);
    expect(result.stderr).toMatch(/Unknown option '--hepl'\.?\n {2}fix: did you mean --help\? /);
  });

  it.each(COMMANDS)("%s --no-such-option: a usage error naming it, exit 2", (command) => {
    const result = npmRun(command, ["--no-such-option"]);
    expect(result.signal, `${command} --no-such-option was still running after ${CHILD_TIMEOUT_MS / 1000} s`).toBeNull();
    expect(result.status, result.stdout + result.stderr).toBe(2);
    expect(result.stderr).toContain(`error ${usageCode(command)}:`);
    expect(result.stderr).toContain("--no-such-option");
    // node's advice for commands that take positionals ("as in '-- "--no-such-option"", unbalanced) is wrong here.
    expect(result.stderr).not.toContain("positional");
    expect(result.stderr).toMatch(/\n {2}fix: /);
  });

  it.each([
    ["bench:generate", ["--runs", "abc"], '--runs (or BENCH_RUNS) must be a whole number from 1 to 1000, written with digits only, not "abc".'],
    ["bench:pipeline", ["--records", "abc"], '--records must be a whole number from 1 to'],
    // The same limit, so the same bounds: what a quarantined too-long record keeps (1024 bytes) up to V8's longest string.
    ["pipeline:local", ["--max-record-bytes", "1023"], "--max-record-bytes must be a whole number of bytes from 1024 to"],
    ["verify:s3", ["s3://amazon-reviews-raw/reviews/", "--max-record-bytes", "1023"], '--max-record-bytes "1023" must be a whole number from 1024 to'],
  ] as const)("%s %j: a usage error with a fix line, exit 2", (command, args, message) => {
    const result = npmRun(command, args);
    expect(result.signal, `${command} was still running after ${CHILD_TIMEOUT_MS / 1000} s`).toBeNull();
    expect(result.status, result.stdout + result.stderr).toBe(2);
    expect(result.stderr).toContain(`error ${usageCode(command)}: ${message}`);
    expect(result.stderr).toMatch(/\n {2}fix: \S/);
  });
});

// npm runs every script in the package's folder: a relative path would otherwise be read from there, not from the
// folder the person typed the command in.
describe("a relative path on a command line is taken from the folder the command was typed in", { timeout: CHILD_TIMEOUT_MS + 30_000 }, () => {
  it("pipeline:local run in samples/ reads --input review=review from samples/review", () => {
    const out = mkdtempSync(join(tmpdir(), "commands-cwd-"));
    try {
      const result = npmRun("pipeline:local", ["--no-warehouse", "--input", "review=review", "--out", out], join(ROOT, "samples"));
      expect(result.status, result.stdout + result.stderr).toBe(0);
      const summary = JSON.parse(readFileSync(join(out, "run-summary.json"), "utf8")) as { datasets: Record<string, { input: number }> };
      expect(Object.keys(summary.datasets)).toEqual(["review"]);
      expect(summary.datasets.review!.input).toBeGreaterThan(0);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it("synth run in a folder of the package writes --out there, and --root .. names the package", () => {
    const folder = mkdtempSync(join(ROOT, ".commands-cwd-"));
    try {
      const result = npmRun("synth", ["--dataset", "review", "--records", "3", "--out", "reviews.jsonl", "--tally", "tally.json", "--root", ".."], folder);
      expect(result.status, result.stderr).toBe(0);
      expect(readFileSync(join(folder, "reviews.jsonl"), "utf8").trim().split("\n")).toHaveLength(3);
      expect(existsSync(join(folder, "tally.json"))).toBe(true);
      expect(existsSync(join(ROOT, "reviews.jsonl"))).toBe(false);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
