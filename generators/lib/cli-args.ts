/**
 * What the commands share when they check their arguments, so that each says a wrong one the same way (before any
 * file is read through it): node's `parseArgs` errors without their misleading advice, empty path options, and a
 * folder option that names a file or nothing.
 */
import { statSync } from "node:fs";

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
