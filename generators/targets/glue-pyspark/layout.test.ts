/**
 * The Glue jobs' Python layout against ruff itself (pinned in toolchain/python/lint.in, under the committed
 * ruff.toml): expressions of every kind the jobs hold, nested, with lengths on both sides of every line-length
 * boundary, must be exactly what `ruff format` writes.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensurePythonEnv } from "../../../toolchain/python-env.js";
import { REPO_ROOT } from "../../../tests/helpers/data.js";
import { pyString } from "../../dialects/python.js";
import { assignment, atom, call, LINE_LENGTH, list, tuple, type PyExpr } from "./layout.js";

let work: string;
let ruffBin: string;
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "glue-layout-"));
  ruffBin = join((await ensurePythonEnv("lint", { root: REPO_ROOT })).bin, "ruff");
}, 300_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `ruff format --check` of a module: its status, and the diff ruff would apply. */
function ruffFormat(name: string, source: string): { status: number | null; diff: string } {
  const path = join(work, name);
  writeFileSync(path, source);
  const config = ["--config", join(REPO_ROOT, "ruff.toml"), "--no-cache"];
  const check = spawnSync(ruffBin, ["format", "--check", ...config, path], { encoding: "utf8" });
  const diff = spawnSync(ruffBin, ["format", "--diff", ...config, path], { encoding: "utf8" });
  return { status: check.status, diff: diff.stdout };
}

/** What `ruff format` writes for a module. */
function ruffFormatted(source: string): string {
  const result = spawnSync(ruffBin, ["format", "--config", join(REPO_ROOT, "ruff.toml"), "--no-cache", "--stdin-filename", "module.py", "-"], { input: source, encoding: "utf8" });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

/**
 * An expression on one line, as no formatter wrote it: ruff lays it out from scratch. A list keeps its trailing comma
 * (`[a,]`), as the jobs write every list; a call or tuple has none, so the layout is ruff's choice, not kept from ours.
 */
function oneLine(e: PyExpr): string {
  switch (e.kind) {
    case "atom":
      return e.text;
    case "call":
      return `${e.name}(${e.args.map(oneLine).join(", ")})`;
    case "tuple":
      return `(${e.items.map(oneLine).join(", ")})`;
    case "list":
      return `[${e.items.map((i) => `${oneLine(i)},`).join(" ")}]`;
  }
}

/** A deterministic pseudo-random sequence (mulberry32), so a failure can be reproduced. */
function random(seed: number): (n: number) => number {
  let a = seed;
  return (n) => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

describe("the Glue jobs' Python layout", () => {
  it("is ruff format's for nested calls, lists and tuples of any length (seeded random expressions)", () => {
    const next = random(20261206);
    // Lengths cluster around the boundaries, where an off-by-one shows.
    const length = () => (next(3) === 0 ? 1 + next(40) : 60 + next(70));
    const str = () => atom(pyString("x".repeat(length())));
    const name = () => ["StructField", "StructType", "ArrayType", "MapType", "f", "DecimalType"][next(6)]! + (next(4) === 0 ? "_".repeat(next(60)) : "");
    const expr = (depth: number): PyExpr => {
      const kind = depth === 0 ? 0 : next(6);
      const items = (min: number) => Array.from({ length: min + next(3) }, () => expr(depth - 1));
      if (kind === 0) return next(4) === 0 ? atom(["StringType()", "True", "DoubleType()"][next(3)]!) : str();
      if (kind === 1) return call(name(), ...items(0));
      if (kind === 2) return call(name(), expr(depth - 1));
      if (kind === 3) return list(items(0));
      if (kind === 4) return tuple(items(2));
      return call("StructField", str(), expr(depth - 1), atom("True"));
    };
    const values: [string, PyExpr][] = Array.from({ length: 400 }, (_, i) => [`NAME_${i}${"_".repeat(next(20))}`, expr(next(5))]);
    // And a sweep over each boundary: a list item, a call's arguments and its single argument just fitting or not.
    const x = (n: number) => atom(pyString("x".repeat(n)));
    for (let n = 85; n <= 125; n++) {
      values.push(["ITEMS", list([call("StructField", x(n), atom("StringType()"), atom("True")), tuple([x(n), x(1)]), call("ArrayType", x(n))])]);
      values.push(["NESTED", list([call("StructField", x(1), call("MapType", atom("StringType()"), call("ArrayType", x(n - 20))), atom("True"))])]);
      values.push(["CONTRACT", x(n)]);
    }
    const ours = `${values.map(([name, value]) => assignment(name, value)).join("\n")}\n`;
    // Every kind of layout occurs: one line, arguments on a line of their own, one per line, a parenthesized atom.
    expect(ours).toMatch(/\($/m);
    expect(ours).toMatch(/^ +"x+", /m);
    expect(ours).toMatch(/^\w+ = \(\n {4}"x+"\n\)$/m);
    expect(ours.split("\n").some((l) => l.length > LINE_LENGTH)).toBe(true);
    // Exactly what ruff writes for the same expressions given on one line, and what `ruff format --check` accepts.
    expect(ours).toBe(ruffFormatted(`${values.map(([name, value]) => `${name} = ${oneLine(value)}`).join("\n")}\n`));
    const result = ruffFormat("random.py", ours);
    expect(result.diff).toBe("");
    expect(result.status).toBe(0);
  }, 60_000);

  it("puts a long string constant in parentheses exactly when that makes it fit, as ruff does", () => {
    const lines: string[] = [];
    for (let n = 100; n <= 122; n++) lines.push(assignment("CONTRACT", atom(pyString("c".repeat(n)))));
    // Flat up to 120 characters (107 of text), parenthesized while `    "…"` fits (114 of text), flat beyond.
    expect(lines.map((l) => (l.includes("(\n") ? "parenthesized" : l.length <= LINE_LENGTH ? "fits" : "too long"))).toEqual([
      ...Array(8).fill("fits"),
      ...Array(7).fill("parenthesized"),
      ...Array(8).fill("too long"),
    ]);
    const result = ruffFormat("strings.py", `${lines.join("\n")}\n`);
    expect(result.diff).toBe("");
    expect(result.status).toBe(0);
  });

  it("is checked by ruff: a hand-made nested struct, or a constant left over the line length, fails the check", () => {
    const handMade = 'X = StructType(\n    [\n        StructField("asker", StructType([\n            StructField("name", StringType(), True),\n        ]), True),\n    ]\n)\n';
    expect(ruffFormat("hand-made.py", handMade).status).toBe(1);
    expect(ruffFormat("long.py", `CONTRACT = ${pyString("c".repeat(110))}\n`).status).toBe(1);
  });
});
