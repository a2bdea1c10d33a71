/**
 * `interrupt.ts` in a real process stopped by a real signal or a broken pipe: registered folders removed, steps run
 * last registered first, released steps not run, a child process stopped on SIGTERM and on a broken pipe (and left to
 * the terminal on SIGINT), and the process ended by the signal it got (exit 141 on a broken pipe).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

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
const sleeper = spawn("sleep", ["30"], { stdio: "ignore" });
stopOnInterrupt(sleeper);
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
        // SIGTERM is passed on to the child; Ctrl-C's SIGINT reaches it from the terminal, not from here.
        for (let waited = 0; alive(sleeper) && waited < 2_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
        expect(alive(sleeper)).toBe(signal === "SIGINT");
      } finally {
        if (alive(sleeper)) process.kill(sleeper, "SIGKILL");
      }
    }, 30_000);
  }
});
