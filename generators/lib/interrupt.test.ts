/**
 * `interrupt.ts` in a real process stopped by a real signal or a broken pipe: registered folders removed, steps run
 * last registered first, released steps not run, a child process stopped with the signal (SIGTERM on a broken pipe)
 * before the steps run, without the code that started it hearing of its end, and the process ended by the signal it
 * got (exit 141 on a broken pipe). A child that ignores the signal is waited for, killed at a second signal or after
 * `CHILD_STOP_MS`. A process killed outright (SIGKILL): its child's watcher stops the child's process group (killing it
after the grace when it ignores the signal), and a watcher ends with its child.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CHILD_STOP_MS } from "./interrupt.js";

const work = mkdtempSync(join(tmpdir(), "interrupt-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Running and not a zombie (an orphan's zombie may wait for a parent that never reaps it). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

const script = (folder: string, kept: string) => `
import { mkdirSync } from "node:fs";
import { spawn } from "node:child_process";
import { onInterrupt, removeOnInterrupt, stopOnInterrupt } from ${JSON.stringify(join(import.meta.dirname, "interrupt.ts"))};
mkdirSync(${JSON.stringify(folder)});
mkdirSync(${JSON.stringify(kept)});
removeOnInterrupt(${JSON.stringify(folder)});
const release = removeOnInterrupt(${JSON.stringify(kept)});
onInterrupt((signal) => process.stderr.write("registered first, run last: " + signal + "\\n"));
onInterrupt(() => process.stderr.write("registered second, run first\\n"));
release();
const sleeper = spawn("sleep", ["30"], { stdio: "ignore", detached: true });
stopOnInterrupt(sleeper);
// The code that started it must not go on as if it had failed while the process stops.
sleeper.on("exit", () => process.stderr.write("the sleeper's owner heard it end\\n"));
sleeper.once("spawn", () => process.stdout.write("ready " + sleeper.pid + "\\n"));
// Progress on stdout, as a long command prints it; with its reader gone, a write fails with EPIPE.
setInterval(() => process.stdout.write("working\\n"), 20);
`;

describe("onInterrupt, removeOnInterrupt, stopOnInterrupt", () => {
  for (const signal of ["SIGINT", "SIGTERM", "SIGPIPE"] as const) {
    it(signal === "SIGPIPE" ? "on a broken pipe (the reader of stdout went away): as SIGTERM, then exit 141" : `on ${signal}`, async () => {
      const folder = join(work, `removed-${signal}`);
      const kept = join(work, `kept-${signal}`);
      const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script(folder, kept)], { stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
      const exited = new Promise<[number | null, string | null]>((resolve) => child.once("exit", (code, endedBy) => resolve([code, endedBy])));
      const sleeper = await new Promise<number>((resolve, reject) => {
        let stdout = "";
        child.stdout.on("data", (chunk: Buffer) => {
          stdout += chunk.toString("utf8");
          const ready = /ready (\d+)\n/.exec(stdout);
          if (ready) resolve(Number(ready[1]));
        });
        void exited.then(() => reject(new Error(`ended before it was ready:\n${stderr}`)));
      });
      try {
        expect(existsSync(folder) && existsSync(kept) && alive(sleeper)).toBe(true);
        if (signal === "SIGPIPE") child.stdout.destroy();
        else child.kill(signal);
        expect(await exited).toEqual(signal === "SIGPIPE" ? [141, null] : [null, signal]);
        expect(existsSync(folder)).toBe(false);
        expect(existsSync(kept)).toBe(true);
        expect(stderr).toBe(`registered second, run first\nregistered first, run last: ${signal}\n`);
        // The signal was passed on to the child (it reaches its own process group from here alone), which has ended.
        expect(alive(sleeper)).toBe(false);
      } finally {
        if (alive(sleeper)) process.kill(sleeper, "SIGKILL");
      }
    }, 30_000);
  }
});

/** A process whose child ignores SIGINT, SIGTERM and SIGHUP (a shell and its sleep, in their own group). */
const stubbornScript = `
import { spawn } from "node:child_process";
import { onInterrupt, stopOnInterrupt } from ${JSON.stringify(join(import.meta.dirname, "interrupt.ts"))};
const stubborn = spawn("sh", ["-c", "trap '' INT TERM HUP; sleep 60 & echo $!; wait"], { stdio: ["ignore", "pipe", "ignore"], detached: true });
stopOnInterrupt(stubborn);
const isAlive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
onInterrupt(() => process.stderr.write("step ran, the shell alive: " + isAlive(stubborn.pid) + "\\n"));
stubborn.stdout.once("data", (pid) => process.stdout.write("ready " + stubborn.pid + " " + pid.toString().trim() + "\\n"));
setInterval(() => undefined, 1000);
`;

describe("stopOnInterrupt with a child that ignores the signal", () => {
  async function started(): Promise<{ child: ChildProcess; pids: number[]; stderr: () => string; exited: Promise<[number | null, string | null]> }> {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", stubbornScript], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const exited = new Promise<[number | null, string | null]>((resolve) => child.once("exit", (code, endedBy) => resolve([code, endedBy])));
    const pids = await new Promise<number[]>((resolve, reject) => {
      let stdout = "";
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString("utf8");
        const ready = /ready (\d+) (\d+)\n/.exec(stdout);
        if (ready) resolve([Number(ready[1]), Number(ready[2])]);
      });
      void exited.then(() => reject(new Error(`ended before it was ready:\n${stderr}`)));
    });
    return { child, pids, stderr: () => stderr, exited };
  }

  it("waits for it, runs the steps once a second signal has killed it and its process group, and ends by the first signal", async () => {
    const { child, pids, stderr, exited } = await started();
    try {
      child.kill("SIGTERM");
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      // Still waiting for the child: no step has run, the process has not ended.
      expect([stderr(), child.exitCode, child.signalCode, pids.every(alive)]).toEqual(["", null, null, true]);
      child.kill("SIGINT");
      expect(await exited).toEqual([null, "SIGTERM"]);
      expect(stderr()).toBe("step ran, the shell alive: false\n");
      expect(pids.filter(alive)).toEqual([]);
    } finally {
      for (const pid of pids) if (alive(pid)) process.kill(pid, "SIGKILL");
    }
  }, 30_000);

  it(`kills it and its process group after ${CHILD_STOP_MS / 1000} s, then runs the steps`, async () => {
    const { child, pids, stderr, exited } = await started();
    try {
      const signalled = Date.now();
      child.kill("SIGINT");
      expect(await exited).toEqual([null, "SIGINT"]);
      const waited = Date.now() - signalled;
      expect(waited).toBeGreaterThanOrEqual(CHILD_STOP_MS);
      expect(waited).toBeLessThan(CHILD_STOP_MS + 10_000);
      expect(stderr()).toBe("step ran, the shell alive: false\n");
      expect(pids.filter(alive)).toEqual([]);
    } finally {
      for (const pid of pids) if (alive(pid)) process.kill(pid, "SIGKILL");
    }
  }, CHILD_STOP_MS + 30_000);
});

/** The grace `stopWhenOrphaned` is given where these tests call it directly. */
const GRACE_MS = 3_000;

/**
 * A process that starts a child in a process group of its own and is then killed outright (SIGKILL: no handler runs).
 * `registered`: the child registered with `stopOnInterrupt` (which watches it with the default signal and grace);
 * otherwise watched by `stopWhenOrphaned` alone, with a grace of `GRACE_MS`. `stubborn`: the child is a shell that
 * ignores SIGINT, SIGTERM and SIGHUP, as its sleep does. `leaveSleep`: the shell exits after 3 s, its sleep left
 * running in its group. Prints the pids of the shell, its sleep and the watcher.
 */
const orphanScript = (registered: boolean, stubborn: boolean, seconds: number, leaveSleep = false) => `
import { spawn } from "node:child_process";
import { stopOnInterrupt, stopWhenOrphaned } from ${JSON.stringify(join(import.meta.dirname, "interrupt.ts"))};
const child = spawn("sh", ["-c", "${stubborn ? "trap '' INT TERM HUP; " : ""}sleep ${seconds} & echo $!; ${leaveSleep ? "sleep 3; exit 0" : "wait"}"], { stdio: ["ignore", "pipe", "ignore"], detached: true });
${registered ? "stopOnInterrupt(child);" : `const watcher = stopWhenOrphaned(child, "SIGTERM", ${GRACE_MS});`}
child.on("exit", () => process.stdout.write("child ended\\n"));
child.stdout.once("data", (pid) => process.stdout.write("ready " + child.pid + " " + pid.toString().trim() + " ${registered ? "" : '" + watcher.pid + "'}\\n"));
setInterval(() => undefined, 1000);
`;

/** The watchers `stopWhenOrphaned` started for the child `pid` (by their command line). */
function watchersOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || !alive(Number(entry))) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (args[1] === "-e" && args[2]?.includes("process.ppid") && args[4] === String(pid)) found.push(Number(entry));
    } catch {
      // ended meanwhile
    }
  }
  return found;
}

async function until(condition: () => boolean, ms: number): Promise<number> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return Date.now() - start;
}

describe("stopWhenOrphaned: the child of a process killed outright", () => {
  async function started(registered: boolean, stubborn: boolean, seconds = 60, leaveSleep = false) {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", orphanScript(registered, stubborn, seconds, leaveSleep)], { stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    const exited = once(child, "exit");
    const pids = await new Promise<number[]>((resolve, reject) => {
      child.stdout.on("data", () => {
        const ready = /ready (\d+) (\d+) ?(\d*)\n/.exec(stdout);
        if (ready) resolve(ready.slice(1).filter(Boolean).map(Number));
      });
      void exited.then(() => reject(new Error(`ended before it was ready:\n${stdout}`)));
    });
    return { child, pids, stdout: () => stdout, exited };
  }

  it(`registered with stopOnInterrupt: its watcher passes SIGTERM to its process group, well before the ${CHILD_STOP_MS / 1000} s grace`, async () => {
    const { child, pids, exited } = await started(true, false);
    const watchers = watchersOf(pids[0]!);
    try {
      expect(watchers).toHaveLength(1);
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect(pids.every(alive)).toBe(true); // the watcher leaves a child alone while its parent lives
      child.kill("SIGKILL");
      await exited;
      // Ended by the signal (within about half a second; loaded machines take longer), not by the SIGKILL after the grace.
      const took = await until(() => !pids.some(alive), CHILD_STOP_MS + 5_000);
      expect(took).toBeLessThan(CHILD_STOP_MS / 2);
      await until(() => !watchers.some(alive), 5_000);
    } finally {
      for (const pid of [...pids, ...watchers]) if (alive(pid)) process.kill(pid, "SIGKILL");
    }
  }, 30_000);

  it("a child that ignores the signal is killed with its process group after the grace", async () => {
    const { child, pids, exited } = await started(false, true);
    try {
      child.kill("SIGKILL");
      await exited;
      const killedAt = Date.now();
      await new Promise((resolve) => setTimeout(resolve, GRACE_MS / 2));
      // Signalled (within half a second), ignoring it, within its grace.
      if (Date.now() - killedAt < GRACE_MS) expect(pids.slice(0, 2).every(alive)).toBe(true);
      await until(() => !pids.some(alive), GRACE_MS + 10_000);
    } finally {
      for (const pid of pids) if (alive(pid)) process.kill(pid, "SIGKILL");
    }
  }, 30_000);

  it("the watcher ends by itself once its child's process group is gone, and at once when stopOnInterrupt's child exits", async () => {
    // Alone: the shell and its sleep end after a second; the watcher notices the group gone.
    {
      const { child, pids, stdout } = await started(false, false, 1);
      const watcher = pids[2]!;
      try {
        expect(alive(watcher)).toBe(true);
        await until(() => stdout().includes("child ended"), 10_000);
        await until(() => !alive(watcher), 10_000);
        expect(child.exitCode).toBeNull(); // its parent still runs
      } finally {
        child.kill("SIGKILL");
        for (const pid of pids) if (alive(pid)) process.kill(pid, "SIGKILL");
      }
    }
    // Registered: the shell exits, leaving its sleep in the group, so only stopOnInterrupt's end() can end the watcher.
    {
      const { child, pids, stdout } = await started(true, false, 60, true);
      const watchers = watchersOf(pids[0]!);
      try {
        expect(watchers).toHaveLength(1);
        await until(() => stdout().includes("child ended"), 10_000);
        await until(() => !watchers.some(alive), 10_000);
        expect(alive(pids[1]!)).toBe(true); // the group was not gone
        expect(child.exitCode).toBeNull();
      } finally {
        child.kill("SIGKILL");
        for (const pid of [...pids, ...watchers]) if (alive(pid)) process.kill(pid, "SIGKILL");
      }
    }
  }, 60_000);
});
