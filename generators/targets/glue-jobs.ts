/**
 * The Glue jobs' interface, declared once: job names, script paths and argument names. The glue-pyspark target
 * writes jobs that read exactly these arguments, the step-functions target passes them, the terraform target
 * declares them, and the local Spark runner passes them as the state machine does.
 */
import type { DatasetIR } from "../ir/types.js";

/** Arguments of each job, in the order the state machine passes them (`--JOB_NAME` is Glue's own). */
export const GLUE_JOB_ARGUMENTS = {
  clean: ["input_path", "cleaned_path", "quarantine_path", "run_id", "summary_path"],
  flatten: ["input_path", "output_path", "run_id"],
} as const;

export type GlueJobKind = keyof typeof GLUE_JOB_ARGUMENTS;
export type GlueJobArgument<K extends GlueJobKind> = (typeof GLUE_JOB_ARGUMENTS)[K][number];
export const GLUE_JOB_KINDS = Object.keys(GLUE_JOB_ARGUMENTS) as GlueJobKind[];

/** What each argument means (docstrings of the jobs, Terraform inputs). */
export const GLUE_JOB_ARGUMENT_PURPOSE: { readonly [K in GlueJobKind]: Record<GlueJobArgument<K>, string> } = {
  clean: {
    input_path: "the raw object (or folder) to clean",
    cleaned_path: "root of the cleaned zone; the job writes run_id=<run id>/ under it",
    quarantine_path: "root of the quarantine zone; the job writes run_id=<run id>/ under it",
    run_id: "the run id (the Step Functions execution name)",
    summary_path: "where the run summary (JSON) is written",
  },
  flatten: {
    input_path: "root of the cleaned zone; the job reads run_id=<run id>/ under it",
    output_path: "the dataset's processed location; each table is written to <output_path>/<table>/",
    run_id: "the run id (the Step Functions execution name)",
  },
};

/** `--name` flags of a job's arguments. */
export function glueArgumentFlags(kind: GlueJobKind): string[] {
  return GLUE_JOB_ARGUMENTS[kind].map((name) => `--${name}`);
}

export function glueJobNames(dataset: Pick<DatasetIR, "name">): { readonly [K in GlueJobKind]: string } {
  return { clean: `${dataset.name}-clean`, flatten: `${dataset.name}-flatten` };
}

export const GLUE_SCRIPT_DIR = "glue-pyspark-out";

/** The job's script, relative to the repository root. */
export function glueScriptPath(dataset: Pick<DatasetIR, "name">, kind: GlueJobKind): string {
  return `${GLUE_SCRIPT_DIR}/${kind}_${dataset.name}.py`;
}
