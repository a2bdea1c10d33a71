/**
 * What a command must undo when it is interrupted (Ctrl-C, `kill`, a closed terminal): Node ends a process on SIGINT,
 * SIGTERM and SIGHUP without running `finally` blocks, so a temporary folder removed in one (gigabytes for a large
 * pipeline run or benchmark) would stay behind. `onInterrupt` registers an undo step; on the first of those signals
 * every registered step runs, the last registered first (as nested `finally` blocks would), and then the process ends
 * by the same signal, so its parent sees an interrupted process (a shell reports exit status 130 for SIGINT).
 */
import type { ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
export type Signal = (typeof SIGNALS)[number];

const steps: ((signal: Signal) => void)[] = [];

function interrupted(signal: Signal): void {
  for (const s of SIGNALS) process.removeListener(s, interrupted);
  for (const step of steps.splice(0).reverse()) {
    try {
      step(signal);
    } catch (error) {
      process.stderr.write(`warning: while stopping on ${signal}: ${(error as Error).message}\n`);
    }
  }
  process.kill(process.pid, signal);
}

/** Runs `step` if the process is interrupted before the returned function is called (which unregisters it). */
export function onInterrupt(step: (signal: Signal) => void): () => void {
  if (steps.length === 0) for (const s of SIGNALS) process.on(s, interrupted);
  steps.push(step);
  return () => {
    const at = steps.lastIndexOf(step);
    if (at >= 0) steps.splice(at, 1);
    if (steps.length === 0) for (const s of SIGNALS) process.removeListener(s, interrupted);
  };
}

/**
 * Removes `folder` now if the process is interrupted; returns the function that unregisters that (call it where the
 * folder is removed or kept on the normal path). Threads still writing into the folder (DuckDB's) may add a file
 * while it is removed: the removal then tries again.
 */
export function removeOnInterrupt(folder: string): () => void {
  return onInterrupt(() => rmSync(folder, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 }));
}

/**
 * Stops `child` if this process is stopped by SIGTERM or SIGHUP (a `kill`, a CI job cancelled, a closed terminal)
 * while the child runs, with that signal or `as`, so that it is not left running on its own. Ctrl-C's SIGINT is not
 * passed on: the terminal sends it to every process of its foreground group, the child among them, and a second one
 * could cut short the child's own clean-up.
 */
export function stopOnInterrupt(child: ChildProcess, as?: NodeJS.Signals): void {
  const release = onInterrupt((signal) => {
    if (signal !== "SIGINT" && child.exitCode === null && child.signalCode === null) child.kill(as ?? signal);
  });
  child.once("exit", release);
  child.once("error", release);
}
