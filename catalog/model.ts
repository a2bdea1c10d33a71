/**
 * Everything the pages are rendered from, gathered once by `build.ts`. Pages are pure functions of this model:
 * same model, same bytes.
 */
import type { Report } from "../generators/diff/report.js";
import type { ContractIR } from "../generators/ir/types.js";
import type { History } from "./history.js";
import type { RunData } from "./run.js";

export interface PullRequestData {
  /** The `--base` ref as given (`origin/main`). */
  readonly base: string;
  /** The review in its `contract-diff/3` JSON shape, generated-file changes included. */
  readonly review: Report;
}

export interface CatalogModel {
  readonly ir: ContractIR;
  /** The run, or null with `runNote` saying why there is none. */
  readonly run: RunData | null;
  readonly runNote: string;
  readonly history: History | null;
  readonly pullRequest: PullRequestData | null;
}

/** Site paths of the pages. */
export const PAGES = {
  index: "index.html",
  quality: "quality.html",
  history: "history.html",
  pullRequest: "pull-request.html",
  dataset: (name: string) => `datasets/${name}.html`,
} as const;

/** `1234567` → `1,234,567` (fixed, not the machine's locale). */
export function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
