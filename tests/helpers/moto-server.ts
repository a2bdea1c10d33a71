/**
 * A moto server (pinned in toolchain/python/aws.in) on loopback on a free port, in a Python child process
 * (tests/helpers/moto-server.py). `stop()` ends it; a server whose test process dies stops by itself, because it
 * runs until its standard input closes.
 */
import { spawn, type ChildProcessByStdio } from "node:child_process";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { ensurePythonEnv } from "../../toolchain/python-env.js";
import { REPO_ROOT } from "./data.js";

const SERVER_SCRIPT = join(REPO_ROOT, "tests/helpers/moto-server.py");
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

export interface MotoServer {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** The server's own log (werkzeug requests, tracebacks of 500s), last 64 KB: for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/** moto accepts any credentials; requests are signed with this placeholder, which names no account. */
const PLACEHOLDER_CREDENTIAL = "moto-placeholder";

/**
 * The environment of every Python process that talks to moto: placeholder credentials (real ones, if any, are never
 * passed on), and no proxy for loopback.
 */
export function motoProcessEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("AWS_")) env[key] = value;
  return {
    ...env,
    AWS_ACCESS_KEY_ID: PLACEHOLDER_CREDENTIAL,
    AWS_SECRET_ACCESS_KEY: PLACEHOLDER_CREDENTIAL,
    AWS_EC2_METADATA_DISABLED: "true",
    NO_PROXY: "127.0.0.1,localhost",
    no_proxy: "127.0.0.1,localhost",
    PYTHONDONTWRITEBYTECODE: "1",
  };
}

export interface MotoServerOptions {
  /**
   * The file moto's request recorder writes to (MOTO_RECORDER_FILEPATH; otherwise `moto_recording` in the repository).
   * Recording starts with POST /moto-api/recorder/start-recording and is read with GET
   * /moto-api/recorder/download-recording (https://docs.getmoto.org/en/latest/docs/server_mode.html#recorder).
   */
  readonly recordTo?: string;
}

export async function startMotoServer(options: MotoServerOptions = {}): Promise<MotoServer> {
  const { python } = await ensurePythonEnv("aws", { root: REPO_ROOT });
  const child: ChildProcessByStdio<Writable, Readable, Readable> = spawn(python, [SERVER_SCRIPT], {
    cwd: REPO_ROOT,
    env: { ...motoProcessEnv(), ...(options.recordTo ? { MOTO_RECORDER_FILEPATH: options.recordTo } : {}) },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let log = "";
  child.stderr.on("data", (chunk: Buffer) => {
    log = (log + chunk.toString("utf8")).slice(-64_000);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  // A test process that exits without calling stop(): its pipes close and the server stops on its own; this
  // covers the exit paths that still run handlers.
  process.once("exit", kill);

  const stop = async () => {
    process.off("exit", kill);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin.end();
    const timer = setTimeout(kill, STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  try {
    const port = await new Promise<number>((resolve, reject) => {
      let stdout = "";
      const timer = setTimeout(() => reject(new Error(`moto server did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString("utf8");
        const line = stdout.split("\n")[0]!;
        if (stdout.includes("\n")) {
          clearTimeout(timer);
          const parsed = JSON.parse(line) as { port?: unknown };
          if (typeof parsed.port === "number") resolve(parsed.port);
          else reject(new Error(`moto server printed ${line} instead of {"port": N}`));
        }
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`moto server exited (${signal ?? `exit ${code}`}) before listening`));
      });
      child.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    return { endpoint: `http://127.0.0.1:${port}`, log: () => log, stop };
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}. Its output:\n${log.trimEnd().split("\n").slice(-30).join("\n")}`);
  }
}
