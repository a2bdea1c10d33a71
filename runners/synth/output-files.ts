/**
 * Where `--out` and `--tally` go, made ready before any record is generated, so that a bad location fails at once and
 * names its cause, instead of after a long run with the records written and the tally lost.
 *
 * Folders are created one by one from the deepest that exists: Node 20's `mkdirSync(…, { recursive: true })` loops
 * without end where a folder cannot be created (`/proc/nope/t.json`), and its ENOTDIR or EEXIST does not say which
 * part of the path is in the way.
 */
import { closeSync, lstatSync, mkdirSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { createTemporary, notAFile } from "../../generators/lib/safe-files.js";
import { SynthError } from "./errors.js";

export type FileFlag = "--out" | "--tally";

/**
 * A new temporary file beside `file`, which it is written under before it is renamed into place:
 * `<file>.tmp-<pid>-<random>`, created with O_EXCL (`generators/lib/safe-files.ts`), so a link planted under that
 * name is never followed. Its path and open descriptor.
 */
export function createTemporaryOf(file: string): { path: string; fd: number } {
  return createTemporary(file);
}

/** Why a file-system call failed, in words, with the system's code. */
export function causeOf(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  const words: Record<string, string> = {
    EACCES: "permission denied",
    EPERM: "operation not permitted",
    EROFS: "the file system is read-only",
    ENOSPC: "no space left on the disk",
    EDQUOT: "the disk quota is used up",
    ENAMETOOLONG: "the name is too long",
  };
  return e.code && words[e.code] ? `${words[e.code]} (${e.code})` : e.message;
}

/** The fix for a cause of `causeOf`. */
export function fixFor(error: unknown, folder: string): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case "EACCES":
    case "EPERM":
      return `Choose a folder you may write to, or get write permission on ${folder}.`;
    case "EROFS":
      return "Choose a folder on a writable file system.";
    case "ENOSPC":
    case "EDQUOT":
      return "Free some disk space, or choose a folder on another disk.";
    default:
      return "Choose another file name or folder.";
  }
}

function writeError(flag: FileFlag, detail: string, fix: string): SynthError {
  return new SynthError("SYNTH.WRITE", detail, fix, flag);
}

/**
 * Makes `file`'s folder exist (creating the missing ones) and checks that its temporary (`createTemporaryOf`) can be
 * created there, removing it again. Throws `SYNTH.WRITE` naming the part of the path in the way and why.
 */
export function prepareLocation(flag: FileFlag, file: string): void {
  // The file is written under a temporary name and renamed over `file`: a device or a pipe would be replaced, not
  // written into (`--out /dev/null` would turn the machine's /dev/null into a regular file).
  const what = notAFile(file);
  if (what) {
    const stream = flag === "--out" ? "standard output" : "standard error";
    throw writeError(
      flag,
      `${flag} ${file}: it is ${what}, not a file; synth writes a file whole under another name and renames it into place, which would replace it.`,
      `Leave out ${flag}: the ${flag === "--out" ? "records go" : "tally goes"} to ${stream}, which you may redirect (e.g. ${flag === "--out" ? ">" : "2>"} ${file}).`,
    );
  }
  const missing: string[] = [];
  for (let dir = dirname(file); ; ) {
    let isFolder: boolean;
    try {
      isFolder = statSync(dir).isDirectory();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") throw writeError(flag, `${flag} ${file}: cannot look into ${dir}: ${causeOf(error)}.`, fixFor(error, dir));
      // ENOTDIR: a part above is a file; found when the walk reaches it.
      missing.unshift(dir);
      const parent = dirname(dir);
      if (parent === dir) throw writeError(flag, `${flag} ${file}: no folder of the path exists.`, "Name a file in an existing folder.");
      dir = parent;
      continue;
    }
    if (!isFolder) {
      throw writeError(
        flag,
        `${flag} ${file}: ${dir} is a file, not a folder (ENOTDIR).`,
        `Name a file in a folder, e.g. ${flag} ${join(dirname(dir), basename(file))}, or move ${dir} away.`,
      );
    }
    break;
  }
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EEXIST") {
        if (statSync(dir, { throwIfNoEntry: false })?.isDirectory()) continue; // made meanwhile by another process
        const what = lstatSync(dir).isSymbolicLink() ? "a link to nothing" : "a file";
        throw writeError(flag, `${flag} ${file}: ${dir} is ${what}, not a folder (EEXIST).`, `Move ${dir} away, or name a file in another folder.`);
      }
      throw writeError(flag, `${flag} ${file}: cannot create the folder ${dir}: ${causeOf(error)}.`, fixFor(error, dirname(dir)));
    }
  }
  let temporary: { path: string; fd: number };
  try {
    temporary = createTemporaryOf(file);
  } catch (error) {
    throw writeError(flag, `${flag} ${file}: cannot create a file in ${dirname(file)}: ${causeOf(error)}.`, fixFor(error, dirname(file)));
  }
  closeSync(temporary.fd);
  rmSync(temporary.path, { force: true });
}
