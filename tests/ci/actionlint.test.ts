/**
 * The CI's and the deploy's own code, checked by the tools of its ecosystem: actionlint (the pinned build of
 * toolchain/go/) over the workflows — their syntax, expressions and contexts, job needs, the configuration variables
 * `.github/actionlint.yaml` lists, untrusted event values inside scripts — with ShellCheck over every `run` step; and
 * ShellCheck over `.ci/run` and package.json's scripts (the sh npm runs them in). Each check is shown to fail on a
 * copy with one fault put in.
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ensureGoTool } from "../../toolchain/go-tools.js";
import { ensurePythonEnv } from "../../toolchain/python-env.js";
import { REPO_ROOT } from "../helpers/data.js";

const WORKFLOWS = join(REPO_ROOT, ".github", "workflows");
const CONFIG = join(REPO_ROOT, ".github", "actionlint.yaml");

interface Finding {
  message: string;
  filepath: string;
  line: number;
  kind: string;
}

let actionlint: string;
let shellcheck: string;
let scratch: string;

/** ShellCheck from the lint env (its wheel carries the binary), else the one on PATH (Linux on ARM has no wheel). */
function findShellcheck(bin: string): string {
  for (const dir of [bin, ...(process.env.PATH ?? "").split(delimiter)]) {
    try {
      accessSync(join(dir, "shellcheck"), constants.X_OK);
      return join(dir, "shellcheck");
    } catch {
      // not here
    }
  }
  throw new Error("shellcheck was found neither in .venv/lint/bin nor on PATH: run npm run python:setup -- lint (or, on Linux ARM, apt-get install -y shellcheck)");
}

/** actionlint's findings over `files`, with `config`, as JSON (exit 0: none, 1: some). */
function lint(files: readonly string[], config = CONFIG): Finding[] {
  const result = spawnSync(actionlint, ["-config-file", config, "-shellcheck", shellcheck, "-pyflakes=", "-format", "{{json .}}", ...files], { cwd: REPO_ROOT, encoding: "utf8" });
  expect(result.stderr, "actionlint's own errors").toBe("");
  expect([0, 1], `actionlint exit ${result.status}`).toContain(result.status);
  const findings = JSON.parse(result.stdout || "[]") as Finding[];
  expect(findings.length > 0).toBe(result.status === 1);
  return findings;
}

/** A copy of the workflow `file` with `from` replaced by `to` (which must occur), linted alone. */
function lintChanged(file: string, from: string, to: string): Finding[] {
  const text = readFileSync(join(WORKFLOWS, file), "utf8");
  expect(text, `${file} holds ${from}`).toContain(from);
  const copy = join(mkdtempSync(join(scratch, "workflow-")), file);
  writeFileSync(copy, text.replace(from, to));
  return lint([copy]);
}

/** ShellCheck's findings over `script` (as `shell`), one line each: `SC<code> (<level>) line <n>: <message>`. */
function shellcheckScript(script: string, shell: "sh" | "bash"): string[] {
  const result = spawnSync(shellcheck, ["--norc", `--shell=${shell}`, "--format=json1", "-"], { input: script, encoding: "utf8" });
  expect([0, 1], `shellcheck exit ${result.status}: ${result.stderr}`).toContain(result.status);
  const { comments } = JSON.parse(result.stdout) as { comments: { code: number; level: string; line: number; message: string }[] };
  return comments.map((c) => `SC${c.code} (${c.level}) line ${c.line}: ${c.message}`);
}

beforeAll(async () => {
  actionlint = await ensureGoTool("actionlint", { root: REPO_ROOT });
  shellcheck = findShellcheck((await ensurePythonEnv("lint", { root: REPO_ROOT })).bin);
  scratch = mkdtempSync(join(tmpdir(), "actionlint-"));
}, 300_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("actionlint over the workflows", () => {
  it("finds nothing in ci.yml, contract-review.yml and deploy.yml, ShellCheck included", () => {
    const files = readdirSync(WORKFLOWS).filter((name) => /\.ya?ml$/.test(name));
    expect(files.sort()).toEqual(["ci.yml", "contract-review.yml", "deploy.yml"]);
    expect(lint(files.map((name) => join(WORKFLOWS, name)))).toEqual([]);
  });

  it("runs ShellCheck on the run steps: an unquoted variable in the deploy's script is found", () => {
    const findings = lintChanged("deploy.yml", '>> "$GITHUB_ENV"', ">> $GITHUB_ENV");
    expect(findings.map((f) => `${f.kind}: ${f.message}`)).toEqual([expect.stringMatching(/^shellcheck: .*SC2086/)]);
  });

  it("refuses an event value expanded inside a script (script injection)", () => {
    const injected = lintChanged("contract-review.yml", 'npm run --silent contract:diff', 'echo "${{ github.event.pull_request.title }}"; npm run --silent contract:diff');
    expect(injected.map((f) => `${f.kind}: ${f.message}`)).toEqual([expect.stringMatching(/^expression: .*github\.event\.pull_request\.title.*potentially untrusted/)]);
  });

  it("knows the repository's configuration variables: a misspelt one is an error, not an empty string in the deploy", () => {
    const findings = lintChanged("deploy.yml", "vars.SNOWFLAKE_QUEUE_ARN", "vars.SNOWFLAKE_QUEUE_ARM");
    expect(findings.map((f) => `${f.kind}: ${f.message}`)).toEqual([expect.stringMatching(/^expression: undefined configuration variable "snowflake_queue_arm"/)]);
  });

  it("lists exactly the variables the workflows read, each described where it is set", () => {
    const listed = (parse(readFileSync(CONFIG, "utf8")) as { "config-variables": string[] })["config-variables"];
    const read = new Set<string>();
    for (const file of readdirSync(WORKFLOWS)) for (const m of readFileSync(join(WORKFLOWS, file), "utf8").matchAll(/\bvars\.([A-Z0-9_]+)/g)) read.add(m[1]!);
    expect(listed).toEqual([...read].sort());
    const described = ["deploy.yml", "ci.yml"].map((file) => readFileSync(join(WORKFLOWS, file), "utf8")).join("\n") + readFileSync(join(REPO_ROOT, "infra", "README.md"), "utf8") + readFileSync(join(REPO_ROOT, "runners", "snowflake", "README.md"), "utf8");
    for (const name of listed) expect(described.replace(/vars\.[A-Z0-9_]+/g, ""), `${name} is described (not only read)`).toMatch(new RegExp(`\\b${name}\\b`));
  });
});

describe("ShellCheck over the repository's shell", () => {
  it("finds nothing in .ci/run", () => {
    expect(shellcheckScript(readFileSync(join(REPO_ROOT, ".ci", "run"), "utf8"), "bash")).toEqual([]);
  });

  it("finds nothing in package.json's scripts, each as the sh npm runs it in", () => {
    const { scripts } = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(Object.keys(scripts).length).toBeGreaterThan(10);
    for (const [name, script] of Object.entries(scripts)) expect(shellcheckScript(`${script}\n`, "sh"), name).toEqual([]);
  });

  it("finds a fault put into a copy of each", () => {
    const run = readFileSync(join(REPO_ROOT, ".ci", "run"), "utf8");
    expect(shellcheckScript(run.replace('cd "$(dirname "$0")/.."', "cd $(dirname $0)/.."), "bash")).toEqual(expect.arrayContaining([expect.stringMatching(/^SC2046 /)]));
    const { scripts } = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(scripts.start).toContain("status=$?");
    expect(shellcheckScript(`${scripts.start!.replace("[ $status -eq 2 ]", "[ $status == 2 ]")}\n`, "sh")).toEqual([expect.stringMatching(/^SC3014 /)]);
  });
});
