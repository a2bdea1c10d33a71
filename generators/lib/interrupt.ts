/**
 * What a command must undo when it is interrupted (Ctrl-C, `kill`, a closed terminal, a reader that went away): Node
 * ends a process on SIGINT, SIGTERM and SIGHUP without running `finally` blocks, so a temporary folder removed in one
 * (gigabytes for a large pipeline run or benchmark) would stay behind. `onInterrupt` registers an undo step; on the
 * first of those signals every registered step runs, the last registered first (as nested `finally` blocks would),
 * and then the process ends by the same signal, so its parent sees an interrupted process (a shell reports exit status
 * 130 for SIGINT).
 *
 * A broken pipe counts too: when the reader of the command's output or progress goes away (`… | head`), a write to
 * stdout or stderr fails with EPIPE, which Node raises as an uncaught error that ends the process, again without
 * `finally`. The steps then run with "SIGPIPE" and the process exits with 141, the status a shell reports for a
 * process ended by SIGPIPE (Node ignores the signal itself).
 */
import type { ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
export type Signal = (typeof SIGNALS)[number] | "SIGPIPE";

/** The exit status of a process ended by SIGPIPE (128 + 13). */
export const BROKEN_PIPE_EXIT = 141;

const steps: ((signal: Signal) => void)[] = [];

function listen(on: boolean): void {
  for (const s of SIGNALS) {
    if (on) process.on(s, interrupted);
    else process.removeListener(s, interrupted);
  }
  for (const stream of [process.stdout, process.stderr]) {
    if (on) stream.on("error", brokenPipe);
    else stream.removeListener("error", brokenPipe);
  }
}

/** An error of stdout or stderr: a broken pipe stops the command; any other is raised as Node would. */
function brokenPipe(error: NodeJS.ErrnoException): void {
  if (error.code !== "EPIPE") throw error;
  interrupted("SIGPIPE");
}

function interrupted(signal: Signal): void {
  listen(false);
  for (const step of steps.splice(0).reverse()) {
    try {
      step(signal);
    } catch (error) {
      process.stderr.write(`warning: while stopping on ${signal}: ${(error as Error).message}\n`);
    }
  }
  if (signal === "SIGPIPE") process.exit(BROKEN_PIPE_EXIT);
  process.kill(process.pid, signal);
}

/** Runs `step` if the process is interrupted before the returned function is called (which unregisters it). */
export function onInterrupt(step: (signal: Signal) => void): () => void {
  if (steps.length === 0) listen(true);
  steps.push(step);
  return () => {
    const at = steps.lastIndexOf(step);
    if (at >= 0) steps.splice(at, 1);
    if (steps.length === 0) listen(false);
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
 * Stops `child` if this process is stopped by SIGTERM or SIGHUP (a `kill`, a CI job cancelled, a closed terminal) or
 * a broken pipe while the child runs, with that signal (SIGTERM for a broken pipe: Python ignores SIGPIPE) or `as`, so
 * that it is not left running on its own. Ctrl-C's SIGINT is not passed on: the terminal sends it to every process of
 * its foreground group, the child among them, and a second one could cut short the child's own clean-up.
 */
export function stopOnInterrupt(child: ChildProcess, as?: NodeJS.Signals): void {
  const release = onInterrupt((signal) => {
    if (signal !== "SIGINT" && child.exitCode === null && child.signalCode === null) child.kill(as ?? (signal === "SIGPIPE" ? "SIGTERM" : signal));
  });
  child.once("exit", release);
  child.once("error", release);
}
