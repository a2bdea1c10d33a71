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
 */
import { mdCell } from "../../dialects/markdown.js";
import { pyString } from "../../dialects/python.js";
import { commentBlock, combinedHeaderLines, finalText } from "../../lib/header.js";
import type { ContractIR } from "../../ir/types.js";
import { PLATFORM } from "../../platform.js";
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
 * retry and retry delay, the watcher (no retry). Within `windowHours`, so the DAG run ends (or is stopped by its
 * dagrun_timeout) before the dashboards refresh.
 */
export function worstCaseMinutes(): number {
  const t = AF.taskTimeoutMinutes;
  return t.dbt_source_freshness + (AF.retries + 1) * t.dbt_build + AF.retries * AF.retryDelayMinutes + t.watcher;
}

export function dagSource(ir: ContractIR): string {
  if (worstCaseMinutes() > AF.windowHours * 60) {
    throw new Error(`Bug: PLATFORM.airflow's task timeouts, retries and delays (${worstCaseMinutes()} minutes at worst) do not fit its ${AF.windowHours}-hour window.`);
  }
  const [year, month, day] = AF.startDate.split("-").map(Number);
  const timeout = (task: keyof typeof AF.taskTimeoutMinutes) => `timedelta(minutes=${AF.taskTimeoutMinutes[task]})`;
  const owners = [...new Set(ir.datasets.map((d) => d.contract.owner))].sort().join(", ");
  const doc = [
    `# ${AF.dagId}`,
    "",
    "Runs the dbt project generated from the data contracts against Snowflake: source freshness first (fails when a",
    `dataset's processed data is older than ${PLATFORM.dbt.freshness.errorAfterHours} hours), then \`dbt build\` (models and their tests, in dependency order)`,
    "whatever the freshness check found: one late dataset does not hold back the marts of the others. The run still",
    "fails when any task failed (`watcher`, the last task), so a stale source fails the run. The DAG sends nothing",
    "itself: a failure is seen as a failed DAG run in Airflow (its grid view, `airflow dags list-runs`), the failed",
    "task's log giving dbt's reason; alerting on failed runs is the Airflow deployment's own notification set-up.",
    "",
    "## Timeouts",
    "",
    `The run is stopped after ${AF.windowHours} hours (\`dagrun_timeout\`): the dashboards refresh then. Each task has an`,
    `\`execution_timeout\`: source freshness ${AF.taskTimeoutMinutes.dbt_source_freshness} minutes, build ${AF.taskTimeoutMinutes.dbt_build} minutes per try (${AF.retries} retries,`,
    `${AF.retryDelayMinutes} minutes apart), watcher ${AF.taskTimeoutMinutes.watcher} minutes: ${worstCaseMinutes()} minutes at worst, within the window. A task`,
    "stopped by its timeout fails, and the watcher fails the run.",
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
    "",
    "## Failing rows",
    "",
    "`dbt build --store-failures` keeps the rows each data test found in a table named after the test, in the schema",
    `\`${AUDIT_SCHEMA}\` (the profile's schema and dbt's \`_dbt_test__audit\`), replaced by every build. The`,
    `transformer role creates and owns that schema (\`GRANT CREATE SCHEMA ON DATABASE\`); no other role reads it, as`,
    "failing rows of a source test may hold personal columns in clear.",
  ].join("\n");
  return finalText(`${commentBlock(combinedHeaderLines(ir.datasets), "#")}"""Airflow DAG: dbt source freshness, then dbt build, against Snowflake."""

from __future__ import annotations

import shlex
from datetime import datetime, timedelta, timezone

try:  # Airflow 3
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.9+
    from airflow import DAG

try:  # Airflow 3: apache-airflow-providers-standard
    from airflow.providers.standard.operators.bash import BashOperator
except ImportError:  # Airflow 2
    from airflow.operators.bash import BashOperator

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

with DAG(
    dag_id=${pyString(AF.dagId)},
    description="dbt source freshness and dbt build of the Amazon review models",
    schedule=${pyString(AF.schedule)},
    start_date=datetime(${year}, ${month}, ${day}, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    # The dashboards refresh at the end of the window: a run still going then is stopped and failed.
    dagrun_timeout=timedelta(hours=${AF.windowHours}),
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
    # A DAG run takes the state of its last tasks: without this one, a failed freshness check followed by a
    # successful build would leave the run successful. It runs (and fails the run) only when a task failed.
    watcher = BashOperator(
        task_id="watcher",
        bash_command="echo 'A task of this run failed: see its log.' >&2; exit 1",
        trigger_rule="one_failed",
        retries=0,
        execution_timeout=${timeout("watcher")},
    )

    dbt_source_freshness >> dbt_build
    [dbt_source_freshness, dbt_build] >> watcher
`);
}

export const airflowTarget: Target = {
  id: "airflow",
  description: "Airflow DAG running dbt source freshness and dbt build",
  emit(ir: ContractIR): EmitResult {
    return { files: [{ path: `generated/airflow/dags/${AF.dagId}.py`, contents: dagSource(ir) }], diagnostics: [] };
  },
};
