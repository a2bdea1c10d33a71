/** What a pipeline run wrote under its own run id, for tests of what a failed or stopped run leaves. */
import { readdirSync } from "node:fs";

/**
 * Every path under `out` whose last part is `run_id=<id>` (the cleaned zone's and the quarantine's run folders) or
 * `run_id=<id>.json` (the Spark engine's clean job summaries, `_summaries/run_id=<id>.json`), relative and sorted.
 */
export function runOutputs(out: string): string[] {
  return (readdirSync(out, { recursive: true, encoding: "utf8" }) as string[]).filter((path) => /(^|\/)run_id=[^/]+$/.test(path)).sort();
}
