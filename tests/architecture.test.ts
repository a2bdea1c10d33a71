/**
 * The import graph flows one way (CONVENTIONS.md, "one direction of flow"): the tree is a stack of floors, each
 * production file imports only files of its own floor and of the floors below it, and production code never imports
 * test code. Tests (`tests/`, `*.test.ts`, test data) may import anything.
 *
 * Imports are read from the syntax tree of the TypeScript parser that ts-morph ships (`ts.createSourceFile`: static
 * imports, re-exports and dynamic imports of a literal path; no program, no type check), so an import inside a
 * string, a template (a contract a test writes, with substitutions or without) or a comment is not an edge. (The
 * lighter `ts.preProcessFile` took the text of a template with a substitution for code.)
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, posix } from "node:path";
import { ts } from "ts-morph";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./helpers/data.js";

interface Floor {
  readonly name: string;
  /** Repository-relative globs (`*` within a folder, `**` across folders); the longest matching glob places a file. */
  readonly holds: readonly string[];
  readonly why: string;
  /** Imported statically by tests only (production code reaches it another way, or not at all). */
  readonly testsOnly?: boolean;
}

/** Bottom floor first. What the code does today, kept: a new folder must be placed here on purpose. */
const FLOORS: readonly Floor[] = [
  {
    name: "shape",
    holds: ["generators/ir/types.ts", "generators/platform.ts"],
    why: "the IR's types and the platform's names: plain data every layer speaks, importing nothing",
  },
  { name: "lib", holds: ["generators/lib/**"], why: "errors, headers, sorting, S3 locations" },
  { name: "contract-kit", holds: ["generators/contract-kit/**"], why: "the vocabulary contracts are written in" },
  {
    name: "contracts",
    holds: ["contracts/**"],
    why: "inputs: `generators/ir/load.ts` imports them by path at run time; only tests import them statically",
    testsOnly: true,
  },
  { name: "ir", holds: ["generators/ir/**"], why: "contract → IR, the only code that reads Zod" },
  { name: "dialects", holds: ["generators/dialects/**"], why: "expression trees and type tables per engine" },
  { name: "targets", holds: ["generators/targets/**"], why: "pure emitters (one may reuse a sibling's: dbt → snowflake)" },
  { name: "assemble", holds: ["generators/assemble/**"], why: "the file set of all targets, the writer and the drift check" },
  { name: "diff", holds: ["generators/diff/**"], why: "contract review: compares IRs and the file sets they generate" },
  { name: "cli", holds: ["generators/*.ts"], why: "the commands: generate, contract-diff" },
  { name: "toolchain", holds: ["toolchain/**"], why: "the pinned Python tools and their installer" },
  { name: "runners", holds: ["runners/**"], why: "code that runs or checks the outputs" },
  { name: "consumers", holds: ["bench/**", "catalog/**"], why: "benchmarks and the catalog site: read everything, imported by nothing" },
];

/** Test code: may import anything; production code may not import it. */
const TEST_CODE = ["tests/**", "**/*.test.ts", "**/*.test-helpers.ts", "**/testdata/**", "**/vitest.config.ts"];

const SOURCE_ROOTS = ["bench", "catalog", "contracts", "generators", "runners", "tests", "toolchain"];

interface Edge {
  readonly from: string;
  readonly to: string;
}

function globRegExp(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    if (glob.startsWith("**/", i)) {
      source += "(?:.*/)?";
      i += 2;
    } else if (glob.startsWith("**", i)) {
      source += ".*";
      i += 1;
    } else if (glob[i] === "*") {
      source += "[^/]*";
    } else {
      source += glob[i]!.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
    }
  }
  return new RegExp(`^${source}$`);
}

const matches = (glob: string, file: string) => globRegExp(glob).test(file);
const isTestCode = (file: string) => TEST_CODE.some((glob) => matches(glob, file));

function floorOf(file: string, floors: readonly Floor[]): Floor | undefined {
  let best: { floor: Floor; length: number } | undefined;
  for (const floor of floors) {
    for (const glob of floor.holds) {
      if (matches(glob, file) && (!best || glob.length > best.length)) best = { floor, length: glob.length };
    }
  }
  return best?.floor;
}

/** Production files on no floor: a new folder goes into FLOORS deliberately, never by default. */
function unplaced(files: readonly string[], floors: readonly Floor[] = FLOORS): string[] {
  return files.filter((file) => !isTestCode(file) && !floorOf(file, floors)).map((file) => `${file} is on no floor: add it to FLOORS in tests/architecture.test.ts.`);
}

/** Every import a production file makes that breaks the floors. Test code imports what it likes. */
function violations(edges: readonly Edge[], floors: readonly Floor[] = FLOORS): string[] {
  const found: string[] = [];
  for (const { from, to } of edges) {
    if (isTestCode(from)) continue;
    const fromFloor = floorOf(from, floors);
    const toFloor = floorOf(to, floors);
    if (isTestCode(to)) found.push(`${from} → ${to}: production code imports test code; move what both need out of the tests.`);
    else if (!fromFloor) continue; // reported by unplaced()
    else if (!toFloor) found.push(`${from} → ${to}: imports a file on no floor.`);
    else if (toFloor.testsOnly && toFloor !== fromFloor) found.push(`${from} → ${to}: only tests import floor "${toFloor.name}" (${toFloor.why}).`);
    else if (floors.indexOf(toFloor) > floors.indexOf(fromFloor)) found.push(`${from} → ${to}: floor "${fromFloor.name}" imports floor "${toFloor.name}", which is above it.`);
  }
  return found;
}

/** Import cycles among production files (strongly connected components of two files or more, or a self-import). */
function cycles(edges: readonly Edge[]): string[][] {
  const production = edges.filter((e) => !isTestCode(e.from) && !isTestCode(e.to));
  const next = new Map<string, string[]>();
  for (const { from, to } of production) next.set(from, [...(next.get(from) ?? []), to]);
  // Tarjan's algorithm.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const to of next.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(node, Math.min(low.get(node)!, index.get(to)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (next.get(node) ?? []).includes(node)) components.push(component.sort());
    }
  };
  for (const node of [...next.keys()].sort()) if (!index.has(node)) visit(node);
  return components;
}

/** The relative module specifiers a source imports (packages and `node:` builtins are not edges). */
function relativeImports(sourceText: string): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteralLike(node.arguments[0])) {
      found.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile("module.ts", sourceText, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS));
  return found.filter((specifier) => specifier.startsWith("./") || specifier.startsWith("../"));
}

/** Repository-relative path of an import: `.js` specifiers name the `.ts` source (NodeNext resolution). */
function resolveImport(from: string, specifier: string): string {
  const path = posix.normalize(posix.join(posix.dirname(from), specifier));
  const source = path.replace(/\.js$/, ".ts");
  return source !== path && existsSync(join(REPO_ROOT, source)) ? source : path;
}

function sourceFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(REPO_ROOT, dir), { withFileTypes: true })) {
      // Dot entries are scratch files and tool state; golden folders hold generated output, not code of this tree.
      if (entry.name.startsWith(".") || entry.name === "node_modules" || entry.name === "__golden__") continue;
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|mts)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) files.push(path);
    }
  };
  for (const root of SOURCE_ROOTS) if (existsSync(join(REPO_ROOT, root))) walk(root);
  return files.sort();
}

function importGraph(files: readonly string[]): Edge[] {
  return files.flatMap((from) => relativeImports(readFileSync(join(REPO_ROOT, from), "utf8")).map((specifier) => ({ from, to: resolveImport(from, specifier) })));
}

describe("architecture: the import graph flows one way", () => {
  const files = sourceFiles();
  const edges = importGraph(files);

  it("reads the real tree (not an empty or partial scan)", () => {
    expect(files.length).toBeGreaterThan(150);
    expect(edges.length).toBeGreaterThan(400);
    const read = new Set(edges.map((e) => `${e.from} → ${e.to}`));
    const known = [
      "generators/cli.ts → generators/assemble/file-set.ts",
      "generators/assemble/file-set.ts → generators/targets/index.ts",
      "generators/targets/index.ts → generators/targets/dbt/emit.ts",
      "runners/snowflake/snowflake.test.ts → tests/helpers/fake-snowflake.ts",
    ];
    expect(known.filter((edge) => !read.has(edge))).toEqual([]);
  });

  it("places every production file on a floor, and every floor holds a file (FLOORS is not stale)", () => {
    expect(unplaced(files)).toEqual([]);
    const empty = FLOORS.filter((floor) => !files.some((file) => !isTestCode(file) && floorOf(file, FLOORS) === floor));
    expect(empty.map((floor) => floor.name)).toEqual([]);
  });

  it("has production code import only its own floor and the floors below, never test code", () => {
    expect(violations(edges)).toEqual([]);
  });

  it("imports only files that exist", () => {
    const missing = edges.filter((e) => !existsSync(join(REPO_ROOT, e.to))).map((e) => `${e.from} → ${e.to}`);
    expect(missing).toEqual([]);
  });

  it("has no import cycle among production files", () => {
    expect(cycles(edges)).toEqual([]);
  });
});

describe("architecture rules catch what they are for (negative controls)", () => {
  it("reads imports, re-exports and literal dynamic imports, not text in strings, templates or comments", () => {
    const source = [
      'import { a } from "./a.js";',
      'import type { B } from "../b.js";',
      'export * from "./c.js";',
      'const d = await import("./d.js");',
      'const contract = `import { column } from "../../generators/contract-kit/index.js";`;',
      // A template with a substitution holding a regex with quotes, then a closing brace, then another such template:
      // ts.preProcessFile lost its place in the first and read the second's text as an import.
      "const f = () => {",
      '  w(`import { g } from "./first-template.js";\\n${s.replace(/(\\n  d: )"[^"]*",/, "$1X,")}`);',
      "};",
      'w(`import { h } from "./second-template.js";\\n${s.replace(/(\\n  d: )"[^"]*",/, "$1X,")}`);',
      '// import { e } from "./commented.js";',
      'const text = "import { f } from \\"./in-string.js\\"";',
      'import { z } from "zod";',
      'import { join } from "node:path";',
    ].join("\n");
    expect(relativeImports(source)).toEqual(["./a.js", "../b.js", "./c.js", "./d.js"]);
  });

  it("flags an import from a floor above, and allows the same floor and the floors below", () => {
    expect(violations([{ from: "generators/lib/sort.ts", to: "generators/targets/index.ts" }])).toEqual([
      'generators/lib/sort.ts → generators/targets/index.ts: floor "lib" imports floor "targets", which is above it.',
    ]);
    expect(violations([{ from: "generators/ir/build.ts", to: "generators/diff/model.ts" }])).toHaveLength(1);
    expect(violations([{ from: "generators/targets/dbt/emit.ts", to: "runners/local-pipeline/cli.ts" }])).toHaveLength(1);
    expect(violations([{ from: "generators/assemble/file-set.ts", to: "generators/cli.ts" }])).toHaveLength(1);
    expect(violations([{ from: "runners/snowflake/apply.ts", to: "catalog/build.ts" }])).toHaveLength(1);
    // The exact-file floor wins over its folder: the IR's types sit below lib, the rest of the IR above it.
    expect(violations([{ from: "generators/lib/header.ts", to: "generators/ir/types.ts" }])).toEqual([]);
    expect(violations([{ from: "generators/lib/header.ts", to: "generators/ir/load.ts" }])).toHaveLength(1);
    expect(
      violations([
        { from: "generators/targets/dbt/emit.ts", to: "generators/targets/snowflake/emit.ts" },
        { from: "generators/diff/generated-changes.ts", to: "generators/assemble/file-set.ts" },
        { from: "runners/snowflake/verify.ts", to: "generators/platform.ts" },
        { from: "catalog/build.ts", to: "runners/local-pipeline/safe-paths.ts" },
      ]),
    ).toEqual([]);
  });

  it("flags production code importing test code or contracts, and lets tests import anything", () => {
    expect(violations([{ from: "runners/snowflake/apply.ts", to: "tests/helpers/fake-snowflake.ts" }])).toEqual([
      "runners/snowflake/apply.ts → tests/helpers/fake-snowflake.ts: production code imports test code; move what both need out of the tests.",
    ]);
    expect(violations([{ from: "generators/ir/build.ts", to: "generators/ir/build.test.ts" }])).toHaveLength(1);
    expect(violations([{ from: "generators/diff/report.ts", to: "generators/diff/testdata/current/CE001/rating.contract.ts" }])).toHaveLength(1);
    expect(violations([{ from: "generators/ir/load.ts", to: "contracts/review.contract.ts" }])).toEqual([
      'generators/ir/load.ts → contracts/review.contract.ts: only tests import floor "contracts" (inputs: `generators/ir/load.ts` imports them by path at run time; only tests import them statically).',
    ]);
    expect(
      violations([
        { from: "generators/ir/build.test.ts", to: "tests/helpers/generate.ts" },
        { from: "tests/helpers/contract-diff.ts", to: "generators/contract-diff-cli.ts" },
        { from: "generators/diff/testdata/current/CE001/rating.contract.ts", to: "generators/contract-kit/index.ts" },
        { from: "contracts/review.contract.ts", to: "generators/contract-kit/index.ts" },
      ]),
    ).toEqual([]);
  });

  it("flags a production file on no floor, and an import of one", () => {
    expect(unplaced(["generators/new-layer/thing.ts", "generators/ir/build.ts", "generators/new-layer/thing.test.ts"])).toEqual([
      "generators/new-layer/thing.ts is on no floor: add it to FLOORS in tests/architecture.test.ts.",
    ]);
    expect(violations([{ from: "generators/cli.ts", to: "scratch/tool.ts" }])).toEqual(["generators/cli.ts → scratch/tool.ts: imports a file on no floor."]);
  });

  it("finds an import cycle, and only among production files", () => {
    expect(
      cycles([
        { from: "generators/ir/a.ts", to: "generators/ir/b.ts" },
        { from: "generators/ir/b.ts", to: "generators/ir/c.ts" },
        { from: "generators/ir/c.ts", to: "generators/ir/a.ts" },
        { from: "generators/ir/c.ts", to: "generators/lib/d.ts" },
        { from: "generators/ir/a.test.ts", to: "generators/ir/a.ts" },
        { from: "generators/ir/a.ts", to: "generators/ir/a.test.ts" },
      ]),
    ).toEqual([["generators/ir/a.ts", "generators/ir/b.ts", "generators/ir/c.ts"]]);
  });
});
