/**
 * `npm run synth` as a real process: what only a process shows (a location that made Node's folder creation loop
 * without end).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
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
function synth(args: readonly string[], options: { env?: Record<string, string>; limitMs?: number } = {}): Promise<Ended> {
  const child = spawn(process.execPath, ["--import", "tsx", "runners/synth/cli.ts", ...args], { cwd: ROOT, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("latin1")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.limitMs ?? 60_000);
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
});
