// Builds the project's pinned Go tools (the `tool` lines of toolchain/go/go.mod: actionlint) into the git-ignored
// .venv/go/bin/, from the module versions and hashes go.mod and go.sum lock. Code that needs a tool calls
// ensureGoTool() first: a file read and a stat when the build is up to date, no process.
// CLI: npm run go:setup [-- tool ...]   (see --help)
import { createHash } from "node:crypto";
import { accessSync, chmodSync, constants, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { onInterrupt } from "../generators/lib/interrupt.js";
import { acquire, run } from "./python-env.js";
import { setupMain } from "./setup-cli.js";

export interface GoToolOptions {
  /** Folder holding toolchain/go/ and .venv/; defaults to this repository. */
  root?: string;
  /** Progress lines; defaults to stderr. */
  log?: (line: string) => void;
  /** How often a build says it is still going (default 15 s, as the Python envs' installs). */
  progressEveryMs?: number;
}

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const MODULE_DIR = "toolchain/go";
const STAMP = ".stamp";
const LABEL = "go tools";
const PROGRESS_EVERY_MS = 15_000;

/** The tools go.mod declares (`tool <package>`), by command name (the package path's last element). */
export function goTools(root = REPO_ROOT): Map<string, string> {
  const goMod = readFileSync(path.join(root, MODULE_DIR, "go.mod"), "utf8");
  const packages = [...goMod.matchAll(/^tool\s+(\S+)\s*$/gm)].map((m) => m[1]!);
  return new Map(packages.map((pkg) => [pkg.slice(pkg.lastIndexOf("/") + 1), pkg]));
}

/** The path of the tool `name`'s binary, built first when it is missing or was built from another go.mod or go.sum. */
export async function ensureGoTool(name: string, options: GoToolOptions = {}): Promise<string> {
  const root = path.resolve(options.root ?? REPO_ROOT);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const tools = goTools(root);
  if (!tools.has(name)) throw new Error(`unknown Go tool "${name}": ${MODULE_DIR}/go.mod has no \`tool\` line for it (its tools: ${[...tools.keys()].join(", ")})`);
  const venvs = path.join(root, ".venv");
  const binary = path.join(venvs, "go", "bin", name);
  const expected = stamp(root, tools);
  if (isFresh(venvs, expected, tools)) return binary;

  mkdirSync(venvs, { recursive: true });
  const realVenvs = realpathSync(venvs);
  const mutex = path.join(venvs, "go.lock");
  await acquire(mutex, LABEL, log);
  let tmp: string | undefined;
  let scratch: string | undefined;
  const release = onInterrupt((signal) => {
    for (const folder of [tmp, scratch]) if (folder) rmSync(folder, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
    rmSync(mutex, { recursive: true, force: true });
    log(`${LABEL}: interrupted (${signal}): build stopped, its half-made folder removed; the next use builds again`);
  });
  try {
    if (isFresh(venvs, expected, tools)) return binary; // built by another process while we waited
    for (const entry of readdirSync(realVenvs)) if (entry.startsWith("go.tmp-")) rmSync(path.join(realVenvs, entry), { recursive: true, force: true });
    const cwd = path.join(root, MODULE_DIR);
    // The go command's work folder (compiled packages, the linked binaries before they are copied out: tens of MB) goes
    // to a second new folder beside the build folder, not to the system's temporary folder: go removes it only when it
    // ends on its own, so a build stopped midway (Ctrl-C or `kill`, passed on to go) left it there. This one is removed
    // with the build folder, or by the next build after a kill.
    scratch = mkdtempSync(path.join(realVenvs, "go.tmp-"));
    const env = goEnvironment(scratch);
    const version = await goVersion(cwd, env, [...tools.keys()]);
    log(`${LABEL}: building ${[...tools.keys()].join(", ")} with ${version} from ${MODULE_DIR}/go.mod (first build takes up to about a minute)…`);
    const started = Date.now();
    tmp = mkdtempSync(path.join(realVenvs, "go.tmp-"));
    chmodSync(tmp, 0o755);
    const progress = setInterval(() => log(`${LABEL}: still building (${Math.round((Date.now() - started) / 1000)} s)`), options.progressEveryMs ?? PROGRESS_EVERY_MS);
    progress.unref();
    try {
      // -mod=readonly: a module go.sum does not hold, or one whose download differs from its hash there, fails the
      // build instead of being added (a flag on the command line overrides the user's GOFLAGS).
      await run(cwd, "go", ["build", "-mod=readonly", "-trimpath", "-o", `${path.join(tmp, "bin")}${path.sep}`, ...tools.values()], `${LABEL}: go build`, buildHint, env);
      writeFileSync(path.join(tmp, STAMP), expected);
      rmSync(path.join(realVenvs, "go"), { recursive: true, force: true });
      renameSync(tmp, path.join(realVenvs, "go"));
    } catch (error) {
      rmSync(tmp, { recursive: true, force: true });
      throw error;
    } finally {
      clearInterval(progress);
    }
    log(`${LABEL}: ready in ${Math.round((Date.now() - started) / 1000)} s`);
    return binary;
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    rmSync(mutex, { recursive: true, force: true });
    release();
  }
}

// What the tools were built from: go.mod and go.sum (their sha256) and the tools' names.
function stamp(root: string, tools: Map<string, string>): string {
  const hash = createHash("sha256");
  for (const file of ["go.mod", "go.sum"]) hash.update(readFileSync(path.join(root, MODULE_DIR, file))).update("\0");
  return `locks-sha256 ${hash.digest("hex")}\ntools ${[...tools.keys()].join(" ")}\n`;
}

function isFresh(venvs: string, expected: string, tools: Map<string, string>): boolean {
  try {
    if (readFileSync(path.join(venvs, "go", STAMP), "utf8") !== expected) return false;
    for (const name of tools.keys()) accessSync(path.join(venvs, "go", "bin", name), constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

// The go command's environment: the caller's, with no workspace (a go.work above the checkout would change which
// modules are used), no cgo (the tools are pure Go: no C compiler needed), and `scratch` as its work folder
// (GOTMPDIR) and its processes' temporary folder.
function goEnvironment(scratch: string): NodeJS.ProcessEnv {
  return { ...process.env, GOWORK: "off", CGO_ENABLED: "0", GOTMPDIR: scratch, TMPDIR: scratch };
}

async function goVersion(cwd: string, env: NodeJS.ProcessEnv, names: string[]): Promise<string> {
  try {
    return (await run(cwd, "go", ["env", "GOVERSION"], `${LABEL}: go env GOVERSION`, buildHint, env)).trim();
  } catch (error) {
    if (!/cannot run go: .*ENOENT/.test((error as Error).message)) throw error;
    throw new Error(
      `${LABEL}: the go command is not on PATH; the project's Go tools (${names.join(", ")}) are built from ${MODULE_DIR}/go.mod.\n` +
        `  fix: install Go 1.25 or later (https://go.dev/doc/install) and put its bin/ on PATH, then run npm run go:setup.`,
    );
  }
}

// The reason and fix of a failed build: the module proxy unreachable, a download not matching go.sum, a Go too old.
function buildHint(output: string): string | undefined {
  if (/SECURITY ERROR|checksum mismatch|missing go\.sum entry/.test(output)) {
    return (
      `A module's download does not match ${MODULE_DIR}/go.sum, or go.sum lacks it: the tools are built only from what go.sum pins.\n` +
      `  fix: if go.mod or go.sum was edited, regenerate them (toolchain/README.md, "Go tools"); never edit a hash to make a download pass.`
    );
  }
  if (/requires go >= |toolchain not available/.test(output)) {
    return `  fix: install Go 1.25 or later (https://go.dev/doc/install), or let go fetch that toolchain itself (GOTOOLCHAIN=auto, its default), then run npm run go:setup.`;
  }
  if (/dial tcp|no such host|i\/o timeout|connection refused|Forbidden|Not Found|proxyconnect/.test(output)) {
    const proxy = process.env.GOPROXY ? `${process.env.GOPROXY} (GOPROXY)` : "the Go module proxy (GOPROXY; proxy.golang.org by default)";
    return (
      `go could not download the modules ${MODULE_DIR}/go.mod pins from ${proxy}: it is unreachable, or does not serve a pinned version.\n` +
      `  fix: check the network connection or the proxy (HTTPS_PROXY), or set GOPROXY to a mirror that serves them, then run npm run go:setup.`
    );
  }
  return undefined;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await setupMain(process.argv.slice(2), {
    command: "go:setup",
    kind: "Go tool",
    names: [...goTools().keys()],
    description: `Builds the project's Go tools into .venv/go/bin/ from ${MODULE_DIR}/go.mod and go.sum, unless already up to date.\nNeeds the go command (Go 1.25 or later).`,
    setup: async (name) => ({ label: `go tool "${name}"`, folder: await ensureGoTool(name) }),
  });
}
