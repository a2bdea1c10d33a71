/**
 * The repository's own folders and files, which no command's output may be: the lists cover every top-level entry
 * git tracks, and a person's own file at the top level (a second `npm run synth -- --out reviews.jsonl`) is not one.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../tests/helpers/data.js";
import { REPOSITORY_FILES, REPOSITORY_FOLDERS, repositoryClash } from "./repository-folders.js";

describe("repositoryClash", () => {
  it("knows every top-level file and folder git tracks", () => {
    const tracked = execFileSync("git", ["-C", REPO_ROOT, "ls-files"], { encoding: "utf8" }).split("\n").filter(Boolean);
    const files = tracked.filter((p) => !p.includes("/"));
    const folders = [...new Set(tracked.filter((p) => p.includes("/")).map((p) => p.split("/")[0]!))];
    expect([...REPOSITORY_FILES].sort()).toEqual(files.sort());
    for (const folder of folders) expect(REPOSITORY_FOLDERS, folder).toContain(folder);
  });

  it("refuses the repository's own files, in any letter case, existing or not; allows any other name at the top level", () => {
    expect(repositoryClash(REPO_ROOT, join(REPO_ROOT, "package.json"))).toBe("is the repository's own file package.json");
    expect(repositoryClash(REPO_ROOT, join(REPO_ROOT, "readme.MD"))).toBe("is the repository's own file readme.MD");
    expect(repositoryClash(REPO_ROOT, join(REPO_ROOT, "samples", "reviews.jsonl"))).toBe("is inside the repository's own samples/ folder");
    expect(repositoryClash(REPO_ROOT, join(REPO_ROOT, ".pipeline-out"))).toBeUndefined();
    // A file a command wrote there before (it exists): still the person's, so the same command may replace it.
    const root = mkdtempSync(join(tmpdir(), "repository-folders-"));
    try {
      writeFileSync(join(root, "package.json"), "{}");
      writeFileSync(join(root, "reviews.jsonl"), "{}\n");
      expect(repositoryClash(root, join(root, "reviews.jsonl"))).toBeUndefined();
      expect(repositoryClash(root, join(root, "package.json"))).toBe("is the repository's own file package.json");
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
