/**
 * A production install (`npm ci --omit=dev`, or NODE_ENV=production) has no devDependencies: a user command that runs
 * through a dev-only tool fails with "tsx: not found". And the deploy job, which holds the OIDC token and the
 * production secrets, installs without running any package's install scripts; elsewhere npm runs a dependency's install
 * script only when `allowScripts` in package.json allows it, so each one is a decision written down.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const root = resolve(import.meta.dirname, "../..");

/** The suite's and the benchmarks' scripts: run from a development install only. */
const DEVELOPMENT_SCRIPTS = new Set(["test", "test:update-goldens", "typecheck", "bench:generate", "bench:pipeline"]);

interface Lock {
  packages: Record<
    string,
    { bin?: Record<string, string>; dependencies?: Record<string, string>; devDependencies?: Record<string, string>; hasInstallScript?: boolean }
  >;
}

/** The packages a script's commands run: each command's program (after VAR=value) and `node --import <package>`. */
function packagesRun(script: string, packageOfBin: Map<string, string>): string[] {
  const found = new Set<string>();
  for (const command of script.split(/&&|\|\||;|\{|\}/)) {
    const words = command.trim().split(/\s+/).filter((word) => word !== "");
    while (words.length > 0 && /^[A-Z_][A-Z0-9_]*=/.test(words[0]!)) words.shift();
    const program = packageOfBin.get(words[0] ?? "");
    if (program) found.add(program);
    words.forEach((word, i) => {
      if (word === "--import" && words[i + 1] && !words[i + 1]!.startsWith(".")) found.add(words[i + 1]!);
    });
  }
  return [...found].sort();
}

describe("dependencies a production install needs", () => {
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as Lock;
  const packageOfBin = new Map<string, string>();
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (!path.startsWith("node_modules/") || path.lastIndexOf("node_modules/") !== 0) continue; // top-level packages
    for (const bin of Object.keys(entry.bin ?? {})) packageOfBin.set(bin, path.slice("node_modules/".length));
  }
  const scripts = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
  const dependencies = new Set(Object.keys(lock.packages[""]!.dependencies ?? {}));

  it("finds the program of a script (the check can fail)", () => {
    expect(packagesRun("tsx runners/snowflake/cli.ts apply", packageOfBin)).toEqual(["tsx"]);
    expect(packagesRun("A=1 node --import tsx bench/x.ts && vitest run", packageOfBin)).toEqual(["tsx", "vitest"]);
    expect(dependencies.has("vitest")).toBe(false);
  });

  it("every user command runs only through dependencies, never devDependencies", () => {
    const missing = Object.entries(scripts)
      .filter(([name]) => !DEVELOPMENT_SCRIPTS.has(name))
      .flatMap(([name, script]) => packagesRun(script, packageOfBin).filter((pkg) => !dependencies.has(pkg)).map((pkg) => `${name}: ${pkg}`));
    expect(missing).toEqual([]);
    for (const command of ["snowflake:apply", "verify:s3", "catalog", "python:setup"]) expect(packagesRun(scripts[command]!, packageOfBin), command).toEqual(["tsx"]);
  });

  it("the deploy installs without install scripts", () => {
    const deploy = parse(readFileSync(join(root, ".github/workflows/deploy.yml"), "utf8")) as { jobs: Record<string, { steps: { run?: string }[] }> };
    const installs = Object.values(deploy.jobs)
      .flatMap((job) => job.steps)
      .flatMap((step) => (step.run ?? "").split("\n"))
      .filter((line) => /\bnpm (ci|install|i)\b/.test(line));
    expect(installs).toEqual(["npm ci --ignore-scripts"]);
  });

  it("every dependency with an install script is allowed or denied in allowScripts", () => {
    const allowScripts = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { allowScripts?: Record<string, boolean> }).allowScripts ?? {};
    const withScripts = Object.entries(lock.packages)
      .filter(([path, entry]) => path.startsWith("node_modules/") && entry.hasInstallScript === true)
      .map(([path]) => path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length));
    expect(withScripts.length).toBeGreaterThan(0);
    expect(withScripts.filter((name) => !(name in allowScripts))).toEqual([]);
    // esbuild's script only checks its platform binary, which npm installs as an optional dependency; vnu-jar's downloads
    // a Java runtime from GitHub when the machine has none (the tests run vnu.jar with the Java 17 Spark needs).
    expect(allowScripts).toEqual({ esbuild: false, "vnu-jar": false });
  });
});
