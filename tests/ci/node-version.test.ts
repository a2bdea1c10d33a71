/**
 * One Node version story: package.json "engines" says which Node the project supports, .node-version the release
 * line CI and the deploy run (the workflows read it), and every installed package must accept both the lowest
 * supported Node and that line; otherwise each `npm ci` warns EBADENGINE and `npm ci --engine-strict` fails.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import semver from "semver";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const root = resolve(import.meta.dirname, "../..");
const workflows = join(root, ".github/workflows");

const engines = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { engines: { node: string } }).engines.node;
const nodeLine = readFileSync(join(root, ".node-version"), "utf8").trim();
const lowest = semver.minVersion(engines)!.version;
const lineStart = `${nodeLine}.0`;

/** Packages of package-lock.json whose engines.node rejects `version`, as `name@version requires range`. */
function rejecting(version: string): string[] {
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as {
    packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
  };
  return Object.entries(lock.packages)
    .filter(([path, entry]) => path !== "" && !Array.isArray(entry.engines) && entry.engines?.node !== undefined)
    .filter(([, entry]) => !semver.satisfies(version, (entry.engines as { node: string }).node))
    .map(([path, entry]) => `${path.replace(/^.*node_modules\//, "")}@${entry.version} requires ${(entry.engines as { node: string }).node}`);
}

describe("Node version", () => {
  it(".node-version is one minor of a release line that package.json engines supports", () => {
    expect(nodeLine).toMatch(/^\d+\.\d+$/);
    expect(semver.satisfies(lineStart, engines), `${lineStart} against engines ${engines}`).toBe(true);
    expect(semver.major(lineStart)).toBe(semver.major(lowest));
  });

  it("every workflow's setup-node reads .node-version (no version of its own)", () => {
    let count = 0;
    for (const file of readdirSync(workflows).filter((name) => /\.ya?ml$/.test(name))) {
      const workflow = parse(readFileSync(join(workflows, file), "utf8")) as { jobs: Record<string, { steps: { uses?: string; with?: Record<string, string> }[] }> };
      for (const step of Object.values(workflow.jobs).flatMap((job) => job.steps)) {
        if (!step.uses?.startsWith("actions/setup-node@")) continue;
        count++;
        expect(step.with?.["node-version"], file).toBeUndefined();
        expect(step.with?.["node-version-file"], file).toMatch(/^(repo\/)?\.node-version$/);
      }
    }
    expect(count).toBe(3);
  });

  it("every locked package accepts the lowest supported Node and the line CI runs", () => {
    expect(rejecting(lowest), `engines floor ${lowest}`).toEqual([]);
    expect(rejecting(lineStart), `.node-version ${nodeLine}`).toEqual([]);
    // The check can fail: Babel 8's packages require Node 22.18 or 24.11.
    expect(semver.satisfies(lowest, "^22.18.0 || >=24.11.0")).toBe(false);
  });

  it("npm ci --engine-strict accepts the lock on this machine's Node (dry run, offline)", () => {
    const work = mkdtempSync(join(tmpdir(), "engine-strict-"));
    try {
      copyFileSync(join(root, "package.json"), join(work, "package.json"));
      copyFileSync(join(root, "package-lock.json"), join(work, "package-lock.json"));
      // Throws with npm's EBADENGINE error when a package refuses this Node.
      execFileSync("npm", ["ci", "--engine-strict", "--dry-run", "--offline", "--ignore-scripts", "--no-audit", "--no-fund", "--cache", join(work, ".npm")], {
        cwd: work,
        encoding: "utf8",
        stdio: "pipe",
      });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
