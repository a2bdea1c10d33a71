/**
 * The hashed locks (python/<env>.lock.txt) are compiled from the .in files by hand (README, "Adding or upgrading a
 * tool"): an .in edited without recompiling its lock would change nothing that is installed, silently. Every exact
 * pin of an .in must be in its lock at the same version, and the DuckDB of the dbt env must be the DuckDB the Node
 * engine embeds, since both open the local pipeline's one database file.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { version as nodeDuckDbVersion } from "@duckdb/node-api";
import { BUILD_TOOLS, SOURCE_BUILDS } from "./python-env.js";

const pythonDir = resolve(import.meta.dirname, "python");
const root = resolve(import.meta.dirname, "..");

/** PEP 503 normalised name: the form uv writes into the lock. */
const normalise = (name: string) => name.toLowerCase().replace(/[-_.]+/g, "-");

/** `name==version` pins of an .in file (extras and environment markers dropped), by normalised name. */
function inPins(text: string): Map<string, string> {
  const pins = new Map<string, string>();
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*==\s*([^\s;,]+)/.exec(line);
    if (m) pins.set(normalise(m[1]!), m[2]!);
  }
  return pins;
}

/** Every `name==version` a lock installs, by normalised name. */
function lockPins(text: string): Map<string, string> {
  const pins = new Map<string, string>();
  for (const m of text.matchAll(/^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)/gm)) pins.set(normalise(m[1]!), m[2]!);
  return pins;
}

/** The pins of an .in that its lock does not have at that version, as readable lines. */
function drift(inText: string, lockText: string): string[] {
  const locked = lockPins(lockText);
  return [...inPins(inText)]
    .filter(([name, version]) => locked.get(name) !== version)
    .map(([name, version]) => `${name}==${version} (lock: ${locked.has(name) ? `${name}==${locked.get(name)}` : "absent"})`);
}

const envs = readdirSync(pythonDir)
  .filter((name) => name.endsWith(".in"))
  .map((name) => name.slice(0, -".in".length))
  .sort();
const read = (file: string) => readFileSync(join(pythonDir, file), "utf8");

describe("toolchain/python: locks match their .in files", () => {
  it("has a lock for every .in and an .in for every lock", () => {
    const locks = readdirSync(pythonDir)
      .filter((name) => name.endsWith(".lock.txt"))
      .map((name) => name.slice(0, -".lock.txt".length))
      .sort();
    expect(envs.length).toBeGreaterThan(0);
    expect(locks).toEqual(envs);
  });

  it.each(envs)("%s: the lock has every name==version of the .in", (env) => {
    const pins = inPins(read(`${env}.in`));
    expect(pins.size, `${env}.in pins nothing`).toBeGreaterThan(0);
    expect(drift(read(`${env}.in`), read(`${env}.lock.txt`)), `recompile toolchain/python/${env}.lock.txt (toolchain/README.md)`).toEqual([]);
  });

  it("reports an .in changed without its lock (duckdb==1.5.7 against the committed dbt lock), and an extra's pin", () => {
    const lock = read("dbt.lock.txt");
    const edited = read("dbt.in").replace(/^duckdb==.*$/m, "duckdb==1.5.7");
    expect(drift(edited, lock)).toEqual([`duckdb==1.5.7 (lock: duckdb==${lockPins(lock).get("duckdb")})`]);
    expect(drift("Moto[s3]==0.0.1 ; python_version >= '3.11'\n", read("aws.lock.txt"))).toEqual([
      `moto==0.0.1 (lock: moto==${lockPins(read("aws.lock.txt")).get("moto")})`,
    ]);
    expect(drift("not-in-the-lock==1.0\n", lock)).toEqual(["not-in-the-lock==1.0 (lock: absent)"]);
  });

  it("the dbt env's duckdb is the DuckDB @duckdb/node-api embeds (one database file format for both)", () => {
    const python = lockPins(read("dbt.lock.txt")).get("duckdb");
    // The running library's own version ("v1.5.6"), not only the npm package's name for it ("1.5.6-r.1").
    const node = nodeDuckDbVersion().replace(/^v/, "");
    expect(python).toBe(node);
    const declared = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies["@duckdb/node-api"];
    expect(declared?.split("-")[0]).toBe(node);
  });

  /** The packages of a lock that python-env.ts builds from source, and what that lock's builds would build with. */
  function sourceBuilds(lockText: string): { sources: string[]; setuptools: string | undefined } {
    const locked = lockPins(lockText);
    return { sources: SOURCE_BUILDS.filter((name) => locked.has(normalise(name))), setuptools: locked.get("setuptools") };
  }
  const buildsWheels = (version: string | undefined) => version !== undefined && Number(version.split(".")[0]) * 1000 + Number(version.split(".")[1] ?? 0) >= 70_001;

  // Builds run without isolation, with the lock's own setuptools: without one, the venv's (65.5 on Python 3.11) fails
  // with "invalid command 'bdist_wheel'", unless pip's cache already holds the built wheel (so a warm machine passes).
  it.each(envs)("%s.lock.txt pins a setuptools that builds wheels (>= 70.1) when it installs a package built from source", (env) => {
    const { sources, setuptools } = sourceBuilds(read(`${env}.lock.txt`));
    if (sources.length > 0) expect(buildsWheels(setuptools), `${env} builds ${sources.join(", ")} from source: pin setuptools>=70.1 in toolchain/python/${env}.in`).toBe(true);
  });

  it("knows which envs build from source (spark: pyspark; airflow2: python-nvd3), and reports one without setuptools", () => {
    expect(BUILD_TOOLS).toEqual(["setuptools"]);
    expect(envs.filter((env) => sourceBuilds(read(`${env}.lock.txt`)).sources.length > 0)).toEqual(["airflow2", "spark"]);
    const withoutTool = read("airflow2.lock.txt").replace(/^setuptools==.*$/m, "not-setuptools==1.0");
    expect(sourceBuilds(withoutTool)).toEqual({ sources: ["python-nvd3"], setuptools: undefined });
    expect([undefined, "65.5.0", "70.0.0", "69.9"].map(buildsWheels)).toEqual([false, false, false, false]);
    expect(["70.1.0", "84.2.1", "100.0"].map(buildsWheels)).toEqual([true, true, true]);
  });
});
