/**
 * What the commands share when they check their arguments, so that each says a wrong one the same way (before any
 * file is read through it): node's `parseArgs` errors without their misleading advice, empty path options, and a
 * folder option that names a file or nothing.
 */
import { readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * What `--version` prints: the package's name and version, which a bug report quotes. From npm's own variables when
 * npm runs the command; otherwise from the first package.json above this module (the repository's, also above the
 * launcher's cached build in node_modules/.cache/). Read only when asked: a copy of the generator without its
 * package.json (a test's scratch repository) runs all the same.
 */
export function versionLine(env: NodeJS.ProcessEnv = process.env): string {
  if (env.npm_package_name && env.npm_package_version) return `${env.npm_package_name} ${env.npm_package_version}`;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    try {
      const found = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: unknown; version?: unknown };
      if (typeof found.name === "string" && typeof found.version === "string") return `${found.name} ${found.version}`;
    } catch {
      // No package.json here (or not one with a name and version): the folder above.
    }
    if (dirname(dir) === dir) return "review-contracts (version unknown: no package.json found)";
  }
}

/**
 * `parseArgs`'s message for a bad option. With positionals allowed, node appends advice on passing `--bogus` as a
 * positional (`… as in '-- "--bogus"`, with an unbalanced quote): none of these commands takes such a positional,
 * so the advice is wrong here and is cut, leaving the form the other commands print (`Unknown option '--bogus'`).
 */
export function parseArgsMessage(error: unknown): string {
  return (error as Error).message.replace(/\. To specify a positional argument starting with a '-'[^]*$/, "");
}

/**
 * The first of `names` given an empty value (`--out ""`, `--out "$UNSET"`), as `--name`. An empty path resolves to
 * the current folder (or to the repository, relative to --root): a command would read or overwrite what it names
 * instead of refusing.
 */
export function emptyPathOption(values: Readonly<Record<string, unknown>>, names: readonly string[]): string | undefined {
  const empty = (value: unknown): boolean => typeof value === "string" && value.trim() === "";
  const name = names.find((n) => empty(values[n]) || (Array.isArray(values[n]) && (values[n] as unknown[]).some(empty)));
  return name === undefined ? undefined : `--${name}`;
}

/** Why `path`, given as `flag`, is not a folder (it does not exist, or is a file), or undefined when it is one. */
export function notAFolder(flag: string, path: string): string | undefined {
  let isDirectory: boolean | undefined;
  try {
    isDirectory = statSync(path, { throwIfNoEntry: false })?.isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ENOTDIR: a file stands where one of the path's folders should be, so the path does not exist either.
    if (code !== "ENOTDIR") return `${flag} ${path} cannot be read (${code ?? (error as Error).message})`;
  }
  if (isDirectory === undefined) return `${flag} ${path} does not exist`;
  return isDirectory ? undefined : `${flag} ${path} is a file, not a folder`;
}

/**
 * The folder a command was typed in, given the environment and the process's own folder. npm runs a package's
 * scripts in the package's root whatever folder it was run from, and names that folder in `INIT_CWD`: `cd samples &&
 * npm run pipeline:local -- --input review=review` means samples/review. Only for the script npm started: its folder
 * is the package's (`npm_package_json`'s). A process started in another folder with the variables inherited (a test,
 * a tool) resolves against its own folder; so does one started without npm.
 */
export function invocationDirOf(env: NodeJS.ProcessEnv, cwd: string): string {
  const { INIT_CWD: initCwd, npm_package_json: packageFile } = env;
  if (!initCwd || !packageFile || !isAbsolute(initCwd) || resolve(dirname(packageFile)) !== resolve(cwd)) return cwd;
  return statSync(initCwd, { throwIfNoEntry: false })?.isDirectory() ? resolve(initCwd) : cwd;
}

/** npm's `INIT_CWD` as read once by `invocationDir`: null when it is not this command's (or is its own folder). */
let typedIn: string | null | undefined;

/**
 * The folder this command was typed in (`invocationDirOf` the process's environment and folder). `INIT_CWD` is read
 * once, then taken out of the environment, so that no process this one starts (another command, in the package's
 * folder) takes the person's folder for its own.
 */
export function invocationDir(): string {
  if (typedIn === undefined) {
    const found = invocationDirOf(process.env, process.cwd());
    typedIn = found === resolve(process.cwd()) ? null : found;
    delete process.env.INIT_CWD;
  }
  return typedIn ?? process.cwd();
}

/**
 * The name of `known` closest to `given` (edit distance, letter case aside; the first on a tie), for a fix line:
 * `--dataset reviews` is answered with `--dataset review`, not with whichever name comes first.
 */
export function closestName(given: string, known: readonly string[]): string | undefined {
  let best: { name: string; cost: number } | undefined;
  for (const name of known) {
    const cost = editDistance(given.toLowerCase(), name.toLowerCase());
    if (best === undefined || cost < best.cost) best = { name, cost };
  }
  return best?.name;
}

/** Levenshtein distance: the fewest one-character insertions, deletions and substitutions from `a` to `b`. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The name of `known` that `given` is a typo of: the closest one, when within two edits (and a third of `given`'s
 * length, so that a short word is not taken for another): `--chek` is `--check`, `--colour` nothing.
 */
export function typoOf(given: string, known: readonly string[]): string | undefined {
  const near = closestName(given, known);
  return near !== undefined && editDistance(given, near) <= Math.min(2, Math.floor(given.length / 3)) ? near : undefined;
}

/**
 * The fix line of a `parseArgs` error: an unknown option within two typos of one the command's `--help` names
 * (`--chek`) is answered with that option; otherwise, or for another error, with `--help`.
 */
export function parseArgsFix(error: unknown, help: string): string {
  const unknown = /Unknown option '(--[^'=]+)/.exec((error as Error).message)?.[1];
  const known = [...new Set(help.match(/--[a-z][a-z0-9-]*/g) ?? [])];
  const near = unknown === undefined ? undefined : typoOf(unknown, known);
  return near === undefined ? "run with --help for the options." : `did you mean ${near}? Run with --help for the options.`;
}

/** A path given on the command line, made absolute against the folder the command was typed in. */
export function givenPath(path: string): string {
  return resolve(invocationDir(), path);
}
