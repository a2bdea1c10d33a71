// Checks ensureGoTool in a temporary copy of toolchain/go/ used as root, so the repository's own .venv/go is left
// alone: it builds the pinned actionlint, starts no process when the build is up to date, builds again after go.mod
// or go.sum changes, and refuses what it must, each with its reason and fix: no go command, a download that does not
// match go.sum, an unreachable module proxy. The go command's own caches (modules, builds) are shared with the user's,
// as any build of theirs: a rebuild from them takes seconds.
import { execFileSync } from "node:child_process";
import * as childProcess from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ensureGoTool, goTools } from "./go-tools.js";

// Wrap spawn in a spy (still calling the real one) to see whether a build ran.
vi.mock("node:child_process", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:child_process")>();
  return { ...actual, spawn: vi.fn(actual.spawn) };
});
const spawnSpy = vi.mocked(childProcess.spawn);

const toolchain = path.dirname(fileURLToPath(import.meta.url));
const pinned = /^\s*github\.com\/rhysd\/actionlint (v\S+)/m.exec(readFileSync(path.join(toolchain, "go", "go.mod"), "utf8"))?.[1];

describe("ensureGoTool", { timeout: 240_000 }, () => {
  let root: string;
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);
  const saved = { ...process.env };

  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), "go-tools-test-"));
    cpSync(path.join(toolchain, "go"), path.join(root, "toolchain", "go"), { recursive: true });
  });
  afterEach(() => {
    for (const name of ["PATH", "GOPROXY", "GOMODCACHE", "GOFLAGS"]) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("reads the tools from go.mod's tool lines", () => {
    expect(pinned).toMatch(/^v\d+\.\d+\.\d+$/);
    expect([...goTools(root)]).toEqual([["actionlint", "github.com/rhysd/actionlint/cmd/actionlint"]]);
  });

  it("builds the pinned actionlint, then starts no process while go.mod and go.sum are unchanged", async () => {
    const binary = await ensureGoTool("actionlint", { root, log });
    expect(binary).toBe(path.join(root, ".venv", "go", "bin", "actionlint"));
    expect(execFileSync(binary, ["-version"], { encoding: "utf8" }).split("\n")[0]).toBe(pinned);
    expect(lines.join("\n")).toMatch(/^go tools: building actionlint with go\S+ from toolchain\/go\/go.mod/m);
    expect(lines.at(-1)).toMatch(/^go tools: ready in \d+ s$/);

    const built = statSync(binary).mtimeMs;
    spawnSpy.mockClear();
    expect(await ensureGoTool("actionlint", { root, log })).toBe(binary);
    expect(spawnSpy).not.toHaveBeenCalled();
    expect(statSync(binary).mtimeMs).toBe(built);
  });

  it("builds again once go.mod changes", async () => {
    const goMod = path.join(root, "toolchain", "go", "go.mod");
    writeFileSync(goMod, `${readFileSync(goMod, "utf8")}// edited\n`);
    lines.length = 0;
    await ensureGoTool("actionlint", { root, log });
    expect(lines[0]).toMatch(/^go tools: building actionlint/);
  });

  it("refuses an unknown tool, naming the ones go.mod declares", async () => {
    await expect(ensureGoTool("golangci-lint", { root, log })).rejects.toThrow(/unknown Go tool "golangci-lint": toolchain\/go\/go.mod has no `tool` line for it \(its tools: actionlint\)/);
  });

  it("says so when there is no go command, with where to get one", async () => {
    rmSync(path.join(root, ".venv", "go"), { recursive: true, force: true });
    process.env.PATH = path.join(root, "no-such-bin");
    await expect(ensureGoTool("actionlint", { root, log })).rejects.toThrow(/the go command is not on PATH[^]*fix: install Go 1\.25 or later/);
  });

  it("refuses a module whose download does not match go.sum", async () => {
    const goSum = path.join(root, "toolchain", "go", "go.sum");
    const original = readFileSync(goSum, "utf8");
    // The module's own hash (h1:…=), its first character changed: the download in the module cache no longer matches.
    const tampered = original.replace(/^(github\.com\/rhysd\/actionlint v\S+ h1:)(.)/m, (_, head: string, first: string) => `${head}${first === "A" ? "B" : "A"}`);
    expect(tampered).not.toBe(original);
    writeFileSync(goSum, tampered);
    try {
      await expect(ensureGoTool("actionlint", { root, log })).rejects.toThrow(/checksum mismatch[^]*does not match toolchain\/go\/go.sum[^]*never edit a hash/);
    } finally {
      writeFileSync(goSum, original);
    }
  });

  it("names the module proxy it could not reach", async () => {
    process.env.GOPROXY = "http://127.0.0.1:9";
    process.env.GOMODCACHE = mkdtempSync(path.join(root, "empty-modcache-"));
    process.env.GOFLAGS = "-modcacherw";
    await expect(ensureGoTool("actionlint", { root, log })).rejects.toThrow(/could not download the modules toolchain\/go\/go.mod pins from http:\/\/127\.0\.0\.1:9 \(GOPROXY\)/);
  });
});
