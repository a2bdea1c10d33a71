/**
 * Deploys a dataset's pipeline into a running moto server and runs it, with boto3 from the "aws" Python
 * environment (tests/helpers/moto-pipeline.py): the AWS SDK for JavaScript has only its S3 client here. One Python
 * process answers all requests of a driver (one JSON line each way): boto3 loads once per driver, not per request.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { ensurePythonEnv } from "../../toolchain/python-env.js";
import { REPO_ROOT } from "./data.js";
import { motoProcessEnv, type MotoServer } from "./moto-server.js";

const DRIVER = join(REPO_ROOT, "tests/helpers/moto-pipeline.py");

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface Upload {
  readonly bucket: string;
  readonly key: string;
  readonly body: string;
}

export interface Deployment {
  readonly region: string;
  readonly roles: readonly { readonly name: string; readonly service: string }[];
  readonly buckets: readonly { readonly name: string; readonly eventbridge: boolean }[];
  /** Objects put before anything listens to S3's events (the Glue scripts). */
  readonly uploads: readonly Upload[];
  readonly glueJobs: readonly {
    readonly name: string;
    readonly description: string;
    /** Name of one of `roles`. */
    readonly role: string;
    readonly scriptLocation: string;
    readonly glueVersion: string;
    readonly workerType: string;
    readonly numberOfWorkers: number;
    readonly timeout: number;
    readonly maxConcurrentRuns: number;
  }[];
  readonly topicName: string;
}

export interface Deployed {
  readonly roleArns: Record<string, string>;
  readonly topicArn: string;
}

export interface PipelineRun {
  readonly region: string;
  readonly stateMachine: { readonly name: string; readonly definition: string; readonly roleArn: string };
  readonly rule: { readonly name: string; readonly eventPattern: Json };
  /** Objects put once the rule listens: each one S3 reports to EventBridge. */
  readonly uploads: readonly Upload[];
  /** Jobs whose runs are reported (null in the report: the job does not exist). */
  readonly jobNames: readonly string[];
}

export interface HistoryEvent {
  readonly id: number;
  readonly type: string;
  /** The event's `…EventDetails` member, if any. */
  readonly details: Record<string, any> | null;
}

export interface Execution {
  readonly name: string;
  readonly status: string;
  /** Set when the execution failed (DescribeExecution's error). */
  readonly error: string | null;
  /** Set when it succeeded: the final state's output, JSON text. */
  readonly output: string | null;
  readonly history: readonly HistoryEvent[];
}

export interface GlueJobRun {
  readonly Id: string;
  readonly JobName: string;
  readonly JobRunState: string;
  readonly StartedOn: string;
  readonly Arguments?: Record<string, string>;
}

export interface PipelineReport {
  /** What the rule's target received (EventBridge's envelope around S3's event), in order. */
  readonly deliveredEvents: readonly Record<string, any>[];
  /** One per delivered event. */
  readonly executions: readonly Execution[];
  readonly jobRuns: Record<string, GlueJobRun[] | null>;
  /** SNS envelopes received by a queue subscribed to the failure topic. */
  readonly notifications: readonly { readonly TopicArn: string; readonly Subject?: string; readonly Message: string }[];
}

export interface PipelineDriver {
  /** Resets the server, then creates what Terraform would, except the state machine and the event rule. */
  deploy(deployment: Deployment): Promise<Deployed>;
  /** Creates the state machine and the rule, puts the objects, runs every delivered event to the end. */
  run(run: PipelineRun): Promise<PipelineReport>;
  close(): Promise<void>;
}

const CLOSE_TIMEOUT_MS = 5_000;

export async function openPipelineDriver(server: MotoServer): Promise<PipelineDriver> {
  const { python } = await ensurePythonEnv("aws", { root: REPO_ROOT });
  const child = spawn(python, [DRIVER], { cwd: REPO_ROOT, env: motoProcessEnv(), stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-16_000);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const pending: { phase: string; resolve: (value: unknown) => void; reject: (error: Error) => void }[] = [];
  const failure = (phase: string, what: string) => {
    const serverLog = server.log().trimEnd().split("\n").slice(-40).join("\n");
    return new Error(`moto-pipeline.py ${phase} failed: ${what}\nmoto server log (tail):\n${serverLog}`);
  };
  createInterface({ input: child.stdout }).on("line", (line) => {
    const request = pending.shift();
    if (!request) return;
    const answer = JSON.parse(line) as { result?: unknown; error?: string };
    if (answer.error !== undefined) request.reject(failure(request.phase, answer.error));
    else request.resolve(answer.result);
  });
  child.once("exit", (code, signal) => {
    for (const request of pending.splice(0)) request.reject(failure(request.phase, `the driver exited (${signal ?? `exit ${code}`}): ${stderr}`));
  });
  child.once("error", (error) => {
    for (const request of pending.splice(0)) request.reject(error);
  });

  const ask = <T>(phase: "deploy" | "run", spec: object) =>
    new Promise<T>((resolve, reject) => {
      if (child.exitCode !== null || child.signalCode !== null) return reject(failure(phase, `the driver is not running: ${stderr}`));
      pending.push({ phase, resolve: resolve as (value: unknown) => void, reject });
      child.stdin.write(`${JSON.stringify({ phase, spec: { endpoint: server.endpoint, ...spec } })}\n`);
    });
  return {
    deploy: (deployment) => ask<Deployed>("deploy", deployment),
    run: (run) => ask<PipelineReport>("run", run),
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin.end();
      const timer = setTimeout(() => child.kill("SIGKILL"), CLOSE_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
