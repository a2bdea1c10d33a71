/**
 * The Airflow DAG that runs dbt against Snowflake: `dbt deps` → `dbt source freshness` → `dbt build`. Explicit
 * `schedule`, `start_date`, `catchup` and retries (Airflow 3 changed the defaults of all of them), and imports that
 * work on Airflow 2.9+ and 3 (`airflow.sdk`, the standard provider's BashOperator).
 */
import { pyString, shellWord } from "../../dialects/python.js";
import { commentBlock, combinedHeaderLines, finalText } from "../../lib/header.js";
import type { ContractIR } from "../../ir/types.js";
import { PLATFORM } from "../../platform.js";
import type { EmitResult, Target } from "../types.js";

const AF = PLATFORM.airflow;

function dbtCommand(args: string): string {
  return `dbt ${args} --project-dir ${shellWord(AF.dbtProjectDir)} --profiles-dir ${shellWord(AF.dbtProfilesDir)} --target ${shellWord(AF.dbtTarget)}`;
}

export function dagSource(ir: ContractIR): string {
  const [year, month, day] = AF.startDate.split("-").map(Number);
  const owners = [...new Set(ir.datasets.map((d) => d.contract.owner))].sort().join(", ");
  const doc = [
    `# ${AF.dagId}`,
    "",
    "Runs the dbt project generated from the data contracts against Snowflake: source freshness first (fails when",
    `the processed data is older than ${PLATFORM.dbt.freshness.errorAfterHours} hours), then \`dbt build\` (models and their tests, in dependency order).`,
    "",
    ...ir.datasets.map((d) => `- \`${d.name}\` (contract ${d.contract.version}): ${d.description}`),
  ].join("\n");
  return finalText(`${commentBlock(combinedHeaderLines(ir.datasets), "#")}"""Airflow DAG: dbt source freshness, then dbt build, against Snowflake."""

from __future__ import annotations

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

with DAG(
    dag_id=${pyString(AF.dagId)},
    description="dbt source freshness and dbt build of the Amazon review models",
    schedule=${pyString(AF.schedule)},
    start_date=datetime(${year}, ${month}, ${day}, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    doc_md=DOC_MD,
    tags=["dbt", "snowflake", "amazon-reviews"],
) as dag:
    dbt_deps = BashOperator(
        task_id="dbt_deps",
        bash_command=${pyString(dbtCommand("deps"))},
    )
    dbt_source_freshness = BashOperator(
        task_id="dbt_source_freshness",
        bash_command=${pyString(dbtCommand("source freshness"))},
    )
    dbt_build = BashOperator(
        task_id="dbt_build",
        bash_command=${pyString(dbtCommand("build"))},
    )

    dbt_deps >> dbt_source_freshness >> dbt_build
`);
}

export const airflowTarget: Target = {
  id: "airflow",
  description: "Airflow DAG running dbt source freshness and dbt build",
  emit(ir: ContractIR): EmitResult {
    return { files: [{ path: `generated/airflow/dags/${AF.dagId}.py`, contents: dagSource(ir) }], diagnostics: [] };
  },
};
