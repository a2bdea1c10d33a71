/**
 * Writing into an output folder that other people or processes may also write to (a shared `--out`, a checkout):
 *
 * - No symbolic link between the output root and a path written or removed (`linkedFolder`). A link on the way
 *   (`<out>/datasets -> /elsewhere`) would make every write and removal under it land outside the output folder. The
 *   root itself may be a link (the user named it), and so may the path itself: a rename replaces a link, and removing
 *   one removes the link only.
 * - A temporary file is a new file under a name nobody can predict (`createTemporary`): opened with `wx`
 *   (O_CREAT|O_EXCL), so a file or link planted under that name (`index.html.tmp-<pid> -> /victim`) is never opened,
 *   followed or overwritten; another name is tried instead. `writeFileAtomically` writes one and renames it over the
 *   target, so a reader sees the old file or the new one, never half of one.
 */
import { randomBytes } from "node:crypto";
import { closeSync, lstatSync, openSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { insideAsWritten } from "./real-paths.js";

/**
 * The first folder between `root` (excluded) and `path` (excluded) that is a symbolic link, nearest the root first;
 * undefined when there is none (or `path` is not inside `root`, which the caller refuses on its own terms).
 */
export function linkedFolder(root: string, path: string): string | undefined {
  const top = resolve(root);
  if (!insideAsWritten(top, path)) return undefined;
  const folders: string[] = [];
  for (let folder = dirname(resolve(path)); folder !== top && insideAsWritten(top, folder); folder = dirname(folder)) folders.unshift(folder);
  return folders.find((folder) => lstatSync(folder, { throwIfNoEntry: false })?.isSymbolicLink());
}

const randomToken = () => randomBytes(8).toString("hex");

/**
 * Creates a new, empty file beside `target`, `<target>.tmp-<pid>-<random>`, with O_CREAT|O_EXCL (`wx`): an existing
 * file or symbolic link of that name is never followed (EEXIST: another random name is tried). Returns its path and
 * an open descriptor, which the caller closes. `mode` as for `open(2)` (before the umask); `token` makes the random
 * part (16 hex digits; a test passes its own to know the names).
 */
export function createTemporary(target: string, mode = 0o666, token: () => string = randomToken): { path: string; fd: number } {
  for (let attempt = 0; ; attempt++) {
    const path = `${target}.tmp-${process.pid}-${token()}`;
    try {
      return { path, fd: openSync(path, "wx", mode) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt >= 100) throw error;
    }
  }
}

/**
 * What `target` is when it exists but is not a regular file (a link is followed: a link to a file is a file), in
 * words ("a FIFO (named pipe)", "a character device", …); undefined when it is a regular file or does not exist. A
 * file written whole under another name and renamed into place would replace such a target: `/dev/null` given as an
 * output would become a regular file.
 */
export function notAFile(target: string): string | undefined {
  let stat;
  try {
    stat = statSync(target, { throwIfNoEntry: false });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOTDIR") return undefined; // a part of the path is a file: no target
    throw error;
  }
  if (!stat || stat.isFile()) return undefined;
  if (stat.isDirectory()) return "a folder";
  if (stat.isFIFO()) return "a FIFO (named pipe)";
  if (stat.isCharacterDevice()) return "a character device";
  if (stat.isBlockDevice()) return "a block device";
  if (stat.isSocket()) return "a socket";
  return "not a regular file";
}

/**
 * Writes `contents` to `target` whole or not at all: into a `createTemporary` file, then renamed over `target` (a
 * link at `target` is replaced, not followed). The temporary is removed when anything fails. A target that exists and
 * is not a regular file (`notAFile`: a device, a pipe, a folder) is refused before anything is written.
 */
export function writeFileAtomically(target: string, contents: string | Uint8Array, mode?: number): void {
  const what = notAFile(target);
  if (what) throw new Error(`${target} is ${what}, not a file: it would be replaced by a regular file, not written into. Name a regular file.`);
  const { path, fd } = createTemporary(target, mode);
  try {
    try {
      const bytes = typeof contents === "string" ? Buffer.from(contents, "utf8") : contents;
      for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
    } finally {
      closeSync(fd);
    }
    renameSync(path, target);
  } catch (error) {
    rmSync(path, { force: true });
    throw error;
  }
}
