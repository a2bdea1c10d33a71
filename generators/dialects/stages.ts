/**
 * What the two stages write besides the contract's own columns, as data: the cleaned zone's lineage columns, the
 * quarantine record, the clean stage's counts and run summary, and the order of reason codes. Both engines are built
 * from these: the Glue jobs (`targets/glue-pyspark`) and the local DuckDB engine (`runners/local-pipeline`) each give
 * one expression per field in a `Record` keyed by the field's name (`StageSql`), so TypeScript refuses a missing or
 * an extra field, and each writes the fields in the order listed here. The run summaries both write are checked
 * against `CLEAN_SUMMARY_SCHEMA` in their tests.
 */
import type { DatasetIR } from "../ir/types.js";
import { RECORD_REASONS } from "./cleaning.js";

export type StageFieldType = "string" | "bigint" | "timestamp" | "array<string>";

export interface StageField {
  readonly name: string;
  readonly type: StageFieldType;
  readonly description: string;
}

/**
 * Lineage columns of every cleaned record, after the typed raw columns (and the key when it is not a raw field).
 * The record's raw text is not among them: the typed columns hold the whole record, the raw zone keeps the text,
 * and carrying it would double what the cleaned zone writes and the flatten job reads.
 */
export const CLEANED_LINEAGE = [
  { name: "_source_file", type: "string", description: "The input file the record was read from." },
  { name: "_line_number", type: "bigint", description: "The record's line in its file (1-based); NULL on Spark, which reads lines without their number." },
  { name: "_run_id", type: "string", description: "The run that cleaned the record." },
  {
    name: "_raw_modified_at",
    type: "timestamp",
    description:
      "When the input file was last modified (UTC, to the millisecond): the S3 object's Last-Modified on Spark, the file's modification time locally. The flatten stage writes it as every processed row's raw_modified_at.",
  },
] as const satisfies readonly StageField[];

/** One quarantined record (a JSON line in the quarantine zone). */
export const QUARANTINE_RECORD = [
  { name: "raw_text", type: "string", description: `The record's text as read; an over-long record (${RECORD_REASONS.tooLong}) its first bytes and "…".` },
  { name: "reason_codes", type: "array<string>", description: "Every reason the record failed: one record-level reason, or every failed rule's code in the contract's rule order." },
  { name: "source_file", type: "string", description: "The input file the record was read from." },
  { name: "line_number", type: "bigint", description: "The record's line in its file (1-based); NULL on Spark." },
  { name: "run_id", type: "string", description: "The run that quarantined the record." },
  { name: "raw_base64", type: "string", description: `The record's bytes in base64 when they are not UTF-8 (${RECORD_REASONS.invalidUtf8}); otherwise NULL.` },
] as const satisfies readonly StageField[];

export type LineageColumn = (typeof CLEANED_LINEAGE)[number]["name"];
export type QuarantineField = (typeof QUARANTINE_RECORD)[number]["name"];

/** One engine's expression for each field of a stage record. */
export type StageSql<Field extends string> = { readonly [F in Field]: string };

/** `name AS alias` pairs in the listed order, with the engine's expressions. */
export function stageColumns<Field extends string>(fields: readonly { readonly name: Field }[], sql: StageSql<Field>): { name: Field; sql: string }[] {
  return fields.map((f) => ({ name: f.name, sql: sql[f.name] }));
}

/** Bytes of an over-long record kept in its quarantine record (a character cut in two decodes to U+FFFD). */
export const QUARANTINE_PREVIEW_BYTES = 1024;
/**
 * Smallest record limit (`--max-record-bytes`) the local runs and verify:s3 take: an over-long record keeps its first
 * `QUARANTINE_PREVIEW_BYTES`, so a limit below them would quarantine records shorter than what is kept of one.
 */
export const MIN_RECORD_LIMIT_BYTES = QUARANTINE_PREVIEW_BYTES;
/** Appended to the kept bytes of an over-long record. */
export const QUARANTINE_PREVIEW_MARK = "\u2026";

/**
 * Every reason code a dataset's records can be quarantined with, in the order they are checked: the record-level
 * reasons first (a record that is not a readable JSON object gets exactly one of them and no rule runs), then each
 * rule's code in the contract's rule order, which is also their order inside a record's `reason_codes`.
 */
export function reasonCodeOrder(dataset: DatasetIR): string[] {
  return [...Object.values(RECORD_REASONS), ...dataset.rules.map((r) => r.code)];
}

/** The clean stage's counts of one dataset: every input record is exactly one of valid, duplicate or quarantined. */
export interface CleanCounts {
  input: number;
  valid: number;
  duplicates: number;
  /** `byReason` counts each code once per record that has it, its keys sorted by code point. */
  quarantined: { total: number; byReason: Record<string, number> };
}

/** The clean counts' reconciliation, the same sentence in both engines' errors. */
export function reconciles(c: CleanCounts): boolean {
  return c.input === c.valid + c.duplicates + c.quarantined.total;
}

const count = { type: "integer", minimum: 0 } as const;

/** JSON Schema of the clean counts (the part of a run summary both engines write for each dataset). */
export const CLEAN_COUNTS_SCHEMA = {
  type: "object",
  required: ["input", "valid", "duplicates", "quarantined"],
  properties: {
    input: count,
    valid: count,
    duplicates: count,
    quarantined: {
      type: "object",
      required: ["total", "byReason"],
      additionalProperties: false,
      properties: { total: count, byReason: { type: "object", additionalProperties: count } },
    },
  },
} as const;

/**
 * JSON Schema of the run summary the Glue clean job writes to its `summary_path` (what the state machine and an
 * operator read): the run, the contract, each dataset's clean counts with its blank lines and files.
 */
export const CLEAN_SUMMARY_SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  required: ["runId", "contract", "datasets", "reconciled"],
  additionalProperties: false,
  properties: {
    runId: { type: "string", minLength: 1 },
    contract: { type: "string", minLength: 1 },
    reconciled: { type: "boolean" },
    datasets: {
      type: "object",
      additionalProperties: {
        ...CLEAN_COUNTS_SCHEMA,
        required: [...CLEAN_COUNTS_SCHEMA.required, "blankLines", "files"],
        additionalProperties: false,
        properties: {
          ...CLEAN_COUNTS_SCHEMA.properties,
          blankLines: count,
          files: {
            type: "array",
            items: {
              type: "object",
              required: ["file", "records", "blankLines"],
              additionalProperties: false,
              properties: { file: { type: "string" }, records: count, blankLines: count },
            },
          },
        },
      },
    },
  },
} as const;
