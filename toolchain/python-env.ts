// Installs the project's pinned Python tools into git-ignored virtual environments,
// .venv/<name>/, from the hashed locks in toolchain/python/<name>.lock.txt.
// Code that needs a tool calls ensurePythonEnv() first: it is a no-op (no process
// spawned) when the venv already matches its lock, so callers need not cache it.
// CLI: npm run python:setup [-- env ...]   (see --help)
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { accessSync, chmodSync, closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, realpathSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { tryLock } from "../generators/lib/folder-lock.js";
import { onInterrupt, stopOnInterrupt } from "../generators/lib/interrupt.js";
import { setupMain } from "./setup-cli.js";

export const PYTHON_ENVS = ["spark", "lint", "aws", "dbt", "airflow", "airflow2", "checkov"] as const;
export type PythonEnvName = (typeof PYTHON_ENVS)[number];

export interface PythonEnvOptions {
  /** Folder holding toolchain/python/ and .venv/; defaults to this repository. */
  root?: string;
  /** Progress lines; defaults to stderr. */
  log?: (line: string) => void;
  /**
   * Also compare the env's Python version with the `python3` on PATH (one process), and check that each script of
   * its bin/ can start (the interpreter its first line names exists); `npm run python:setup` does. A different version
   * or a script that cannot start rebuilds the env. Without it, an env is checked without starting any process.
   */
  checkInterpreter?: boolean;
  /** How often an install says it is still going (default 15 s). */
  progressEveryMs?: number;
}

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const REQUIRED_PYTHON = "3.11"; // AWS Glue 5.0 runs Python 3.11: test locally with the same.
// What a venv was built for, one `key value` line each: the lock's sha256, the venv's real absolute path (its
// scripts' shebangs hold that path: a moved checkout, or a venv copied elsewhere, has scripts that cannot start), and
// the Python version with the real path of the interpreter bin/python links to.
const STAMP = ".stamp";
// Packages published only as source distributions, which pip builds into wheels on install (and a build runs the
// package's own setup code). Every other package is installed from a wheel only (--only-binary :all:): a package that
// lost its wheel, or a new one published only as source, fails the install on every machine alike, naming it, instead
// of building where pip's cache holds no wheel of it and working where one does. A lock that pins one of these must
// pin the build tool below (python-locks.test.ts checks that).
export const SOURCE_BUILDS = ["pyspark", "python-nvd3"];
// Build tools for those packages. When a lock pins them, they are installed first and builds then use them
// (--no-build-isolation): otherwise pip would fetch the newest, unpinned and unhashed ones for each build, or use the
// venv's own setuptools, which cannot build a wheel without the "wheel" package.
export const BUILD_TOOLS = ["setuptools"];
// A spark install downloads ~320 MB: a slow network can hold the lock for minutes.
const LOCK_TIMEOUT_MS = 15 * 60_000;
// pip's output is kept quiet (its last lines go into an error): a line this often shows that the install is alive.
const PROGRESS_EVERY_MS = 15_000;

export async function ensurePythonEnv(name: string, options: PythonEnvOptions = {}): Promise<{ python: string; bin: string }> {
  const root = path.resolve(options.root ?? REPO_ROOT);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const lockRel = `toolchain/python/${name}.lock.txt`;
  const lockFile = path.join(root, lockRel);
  if (!/^[a-z0-9-]+$/.test(name) || !existsSync(lockFile)) {
    throw new Error(`unknown python env "${name}": ${lockRel} does not exist (known envs: ${PYTHON_ENVS.join(", ")})`);
  }
  const lockText = readFileSync(lockFile, "utf8");
  const sha = createHash("sha256").update(lockText).digest("hex");
  const venvs = path.join(root, ".venv");
  const venv = path.join(venvs, name);
  const result = { python: path.join(venv, "bin", "python"), bin: path.join(venv, "bin") };
  const expected = options.checkInterpreter ? await pythonVersion(root) : undefined;
  if (isFresh(venvs, name, sha, expected)) return result; // fast path: two realpaths and a file read

  mkdirSync(venvs, { recursive: true });
  // The venv is built for its real path: through a linked .venv (or a linked checkout) its scripts still start.
  const realVenvs = realpathSync(venvs);
  const realVenv = path.join(realVenvs, name);
  const mutex = path.join(venvs, `${name}.lock`);
  await acquire(mutex, `python env "${name}"`, log);
  // Interrupted (Ctrl-C, SIGTERM): the half-made venv and the lock go at once (the next install would also remove
  // them, as after a kill).
  let tmp: string | undefined;
  let scratch: string | undefined;
  const release = onInterrupt((signal) => {
    if (tmp) rmSync(tmp, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
    if (scratch) rmSync(scratch, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
    rmSync(mutex, { recursive: true, force: true });
    log(`python env "${name}": interrupted (${signal}): install stopped, its half-made env removed; the next use installs it again`);
  });
  try {
    if (isFresh(venvs, name, sha, expected)) return result; // another process installed it while we waited
    const version = await checkPython(root);
    // Leftovers of installs that were killed midway: nobody else installs while we hold the lock. (A link among them
    // is removed, not followed.)
    for (const entry of readdirSync(realVenvs)) if (entry.startsWith(`${name}.tmp-`)) rmSync(path.join(realVenvs, entry), { recursive: true, force: true });

    const packages = lockText.match(/^[A-Za-z0-9][A-Za-z0-9._-]*==/gm)?.length ?? 0;
    const count = `${packages} package${packages === 1 ? "" : "s"}`;
    log(`python env "${name}": installing ${count} from ${lockRel} (first run takes up to about a minute)…`);
    const started = Date.now();
    // Install beside the venv, then rename it into place, so that a venv with a stamp
    // is always complete, even if this process is killed halfway. The build folder is a new one under a name nobody
    // can predict (mkdtemp: `<name>.tmp-` and six random characters, made by mkdir, which fails on anything already
    // there): a folder or link planted under a predictable name (`<name>.tmp-<pid>` -> elsewhere) would have had the
    // venv built through it. mkdtemp makes it 0700; 0755 is what `python3 -m venv` makes under the usual umask.
    tmp = mkdtempSync(path.join(realVenvs, `${name}.tmp-`));
    // The temporary files of venv (ensurepip's copy of pip) and pip (downloads, builds) go to a folder beside it, not
    // to the system's: an install stopped or killed midway leaves them there, where the next install removes them.
    scratch = mkdtempSync(path.join(realVenvs, `${name}.tmp-`));
    const env = pipEnvironment(scratch);
    const progress = setInterval(() => log(`python env "${name}": still installing (${Math.round((Date.now() - started) / 1000)} s)`), options.progressEveryMs ?? PROGRESS_EVERY_MS);
    progress.unref();
    try {
      chmodSync(tmp, 0o755);
      await run(root, "python3", ["-m", "venv", "--prompt", name, tmp], `python env "${name}": python3 -m venv`, undefined, env);
      const python = path.join(tmp, "bin", "python");
      const pip = ["-m", "pip", "install", "--require-hashes", "--no-deps", "--disable-pip-version-check", "--progress-bar", "off", "--only-binary", ":all:", "--no-binary", SOURCE_BUILDS.join(",")];
      const tools = lockText.split(/\n(?=[^\s#])/).filter((entry) => BUILD_TOOLS.some((t) => entry.toLowerCase().startsWith(`${t}==`)));
      if (tools.length > 0) {
        const toolsFile = path.join(tmp, "build-tools.lock.txt");
        writeFileSync(toolsFile, `${tools.join("\n")}\n`);
        await run(root, python, [...pip, "-r", toolsFile], `python env "${name}": pip install (build tools)`, indexHint(name, lockRel), env);
        rmSync(toolsFile);
      }
      await run(root, python, [...pip, "--no-build-isolation", "-r", lockFile], `python env "${name}": pip install`, indexHint(name, lockRel), env);
      await checkRequirements(root, python, name, lockRel, env);
      relocate(tmp, realVenv);
      writeFileSync(path.join(tmp, STAMP), stamp(sha, realVenv, version, realpathSync(python)));
      rmSync(realVenv, { recursive: true, force: true }); // stale venv of an older lock, or of another place
      renameSync(tmp, realVenv);
    } catch (error) {
      rmSync(tmp, { recursive: true, force: true });
      throw error;
    } finally {
      clearInterval(progress);
      rmSync(scratch, { recursive: true, force: true });
    }
    log(`python env "${name}": ready in ${Math.round((Date.now() - started) / 1000)} s`);
    return result;
  } finally {
    rmSync(mutex, { recursive: true, force: true });
    release();
  }
}

function stamp(sha: string, realVenv: string, version: string, interpreter: string): string {
  return `lock-sha256 ${sha}\nvenv ${realVenv}\npython ${version} ${interpreter}\n`;
}

/**
 * Why the script `file` of an env (e.g. `.venv/dbt/bin/dbt`) cannot start, or undefined when it can: it is missing,
 * or the interpreter its first line names (`#!…/bin/python`) is (spawn then fails with ENOENT, a shell with 127).
 * Costs a file read and a stat, no process.
 */
export function toolProblem(file: string): string | undefined {
  let head: string;
  try {
    const fd = openSync(file, "r");
    try {
      const buffer = Buffer.alloc(512); // the first line only: bin/ also holds binaries of megabytes (ruff)
      head = buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0)).toString("utf8");
    } finally {
      closeSync(fd);
    }
  } catch {
    return `${file} does not exist`;
  }
  if (!head.startsWith("#!")) return undefined; // a binary (ruff) or a script without an interpreter line
  const interpreter = head.slice(2).split("\n")[0]!.trim().split(/\s+/)[0] ?? "";
  try {
    accessSync(interpreter, constants.X_OK);
    return undefined;
  } catch {
    return `${file} cannot start: the interpreter its first line names, ${interpreter}, does not exist (its environment was moved or copied after it was built)`;
  }
}

/** The fix line for an env whose tool cannot start. */
export function rebuildFix(name: string): string {
  return `run npm run python:setup -- ${name}, which rebuilds the "${name}" Python environment where it is, then run the command again.`;
}

// Fresh: built from this lock, at the venv's present real path (a moved checkout, or .venv now reached through another
// link, rebuilds), with the interpreter it was built with (and, when `version` is given, of that version).
function isFresh(venvs: string, name: string, sha: string, version: string | undefined): boolean {
  try {
    const realVenv = path.join(realpathSync(venvs), name);
    const text = readFileSync(path.join(realVenv, STAMP), "utf8");
    const built = /^python (\S+) /m.exec(text);
    if (!built || (version !== undefined && built[1] !== version)) return false;
    // bin/python is a symlink to the base interpreter: a removed (or another) Python means reinstall.
    if (text !== stamp(sha, realVenv, built[1]!, realpathSync(path.join(realVenv, "bin", "python")))) return false;
    if (version === undefined) return true;
    const bin = path.join(realVenv, "bin");
    return readdirSync(bin, { withFileTypes: true }).every((entry) => !entry.isFile() || toolProblem(path.join(bin, entry.name)) === undefined);
  } catch {
    return false;
  }
}

// The environment of python3 -m venv and pip: the caller's, without the settings that send an install elsewhere than
// the venv (a --user, --target, --prefix or --root install fails there, or leaves the venv without the packages).
// PIP_USER=0 also overrides `user = true` in pip's config files.
/** The environment of venv's and pip's processes: `scratch` as their temporary folder, no user pip setting that would install elsewhere. */
function pipEnvironment(scratch: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PIP_USER: "0", TMPDIR: scratch, TEMP: scratch, TMP: scratch };
  for (const name of ["PIP_TARGET", "PIP_PREFIX", "PIP_ROOT", "PIP_REQUIRE_VIRTUALENV", "PIP_EDITABLE"]) delete env[name];
  return env;
}

// pip installs the lock as it is (--no-deps: nothing unpinned is fetched), so a lock missing a dependency installs
// without error and the tool fails on import: pip check finds that before the env is stamped.
async function checkRequirements(root: string, python: string, name: string, lockRel: string, env: NodeJS.ProcessEnv): Promise<void> {
  const { code, output } = await execute(root, python, ["-m", "pip", "check", "--disable-pip-version-check"], `python env "${name}": pip check`, env);
  if (code === 0) return;
  const inIn = lockRel.replace(/\.lock\.txt$/, ".in");
  throw new Error(
    `python env "${name}": the packages pinned in ${lockRel} do not satisfy each other's requirements (pip check):\n${output.trimEnd()}\n` +
      `  fix: the lock is incomplete or inconsistent: regenerate it from ${inIn} with \`uv pip compile --generate-hashes --universal --python-version ${REQUIRED_PYTHON} ${inIn} -o ${lockRel}\` ` +
      `(toolchain/README.md, "Adding or upgrading a tool"), then run npm run python:setup -- ${name}.`,
  );
}

// python3's version (major.minor.micro), asked once per process.
let asked: Promise<string> | undefined;
function pythonVersion(root: string): Promise<string> {
  asked ??= run(root, "python3", ["--version"], "python3 --version").then((output) => /^Python (\S+)/.exec(output.trim())?.[1] ?? output.trim());
  return asked;
}

/**
 * Takes the lock folder `mutex` (`.venv/<env>.lock`; `tryLock`: a lock whose process is gone is taken over), waiting
 * for another install that holds it. `label` starts its lines (`python env "dbt"`).
 */
export async function acquire(mutex: string, label: string, log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  let told = false;
  for (;;) {
    const attempt = tryLock(mutex);
    if (attempt.taken) return;
    const owner = attempt.owner;
    if (Date.now() > deadline) {
      throw new Error(
        `${label}: gave up after ${LOCK_TIMEOUT_MS / 60_000} min waiting for ${mutex}, held by another install (pid ${owner ?? "unknown"}). ` +
          `If no install is running, remove that folder and retry.`,
      );
    }
    if (!told) log(`${label}: another install (pid ${owner ?? "unknown"}) holds ${path.basename(mutex)}; waiting…`);
    told = true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

// python3's version (major.minor.micro), if it is the one the project needs.
async function checkPython(root: string): Promise<string> {
  const version = (await run(root, "python3", ["--version"], "python3 --version")).trim();
  if (!version.startsWith(`Python ${REQUIRED_PYTHON}.`)) {
    throw new Error(
      `python3 is "${version}", but the project's Python tools need Python ${REQUIRED_PYTHON}.x: AWS Glue 5.0 runs ${REQUIRED_PYTHON}, ` +
        `so jobs are checked with the same. Install Python ${REQUIRED_PYTHON} and make it the "python3" on PATH (e.g. pyenv install ${REQUIRED_PYTHON}), then retry.`,
    );
  }
  return version.slice("Python ".length);
}

// Venvs hold their own absolute path (script shebangs, activate scripts, pyvenv.cfg):
// point those at the final location before the rename. Binaries (e.g. ruff) are left alone.
function relocate(from: string, to: string): void {
  const files = readdirSync(path.join(from, "bin"), { withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(from, "bin", entry.name));
  for (const file of [...files, path.join(from, "pyvenv.cfg")]) {
    const content = readFileSync(file);
    if (content.subarray(0, 4096).includes(0)) continue;
    const text = content.toString("utf8");
    if (text.includes(from)) writeFileSync(file, text.split(from).join(to));
  }
}

// What pip prints when it got no file from the package index: unreachable (no network, a proxy refusing, a name that
// does not resolve) after its retries, or reachable but serving no file of a pinned version.
const INDEX_FAILURES = [
  "No matching distribution found",
  "Could not find a version that satisfies",
  "NewConnectionError",
  "Failed to establish a new connection",
  "Temporary failure in name resolution",
  "ProxyError",
  "Max retries exceeded",
];

// The reason and fix of a pip install that failed for want of the package index: the env, its lock and where pip
// looked. pip takes the index from PIP_INDEX_URL (or its config files): the install passes no --index-url of its own.
function indexHint(name: string, lockRel: string): (output: string) => string | undefined {
  return (output) => {
    if (!INDEX_FAILURES.some((failure) => output.includes(failure))) return undefined;
    const index = process.env.PIP_INDEX_URL ? `the package index ${process.env.PIP_INDEX_URL} (PIP_INDEX_URL)` : "the package index (PyPI unless pip's configuration names another)";
    // A reachable index serving only a source distribution of a pinned version gets the same "(from versions: none)" as
    // an unreachable one (which pip, when told not to retry, does not report at all).
    const missing = /No matching distribution found for (\S+)/.exec(output)?.[1];
    const sourceOnly = missing
      ? `\n  If the index is reachable, ${missing} has no wheel for this platform: only the packages in SOURCE_BUILDS (toolchain/python-env.ts: ${SOURCE_BUILDS.join(", ")}) are built from source. ` +
        `Pin a version that has one, or add the package there and pin setuptools in toolchain/python/${name}.in (toolchain/README.md, "Adding or upgrading a tool").`
      : "";
    return (
      `pip could not fetch the packages pinned in ${lockRel} for python env "${name}" from ${index}: it is unreachable, or serves no file of a pinned version.\n` +
      `  fix: check the network connection or the proxy (HTTPS_PROXY), or set PIP_INDEX_URL to a mirror that serves the pinned versions, then run npm run python:setup -- ${name} again.${sourceOnly}`
    );
  };
}

// Runs a command, keeping its output quiet; on failure the error carries its last lines, then what `hint` makes of its
// output (a reason and a fix line).
export async function run(cwd: string, command: string, args: string[], what: string, hint?: (output: string) => string | undefined, env?: NodeJS.ProcessEnv): Promise<string> {
  const { code, signal, output } = await execute(cwd, command, args, what, env);
  if (code === 0) return output;
  const tail = output.trimEnd().split("\n").slice(-30).join("\n");
  const reason = hint?.(output);
  throw new Error(`${what} failed (${signal ?? `exit ${code}`}). Last lines of its output:\n${tail}${reason ? `\n${reason}` : ""}`);
}

// Runs a command, keeping its output quiet: its exit code or signal and the end of its output (stdout and stderr).
function execute(cwd: string, command: string, args: string[], what: string, env?: NodeJS.ProcessEnv): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    stopOnInterrupt(child);
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-64_000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", (error) => reject(new Error(`${what}: cannot run ${command}: ${error.message}`)));
    child.on("close", (code, signal) => resolve({ code, signal, output }));
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await setupMain(process.argv.slice(2), {
    command: "python:setup",
    kind: "Python environment",
    names: PYTHON_ENVS,
    description: "Installs the project's Python environments (.venv/<env>/) from toolchain/python/<env>.lock.txt,\nunless already up to date.",
    setup: async (name) => ({ label: `python env "${name}"`, folder: (await ensurePythonEnv(name, { checkInterpreter: true })).bin }),
  });
}
