/**
 * Path guards compare where a path leads, not how it is written. `resolve` only joins and normalises text: through a
 * symbolic link (`/tmp/alias -> /data/in`), `/tmp/alias/out` and `/data/in/out` are the same folder while their
 * texts differ. The rule, for every guard (`--out` against the inputs or the repository, two files that must differ,
 * two inputs that must not overlap): a path is compared both as written (resolved) and by its real path, and the
 * guard refuses when either comparison says so. Both, because a link inside the repository (a shared `node_modules`)
 * leads outside it while its text lies inside.
 */
import { realpathSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";

/**
 * The real path of `path` (every link on the way resolved), or, when it does not exist yet (an output about to be
 * written) or cannot be resolved (a broken link, a loop), its nearest resolvable ancestor's real path joined with
 * the rest.
 */
export function realPath(path: string): string {
  const rest: string[] = [];
  for (let at = resolve(path); ; ) {
    try {
      return join(realpathSync(at), ...rest);
    } catch {
      const parent = dirname(at);
      if (parent === at) return resolve(path);
      rest.unshift(basename(at));
      at = parent;
    }
  }
}

/** True when `path` is `dir` itself or inside it, by their texts (resolved) only (a folder named `..x` is inside). */
export function insideAsWritten(dir: string, path: string): boolean {
  const rel = relative(resolve(dir), resolve(path));
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** True when `path` is `dir` itself or inside it, as written or by their real paths. */
export function isInsideReally(dir: string, path: string): boolean {
  return insideAsWritten(dir, path) || insideAsWritten(realPath(dir), realPath(path));
}

/** True when `a` and `b` name the same file or folder, as written or by their real paths. */
export function samePath(a: string, b: string): boolean {
  return resolve(a) === resolve(b) || realPath(a) === realPath(b);
}
