// Checks ensurePythonEnv in a temporary copy of toolchain/python/ used as root, so the repo's own .venv is left alone,
// on a small env of three packages whose pins and hashes are the lint env's own (Pygments with its `pygmentize` script,
// Jinja2 and the MarkupSafe it requires): ensurePythonEnv does the same for every lock, and the lint env's sixteen
// packages (ruff, sqlfluff) take two to three times as long to install, which each case below would pay again.
// `npm run python:setup` builds the real envs (lint included) from scratch on every fresh checkout.
import { execFileSync } from "node:child_process";
import * as childProcess from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { devNull, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ensurePythonEnv } from "./python-env.js";

// Wrap spawn in a spy (still calling the real one) to see whether an install ran.
vi.mock("node:child_process", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:child_process")>();
  return { ...actual, spawn: vi.fn(actual.spawn) };
});
const spawnSpy = vi.mocked(childProcess.spawn);

const toolchain = path.dirname(fileURLToPath(import.meta.url));
const SMALL = "small";
const SMALL_PACKAGES = /^(pygments|jinja2|markupsafe)==/;
const lintEntries = () => readFileSync(path.join(toolchain, "python", "lint.lock.txt"), "utf8").split(/\n(?=[^\s#])/);
const pinnedPygments = /^pygments==(\S+)/m.exec(readFileSync(path.join(toolchain, "python", "lint.lock.txt"), "utf8"))?.[1];

/** toolchain/python/ copied under `root`, with the small env's lock: the lint lock's entries of its three packages. */
function copyToolchain(root: string, entries = lintEntries().filter((entry) => SMALL_PACKAGES.test(entry))): void {
  cpSync(path.join(toolchain, "python"), path.join(root, "toolchain", "python"), { recursive: true });
  writeFileSync(path.join(root, "toolchain", "python", `${SMALL}.lock.txt`), `${entries.join("\n").trimEnd()}\n`);
}
const pygmentsVersion = (bin: string) => execFileSync(path.join(bin, "pygmentize"), ["-V"], { encoding: "utf8" }).trim();
const python3Version = execFileSync("python3", ["--version"], { encoding: "utf8" }).trim().replace(/^Python /, "");

describe("ensurePythonEnv", () => {
  let root: string;
  let venv: string;
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);
  const smallVersion = () => pygmentsVersion(path.join(venv, "bin"));

  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), "python-env-test-"));
    copyToolchain(root);
    venv = path.join(root, ".venv", SMALL);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("installs an env from its lock, with the versions it pins", async () => {
    expect(pinnedPygments).toMatch(/^\d+\.\d+\.\d+$/);
    // An install takes seconds: a progress line every 100 ms shows at least once.
    const env = await ensurePythonEnv(SMALL, { root, log, progressEveryMs: 100 });
    expect(env).toEqual({ python: path.join(venv, "bin", "python"), bin: path.join(venv, "bin") });
    expect(smallVersion()).toMatch(new RegExp(`^Pygments version ${pinnedPygments!.replace(/\./g, "\\.")},`));
    // The venv was built elsewhere and renamed: its scripts must point at the final place.
    expect(execFileSync(path.join(venv, "bin", "pip"), ["--version"], { encoding: "utf8" })).toContain(venv);
    const lockSha = createHash("sha256").update(readFileSync(path.join(root, `toolchain/python/${SMALL}.lock.txt`))).digest("hex");
    expect(python3Version).toMatch(/^3\.11\.\d+$/);
    const interpreter = realpathSync(path.join(venv, "bin", "python"));
    expect(readFileSync(path.join(venv, ".stamp"), "utf8")).toBe(`lock-sha256 ${lockSha}\nvenv ${venv}\npython ${python3Version} ${interpreter}\n`);
    const pinned = readFileSync(path.join(root, `toolchain/python/${SMALL}.lock.txt`), "utf8").match(/^[A-Za-z0-9][A-Za-z0-9._-]*==/gm)!.length;
    expect(pinned).toBe(3);
    expect(lines[0]).toContain(`python env "small": installing 3 packages from toolchain/python/small.lock.txt`);
    expect(lines.at(-1)).toMatch(/^python env "small": ready in \d+ s$/);
    const between = lines.slice(1, -1);
    expect(between.length).toBeGreaterThan(0);
    for (const line of between) expect(line).toMatch(/^python env "small": still installing \(\d+ s\)$/);
    expect(readdirSync(path.join(root, ".venv")).sort()).toEqual([SMALL]); // no tmp or lock folder left
  });

  it("returns at once, spawning nothing, when the stamp matches the lock", async () => {
    spawnSpy.mockClear();
    lines.length = 0;
    const started = performance.now();
    await ensurePythonEnv(SMALL, { root, log });
    // A few milliseconds; the bound leaves room for a machine busy with other test files (an install takes seconds).
    expect(performance.now() - started).toBeLessThan(1000);
    expect(spawnSpy).not.toHaveBeenCalled();
    expect(lines).toEqual([]);
  });

  it("reinstalls from scratch when the stamp differs, once even if asked twice at the same time", async () => {
    writeFileSync(path.join(venv, ".stamp"), readFileSync(path.join(venv, ".stamp"), "utf8").replace(/^lock-sha256 \S+/, `lock-sha256 ${"0".repeat(64)}`));
    writeFileSync(path.join(venv, "leftover"), "from the old venv");
    spawnSpy.mockClear();
    lines.length = 0;
    await Promise.all([ensurePythonEnv(SMALL, { root, log }), ensurePythonEnv(SMALL, { root, log })]);
    expect(spawnSpy).toHaveBeenCalled();
    expect(lines.filter((line) => line.includes(": installing "))).toHaveLength(1);
    expect(lines.filter((line) => line.endsWith("waiting…"))).toHaveLength(1);
    expect(existsSync(path.join(venv, "leftover"))).toBe(false);
    expect(smallVersion()).toMatch(/^Pygments version /);
  });

  it("rebuilds when python:setup finds python3 of another version than the env's (the check starts a process, so only when asked)", async () => {
    const stampFile = path.join(venv, ".stamp");
    writeFileSync(stampFile, readFileSync(stampFile, "utf8").replace(/^python \S+ /m, "python 3.11.0 "));
    spawnSpy.mockClear();
    lines.length = 0;
    await ensurePythonEnv(SMALL, { root, log });
    expect(spawnSpy).not.toHaveBeenCalled();
    await ensurePythonEnv(SMALL, { root, log, checkInterpreter: true });
    expect(lines.filter((line) => line.includes(": installing "))).toHaveLength(1);
    expect(readFileSync(stampFile, "utf8")).toContain(`\npython ${python3Version} `);
  }, 90_000);

  it("rebuilds when python:setup finds a script of the env that cannot start (the interpreter its first line names is gone)", async () => {
    const script = path.join(venv, "bin", "pygmentize");
    writeFileSync(script, readFileSync(script, "utf8").replace(/^#!.*/, "#!/no/such/venv/bin/python"));
    lines.length = 0;
    await ensurePythonEnv(SMALL, { root, log, checkInterpreter: true });
    expect(lines.filter((line) => line.includes(": installing "))).toHaveLength(1);
    expect(smallVersion()).toMatch(/^Pygments version /);
  }, 90_000);

  // Ctrl-C reaches every process of the terminal's group (the install's children, in groups of their own, get it from the
  // install); `kill` the process alone.
  for (const [signal, group] of [["SIGINT", true], ["SIGTERM", false]] as const) {
    it(`removes the half-made venv and its lock when the install is stopped by ${signal}${group ? " (to its process group, as Ctrl-C)" : " (to it alone)"}`, async () => {
      const fresh = mkdtempSync(path.join(tmpdir(), "python-env-interrupt-"));
      try {
        copyToolchain(fresh);
        const module = JSON.stringify(path.join(toolchain, "python-env.ts"));
        // The system's temporary folder, as the install sees it: nothing of the install may stay there.
        const systemTmp = path.join(fresh, "tmp");
        mkdirSync(systemTmp);
        const child = childProcess.spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", `import { ensurePythonEnv } from ${module}; await ensurePythonEnv(${JSON.stringify(SMALL)}, { root: ${JSON.stringify(fresh)} });`], {
          cwd: path.dirname(toolchain),
          env: { ...process.env, TMPDIR: systemTmp },
          stdio: ["ignore", "ignore", "pipe"],
          detached: group,
        });
        let stderr = "";
        child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
        const exited = new Promise<[number | null, string | null]>((resolve) => child.once("close", (code, endedBy) => resolve([code, endedBy])));
        const venvs = path.join(fresh, ".venv");
        let during: string[] = [];
        // Signalled once the venv is being made beside its final place (by a child process: python3 -m venv, which
        // fills the build folder the install made; its temporary files go to a second folder beside it).
        const building = () => during.length === 3 && during.slice(1).some((entry) => existsSync(path.join(venvs, entry, "pyvenv.cfg")));
        for (let waited = 0; !building() && waited < 60_000; waited += 50) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          during = existsSync(venvs) ? readdirSync(venvs).sort() : [];
        }
        expect(during[0]).toBe("small.lock");
        // The build and scratch folders' names are mkdtemp's (six random characters), not ones anybody could know beforehand.
        for (const folder of during.slice(1)) {
          expect(folder).toMatch(/^small\.tmp-[A-Za-z0-9]{6}$/);
          expect(folder).not.toBe(`small.tmp-${child.pid}`);
        }
        if (group) process.kill(-child.pid!, signal);
        else child.kill(signal);
        expect(await exited).toEqual([null, signal]);
        expect(readdirSync(venvs)).toEqual([]);
        // (tsx, which runs the install here, keeps its own cache there: tsx-<uid>.)
        expect(readdirSync(systemTmp).filter((entry) => !/^tsx-\d+$/.test(entry))).toEqual([]);
        expect(stderr.split("\n").at(-2)).toBe(`python env "small": interrupted (${signal}): install stopped, its half-made env removed; the next use installs it again`);
      } finally {
        rmSync(fresh, { recursive: true, force: true });
      }
    }, 90_000);
  }

  it("builds the venv in a new folder of its own: a link planted under the former build folder's name (small.tmp-<pid>) neither stops the install (python3 -m venv refused it) nor is followed, and a killed install's build folder is removed", async () => {
    const fresh = mkdtempSync(path.join(tmpdir(), "python-env-planted-"));
    try {
      copyToolchain(fresh);
      const venvs = path.join(fresh, ".venv");
      const victim = path.join(fresh, "victim");
      mkdirSync(victim);
      // A build folder left by an install killed midway (a name as mkdtemp makes them).
      mkdirSync(path.join(venvs, "small.tmp-Ab12Cd", "bin"), { recursive: true });
      const planted = path.join(venvs, `small.tmp-${process.pid}`);
      // Planted once the leftovers are removed and before the venv is made: the progress line says that moment.
      const log = (line: string) => {
        if (line.includes(": installing ")) symlinkSync(victim, planted);
      };
      await ensurePythonEnv(SMALL, { root: fresh, log });
      expect(lstatSync(planted).isSymbolicLink()).toBe(true);
      expect(readlinkSync(planted)).toBe(victim);
      expect(readdirSync(victim)).toEqual([]);
      const venv = path.join(venvs, SMALL);
      expect(lstatSync(venv).isDirectory()).toBe(true);
      expect(lstatSync(venv).mode & 0o777).toBe(0o755);
      expect(pygmentsVersion(path.join(venv, "bin"))).toMatch(new RegExp(`^Pygments version ${pinnedPygments!.replace(/\./g, "\\.")},`));
      expect(readdirSync(venvs).sort()).toEqual([SMALL, path.basename(planted)]);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  }, 90_000);

  // The scripts' shebangs hold the venv's absolute path: after a move they name a python that is no longer there.
  it("rebuilds the env when the checkout was moved, so that its scripts start", async () => {
    const moved = `${root}-moved`;
    renameSync(root, moved);
    root = moved;
    venv = path.join(root, ".venv", SMALL);
    lines.length = 0;
    await ensurePythonEnv(SMALL, { root, log });
    expect(lines.filter((line) => line.includes(": installing "))).toHaveLength(1);
    expect(readFileSync(path.join(venv, ".stamp"), "utf8")).toContain(`\nvenv ${venv}\n`);
    expect(smallVersion()).toMatch(/^Pygments version /);
  }, 90_000);

  it("rejects an env that has no lock", async () => {
    await expect(ensurePythonEnv("nope", { root, log })).rejects.toThrow(/unknown python env "nope".*known envs: spark, lint/);
  });
});

describe("ensurePythonEnv through a linked .venv", () => {
  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(path.join(tmpdir(), "python-env-linked-"));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("builds for the real path: checkouts linking the same .venv share it, and it outlives the checkout that built it", async () => {
    const shared = path.join(scratch, "shared-venvs");
    mkdirSync(shared);
    const checkouts = ["first", "second"].map((name) => path.join(scratch, name));
    for (const checkout of checkouts) {
      copyToolchain(checkout);
      symlinkSync(shared, path.join(checkout, ".venv"));
    }
    await ensurePythonEnv(SMALL, { root: checkouts[0], log: () => {} });
    const script = path.join(shared, SMALL, "bin", "pygmentize");
    expect(readFileSync(script, "utf8").split("\n")[0]).toBe(`#!${path.join(shared, SMALL, "bin", "python")}`);
    spawnSpy.mockClear();
    const second = await ensurePythonEnv(SMALL, { root: checkouts[1], log: () => {} });
    expect(spawnSpy).not.toHaveBeenCalled(); // the same real venv: fresh for both
    rmSync(checkouts[0]!, { recursive: true, force: true });
    expect(pygmentsVersion(second.bin)).toMatch(/^Pygments version /);
  }, 90_000);
});

// pip's settings from the environment, replaced for one call (undefined: removed), the others restored after.
async function withPipEnvironment<T>(settings: Record<string, string | undefined>, call: () => Promise<T>): Promise<T> {
  const keys = [...new Set([...Object.keys(process.env).filter((key) => key.startsWith("PIP_")), ...Object.keys(settings)])];
  const saved = Object.fromEntries(keys.map((key) => [key, process.env[key]]));
  for (const key of keys) delete process.env[key];
  for (const [key, value] of Object.entries(settings)) if (value !== undefined) process.env[key] = value;
  try {
    return await call();
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

describe("ensurePythonEnv and what pip installs", () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), "python-env-check-"));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("refuses a lock that misses packages its packages require (pip check), naming them, the lock and how to regenerate it", async () => {
    const scratch = path.join(root, "incomplete");
    // The small lock without markupsafe, which jinja2 requires (and one more package, which requires nothing).
    const entries = lintEntries().filter((entry) => /^(pygments|jinja2|tblib)==/.test(entry));
    expect(entries).toHaveLength(3);
    copyToolchain(scratch, entries);
    const failure = await ensurePythonEnv(SMALL, { root: scratch, log: () => {} }).then(
      () => undefined,
      (error: Error) => error.message,
    );
    expect(failure).toBeDefined();
    const lines = failure!.split("\n");
    expect(lines[0]).toBe(`python env "small": the packages pinned in toolchain/python/small.lock.txt do not satisfy each other's requirements (pip check):`);
    expect(lines.slice(1, -1)).toEqual(["jinja2 3.1.6 requires markupsafe, which is not installed."]);
    expect(lines.at(-1)).toBe(
      "  fix: the lock is incomplete or inconsistent: regenerate it from toolchain/python/small.in with " +
        "`uv pip compile --generate-hashes --universal --python-version 3.11 toolchain/python/small.in -o toolchain/python/small.lock.txt` " +
        '(toolchain/README.md, "Adding or upgrading a tool"), then run npm run python:setup -- small.',
    );
    // The command is the one the README documents.
    expect(readFileSync(path.join(toolchain, "README.md"), "utf8")).toContain(
      "uv pip compile --generate-hashes --universal --python-version 3.11 toolchain/python/<env>.in -o toolchain/python/<env>.lock.txt",
    );
    expect(readdirSync(path.join(scratch, ".venv"))).toEqual([]); // no env was stamped
  }, 90_000);

  it("installs into the venv when the user's pip settings ask for a --user install (PIP_USER=1)", async () => {
    const scratch = path.join(root, "user");
    copyToolchain(scratch);
    const { bin } = await withPipEnvironment({ ...Object.fromEntries(Object.entries(process.env).filter(([key]) => key.startsWith("PIP_"))), PIP_USER: "1" }, () =>
      ensurePythonEnv(SMALL, { root: scratch, log: () => {} }),
    );
    expect(pygmentsVersion(bin)).toMatch(/^Pygments version /);
  }, 90_000);
});

describe("ensurePythonEnv when pip fails", () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), "python-env-pip-"));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const quiet = () => {};
  // No cache (it could hold the pinned files) and no pip config file: only the index given here.
  const isolated = { PIP_NO_CACHE_DIR: "1", PIP_CONFIG_FILE: devNull, PIP_DISABLE_PIP_VERSION_CHECK: "1" };

  it("names the env, its lock and the index when the package index is unreachable, with the fix", async () => {
    const scratch = path.join(root, "unreachable");
    cpSync(path.join(toolchain, "python"), path.join(scratch, "toolchain", "python"), { recursive: true });
    const index = "http://127.0.0.1:9/simple"; // the discard port on loopback: nothing listens there
    const failure = await withPipEnvironment({ ...isolated, PIP_INDEX_URL: index, PIP_RETRIES: "0", PIP_TIMEOUT: "2", PIP_DEFAULT_TIMEOUT: "2" }, () =>
      ensurePythonEnv("lint", { root: scratch, log: quiet }).then(
        () => undefined,
        (error: Error) => error.message,
      ),
    );
    expect(failure).toBeDefined();
    const lines = failure!.split("\n");
    expect(lines[0]).toBe(`python env "lint": pip install failed (exit 1). Last lines of its output:`);
    expect(failure).toMatch(/No matching distribution found for \S+==|Could not find a version that satisfies/);
    expect(lines.at(-3)).toBe(
      `pip could not fetch the packages pinned in toolchain/python/lint.lock.txt for python env "lint" from the package index ${index} (PIP_INDEX_URL): it is unreachable, or serves no file of a pinned version.`,
    );
    expect(lines.at(-2)).toBe(
      "  fix: check the network connection or the proxy (HTTPS_PROXY), or set PIP_INDEX_URL to a mirror that serves the pinned versions, then run npm run python:setup -- lint again.",
    );
    expect(lines.at(-1)).toMatch(/^ {2}If the index is reachable, \S+==\S+ has no wheel for this platform: /);
    expect(readdirSync(path.join(scratch, ".venv"))).toEqual([]); // neither the half-made venv nor the lock is left
  }, 90_000);

  it("installs wheels only: a pinned version served only as source is not built, and the error says what to do", async () => {
    const scratch = path.join(root, "source-only");
    const files = path.join(scratch, "files");
    mkdirSync(path.join(scratch, "toolchain", "python"), { recursive: true });
    mkdirSync(files);
    // A source distribution pip would build (and run the setup code of), were it allowed to: its hash is the lock's.
    const sdist = path.join(files, "chardet-7.7.0.tar.gz");
    writeFileSync(sdist, "a source distribution\n");
    const hash = createHash("sha256").update(readFileSync(sdist)).digest("hex");
    writeFileSync(path.join(scratch, "toolchain", "python", "lint.lock.txt"), `chardet==7.7.0 \\\n    --hash=sha256:${hash}\n`);
    const failure = await withPipEnvironment({ ...isolated, PIP_NO_INDEX: "1", PIP_FIND_LINKS: files }, () =>
      ensurePythonEnv("lint", { root: scratch, log: quiet }).then(
        () => undefined,
        (error: Error) => error.message,
      ),
    );
    expect(failure).toContain("No matching distribution found for chardet==7.7.0");
    expect(failure!.split("\n").at(-1)).toBe(
      "  If the index is reachable, chardet==7.7.0 has no wheel for this platform: only the packages in SOURCE_BUILDS (toolchain/python-env.ts: pyspark, python-nvd3) are built from source. " +
        'Pin a version that has one, or add the package there and pin setuptools in toolchain/python/lint.in (toolchain/README.md, "Adding or upgrading a tool").',
    );
    expect(readdirSync(path.join(scratch, ".venv"))).toEqual([]);
  }, 90_000);

  it("gives no index hint when pip got the files, but they do not match the lock's hashes", async () => {
    const scratch = path.join(root, "tampered");
    const wheels = path.join(scratch, "wheels");
    mkdirSync(path.join(scratch, "toolchain", "python"), { recursive: true });
    mkdirSync(wheels);
    writeFileSync(path.join(wheels, "chardet-7.7.0-py3-none-any.whl"), "not the wheel\n");
    writeFileSync(path.join(scratch, "toolchain", "python", "lint.lock.txt"), `chardet==7.7.0 \\\n    --hash=sha256:${"0".repeat(64)}\n`);
    const failure = await withPipEnvironment({ ...isolated, PIP_NO_INDEX: "1", PIP_FIND_LINKS: wheels }, () =>
      ensurePythonEnv("lint", { root: scratch, log: quiet }).then(
        () => undefined,
        (error: Error) => error.message,
      ),
    );
    expect(failure).toContain("THESE PACKAGES DO NOT MATCH THE HASHES");
    expect(failure).not.toContain("fix:");
    expect(failure).not.toContain("package index");
  }, 90_000);
});
