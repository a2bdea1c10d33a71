/**
 * Line endings: `.gitattributes` makes every text file check out with LF whatever `core.autocrlf` says (Git for
 * Windows sets it to true). With CRLF on disk, `npm run generate -- --check` finds every generated file changed
 * (regenerating gives nothing to commit) and `.ci/run` fails with `bash\r`. Here the repository's files are checked
 * out by git with `core.autocrlf=true` into a temporary folder, and each must equal its committed blob byte for
 * byte; a binary file must be marked binary (never converted). Runs in a git checkout only (CI runs on a clone).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./helpers/data.js";

function git(args: readonly string[], input?: Buffer): Buffer {
  const result = spawnSync("git", [...args], { cwd: REPO_ROOT, input, maxBuffer: 256 * 1024 * 1024 });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`git ${args.join(" ")} exited ${result.status}: ${result.stderr.toString()}`);
  return result.stdout;
}

function isCheckout(): boolean {
  const result = spawnSync("git", ["rev-parse", "--show-toplevel"], { cwd: REPO_ROOT, encoding: "utf8" });
  return result.status === 0 && realpathSync(result.stdout.trim()) === realpathSync(REPO_ROOT);
}

/** The index's regular files (no links, no submodules): path → blob id. */
function indexedFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of git(["ls-files", "-s", "-z"]).toString("utf8").split("\0").filter(Boolean)) {
    const [meta, path] = entry.split("\t") as [string, string];
    const [mode, blob] = meta.split(" ") as [string, string];
    if (mode === "100644" || mode === "100755") files.set(path, blob);
  }
  return files;
}

/** The contents of blobs, read with one `git cat-file --batch`. */
function blobs(ids: readonly string[]): Map<string, Buffer> {
  const out = git(["cat-file", "--batch"], Buffer.from(ids.map((id) => `${id}\n`).join("")));
  const contents = new Map<string, Buffer>();
  let at = 0;
  while (at < out.length) {
    const headerEnd = out.indexOf(0x0a, at);
    const [id, , size] = out.subarray(at, headerEnd).toString("utf8").split(" ") as [string, string, string];
    const start = headerEnd + 1;
    contents.set(id, out.subarray(start, start + Number(size)));
    at = start + Number(size) + 1;
  }
  return contents;
}

describe.skipIf(!isCheckout())("line endings (.gitattributes)", () => {
  it("checks out every file as committed with core.autocrlf=true: LF text, untouched binary files", () => {
    const files = indexedFiles();
    expect(files.has(".gitattributes")).toBe(true);
    const committed = blobs([...new Set(files.values())]);
    const dir = mkdtempSync(join(tmpdir(), "line-endings-"));
    try {
      git(["-c", "core.autocrlf=true", "checkout-index", "--all", "--force", `--prefix=${dir}/`]);
      const converted = [...files]
        .filter(([path, blob]) => !readFileSync(join(dir, path)).equals(committed.get(blob)!))
        .map(([path]) => `${path}: ${readFileSync(join(dir, path)).includes("\r\n") ? "checked out with CRLF" : "changed by the checkout"}`);
      expect(converted).toEqual([]);
      // What failed without it: the CI script and the generated files.
      expect(readFileSync(join(dir, ".ci/run")).includes("\r")).toBe(false);
      expect([...files.keys()].filter((p) => p.startsWith("generated/")).length).toBeGreaterThan(10);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("marks every binary file in the repository binary, so no checkout converts its bytes", () => {
    const files = indexedFiles();
    const committed = blobs([...new Set(files.values())]);
    const binary = [...files].filter(([, blob]) => committed.get(blob)!.includes(0)).map(([path]) => path);
    expect(binary).toEqual(expect.arrayContaining(["samples/review/reviews-2018-b.jsonl.gz"]));
    const attrs = git(["check-attr", "-z", "text", "eol", "--", ...binary]).toString("utf8").split("\0");
    const text = new Map<string, string>();
    for (let i = 0; i + 2 < attrs.length; i += 3) if (attrs[i + 1] === "text") text.set(attrs[i]!, attrs[i + 2]!);
    expect(binary.map((p) => [p, text.get(p)])).toEqual(binary.map((p) => [p, "unset"]));
    // And the text files the failures came from are LF whatever the platform.
    const eol = git(["check-attr", "-z", "eol", "--", ".ci/run", "generated/manifest.json", "dbt-out/dbt_project.yml"]).toString("utf8").split("\0");
    expect(eol.filter((_, i) => i % 3 === 2)).toEqual(["lf", "lf", "lf"]);
  });
});
