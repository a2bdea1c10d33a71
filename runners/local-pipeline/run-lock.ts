/**
 * The lock of a pipeline:local run's output folder: the run holds the lock folder `<out>/.pipeline-run.lock` while it
 * writes there (`generators/lib/folder-lock.ts`), so that another run stops with PIPELINE.BUSY and a reader of the
 * folder (the catalog) can tell a run in progress from a completed one.
 */
import { join } from "node:path";
import { lockHolder } from "../../generators/lib/folder-lock.js";

export const RUN_LOCK = ".pipeline-run.lock";

/** The run writing `outDir` now, if any: its pid when the lock names one (a lock whose holder has ended is none). */
export function runInProgress(outDir: string): { readonly pid: number | undefined } | undefined {
  return lockHolder(join(outDir, RUN_LOCK));
}
