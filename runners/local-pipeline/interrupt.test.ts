/**
 * `npm run pipeline:local` stopped mid-run (Ctrl-C, SIGTERM, a broken pipe): its scratch folder (about the input's size for large
 * inputs) must not stay in the temporary folder, and the output folder must not keep the last run's
 * run-summary.json beside tables this run has partly replaced. A real process of the command's launcher, on
 * synthetic reviews, signalled (or its progress's reader gone) once its log shows the records read. And signalled
 * alone (not its process group, as a supervisor or an IDE's stop button does) while dbt runs: dbt must not be left
 * running, nor the run's lock be released before it has ended. Stopped while it writes the cleaned zone, it must leave
 * no cut file there nor in the quarantine, whether it can clean up (SIGINT) or not (SIGKILL). Killed outright while dbt
 * runs, dbt must not go on alone.
 */
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { closeSync, createWriteStream, existsSync, fstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDatasetIR } from "../synth/cli.js";
import { CHILD_STOP_MS } from "../../generators/lib/interrupt.js";
import { RUN_LOCK } from "./cli.js";
import { synthesize } from "../synth/synthesize.js";

const ROOT = join(import.meta.dirname, "..", "..");
let work: string;
let input: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "pipeline-interrupt-"));
  input = join(work, "reviews.jsonl");
  // Enough records for the run to be mid-way for a second or more after reading them.
  const stream = synthesize(loadDatasetIR(ROOT, "review"), { records: 250_000, invalidRatio: 0.01, duplicateRatio: 0.01, seed: 7 });
  const out = createWriteStream(input);
  for (let next = stream.next(); !next.done; next = stream.next()) if (!out.write(`${next.value.line}\n`)) await once(out, "drain");
  out.end();
  await once(out, "finish");
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** "SIGPIPE": the reader of the run's progress (stderr) goes away, as with `2>&1 | head`. */
async function interrupted(signal: "SIGINT" | "SIGTERM" | "SIGPIPE"): Promise<{ scratchWhileRunning: string[]; lockWhileRunning: boolean; lockAfter: boolean; scratchAfter: string[]; out: string; stderr: string; exit: { code: number | null; signal: string | null } }> {
  const temp = join(work, `tmp-${signal}`);
  const out = join(work, `out-${signal}`);
  mkdirSync(temp);
  mkdirSync(out);
  // The last run's summary, which this run's partly replaced tables must not be taken for.
  writeFileSync(join(out, "run-summary.json"), '{"runId":"the-last-run"}\n');
  const child = spawn(process.execPath, ["runners/local-pipeline/launch.mjs", "--input", `review=${input}`, "--out", out, "--no-warehouse"], {
    cwd: ROOT,
    env: { ...process.env, TMPDIR: temp },
  });
  let stderr = "";
  let scratchWhileRunning: string[] = [];
  let lockWhileRunning = false;
  child.stdout.resume();
  const exited = once(child, "exit") as Promise<[number | null, string | null]>;
  await new Promise<void>((resolve, reject) => {
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
      if (scratchWhileRunning.length === 0 && /review: [\d,]+ records read/.test(stderr)) {
        scratchWhileRunning = readdirSync(temp).filter((f) => f.startsWith("local-pipeline-"));
        lockWhileRunning = existsSync(join(out, RUN_LOCK));
        if (signal === "SIGPIPE") child.stderr.destroy();
        else child.kill(signal);
        resolve();
      }
    });
    void exited.then(() => reject(new Error(`the run ended before it was signalled:\n${stderr}`)));
  });
  const [code, endedBy] = await exited;
  return { scratchWhileRunning, lockWhileRunning, lockAfter: existsSync(join(out, RUN_LOCK)), scratchAfter: readdirSync(temp).filter((f) => f.startsWith("local-pipeline-")), out, stderr, exit: { code, signal: endedBy } };
}

describe("pipeline:local interrupted", () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`by ${signal}: removes its scratch folder, its run lock and the last run's summary, says what is left, and ends by the signal`, async () => {
      const r = await interrupted(signal);
      expect(r.scratchWhileRunning).toHaveLength(1);
      expect(r.scratchAfter).toEqual([]);
      expect([r.lockWhileRunning, r.lockAfter]).toEqual([true, false]);
      expect(existsSync(join(r.out, "run-summary.json"))).toBe(false);
      expect(r.stderr).toContain(`error PIPELINE.INTERRUPTED: stopped by ${signal} before the run completed. ${r.out} is incomplete`);
      expect(r.exit).toEqual({ code: null, signal });
    }, 120_000);
  }
  it("by a broken pipe (the reader of its progress went away): removes its scratch folder, its run lock and the last run's summary, and exits 141", async () => {
    const r = await interrupted("SIGPIPE");
    expect(r.scratchWhileRunning).toHaveLength(1);
    expect(r.scratchAfter).toEqual([]);
    expect([r.lockWhileRunning, r.lockAfter]).toEqual([true, false]);
    expect(existsSync(join(r.out, "run-summary.json"))).toBe(false);
    expect(r.exit).toEqual({ code: 141, signal: null });
  }, 120_000);
});

const CLEANED = "amazon-reviews-cleaned/reviews";
const QUARANTINE = "amazon-reviews-quarantine/reviews";

/**
 * Starts the command on the synthetic reviews into `out` as run `runId`, and once its log says the records are typed
 * (the cleaned zone's write starts right after, in the same step) calls `when` until it returns true, then sends
 * `signal` to the process. Resolves with its stderr once it has ended.
 */
async function stopWhileCleaning(out: string, runId: string, signal: "SIGINT" | "SIGKILL", when: () => boolean): Promise<{ stderr: string; exit: { code: number | null; signal: string | null } }> {
  // Its scratch folder under the test's own folder: a process killed outright cannot remove it.
  const temp = mkdtempSync(join(work, "tmp-"));
  const child = spawn(process.execPath, ["runners/local-pipeline/launch.mjs", "--input", `review=${input}`, "--out", out, "--no-warehouse", "--run-id", runId], { cwd: ROOT, env: { ...process.env, TMPDIR: temp } });
  let stderr = "";
  child.stdout.resume();
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const exited = once(child, "exit") as Promise<[number | null, string | null]>;
  let ended = false;
  void exited.then(() => (ended = true));
  while (!ended && !/^review: typed$/m.test(stderr)) await new Promise((resolve) => setTimeout(resolve, 5));
  while (!ended && !when()) await new Promise((resolve) => setTimeout(resolve, 5));
  if (ended) throw new Error(`the run ended before it was signalled:\n${stderr}`);
  child.kill(signal);
  const [code, endedBy] = await exited;
  return { stderr, exit: { code, signal: endedBy } };
}

/** The files under `dir` (a path relative to it each), none when it does not exist. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

/** Whether the file ends with a Parquet footer's magic bytes (a cut file does not). */
function endsWithParquetMagic(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    if (size < 8) return false;
    const tail = Buffer.alloc(4);
    readSync(fd, tail, 0, 4, size - 4);
    return tail.toString("latin1") === "PAR1";
  } finally {
    closeSync(fd);
  }
}

describe("pipeline:local interrupted while it writes the cleaned zone", () => {
  it("by SIGINT: removes this run's cleaned and quarantine folders, so that the same command run again leaves a readable cleaned zone of its run alone", async () => {
    const out = join(work, "out-cleaning");
    const r = await stopWhileCleaning(out, "stopped-while-cleaning", "SIGINT", () => true);
    expect(r.exit).toEqual({ code: null, signal: "SIGINT" });
    expect(r.stderr).toContain("error PIPELINE.INTERRUPTED: stopped by SIGINT before the run completed.");
    // Before, the cut part-00000.parquet (no footer) and the complete quarantine file stayed.
    expect(filesUnder(join(out, CLEANED))).toEqual([]);
    expect(filesUnder(join(out, QUARANTINE))).toEqual([]);

    // The fix the message gives: the same command again (a run id of its own, as by default).
    const again = spawn(process.execPath, ["runners/local-pipeline/launch.mjs", "--input", `review=${input}`, "--out", out, "--no-warehouse", "--run-id", "run-again"], { cwd: ROOT, stdio: "ignore" });
    const [code] = (await once(again, "exit")) as [number | null];
    expect(code).toBe(0);
    expect(filesUnder(join(out, CLEANED))).toEqual(["run_id=run-again/part-00000.parquet"]);
    const summary = JSON.parse(readFileSync(join(out, "run-summary.json"), "utf8")) as { datasets: { review: { valid: number } } };
    const connection = await (await DuckDBInstance.create(":memory:")).connect();
    const rows = (await connection.runAndReadAll(`SELECT count(*)::INTEGER FROM read_parquet('${join(out, CLEANED)}/*/*.parquet')`)).getRows();
    connection.closeSync();
    expect(rows).toEqual([[summary.datasets.review.valid]]);
  }, 120_000);

  it("by SIGKILL (no clean-up at all) once the cleaned file is being written: no file at a name readers take (*.parquet) is cut", async () => {
    const out = join(work, "out-killed-while-cleaning");
    const runFolder = join(out, CLEANED, "run_id=killed-while-cleaning");
    const r = await stopWhileCleaning(out, "killed-while-cleaning", "SIGKILL", () => existsSync(runFolder) && readdirSync(runFolder).length > 0);
    expect(r.exit).toEqual({ code: null, signal: "SIGKILL" });
    const parquet = filesUnder(join(out, CLEANED)).filter((f) => f.endsWith(".parquet"));
    // Before, part-00000.parquet was there without its footer.
    expect(parquet.filter((f) => !endsWithParquetMagic(join(out, CLEANED, f)))).toEqual([]);
  }, 120_000);
});

/** The live processes (not zombies) whose command line or environment holds `text`, but `except`. */
function processesHolding(text: string, except: number | undefined): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === except || pid === process.pid) continue;
    try {
      if (/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"))) continue;
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(text) || readFileSync(`/proc/${pid}/environ`, "utf8").includes(text)) found.push(pid);
    } catch {
      // ended meanwhile, or another user's
    }
  }
  return found;
}

/** The files named `name` anywhere under `folder`. */
function filesNamed(folder: string, name: string): string[] {
  return (readdirSync(folder, { recursive: true, encoding: "utf8" }) as string[]).filter((path) => path.split("/").pop() === name);
}

describe("pipeline:local interrupted while a child process runs", () => {
  it("by SIGINT to its own process alone during dbt: passes it on, removes its lock only once dbt has ended, and leaves no process of the run behind", async () => {
    const out = join(work, "out-dbt");
    // The shipped samples, and the warehouse step: dbt (a child process whose environment names the output folder).
    const child = spawn(process.execPath, ["runners/local-pipeline/launch.mjs", "--out", out, "--run-id", "interrupted-in-dbt"], { cwd: ROOT });
    let stderr = "";
    child.stdout.resume();
    const exited = once(child, "exit") as Promise<[number | null, string | null]>;
    let ended = false;
    void exited.then(() => (ended = true));
    // The processes of the run besides the command, taken just before the signal (dbt may be gone right after it).
    let childrenAtSignal: number[] = [];
    await new Promise<void>((resolve, reject) => {
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString("utf8");
        if (/^dbt: /m.test(stderr) && !child.killed) {
          childrenAtSignal = processesHolding(out, child.pid);
          child.kill("SIGINT");
          resolve();
        }
      });
      void exited.then(() => reject(new Error(`the run ended before dbt started:\n${stderr}`)));
    });
    // Until the command has ended: whenever a process of the run is alive, the lock must be there.
    const unlockedWhileRunning: number[][] = [];
    while (!ended) {
      const lock = existsSync(join(out, RUN_LOCK));
      const alive = processesHolding(out, child.pid);
      if (!lock && alive.length > 0 && !ended) unlockedWhileRunning.push(alive);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const [code, endedBy] = await exited;
    const leftBehind = processesHolding(out, undefined);
    for (const pid of leftBehind) process.kill(pid, "SIGKILL");
    expect(childrenAtSignal.length).toBeGreaterThan(0);
    expect(leftBehind).toEqual([]);
    expect(unlockedWhileRunning).toEqual([]);
    expect(existsSync(join(out, RUN_LOCK))).toBe(false);
    expect(stderr).toContain(`error PIPELINE.INTERRUPTED: stopped by SIGINT during the warehouse step.`);
    expect({ code, endedBy }).toEqual({ code: null, endedBy: "SIGINT" });
  }, 120_000);

  it("killed outright (SIGKILL) during dbt: dbt does not go on alone, and a next run into the folder takes the dead run's lock", async () => {
    const out = join(work, "out-dbt-killed");
    const child = spawn(process.execPath, ["runners/local-pipeline/launch.mjs", "--out", out, "--run-id", "killed-in-dbt"], { cwd: ROOT });
    let stderr = "";
    child.stdout.resume();
    const exited = once(child, "exit");
    // The processes of the run besides the command, taken just before it is killed: the watcher may stop dbt before
    // the command's exit reaches this test, so a look after the exit can find none.
    let atKill: number[] = [];
    await new Promise<void>((resolve, reject) => {
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString("utf8");
        if (/^dbt: /m.test(stderr) && !child.killed) {
          atKill = processesHolding(out, child.pid);
          child.kill("SIGKILL");
          resolve();
        }
      });
      void exited.then(() => reject(new Error(`the run ended before dbt started:\n${stderr}`)));
    });
    await exited;
    const killedAt = Date.now();
    let left = processesHolding(out, undefined);
    while (left.length > 0 && Date.now() - killedAt < 25_000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      left = processesHolding(out, undefined);
    }
    const took = Date.now() - killedAt;
    for (const pid of left) process.kill(pid, "SIGKILL");
    expect(atKill.length).toBeGreaterThan(0); // dbt was running when the command was killed
    expect(left).toEqual([]);
    expect(took).toBeLessThan(CHILD_STOP_MS + 2_000);
    // dbt was stopped, not left to finish: its first command (source freshness) writes sources.json at its end.
    expect(filesNamed(out, "sources.json")).toEqual([]);
    // The killed run's lock is left behind, and taken over as a dead process's.
    expect(existsSync(join(out, RUN_LOCK))).toBe(true);
    const again = spawnSync(process.execPath, ["runners/local-pipeline/launch.mjs", "--out", out, "--run-id", "after-the-kill", "--no-warehouse"], { cwd: ROOT, encoding: "utf8" });
    expect(again.status, again.stderr).toBe(0);
  }, 180_000);
});
