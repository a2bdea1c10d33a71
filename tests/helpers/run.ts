/** Runs a real tool and returns its exit code and output (never throws on a non-zero exit). */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "./data.js";

export interface RunResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): RunResult {
  const result = spawnSync(command, [...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env ?? process.env,
    input: options.input,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

export const BIN = (name: string) => join(REPO_ROOT, "node_modules/.bin", name);
