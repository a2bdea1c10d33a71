/**
 * Writing into an output folder that other people or processes may also write to (a shared `--out`, a checkout):
 *
 * - No symbolic link between the output root and a path written or removed (`linkedFolder`). A link on the way
 *   (`<out>/datasets -> /elsewhere`) would make every write and removal under it land outside the output folder. The
 *   root itself may be a link (the user named it), and so may the path itself: a rename replaces a link, and removing
 *   one removes the link only.
 */
import { lstatSync } from "node:fs";
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
