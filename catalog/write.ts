/**
 * Writes a built site into its output folder. The catalog owns only what it wrote: `.catalog-site.json` lists the
 * files of the last build; a file listed there and no longer built is removed, a file not listed there is never
 * overwritten (CATALOG.UNOWNED_FILE) nor removed. Other files in the folder (test screenshots, anything of the
 * user's) are left alone. No folder inside the output folder on the way to a file written or removed may be a
 * symbolic link (CATALOG.LINKED_FOLDER): the site's files stay inside it.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { linkedFolder, writeFileAtomically } from "../generators/lib/safe-files.js";
import { isInside } from "../runners/local-pipeline/safe-paths.js";
import type { SiteFile } from "./build.js";
import { CatalogError } from "./errors.js";

export const OWNED_LIST = ".catalog-site.json";

function ownedFiles(outDir: string): Set<string> {
  const path = join(outDir, OWNED_LIST);
  if (!existsSync(path)) return new Set();
  try {
    const listed = (JSON.parse(readFileSync(path, "utf8")) as { files?: unknown }).files;
    return new Set(Array.isArray(listed) ? listed.filter((f): f is string => typeof f === "string") : []);
  } catch {
    return new Set();
  }
}

/** A site path that stays inside the folder: relative, `/`-separated, no `.`/`..`/empty segment. */
function safeSitePath(path: string): boolean {
  return path.split("/").every((segment) => segment !== "" && segment !== "." && segment !== "..") && !path.startsWith("/") && !path.includes("\\");
}

/**
 * Refuses, before anything is written or removed, a site path whose folder inside `outDir` is a symbolic link
 * (`<out>/datasets -> /elsewhere`): its pages would be written, and its stale files removed, outside the site.
 */
function refuseLinkedFolders(outDir: string, paths: readonly string[]): void {
  for (const path of paths) {
    const link = linkedFolder(outDir, join(outDir, path));
    if (link === undefined) continue;
    throw new CatalogError(
      "CATALOG.LINKED_FOLDER",
      `${link} is a symbolic link, so writing or removing ${path} would reach outside the site folder ${outDir}; nothing was written.`,
      `Remove the link (rm ${link}; the catalog recreates the folder), or pass another --out.`,
    );
  }
}

export function writeSite(outDir: string, files: readonly SiteFile[]): void {
  const owned = ownedFiles(outDir);
  refuseLinkedFolders(outDir, [...files.map((f) => f.path), ...[...owned].filter(safeSitePath)]);
  const unowned = files.filter((f) => existsSync(join(outDir, f.path)) && !owned.has(f.path)).map((f) => f.path);
  if (unowned.length) {
    throw new CatalogError(
      "CATALOG.UNOWNED_FILE",
      `${outDir} already holds ${unowned.slice(0, 5).join(", ")}${unowned.length > 5 ? ` and ${unowned.length - 5} more` : ""}, which the catalog did not write.`,
      "Choose an empty --out folder (default: .catalog-out/), or remove those files yourself.",
    );
  }
  for (const file of files) {
    if (!safeSitePath(file.path)) throw new Error(`Site path ${JSON.stringify(file.path)} is not a plain relative path. This is a bug in the catalog.`);
    const target = join(outDir, file.path);
    mkdirSync(dirname(target), { recursive: true });
    // Written beside the target under a new, unpredictable name, then renamed: a reader never sees half a page, and
    // a link planted under a temporary's name is never followed.
    writeFileAtomically(target, file.contents);
  }
  const built = new Set(files.map((f) => f.path));
  for (const stale of owned) {
    if (built.has(stale) || !safeSitePath(stale)) continue;
    const target = join(outDir, stale);
    if (isInside(outDir, target) && linkedFolder(outDir, target) === undefined) rmSync(target, { force: true });
  }
  writeFileAtomically(join(outDir, OWNED_LIST), `${JSON.stringify({ writtenBy: "npm run catalog", files: [...built].sort() }, null, 2)}\n`);
}
