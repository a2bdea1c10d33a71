/**
 * Every coded error has a test that makes the program raise it: contract codes have a fixture each
 * (`contract-errors.test.ts`); the others are raised here or in their part's tests, and this file checks that no
 * code of `ERROR_CODES` is left without one.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { HELP as CATALOG_HELP, main as catalogMain } from "../catalog/cli.js";
import { ERROR_CODES } from "../generators/lib/errors.js";
import { main as pipelineMain, RUN_LOCK } from "../runners/local-pipeline/cli.js";
import { main as synthMain } from "../runners/synth/cli.js";
import { main as verifyMain } from "../runners/verify-s3/cli.js";
import { REPO_ROOT } from "./helpers/data.js";

const work = mkdtempSync(join(tmpdir(), "error-codes-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function sink() {
  let text = "";
  return { stream: { write: (t: string) => ((text += t), true) } as never, text: () => text };
}

async function raised(run: (out: never, err: never) => Promise<number | { code: number }>): Promise<{ code: number; text: string }> {
  const out = sink();
  const err = sink();
  const result = await run(out.stream, err.stream);
  return { code: typeof result === "number" ? result : result.code, text: out.text() + err.text() };
}

describe("coded errors raised by the commands", () => {
  it("PIPELINE.NO_IR: pipeline:local in a root with no generated IR", async () => {
    const r = await raised((o, e) => pipelineMain(["--root", work, "--quiet"], o, e));
    expect(r.code).toBe(2);
    expect(r.text).toContain("error PIPELINE.NO_IR: No generated IR in");
  });

  it("PIPELINE.NO_IR and SYNTH.NO_IR: a generated IR file that is not JSON (overwritten by hand) is named, with the fix", async () => {
    const root = join(work, "broken-ir");
    mkdirSync(join(root, "generated", "ir"), { recursive: true });
    const file = join(root, "generated", "ir", "review.ir.json");
    writeFileSync(file, '{"overall": 5.0}\n{"overall": 4.0}\n');
    writeFileSync(join(root, "generated", "manifest.json"), JSON.stringify({ generator: "review-contracts", files: [{ path: "generated/ir/review.ir.json", sha256: "x" }] }));
    const pipeline = await raised((o, e) => pipelineMain(["--root", root, "--quiet"], o, e));
    expect(pipeline.code).toBe(2);
    expect(pipeline.text).toContain(`error PIPELINE.NO_IR: ${file} cannot be read as the generated IR (`);
    expect(pipeline.text).toMatch(/^error PIPELINE\.NO_IR: [^\n]*\)\.\n {2}fix: run `npm run generate` to rebuild it\.\n$/);
    const synth = await raised((o, e) => synthMain(["--root", root, "--dataset", "review", "--records", "1"], o, e));
    expect(synth.code).toBe(2);
    expect(synth.text).toContain(`error SYNTH.NO_IR: ${file} cannot be read as the generated IR (`);
  });

  it("PIPELINE.NO_INPUT: pipeline:local given an input that does not exist", async () => {
    const r = await raised((o, e) => pipelineMain(["--root", REPO_ROOT, "--quiet", "--no-warehouse", "--out", join(work, "out"), "--input", `review=${join(work, "missing.jsonl")}`], o, e));
    expect(r.code).toBe(2);
    expect(r.text).toContain(`error PIPELINE.NO_INPUT: ${join(work, "missing.jsonl")} does not exist.`);
  });

  it("PIPELINE.FAILED: pipeline:local whose output folder cannot be created (a file stands in its way)", async () => {
    const file = join(work, "a-file");
    writeFileSync(file, "not a folder\n");
    const r = await raised((o, e) => pipelineMain(["--root", REPO_ROOT, "--quiet", "--no-warehouse", "--out", join(file, "out"), "--input", `product=${join(REPO_ROOT, "samples", "product")}`], o, e));
    expect(r.code).toBe(2);
    expect(r.text).toMatch(/error PIPELINE\.FAILED: .*(ENOTDIR|not a directory).*\n {2}fix: a file stands where a folder belongs on the path named above: move it away, or pass another --out/);
  });

  it("PIPELINE.BUSY: pipeline:local into an output folder whose run lock a live process holds; a lock whose process has ended is taken over", async () => {
    const out = join(work, "busy");
    const lock = join(out, RUN_LOCK);
    mkdirSync(lock, { recursive: true });
    writeFileSync(join(lock, "pid"), `${process.pid}\n`); // this test's own process: alive
    const args = ["--root", REPO_ROOT, "--quiet", "--no-warehouse", "--out", out, "--input", `product=${join(REPO_ROOT, "samples", "product")}`];
    const busy = await raised((o, e) => pipelineMain(args, o, e));
    expect(busy.code).toBe(2);
    expect(busy.text).toContain(`error PIPELINE.BUSY: another pipeline:local run (pid ${process.pid}) is writing ${out}.`);
    expect(existsSync(lock)).toBe(true);
    expect(readdirSync(out)).toEqual([RUN_LOCK]);
    const ended = spawnSync("true").pid;
    writeFileSync(join(lock, "pid"), `${ended}\n`);
    const taken = await raised((o, e) => pipelineMain(args, o, e));
    expect(taken.code).toBe(0);
    expect(existsSync(lock)).toBe(false);
    expect(existsSync(join(out, "run-summary.json"))).toBe(true);
  });

  it("PII.NO_KEY: pipeline:local with a pseudonym key shorter than 32 characters in CONTRACT_PSEUDONYM_KEY (dbt's refusal of an empty key table: runners/local-warehouse/warehouse.test.ts)", async () => {
    const before = process.env.CONTRACT_PSEUDONYM_KEY;
    process.env.CONTRACT_PSEUDONYM_KEY = "a-13-char-key";
    try {
      const r = await raised((o, e) => pipelineMain(["--root", REPO_ROOT, "--quiet", "--out", join(work, "short-key-run"), "--input", `product=${join(REPO_ROOT, "samples", "product")}`], o, e));
      expect(r.code).toBe(2);
      expect(r.text).toContain("error PII.NO_KEY: CONTRACT_PSEUDONYM_KEY holds a key of 13 character(s); a pseudonym key needs at least 32. Nothing was written.\n  fix: set CONTRACT_PSEUDONYM_KEY to a secret of at least 32 characters");
      // Refused before the tables: no output folder, so no run summary of a run that stopped.
      expect(existsSync(join(work, "short-key-run"))).toBe(false);
      expect(r.text).not.toContain("a-13-char-key");
    } finally {
      if (before === undefined) delete process.env.CONTRACT_PSEUDONYM_KEY;
      else process.env.CONTRACT_PSEUDONYM_KEY = before;
    }
  });

  it("VERIFY.CONTRACT: verify:s3 for a dataset no contract defines", async () => {
    const r = await raised((o, e) => verifyMain(["s3://amazon-reviews-raw/reviews/", "--dataset", "no_such_dataset", "--root", REPO_ROOT], o, e, {}));
    expect(r.code).toBe(2);
    expect(r.text).toContain('error VERIFY.CONTRACT: No contract defines dataset "no_such_dataset".');
    const near = await raised((o, e) => verifyMain(["s3://amazon-reviews-raw/reviews/", "--dataset", "reviews", "--root", REPO_ROOT], o, e, {}));
    expect(near.text).toContain("\n  fix: pass --dataset review, or another of the names above.");
  });

  it("CATALOG.CONTRACT: catalog over contracts that do not load", async () => {
    const r = await raised((o, e) => catalogMain(["--root", REPO_ROOT, "--contracts", "tests/fixtures/errors/invalid-version", "--out", join(work, "site"), "--no-run", "--no-history", "--quiet"], o, e));
    expect(r.code).toBe(2);
    expect(r.text).toContain("error CATALOG.CONTRACT: The contracts could not be loaded:");
    expect(r.text).toContain("CONTRACT.INVALID_VERSION");
  });

  it("catalog --help names every CATALOG.* code", () => {
    const named = new Set(CATALOG_HELP.match(/CATALOG\.[A-Z_]+/g));
    expect(Object.keys(ERROR_CODES).filter((code) => code.startsWith("CATALOG.") && !named.has(code))).toEqual([]);
  });

  it("CATALOG.SERVE: catalog --serve on a port that is taken", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await raised((o, e) => catalogMain(["--root", REPO_ROOT, "--out", join(work, "served"), "--no-run", "--no-history", "--quiet", "--serve", "--port", String(port)], o, e));
      expect(r.code).toBe(2);
      expect(r.text).toContain(`error CATALOG.SERVE: Cannot serve on 127.0.0.1:${port}: EADDRINUSE.`);
    } finally {
      blocker.close();
    }
  });
});

describe("every error code is raised by some test", () => {
  it("each code of ERROR_CODES appears in a test file (contract codes: a fixture folder each)", () => {
    const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "*.test.ts"], { cwd: REPO_ROOT, encoding: "utf8" }).trim().split("\n");
    // Regex-escaped mentions (PIPELINE\\.WAREHOUSE) count too.
    const text = files.map((f) => readFileSync(join(REPO_ROOT, f), "utf8")).join("\n").replace(/\\+\./g, ".");
    const fixtures = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "tests/fixtures/errors"], { cwd: REPO_ROOT, encoding: "utf8" });
    const untested = Object.keys(ERROR_CODES).filter((code) => {
      if (code.startsWith("CONTRACT.")) return !fixtures.includes(`tests/fixtures/errors/${code.slice("CONTRACT.".length).toLowerCase().replace(/_/g, "-")}/`);
      return !text.includes(code);
    });
    expect(untested).toEqual([]);
  });
});
