/**
 * `npm run synth` as a real process: what only a process shows (a location that made Node's folder creation loop
 * without end; Ctrl-C and SIGTERM during a run; the time zone and locale it starts in), and the bytes of a small fixed
 * run pinned by their sha256, in this process under other time zones and in processes started in them.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadDatasetIR } from "./cli.js";
import { synthesizeAll } from "./synthesize.js";

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
      // `<file>.tmp-<pid>-<random>`: the child's own, found by its pid.
      const temporary = (pid: number) => readdirSync(folder).find((name) => name.startsWith(`records.jsonl.tmp-${pid}-`)) ?? "none";
      let sizeWhenSignalled = 0;
      // 5,000,000 reviews take about 90 s: signalled once the temporary holds some records.
      const r = await synth(["--dataset", "review", "--records", "5000000", "--quiet", "--out", file, "--tally", join(folder, "tally.json")], {
        limitMs: 60_000,
        onSpawn: (child) => {
          const poll = setInterval(() => {
            const size = statSync(join(folder, temporary(child.pid!)), { throwIfNoEntry: false })?.size ?? 0;
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

/**
 * sha256 of `npm run synth -- --dataset <name> --records 300 --invalid-ratio 0.1 --duplicate-ratio 0.05 --seed 7`.
 * These change, legitimately, when the dataset's contract (so its generated IR), its profile (`profiles.ts`) or the
 * way values are drawn (`values.ts`, `pattern.ts`, `keys.ts`, `breakers.ts`, `prng.ts`, `synthesize.ts`) changes on
 * purpose: then update them and say why in the commit. They must not change with the machine, the time zone, the
 * locale or the Node version: the same arguments give the same bytes everywhere.
 */
const GOLDEN: Record<string, string> = {
  review: "7fd102bb6ceae8482c5a95083505a77b15c25cddf2e021f31171b7820c8ccafb",
  product: "cfd2ce633d858139b6fe025072be72add94e739154a61216cc17495414d34f72",
};
const FIXED_RUN = { records: 300, invalidRatio: 0.1, duplicateRatio: 0.05, seed: 7 };
const FIXED_ARGS = ["--records", "300", "--invalid-ratio", "0.1", "--duplicate-ratio", "0.05", "--seed", "7", "--quiet"];
/**
 * East of UTC by 14 hours and west of it by 3½ (or 2½): a date rendered in local time from midnight UTC moves a day
 * back west of UTC; a day drawn at local midnight is off the UTC day on either side.
 */
const ZONES = ["Pacific/Kiritimati", "America/St_Johns", "UTC"];

const sha256 = (text: string | Buffer) => createHash("sha256").update(text).digest("hex");

describe.each(Object.keys(GOLDEN))("the bytes of a fixed %s run", (name) => {
  it("are the golden ones in this process, whatever time zone it is in", () => {
    const ir = loadDatasetIR(ROOT, name);
    const before = process.env.TZ;
    try {
      for (const zone of ZONES) {
        process.env.TZ = zone; // Node reads TZ again when it is set
        const { records } = synthesizeAll(ir, FIXED_RUN);
        expect({ zone, sha256: sha256(records.map((r) => `${r.line}\n`).join("")) }).toEqual({ zone, sha256: GOLDEN[name] });
      }
    } finally {
      if (before === undefined) delete process.env.TZ;
      else process.env.TZ = before;
    }
  });

  it.each([
    { TZ: "Pacific/Kiritimati", LC_ALL: "de_DE.UTF-8", LANG: "de_DE.UTF-8" },
    { TZ: "America/St_Johns", LC_ALL: "ar_EG.UTF-8", LANG: "ar_EG.UTF-8" },
  ])("are the golden ones from a process started in TZ=$TZ LC_ALL=$LC_ALL", async (env) => {
    const r = await synth(["--dataset", name, ...FIXED_ARGS], { env });
    expect(r.code).toBe(0);
    expect(sha256(Buffer.from(r.stdout, "latin1"))).toBe(GOLDEN[name]);
  });
});
