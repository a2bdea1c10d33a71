/**
 * `npm run dag:test`: the generated DAG run by a real Airflow 3 (`airflow db migrate`, `airflow dags test`) on the
 * samples with the dbt profile's local target, each run in a fresh AIRFLOW_HOME. Each real Airflow run takes half a
 * minute (dbt's two commands most of it), so one run checks every scenario it can:
 * - the real command through the CLI's `main`: every task succeeds, exit 0, the temporary folder removed; with the
 *   failure topic's Variable set it publishes nothing, and with the refresh off nothing reaches AWS at all;
 * - the project-dir Variable pointing at a folder that does not exist, with the refresh and the alert on:
 *   dbt_source_freshness fails, dbt_build runs all the same and fails, the refresh is upstream_failed (nothing reaches
 *   QuickSight), the watcher publishes exactly one alert and fails the run, code 1, the folder kept and named; then
 *   that run, put back as it stood past its 3-hour window, stopped by Airflow's scheduler, and the DAG's failure
 *   callback run by the real `airflow dag-processor`: one timeout alert;
 * - the refresh on after a successful build (without the alert's Variable: nothing published);
 * - dbt that cannot start (code 2, before Airflow, and a task's command not found);
 * - the failing run again on Airflow 2.10 (`--airflow 2`, as Amazon MWAA runs it): the DAG's Airflow 2 imports, its
 *   task states read through the DAG run (the metadata database), Airflow 2's log links in the one alert, and the DAG
 *   serialized as Airflow 2 stores it (`airflow dags reserialize`), with the same timeouts.
 * The states come from Airflow's database, not from the code under test's own output.
 *
 * AWS is a moto server on loopback, one for the file; its request recorder says what reached it. moto 5.2.5
 * implements CreateIngestion (without keeping the ingestion) but not DescribeIngestion nor CancelIngestion (HTTP 500,
 * NotImplementedError): the wait for COMPLETED cannot run here, so with the refresh on the task fails at its first
 * DescribeIngestion; generators/targets/airflow/airflow.test.ts runs the wait against botocore's Stubber. The alert's
 * SNS topic has an SQS queue subscribed to it, whose messages are what SNS delivered.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PLATFORM } from "../../generators/platform.js";
import { ALERT_VARIABLES, airflowVariableEnv, DBT_VARIABLES, QUICKSIGHT_VARIABLES } from "../../generators/targets/airflow/emit.js";
import { REPO_ROOT } from "../../tests/helpers/data.js";
import { motoProcessEnv, startMotoServer, type MotoServer } from "../../tests/helpers/moto-server.js";
import { ensurePythonEnv } from "../../toolchain/python-env.js";
import { formatResult, main, runDagTest, tidy, type AirflowMajor, type DagTestResult } from "./dag-test.js";

const RUN_TIMEOUT = 6 * 60_000;

function capture() {
  let text = "";
  return { write: (chunk: string) => (text += chunk), text: () => text };
}

/** One request moto received, as its recorder wrote it. */
interface Recorded {
  method: string;
  url: string;
  body: string;
  body_encoded: boolean;
}
const body = (r: Recorded) => (r.body_encoded ? Buffer.from(r.body, "base64").toString("utf8") : r.body);
const path = (r: Recorded) => new URL(r.url).pathname;

/** The QuickSight index's data set ids (the generated file, not the DAG under test). */
const indexDataSetIds = () =>
  (JSON.parse(readFileSync(join(REPO_ROOT, "generated/quicksight/quicksight.json"), "utf8")) as { dataSets: { id: string }[] }).dataSets.map((d) => d.id);

/** Python (the "aws" env's boto3) against moto: creates the topic and its SQS subscriber, or reads what SNS delivered. */
const SNS_PROBE = `
import json, sys
import boto3

session = boto3.session.Session(region_name="eu-west-1")
sns, sqs = session.client("sns"), session.client("sqs")
if sys.argv[1] == "create":
    topic = sns.create_topic(Name="reviews-platform-failures")["TopicArn"]
    queue = sqs.create_queue(QueueName="failure-alerts")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    print(json.dumps({"topic": topic, "queue": queue}))
else:
    messages = []
    while True:
        batch = sqs.receive_message(QueueUrl=sys.argv[2], MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not batch:
            break
        for message in batch:
            messages.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=sys.argv[2], ReceiptHandle=message["ReceiptHandle"])
    print(json.dumps(messages))
`;

/**
 * Python (the "airflow" env) on a kept run's database: puts the run back as it stood 3 h 10 min after it started
 * (the freshness check done after a long wait for a worker, the build running for 20 minutes, the rest not started),
 * then lets Airflow's scheduler decide (its own check of dagrun_timeout, `_schedule_dag_run` of the pinned Airflow)
 * and hands the callback request it makes to the database, as the scheduler's executor does, for the DAG processor.
 */
const TIME_OUT_RUN = `
import json, sys
from datetime import timedelta

from airflow.callbacks.database_callback_sink import DatabaseCallbackSink
from airflow.jobs.job import Job
from airflow.jobs.scheduler_job_runner import SchedulerJobRunner
from airflow.models.dagrun import DagRun
from airflow.models.taskinstance import TaskInstance
from airflow.sdk import timezone
from airflow.utils.session import create_session
from airflow.utils.state import DagRunState, TaskInstanceState
from sqlalchemy import select

with create_session() as session:
    run = session.scalars(select(DagRun).where(DagRun.dag_id == sys.argv[1])).one()
    now = timezone.utcnow()
    run.state, run.start_date, run.end_date = DagRunState.RUNNING, now - timedelta(hours=3, minutes=10), None
    for ti in session.scalars(select(TaskInstance).where(TaskInstance.dag_id == run.dag_id, TaskInstance.run_id == run.run_id)):
        ti.state, ti.start_date, ti.end_date = None, None, None
        if ti.task_id == "dbt_source_freshness":
            ti.state, ti.start_date, ti.end_date = TaskInstanceState.SUCCESS, now - timedelta(minutes=30), now - timedelta(minutes=20)
        elif ti.task_id == "dbt_build":
            ti.state, ti.start_date = TaskInstanceState.RUNNING, now - timedelta(minutes=20)
    session.flush()
    request = SchedulerJobRunner(job=Job())._schedule_dag_run(run, session)
    if request is not None:
        DatabaseCallbackSink().send(request, session=session)
    print(json.dumps({"runId": run.run_id, "state": str(run.state.value), "reason": request and request.msg}))
`;

let moto: MotoServer;
let scripts: string;
let python: string;
let topic: { topic: string; queue: string };
const results: DagTestResult[] = [];

const sns = (...args: string[]) => {
  const done = spawnSync(python, ["-c", SNS_PROBE, ...args], { encoding: "utf8", env: { ...motoProcessEnv(), AWS_ENDPOINT_URL: moto.endpoint } });
  if (done.status !== 0) throw new Error(`the SNS probe failed (exit ${done.status}):\n${done.stderr}`);
  return JSON.parse(done.stdout.trim().split("\n").at(-1)!) as unknown;
};
/** What SNS delivered to the queue since the last read: SNS's envelope, Subject and Message. */
const delivered = () => sns("read", topic.queue) as { TopicArn: string; Subject: string; Message: string }[];

/** The environment of Airflow and its tasks: placeholder credentials, every AWS call to the moto server. */
function awsEnvironment(extra: Record<string, string> = {}): Record<string, string> {
  const env = motoProcessEnv();
  return {
    AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID!,
    AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY!,
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_ENDPOINT_URL: moto.endpoint,
    // The log links of the alert start with Airflow's API base URL (Airflow 2: its webserver's).
    AIRFLOW__API__BASE_URL: "https://airflow.example.com",
    AIRFLOW__WEBSERVER__BASE_URL: "https://airflow.example.com",
    NO_PROXY: "127.0.0.1,localhost",
    no_proxy: "127.0.0.1,localhost",
    ...extra,
  };
}

/** Runs `run` with moto's recorder on from a fresh recording; returns its value and what reached moto meanwhile. */
async function recorded<T>(run: () => Promise<T>): Promise<{ value: T; requests: Recorded[] }> {
  expect((await fetch(`${moto.endpoint}/moto-api/recorder/reset-recording`, { method: "POST" })).ok).toBe(true);
  expect((await fetch(`${moto.endpoint}/moto-api/recorder/start-recording`, { method: "POST" })).ok).toBe(true);
  const value = await run();
  expect((await fetch(`${moto.endpoint}/moto-api/recorder/stop-recording`, { method: "POST" })).ok).toBe(true);
  const text = await (await fetch(`${moto.endpoint}/moto-api/recorder/download-recording`)).text();
  const requests = text
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Recorded);
  return { value, requests };
}

beforeAll(async () => {
  // Installs outside the runs' timing (the airflow env takes minutes the first time).
  await Promise.all([ensurePythonEnv("airflow", { root: REPO_ROOT }), ensurePythonEnv("airflow2", { root: REPO_ROOT }), ensurePythonEnv("dbt", { root: REPO_ROOT })]);
  ({ python } = await ensurePythonEnv("aws", { root: REPO_ROOT }));
  scripts = mkdtempSync(join(tmpdir(), "dag-test-moto-"));
  moto = await startMotoServer({ recordTo: join(scripts, "moto-recording.jsonl") });
  topic = sns("create") as { topic: string; queue: string };
}, 15 * 60_000);
afterAll(async () => {
  await moto?.stop();
  if (scripts) rmSync(scripts, { recursive: true, force: true });
  for (const result of results) rmSync(result.folder, { recursive: true, force: true });
});

/** A run whose dbt project folder is missing, with the QuickSight refresh and the failure alert on. */
function failingRun(airflow: AirflowMajor): Promise<DagTestResult> {
  return runDagTest({
    airflow,
    variables: {
      [DBT_VARIABLES.projectDir]: join(REPO_ROOT, "no-such-dbt-project"),
      [QUICKSIGHT_VARIABLES.refresh]: "true",
      [QUICKSIGHT_VARIABLES.region]: "eu-west-1",
      [ALERT_VARIABLES.failureTopicArn]: topic.topic,
    },
    environment: awsEnvironment(),
  });
}

/** The task states of a run whose dbt project folder is missing, with the refresh on (sorted by task id). */
const FAILED_RUN_STATES = [
  ["dbt_build", "failed"],
  ["dbt_source_freshness", "failed"],
  ["refresh_quicksight", "upstream_failed"],
  ["watcher", "failed"],
];

/** The alert of that run: `log(task)` is a failed task's log line, in the form of the Airflow that ran it. */
function failedRunAlert(runId: string, log: (task: string) => string): string {
  return [
    "The Airflow DAG amazon_reviews_dbt failed.",
    `Run: ${runId}`,
    "",
    "Tasks that did not succeed:",
    "- dbt_source_freshness: failed",
    log("dbt_source_freshness"),
    "- dbt_build: failed",
    log("dbt_build"),
    "- refresh_quicksight: upstream_failed",
    "  not run: a task it depends on failed",
    "",
    "What to do: see the task's log (the link above, or the run in Airflow's grid view) for the reason;",
    "once fixed, clear the failed tasks in Airflow to run them again.",
  ].join("\n");
}

describe("npm run dag:test", () => {
  let code: number;
  let requests: Recorded[];
  const out = capture();
  const err = capture();
  beforeAll(async () => {
    // The failure topic's Variable set: a successful run must publish nothing.
    ({ value: code, requests } = await recorded(() => main([], out, err, { variables: { [ALERT_VARIABLES.failureTopicArn]: topic.topic }, environment: awsEnvironment() })));
  }, RUN_TIMEOUT);

  it("exits 0 with every task of the DAG successful, in order", () => {
    expect(code, `${out.text()}\n${err.text()}`).toBe(0);
    const summary = out.text();
    expect(summary).toContain("DAG amazon_reviews_dbt: every task succeeded");
    // The QuickSight refresh is off without its Variable: skipped, which counts as success.
    expect(summary).toMatch(/^ {2}dbt_source_freshness: success in [\d.]+ s\n {2}dbt_build: success in [\d.]+ s\n {2}refresh_quicksight: skipped\n {2}watcher: skipped\n {2}dag run: success$/m);
    expect(summary).toMatch(/duration: [\d.]+ s \(pipeline and database [\d.]+ s, airflow db migrate [\d.]+ s, airflow dags test [\d.]+ s\)/);
  });

  it("ran dbt with the local target and the repository's project, and dbt passed", () => {
    const progress = err.text();
    expect(progress).toContain("airflow: db migrate");
    expect(progress).toMatch(/Running command: .*dbt source freshness --project-dir \S*dbt-out --profiles-dir \S*dbt-out\/profiles --target local/);
    // Failing rows are kept, as by the local pipeline's build: dbt writes each test's rows to the audit schema.
    expect(progress).toMatch(/Running command: .*dbt build --store-failures --project-dir \S*dbt-out --profiles-dir \S*dbt-out\/profiles --target local/);
    expect(progress).toMatch(/Done\. PASS=\d+ WARN=0 ERROR=0 SKIP=0/);
  });

  it("removes its temporary folder after a successful run (without --keep)", () => {
    const home = /AIRFLOW_HOME (\S+)\/airflow\)/.exec(err.text())?.[1];
    expect(home).toBeDefined();
    expect(existsSync(home!)).toBe(false);
    expect(out.text()).toContain("temporary folder removed");
  });

  it("publishes no alert (the watcher is skipped) and, with the refresh off, calls no AWS service at all", () => {
    expect(requests).toEqual([]);
    expect(delivered()).toEqual([]);
  });
});

/** The DAG's timeouts in seconds, as Airflow serializes them: the run's 3-hour window, each task's own. */
const DAG_TIMEOUTS = { dagRun: 10800, tasks: { dbt_source_freshness: 600, dbt_build: 1500, refresh_quicksight: 1800, watcher: 300 } };

describe("npm run dag:test names a failing task, and the failed run's alert reaches the failure topic", () => {
  let result: DagTestResult;
  let requests: Recorded[];
  let messages: ReturnType<typeof delivered>;
  beforeAll(async () => {
    // The refresh and the alert on: the failed build must keep the refresh from running, and page once.
    ({ value: result, requests } = await recorded(() => failingRun("3")));
    results.push(result);
    messages = delivered();
  }, RUN_TIMEOUT);

  it("ran the DAG with its timeouts: the run stopped at its 3-hour window, each task at its own (Airflow's serialized DAG)", () => {
    expect(result.timeouts).toEqual(DAG_TIMEOUTS);
  });

  it("code 1, dbt_source_freshness failed, dbt_build run after it all the same (and failed), the refresh not run, the watcher failing the run, the folder kept for inspection", () => {
    expect(result.code, result.message).toBe(1);
    // The watcher (all_done) runs once every other task has ended.
    expect(result.tasks.map((t) => [t.taskId, t.state]).sort()).toEqual(FAILED_RUN_STATES);
    expect(result.dagRunState).toBe("failed");
    const text = formatResult(result);
    for (const task of ["dbt_source_freshness failed", "dbt_build failed", "watcher failed"]) expect(text).toMatch(new RegExp(`FAILED: .*${task}[,.]`));
    expect(result.kept).toBe(true);
    expect(text).toContain(`kept: ${result.folder}`);
    // Airflow's output, kept in the folder, holds dbt's own reason.
    const output = readFileSync(join(result.folder, "airflow-output.log"), "utf8");
    expect(output).toMatch(/Invalid value for '--project-dir': Path '\S*no-such-dbt-project' does not exist/);
  });

  it("the refresh is upstream_failed: nothing reaches QuickSight or STS; the one request to AWS is the alert's SNS Publish", () => {
    expect(requests.map((r) => `${r.method} ${path(r)} ${/^Action=(\w+)/.exec(body(r))?.[1]}`)).toEqual(["POST / Publish"]);
  });

  it("exactly one message, naming the DAG, the run, each task that did not succeed with its state and log link, and what to do; the run still fails", () => {
    expect(messages).toHaveLength(1);
    const [alert] = messages;
    expect(alert!.TopicArn).toBe(topic.topic);
    const runId = /^Run: (\S+)$/m.exec(alert!.Message)?.[1];
    expect(runId).toMatch(/^manual__/);
    expect(alert!.Subject).toBe(`Airflow DAG amazon_reviews_dbt failed: run ${runId}`);
    expect(alert!.Subject.length).toBeLessThan(100);
    const log = (task: string) => `  log: https://airflow.example.com/dags/amazon_reviews_dbt/runs/${encodeURIComponent(runId!)}/tasks/${task}`;
    expect(alert!.Message).toBe(failedRunAlert(runId!, log));
    const output = readFileSync(join(result.folder, "airflow-output.log"), "utf8");
    expect(output).toContain(`Failure alert published to ${topic.topic}`);
  });
  it("then stopped by the scheduler at its dagrun_timeout, never reaching the watcher: the DAG processor runs the DAG's failure callback, which publishes one alert", async () => {
    const airflow = await ensurePythonEnv("airflow", { root: REPO_ROOT });
    const home = join(result.folder, "airflow");
    const env = {
      ...motoProcessEnv(),
      ...awsEnvironment(),
      AIRFLOW_HOME: home,
      AIRFLOW__CORE__DAGS_FOLDER: join(REPO_ROOT, "generated/airflow/dags"),
      AIRFLOW__CORE__LOAD_EXAMPLES: "False",
      AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `sqlite:///${join(home, "airflow.db")}`,
      // The DAG processor's default waits 30 s between two parses of a file; its second parse runs the callback.
      AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL: "0",
      [airflowVariableEnv(ALERT_VARIABLES.failureTopicArn)]: topic.topic,
    };
    const stopped = spawnSync(airflow.python, ["-c", TIME_OUT_RUN, PLATFORM.airflow.dagId], { encoding: "utf8", env, timeout: 120_000 });
    expect(stopped.status, stopped.stderr).toBe(0);
    const run = JSON.parse(stopped.stdout.trim().split("\n").at(-1)!) as { runId: string; state: string; reason: string };
    // Airflow's scheduler, not the test, stopped the run and said why.
    expect(run).toMatchObject({ state: "failed", reason: "timed_out" });

    const { value: processor, requests } = await recorded(async () =>
      spawnSync(join(airflow.bin, "airflow"), ["dag-processor", "--num-runs", "2"], { encoding: "utf8", env, timeout: 180_000 }),
    );
    expect(processor.status, (processor.stdout + processor.stderr).slice(-4000)).toBe(0);
    expect(requests.map((r) => `${r.method} ${path(r)} ${/^Action=(\w+)/.exec(body(r))?.[1]}`)).toEqual(["POST / Publish"]);
    const messages = delivered();
    expect(messages).toHaveLength(1);
    const [alert] = messages;
    expect(alert!.TopicArn).toBe(topic.topic);
    // A manual run's id (manual__<time>) keeps the subject under SNS's 100 characters: not cut.
    expect(alert!.Subject).toBe(`Airflow DAG amazon_reviews_dbt timed out: run ${run.runId}`);
    expect(alert!.Message).toBe(
      [
        "The Airflow DAG amazon_reviews_dbt was stopped by its 3-hour dagrun_timeout: its tasks that had not",
        "ended were marked skipped, and the watcher did not run.",
        `Run: ${run.runId}`,
        "",
        "Not ended when the run was stopped (the last task started): dbt_build",
        `  log: https://airflow.example.com/dags/amazon_reviews_dbt/runs/${encodeURIComponent(run.runId)}/tasks/dbt_build?try_number=1`,
        "",
        "Tasks, as the timeout left them:",
        "- dbt_source_freshness: success",
        "- dbt_build: skipped",
        "- refresh_quicksight: skipped",
        "- watcher: skipped",
        "",
        "What to do: each task's own timeout ends it well within the window, so the run waited: for a worker or a pool",
        "slot (a task queued) or for the scheduler. See the run in Airflow's grid view and the scheduler's and the",
        "workers' health; once fixed, clear the run's tasks in Airflow to run them again.",
      ].join("\n"),
    );
  }, RUN_TIMEOUT);
});

describe("npm run dag:test -- --airflow 2: the failing run on Airflow 2.10", () => {
  let result: DagTestResult;
  let requests: Recorded[];
  let messages: ReturnType<typeof delivered>;
  beforeAll(async () => {
    ({ value: result, requests } = await recorded(() => failingRun("2")));
    results.push(result);
    messages = delivered();
  }, RUN_TIMEOUT);

  it("ran on Airflow 2.10: the same states as on Airflow 3, the watcher reading them through the DAG run", () => {
    expect(result.airflow).toBe("2");
    const output = readFileSync(join(result.folder, "airflow-output.log"), "utf8");
    // Airflow 2's own log format and its task runner (Airflow 3 logs neither).
    expect(output).toMatch(/^\[\d{4}-\d\d-\d\dT[\d:.]+\+0000\] \{taskinstance\.py:\d+\} INFO - Marking task as FAILED\. dag_id=amazon_reviews_dbt, task_id=dbt_source_freshness/m);
    expect(result.code, result.message).toBe(1);
    expect(result.tasks.map((t) => [t.taskId, t.state]).sort()).toEqual(FAILED_RUN_STATES);
    expect(result.dagRunState).toBe("failed");
    expect(output).toMatch(/Invalid value for '--project-dir': Path '\S*no-such-dbt-project' does not exist/);
  });

  it("the DAG serializes on Airflow 2 as its scheduler (and MWAA's) stores it, with the same timeouts", () => {
    expect(result.timeouts).toEqual(DAG_TIMEOUTS);
  });

  it("one alert, the only request to AWS, with Airflow 2's log links (its grid view, each failed task's logs)", () => {
    expect(requests.map((r) => `${r.method} ${path(r)} ${/^Action=(\w+)/.exec(body(r))?.[1]}`)).toEqual(["POST / Publish"]);
    expect(messages).toHaveLength(1);
    const [alert] = messages;
    const runId = /^Run: (\S+)$/m.exec(alert!.Message)?.[1];
    expect(runId).toMatch(/^manual__/);
    expect(alert!.Subject).toBe(`Airflow DAG amazon_reviews_dbt failed: run ${runId}`);
    const base = /dbt_source_freshness: failed\n {2}log: (\S+)/.exec(alert!.Message)?.[1];
    const log = (task: string) => `  log: https://airflow.example.com/dags/amazon_reviews_dbt/grid?dag_run_id=${encodeURIComponent(runId!)}&task_id=${task}&base_date=${/&base_date=([^&]+)&/.exec(base ?? "")?.[1]}&tab=logs`;
    expect(alert!.Message).toBe(failedRunAlert(runId!, log));
  });
});

describe("npm run dag:test with the QuickSight refresh on, against a moto server", () => {
  it("after a successful build: STS for the account, then one FULL_REFRESH CreateIngestion per data set of the index, one IngestionId of the run's first try", async () => {
    const { value: result, requests } = await recorded(() =>
      runDagTest({
        variables: { [QUICKSIGHT_VARIABLES.refresh]: "true", [QUICKSIGHT_VARIABLES.region]: "eu-west-1" },
        // One attempt per call: moto answers DescribeIngestion and CancelIngestion with HTTP 500, which boto3 retries.
        environment: awsEnvironment({ AWS_MAX_ATTEMPTS: "1" }),
      }),
    );
    results.push(result);
    const states = Object.fromEntries(result.tasks.map((t) => [t.taskId, t.state]));
    expect(states.dbt_source_freshness, result.message).toBe("success");
    expect(states.dbt_build, result.message).toBe("success");
    const [sts, ...quicksight] = requests;
    // The account comes from STS GetCallerIdentity (no account Variable): moto's account 123456789012.
    expect(sts).toMatchObject({ method: "POST" });
    expect(path(sts!)).toBe("/");
    expect(body(sts!)).toContain("Action=GetCallerIdentity");
    const creates = quicksight.filter((r) => r.method === "PUT");
    const ingestion = /^\/accounts\/123456789012\/data-sets\/([^/]+)\/ingestions\/([^/]+)$/;
    expect(creates.map((r) => ingestion.exec(path(r))?.[1])).toEqual(indexDataSetIds());
    for (const create of creates) expect(JSON.parse(body(create))).toEqual({ IngestionType: "FULL_REFRESH" });
    const ids = new Set(creates.map((r) => ingestion.exec(path(r))![2]!));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    expect(id).toMatch(/^[a-zA-Z0-9_-]{1,128}$/);
    expect(id).toMatch(/-[0-9a-f]{12}-try-1$/);

    // Not executed against moto: the wait. moto 5.2.5 has no DescribeIngestion (nor CancelIngestion): the first
    // DescribeIngestion, after the poll interval, gets HTTP 500, the task cancels what it started (500 as well) and
    // fails, and the watcher fails the run. Without the alert's Variable it publishes nothing: no SNS request.
    expect(quicksight.slice(creates.length).map((r) => `${r.method} ${path(r)}`)).toEqual([
      `GET /accounts/123456789012/data-sets/${indexDataSetIds()[0]}/ingestions/${id}`,
      ...indexDataSetIds().map((dataSet) => `DELETE /accounts/123456789012/data-sets/${dataSet}/ingestions/${id}`),
    ]);
    expect(moto.log()).toContain("NotImplementedError: The describe_ingestion action has not been implemented");
    expect(moto.log()).toContain("NotImplementedError: The cancel_ingestion action has not been implemented");
    expect(states.refresh_quicksight).toBe("failed");
    expect(states.watcher).toBe("failed");
    expect(result.code).toBe(1);
    // The task's error, in Airflow's output (its traceback is drawn with colours, which are taken out).
    const output = readFileSync(join(result.folder, "airflow-output.log"), "utf8").replace(/\x1b\[[0-9;]*m/g, "");
    expect(output).toContain("Task failed with exception");
    expect(output).toContain("calling the DescribeIngestion operation");
    expect(output).toMatch(/QuickSight: could not cancel \S+-try-1 of data set \S+: An error occurred \(500\) when calling the CancelIngestion operation/);
    expect(output).toContain(`Failure alerts off: the Airflow Variable ${ALERT_VARIABLES.failureTopicArn} is not set; nothing published.`);
  }, RUN_TIMEOUT);
});

// An env moved after it was built: its scripts' first line names a python that is gone. The environment cannot run,
// which is exit 2 (as --help says), with the fix; not a task failure (1).
describe("npm run dag:test when dbt cannot start", () => {
  let scripts: string;
  const results: DagTestResult[] = [];
  beforeAll(() => {
    scripts = mkdtempSync(join(tmpdir(), "dag-test-dbt-"));
  });
  afterAll(() => {
    rmSync(scripts, { recursive: true, force: true });
    for (const result of results) rmSync(result.folder, { recursive: true, force: true });
  });
  const script = (name: string, text: string) => {
    const file = join(scripts, name);
    writeFileSync(file, text);
    chmodSync(file, 0o755);
    return file;
  };

  it("code 2 before Airflow runs, naming the script and its missing interpreter, with the fix", async () => {
    const dbt = script("dbt", "#!/no/such/venv/bin/python\nprint('dbt')\n");
    const result = await runDagTest({ variables: { [DBT_VARIABLES.executable]: dbt } });
    results.push(result);
    expect(result.code, result.message).toBe(2);
    expect(result.tasks).toEqual([]);
    expect(result.message).toBe(
      `${dbt} cannot start: the interpreter its first line names, /no/such/venv/bin/python, does not exist (its environment was moved or copied after it was built).\n` +
        '  fix: run npm run python:setup -- dbt, which rebuilds the "dbt" Python environment where it is, then run the command again.',
    );
    expect(formatResult(result)).toMatch(/^DAG amazon_reviews_dbt: cannot run: \S+ cannot start: /);
  }, RUN_TIMEOUT);

  it("code 2 when the tasks' command could not start (the shell's return code 127), with the tasks' states", async () => {
    const dbt = script("dbt-gone", "#!/bin/sh\nexec /no/such/venv/bin/dbt \"$@\"\n");
    const result = await runDagTest({ variables: { [DBT_VARIABLES.executable]: dbt } });
    results.push(result);
    expect(result.code, result.message).toBe(2);
    expect(result.tasks.find((t) => t.taskId === "dbt_source_freshness")?.state).toBe("failed");
    expect(result.message).toMatch(/^a task's command could not start \(return code 127: /);
    expect(result.message).toContain(`\n  fix: check the dbt executable Variable (${DBT_VARIABLES.executable}), or run npm run python:setup -- dbt, `);
    const text = formatResult(result);
    expect(text).toMatch(/^DAG amazon_reviews_dbt: cannot run: a task's command could not start/);
    expect(text).toContain("  dag run: failed");
  }, RUN_TIMEOUT);
});

describe("dag:test command line", () => {
  it("--help exits 0 and names the options and exit codes; an unknown option exits 2", async () => {
    const out = capture();
    expect(await main(["--help"], out, capture())).toBe(0);
    expect(out.text()).toContain("--keep");
    expect(out.text()).toContain("Exit codes: 0 every task succeeded, 1 a task failed");
    expect(out.text()).toContain("--airflow <2|3>");
    const err = capture();
    expect(await main(["--bogus"], capture(), err)).toBe(2);
    expect(err.text()).toContain("error CLI.USAGE");
    const wrong = capture();
    expect(await main(["--airflow", "1"], capture(), wrong)).toBe(2);
    expect(wrong.text()).toBe('error CLI.USAGE: --airflow "1" is not an Airflow this command runs.\n  fix: pass --airflow 3 (the default) or --airflow 2.\n');
  });

  it("cannot run (code 2) without a generated DAG, saying how to fix it, and leaves no empty folder behind", async () => {
    const root = mkdtempSync(join(tmpdir(), "dag-test-empty-root-"));
    try {
      const result = await runDagTest({ root });
      expect(result.code).toBe(2);
      expect(result.message).toContain("Fix: run `npm run generate` first.");
      expect(result.kept).toBe(false);
      expect(existsSync(result.folder)).toBe(false);
      expect(formatResult(result)).toMatch(/^DAG amazon_reviews_dbt: cannot run: the generated DAG \S+amazon_reviews_dbt\.py does not exist/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("shows Airflow's log lines without their decoration", () => {
    expect(tidy("2026-12-02T03:28:59.266972Z [info     ] Running command: ['/usr/bin/bash', '-c', 'dbt build'] [airflow.task.hooks.x.SubprocessHook] loc=subprocess.py:93")).toBe(
      "Running command: ['/usr/bin/bash', '-c', 'dbt build']",
    );
    expect(tidy("2026-12-02T03:29:04.826553Z [error    ] Task failed with exception     [task] loc=task_runner.py:1651")).toBe("error: Task failed with exception");
    expect(tidy("Traceback (most recent call last):")).toBe("Traceback (most recent call last):");
  });
});
