/**
 * Turns Zod issues into the contract's reason codes (`<raw path>.<kind>`, the same codes the IR's rules and the
 * quarantine use), with field paths normalised like the IR: `[]` for array elements, `{}` for record values.
 * Lines that are not records at all get the pipeline's record-level codes (`RECORD_LEVEL`).
 */
import { RECORD_REASONS } from "../../generators/dialects/cleaning.js";
import type { DatasetIR, RawField, RuleKind } from "../../generators/ir/types.js";

/**
 * Reason codes of lines rejected before any rule, with field path `$` (the record itself): the pipeline's own
 * constants, imported so that a quarantined line and a verify:s3 violation always carry the same code.
 */
export const RECORD_LEVEL = {
  invalidUtf8: RECORD_REASONS.invalidUtf8,
  invalidJson: RECORD_REASONS.invalidJson,
  notAnObject: RECORD_REASONS.notAnObject,
  /** Longer than the record limit (`--max-record-bytes`, by default the pipeline's `MAX_RECORD_BYTES`). */
  tooLong: RECORD_REASONS.tooLong,
} as const;

/** The parts of a Zod 4 issue this module reads (`reportInput: true` adds `input`). */
export interface ZodIssueLike {
  readonly code: string;
  readonly path: readonly PropertyKey[];
  readonly input?: unknown;
  readonly expected?: string;
  readonly origin?: string;
  readonly format?: string;
}

export interface Violation {
  /** `overall.out_of_range`, from a Zod issue (record-level codes come from `RECORD_LEVEL`). */
  readonly reason: string;
  /** Field path; `$` is the record itself. */
  readonly path: string;
  readonly kind: RuleKind | "unknown";
}

/** Normalises a Zod path with the raw field tree: `["image", 0]` → `image[]`, `["style", "Size:"]` → `style{}`. */
export function fieldPath(dataset: DatasetIR, path: readonly PropertyKey[]): string {
  let fields: readonly RawField[] | undefined = dataset.raw.fields;
  let current: RawField | undefined;
  let text = "";
  for (const part of path) {
    if (current?.kind === "array" && typeof part === "number") {
      text += "[]";
      current = current.element;
    } else if (current?.kind === "record") {
      text += "{}";
      current = current.element;
    } else {
      const key = String(part);
      const candidates: readonly RawField[] = current?.kind === "union" ? (current.options ?? []).flatMap((o) => o.fields ?? []) : (fields ?? []);
      current = candidates.find((f) => f.key === key);
      text += text === "" ? key : `.${key}`;
    }
    fields = current?.fields;
  }
  return text === "" ? "$" : text;
}

function kindOf(issue: ZodIssueLike): RuleKind | "unknown" {
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return "missing";
      if (issue.input === null) return "null";
      if (issue.expected === "int" && typeof issue.input === "number") return "not_integer";
      return "wrong_type";
    case "invalid_union":
      return issue.input === null ? "null" : "wrong_type";
    case "too_small":
    case "too_big": {
      const small = issue.code === "too_small";
      if (issue.origin === "string") return small ? "too_short" : "too_long";
      if (issue.origin === "array" || issue.origin === "set") return small ? "too_few_items" : "too_many_items";
      return "out_of_range";
    }
    case "invalid_format":
      return issue.format === "regex" ? "pattern_mismatch" : "invalid_format";
    case "invalid_value":
      return "not_in_enum";
    default:
      return "unknown";
  }
}

export function violationOf(dataset: DatasetIR, issue: ZodIssueLike): Violation {
  const path = fieldPath(dataset, issue.path);
  const kind = kindOf(issue);
  return { reason: `${path}.${kind === "unknown" ? `zod_${issue.code}` : kind}`, path, kind };
}
