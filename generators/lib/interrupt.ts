/**
 * What a command must undo when it is interrupted (Ctrl-C, `kill`, a closed terminal, a reader that went away): Node
 * ends a process on SIGINT, SIGTERM and SIGHUP without running `finally` blocks, so a temporary folder removed in one
 * (gigabytes for a large pipeline run or benchmark) would stay behind. `onInterrupt` registers an undo step; on the
 * first of those signals every registered step runs, the last registered first (as nested `finally` blocks would),
 * and then the process ends by the same signal, so its parent sees an interrupted process (a shell reports exit status
 * 130 for SIGINT).
 *
 * Child processes registered with `stopOnInterrupt` (Spark's driver, dbt, pip, Airflow) are stopped first: the signal
 * is passed on to each, and the undo steps run only once they have ended, so that no child goes on writing into a
 * folder the steps remove, or one whose lock they release. A child gets `CHILD_STOP_MS` to end, then it is killed. And
 * should this process be killed outright, where none of this runs, each child's watcher stops it (`stopWhenOrphaned`).
 *
 * A broken pipe counts too: when the reader of the command's output or progress goes away (`… | head`), a write to
 * stdout or stderr fails with EPIPE, which Node raises as an uncaught error that ends the process, again without
 * `finally`. The steps then run with "SIGPIPE" and the process exits with 141, the status a shell reports for a
 * process ended by SIGPIPE (Node ignores the signal itself).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import type { Readable } from "node:stream";

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
export type Signal = (typeof SIGNALS)[number] | "SIGPIPE";

/** The exit status of a process ended by SIGPIPE (128 + 13). */
export const BROKEN_PIPE_EXIT = 141;

/** How long a child gets to end after the signal is passed on to it (Spark cancels its jobs and stops its session). */
export const CHILD_STOP_MS = 15_000;
/** How long a child killed with SIGKILL may take to be gone before it is given up as outliving this process. */
const KILL_WAIT_MS = 5_000;

/**
 * An undo step. `survivors`: the pids of children still running when the steps run, because even SIGKILL did not end
 * them in time (a process stuck in the kernel); almost always empty. A step that releases a lock should then leave it.
 */
export type InterruptStep = (signal: Signal, survivors: readonly number[]) => void;

const steps: InterruptStep[] = [];
/** The running children to stop, each with the signal it is stopped by (undefined: the one this process got). */
const children = new Map<ChildProcess, NodeJS.Signals | undefined>();
let listening = false;
/** The children being stopped, once a signal has come. */
let stopping: readonly ChildProcess[] | undefined;

function listen(on: boolean): void {
  if (on === listening) return;
  listening = on;
  for (const s of SIGNALS) {
    if (on) process.on(s, interrupted);
    else process.removeListener(s, interrupted);
  }
  for (const stream of [process.stdout, process.stderr]) {
    if (on) stream.on("error", brokenPipe);
    else stream.removeListener("error", brokenPipe);
  }
}

/** Listens while anything is registered (and, once interrupted, until the process ends). */
function update(): void {
  if (!stopping) listen(steps.length > 0 || children.size > 0);
}

/** An error of stdout or stderr: a broken pipe stops the command; any other is raised as Node would. */
function brokenPipe(error: NodeJS.ErrnoException): void {
  if (error.code !== "EPIPE") throw error;
  interrupted("SIGPIPE");
}

function interrupted(signal: Signal): void {
  if (stopping) {
    // A second Ctrl-C or kill while the children stop: they are killed now.
    if (signal !== "SIGPIPE") for (const child of stopping) signalGroup(child, "SIGKILL");
    return;
  }
  const running = [...children];
  children.clear();
  stopping = running.map(([child]) => child);
  if (running.length === 0) return finish(signal, []);
  for (const [child, as] of running) {
    silence(child);
    signalGroup(child, as ?? (signal === "SIGPIPE" ? "SIGTERM" : signal));
  }
  void stopChildren(stopping).then((survivors) => finish(signal, survivors));
}

function finish(signal: Signal, survivors: readonly number[]): void {
  listen(false);
  for (const step of steps.splice(0).reverse()) {
    try {
      step(signal, survivors);
    } catch (error) {
      process.stderr.write(`warning: while stopping on ${signal}: ${(error as Error).message}\n`);
    }
  }
  if (signal === "SIGPIPE") process.exit(BROKEN_PIPE_EXIT);
  process.kill(process.pid, signal);
}

/**
 * Waits for the children to end (`CHILD_STOP_MS`, then SIGKILL), then kills what is left of their process groups
 * (Spark's JVM and Python workers, a shell's commands): the pids of the children that did not end.
 */
async function stopChildren(list: readonly ChildProcess[]): Promise<number[]> {
  let left = await waitForExit(list, CHILD_STOP_MS);
  for (const child of left) signalGroup(child, "SIGKILL");
  left = await waitForExit(left, KILL_WAIT_MS);
  for (const child of list) if (!left.includes(child)) signalGroup(child, "SIGKILL");
  return left.map((child) => child.pid!);
}

async function waitForExit(list: readonly ChildProcess[], ms: number): Promise<ChildProcess[]> {
  const deadline = Date.now() + ms;
  let left = list.filter(running);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    left = left.filter(running);
  }
  return left;
}

function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/**
 * Sends `signal` to the child's process group (its own when it was spawned `detached`, as `stopOnInterrupt` asks),
 * as a terminal's Ctrl-C reaches a whole group; to the child alone when it has no group of its own.
 */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    if (running(child)) child.kill(signal);
  }
}

/**
 * The code that started the child hears nothing more from it (its output, its exit): it stays where it is while the
 * child stops, instead of going on as if the child had failed (and releasing what the undo steps release). The
 * child's output is still read, and dropped, so that it never blocks on a full pipe.
 */
function silence(child: ChildProcess): void {
  for (const event of ["exit", "close", "error"]) child.removeAllListeners(event);
  child.on("error", () => undefined);
  for (const stream of child.stdio) {
    if (!stream) continue;
    stream.removeAllListeners("data");
    stream.removeAllListeners("error");
    stream.on("error", () => undefined);
    if ("resume" in stream) (stream as Readable).resume();
  }
}

/** Runs `step` if the process is interrupted before the returned function is called (which unregisters it). */
export function onInterrupt(step: InterruptStep): () => void {
  steps.push(step);
  update();
  return () => {
    const at = steps.lastIndexOf(step);
    if (at >= 0) steps.splice(at, 1);
    update();
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
 * Stops `child` if this process is interrupted while the child runs: the signal this process got (SIGTERM for a
 * broken pipe: Python ignores SIGPIPE), or `as`, goes to the child's process group; the undo steps run once the child
 * has ended (killed after `CHILD_STOP_MS`, or at a second signal), so that it is never left running on its own.
 *
 * Spawn the child with `detached: true` (its own process group): then a terminal's Ctrl-C reaches it once, passed on
 * from here, not also straight from the terminal (a second SIGINT could cut short its own clean-up), and a signal sent
 * to this process alone (`kill -INT <pid>`, a supervisor, an IDE's stop button) reaches it too.
 */
export function stopOnInterrupt(child: ChildProcess, as?: NodeJS.Signals): void {
  if (stopping) return void signalGroup(child, "SIGKILL"); // started while the others stop
  children.set(child, as);
  update();
  const watcher = stopWhenOrphaned(child, as ?? "SIGTERM");
  const release = () => {
    children.delete(child);
    update();
    watcher?.end();
  };
  child.once("exit", release);
  child.once("error", release);
}

/**
 * The program of the watcher `stopWhenOrphaned` starts (`node -e`, arguments: this process's pid, the child's pid,
 * the signal, the milliseconds to wait before SIGKILL). It polls every half second: the child's process group (or the
 * child alone, when it has no group of its own) gone, it ends; its parent gone (it was reparented), it sends the
 * signal to the group, waits, kills what is left, and ends.
 */
const ORPHAN_WATCHER = `
const [parent, pid, signal, grace] = process.argv.slice(1);
const exists = (target) => { try { process.kill(target, 0); return true; } catch (error) { return error.code === "EPERM"; } };
const target = exists(-Number(pid)) ? -Number(pid) : Number(pid);
const send = (name) => { try { process.kill(target, name); } catch {} };
const poll = setInterval(() => {
  if (!exists(target)) process.exit(0);
  if (process.ppid === Number(parent)) return;
  clearInterval(poll);
  send(signal);
  const deadline = Date.now() + Number(grace);
  setInterval(() => {
    if (!exists(target)) process.exit(0);
    if (Date.now() < deadline) return;
    send("SIGKILL");
    process.exit(0);
  }, 100);
}, 500);
`;

/**
 * Stops `child`'s process group if this process ends without stopping it: killed outright (SIGKILL, the kernel's
 * out-of-memory killer), where no handler runs. A child spawned `detached` would otherwise go on alone (dbt writing
 * into a warehouse file, pip into an environment) while a next run, finding this one's lock dead, starts on the same
 * files. A small watcher process, in a process group of its own (so that a kill of this process's whole group spares
 * it), notices within half a second that this process is gone, passes `signal` to the child's group and kills what is
 * left after `graceMs`. It ends by itself once the child's group is gone; `end()` ends it at once (call it when the
 * child has exited). `stopOnInterrupt` starts one for every child it registers. Undefined when the child did not start.
 */
export function stopWhenOrphaned(child: ChildProcess, signal: NodeJS.Signals, graceMs = CHILD_STOP_MS): { readonly pid: number; end(): void } | undefined {
  if (child.pid === undefined) return undefined;
  const watcher = spawn(process.execPath, ["-e", ORPHAN_WATCHER, String(process.pid), String(child.pid), signal, String(graceMs)], {
    detached: true,
    stdio: "ignore",
    env: {}, // none of this process's NODE_OPTIONS (a loader, a debugger)
  });
  watcher.on("error", () => undefined); // unwatched, as before: the child itself is unaffected
  watcher.unref();
  return {
    pid: watcher.pid ?? -1,
    end: () => {
      if (watcher.exitCode === null && watcher.signalCode === null) watcher.kill("SIGKILL");
    },
  };
}
