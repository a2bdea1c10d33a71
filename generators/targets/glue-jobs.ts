/**
 * The Glue jobs' interface, declared once: job names, script paths and argument names. The glue-pyspark target
 * writes jobs that read exactly these arguments, the step-functions target passes them, the terraform target
 * declares them, and the local Spark runner passes them as the state machine does.
 */
import type { DatasetIR } from "../ir/types.js";

/** Arguments every run of each job passes, in the order the state machine passes them (`--JOB_NAME` is Glue's own). */
export const GLUE_JOB_ARGUMENTS = {
  clean: ["cleaned_path", "quarantine_path", "run_id", "summary_path"],
  flatten: ["input_path", "output_path", "run_id"],
} as const;

/**
 * The ways a run may name the job's input, besides its arguments: exactly one of them per run (the job refuses both
 * and neither). The clean job reads a literal path (local runs, Airflow, a run started by hand) or the S3 event's
 * bucket and key (the state machine), whose key arrives URL-encoded and is decoded by the job. The flatten job's
 * input is one of its arguments.
 */
export const GLUE_JOB_INPUTS = {
  clean: { path: ["input_path"], event: ["input_bucket", "input_key"] },
  flatten: {},
} as const;

/**
 * Optional arguments of a job, with the value a run takes when the argument is not given: Terraform passes them as
 * the job's `default_arguments` (a deployment's setting, the same for every run), the state machine does not.
 */
export const GLUE_JOB_OPTIONS = {
  clean: { max_quarantine_ratio: "0.5" },
  flatten: {},
} as const;

/**
 * Largest share of an object's records that may be quarantined (quarantined / input) before its run fails: an object
 * mostly refused is a changed upstream format or a wrong file, not dirty data, and must page someone (the state
 * machine's failure notification) instead of succeeding with an empty load. Exactly the share is still accepted.
 */
export const DEFAULT_MAX_QUARANTINE_RATIO = Number(GLUE_JOB_OPTIONS.clean.max_quarantine_ratio);

/**
 * Why a run fails for its quarantined share, or undefined when the share is at most `maxRatio` (or nothing was read).
 * The clean job raises the same message (`templates/clean.py.hbs`) with its argument `--max_quarantine_ratio`; the
 * local pipeline reports it with the option it was given (`--max-quarantine-ratio`).
 */
export function quarantineRatioExceeded(
  dataset: string,
  counts: { readonly input: number; readonly quarantined: number },
  maxRatio: number,
  option = "--max_quarantine_ratio",
): string | undefined {
  if (counts.input === 0 || counts.quarantined / counts.input <= maxRatio) return undefined;
  return `${counts.quarantined} of ${counts.input} records of ${dataset} were quarantined, more than ${option} ${maxRatio} allows: so large a share is rarely dirty data (a changed upstream format or a wrong file?). The quarantine and the run summary are written; each quarantined record's reason_codes say why.`;
}

export type GlueJobKind = keyof typeof GLUE_JOB_ARGUMENTS;
export type GlueJobArgument<K extends GlueJobKind> = (typeof GLUE_JOB_ARGUMENTS)[K][number];
type Inputs<K extends GlueJobKind> = (typeof GLUE_JOB_INPUTS)[K];
export type GlueJobInput<K extends GlueJobKind> = keyof Inputs<K>;
/** The arguments of one way of naming the input (`GLUE_JOB_INPUTS`). */
export type GlueJobInputArgument<K extends GlueJobKind, I extends GlueJobInput<K> = GlueJobInput<K>> = Inputs<K>[I] extends readonly string[]
  ? Inputs<K>[I][number]
  : never;
/** Every argument a run of the job may pass. */
export type GlueJobAnyArgument<K extends GlueJobKind> = GlueJobArgument<K> | GlueJobInputArgument<K>;
/** The arguments of one run that names its input one way: e.g. the clean job given a literal `input_path`. */
export type GlueJobRunArguments<K extends GlueJobKind, I extends GlueJobInput<K> = never> = Record<GlueJobArgument<K> | GlueJobInputArgument<K, I>, string> & Partial<Record<GlueJobOption<K>, string>>;
export const GLUE_JOB_KINDS = Object.keys(GLUE_JOB_ARGUMENTS) as GlueJobKind[];

/** The alternative inputs of a job as lists of argument names (none for a job whose input is an argument). */
export function glueJobInputs(kind: GlueJobKind): readonly (readonly string[])[] {
  return Object.values(GLUE_JOB_INPUTS[kind]) as readonly (readonly string[])[];
}

/**
 * What the state machine passes each job, in order: the clean job gets the S3 event's bucket and key as the event
 * carries them (the key URL-encoded: only the job decodes it, since Step Functions' intrinsic functions cannot).
 */
export const STATE_MACHINE_ARGUMENTS = {
  clean: [...GLUE_JOB_INPUTS.clean.event, ...GLUE_JOB_ARGUMENTS.clean],
  flatten: GLUE_JOB_ARGUMENTS.flatten,
} as const satisfies { readonly [K in GlueJobKind]: readonly GlueJobAnyArgument<K>[] };
export type StateMachineArgument<K extends GlueJobKind> = (typeof STATE_MACHINE_ARGUMENTS)[K][number];

/** What each argument means (docstrings of the jobs, Terraform inputs). */
export type GlueJobOption<K extends GlueJobKind> = keyof (typeof GLUE_JOB_OPTIONS)[K] & string;
export const GLUE_JOB_ARGUMENT_PURPOSE: { readonly [K in GlueJobKind]: Record<GlueJobAnyArgument<K> | GlueJobOption<K>, string> } = {
  clean: {
    input_path: "the raw object (or folder) to clean, read as given",
    input_bucket: "the raw object's bucket as a URI, s3://<bucket> (a local folder may stand in for it)",
    input_key: "the raw object's key as S3 events carry it: URL-encoded in form style (a space as +), decoded by the job",
    cleaned_path: "root of the cleaned zone; the job writes run_id=<run id>/ under it",
    quarantine_path: "root of the quarantine zone; the job writes run_id=<run id>/ under it",
    run_id: "the run id (the Step Functions execution name)",
    summary_path: "where the run summary (JSON) is written",
    max_quarantine_ratio: `largest share of records quarantined, quarantined / input, from 0 to 1 (default ${GLUE_JOB_OPTIONS.clean.max_quarantine_ratio}); beyond it the run fails after writing everything`,
  },
  flatten: {
    input_path: "root of the cleaned zone; the job reads run_id=<run id>/ under it",
    output_path: "the dataset's processed location; each table is written to <output_path>/<table>/",
    run_id: "the run id (the Step Functions execution name)",
  },
};

/** `--name` flags of the arguments the state machine passes a job (each run's own; the Glue job's defaults aside). */
export function glueArgumentFlags(kind: GlueJobKind): string[] {
  return STATE_MACHINE_ARGUMENTS[kind].map((name) => `--${name}`);
}

export function glueJobNames(dataset: Pick<DatasetIR, "name">): { readonly [K in GlueJobKind]: string } {
  return { clean: `${dataset.name}-clean`, flatten: `${dataset.name}-flatten` };
}

export const GLUE_SCRIPT_DIR = "glue-pyspark-out";

/** The job's script, relative to the repository root. */
export function glueScriptPath(dataset: Pick<DatasetIR, "name">, kind: GlueJobKind): string {
  return `${GLUE_SCRIPT_DIR}/${kind}_${dataset.name}.py`;
}
