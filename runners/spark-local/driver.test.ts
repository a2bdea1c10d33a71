/**
 * `driver.py` stopped while a job runs: by SIGINT (what the runner passes on when it is interrupted), and by the end
 * of the process that started it (killed outright, so that nothing stops the driver). Either way the driver must
 * cancel the job and end soon, with its JVM, and remove its scratch folder, instead of finishing the job alone: a
 * flatten job left running wrote its files beside those of the next run into the same output folder.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensurePythonEnv } from "../../toolchain/python-env.js";

const ROOT = join(import.meta.dirname, "..", "..");
const work = mkdtempSync(join(tmpdir(), "spark-driver-stop-"));
let python: string;

beforeAll(async () => {
  python = (await ensurePythonEnv("spark", { root: ROOT, log: (line) => process.stderr.write(`${line}\n`) })).python;
}, 600_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The live processes (zombies left out) of the process group `pgid`. */
function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const [state, , group] = readFileSync(`/proc/${entry}/stat`, "utf8").replace(/^.*\) /s, "").split(" ");
      if (state !== "Z" && Number(group) === pgid) members.push(Number(entry));
    } catch {
      // ended meanwhile
    }
  }
  return members;
}

async function waitUntil(done: () => boolean, ms: number): Promise<boolean> {
  for (const deadline = Date.now() + ms; !done() && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 100));
  return done();
}

/**
 * `driver.py` started by `parent` (this process, or a Node process in between), in a process group of its own and
 * with a temporary folder of its own, running a job that takes minutes once it has answered it is ready.
 */
async function driverWithJob(name: string, between: boolean): Promise<{ started: ChildProcess; driverPid: number; temp: string }> {
  const temp = join(work, name);
  rmSync(temp, { recursive: true, force: true });
  mkdirSync(temp);
  const env = { ...process.env, TMPDIR: temp, PYSPARK_PYTHON: python, PYSPARK_DRIVER_PYTHON: python, PYTHONUNBUFFERED: "1", SPARK_LOCAL_THREADS: "1" };
  const script = join(ROOT, "runners", "spark-local", "driver.py");
  const started = between
    ? spawn(process.execPath, ["-e", `const c = require("node:child_process").spawn(${JSON.stringify(python)}, [${JSON.stringify(script)}], { stdio: [0, 1, 2, 3] }); process.stderr.write("driver " + c.pid + "\\n");`], { env, stdio: ["pipe", "pipe", "pipe", "pipe"], detached: true })
    : spawn(python, [script], { env, stdio: ["pipe", "pipe", "pipe", "pipe"], detached: true });
  let output = "";
  const keep = (chunk: Buffer) => (output = (output + chunk.toString("utf8")).slice(-20_000));
  started.stdout!.on("data", keep);
  started.stderr!.on("data", keep);
  const answers = createInterface({ input: started.stdio[3] as Readable });
  await new Promise<void>((resolve, reject) => {
    answers.once("line", () => resolve());
    started.once("exit", (code) => reject(new Error(`the driver did not start (exit ${code}):\n${output}`)));
  });
  // Minutes of work on one thread (a sum over 10^12 generated rows).
  (started.stdin as Writable).write(`${JSON.stringify({ id: 1, sql: "SELECT sum(id) AS total FROM range(0, 1000000000000)" })}\n`);
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const driverPid = between ? Number(/driver (\d+)/.exec(output)![1]) : started.pid!;
  return { started, driverPid, temp };
}

describe("the Spark driver stopped while a job runs", () => {
  it("by SIGINT: cancels the job, stops the session, removes its scratch folder and ends, with its JVM", async () => {
    const { started, driverPid, temp } = await driverWithJob("sigint", false);
    try {
      expect(groupMembers(driverPid).length).toBeGreaterThan(1); // the driver and its JVM
      expect(readdirSync(temp)).toEqual([expect.stringMatching(/^spark-local-/)]);
      started.kill("SIGINT");
      expect(await waitUntil(() => started.exitCode !== null || started.signalCode !== null, 15_000)).toBe(true);
      expect(await waitUntil(() => groupMembers(driverPid).length === 0, 5_000)).toBe(true);
      expect(readdirSync(temp)).toEqual([]);
    } finally {
      for (const pid of groupMembers(driverPid)) process.kill(pid, "SIGKILL");
    }
  }, 120_000);

  it("by the end of the process that started it (killed outright): ends too, with its JVM", async () => {
    const { started, driverPid, temp } = await driverWithJob("orphaned", true);
    const group = started.pid!;
    try {
      expect(groupMembers(group)).toContain(driverPid);
      started.kill("SIGKILL");
      expect(await waitUntil(() => groupMembers(group).length === 0, 15_000)).toBe(true);
      expect(readdirSync(temp)).toEqual([]);
    } finally {
      for (const pid of groupMembers(group)) process.kill(pid, "SIGKILL");
    }
  }, 120_000);
});
