/**
 * `npm run generate` runs `generators/launch.mjs`, `npm run pipeline:local` runs `runners/local-pipeline/launch.mjs`:
 * each its CLI from a cached single-file build (`generators/launcher.mjs`). Their answers must be those of
 * `node --import tsx <cli.ts>` (the path they fall back to), byte for byte; the cache must follow every change of a
 * source or contract, and survive a damaged file and parallel runs.
 *
 * Each test runs real processes in a scratch copy of the repository (sources, contracts and committed outputs;
 * node_modules linked) with its own cache folder. REVIEW_CONTRACTS_LAUNCH_TRACE makes the launcher say which path
 * it took (`launch: …` lines on stderr, removed before comparing).
 */
import { spawn } from "node:child_process";
import { cpSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { REPO_ROOT } from "./helpers/data.js";
import { run, type RunResult } from "./helpers/run.js";

const COPIED = ["generators", "contracts", "generated", "dbt-out", "glue-pyspark-out", "infra", "package.json", "tsconfig.json"];
/** What the pipeline's CLI reads besides its sources: the generated IR and the shipped samples. */
const PIPELINE_COPIED = ["generators", "runners", "toolchain", "generated", "samples", "package.json", "tsconfig.json"];
const SLOW = 180_000;

const scratch: string[] = [];
afterEach(() => {
  for (const path of scratch.splice(0)) rmSync(path, { recursive: true, force: true });
});

function temporary(prefix: string): string {
  const path = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(path);
  return path;
}

/** A copy of the repository the test may edit: generator sources, contracts and the committed outputs. */
function copyRepository(parts = COPIED): string {
  const root = temporary("launch-repo-");
  // Not the scratch copies of contracts another test file's contract:diff makes and removes meanwhile
  // (generators/diff/testdata/current/.contract-diff-*): one removed while copied failed the copy (ENOENT).
  const filter = (source: string) => !basename(source).startsWith(".contract-diff-");
  for (const part of parts) cpSync(join(REPO_ROOT, part), join(root, part), { recursive: true, filter });
  symlinkSync(join(REPO_ROOT, "node_modules"), join(root, "node_modules"), "dir");
  return root;
}

interface Launched extends RunResult {
  /** The launcher's own `launch: …` lines. */
  readonly trace: string[];
}

function launch(root: string, cache: string, args: readonly string[], options: { trace?: boolean; launcher?: string } = {}): Launched {
  const env = { ...process.env, REVIEW_CONTRACTS_CACHE_DIR: cache, REVIEW_CONTRACTS_LAUNCH_TRACE: options.trace === false ? "" : "1" };
  return withTrace(run(process.execPath, [options.launcher ?? "generators/launch.mjs", ...args], { cwd: root, env }));
}

function withTrace(result: RunResult): Launched {
  const lines = result.stderr.split(/(?<=\n)/);
  return {
    ...result,
    stderr: lines.filter((line) => !line.startsWith("launch: ")).join(""),
    trace: lines.filter((line) => line.startsWith("launch: ")).map((line) => line.trim()),
  };
}

/** Today's path, which the launcher must equal. */
function viaTsx(root: string, args: readonly string[], cli = "generators/cli.ts"): RunResult {
  return run(process.execPath, ["--import", "tsx", cli, ...args], { cwd: root });
}

/** The one figure that differs between two runs: "Built 46 files from 2 contracts in 397 ms." */
const masked = (text: string) => text.replace(/ in \d+ ms\./g, " in N ms.");

function expectSameAnswer(launched: RunResult, tsx: RunResult): void {
  expect({ status: launched.status, stdout: masked(launched.stdout), stderr: launched.stderr }).toEqual({
    status: tsx.status,
    stdout: masked(tsx.stdout),
    stderr: tsx.stderr,
  });
}

const built = (result: Launched, kind = "") => result.trace.some((line) => /^launch: built [0-9a-f]+\.mjs/.test(line) && line.includes(kind));
const hit = (result: Launched, kind = "") => result.trace.some((line) => line.startsWith("launch: cache hit") && line.includes(kind));
/** The builds a run made and the bundles it found cached, by kind: "generator", "contracts", "generator and contracts". */
const builds = (result: Launched) =>
  result.trace.flatMap((line) => {
    const match = /^launch: (built|cache hit) [0-9a-f]+\.mjs \(([^)]+)\)/.exec(line);
    return match ? [`${match[1]} ${match[2]}`] : [];
  });
const underTsx = (result: Launched) => result.trace.includes("launch: running generators/cli.ts under tsx");

/** Every file under a folder, by relative path, with its bytes (as text). */
function filesUnder(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files[relative(root, join(entry.parentPath, entry.name))] = readFileSync(join(entry.parentPath, entry.name), "latin1");
  }
  return files;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function edit(path: string, from: string, to: string): void {
  const text = readFileSync(path, "utf8");
  expect(text, `${path} contains ${JSON.stringify(from)}`).toContain(from);
  writeFileSync(path, text.replace(from, to));
}

describe("the generate launcher answers as the tsx path does", () => {
  it(
    "on the repository: generate --check exits 0 with the same output, built once, then from the cache",
    () => {
      const cache = temporary("launch-cache-");
      const tsx = viaTsx(REPO_ROOT, ["generate", "--check"]);
      expect(tsx.status).toBe(0);
      const first = launch(REPO_ROOT, cache, ["generate", "--check"]);
      expect(built(first) && !underTsx(first), first.trace.join("\n")).toBe(true);
      expectSameAnswer(first, tsx);
      const second = launch(REPO_ROOT, cache, ["generate", "--check"]);
      expect(hit(second) && !built(second) && !underTsx(second), second.trace.join("\n")).toBe(true);
      expectSameAnswer(second, tsx);
      // Without the trace, stderr is the CLI's alone.
      const quiet = launch(REPO_ROOT, cache, ["generate", "--check", "--quiet"], { trace: false });
      expect(quiet).toMatchObject({ status: 0, stdout: "", stderr: "", trace: [] });
    },
    SLOW,
  );

  it(
    "when writing (--out): the same files, byte for byte, and the same report",
    () => {
      const cache = temporary("launch-cache-");
      const [launchedOut, tsxOut] = [temporary("launch-out-"), temporary("tsx-out-")];
      const launched = launch(REPO_ROOT, cache, ["generate", "--out", launchedOut]);
      const tsx = viaTsx(REPO_ROOT, ["generate", "--out", tsxOut]);
      expect(launched.stdout).toMatch(/^Built \d+ files from 2 contracts/);
      expectSameAnswer(launched, tsx);
      expect(filesUnder(launchedOut)).toEqual(filesUnder(tsxOut));
      expect(Object.keys(filesUnder(launchedOut)).length).toBeGreaterThan(40);
    },
    SLOW,
  );

  it(
    "on drift: an edited generated file gives exit 1 and the same diff",
    () => {
      const root = copyRepository();
      const cache = temporary("launch-cache-");
      edit(join(root, "generated/docs/review.md"), "Star rating", "Star ratting");
      const launched = launch(root, cache, ["--check"]);
      expect(launched.status).toBe(1);
      expect(launched.stdout).toContain("changed:  generated/docs/review.md");
      expect(underTsx(launched)).toBe(false);
      expectSameAnswer(launched, viaTsx(root, ["--check"]));
    },
    SLOW,
  );

  it(
    "for --help, a usage error and a missing contract folder",
    () => {
      const cache = temporary("launch-cache-");
      for (const args of [["--help"], ["--chek"], ["generate", "twice"], ["--check", "--contracts", join(cache, "none")]]) {
        const launched = launch(REPO_ROOT, cache, args);
        expect(underTsx(launched), `${args.join(" ")}: ${launched.trace.join("\n")}`).toBe(false);
        expectSameAnswer(launched, viaTsx(REPO_ROOT, args));
      }
    },
    SLOW,
  );

  it(
    "for a contract with a syntax error: today's CONTRACT.LOAD_FAILED with its line and column (built by tsx)",
    () => {
      const root = copyRepository();
      const cache = temporary("launch-cache-");
      const contract = join(root, "contracts/review.contract.ts");
      writeFileSync(contract, `${readFileSync(contract, "utf8")}const broken = ;\n`);
      const launched = launch(root, cache, ["--check"]);
      expect(launched.trace.some((line) => line.startsWith("launch: the build failed"))).toBe(true);
      expect(underTsx(launched)).toBe(true);
      expect(launched.status).toBe(2);
      const line = readFileSync(contract, "utf8").split("\n").length - 1;
      expect(launched.stderr).toMatch(new RegExp(`^contracts/review\\.contract\\.ts:${line}:\\d+: error CONTRACT\\.LOAD_FAILED: Importing the contract failed: Unexpected ";"`));
      expectSameAnswer(launched, viaTsx(root, ["--check"]));
    },
    SLOW,
  );

  it(
    "for a contract that throws when it is evaluated: the tsx path answers, and nothing is printed twice",
    () => {
      const cache = temporary("launch-cache-");
      const args = ["--check", "--contracts", "tests/fixtures/errors/load-failed"];
      const launched = launch(REPO_ROOT, cache, args);
      expect(launched.trace.some((line) => line.startsWith("launch: evaluating") && line.includes("this contract cannot be imported"))).toBe(true);
      expect(underTsx(launched)).toBe(true);
      expect(launched.stderr.match(/CONTRACT\.LOAD_FAILED/g)).toHaveLength(1);
      expect(launched.stderr).toMatch(/fixture\.contract\.ts:2:7: error CONTRACT\.LOAD_FAILED/);
      expectSameAnswer(launched, viaTsx(REPO_ROOT, args));
    },
    SLOW,
  );

  it(
    "for a crash (a bug): the same stack, in the source files, and exit 2",
    () => {
      const root = copyRepository();
      const cache = temporary("launch-cache-");
      edit(join(root, "generators/assemble/writer.ts"), "export function compareWithDisk(root: string, files: readonly GeneratedFile[]): DriftReport {", "$&\n  if (files.length) throw new TypeError(\"a bug\");");
      const launched = launch(root, cache, ["--check", "--quiet"]);
      expect(underTsx(launched)).toBe(false);
      expect(launched.stderr).toMatch(new RegExp(`^TypeError: a bug\\n    at compareWithDisk \\(${escapeRegExp(root)}/generators/assemble/writer\\.ts:\\d+:\\d+\\)\\n`));
      expectSameAnswer(launched, viaTsx(root, ["--check", "--quiet"]));
    },
    SLOW,
  );
});

/** Makes the review contract take its description from the module `specifier` imports (`DESCRIPTION`). */
function describeReviewFrom(root: string, specifier: string): void {
  const contract = join(root, "contracts/review.contract.ts");
  const source = readFileSync(contract, "utf8");
  writeFileSync(contract, `import { DESCRIPTION } from "${specifier}";\n${source.replace(/(\n  description: )"[^"]*",/, "$1DESCRIPTION,")}`);
  expect(readFileSync(contract, "utf8")).toContain("  description: DESCRIPTION,");
}

describe("the generate launcher's cache", () => {
  it(
    "is rebuilt when a generator source changes, even to text of the same length",
    () => {
      const root = copyRepository();
      const cache = temporary("launch-cache-");
      expect(built(launch(root, cache, ["--help"]))).toBe(true);
      expect(hit(launch(root, cache, ["--help"]))).toBe(true);
      edit(join(root, "generators/cli.ts"), "Show this help.", "Show this HELP.");
      const changed = launch(root, cache, ["--help"]);
      expect(built(changed)).toBe(true);
      expect(changed.stdout).toContain("-h, --help         Show this HELP.");
    },
    SLOW,
  );

  it(
    "rebuilds only the contracts' own bundle when a contract changes, which shares zod and the contract kit with the generator's",
    () => {
      const root = copyRepository();
      const cache = temporary("launch-cache-");
      const first = launch(root, cache, ["--check", "--quiet"]);
      expect({ status: first.status, builds: builds(first) }).toEqual({ status: 0, builds: ["built generator", "built contracts"] });
      edit(join(root, "contracts/review.contract.ts"), "Star rating the reviewer gave", "Star rating the customer gave");
      const changed = launch(root, cache, ["--check"]);
      expect(builds(changed)).toEqual(["cache hit generator", "built contracts"]);
      // The contracts' bundle holds no copy of a module of the generator's (a second zod would leave every column
      // without its metadata): it reads them from the generator's bundle.
      const contractsBundle = readdirSync(cache)
        .filter((name) => /^[0-9a-f]+\.mjs$/.test(name))
        .map((name) => readFileSync(join(cache, name), "utf8"))
        .filter((text) => text.includes("Star rating the customer gave"));
      expect(contractsBundle).toHaveLength(1);
      expect(contractsBundle[0]).not.toMatch(/^\/\/ (node_modules|generators)\//m);
      expect(contractsBundle[0]).toContain("// shared:generators/contract-kit/index.ts");
      expect(changed.status).toBe(1);
      expect(changed.stdout).toMatch(/^\+.*Star rating the customer gave/m);
      expectSameAnswer(changed, viaTsx(root, ["--check"]));
    },
    SLOW,
  );

  it(
    "builds a contract that imports another module of the generator's together with it, in one bundle: the same answers",
    () => {
      const root = copyRepository();
      const cache = temporary("launch-cache-");
      const contract = join(root, "contracts/review.contract.ts");
      const source = readFileSync(contract, "utf8");
      writeFileSync(contract, `${source}import { IR_VERSION } from "../generators/ir/types.js";\nvoid IR_VERSION;\n`);
      // The contract's hash is in every generated file's header: both paths report them changed, alike.
      const tsx = viaTsx(root, ["--check"]);
      expect(tsx.status).toBe(1);
      const first = launch(root, cache, ["--check"]);
      expect(first.trace).toContain("launch: the contracts need the generator's build (contracts/review.contract.ts imports generators/ir/types.ts)");
      expect({ builds: builds(first), underTsx: underTsx(first) }).toEqual({ builds: ["built generator", "built generator and contracts"], underTsx: false });
      expectSameAnswer(first, tsx);
      const again = launch(root, cache, ["--check"]);
      expect(builds(again)).toEqual(["cache hit generator", "cache hit generator and contracts"]);
      expectSameAnswer(again, tsx);
      // Once the import is gone, the contracts' own bundle again.
      writeFileSync(contract, source);
      const restored = launch(root, cache, ["--check", "--quiet"]);
      expect({ status: restored.status, builds: builds(restored) }).toEqual({ status: 0, builds: ["cache hit generator", "built contracts"] });
    },
    SLOW,
  );

  it(
    "is rebuilt when a file added beside an import changes what it resolves to (no input's contents changed)",
    () => {
      const root = copyRepository();
      const cache = temporary("launch-cache-");
      // The review contract's description comes from `./texts`: first contracts/texts/index.ts.
      mkdirSync(join(root, "contracts/texts"));
      writeFileSync(join(root, "contracts/texts/index.ts"), 'export const DESCRIPTION = "From the folder.";\n');
      describeReviewFrom(root, "./texts");
      const first = launch(root, cache, ["--check"]);
      expect(first.stdout).toContain("From the folder.");
      expectSameAnswer(first, viaTsx(root, ["--check"]));
      // Now contracts/texts.ts takes precedence over the folder's index for `./texts`.
      writeFileSync(join(root, "contracts/texts.ts"), 'export const DESCRIPTION = "From the file.";\n');
      const added = launch(root, cache, ["--check"]);
      expect(builds(added)).toEqual(["cache hit generator", "built contracts"]);
      expect(added.stdout).toContain("From the file.");
      expectSameAnswer(added, viaTsx(root, ["--check"]));
    },
    SLOW,
  );

  it(
    "resolves ./x.js to x.ts when both exist, as tsx does",
    () => {
      const root = copyRepository();
      const cache = temporary("launch-cache-");
      writeFileSync(join(root, "contracts/texts.ts"), 'export const DESCRIPTION = "From TypeScript.";\n');
      writeFileSync(join(root, "contracts/texts.js"), 'export const DESCRIPTION = "From JavaScript.";\n');
      describeReviewFrom(root, "./texts.js");
      const tsx = viaTsx(root, ["--check"]);
      expect(tsx.stdout).toContain("From TypeScript.");
      const launched = launch(root, cache, ["--check"]);
      expect(underTsx(launched)).toBe(false);
      expectSameAnswer(launched, tsx);
    },
    SLOW,
  );

  it(
    "is rebuilt when a contract file is added",
    () => {
      const root = copyRepository();
      const cache = temporary("launch-cache-");
      expect(launch(root, cache, ["--check", "--quiet"]).status).toBe(0);
      const source = readFileSync(join(REPO_ROOT, "tests/fixtures/kitchen-sink/kitchen-sink.contract.ts"), "utf8");
      writeFileSync(join(root, "contracts/kitchen-sink.contract.ts"), source.replace("../../../generators/", "../generators/"));
      const added = launch(root, cache, ["--check"]);
      expect(builds(added)).toEqual(["cache hit generator", "built contracts"]);
      expect(added.status).toBe(1);
      expect(added.stdout).toContain("missing:  generated/json-schema/kitchen_sink.schema.json");
      expectSameAnswer(added, viaTsx(root, ["--check"]));
    },
    SLOW,
  );

  it(
    "rebuilds a truncated or corrupt bundle, or a damaged entry, of either kind, instead of crashing",
    () => {
      const cache = temporary("launch-cache-");
      const args = ["--check", "--quiet"];
      expect(builds(launch(REPO_ROOT, cache, args))).toEqual(["built generator", "built contracts"]);
      /** The bundle of a kind: the generator's is the larger. */
      const bundle = (kind: "generator" | "contracts") => {
        const names = readdirSync(cache)
          .filter((name) => /^[0-9a-f]+\.mjs$/.test(name))
          .map((name) => join(cache, name))
          .sort((x, y) => readFileSync(x).length - readFileSync(y).length);
        expect(names).toHaveLength(2);
        return kind === "generator" ? names[1]! : names[0]!;
      };
      const entry = (kind: "generator" | "contracts") => {
        const name = relative(cache, bundle(kind)).replace(/\.mjs$/, "");
        return join(cache, readdirSync(cache).find((file) => file.endsWith(".json") && readFileSync(join(cache, file), "utf8").includes(`"bundle":"${name}"`))!);
      };
      for (const kind of ["generator", "contracts"] as const) {
        const damages: [string, () => void][] = [
          ["truncated", () => truncateSync(bundle(kind), 1_000)],
          ["same size, not JavaScript", () => writeFileSync(bundle(kind), "#".repeat(readFileSync(bundle(kind)).length))],
          ["entry not JSON", () => writeFileSync(entry(kind), "{")],
        ];
        for (const [damage, apply] of damages) {
          apply();
          const again = launch(REPO_ROOT, cache, args);
          expect({ kind, damage, status: again.status, stdout: again.stdout, stderr: again.stderr, builds: builds(again), underTsx: underTsx(again) }).toEqual({
            kind,
            damage,
            status: 0,
            stdout: "",
            stderr: "",
            builds: kind === "generator" ? ["built generator", "cache hit contracts"] : ["cache hit generator", "built contracts"],
            underTsx: false,
          });
          expect(builds(launch(REPO_ROOT, cache, args))).toEqual(["cache hit generator", "cache hit contracts"]);
        }
      }
    },
    SLOW,
  );

  it(
    "is filled by npm's prepare script (which npm ci runs) without running a command, for generate and pipeline:local; preparing never fails",
    () => {
      const cache = temporary("launch-cache-");
      const env = { ...process.env, REVIEW_CONTRACTS_CACHE_DIR: cache, REVIEW_CONTRACTS_LAUNCH_TRACE: "1" };
      const prepared = withTrace(run("npm", ["run", "-s", "prepare"], { cwd: REPO_ROOT, env }));
      expect({ status: prepared.status, stdout: prepared.stdout, stderr: prepared.stderr, builds: builds(prepared), underTsx: prepared.trace.some((line) => line.includes("under tsx")) }).toEqual({
        status: 0,
        stdout: "",
        stderr: "",
        builds: ["built generator", "built contracts", "built generator"],
        underTsx: false,
      });
      const generate = launch(REPO_ROOT, cache, ["--check", "--quiet"]);
      expect({ status: generate.status, builds: builds(generate) }).toEqual({ status: 0, builds: ["cache hit generator", "cache hit contracts"] });
      const pipeline = launch(REPO_ROOT, cache, ["--help"], { launcher: "runners/local-pipeline/launch.mjs" });
      expect({ status: pipeline.status, builds: builds(pipeline) }).toEqual({ status: 0, builds: ["cache hit generator"] });
      // A contract that does not build: preparing still exits 0 and prints nothing; the next run answers under tsx.
      const root = copyRepository();
      const contract = join(root, "contracts/review.contract.ts");
      writeFileSync(contract, `${readFileSync(contract, "utf8")}const broken = ;\n`);
      const broken = withTrace(run(process.execPath, ["generators/launch.mjs"], { cwd: root, env: { ...env, REVIEW_CONTRACTS_LAUNCH_PREPARE: "1" } }));
      expect({ status: broken.status, stdout: broken.stdout, stderr: broken.stderr, underTsx: underTsx(broken) }).toEqual({ status: 0, stdout: "", stderr: "", underTsx: false });
      expect(broken.trace.some((line) => line.startsWith("launch: the build failed"))).toBe(true);
      expect(underTsx(launch(root, cache, ["--check"]))).toBe(true);
      // Left set in an environment, the variable does not turn a command into a silent exit 0: with arguments it runs.
      const checked = run(process.execPath, ["generators/launch.mjs", "generate", "--check"], { cwd: root, env: { ...env, REVIEW_CONTRACTS_LAUNCH_PREPARE: "1" } });
      expect([checked.status, checked.stderr]).toEqual([2, expect.stringContaining("CONTRACT.LOAD_FAILED")]);
    },
    SLOW,
  );

  it(
    "serves parallel cold runs: each answers, none reads a half-written file",
    async () => {
      const cache = temporary("launch-cache-");
      const env = { ...process.env, REVIEW_CONTRACTS_CACHE_DIR: cache, REVIEW_CONTRACTS_LAUNCH_TRACE: "1" };
      const once = () =>
        new Promise<Launched>((resolve, reject) => {
          const child = spawn(process.execPath, ["generators/launch.mjs", "--check", "--quiet"], { cwd: REPO_ROOT, env });
          let stdout = "";
          let stderr = "";
          child.stdout.on("data", (chunk) => (stdout += String(chunk)));
          child.stderr.on("data", (chunk) => (stderr += String(chunk)));
          child.on("error", reject);
          child.on("close", (status) => resolve(withTrace({ status: status ?? -1, stdout, stderr })));
        });
      const results = await Promise.all([once(), once(), once()]);
      for (const result of results) expect({ status: result.status, stdout: result.stdout, stderr: result.stderr, underTsx: underTsx(result) }).toEqual({ status: 0, stdout: "", stderr: "", underTsx: false });
      expect(readdirSync(cache).filter((name) => name.endsWith(".tmp"))).toEqual([]);
      expect(hit(launch(REPO_ROOT, cache, ["--check", "--quiet"]))).toBe(true);
    },
    SLOW,
  );
});

describe("the pipeline:local launcher answers as the tsx path does", () => {
  const PIPELINE = "runners/local-pipeline/launch.mjs";
  const PIPELINE_CLI = "runners/local-pipeline/cli.ts";
  const launchPipeline = (root: string, cache: string, args: readonly string[]) => launch(root, cache, args, { launcher: PIPELINE });
  const pipelineUnderTsx = (result: Launched) => result.trace.includes(`launch: running ${PIPELINE_CLI} under tsx`);
  /** What differs between two runs into different folders: the folder and the time taken. */
  const maskedRun = (result: RunResult, out: string) => ({ status: result.status, stdout: masked(result.stdout.replaceAll(out, "OUT")), stderr: result.stderr.replaceAll(out, "OUT") });
  /** A run's outputs that do not hold the processing time: the run summary, the cleaned zone and the quarantine. */
  const cleanedAndSummary = (out: string) =>
    Object.fromEntries(Object.entries(filesUnder(out)).filter(([path]) => path === "run-summary.json" || /run_id=/.test(path)));

  it(
    "on the shipped samples (--no-warehouse): the same report, run summary, cleaned zone and quarantine; built once, then from the cache",
    () => {
      const cache = temporary("launch-cache-");
      const outs = [temporary("launch-out-"), temporary("launch-out-"), temporary("tsx-out-")];
      const args = (out: string) => ["--no-warehouse", "--out", out, "--run-id", "launch-test"];
      const first = launchPipeline(REPO_ROOT, cache, args(outs[0]!));
      expect(built(first) && !pipelineUnderTsx(first), first.trace.join("\n")).toBe(true);
      const second = launchPipeline(REPO_ROOT, cache, args(outs[1]!));
      expect(hit(second) && !built(second) && !pipelineUnderTsx(second), second.trace.join("\n")).toBe(true);
      const tsx = viaTsx(REPO_ROOT, args(outs[2]!), PIPELINE_CLI);
      expect(tsx.status).toBe(0);
      expect(tsx.stdout).toMatch(/^Run launch-test \(duckdb\): counts reconcile\n/);
      for (const [i, launched] of [first, second].entries()) {
        expect(maskedRun(launched, outs[i]!)).toEqual(maskedRun(tsx, outs[2]!));
        expect(cleanedAndSummary(outs[i]!)).toEqual(cleanedAndSummary(outs[2]!));
      }
      expect(Object.keys(cleanedAndSummary(outs[2]!)).length).toBeGreaterThanOrEqual(5);
    },
    SLOW,
  );

  it(
    "for --help and usage errors",
    () => {
      const cache = temporary("launch-cache-");
      for (const args of [["--help"], ["--engine", "flink"], ["--input", "review="], ["--timing"]]) {
        const launched = launchPipeline(REPO_ROOT, cache, args);
        expect(pipelineUnderTsx(launched), `${args.join(" ")}: ${launched.trace.join("\n")}`).toBe(false);
        expect(launched.status, args.join(" ")).toBe(args[0] === "--help" ? 0 : 2);
        expectSameAnswer(launched, viaTsx(REPO_ROOT, args, PIPELINE_CLI));
      }
    },
    SLOW,
  );

  it(
    "is rebuilt when a pipeline source changes, and falls back to tsx when it cannot be built",
    () => {
      const root = copyRepository(PIPELINE_COPIED);
      const cache = temporary("launch-cache-");
      expect(built(launchPipeline(root, cache, ["--help"]))).toBe(true);
      expect(hit(launchPipeline(root, cache, ["--help"]))).toBe(true);
      edit(join(root, PIPELINE_CLI), "Show this help.", "Show this HELP.");
      const changed = launchPipeline(root, cache, ["--help"]);
      expect(built(changed)).toBe(true);
      expect(changed.stdout).toContain("-h, --help                    Show this HELP.");
      const pipeline = join(root, "runners/local-pipeline/pipeline.ts");
      writeFileSync(pipeline, `${readFileSync(pipeline, "utf8")}const broken = ;\n`);
      const broken = launchPipeline(root, cache, ["--help"]);
      expect(broken.trace.some((line) => line.startsWith("launch: the build failed"))).toBe(true);
      expect(pipelineUnderTsx(broken)).toBe(true);
      expect(broken.status).not.toBe(0);
      expectSameAnswer(broken, viaTsx(root, ["--help"], PIPELINE_CLI));
    },
    SLOW,
  );

  it(
    "for a crash (a bug): the same stack, in the source files, and exit 2",
    () => {
      const root = copyRepository(PIPELINE_COPIED);
      const cache = temporary("launch-cache-");
      edit(join(root, PIPELINE_CLI), "export function formatSummary(summary: RunSummary): string {", "$&\n  if (summary) throw new TypeError(\"a bug\");");
      const args = ["--no-warehouse", "--out", join(root, "out"), "--run-id", "crash"];
      const launched = launchPipeline(root, cache, args);
      expect(pipelineUnderTsx(launched)).toBe(false);
      expect(launched.status).toBe(2);
      expect(launched.stderr).toMatch(new RegExp(`^TypeError: a bug\\n    at formatSummary \\(${escapeRegExp(root)}/runners/local-pipeline/cli\\.ts:\\d+:\\d+\\)\\n`, "m"));
      expectSameAnswer(launched, viaTsx(root, args, PIPELINE_CLI));
    },
    SLOW,
  );
});

describe("the launcher's cache files: written through a new temporary under a random name", () => {
  type WriteAtomically = (path: string, contents: string, token?: () => string) => void;
  const load = async () => ((await import(pathToFileURL(join(REPO_ROOT, "generators", "launcher.mjs")).href)) as { writeAtomically: WriteAtomically }).writeAtomically;

  it("does not follow a link planted under the name a Math.random suffix gave (<file>.<pid>-<base 36>.tmp): the file is written, the link's target left as it was", async () => {
    const writeAtomically = await load();
    const cache = temporary("launch-planted-");
    const victim = join(cache, "victim.txt");
    writeFileSync(victim, "not the launcher's\n");
    const target = join(cache, "entry.json");
    // Math.random made fixed, as anyone can work out its output (it is not a cryptographic generator).
    const random = vi.spyOn(Math, "random").mockReturnValue(0.5);
    const planted = join(cache, `entry.json.${process.pid}-${(0.5).toString(36).slice(2)}.tmp`);
    symlinkSync(victim, planted);
    try {
      writeAtomically(target, "{}\n");
    } finally {
      random.mockRestore();
    }
    expect(readFileSync(victim, "utf8")).toBe("not the launcher's\n");
    expect(lstatSync(target).isFile()).toBe(true);
    expect(readFileSync(target, "utf8")).toBe("{}\n");
    expect(readlinkSync(planted)).toBe(victim);
    expect(readdirSync(cache).sort()).toEqual([basename(planted), "entry.json", "victim.txt"].sort());
  });

  it("creates the temporary with O_EXCL: a link or file planted under the very name drawn is left alone, and another name is drawn", async () => {
    const writeAtomically = await load();
    const cache = temporary("launch-planted-");
    const victim = join(cache, "victim.txt");
    writeFileSync(victim, "not the launcher's\n");
    const target = join(cache, "bundle.mjs");
    const linked = join(cache, `bundle.mjs.${process.pid}-planted-link.tmp`);
    const file = join(cache, `bundle.mjs.${process.pid}-planted-file.tmp`);
    symlinkSync(victim, linked);
    writeFileSync(file, "someone else's\n");
    const tokens = ["planted-link", "planted-file", "drawn"];
    writeAtomically(target, "export {};\n", () => tokens.shift()!);
    expect(tokens).toEqual([]);
    expect(readFileSync(target, "utf8")).toBe("export {};\n");
    expect(readFileSync(victim, "utf8")).toBe("not the launcher's\n");
    expect(readlinkSync(linked)).toBe(victim);
    expect(readFileSync(file, "utf8")).toBe("someone else's\n");
    expect(readdirSync(cache).sort()).toEqual([basename(file), basename(linked), "bundle.mjs", "victim.txt"].sort());
  });
});
