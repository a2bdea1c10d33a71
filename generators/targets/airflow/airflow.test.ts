/**
 * The generated DAG imported by a real Airflow 3 (the pinned "airflow" Python environment): Airflow's own `DagBag`
 * over a folder holding the DAG, in a temporary AIRFLOW_HOME (SQLite, no examples, no API server, no database
 * migration: importing a DAG file needs none). A small Python script prints what Airflow made of it as JSON: import
 * errors, the DAG's arguments, its tasks and their dependencies, and each task's bash command rendered by Airflow's
 * template engine with the DAG's own filters, once with the production defaults and once with Airflow Variables set
 * (from `AIRFLOW_VAR_<NAME>`, as a deployment would).
 *
 * Negative controls: a copy with an import that does not exist and a copy with a dependency cycle are import errors.
 *
 * The QuickSight refresh task's Python: the data set ids as Python reads them back (hostile mart names, zero, one and
 * several data sets), and its callable run in the airflow env against botocore's Stubber (AWS's service model checks
 * every request; the responses are the test's): skipped unless the Variable is true, COMPLETED, FAILED with
 * QuickSight's error, and stopped (cancels what still runs). moto 5.2.5 has no DescribeIngestion nor CancelIngestion,
 * so those paths cannot run against moto (runners/airflow-local/dag-test.test.ts runs CreateIngestion there).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mdCell } from "../../dialects/markdown.js";
import { REPO_ROOT } from "../../../tests/helpers/data.js";
import { fileOf, generatedFrom } from "../../../tests/helpers/generate.js";
import { run } from "../../../tests/helpers/run.js";
import { motoProcessEnv } from "../../../tests/helpers/moto-server.js";
import { ruff } from "../../../tests/helpers/ruff.js";
import { ensurePythonEnv } from "../../../toolchain/python-env.js";
import { dataSetId } from "../quicksight/emit.js";
import { ALERT_VARIABLES, dagSource as emitDag, QUICKSIGHT_VARIABLES, quicksightDataSetIds } from "./emit.js";

const PROBE = `
import inspect, json, os, sys

try:  # Airflow 3.2+
    from airflow.dag_processing.dagbag import DagBag
except ImportError:
    from airflow.models.dagbag import DagBag
from airflow import __version__
from airflow.sdk.execution_time.context import VariableAccessor

folder, overrides = sys.argv[1], json.loads(sys.argv[2])
kwargs = {"dag_folder": folder}
# include_examples left DagBag in Airflow 3.3 (examples are a bundle of their own); pass it where it exists.
if "include_examples" in inspect.signature(DagBag.__init__).parameters:
    kwargs["include_examples"] = False
bag = DagBag(**kwargs)


def render(dag):
    context = {"var": {"value": VariableAccessor(False), "json": VariableAccessor(True)}}
    env = dag.get_template_env()
    return {t.task_id: t.render_template(t.bash_command, context, jinja_env=env) for t in dag.tasks if hasattr(t, "bash_command")}


out = {
    "version": __version__,
    "importErrors": {os.path.basename(path): error for path, error in bag.import_errors.items()},
    "dags": {},
}
for dag_id, dag in bag.dags.items():
    out["dags"][dag_id] = {
        "file": os.path.basename(dag.fileloc),
        "schedule": str(dag.schedule),
        "timetable": type(dag.timetable).__name__,
        "startDate": dag.start_date.isoformat(),
        "catchup": dag.catchup,
        "maxActiveRuns": dag.max_active_runs,
        "dagrunTimeoutSeconds": dag.dagrun_timeout.total_seconds() if dag.dagrun_timeout else None,
        "tags": sorted(dag.tags),
        "doc": dag.doc_md,
        "tasks": {
            t.task_id: {
                "operator": type(t).__module__ + "." + type(t).__name__,
                "upstream": sorted(t.upstream_task_ids),
                "downstream": sorted(t.downstream_task_ids),
                "owner": t.owner,
                "retries": t.retries,
                "retryDelaySeconds": t.retry_delay.total_seconds(),
                "executionTimeoutSeconds": t.execution_timeout.total_seconds() if t.execution_timeout else None,
                "triggerRule": str(getattr(t.trigger_rule, "value", t.trigger_rule)),
            }
            for t in dag.tasks
        },
        "rendered": {"defaults": render(dag)},
    }
os.environ.update(overrides)
for dag_id, dag in bag.dags.items():
    out["dags"][dag_id]["rendered"]["variables"] = render(dag)
print(json.dumps(out))
`;

interface Probe {
  version: string;
  importErrors: Record<string, string>;
  dags: Record<
    string,
    {
      file: string;
      schedule: string;
      timetable: string;
      startDate: string;
      catchup: boolean;
      maxActiveRuns: number;
      dagrunTimeoutSeconds: number | null;
      tags: string[];
      doc: string;
      tasks: Record<string, { operator: string; upstream: string[]; downstream: string[]; owner: string; retries: number; retryDelaySeconds: number; executionTimeoutSeconds: number | null; triggerRule: string }>;
      rendered: Record<"defaults" | "variables", Record<string, string>>;
    }
  >;
}

const work = mkdtempSync(join(tmpdir(), "airflow-dagbag-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let python: string;

beforeAll(async () => {
  ({ python } = await ensurePythonEnv("airflow", { root: REPO_ROOT }));
}, 15 * 60_000);

/** A DagBag over `files` (name → source) in a fresh folder and AIRFLOW_HOME; Variables set after a first render. */
function dagBag(name: string, files: Record<string, string>, variables: Record<string, string> = {}): Probe {
  const folder = join(work, name, "dags");
  mkdirSync(folder, { recursive: true });
  for (const [file, source] of Object.entries(files)) writeFileSync(join(folder, file), source);
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^(AIRFLOW|DBT)_/.test(key)) env[key] = value;
  Object.assign(env, {
    AIRFLOW_HOME: join(work, name, "home"),
    AIRFLOW__CORE__LOAD_EXAMPLES: "False",
    AIRFLOW__CORE__DAGS_FOLDER: folder,
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `sqlite:///${join(work, name, "home", "airflow.db")}`,
    PYTHONDONTWRITEBYTECODE: "1",
  });
  const result = run(python, ["-c", PROBE, folder, JSON.stringify(variables)], { env });
  if (result.status !== 0) throw new Error(`the DagBag probe failed (exit ${result.status}):\n${result.stderr.slice(-4000)}`);
  return JSON.parse(result.stdout.trim().split("\n").at(-1)!) as Probe;
}

const DAG_FILE = "amazon_reviews_dbt.py";
const dagSource = async () => fileOf((await generatedFrom()).files, `generated/airflow/dags/${DAG_FILE}`);

describe("Airflow DagBag imports the generated DAG", () => {
  let probe: Probe;
  beforeAll(async () => {
    probe = dagBag("generated", { [DAG_FILE]: await dagSource() }, {
      AIRFLOW_VAR_AMAZON_REVIEWS_DBT_EXECUTABLE: "/opt/venvs/dbt/bin/dbt",
      AIRFLOW_VAR_AMAZON_REVIEWS_DBT_PROJECT_DIR: "/srv/dbt projects/amazon's reviews",
      AIRFLOW_VAR_AMAZON_REVIEWS_DBT_PROFILES_DIR: "/srv/profiles; rm -rf /",
      AIRFLOW_VAR_AMAZON_REVIEWS_DBT_TARGET: "local",
    });
  }, 120_000);

  it("with no import errors, on Airflow 3", () => {
    expect(probe.importErrors).toEqual({});
    expect(probe.version).toMatch(/^3\./);
    expect(Object.keys(probe.dags)).toEqual(["amazon_reviews_dbt"]);
  });

  it("with the schedule, start date, catchup, concurrency and tags of the platform", () => {
    const dag = probe.dags.amazon_reviews_dbt!;
    expect(dag).toMatchObject({
      file: DAG_FILE,
      schedule: "0 6 * * *",
      timetable: "CronTriggerTimetable",
      startDate: "2026-01-01T00:00:00+00:00",
      catchup: false,
      maxActiveRuns: 1,
      tags: ["amazon-reviews", "dbt", "snowflake"],
    });
  });

  it("source freshness (no retry), then build whatever it found (with retries), then the QuickSight refresh only if the build succeeded (no retry), then a watcher that fails the run if any failed (no dbt deps): operators of the standard provider, each owned", () => {
    const tasks = probe.dags.amazon_reviews_dbt!.tasks;
    expect(Object.keys(tasks).sort()).toEqual(["dbt_build", "dbt_source_freshness", "refresh_quicksight", "watcher"]);
    expect(tasks.dbt_source_freshness).toMatchObject({ upstream: [], downstream: ["dbt_build", "watcher"], triggerRule: "all_success" });
    expect(tasks.dbt_build).toMatchObject({ upstream: ["dbt_source_freshness"], downstream: ["refresh_quicksight", "watcher"], triggerRule: "all_done" });
    expect(tasks.refresh_quicksight).toMatchObject({ upstream: ["dbt_build"], downstream: ["watcher"], triggerRule: "all_success", retries: 0, operator: "airflow.providers.standard.operators.python.PythonOperator" });
    // The watcher waits for every task (all_done), so that its one alert names each one that failed.
    expect(tasks.watcher).toMatchObject({ upstream: ["dbt_build", "dbt_source_freshness", "refresh_quicksight"], downstream: [], triggerRule: "all_done", retries: 0 });
    for (const [id, task] of Object.entries(tasks)) {
      const python = id === "refresh_quicksight" || id === "watcher";
      const operator = python ? "airflow.providers.standard.operators.python.PythonOperator" : "airflow.providers.standard.operators.bash.BashOperator";
      expect(task).toMatchObject({ operator, owner: "reviews-data-platform", retryDelaySeconds: 600 });
    }
    // Only the build retries: a retry cannot freshen a stale source, and the build (all_done) would wait for it.
    expect([tasks.dbt_source_freshness!.retries, tasks.dbt_build!.retries]).toEqual([0, 2]);
  });

  it("stops a run at the end of its 3-hour window, and every task before it, retries and delays included", () => {
    const dag = probe.dags.amazon_reviews_dbt!;
    expect(dag.dagrunTimeoutSeconds).toBe(3 * 3600);
    const t = dag.tasks;
    const minutes = (task: string) => t[task]!.executionTimeoutSeconds! / 60;
    expect(Object.fromEntries(Object.keys(t).map((task) => [task, minutes(task)]))).toEqual({ dbt_source_freshness: 10, dbt_build: 25, refresh_quicksight: 30, watcher: 5 });
    // The worst case, one after the other: every try of every task at its timeout, with the retry delays.
    const worst = Object.values(t).reduce((sum, task) => sum + (task.retries + 1) * task.executionTimeoutSeconds! + task.retries * task.retryDelaySeconds, 0);
    expect(worst).toBe(140 * 60);
    expect(dag.doc).toContain("QuickSight\nrefresh 30 minutes (no retry), watcher 5 minutes: 140 minutes at worst, within the window.");
    expect(worst).toBeLessThanOrEqual(dag.dagrunTimeoutSeconds!);
    // The DAG's documentation says where a failure goes: one alert to the failure topic named by the Variable.
    expect(dag.doc).toContain("the watcher sends one\nalert to the platform's failure topic");
    expect(dag.doc).toContain(`## Failure alerts`);
    expect(dag.doc).toContain(`\`${ALERT_VARIABLES.failureTopicArn}\` (Terraform's output \`failure_topic_arn\``);
    expect(dag.doc).not.toMatch(/The DAG sends nothing|source alerts/);
  });

  it("renders the production dbt command lines when no Variable is set", () => {
    const rendered = probe.dags.amazon_reviews_dbt!.rendered.defaults;
    const options = "--project-dir /opt/airflow/dbt/amazon_reviews --profiles-dir /opt/airflow/dbt/profiles --target prod";
    expect(rendered).toEqual({ dbt_source_freshness: `dbt source freshness ${options}`, dbt_build: `dbt build --store-failures ${options}` });
  });

  it("renders the Airflow Variables instead when set, each one shell-quoted", () => {
    const rendered = probe.dags.amazon_reviews_dbt!.rendered.variables;
    const options = `--project-dir '/srv/dbt projects/amazon'"'"'s reviews' --profiles-dir '/srv/profiles; rm -rf /' --target local`;
    expect(rendered.dbt_source_freshness).toBe(`/opt/venvs/dbt/bin/dbt source freshness ${options}`);
    expect(rendered.dbt_build).toBe(`/opt/venvs/dbt/bin/dbt build --store-failures ${options}`);
    // bash reads each value back as one word, unchanged.
    const words = run("bash", ["-c", `printf '%s\\n' ${rendered.dbt_build}`]);
    expect(words.stdout.split("\n").slice(0, -1)).toEqual([
      "/opt/venvs/dbt/bin/dbt",
      "build",
      "--store-failures",
      "--project-dir",
      "/srv/dbt projects/amazon's reviews",
      "--profiles-dir",
      "/srv/profiles; rm -rf /",
      "--target",
      "local",
    ]);
  });
});

describe("Airflow DagBag imports the DAG of hostile contract text", () => {
  it("with the text as data in doc_md and nothing rendered from it", async () => {
    const source = fileOf((await generatedFrom("tests/fixtures/kitchen-sink")).files, `generated/airflow/dags/${DAG_FILE}`);
    const probe = dagBag("kitchen-sink", { [DAG_FILE]: source });
    expect(probe.importErrors).toEqual({});
    // Airflow keeps the Markdown as given: the contract text, Markdown-escaped, with nothing of it rendered.
    expect(probe.dags.amazon_reviews_dbt!.doc).toContain(mdCell(`It's "quoted" and """triple""" with {{ jinja }} {% tag %} */ /* <b>html</b> | pipe \\ back`));
    expect(probe.dags.amazon_reviews_dbt!.rendered.defaults.dbt_build).toBe("dbt build --store-failures --project-dir /opt/airflow/dbt/amazon_reviews --profiles-dir /opt/airflow/dbt/profiles --target prod");
  }, 120_000);
});

describe("Airflow DagBag reports broken copies (the import check can fail)", () => {
  it("an import that does not exist, and a dependency cycle, are import errors and load no DAG", async () => {
    const source = await dagSource();
    const brokenImport = source.replace("import shlex\n", "import shlex\nimport airflow_module_that_does_not_exist  # noqa: F401\n");
    const cycle = source.replace("    dbt_source_freshness >> dbt_build >> refresh_quicksight\n", "    dbt_source_freshness >> dbt_build >> refresh_quicksight >> dbt_source_freshness\n");
    expect(brokenImport).not.toBe(source);
    expect(cycle).not.toBe(source);
    const probe = dagBag("broken", { "broken_import.py": brokenImport, "cycle.py": cycle });
    expect(Object.keys(probe.importErrors).sort()).toEqual(["broken_import.py", "cycle.py"]);
    expect(probe.importErrors["broken_import.py"]).toContain("airflow_module_that_does_not_exist");
    expect(probe.importErrors["cycle.py"]).toMatch(/cycle/i);
    expect(probe.dags).toEqual({});
  }, 120_000);
});

/** Reads QUICKSIGHT_DATA_SET_IDS back as Python does (the module's syntax tree, the literal evaluated). */
const READ_IDS = `
import ast, json, sys
tree = ast.parse(sys.stdin.read())
for node in tree.body:
    if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "QUICKSIGHT_DATA_SET_IDS":
        value = ast.literal_eval(node.value)
        print(json.dumps({"type": type(value).__name__, "ids": list(value)}))
`;

describe("the QuickSight data set ids reach the DAG's Python as data", () => {
  const hostile = ["it's", 'say "hi"', "back\\slash", "new\nline", "tab\there", "{{ var.value.x }}", "é\u2028"];

  it("are the QuickSight layer's ids: dataSetId of each mart, in the marts' order, as in quicksight.json", async () => {
    const { ir, files } = await generatedFrom();
    const index = JSON.parse(fileOf(files, "generated/quicksight/quicksight.json")) as { dataSets: { id: string }[] };
    expect(quicksightDataSetIds(ir)).toEqual(index.dataSets.map((d) => d.id));
    expect(quicksightDataSetIds(ir).length).toBeGreaterThanOrEqual(3);
  });

  it("whatever the mart names hold (quotes, backslashes, line breaks, Jinja, non-ASCII), with zero, one or several data sets: ruff-clean, imported by Airflow, read back unchanged", async () => {
    const { ir } = await generatedFrom();
    const template = ir.marts![0]!;
    const cases: Record<string, string[]> = { none: [], one: [hostile[1]!], several: hostile };
    for (const [name, marts] of Object.entries(cases)) {
      const source = emitDag({ ...ir, marts: marts.map((mart) => ({ ...template, name: mart })) });
      const read = run(python, ["-c", READ_IDS], { input: source });
      expect(read.status, read.stderr).toBe(0);
      expect(JSON.parse(read.stdout), name).toEqual({ type: "tuple", ids: marts.map(dataSetId) });
      const file = join(work, `ids-${name}.py`);
      writeFileSync(file, source);
      const lint = await ruff([file]);
      expect(lint.status, `${name}: ${lint.output}`).toBe(0);
      const probe = dagBag(`ids-${name}`, { [DAG_FILE]: source });
      expect(probe.importErrors, name).toEqual({});
      // Listed in the documentation, Markdown-escaped, or said to be none.
      const doc = probe.dags.amazon_reviews_dbt!.doc;
      if (marts.length === 0) expect(doc).toContain("No data set: no mart is read by QuickSight.");
      for (const mart of marts) expect(doc).toContain(`- \`${mdCell(dataSetId(mart))}\``);
    }
    // The check can fail: an id pasted unescaped breaks the module.
    const broken = emitDag({ ...ir, marts: [{ ...template, name: "x" }] }).replace('("amazon-reviews-x",)', '("amazon-reviews-"x",)');
    expect(run(python, ["-c", READ_IDS], { input: broken }).status).not.toBe(0);
  }, 300_000);
});

/** Python: the generated DAG file named by the first argument, imported as the module `dag` (its callables, not Airflow's DAG bag). */
const IMPORT_DAG = `import importlib.util, sys
dag_file = sys.argv[1]
spec = importlib.util.spec_from_file_location("dag_under_test", dag_file)
dag = importlib.util.module_from_spec(spec)
spec.loader.exec_module(dag)`;

/**
 * The refresh callable of the generated DAG, run in the airflow env with Airflow's Variable and the AWS clients
 * replaced for the test: Variables from a dict, clients from botocore's Stubber with the placeholder credentials of
 * motoProcessEnv (every request is validated against AWS's own service model and must be the one expected, in order;
 * responses are given here), sleep made instant.
 */
const RUN_REFRESH = `
${IMPORT_DAG}
import json, re, time
import boto3
from botocore.stub import Stubber

scenario = sys.argv[2]

class Variables:
    values = {}
    @classmethod
    def get(cls, key, default=None):
        return cls.values.get(key, default)

dag.Variable = Variables
time.sleep = lambda seconds: None
real_session = boto3.session.Session
clients = {}
made = []

def session(region_name=None):
    s = real_session(region_name=region_name)
    s.client = lambda service: made.append(service) or clients[service]
    return s

boto3.session.Session = session
base = real_session(region_name="eu-west-1")
qs = base.client("quicksight")
sts = base.client("sts")
qs_stub, sts_stub = Stubber(qs), Stubber(sts)
clients.update(quicksight=qs, sts=sts)
ids = list(dag.QUICKSIGHT_DATA_SET_IDS)
run_id = "scheduled__2026-12-06T06:00:00+00:00"
ingestion = dag.ingestion_id(run_id, 2)

class TaskInstance:
    pass

ti = TaskInstance()
ti.run_id, ti.try_number = run_id, 2

def expect_creates():
    for data_set_id in ids:
        qs_stub.add_response(
            "create_ingestion",
            {"Arn": "arn", "IngestionId": ingestion, "IngestionStatus": "INITIALIZED", "Status": 201},
            {"AwsAccountId": "123456789012", "DataSetId": data_set_id, "IngestionId": ingestion, "IngestionType": "FULL_REFRESH"},
        )

def describe(data_set_id, status, error=None):
    found = {"IngestionId": ingestion, "IngestionStatus": status, "Arn": "arn", "CreatedTime": "2026-12-06T06:40:00Z"}
    if error:
        found["ErrorInfo"] = error
    if status == "COMPLETED":
        found["RowInfo"] = {"RowsIngested": 42}
    qs_stub.add_response(
        "describe_ingestion",
        {"Ingestion": found, "Status": 200},
        {"AwsAccountId": "123456789012", "DataSetId": data_set_id, "IngestionId": ingestion},
    )

Variables.values = {dag.QUICKSIGHT_REFRESH: "true", dag.QUICKSIGHT_REGION: "eu-west-1"}
if scenario == "off":
    Variables.values = {}
elif scenario == "typo":
    Variables.values = {dag.QUICKSIGHT_REFRESH: "yes"}
elif scenario == "completed":
    sts_stub.add_response("get_caller_identity", {"Account": "123456789012", "Arn": "arn:aws:sts::123456789012:assumed-role/airflow/x", "UserId": "x"}, {})
    expect_creates()
    for data_set_id in ids:
        describe(data_set_id, "RUNNING")
    for data_set_id in ids:
        describe(data_set_id, "COMPLETED")
elif scenario == "failed":
    Variables.values[dag.QUICKSIGHT_ACCOUNT_ID] = "123456789012"
    expect_creates()
    describe(ids[0], "COMPLETED")
    describe(ids[1], "FAILED", {"Type": "ACCOUNT_CAPACITY_LIMIT_EXCEEDED", "Message": "SPICE capacity exceeded."})
    for data_set_id in ids[2:]:
        describe(data_set_id, "CANCELLED", {"Type": "CANCELLED", "Message": "Cancelled by a user."})
elif scenario == "stopped":
    Variables.values[dag.QUICKSIGHT_ACCOUNT_ID] = "123456789012"
    expect_creates()
    describe(ids[0], "COMPLETED")
    for data_set_id in ids[1:]:
        describe(data_set_id, "RUNNING")
    for data_set_id in ids[1:]:
        qs_stub.add_response("cancel_ingestion", {"Arn": "arn", "IngestionId": ingestion, "Status": 202}, {"AwsAccountId": "123456789012", "DataSetId": data_set_id, "IngestionId": ingestion})
    sleeps = iter([None])

    def sleep(seconds):
        # The second wait is where the task's execution_timeout strikes.
        if next(sleeps, "timeout") == "timeout":
            raise TimeoutError("execution_timeout")

    time.sleep = sleep

qs_stub.activate()
sts_stub.activate()
result = {"ingestion": ingestion}
try:
    dag.refresh_quicksight_data_sets(ti=ti)
    result["outcome"] = "success"
except BaseException as error:
    result["outcome"] = type(error).__name__
    result["message"] = str(error)
qs_stub.assert_no_pending_responses()
sts_stub.assert_no_pending_responses()
result["clients"] = made
print(json.dumps(result))
`;

describe("the QuickSight refresh task's callable (botocore Stubber: requests checked against AWS's model)", () => {
  let file: string;
  beforeAll(async () => {
    file = join(work, "refresh_dag.py");
    writeFileSync(file, await dagSource());
  });
  const refresh = (scenario: string) => {
    const result = run(python, ["-c", RUN_REFRESH, file, scenario], { env: motoProcessEnv() });
    if (result.status !== 0) throw new Error(`the refresh probe failed (exit ${result.status}):\n${result.stderr.slice(-4000)}`);
    return JSON.parse(result.stdout.trim().split("\n").at(-1)!) as { outcome: string; message?: string; ingestion: string; clients: string[] };
  };

  it("is skipped (AirflowSkipException, a success) unless the Variable is true, without any AWS client; a value other than true/false fails", () => {
    const off = refresh("off");
    expect(off).toMatchObject({ outcome: "AirflowSkipException", clients: [] });
    expect(off.message).toContain(QUICKSIGHT_VARIABLES.refresh);
    const typo = refresh("typo");
    expect(typo).toMatchObject({ outcome: "ValueError", clients: [] });
    expect(typo.message).toBe(`Airflow Variable ${QUICKSIGHT_VARIABLES.refresh} is 'yes': set it to true or false.`);
  }, 60_000);

  it("creates a FULL_REFRESH ingestion of every data set (account from STS when no Variable gives it), then waits until each COMPLETED", () => {
    const result = refresh("completed");
    expect(result).toMatchObject({ outcome: "success", clients: ["sts", "quicksight"] });
    // QuickSight's IngestionId: [a-zA-Z0-9-_]{1,128}; unique per run (readable run id and its hash) and try.
    expect(result.ingestion).toMatch(/^[a-zA-Z0-9_-]{1,128}$/);
    expect(result.ingestion).toMatch(/^scheduled__2026-12-06T06-00-00-00-00-[0-9a-f]{12}-try-2$/);
  }, 60_000);

  it("fails with QuickSight's error for each data set whose ingestion FAILED or was CANCELLED, after waiting for all", () => {
    const result = refresh("failed");
    expect(result.outcome).toBe("RuntimeError");
    expect(result.message).toMatch(/^QuickSight ingestion \S+ did not complete: amazon-reviews-[a-z-]+: FAILED: ACCOUNT_CAPACITY_LIMIT_EXCEEDED: SPICE capacity exceeded\.; amazon-reviews-[a-z-]+: CANCELLED: CANCELLED: Cancelled by a user\.$/);
  }, 60_000);

  it("stopped while waiting (its execution_timeout), cancels the ingestions still running and fails with that error", () => {
    const result = refresh("stopped");
    expect(result).toMatchObject({ outcome: "TimeoutError", message: "execution_timeout" });
  }, 60_000);

  it("makes an IngestionId unique per DAG run and try, in QuickSight's pattern, however long or odd the run id", () => {
    const probe = run(python, ["-c", `
${IMPORT_DAG}
import json
runs = ["manual__2026-12-06T07:52:08.123+00:00", "manual__2026-12-06T07:52:08.123-00:00", "x" * 300, "été/ü:1", "a b"]
print(json.dumps([dag.ingestion_id(r, t) for r in runs for t in (1, 2)]))
`, file]);
    expect(probe.status, probe.stderr).toBe(0);
    const ids = JSON.parse(probe.stdout) as string[];
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-zA-Z0-9_-]{1,128}$/);
  }, 60_000);
});

/**
 * The watcher's callable, run in the airflow env with the Variable, the task instance and the SNS client replaced
 * for the test: task states given per scenario (as Airflow 3's Task SDK returns them), the client from botocore's
 * Stubber (the Publish request checked against AWS's model and the expected parameters, or answered with an error).
 */
const RUN_ALERT = `
${IMPORT_DAG}
import json, logging
import boto3
from botocore.stub import Stubber

scenario = sys.argv[2]
records = []
handler = logging.Handler()
handler.emit = lambda record: records.append(record.getMessage())
dag.log.addHandler(handler)
dag.log.setLevel(logging.INFO)

class Variables:
    values = {}
    @classmethod
    def get(cls, key, default=None):
        return cls.values.get(key, default)

dag.Variable = Variables
real_session = boto3.session.Session
made = []
sns = real_session(region_name="eu-west-1").client("sns")
stub = Stubber(sns)

def session(region_name=None):
    made.append(region_name)
    s = real_session(region_name=region_name)
    s.client = lambda service: sns
    return s

boto3.session.Session = session
TOPIC = "arn:aws:sns:eu-west-1:123456789012:reviews-platform-failures"
run_id = "scheduled__2026-12-06T06:00:00+00:00"
states = {"dbt_source_freshness": "failed", "dbt_build": "failed", "refresh_quicksight": "upstream_failed", "watcher": "running"}

class TaskInstance:
    dag_id, task_id = "amazon_reviews_dbt", "watcher"
    log_url = "https://airflow.example.com/dags/amazon_reviews_dbt/runs/scheduled__2026-12-06T06%3A00%3A00%2B00%3A00/tasks/watcher?try_number=1"
    def get_task_states(self, dag_id, run_ids):
        assert (dag_id, run_ids) == (self.dag_id, [self.run_id])
        return {self.run_id: states}

class Dag:
    dag_id = "amazon_reviews_dbt"
    task_ids = ["dbt_source_freshness", "dbt_build", "refresh_quicksight", "watcher"]

ti = TaskInstance()
ti.run_id = sys.argv[3] if len(sys.argv) > 3 else run_id
subject = dag.alert_subject(ti.dag_id, ti.run_id)
message = dag.alert_message(ti.dag_id, ti.run_id, dag.failed_tasks(ti, Dag, None), ti.log_url, ti.task_id)
# The DAG's failure callback: the context Airflow's DAG processor gives it (dag, run_id, reason; ti when known).
callback = scenario.startswith("timeout") or scenario == "callback_task_failure"
if callback:
    context = {"dag": Dag, "run_id": ti.run_id, "reason": "timed_out"}
    subject = dag.alert_subject(ti.dag_id, ti.run_id, "timed out")
    message = dag.timeout_message(ti.dag_id, ti.run_id, None, None, {})
    Variables.values = {dag.FAILURE_TOPIC_ARN: TOPIC}
if scenario == "callback_task_failure":
    context["reason"] = "task_failure"
elif scenario in ("timeout_states_fail", "timeout_old_processor"):
    ti.task_id = "dbt_build"
    ti.log_url = ti.log_url.replace("/tasks/watcher", "/tasks/dbt_build")

    def unreachable(dag_id, run_ids):
        raise RuntimeError("the API server did not answer")

    ti.get_task_states = unreachable
    context["ti"] = ti
    message = dag.timeout_message(ti.dag_id, ti.run_id, "dbt_build", ti.log_url, {})
    if scenario == "timeout_old_processor":
        # Airflow 3.0's DAG processor never answers a callback's request for the task states: it must not be asked.
        dag.airflow.__version__ = "3.0.6"
        result_versions = {v: dag.dag_processor_answers_task_states(v) for v in ("2.10.5", "3.0.6", "3.1.0", "3.1.1", "3.2.1", "3.3.2", "")}
if scenario in ("timeout_minimal", "timeout_states_fail", "timeout_old_processor"):
    stub.add_response("publish", {"MessageId": "m-2"}, {"TopicArn": TOPIC, "Subject": subject, "Message": message})
elif scenario == "timeout_publish_fails":
    stub.add_client_error("publish", "AuthorizationError", "not authorized to perform: SNS:Publish", 403)
if scenario == "success":
    states = {"dbt_source_freshness": "success", "dbt_build": "success", "refresh_quicksight": "skipped", "watcher": "running"}
    Variables.values = {dag.FAILURE_TOPIC_ARN: TOPIC}
elif scenario == "published":
    Variables.values = {dag.FAILURE_TOPIC_ARN: TOPIC}
    stub.add_response("publish", {"MessageId": "m-1"}, {"TopicArn": TOPIC, "Subject": subject, "Message": message})
elif scenario == "publish_fails":
    Variables.values = {dag.FAILURE_TOPIC_ARN: TOPIC}
    stub.add_client_error("publish", "AuthorizationError", "not authorized to perform: SNS:Publish", 403)
elif scenario == "not_an_arn":
    Variables.values = {dag.FAILURE_TOPIC_ARN: "reviews-platform-failures"}
elif scenario == "blank":
    Variables.values = {dag.FAILURE_TOPIC_ARN: "  "}
stub.activate()
result = {"subject": subject, "message": message}
if scenario == "timeout_old_processor":
    result["versions"] = result_versions
try:
    if callback:
        dag.alert_timed_out_run(context)
    else:
        dag.alert_failed_run(ti=ti, dag=Dag, dag_run=None)
    result["outcome"] = "success"
except BaseException as error:
    result["outcome"] = type(error).__name__
    result["error"] = str(error)
stub.assert_no_pending_responses()
result["sessions"] = made
result["log"] = records
print(json.dumps(result))
`;

describe("the watcher's failure alert (botocore Stubber: the Publish request checked against AWS's model)", () => {
  let file: string;
  beforeAll(async () => {
    file = join(work, "alert_dag.py");
    writeFileSync(file, await dagSource());
  });
  interface Alert {
    outcome: string;
    error?: string;
    subject: string;
    message: string;
    sessions: string[];
    log: string[];
    versions?: Record<string, boolean>;
  }
  const alert = (scenario: string, runId?: string): Alert => {
    const result = run(python, ["-c", RUN_ALERT, file, scenario, ...(runId ? [runId] : [])], { env: motoProcessEnv() });
    if (result.status !== 0) throw new Error(`the alert probe failed (exit ${result.status}):\n${result.stderr.slice(-4000)}`);
    return JSON.parse(result.stdout.trim().split("\n").at(-1)!) as Alert;
  };
  const failure = "Tasks of this run did not succeed: dbt_source_freshness failed, dbt_build failed, refresh_quicksight upstream_failed. See the task's log.";

  it("is skipped (a success) when no task of the run failed, without any AWS client", () => {
    expect(alert("success")).toMatchObject({ outcome: "AirflowSkipException", error: "No task of this run failed.", sessions: [] });
  }, 60_000);

  it("publishes one message to the topic, in its region, naming the DAG, the run, each failed task with its state and log, then fails the run", () => {
    const result = alert("published");
    expect(result).toMatchObject({ outcome: "AirflowFailException", error: failure, sessions: ["eu-west-1"] });
    expect(result.subject).toBe("Airflow DAG amazon_reviews_dbt failed: run scheduled__2026-12-06T06:00:00+00:00");
    const runs = "https://airflow.example.com/dags/amazon_reviews_dbt/runs/scheduled__2026-12-06T06%3A00%3A00%2B00%3A00";
    expect(result.message).toBe(
      [
        "The Airflow DAG amazon_reviews_dbt failed.",
        "Run: scheduled__2026-12-06T06:00:00+00:00",
        "",
        "Tasks that did not succeed:",
        "- dbt_source_freshness: failed",
        `  log: ${runs}/tasks/dbt_source_freshness`,
        "- dbt_build: failed",
        `  log: ${runs}/tasks/dbt_build`,
        "- refresh_quicksight: upstream_failed",
        "  not run: a task it depends on failed",
        "",
        "What to do: see the task's log (the link above, or the run in Airflow's grid view) for the reason;",
        "once fixed, clear the failed tasks in Airflow to run them again.",
      ].join("\n"),
    );
    expect(result.log).toEqual(["Failure alert published to arn:aws:sns:eu-west-1:123456789012:reviews-platform-failures (message m-1)"]);
  }, 60_000);

  it("without the Variable (unset or blank): nothing published, a line says alerts are off, the run fails all the same", () => {
    for (const scenario of ["unset", "blank"]) {
      const result = alert(scenario);
      expect(result).toMatchObject({ outcome: "AirflowFailException", error: failure, sessions: [] });
      expect(result.log).toEqual([`Failure alerts off: the Airflow Variable ${ALERT_VARIABLES.failureTopicArn} is not set; nothing published.`]);
    }
  }, 60_000);

  it("a publish that fails (denied, or a Variable that is not a topic ARN) is logged and does not hide the run's failure", () => {
    const denied = alert("publish_fails");
    expect(denied).toMatchObject({ outcome: "AirflowFailException", error: failure });
    expect(denied.log).toEqual([expect.stringMatching(/^Failure alert NOT published to arn:aws:sns:\S+: An error occurred \(AuthorizationError\) when calling the Publish operation: not authorized/)]);
    const notArn = alert("not_an_arn");
    expect(notArn).toMatchObject({ outcome: "AirflowFailException", error: failure, sessions: [] });
    expect(notArn.log).toEqual([`Failure alert NOT published to reviews-platform-failures: Airflow Variable ${ALERT_VARIABLES.failureTopicArn} is 'reviews-platform-failures', not an SNS topic ARN.`]);
  }, 60_000);

  it("the DAG's failure callback: nothing for a run that failed at a task (the watcher reported it), without any AWS client", () => {
    expect(alert("callback_task_failure")).toMatchObject({ outcome: "success", sessions: [], log: [] });
  }, 60_000);

  it("the DAG's failure callback, for a run stopped by its dagrun_timeout: one message even from a minimal context or when the task states cannot be read; a denied publish is logged, never raised", () => {
    const minimal = alert("timeout_minimal");
    expect(minimal).toMatchObject({ outcome: "success", sessions: ["eu-west-1"] });
    expect(minimal.subject).toBe("Airflow DAG amazon_reviews_dbt timed out: run scheduled__2026-12-06T06:00:00+00:00");
    const header = [
      "The Airflow DAG amazon_reviews_dbt was stopped by its 3-hour dagrun_timeout: its tasks that had not",
      "ended were marked skipped, and the watcher did not run.",
      "Run: scheduled__2026-12-06T06:00:00+00:00",
    ];
    const whatToDo = [
      "",
      "What to do: each task's own timeout ends it well within the window, so the run waited: for a worker or a pool",
      "slot (a task queued) or for the scheduler. See the run in Airflow's grid view and the scheduler's and the",
      "workers' health; once fixed, clear the run's tasks in Airflow to run them again.",
    ];
    expect(minimal.message).toBe([...header, ...whatToDo].join("\n"));
    expect(minimal.log).toEqual([
      "Run scheduled__2026-12-06T06:00:00+00:00 of amazon_reviews_dbt stopped by its dagrun_timeout",
      "Failure alert published to arn:aws:sns:eu-west-1:123456789012:reviews-platform-failures (message m-2)",
    ]);

    const noStates = alert("timeout_states_fail");
    expect(noStates).toMatchObject({ outcome: "success", sessions: ["eu-west-1"] });
    const log = "https://airflow.example.com/dags/amazon_reviews_dbt/runs/scheduled__2026-12-06T06%3A00%3A00%2B00%3A00/tasks/dbt_build?try_number=1";
    expect(noStates.message).toBe([...header, "", "Not ended when the run was stopped (the last task started): dbt_build", `  log: ${log}`, ...whatToDo].join("\n"));
    expect(noStates.log[0]).toBe("Could not read the task states of run scheduled__2026-12-06T06:00:00+00:00: the API server did not answer");

    // On Airflow 3.0 (and 3.1.0) the DAG processor never answers the callback's request for the task states, so the
    // callback would wait until the processor is killed, its alert unsent: it does not ask, and sends the alert.
    const oldProcessor = alert("timeout_old_processor");
    expect(oldProcessor).toMatchObject({ outcome: "success", sessions: ["eu-west-1"] });
    expect(oldProcessor.message).toBe(noStates.message);
    expect(oldProcessor.log.some((line) => line.startsWith("Could not read the task states"))).toBe(false);
    expect(oldProcessor.versions).toEqual({ "2.10.5": false, "3.0.6": false, "3.1.0": false, "3.1.1": true, "3.2.1": true, "3.3.2": true, "": false });

    const denied = alert("timeout_publish_fails");
    expect(denied.outcome).toBe("success");
    expect(denied.log.at(-1)).toMatch(/^Failure alert NOT published to arn:aws:sns:\S+: An error occurred \(AuthorizationError\) when calling the Publish operation/);
  }, 60_000);

  it("keeps the subject within SNS's limit (less than 100 characters: printable ASCII, no line break) whatever the run id", () => {
    for (const runId of ["manual__" + "x".repeat(300), "manual__été\n\u0007ü/日本"]) {
      const { subject, message } = alert("unset", runId);
      expect(subject.length).toBeLessThan(100);
      expect(subject).toMatch(/^[\x20-\x7e]+$/);
      expect(subject.startsWith("Airflow DAG amazon_reviews_dbt failed: run manual__")).toBe(true);
      // The body (up to 256 KB, any UTF-8) carries the run id whole.
      expect(message).toContain(`Run: ${runId}`);
    }
    const cut = alert("unset", "manual__" + "x".repeat(300)).subject;
    expect(cut).toMatch(/x\.\.\.$/);
    expect(cut).toHaveLength(99);
  }, 60_000);
});
