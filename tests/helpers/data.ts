/** Access to the shared real Amazon review samples (read in place, never copied into the repository). */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const REPO_ROOT = join(import.meta.dirname, "../..");
export const SHARED_DATA = join(REPO_ROOT, "../shared/data/amazon-reviews");

/**
 * The datasets this repository ships a contract and samples for. A test that pins facts of these (sample row counts,
 * particular columns) filters to them by name, so that a dataset added beside them (README "Adding a dataset") is
 * covered by the tests stating a property of every dataset and breaks none of these.
 */
export const SHIPPED_DATASETS: readonly string[] = ["product", "review"];

export const DATA_FILES = {
  reviews2018: "2018-gift-cards-5.jsonl",
  products2018: "2018-meta-gift-cards.jsonl",
  grocery2014: "2014-grocery-and-gourmet-food-5.head111.jsonl",
  instruments2014: "2014-musical-instruments-5.head50.jsonl",
} as const;

/** The lines of a shared data file (newline-terminated, so the last split element is dropped). */
export function dataLines(file: string): string[] {
  const text = readFileSync(join(SHARED_DATA, file), "utf8");
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

export function dataRecords(file: string): unknown[] {
  return dataLines(file).map((line) => JSON.parse(line) as unknown);
}
