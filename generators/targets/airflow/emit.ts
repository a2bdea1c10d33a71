/**
 * The Airflow DAG that runs dbt against Snowflake: `dbt source freshness` → `dbt build` (the dbt project has no
 * package dependencies, so no `dbt deps`). Explicit `schedule`, `start_date`, `catchup` and retries (Airflow 3 changed
 * the defaults of all of them), and imports that work on Airflow 2.9+ and 3 (`airflow.sdk`, the standard provider's
 * BashOperator).
 *
 * The dbt command line (executable, project dir, profiles dir, target) comes from Airflow Variables read when a task
 * runs, with the production values of `PLATFORM.airflow` as defaults: a deployment, or `npm run dag:test` with the
 * profile's `local` target, changes them without editing the file (`AIRFLOW_VAR_<NAME>` or `airflow variables set`).
 * https://airflow.apache.org/docs/apache-airflow/stable/templates-ref.html#variables
 * Each value passes through `shlex.quote` (a DAG-level Jinja filter) before it reaches bash.
 *
 * After a successful build, `refresh_quicksight` reloads the SPICE data sets of the QuickSight layer (the ids of
 * `generated/quicksight/quicksight.json`, from the same marts and the same `dataSetId`): CreateIngestion
 * (FULL_REFRESH) on each, then DescribeIngestion until each has ended. It is skipped unless an Airflow Variable turns it
 * on, as QuickSight itself is off unless Terraform's `enable_quicksight` is set.
 * https://docs.aws.amazon.com/quicksight/latest/APIReference/API_CreateIngestion.html
 *
 * The last task, `watcher`, runs once every other task has ended (`all_done`): skipped when none failed; otherwise it
 * publishes one message to the platform's SNS failure topic (its ARN from an Airflow Variable; nothing when unset),
 * then fails the run. A task, not a callback: Airflow 3 runs a task through the same task runner in `airflow dags
 * test` and under a scheduler, while a DAG's `on_failure_callback` runs in the DAG processor (a scheduler
 * deployment) or in-process (`dags test`), and a task's callback would send one message per failed task.
 * https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
 */
import { mdCell } from "../../dialects/markdown.js";
import { pyString } from "../../dialects/python.js";
import { commentBlock, combinedHeaderLines, finalText } from "../../lib/header.js";
import type { ContractIR } from "../../ir/types.js";
import { PLATFORM } from "../../platform.js";
import { dataSetId } from "../quicksight/emit.js";
import type { EmitResult, Target } from "../types.js";

const AF = PLATFORM.airflow;

/**
 * Where `dbt build --store-failures` writes each test's failing rows on Snowflake: dbt's audit schema (`dbt_test__audit`)
 * as a custom schema of the profile's (`generate_schema_name`: `<schema>_<custom>`), upper case as Snowflake stores it.
 * https://docs.getdbt.com/reference/resource-configs/store_failures
 */
export const AUDIT_SCHEMA = `${PLATFORM.snowflake.database}.${PLATFORM.dbt.schema}_DBT_TEST__AUDIT`;

/** The Airflow Variables of the dbt command line, named after the dbt project (several DAGs may share an Airflow). */
export const DBT_VARIABLES = {
  executable: `${PLATFORM.dbt.project}_dbt_executable`,
  projectDir: `${PLATFORM.dbt.project}_dbt_project_dir`,
  profilesDir: `${PLATFORM.dbt.project}_dbt_profiles_dir`,
  target: `${PLATFORM.dbt.project}_dbt_target`,
} as const;

/**
 * The Airflow Variables of the QuickSight refresh: on or off (off by default, as Terraform's `enable_quicksight`), and
 * the account and region of the data sets (defaults: the account of the workers' AWS credentials, from STS
 * GetCallerIdentity, and the AWS SDK's region of the workers).
 */
export const QUICKSIGHT_VARIABLES = {
  refresh: `${PLATFORM.dbt.project}_quicksight_refresh`,
  accountId: `${PLATFORM.dbt.project}_quicksight_account_id`,
  region: `${PLATFORM.dbt.project}_quicksight_region`,
} as const;

/**
 * The Airflow Variable of the failure alert: the ARN of the SNS topic the watcher publishes to when a task of the run
 * failed (Terraform's output `failure_topic_arn`); unset or empty, no alert is sent.
 */
export const ALERT_VARIABLES = {
  failureTopicArn: `${PLATFORM.dbt.project}_failure_topic_arn`,
} as const;

/** The QuickSight data set ids the refresh reloads: those of the QuickSight layer, one per mart, in its order. */
export function quicksightDataSetIds(ir: ContractIR): string[] {
  return (ir.marts ?? []).map((m) => dataSetId(m.name));
}

/**
 * A Python tuple of string literals as `ruff format` writes it: one item per line with a trailing comma (which keeps
 * it so), except the empty tuple and a one-item tuple, whose comma is not a magic one.
 */
export function pyTuple(name: string, items: readonly string[]): string {
  if (items.length === 0) return `${name} = ()`;
  if (items.length === 1) return assignment(name, `(${pyString(items[0]!)},)`);
  return `${name} = (\n${items.map((item) => `    ${pyString(item)},\n`).join("")})`;
}

/** The production value of each setting: what runs when no Variable is set. */
const DBT_DEFAULTS: Record<keyof typeof DBT_VARIABLES, string> = {
  executable: "dbt",
  projectDir: AF.dbtProjectDir,
  profilesDir: AF.dbtProfilesDir,
  target: AF.dbtTarget,
};

/** The environment variable Airflow reads a Variable from (`AIRFLOW_VAR_` + the name in upper case). */
export function airflowVariableEnv(name: string): string {
  return `AIRFLOW_VAR_${name.toUpperCase()}`;
}

/** A Jinja string literal (Jinja decodes Python escapes in it): backslashes and single quotes escaped. */
function jinjaString(text: string): string {
  return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/**
 * `NAME = "literal"` as `ruff format` writes it (line length 120, ruff.toml): a line that is too long gets its value
 * in parentheses on a line of its own, unless that line would be too long as well.
 */
function assignment(name: string, literal: string): string {
  const line = `${name} = ${literal}`;
  return line.length <= 120 || literal.length + 4 > 120 ? line : `${name} = (\n    ${literal}\n)`;
}

/** The template of one setting: the Variable, or the production default, shell-quoted. */
function setting(key: keyof typeof DBT_VARIABLES): string {
  return `{{ var.value.get(${jinjaString(DBT_VARIABLES[key])}, ${jinjaString(DBT_DEFAULTS[key])}) | shell_quote }}`;
}

/**
 * Minutes the DAG's tasks may take at worst, one after the other: the freshness check (no retry), the build with every
 * retry and retry delay, the QuickSight refresh (no retry), the watcher (no retry). Within `windowHours`, so that each
 * task ends at its own timeout (and the watcher reports it) before the run's dagrun_timeout stops it.
 */
export function worstCaseMinutes(): number {
  const t = AF.taskTimeoutMinutes;
  return t.dbt_source_freshness + (AF.retries + 1) * t.dbt_build + AF.retries * AF.retryDelayMinutes + t.refresh_quicksight + t.watcher;
}

export function dagSource(ir: ContractIR): string {
  if (worstCaseMinutes() > AF.windowHours * 60) {
    throw new Error(`Bug: PLATFORM.airflow's task timeouts, retries and delays (${worstCaseMinutes()} minutes at worst) do not fit its ${AF.windowHours}-hour window.`);
  }
  const [year, month, day] = AF.startDate.split("-").map(Number);
  const timeout = (task: keyof typeof AF.taskTimeoutMinutes) => `timedelta(minutes=${AF.taskTimeoutMinutes[task]})`;
  const owners = [...new Set(ir.datasets.map((d) => d.contract.owner))].sort().join(", ");
  const dataSetIds = quicksightDataSetIds(ir);
  const qsVar = QUICKSIGHT_VARIABLES;
  const doc = [
    `# ${AF.dagId}`,
    "",
    "Runs the dbt project generated from the data contracts against Snowflake: source freshness first (fails when a",
    `dataset's processed data is older than ${PLATFORM.dbt.freshness.errorAfterHours} hours), then \`dbt build\` (models and their tests, in dependency order)`,
    "whatever the freshness check found: one late dataset does not hold back the marts of the others. Only after a",
    "successful build, `refresh_quicksight` reloads the QuickSight SPICE data sets (see \"Dashboards\"). The run still",
    "fails when any task failed (`watcher`, the last task), so a stale source fails the run, and the watcher sends one",
    "alert to the platform's failure topic (see \"Failure alerts\").",
    "",
    "## Timeouts",
    "",
    `The run is stopped after ${AF.windowHours} hours (\`dagrun_timeout\`). Each task has an \`execution_timeout\`: source`,
    `freshness ${AF.taskTimeoutMinutes.dbt_source_freshness} minutes, build ${AF.taskTimeoutMinutes.dbt_build} minutes per try (${AF.retries} retries, ${AF.retryDelayMinutes} minutes apart), QuickSight`,
    `refresh ${AF.taskTimeoutMinutes.refresh_quicksight} minutes (no retry), watcher ${AF.taskTimeoutMinutes.watcher} minutes: ${worstCaseMinutes()} minutes at worst, within the window. A`,
    "task stopped by its timeout fails, and the watcher fails the run.",
    "",
    ...ir.datasets.map((d) => `- \`${d.name}\` (contract ${d.contract.version}): ${mdCell(d.description)}`),
    "",
    "## Settings",
    "",
    "The dbt command line comes from Airflow Variables, read when a task runs; without a Variable the production",
    "value applies. Set one with `airflow variables set <name> <value>` or the environment variable",
    "`AIRFLOW_VAR_<NAME>` (upper case). Values are shell-quoted.",
    "",
    `- \`${DBT_VARIABLES.executable}\` (default \`${DBT_DEFAULTS.executable}\`): the dbt executable`,
    `- \`${DBT_VARIABLES.projectDir}\` (default \`${DBT_DEFAULTS.projectDir}\`): the dbt project`,
    `- \`${DBT_VARIABLES.profilesDir}\` (default \`${DBT_DEFAULTS.profilesDir}\`): the folder of \`profiles.yml\``,
    `- \`${DBT_VARIABLES.target}\` (default \`${DBT_DEFAULTS.target}\`): the profile's target (\`local\` is DuckDB)`,
    `- \`${qsVar.refresh}\` (default \`false\`): \`true\` turns the QuickSight refresh on (see "Dashboards")`,
    `- \`${qsVar.accountId}\` (default: the account of the workers' AWS credentials, STS`,
    "  `GetCallerIdentity`): the AWS account of the QuickSight data sets",
    `- \`${qsVar.region}\` (default: the AWS SDK's region of the workers, \`AWS_DEFAULT_REGION\`): their region`,
    `- \`${ALERT_VARIABLES.failureTopicArn}\` (default: none, no alert): the ARN of the SNS failure topic (see "Failure alerts")`,
    "",
    "## Failure alerts",
    "",
    "`watcher` runs once every other task has ended (`all_done`) and is skipped when none failed. Otherwise it publishes",
    "one message to the SNS topic whose ARN is the Airflow Variable",
    `\`${ALERT_VARIABLES.failureTopicArn}\` (Terraform's output \`failure_topic_arn\`: the topic that also receives the`,
    "Step Functions and CloudWatch failures), then fails the run. The message names the DAG, the run id and each task",
    "that failed or was upstream_failed, with the link to a failed task's log, and says what to do: see the task's log.",
    "Without the Variable nothing is published (the task's log says alerts are off); a publish that fails is logged and",
    "the run fails all the same.",
    "",
    "A run stopped by its `dagrun_timeout` never reaches the watcher (every task's own timeout ends it first, so such a",
    "run waited: for a worker, a pool slot or the scheduler). The DAG's `on_failure_callback`, which Airflow's DAG",
    "processor runs when the scheduler stops the run, publishes one alert for it to the same topic: the run, the task",
    "that had not ended with its log link, the tasks' states (from Airflow 3.1.1 on: an older DAG processor never answers",
    "a callback's request for them), and what to do. It publishes nothing for any other failed",
    "run, which the watcher has reported. The AWS role of the workers and of the DAG processor needs the IAM policy",
    "Terraform outputs as `airflow_failure_alert_policy_arn` (`sns:Publish` on that topic, and the topic's KMS key).",
    "",
    "## Dashboards",
    "",
    "`refresh_quicksight` runs only when `dbt_build` succeeded (models and tests): a mart whose tests failed, or a build",
    "that failed or is still running, never reaches the dashboards, which keep the data of the last good build. It",
    `is skipped (which counts as success) unless \`${qsVar.refresh}\` is \`true\`. When on, it starts a`,
    "full SPICE refresh (QuickSight `CreateIngestion`, `FULL_REFRESH`) of each data set below, with an ingestion id",
    "made of the DAG run's id and the try number, then polls `DescribeIngestion` until each one has ended: a failed or",
    "cancelled ingestion fails the task with QuickSight's error, and the watcher fails the run; a task stopped (its",
    "timeout) cancels the ingestions still running. The workers' AWS role needs the IAM policy Terraform outputs as",
    "`quicksight_refresh_policy_arn` (CreateIngestion, DescribeIngestion, CancelIngestion on these data sets only).",
    "",
    ...(dataSetIds.length ? dataSetIds.map((id) => `- \`${mdCell(id)}\``) : ["No data set: no mart is read by QuickSight."]),
    "",
    "## Failing rows",
    "",
    "`dbt build --store-failures` keeps the rows each data test found in a table named after the test, in the schema",
    `\`${AUDIT_SCHEMA}\` (the profile's schema and dbt's \`_dbt_test__audit\`), replaced by every build. The`,
    `transformer role creates and owns that schema (\`GRANT CREATE SCHEMA ON DATABASE\`); no other role reads it, as`,
    "failing rows of a source test may hold personal columns in clear.",
  ].join("\n");
  return finalText(`${commentBlock(combinedHeaderLines(ir.datasets), "#")}"""Airflow DAG: dbt source freshness, then dbt build, against Snowflake; then the QuickSight refresh."""

from __future__ import annotations

import hashlib
import logging
import re
import shlex
import time
from datetime import datetime, timedelta, timezone

import airflow

try:  # Airflow 3
    from airflow.sdk import DAG, Variable
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException
except ImportError:  # Airflow 2.9+ (the same names, so type checkers are told not to count them twice)
    from airflow import DAG
    from airflow.exceptions import AirflowFailException, AirflowSkipException  # type: ignore[no-redef]
    from airflow.models import Variable

try:  # Airflow 3: apache-airflow-providers-standard
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.providers.standard.operators.python import PythonOperator
except ImportError:  # Airflow 2
    from airflow.operators.bash import BashOperator  # type: ignore[no-redef]
    from airflow.operators.python import PythonOperator  # type: ignore[no-redef]

DOC_MD = ${pyString(doc)}

DEFAULT_ARGS = {
    "owner": ${pyString(owners)},
    "retries": ${AF.retries},
    "retry_delay": timedelta(minutes=${AF.retryDelayMinutes}),
}

# The dbt command line: Airflow Variables with the production values as defaults (see "Settings" in DOC_MD).
${assignment("DBT", pyString(setting("executable")))}
${assignment("DBT_PROJECT_DIR", pyString(setting("projectDir")))}
${assignment("DBT_PROFILES_DIR", pyString(setting("profilesDir")))}
${assignment("DBT_TARGET", pyString(setting("target")))}
DBT_OPTIONS = f"--project-dir {DBT_PROJECT_DIR} --profiles-dir {DBT_PROFILES_DIR} --target {DBT_TARGET}"

# The QuickSight refresh (see "Dashboards" in DOC_MD): its Airflow Variables and the data sets of the QuickSight layer.
QUICKSIGHT_REFRESH = ${pyString(qsVar.refresh)}
QUICKSIGHT_ACCOUNT_ID = ${pyString(qsVar.accountId)}
QUICKSIGHT_REGION = ${pyString(qsVar.region)}
${pyTuple("QUICKSIGHT_DATA_SET_IDS", dataSetIds)}
INGESTION_POLL_SECONDS = ${AF.ingestionPollSeconds}
# https://docs.aws.amazon.com/quicksight/latest/APIReference/API_Ingestion.html
INGESTION_ENDED = {"COMPLETED", "FAILED", "CANCELLED"}

# The failure alert (see "Failure alerts" in DOC_MD): the Airflow Variable of the SNS topic's ARN.
FAILURE_TOPIC_ARN = ${pyString(ALERT_VARIABLES.failureTopicArn)}
# The run's window (dagrun_timeout): a run still going then is stopped by the scheduler and failed.
RUN_WINDOW_HOURS = ${AF.windowHours}
# The states of a task that did not succeed and made the run fail.
FAILED_STATES = ("failed", "upstream_failed")
# https://docs.aws.amazon.com/sns/latest/api/API_Publish.html: a Subject "less than 100 characters long", no line break.
SNS_SUBJECT_LIMIT = 99
SNS_TOPIC_ARN = re.compile(r"arn:aws[a-z-]*:sns:([a-z0-9-]+):[0-9]{12}:[A-Za-z0-9_-]{1,256}")

log = logging.getLogger(__name__)


def ingestion_id(run_id: str, try_number: int) -> str:
    """An IngestionId unique per DAG run and try, in QuickSight's pattern: [A-Za-z0-9_-], at most 128 characters.

    A run id holds other characters (manual__2026-01-01T06:00:00+00:00): they become dashes, and a hash of the whole
    run id keeps two run ids that differ only there apart.
    """
    readable = re.sub(r"[^A-Za-z0-9_-]+", "-", run_id)[:96]
    digest = hashlib.sha256(run_id.encode("utf-8")).hexdigest()[:12]
    return f"{readable}-{digest}-try-{try_number}"


def refresh_quicksight_data_sets(ti, **_context) -> None:
    """Full SPICE refresh of every data set, then wait until each has ended; fail with QuickSight's error if one did not complete."""
    enabled = str(Variable.get(QUICKSIGHT_REFRESH, "false")).strip().lower()
    if enabled not in ("true", "false"):
        raise ValueError(f"Airflow Variable {QUICKSIGHT_REFRESH} is {enabled!r}: set it to true or false.")
    if enabled == "false":
        raise AirflowSkipException(f"QuickSight refresh off: the Airflow Variable {QUICKSIGHT_REFRESH} is not true.")
    if not QUICKSIGHT_DATA_SET_IDS:
        raise AirflowSkipException("No QuickSight data set to refresh.")
    import boto3  # here, not at the top: a deployment without QuickSight needs no boto3 to load the DAG

    session = boto3.session.Session(region_name=Variable.get(QUICKSIGHT_REGION, "") or None)
    if not session.region_name:
        raise ValueError(f"No AWS region for QuickSight: set the Airflow Variable {QUICKSIGHT_REGION}.")
    account_id = Variable.get(QUICKSIGHT_ACCOUNT_ID, "") or session.client("sts").get_caller_identity()["Account"]
    log.info("QuickSight: account %s, region %s", account_id, session.region_name)
    quicksight = session.client("quicksight")
    ingestion = ingestion_id(ti.run_id, ti.try_number)
    ids = {"AwsAccountId": account_id, "IngestionId": ingestion}
    running: list[str] = []
    try:
        for data_set_id in QUICKSIGHT_DATA_SET_IDS:
            quicksight.create_ingestion(DataSetId=data_set_id, IngestionType="FULL_REFRESH", **ids)
            running.append(data_set_id)
            log.info("QuickSight: started ingestion %s of data set %s", ingestion, data_set_id)
        failures = []
        while running:
            time.sleep(INGESTION_POLL_SECONDS)
            for data_set_id in list(running):
                found = quicksight.describe_ingestion(DataSetId=data_set_id, **ids)["Ingestion"]
                status = found["IngestionStatus"]
                if status not in INGESTION_ENDED:
                    continue
                running.remove(data_set_id)
                if status == "COMPLETED":
                    rows = found.get("RowInfo", {}).get("RowsIngested", "?")
                    log.info("QuickSight: data set %s refreshed (%s rows)", data_set_id, rows)
                else:
                    error = found.get("ErrorInfo", {})
                    reason = f"{error.get('Type', 'no error type')}: {error.get('Message', 'no message')}"
                    failures.append(f"{data_set_id}: {status}: {reason}")
        if failures:
            raise RuntimeError(f"QuickSight ingestion {ingestion} did not complete: {'; '.join(failures)}")
    except BaseException:
        # Stopped (its execution_timeout, a failed call, the task killed): cancel what is still running, so that no
        # load of this try lands after the task has failed.
        for data_set_id in running:
            try:
                quicksight.cancel_ingestion(DataSetId=data_set_id, **ids)
                log.warning("QuickSight: cancelled ingestion %s of data set %s", ingestion, data_set_id)
            except Exception as error:  # the error that stopped the task is the one to report
                log.warning("QuickSight: could not cancel %s of data set %s: %s", ingestion, data_set_id, error)
        raise


def dag_processor_answers_task_states(version: str) -> bool:
    """Whether Airflow's DAG processor, which runs the DAG's failure callback, answers its request for the task states:
    from Airflow 3.1.1. Before, it never answers, and the callback waits until the processor is killed, its alert
    unsent (apache/airflow#56465)."""
    found = re.match(r"(\\d+)\\.(\\d+)\\.(\\d+)", version)
    return found is not None and tuple(int(part) for part in found.groups()) >= (3, 1, 1)


def task_states(ti, dag_run=None) -> dict[str, str]:
    """Each task of the task instance's run with its state, as text."""
    if hasattr(ti, "get_task_states"):  # Airflow 3: the Task SDK asks the API server
        states = ti.get_task_states(dag_id=ti.dag_id, run_ids=[ti.run_id]).get(ti.run_id, {})
    else:  # Airflow 2: the metadata database
        states = {task.task_id: task.state for task in dag_run.get_task_instances()}
    return {task_id: str(getattr(state, "value", state)) for task_id, state in states.items()}


def failed_tasks(ti, dag, dag_run) -> list[tuple[str, str]]:
    """The other tasks of this run that failed or were upstream_failed, with their state, in the DAG's order."""
    states = task_states(ti, dag_run)
    others = [task_id for task_id in dag.task_ids if task_id != ti.task_id]
    return [(task_id, states[task_id]) for task_id in others if states.get(task_id) in FAILED_STATES]


def alert_subject(dag_id: str, run_id: str, what: str = "failed") -> str:
    """SNS's Subject: printable ASCII (anything else becomes ?), at most 99 characters (a long run id is cut)."""
    subject = re.sub(r"[^\\x20-\\x7e]", "?", f"Airflow DAG {dag_id} {what}: run {run_id}")
    return subject if len(subject) <= SNS_SUBJECT_LIMIT else subject[: SNS_SUBJECT_LIMIT - 3] + "..."


def task_log_url(own_log_url: str | None, own_id: str, task_id: str) -> str | None:
    """Another task's log page in this run, made from this task's own: Airflow 3's
    <base_url>/dags/<dag>/runs/<run>/tasks/<task>?try_number=N, Airflow 2's
    <base_url>/dags/<dag>/grid?dag_run_id=<run>&task_id=<task>&base_date=<date>&tab=logs. None for any other form."""
    if not own_log_url:
        return None
    marker = f"/tasks/{own_id}"
    if marker in own_log_url:
        return f"{own_log_url.split(marker)[0]}/tasks/{task_id}"
    parameter = f"&task_id={own_id}&"
    if "/grid?" in own_log_url and parameter in own_log_url:
        return own_log_url.replace(parameter, f"&task_id={task_id}&", 1)
    return None


def alert_message(dag_id: str, run_id: str, failed: list[tuple[str, str]], own_log_url: str | None, own_id: str) -> str:
    """The alert's body: the DAG, the run, each task that did not succeed with its state and log link, what to do."""
    lines = [f"The Airflow DAG {dag_id} failed.", f"Run: {run_id}", "", "Tasks that did not succeed:"]
    for task_id, state in failed:
        lines.append(f"- {task_id}: {state}")
        link = task_log_url(own_log_url, own_id, task_id)
        if state == "failed" and link:
            lines.append(f"  log: {link}")
        elif state == "upstream_failed":
            lines.append("  not run: a task it depends on failed")
    lines += ["", "What to do: see the task's log (the link above, or the run in Airflow's grid view) for the reason;"]
    lines.append("once fixed, clear the failed tasks in Airflow to run them again.")
    return "\\n".join(lines)


def publish_failure_alert(topic_arn: str, subject: str, message: str) -> str:
    """One SNS Publish to the topic, in the topic's own region (from its ARN); returns SNS's MessageId."""
    found = SNS_TOPIC_ARN.fullmatch(topic_arn)
    if not found:
        raise ValueError(f"Airflow Variable {FAILURE_TOPIC_ARN} is {topic_arn!r}, not an SNS topic ARN.")
    import boto3  # here, not at the top: a deployment without alerts needs no boto3 to load the DAG

    sns = boto3.session.Session(region_name=found.group(1)).client("sns")
    return sns.publish(TopicArn=topic_arn, Subject=subject, Message=message)["MessageId"]


def send_alert(subject: str, message: str) -> None:
    """One message to the failure topic when its Variable is set; a publish that fails is logged, never raised."""
    topic_arn = str(Variable.get(FAILURE_TOPIC_ARN, "") or "").strip()
    if not topic_arn:
        log.warning("Failure alerts off: the Airflow Variable %s is not set; nothing published.", FAILURE_TOPIC_ARN)
        return
    try:
        message_id = publish_failure_alert(topic_arn, subject, message)
        log.info("Failure alert published to %s (message %s)", topic_arn, message_id)
    except Exception as error:  # the run's failure is what matters: it stands all the same
        log.error("Failure alert NOT published to %s: %s", topic_arn, error)


def alert_failed_run(ti, dag, dag_run=None, **_context) -> None:
    """Skipped when no task of the run failed; otherwise one alert to the failure topic (if set), then fail the run."""
    failed = failed_tasks(ti, dag, dag_run)
    if not failed:
        raise AirflowSkipException("No task of this run failed.")
    summary = ", ".join(f"{task_id} {state}" for task_id, state in failed)
    message = alert_message(ti.dag_id, ti.run_id, failed, getattr(ti, "log_url", None), ti.task_id)
    send_alert(alert_subject(ti.dag_id, ti.run_id), message)
    raise AirflowFailException(f"Tasks of this run did not succeed: {summary}. See the task's log.")


def timeout_message(dag_id: str, run_id: str, last: str | None, log_url: str | None, states: dict[str, str]) -> str:
    """The body of the alert of a run stopped by its dagrun_timeout: the run, where it stood, what to do."""
    lines = [
        f"The Airflow DAG {dag_id} was stopped by its {RUN_WINDOW_HOURS}-hour dagrun_timeout: its tasks that had not",
        "ended were marked skipped, and the watcher did not run.",
        f"Run: {run_id}",
    ]
    if last:
        lines += ["", f"Not ended when the run was stopped (the last task started): {last}"]
        if log_url:
            lines.append(f"  log: {log_url}")
    if states:
        lines += ["", "Tasks, as the timeout left them:"]
        lines += [f"- {task_id}: {state}" for task_id, state in states.items()]
    lines += [
        "",
        "What to do: each task's own timeout ends it well within the window, so the run waited: for a worker or a pool",
        "slot (a task queued) or for the scheduler. See the run in Airflow's grid view and the scheduler's and the",
        "workers' health; once fixed, clear the run's tasks in Airflow to run them again.",
    ]
    return "\\n".join(lines)


def alert_timed_out_run(context) -> None:
    """The DAG's on_failure_callback, run by Airflow's DAG processor: one alert for a run stopped by its dagrun_timeout.

    The scheduler stops such a run before the watcher could run (reason "timed_out"). Any other failed run is the
    watcher's to report, and it did: nothing is published for it here.
    """
    if context.get("reason") != "timed_out":
        return
    dag_id, run_id = context["dag"].dag_id, context["run_id"]
    # The unfinished task that started last, as the scheduler found it; absent from a minimal context.
    ti = context.get("ti")
    states: dict[str, str] = {}
    # Airflow 3: the Task SDK asks the API server, through the DAG processor (which answers from 3.1.1 on).
    if ti is not None and hasattr(ti, "get_task_states") and dag_processor_answers_task_states(airflow.__version__):
        try:
            by_id = task_states(ti)
            states = {task_id: by_id[task_id] for task_id in context["dag"].task_ids if task_id in by_id}
        except Exception as error:  # the alert matters more than its detail
            log.warning("Could not read the task states of run %s: %s", run_id, error)
    message = timeout_message(dag_id, run_id, getattr(ti, "task_id", None), getattr(ti, "log_url", None), states)
    log.error("Run %s of %s stopped by its dagrun_timeout", run_id, dag_id)
    send_alert(alert_subject(dag_id, run_id, "timed out"), message)


with DAG(
    dag_id=${pyString(AF.dagId)},
    description="dbt source freshness and dbt build of the Amazon review models, then their QuickSight refresh",
    schedule=${pyString(AF.schedule)},
    start_date=datetime(${year}, ${month}, ${day}, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    # Every task's worst case fits the window (see "Timeouts" in DOC_MD): a run still going then is stopped and failed.
    dagrun_timeout=timedelta(hours=RUN_WINDOW_HOURS),
    # A run stopped by that timeout never reaches the watcher: the DAG's failure callback sends its alert.
    on_failure_callback=alert_timed_out_run,
    default_args=DEFAULT_ARGS,
    doc_md=DOC_MD,
    tags=["dbt", "snowflake", "amazon-reviews"],
    user_defined_filters={"shell_quote": shlex.quote},
) as dag:
    # No retry: a stale source is still stale minutes later, and dbt_build waits for this task whatever its outcome,
    # so retries would only hold back every mart.
    dbt_source_freshness = BashOperator(
        task_id="dbt_source_freshness",
        bash_command=f"{DBT} source freshness {DBT_OPTIONS}",
        retries=0,
        execution_timeout=${timeout("dbt_source_freshness")},
    )
    # After the freshness check whatever its outcome: a stale source is reported, the other marts still refresh.
    # --store-failures keeps each test's failing rows in a table of the audit schema (see "Failing rows" in DOC_MD),
    # as the local pipeline's build does.
    dbt_build = BashOperator(
        task_id="dbt_build",
        bash_command=f"{DBT} build --store-failures {DBT_OPTIONS}",
        trigger_rule="all_done",
        # Per try: with its retries and their delays the build still ends within dagrun_timeout.
        execution_timeout=${timeout("dbt_build")},
    )
    # Only after a successful build (all_success): a mart whose tests failed never reaches the dashboards. No retry:
    # a failed ingestion is QuickSight's (the data source, SPICE capacity) and is seen in the task's log.
    refresh_quicksight = PythonOperator(
        task_id="refresh_quicksight",
        python_callable=refresh_quicksight_data_sets,
        retries=0,
        execution_timeout=${timeout("refresh_quicksight")},
    )
    # A DAG run takes the state of its last tasks: without this one, a failed freshness check followed by a
    # successful build would leave the run successful. It runs once every task has ended (all_done, so that its one
    # alert names every failed task), is skipped when none failed, and otherwise alerts and fails the run.
    watcher = PythonOperator(
        task_id="watcher",
        python_callable=alert_failed_run,
        trigger_rule="all_done",
        retries=0,
        execution_timeout=${timeout("watcher")},
    )

    dbt_source_freshness >> dbt_build >> refresh_quicksight
    [dbt_source_freshness, dbt_build, refresh_quicksight] >> watcher
`);
}

export const airflowTarget: Target = {
  id: "airflow",
  description: "Airflow DAG running dbt source freshness, dbt build and the QuickSight refresh that follows a successful build",
  emit(ir: ContractIR): EmitResult {
    return { files: [{ path: `generated/airflow/dags/${AF.dagId}.py`, contents: dagSource(ir) }], diagnostics: [] };
  },
};
