/**
 * Turns change events into the review report: findings (rule + severity per consumer + bump + migration hints),
 * one verdict per contract (declared version bump against the bump its changes require), and the exit code.
 * Pure: no file system, clock or environment.
 */
import type { ColumnIR, ContractIR } from "../ir/types.js";
import { addExternalColumnStatement, dropExternalColumnStatement, dropExternalTableStatement } from "../targets/snowflake/emit.js";
import { GeneratorBug } from "../lib/errors.js";
import { compareCodePoints } from "../lib/sort.js";
import { diffModels, type Change } from "./diff.js";
import { buildModel, type FlatModel, type ModelColumn, type Place } from "./model.js";
import { quicksightImpact, type QuickSightImpact } from "./quicksight.js";
import { bumpFor, CONSUMERS, RULES, type Bump, type Rule, type Severities } from "./rules.js";

/** Version of the JSON report's shape (`report.schema.json`); bump on any change of shape. */
export const REPORT_SCHEMA = "contract-diff/3";

export interface Finding {
  readonly rule: string;
  readonly name: string;
  readonly dataset: string;
  readonly subject: string;
  readonly message: string;
  readonly where: Place;
  readonly severity: Severities;
  readonly bump: Bump;
  readonly consequence: string;
  readonly migration: {
    /** Statements on the external tables (`ALTER TABLE … ADD/DROP COLUMN`, `DROP EXTERNAL TABLE`), in order. */
    readonly snowflake: readonly string[];
    /** A new dbt model version is advised (dbt staging or tests need migration or break). */
    readonly dbtVersion: boolean;
    readonly backfill?: string;
  };
  /** Present when the change lowers a PII class: the contract's reviewer note, null when there is none. */
  readonly reviewerNote?: { readonly note: string | null };
}

export type Declared = Bump | "none" | "new" | "removed";

export interface Verdict {
  readonly dataset: string;
  readonly file: string;
  readonly baseVersion: string | null;
  readonly headVersion: string | null;
  readonly declared: Declared;
  readonly required: Bump | "none";
  readonly ok: boolean;
  /** Why the verdict fails (null when ok): each failure is titled and headlined by its own problem. */
  readonly problem: VerdictProblem | null;
  readonly reason: string;
}

export type VerdictProblem = "bump-too-small" | "version-lowered" | "pii-note-missing" | "removal-not-accepted";

export interface GeneratedFileChange {
  readonly path: string;
  readonly status: "added" | "removed" | "changed";
  readonly linesAdded: number;
  readonly linesRemoved: number;
}

export interface Report {
  readonly schema: typeof REPORT_SCHEMA;
  readonly base: string;
  readonly head: string;
  readonly ok: boolean;
  readonly findings: readonly Finding[];
  readonly verdicts: readonly Verdict[];
  /** QuickSight data sets and visuals reached by a mart change or by a staging change a mart column is built from. */
  readonly quicksight: readonly QuickSightImpact[];
  /** Generated files that change, or null when not computed. */
  readonly generatedFiles: readonly GeneratedFileChange[] | null;
}

export interface ReportOptions {
  /** Labels for the two sides (`origin/main`, `working tree`). */
  readonly base: string;
  readonly head: string;
  /** Datasets whose deletion is intended (no version can announce a deleted contract). */
  readonly allowRemoval?: readonly string[];
  readonly generatedFiles?: readonly GeneratedFileChange[] | null;
}

const BUMP_RANK: Record<Bump | "none", number> = { none: 0, patch: 1, minor: 2, major: 3 };

export function maxBump(bumps: readonly Bump[]): Bump | "none" {
  return bumps.reduce<Bump | "none">((best, b) => (BUMP_RANK[b] > BUMP_RANK[best] ? b : best), "none");
}

interface Version {
  readonly core: readonly [number, number, number];
  /** Pre-release identifiers (`rc.1` → ["rc", "1"]); empty for a release. Build metadata is dropped. */
  readonly pre: readonly string[];
}

function parseVersion(version: string): Version {
  const main = version.split("+")[0]!;
  const dash = main.indexOf("-");
  const [major = 0, minor = 0, patch = 0] = (dash < 0 ? main : main.slice(0, dash)).split(".").map((n) => Number(n));
  return { core: [major, minor, patch], pre: dash < 0 ? [] : main.slice(dash + 1).split(".") };
}

/**
 * Semantic-version precedence (https://semver.org/#spec-item-11): negative when `a` comes before `b`. Cores compare
 * numerically; a pre-release comes before its release; pre-release identifiers compare one by one, numeric ones as
 * numbers and below alphanumeric ones (ASCII order), and a longer list wins when the shorter is its prefix.
 */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  for (let i = 0; i < 3; i++) if (x.core[i] !== y.core[i]) return x.core[i]! - y.core[i]!;
  if (x.pre.length === 0 || y.pre.length === 0) return y.pre.length - x.pre.length;
  const numeric = /^\d+$/;
  for (let i = 0; i < Math.min(x.pre.length, y.pre.length); i++) {
    const p = x.pre[i]!;
    const q = y.pre[i]!;
    if (p === q) continue;
    if (numeric.test(p) && numeric.test(q)) return Number(p) - Number(q);
    if (numeric.test(p) !== numeric.test(q)) return numeric.test(p) ? -1 : 1;
    return p < q ? -1 : 1;
  }
  return x.pre.length - y.pre.length;
}

/** The bump a version number announces by its shape: `3.0.0` a major, `3.1.0` a minor, `3.1.2` a patch release. */
function releaseBump(core: Version["core"]): Bump {
  return core[2] !== 0 ? "patch" : core[1] !== 0 ? "minor" : "major";
}

/**
 * The bump from one semantic version to another; `none` when equal or lower (by precedence). A pre-release is a step
 * toward its release: from `3.0.0-rc.1`, a later pre-release of 3.0.0 or 3.0.0 itself declares the bump 3.0.0
 * announces (major; `3.1.0` a minor), the one the pre-release already declared; only base and head are compared, so
 * the version the pre-release was cut from is not known.
 */
export function declaredBump(before: string, after: string): Bump | "none" {
  if (compareVersions(after, before) <= 0) return "none";
  const a = parseVersion(before).core;
  const b = parseVersion(after).core;
  if (b[0] !== a[0]) return "major";
  if (b[1] !== a[1]) return "minor";
  if (b[2] !== a[2]) return "patch";
  return releaseBump(b);
}

/** Where a model column comes from in an IR: its table and column, for statements rendered like the DDL. */
export type ColumnLookup = (column: ModelColumn) => ColumnIR | undefined;

/** Looks a model column up in the IRs (head first: added, renamed-to and retyped columns are rendered as they will be). */
export function columnLookup(...irs: readonly ContractIR[]): ColumnLookup {
  const byId = new Map<string, ColumnIR>();
  for (const ir of [...irs].reverse()) {
    for (const dataset of ir.datasets) for (const table of [dataset.table, ...dataset.children]) for (const column of table.columns) byId.set(`${table.name}.${column.name}`, column);
  }
  return (column) => byId.get(`${column.table}.${column.name}`);
}

/** Runs every rule over every change. A change no rule classifies is a bug: every change must be reviewed. */
export function classify(changes: readonly Change[], rules: readonly Rule[] = RULES, lookup: ColumnLookup = () => undefined): Finding[] {
  const addColumn = (column: ModelColumn, renamedFrom?: ModelColumn): string[] => {
    const ir = lookup(column);
    if (!ir) throw new GeneratorBug(`Column ${column.table}.${column.name} of a change is in neither contract's IR.`);
    return [addExternalColumnStatement({ name: column.table }, ir, renamedFrom?.name)];
  };
  const findings: Finding[] = [];
  for (const change of changes) {
    let matched = false;
    for (const rule of rules) {
      const match = rule.check(change);
      if (!match) continue;
      matched = true;
      const severity = { ...rule.severity, ...match.severity } as Severities;
      const bump = bumpFor(severity, rule.bump);
      const newTables = match.tablesAdded ?? [];
      const oldTables = match.tablesRemoved ?? [];
      const snowflake = [
        ...newTables.map((t) => `-- ${t} is a new external table: create it with the generated external-table DDL.`),
        ...(match.columnsAdded ?? []).filter((c) => !newTables.includes(c.table)).flatMap((c) => addColumn(c)),
        // Dropping is for after every reader has moved; the old Parquet stays in S3 either way.
        ...oldTables.map((t) => dropExternalTableStatement({ name: t })),
        ...(match.columnsRemoved ?? []).filter((c) => !oldTables.includes(c.table)).flatMap((c) => dropColumn(c)),
        ...(match.columnsRetyped ?? []).flatMap(([b, a]) => [...dropColumn(b), ...addColumn(a)]),
        ...(match.columnsRenamed ?? []).flatMap(([b, a]) => [...dropColumn(b), ...addColumn(a, b)]),
      ];
      findings.push({
        rule: rule.id,
        name: rule.name,
        dataset: match.dataset,
        subject: match.subject,
        message: match.message,
        where: match.where,
        severity,
        bump,
        consequence: match.consequence ?? rule.consequence,
        migration: {
          snowflake,
          dbtVersion: severity.DBT !== "S",
          ...(rule.backfill && severity.PQ !== "S" ? { backfill: rule.backfill } : {}),
        },
        ...(match.reviewerNote ? { reviewerNote: match.reviewerNote } : {}),
      });
    }
    if (!matched) throw new GeneratorBug(`No contract-review rule classifies the change ${JSON.stringify({ kind: change.kind, aspect: (change as { aspect?: string }).aspect })}.`);
  }
  return findings.sort(compareFindings);
}

/** Total order: file, line, column, rule id, message (buf's order). */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    compareCodePoints(a.where.file, b.where.file) ||
    a.where.line - b.where.line ||
    a.where.column - b.where.column ||
    compareCodePoints(a.rule, b.rule) ||
    compareCodePoints(a.message, b.message)
  );
}

function dropColumn(column: ModelColumn): string[] {
  return [dropExternalColumnStatement({ name: column.table }, column.name)];
}

export function buildReport(baseIR: ContractIR, headIR: ContractIR, options: ReportOptions): Report {
  const base = buildModel(baseIR);
  const head = buildModel(headIR);
  const changes = diffModels(base, head);
  const findings = classify(changes, RULES, columnLookup(headIR, baseIR));
  const verdicts = verdictsFor(base, head, findings, options.allowRemoval ?? []);
  return {
    schema: REPORT_SCHEMA,
    base: options.base,
    head: options.head,
    ok: verdicts.every((v) => v.ok),
    findings,
    verdicts,
    quicksight: quicksightImpact(baseIR, headIR, changes),
    generatedFiles: options.generatedFiles ?? null,
  };
}

function verdictsFor(base: FlatModel, head: FlatModel, findings: readonly Finding[], allowRemoval: readonly string[]): Verdict[] {
  const names = [...new Set([...base.datasets.keys(), ...head.datasets.keys()])].sort(compareCodePoints);
  return names.map((name) => {
    const before = base.datasets.get(name);
    const after = head.datasets.get(name);
    const required = maxBump(findings.filter((f) => f.dataset === name).map((f) => f.bump));
    const file = (after ?? before)!.file;
    const common = { dataset: name, file, baseVersion: before?.version ?? null, headVersion: after?.version ?? null, required };
    if (!before) return { ...common, declared: "new", ok: true, problem: null, reason: `New contract at version ${after!.version}.` };
    if (!after) {
      const allowed = allowRemoval.includes(name);
      return {
        ...common,
        declared: "removed",
        ok: allowed,
        problem: allowed ? null : "removal-not-accepted",
        reason: allowed ? "Deleted; the deletion was accepted with --allow-removal." : `Deleted at version ${before.version}: a deleted contract cannot announce its removal. If intended, rerun with --allow-removal ${name}.`,
      };
    }
    const declared = declaredBump(before.version, after.version);
    // A lowered PII class needs the contract's reviewer note, whatever the version says.
    const unnoted = findings.filter((f) => f.dataset === name && f.reviewerNote && !f.reviewerNote.note).map((f) => f.subject);
    if (unnoted.length) {
      return {
        ...common,
        declared,
        ok: false,
        problem: "pii-note-missing",
        reason: `Lowering the PII class of ${unnoted.join(", ")} needs a reviewer's note: add piiReview: "<why it is safe, who approved>" to the column's metadata in ${file}.`,
      };
    }
    const wentDown = compareVersions(after.version, before.version) < 0;
    if (wentDown && required === "none") {
      // Nothing changed but the version went down: the next change could take the higher number again and one
      // version would name two contracts.
      return { ...common, declared, ok: false, problem: "version-lowered", reason: `${before.version} → ${after.version} lowers the version: keep ${before.version}, or raise it.` };
    }
    const ok = BUMP_RANK[declared] >= BUMP_RANK[required];
    const reason = ok
      ? required === "none"
        ? "No contract change."
        : `The changes need a ${required} bump; ${before.version} → ${after.version} is a ${declared} bump.`
      : `The changes need a ${required} bump, but ${before.version} → ${after.version} ${wentDown ? "lowers the version" : declared === "none" ? "declares none" : `is only a ${declared} bump`}: set version to ${nextVersion(before.version, required as Bump)} or higher.`;
    return { ...common, declared, ok, problem: ok ? null : "bump-too-small", reason };
  });
}

export function nextVersion(version: string, bump: Bump): string {
  const { core, pre } = parseVersion(version);
  const [major, minor, patch] = core;
  // The release of a pre-release declares what its version announces (declaredBump): 3.0.0-rc.1 → 3.0.0 is enough.
  if (pre.length > 0 && BUMP_RANK[releaseBump(core)] >= BUMP_RANK[bump]) return `${major}.${minor}.${patch}`;
  if (bump === "major") return `${major + 1}.0.0`;
  if (bump === "minor") return `${major}.${minor + 1}.0`;
  return `${major}.${minor}.${patch + 1}`;
}

export { CONSUMERS };
export type { QuickSightImpact };
