/**
 * `--base <git-ref>` end to end: a throwaway git repository holding a copy of the generator and the contracts,
 * one commit, then an edit in the working tree; the CLI runs as `npm run contract:diff` would, in a child process.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../tests/helpers/contract-diff.js";

const ROOT = resolve(import.meta.dirname, "../..");
const TSX = join(ROOT, "node_modules", ".bin", "tsx");

describe("contract:diff --base <git-ref>", () => {
  let repo: string;
  const git = (...args: string[]) => execFileSync("git", ["-C", repo, "-c", "user.name=Contract Review", "-c", "user.email=review@example.invalid", ...args], { stdio: "pipe" });
  const diff = (...args: string[]) => spawnSync(TSX, ["generators/contract-diff-cli.ts", ...args], { cwd: repo, encoding: "utf8" });

  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), "contract-diff-git-"));
    // The generator is copied (not linked) so the contract kit the contracts import is the one the IR builder reads.
    // Not the scratch copies of contracts other test files' contract:diff runs make and remove meanwhile (ENOENT).
    cpSync(join(ROOT, "generators"), join(repo, "generators"), { recursive: true, filter: (source) => !basename(source).startsWith(".contract-diff-") });
    cpSync(join(ROOT, "contracts"), join(repo, "contracts"), { recursive: true });
    // The marts' contracts too: the base's QuickSight files are generated from them.
    cpSync(join(ROOT, "dbt-out", "models", "marts"), join(repo, "dbt-out", "models", "marts"), { recursive: true });
    symlinkSync(join(ROOT, "node_modules"), join(repo, "node_modules"), "dir");
    git("init", "-q");
    git("add", "contracts", "generators", "dbt-out");
    git("commit", "-q", "-m", "contracts");
    const file = join(repo, "contracts", "review.contract.ts");
    const source = readFileSync(file, "utf8");
    const renamed = source.replace("  summary: column(z.string().optional(), {\n", '  headline: column(z.string().optional(), {\n    renamedFrom: "summary",\n');
    expect(renamed).not.toBe(source);
    writeFileSync(file, renamed);
  }, 60_000);
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  it("reports the working tree's declared rename against HEAD and refuses it without a major bump", () => {
    const result = diff("--base", "HEAD", "--format", "github");
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain(
      '::error file=contracts/review.contract.ts,line=68,col=3,title=CE005 field-renamed-declared (major)::Field "review.summary" was renamed to "review.headline" (declared with renamedFrom; columns "review.summary" → "review.headline"): producers must send "headline"; a record still sending only "summary" loses its value (the column is NULL).',
    );
    expect(result.stdout).toContain("1 change between HEAD and working tree; 1 contract needs a bigger version bump.");
    expect(result.status).toBe(1);
  });

  it("compares HEAD with itself as no change", () => {
    const result = diff("--base", "HEAD", "--contracts", "contracts", "--root", ".", "--format", "text");
    expect(result.status).toBe(1); // the working tree still has the rename
    git("stash", "-q");
    try {
      const clean = diff("--base", "HEAD");
      expect(clean.stdout).toContain("0 changes between HEAD and working tree; every contract declares a sufficient version bump.");
      expect(clean.status).toBe(0);
      // No generated file differs either (QuickSight's, generated from the marts at the base, included).
      const json = diff("--base", "HEAD", "--format", "json");
      expect(JSON.parse(json.stdout).generatedFiles).toEqual([]);
    } finally {
      git("stash", "pop", "-q");
    }
  });

  it("--base-dir: a copy of the contracts in a folder of another name, without marts beside it, compares as no change, generated files included", () => {
    const other = mkdtempSync(join(tmpdir(), "contract-diff-base-dir-"));
    git("stash", "-q");
    try {
      // The copy imports ../generators/… as the contracts do; its folder has another name and no dbt-out beside it.
      cpSync(join(repo, "contracts"), join(other, "base-contracts"), { recursive: true });
      symlinkSync(join(repo, "generators"), join(other, "generators"), "dir");
      symlinkSync(join(ROOT, "node_modules"), join(other, "node_modules"), "dir");
      const json = diff("--base-dir", join(other, "base-contracts"), "--format", "json");
      expect(json.stderr).toBe("");
      expect(json.status).toBe(0);
      const report = JSON.parse(json.stdout);
      expect(report.findings).toEqual([]);
      expect(report.generatedFiles).toEqual([]);
    } finally {
      git("stash", "pop", "-q");
      rmSync(other, { recursive: true, force: true });
    }
  });

  it("--base-dir: another checkout's contracts, beside its own copy of the generator, compare as no change; the copy made to read them is removed", () => {
    const other = mkdtempSync(join(tmpdir(), "contract-diff-checkout-"));
    git("stash", "-q");
    try {
      // Another checkout: its contracts import its own ../generators/contract-kit, a second module with its own
      // registry, unless they are read from inside this repository.
      cpSync(join(repo, "generators"), join(other, "generators"), { recursive: true });
      cpSync(join(repo, "contracts"), join(other, "contracts"), { recursive: true });
      symlinkSync(join(ROOT, "node_modules"), join(other, "node_modules"), "dir");
      const result = diff("--base-dir", join(other, "contracts"));
      expect(result.stderr).toBe("");
      expect(result.stdout).toContain('ok: contract "review" (contracts/review.contract.ts) 3.0.0 → 3.0.0: No contract change.');
      // The base named with its parent folder: "contracts" alone would read as the head's own.
      expect(result.stdout).toContain(`0 changes between ${basename(other)}/contracts and working tree; every contract declares a sufficient version bump.`);
      expect(result.status).toBe(0);
      expect(readdirSync(repo).filter((name) => name.startsWith(".contract-diff-"))).toEqual([]);
      // Removed on error too; the error names the base's file and says it is the base's.
      writeFileSync(join(other, "contracts", "broken.contract.ts"), "export default 42;\n");
      const broken = diff("--base-dir", join(other, "contracts"));
      expect(broken.stderr).toContain("contracts/broken.contract.ts (in the --base-dir folder): error CONTRACT.NO_DEFAULT_EXPORT");
      expect(broken.status).toBe(2);
      expect(readdirSync(repo).filter((name) => name.startsWith(".contract-diff-"))).toEqual([]);
    } finally {
      git("stash", "pop", "-q");
      rmSync(other, { recursive: true, force: true });
    }
  }, 60_000);

  it("exits 2 on an unknown ref, with a fix", () => {
    const unknown = diff("--base", "no-such-branch");
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('error CLI.USAGE: git ref "no-such-branch" does not name a commit');
    expect(unknown.stderr).not.toContain("shallow clone");
    expect(unknown.stderr).toContain("\n  fix: pass --base with a branch, tag or commit that exists locally (git fetch it first), or --base-dir <dir> with the base's contracts.\n");
  });

  it("in a shallow clone, says to fetch the base (fetch-depth: 0)", () => {
    git("commit", "-q", "--allow-empty", "-m", "second");
    const shallow = mkdtempSync(join(tmpdir(), "contract-diff-shallow-"));
    try {
      execFileSync("git", ["clone", "-q", "--depth", "1", `file://${repo}`, shallow], { stdio: "pipe" });
      symlinkSync(join(ROOT, "node_modules"), join(shallow, "node_modules"), "dir");
      const result = spawnSync(TSX, ["generators/contract-diff-cli.ts", "--base", "HEAD~1"], { cwd: shallow, encoding: "utf8" });
      expect(result.status).toBe(2);
      expect(result.stderr).toContain('git ref "HEAD~1" does not name a commit');
      expect(result.stderr).toContain("This is a shallow clone");
      expect(result.stderr).toContain("fetch-depth: 0");
    } finally {
      rmSync(shallow, { recursive: true, force: true });
    }
  });

  it.each([
    [["--base", "HEAD", "--format", "xml"], 'unknown format "xml"; use one of text, json, markdown, github.'],
    [[], "give exactly one of --base <git-ref> or --base-dir <dir>."],
    [["--base", "HEAD", "--base-dir", "contracts"], "give exactly one of --base <git-ref> or --base-dir <dir>."],
    [["--base", "HEAD", "--colour"], "Unknown option '--colour'"],
    // A ref that git would read as an option is refused before git sees it.
    [["--base=--upload-pack=touch"], '"--upload-pack=touch" is not a git ref.'],
    // Empty values (an unset variable) would be the current folder.
    [["--base", "HEAD", "--contracts="], "--contracts is empty: give it a value, or leave it out."],
    [["--base", ""], "--base is empty: give it a value, or leave it out."],
    [["--base-dir", ""], "--base-dir is empty: give it a value, or leave it out."],
  ])("exits 2 on usage error %j", async (args, message) => {
    const result = await run(["--root", repo, ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error CLI\.USAGE: .*\n {2}fix: run with --help for the options\.\n$/);
    expect(result.stderr).toContain(message);
    expect(result.stdout).toBe("");
  });

  it.each([
    [["--format", "text", "--max-chars", "65536"], "--max-chars cuts a markdown report; --format is text.", "add --format markdown, or leave --max-chars out."],
    [["--max-chars", "65536"], "--max-chars cuts a markdown report; --format is text.", "add --format markdown, or leave --max-chars out."],
    [["--format", "markdown", "--max-chars", "1999"], '--max-chars "1999" is not a whole number of at least 2000.', "give the most characters the report may have, e.g. --max-chars 65536 (a GitHub comment's limit)."],
    [["--format", "markdown", "--max-chars", "64k"], '--max-chars "64k" is not a whole number of at least 2000.', "give the most characters the report may have, e.g. --max-chars 65536 (a GitHub comment's limit)."],
  ])("exits 2 on a --max-chars it cannot use %j, with its own fix", async (args, message, fix) => {
    const result = await run(["--root", repo, "--base", "HEAD", ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`error CLI.USAGE: ${message}\n  fix: ${fix}\n`);
    expect(result.stdout).toBe("");
  });

  it("--max-chars leaves a report that fits as it is, and cuts one that does not, keeping its first line and exit code", () => {
    const whole = diff("--base", "HEAD", "--format", "markdown");
    expect(whole.stdout).toMatch(/^## Contract review: /);
    expect(whole.status).toBe(1); // the working tree's rename without a major bump
    const fitted = diff("--base", "HEAD", "--format", "markdown", "--max-chars", "65536");
    expect({ status: fitted.status, stdout: fitted.stdout, stderr: fitted.stderr }).toEqual({ status: whole.status, stdout: whole.stdout, stderr: whole.stderr });
    // The same report cut to the least it may be given: its verdict and exit code unchanged.
    expect([...whole.stdout].length).toBeGreaterThan(2_000);
    const cut = diff("--base", "HEAD", "--format", "markdown", "--max-chars", "2000");
    expect(cut.status).toBe(1);
    expect([...cut.stdout].length).toBeLessThanOrEqual(2_000);
    expect(cut.stdout.split("\n")[0]).toBe(whole.stdout.split("\n")[0]);
    expect(cut.stdout).toMatch(/\n---\n\n_The review is cut here to fit in 2000 characters: \d+ of its \d+ lines are left out \(/);
  });

  it.each([
    [[join(ROOT, "README.md")], `--root ${join(ROOT, "README.md")} is a file, not a folder`],
    [[""], "--root is empty"],
  ])("exits 2 on a --root %j that is not a folder, with a fix line and no stack trace", async (root, message) => {
    const result = await run(["--root", ...root, "--base", "HEAD"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error CLI\.USAGE: .*\n {2}fix: .*\n$/);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it.each([
    // Folders that do not exist, are files or hold no contract: said before git or the loader sees them, with the
    // code generate and the catalog give them.
    [["--base", "HEAD", "--contracts", "/nonexistent"], "--contracts /nonexistent does not exist.", "fix: pass --contracts <dir>"],
    [["--base", "HEAD", "--contracts", "generators"], "/generators holds no *.contract.ts file.", "fix: pass --contracts <dir>"],
    [["--base", "HEAD", "--contracts", "contracts/review.contract.ts"], "/contracts/review.contract.ts is not a folder.", "fix: pass --contracts <dir>"],
    [["--base", "HEAD", "--contracts", "contracts/review.contract.ts/x"], "/contracts/review.contract.ts/x does not exist.", "fix: pass --contracts <dir>"],
    [["--base-dir", "/nonexistent-base"], "--base-dir /nonexistent-base does not exist.", "fix: pass --base-dir <dir>"],
  ])("exits 2 on a contract folder with no contracts %j (CLI.NO_CONTRACTS)", async (args, message, fix) => {
    const result = await run(["--root", repo, ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error CLI\.NO_CONTRACTS: .*\n {2}fix: .*\n$/);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain(fix);
    expect(result.stdout).toBe("");
  });

  it("exits 2 on an --allow-removal that names no dataset of the base (a typo would accept nothing)", () => {
    const result = diff("--base", "HEAD", "--allow-removal", "reviw");
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('error CLI.USAGE: --allow-removal "reviw": no such dataset at HEAD (its datasets: product, review).');
    expect(result.stdout).toBe("");
  });

  it("exits 2 when a contract at the base cannot be loaded", () => {
    git("stash", "-q");
    try {
      writeFileSync(join(repo, "contracts", "broken.contract.ts"), "export default 42;\n");
      git("add", "contracts/broken.contract.ts");
      git("commit", "-q", "-m", "broken");
      rmSync(join(repo, "contracts", "broken.contract.ts"));
      const result = diff("--base", "HEAD");
      expect(result.status).toBe(2);
      expect(result.stderr).toContain("contracts/broken.contract.ts (at HEAD): error CONTRACT.NO_DEFAULT_EXPORT");
      expect(result.stderr).toContain("The contracts could not be loaded; nothing was compared.");
    } finally {
      git("reset", "-q", "--hard", "HEAD~1");
      git("stash", "pop", "-q");
    }
  });
});
