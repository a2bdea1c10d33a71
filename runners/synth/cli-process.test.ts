/**
 * `npm run synth` as a real process: what only a process shows (a location that made Node's folder creation loop
 * without end; Ctrl-C and SIGTERM during a run).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const work = mkdtempSync(join(tmpdir(), "synth-process-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Ended {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI (under tsx, as `npm run synth` does) with `env` added; killed after `limitMs`. */
function synth(args: readonly string[], options: { env?: Record<string, string>; limitMs?: number; onSpawn?: (child: ChildProcess) => void } = {}): Promise<Ended> {
  const child = spawn(process.execPath, ["--import", "tsx", "runners/synth/cli.ts", ...args], { cwd: ROOT, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("latin1")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.limitMs ?? 60_000);
  options.onSpawn?.(child);
  return new Promise((resolve) =>
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    }),
  );
}

describe("npm run synth (a process)", () => {
  it.skipIf(!existsSync("/proc/self"))("a folder that cannot be created (under /proc) fails at once with the cause; Node's recursive mkdir looped there", async () => {
    const r = await synth(["--dataset", "review", "--records", "10", "--quiet", "--tally", "/proc/nope/tally.json"], { limitMs: 30_000 });
    expect(r.signal).toBeNull();
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--tally: error SYNTH.WRITE: --tally /proc/nope/tally.json: cannot create the folder /proc/nope: ");
    expect(r.stdout).toBe("");
  }, 40_000);

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`stopped by ${signal} while writing --out: its temporary is removed, and it ends by the signal`, async () => {
      const folder = join(work, `stopped-${signal}`);
      mkdirSync(folder);
      const file = join(folder, "records.jsonl");
      const temporary = (pid: number) => `${file}.tmp-${pid}`;
      let sizeWhenSignalled = 0;
      // 5,000,000 reviews take about 90 s: signalled once the temporary holds some records.
      const r = await synth(["--dataset", "review", "--records", "5000000", "--quiet", "--out", file, "--tally", join(folder, "tally.json")], {
        limitMs: 60_000,
        onSpawn: (child) => {
          const poll = setInterval(() => {
            const size = statSync(temporary(child.pid!), { throwIfNoEntry: false })?.size ?? 0;
            if (size > 0) {
              clearInterval(poll);
              sizeWhenSignalled = size;
              child.kill(signal);
            }
          }, 20);
          child.once("exit", () => clearInterval(poll));
        },
      });
      expect(sizeWhenSignalled).toBeGreaterThan(0);
      expect({ code: r.code, signal: r.signal }).toEqual({ code: null, signal });
      expect(readdirSync(folder)).toEqual([]);
      expect(r.stderr).toContain(`synth: stopped by ${signal}; ${file} was not written (its temporary is removed).`);
    }, 70_000);
  }
});
