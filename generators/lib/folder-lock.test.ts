/**
 * `folder-lock.ts`: in this process (held, free, ownerless locks), and between real processes started together on
 * locks whose holder is dead, where exactly one may take each lock over and none may crash.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { handOverLock, tryLock } from "./folder-lock.js";

const work = mkdtempSync(join(tmpdir(), "folder-lock-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const module = JSON.stringify(join(import.meta.dirname, "folder-lock.ts"));
/** A pid no process has any more (that of a process which has ended). */
const deadPid = () => spawnSync("true").pid!;

/** A lock folder as earlier versions wrote it: the holder's pid in the file `pid`. */
function legacyLock(mutex: string, pid: number): void {
  mkdirSync(mutex);
  writeFileSync(join(mutex, "pid"), `${pid}\n`);
}

describe("tryLock in one process", () => {
  it("takes a free lock, which it then reports held by this process, and leaves no other folder", () => {
    const dir = join(work, "free");
    mkdirSync(dir);
    const mutex = join(dir, "a.lock");
    expect(tryLock(mutex)).toEqual({ taken: true });
    expect(tryLock(mutex)).toEqual({ taken: false, owner: process.pid });
    expect(readdirSync(dir)).toEqual(["a.lock"]);
    expect(readdirSync(mutex)).toEqual([expect.stringMatching(new RegExp(`^pid-${process.pid}-[0-9a-f]+$`))]);
  });

  it("leaves a lock whose holder is alive (earlier versions' pid file too)", () => {
    const mutex = join(work, "alive.lock");
    legacyLock(mutex, process.ppid);
    expect(tryLock(mutex)).toEqual({ taken: false, owner: process.ppid });
    expect(readdirSync(mutex)).toEqual(["pid"]);
  });

  it("takes over a lock whose holder has ended", () => {
    const mutex = join(work, "dead.lock");
    legacyLock(mutex, deadPid());
    expect(tryLock(mutex)).toEqual({ taken: true });
    expect(tryLock(mutex)).toEqual({ taken: false, owner: process.pid });
  });

  it("takes an empty lock folder at once (no lock is ever without its owner file), and leaves one holding other files", () => {
    const mutex = join(work, "empty.lock");
    mkdirSync(mutex);
    expect(tryLock(mutex)).toEqual({ taken: true });
    expect(tryLock(mutex)).toEqual({ taken: false, owner: process.pid });

    const cluttered = join(work, "cluttered.lock");
    mkdirSync(cluttered);
    writeFileSync(join(cluttered, "notes.txt"), "not the lock's\n");
    expect(tryLock(cluttered)).toEqual({ taken: false, owner: undefined });
    expect(readdirSync(cluttered)).toEqual(["notes.txt"]);
  });

  it("hands a held lock over to another process (a child that outlives its holder): held while it lives, taken over once it has ended", async () => {
    const mutex = join(work, "handed.lock");
    expect(tryLock(mutex)).toEqual({ taken: true });
    const child = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      handOverLock(mutex, child.pid!);
      expect(tryLock(mutex)).toEqual({ taken: false, owner: child.pid });
      expect(readdirSync(mutex)).toEqual([expect.stringMatching(new RegExp(`^pid-${child.pid}-[0-9a-f]+$`))]);
    } finally {
      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("exit", resolve));
    }
    expect(tryLock(mutex)).toEqual({ taken: true });
    expect(() => handOverLock(join(work, "alive.lock"), 1)).toThrow(/does not hold it/);
  });
});

// Each process takes part in every trial: at the trial's start time (the same for all) it tries the trial's lock once;
// holding it, it creates the trial's marker file exclusively ('wx': EEXIST if another holder has it), holds for a
// while, removes the marker, then releases the lock. It prints one line per trial.
const contender = (locks: string[], start: number, periodMs: number, holdMs: number) => `
import { closeSync, openSync, rmSync, unlinkSync } from "node:fs";
import { tryLock } from ${module};
const locks = ${JSON.stringify(locks)};
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.max(0, ms));
for (const [trial, mutex] of locks.entries()) {
  const at = ${start} + trial * ${periodMs};
  sleep(at - Date.now() - 2);
  while (Date.now() < at);
  let outcome;
  try {
    const attempt = tryLock(mutex);
    if (attempt.taken) {
      try {
        closeSync(openSync(mutex + ".held", "wx"));
        sleep(${holdMs});
        unlinkSync(mutex + ".held");
        outcome = "held";
      } catch (error) {
        outcome = "held with another holder: " + error.code;
      }
      rmSync(mutex, { recursive: true, force: true });
    } else outcome = "waited";
  } catch (error) {
    outcome = "crashed: " + error.stack;
  }
  process.stdout.write(JSON.stringify({ trial, outcome }) + "\\n");
}
`;

function runNode(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("tryLock between processes", () => {
  it("lets one process at a time, of several started together, take over a dead holder's lock, and none crash", async () => {
    const dir = join(work, "contended");
    mkdirSync(dir);
    const trials = 24;
    const locks = Array.from({ length: trials }, (_, trial) => join(dir, `trial-${trial}.lock`));
    // Dead holders of both kinds: earlier versions' pid file, and a lock taken by a process that then ended.
    for (const mutex of locks.filter((_, trial) => trial % 2 === 0)) legacyLock(mutex, deadPid());
    const holder = await runNode(`import { tryLock } from ${module};\nfor (const mutex of ${JSON.stringify(locks.filter((_, trial) => trial % 2 === 1))}) if (!tryLock(mutex).taken) process.exit(1);`);
    expect(holder.code, holder.stderr).toBe(0);

    const processes = 4;
    // Started well after the processes have loaded (tsx takes a while on a busy machine).
    const start = Date.now() + 4_000;
    const runs = await Promise.all(Array.from({ length: processes }, () => runNode(contender(locks, start, 150, 60))));
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    const outcomes = runs.flatMap((run) => run.stdout.trim().split("\n").map((line) => JSON.parse(line) as { trial: number; outcome: string }));
    expect(outcomes).toHaveLength(trials * processes);
    expect(outcomes.filter((o) => o.outcome !== "held" && o.outcome !== "waited")).toEqual([]);
    // Each trial's lock was taken over (a contender descheduled past the holder's release may take it again, after).
    for (let trial = 0; trial < trials; trial++) expect(outcomes.some((o) => o.trial === trial && o.outcome === "held"), `trial ${trial}`).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
    expect(existsSync(locks[0]!)).toBe(false);
  }, 30_000);
});
