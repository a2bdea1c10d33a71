/**
 * `npm start` (package.json's script: generate, the pipeline, the catalog) when the pipeline cannot run (exit 2):
 * the exit code is the pipeline's and the catalog is skipped, saying so (before, it was skipped without a word). The
 * real command, made to refuse at once: the run lock of its output folder (`.pipeline-out/`) is held by this test's
 * live process, so the pipeline stops with PIPELINE.BUSY before it writes anything.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RUN_LOCK } from "../runners/local-pipeline/cli.js";
import { REPO_ROOT } from "./helpers/data.js";

describe("npm start", () => {
  it("says the catalog was skipped, and why, when the pipeline cannot run (exit 2)", () => {
    const out = join(REPO_ROOT, ".pipeline-out");
    const lock = join(out, RUN_LOCK);
    expect(existsSync(lock), `a pipeline run holds ${lock}; run this test when none does`).toBe(false);
    const created = !existsSync(out);
    mkdirSync(lock, { recursive: true });
    try {
      writeFileSync(join(lock, "pid"), `${process.pid}\n`);
      const result = spawnSync("npm", ["start"], { cwd: REPO_ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
      expect(result.status, result.stderr).toBe(2);
      const lines = result.stderr.trimEnd().split("\n");
      expect(lines).toContain(`error PIPELINE.BUSY: another pipeline:local run (pid ${process.pid}) is writing ${out}.`);
      expect(lines.at(-1)).toBe("npm start: the catalog was skipped: pipeline:local could not run (exit 2; its error is above).");
      expect(result.stdout).not.toContain("Built the catalog");
    } finally {
      rmSync(lock, { recursive: true, force: true });
      if (created && readdirSync(out).length === 0) rmdirSync(out);
    }
  }, 180_000);
});
