// Checks ensureGoTool in a temporary copy of toolchain/go/ used as root, so the repository's own .venv/go is left
// alone: it builds the pinned actionlint, starts no process when the build is up to date, builds again after go.mod
// or go.sum changes, and refuses what it must, each with its reason and fix: no go command, a download that does not
// match go.sum, an unreachable module proxy; and, stopped midway, it leaves nothing behind. The go command's own caches (modules, builds) are shared with the user's,
// as any build of theirs: a rebuild from them takes seconds.
import { execFileSync } from "node:child_process";
import * as childProcess from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
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

  it("builds again once go.mod changes, saying every so often that it is still building", async () => {
    const goMod = path.join(root, "toolchain", "go", "go.mod");
    writeFileSync(goMod, `${readFileSync(goMod, "utf8")}// edited\n`);
    lines.length = 0;
    // Every 10 ms here (15 s by default): even a build from Go's warm cache (go's start and the link) takes longer.
    await ensureGoTool("actionlint", { root, log, progressEveryMs: 10 });
    expect(lines[0]).toMatch(/^go tools: building actionlint/);
    expect(lines.slice(1, -1).length).toBeGreaterThan(0);
    for (const line of lines.slice(1, -1)) expect(line).toMatch(/^go tools: still building \(\d+ s\)$/);
    expect(lines.at(-1)).toMatch(/^go tools: ready in \d+ s$/);
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

  // Ctrl-C reaches every process of the terminal's group (go, in a group of its own, gets it from the build); `kill`
  // the process alone. Stopped either way, go leaves its work folder (go-build<digits>) where GOTMPDIR says.
  for (const [signal, group] of [["SIGINT", true], ["SIGTERM", false]] as const) {
    it(`removes the half-made build, go's work folder and the lock when the build is stopped by ${signal}${group ? " (to its process group, as Ctrl-C)" : " (to it alone)"}`, async () => {
      const fresh = mkdtempSync(path.join(tmpdir(), "go-tools-interrupt-"));
      let child: childProcess.ChildProcess | undefined;
      try {
        cpSync(path.join(toolchain, "go"), path.join(fresh, "toolchain", "go"), { recursive: true });
        // The system's temporary folder, as the build sees it: nothing of the build may stay there. An empty build
        // cache of its own, so that go compiles for long enough to be stopped midway.
        const systemTmp = path.join(fresh, "tmp");
        mkdirSync(systemTmp);
        const module = JSON.stringify(path.join(toolchain, "go-tools.ts"));
        child = childProcess.spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", `import { ensureGoTool } from ${module}; await ensureGoTool("actionlint", { root: ${JSON.stringify(fresh)} });`], {
          cwd: path.dirname(toolchain),
          env: { ...process.env, TMPDIR: systemTmp, GOCACHE: path.join(fresh, "go-cache") },
          stdio: ["ignore", "ignore", "pipe"],
          detached: group,
        });
        let stderr = "";
        child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
        const exited = new Promise<[number | null, string | null]>((resolve) => child!.once("close", (code, endedBy) => resolve([code, endedBy])));
        const venvs = path.join(fresh, ".venv");
        // Signalled once go build has made its work folder (go-build<digits>), wherever that is.
        const workFolders = () => [systemTmp, ...(existsSync(venvs) ? readdirSync(venvs).filter((e) => e.startsWith("go.tmp-")).map((e) => path.join(venvs, e)) : [])].flatMap((dir) => (existsSync(dir) ? readdirSync(dir).filter((e) => /^go-build\d+$/.test(e)) : []));
        for (let waited = 0; workFolders().length === 0 && waited < 60_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
        expect(workFolders()).toHaveLength(1);
        const during = readdirSync(venvs).sort();
        expect(during[0]).toBe("go.lock");
        // The build folder and go's work folder: names as mkdtemp makes them (six random characters).
        expect(during.slice(1)).toEqual([expect.stringMatching(/^go\.tmp-[A-Za-z0-9]{6}$/), expect.stringMatching(/^go\.tmp-[A-Za-z0-9]{6}$/)]);
        if (group) process.kill(-child.pid!, signal);
        else child.kill(signal);
        expect(await exited).toEqual([null, signal]);
        expect(readdirSync(venvs)).toEqual([]);
        // (tsx, which runs the build here, keeps its own cache there: tsx-<uid>.)
        expect(readdirSync(systemTmp).filter((entry) => !/^tsx-\d+$/.test(entry))).toEqual([]);
        expect(stderr.split("\n").at(-2)).toBe(`go tools: interrupted (${signal}): build stopped, its half-made folder removed; the next use builds again`);
      } finally {
        // A failed expectation before the signal leaves the build running: stop it before its folders are removed.
        if (child && child.exitCode === null && child.signalCode === null) {
          const gone = new Promise((resolve) => child!.once("close", resolve));
          child.kill("SIGINT");
          await gone;
        }
        rmSync(fresh, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
      }
    }, 90_000);
  }

  it("names the module proxy it could not reach", async () => {
    process.env.GOPROXY = "http://127.0.0.1:9";
    process.env.GOMODCACHE = mkdtempSync(path.join(root, "empty-modcache-"));
    process.env.GOFLAGS = "-modcacherw";
    await expect(ensureGoTool("actionlint", { root, log })).rejects.toThrow(/could not download the modules toolchain\/go\/go.mod pins from http:\/\/127\.0\.0\.1:9 \(GOPROXY\)/);
  });
});
