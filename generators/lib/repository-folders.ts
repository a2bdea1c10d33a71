/**
 * The repository's own folders and files: what a command's output (`pipeline:local --out`, `catalog --out`,
 * `synth --out`) must never land in, hold or replace. A run replaces the tables of its output folder and the catalog
 * its pages, so `--out generated` or `--out .` would destroy sources; `synth --out generated/ir/review.ir.json`
 * would overwrite the IR the other commands read.
 */
import { isAbsolute, relative, resolve, sep } from "node:path";
import { realPath } from "./real-paths.js";

/** Top-level folders of the repository: sources, generated outputs, the toolchain and version control. */
export const REPOSITORY_FOLDERS: readonly string[] = [
  ".ci",
  ".git",
  ".github",
  ".venv",
  "bench",
  "catalog",
  "contracts",
  "dbt-out",
  "generated",
  "generators",
  "glue-pyspark-out",
  "infra",
  "node_modules",
  "runners",
  "samples",
  "tests",
  "toolchain",
];

/**
 * Top-level files of the repository (`git ls-files` at the top; `repository-folders.test.ts` holds the two lists to
 * it). Any other name at the top level is a person's own output (`reviews.jsonl` from `npm run synth`), which a later
 * run may replace.
 */
export const REPOSITORY_FILES: readonly string[] = [
  ".gitattributes",
  ".gitignore",
  ".node-version",
  "README.md",
  "package-lock.json",
  "package.json",
  "ruff.toml",
  "tsconfig.json",
  "vitest.config.ts",
];

/**
 * Why `path` may not be a command's output in the repository at `root` (a sentence to follow "it"), or undefined
 * when it may: the repository itself or a folder holding it, anything inside one of its own folders, or one of its
 * top-level files (`package.json`; in any letter case, as a case-insensitive file system reads it). Output folders
 * such as `.pipeline-out/` and other files at the top level are allowed.
 * Both paths are judged as written and by their real paths (`real-paths.ts`): `/tmp/link/preview`, with `link` a
 * link to the repository's `runners/`, is inside `runners/`.
 */
export function repositoryClash(root: string, path: string): string | undefined {
  return clashAt(resolve(root), resolve(path)) ?? clashAt(realPath(root), realPath(path));
}

function clashAt(top: string, target: string): string | undefined {
  const inside = relative(top, target);
  if (inside === "") return "is the repository itself";
  if (inside.startsWith("..") || isAbsolute(inside)) {
    const holder = relative(target, top);
    return holder.startsWith("..") || isAbsolute(holder) ? undefined : `holds the repository ${top}`;
  }
  const [first, ...rest] = inside.split(sep);
  if (REPOSITORY_FOLDERS.includes(first!)) return `is inside the repository's own ${first}/ folder`;
  if (rest.length === 0 && REPOSITORY_FILES.some((file) => file.toLowerCase() === first!.toLowerCase())) return `is the repository's own file ${first}`;
  return undefined;
}
