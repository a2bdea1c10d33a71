/**
 * Runs tests/helpers/quicksight-shapes.py (QuickSight's API model from botocore, pinned in the "aws" Python
 * environment) over infra/modules/quicksight parsed by the real HCL parser, and over the generated QuickSight layer.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "@cdktf/hcl2json";
import { ensurePythonEnv } from "../../toolchain/python-env.js";
import { REPO_ROOT } from "./data.js";
import type { Hcl } from "./terraform.js";

export const QUICKSIGHT_MODULE = "infra/modules/quicksight";
export const QUICKSIGHT_GENERATED = "generated/quicksight";

export interface ShapeReport {
  readonly resources: string[];
  readonly checked: { blocks: number; attributes: number };
  readonly unknown: string[];
  readonly kind: string[];
  readonly misread: string[];
  readonly jsonUnknown: string[];
  readonly jsonMembers: string[];
  readonly mapped: string[];
  readonly unmapped: string[];
  readonly mapMembers: string[];
  readonly keyed: string[] | null;
  readonly declared: string[] | null;
  readonly declaredNotMapped: string[];
  readonly mappedNotDeclared: string[];
}

export interface ShapeInput {
  /** File name => text of each .tf file of the module. */
  readonly files: Record<string, string>;
  readonly analysis: unknown;
  readonly dataSets: readonly unknown[];
}

/** The module's .tf files and the generated files it reads, as they are in the repository. */
export function repositoryShapeInput(): ShapeInput {
  const files: Record<string, string> = {};
  for (const name of readdirSync(join(REPO_ROOT, QUICKSIGHT_MODULE)).filter((n) => n.endsWith(".tf")).sort()) {
    files[name] = readFileSync(join(REPO_ROOT, QUICKSIGHT_MODULE, name), "utf8");
  }
  const read = (file: string) => JSON.parse(readFileSync(join(REPO_ROOT, QUICKSIGHT_GENERATED, file), "utf8")) as Hcl;
  const index = read("quicksight.json");
  return {
    files,
    analysis: read(index.analysis.file as string),
    dataSets: (index.dataSets as Hcl[]).map((dataSet) => read(dataSet.file as string)),
  };
}

export async function checkQuickSightShapes(input: ShapeInput): Promise<ShapeReport> {
  const hcl: Hcl[] = [];
  for (const [name, text] of Object.entries(input.files)) hcl.push((await parse(name, text)) as Hcl);
  const { python } = await ensurePythonEnv("aws", { root: REPO_ROOT });
  const result = spawnSync(python, [join(REPO_ROOT, "tests/helpers/quicksight-shapes.py")], {
    input: JSON.stringify({ hcl, analysis: input.analysis, dataSets: input.dataSets }),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`quicksight-shapes.py failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout) as ShapeReport;
}

/** `text` with `from` replaced once; throws when `from` is not there exactly once (the control would test nothing). */
export function replaceOnce(text: string, from: string, to: string): string {
  const parts = text.split(from);
  if (parts.length !== 2) throw new Error(`negative control: expected exactly one occurrence of:\n${from}\n(found ${parts.length - 1})`);
  return parts.join(to);
}

/** `text` without the block that starts with `header` (up to its matching closing brace and line end). */
export function removeBlock(text: string, header: string): string {
  const start = text.indexOf(header);
  if (start < 0 || text.indexOf(header, start + 1) >= 0) throw new Error(`negative control: expected exactly one block ${header}`);
  let depth = 0;
  for (let i = text.indexOf("{", start); i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) {
      const lineStart = text.lastIndexOf("\n", start) + 1;
      const lineEnd = text.indexOf("\n", i);
      return text.slice(0, lineStart) + text.slice(lineEnd + 1);
    }
  }
  throw new Error(`negative control: block ${header} is not closed`);
}
