/** Types of contract-review rules and findings, and the bump policy. */
import type { Change } from "./diff.js";
import type { ModelColumn, Place } from "./model.js";

export const CONSUMERS = ["RAW", "PQ", "SF", "DBT", "MART"] as const;
export type Consumer = (typeof CONSUMERS)[number];
export type Severity = "S" | "M" | "B";
export type Bump = "patch" | "minor" | "major";
export type Severities = Readonly<Record<Consumer, Severity>>;

export const CONSUMER_NAMES: Readonly<Record<Consumer, string>> = {
  RAW: "raw producers and the cleaning job",
  PQ: "Parquet already written",
  SF: "Snowflake external table",
  DBT: "dbt staging and tests",
  MART: "marts",
};

/** What one rule says about one change. */
export interface Match {
  /** Dataset whose contract version must carry the bump. */
  readonly dataset: string;
  /** Entity the finding is about: `review.helpful_votes` (column), `review.vote` (raw field), `review` (dataset). */
  readonly subject: string;
  readonly message: string;
  readonly where: Place;
  readonly severity?: Partial<Severities>;
  /** Replaces the rule's consequence when this case differs from the rule's usual one. */
  readonly consequence?: string;
  /** Child tables that are new: they need their external table created, not altered. */
  readonly tablesAdded?: readonly string[];
  /** Tables that are gone: their external table is dropped, not altered. */
  readonly tablesRemoved?: readonly string[];
  /** Columns whose Snowflake / dbt definition the change touches. */
  readonly columnsAdded?: readonly ModelColumn[];
  readonly columnsRemoved?: readonly ModelColumn[];
  readonly columnsRetyped?: readonly (readonly [ModelColumn, ModelColumn])[];
  readonly columnsRenamed?: readonly (readonly [ModelColumn, ModelColumn])[];
  /** The change lowers a PII class: the verdict needs the contract's reviewer note (`piiReview`); null when absent. */
  readonly reviewerNote?: { readonly note: string | null };
}

export interface Rule {
  readonly id: string;
  readonly name: string;
  readonly purpose: string;
  /** Consumers the rule can hurt (severity above S), like buf's categories. */
  readonly categories: readonly Consumer[];
  readonly severity: Severities;
  readonly bump: Bump;
  /** What happens to consumers, for the pull-request comment. */
  readonly consequence: string;
  /** Backfill note when Parquet already written needs attention. */
  readonly backfill?: string;
  /** False for rules the contract kit cannot trigger (kept so ids stay stable); `note` says why. */
  readonly reachable: boolean;
  readonly note?: string;
  check(change: Change): Match | undefined;
}

const BUMPS: readonly Bump[] = ["patch", "minor", "major"];

/**
 * The bump a finding requires, from its severities (the policy of the research table): any consumer broken (B) →
 * major; otherwise any migration step (M) → minor; otherwise the rule's own bump, at most minor (additive → minor,
 * docs → patch). Rules state their usual bump; a case with other severities gets the bump they imply.
 */
export function bumpFor(severity: Severities, ruleBump: Bump): Bump {
  const levels = CONSUMERS.map((c) => severity[c]);
  if (levels.includes("B")) return "major";
  if (levels.includes("M")) return "minor";
  return BUMPS.indexOf(ruleBump) > 1 ? "minor" : ruleBump;
}

