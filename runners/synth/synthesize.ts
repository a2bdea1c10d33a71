/**
 * `synthesize(dataset, options)`: a stream of synthetic raw records for one dataset of the IR, each with what it is
 * meant to be: valid, invalid for one named rule (the quarantine reason code it must get), or an exact duplicate of
 * an earlier valid record. Pure: no file system, clock or environment; the same IR, options and seed give the same
 * lines, byte for byte. Memory stays constant whatever the number of records (keys are computed from the record's
 * index, and duplicates are drawn from the last `DUPLICATE_WINDOW` valid lines).
 *
 * Counts are exact: `round(records × invalidRatio)` invalid and `round(records × duplicateRatio)` duplicate records,
 * placed at random (selection sampling), the rest valid. Invalid records take the breakable rules in turn (rule
 * order of the IR), so every breakable rule is hit once `invalid ≥ rules`.
 *
 * Lines are written like the producer writes them (Python's `json.dumps`): `", "` and `": "` separators, non-ASCII
 * characters as `\uXXXX`, ratings as `5.0`.
 */
import type { DatasetIR } from "../../generators/ir/types.js";
import { compareCodePoints } from "../../generators/lib/sort.js";
import { planBreaks, type BreakPlan, type Unbreakable } from "./breakers.js";
import { SynthError } from "./errors.js";
import { planKeys } from "./keys.js";
import { Rng } from "./prng.js";
import { Float, ValueFactory } from "./values.js";

export const DEFAULT_SEED = 20260101;
/** Most records one run may ask for (the key layouts and the counts stay exact well below 2^53). */
export const MAX_RECORDS = 1_000_000_000;
/** Duplicates copy one of the last this-many valid lines. */
export const DUPLICATE_WINDOW = 512;

export interface SynthOptions {
  readonly records: number;
  /** Share of records that break one rule each, 0…1 (default 0). */
  readonly invalidRatio?: number;
  /** Share of records that repeat an earlier valid record exactly, 0…1 (default 0). */
  readonly duplicateRatio?: number;
  /** 0 … 2^32-1 (default `DEFAULT_SEED`). */
  readonly seed?: number;
}

export type Intended = { readonly kind: "valid" } | { readonly kind: "duplicate" } | { readonly kind: "invalid"; readonly reason: string };

export interface SynthRecord {
  /** One JSON object, without the line feed. */
  readonly line: string;
  readonly intended: Intended;
}

/**
 * What was generated, in the shape of the pipeline's run summary (`input`, `valid`, `duplicates`,
 * `quarantined.total`, `quarantined.byReason`), so a run on the output must report exactly these counts.
 */
export interface SynthTally {
  readonly dataset: string;
  readonly contract: { readonly file: string; readonly version: string; readonly hash: string };
  readonly seed: number;
  readonly invalidRatio: number;
  readonly duplicateRatio: number;
  input: number;
  valid: number;
  duplicates: number;
  quarantined: { total: number; byReason: Record<string, number> };
  /** Rules no invalid record breaks, because no value breaks them alone. */
  readonly unbreakable: readonly Unbreakable[];
}

export interface SynthPlan {
  readonly records: number;
  readonly invalid: number;
  readonly duplicates: number;
  readonly valid: number;
  readonly seed: number;
  readonly breakable: readonly BreakPlan[];
  readonly unbreakable: readonly Unbreakable[];
}

function ratio(name: string, value: number | undefined): number {
  const r = value ?? 0;
  if (!Number.isFinite(r) || r < 0 || r > 1) {
    throw new SynthError("CLI.USAGE", `--${name} must be a number from 0 to 1, not ${String(value)}.`, `Pass a share such as --${name} 0.05 (5% of the records).`, `--${name}`);
  }
  return r;
}

/** Checks the options and works out the counts, the keys' needs and the breakable rules. */
export function planSynthesis(dataset: DatasetIR, options: SynthOptions): SynthPlan & { readonly values: ValueFactory; readonly rng: Rng } {
  const records = options.records;
  if (!Number.isInteger(records) || records < 1 || records > MAX_RECORDS) {
    throw new SynthError("CLI.USAGE", `--records must be a whole number from 1 to ${MAX_RECORDS.toLocaleString("en-US")}, not ${String(records)}.`, "Pass --records 1000 (no separators).", "--records");
  }
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new SynthError("CLI.USAGE", `--seed must be a whole number from 0 to 4294967295, not ${String(seed)}.`, `Pass --seed 42, or leave it out for the default ${DEFAULT_SEED}.`, "--seed");
  }
  const invalidRatio = ratio("invalid-ratio", options.invalidRatio);
  const duplicateRatio = ratio("duplicate-ratio", options.duplicateRatio);
  // No tolerance: ratios written as decimals that add up to exactly 1 never add up to more than 1 in binary (each is
  // off by less than half a unit in the last place), and one a tolerance let through (1.00000000001) failed later
  // with a message about duplicates. The CLI decides on the decimal text.
  if (invalidRatio + duplicateRatio > 1) {
    throw new SynthError(
      "CLI.USAGE",
      `--invalid-ratio ${invalidRatio} and --duplicate-ratio ${duplicateRatio} add up to more than 1.`,
      "Make the two ratios add up to at most 1.",
      "--invalid-ratio",
    );
  }
  const invalid = Math.round(records * invalidRatio);
  // Each count is rounded on its own: ratios adding up to 1 may round to one record more than there are.
  const duplicates = Math.min(Math.round(records * duplicateRatio), records - invalid);
  const valid = records - invalid - duplicates;
  if (duplicates > 0 && valid === 0) {
    throw new SynthError("CLI.USAGE", `${duplicates} duplicates are asked for but no valid record to duplicate.`, "Lower --invalid-ratio or --duplicate-ratio so that some records are valid.", "--duplicate-ratio");
  }
  const rng = new Rng(seed);
  const values = new ValueFactory(dataset);
  const { breakable, unbreakable } = planBreaks(dataset, values, rng.derive("plan-breaks"));
  if (invalid > 0 && breakable.length === 0) {
    throw new SynthError(
      "SYNTH.NOTHING_TO_BREAK",
      `${dataset.name}: no rule can be broken alone (${unbreakable.map((u) => `${u.code}: ${u.reason}`).join("; ") || "the dataset has no rules"}).`,
      "Pass --invalid-ratio 0.",
      "--invalid-ratio",
    );
  }
  return { records, invalid, duplicates, valid, seed, breakable, unbreakable, values, rng };
}

/** Every record of `synthesize` in memory, with the tally: for tests and small inputs (a file: `npm run synth`). */
export function synthesizeAll(dataset: DatasetIR, options: SynthOptions): { records: SynthRecord[]; tally: SynthTally } {
  const records: SynthRecord[] = [];
  const stream = synthesize(dataset, options);
  for (let next = stream.next(); ; next = stream.next()) {
    if (next.done) return { records, tally: next.value };
    records.push(next.value);
  }
}

/** The record stream. Its return value (after the last record) is the tally. */
export function* synthesize(dataset: DatasetIR, options: SynthOptions): Generator<SynthRecord, SynthTally, undefined> {
  const plan = planSynthesis(dataset, options);
  const { values, breakable } = plan;
  const keys = planKeys(dataset, values, plan.valid + plan.invalid, plan.rng.derive("keys"));
  const rng = plan.rng.derive("records");
  const byReason = new Map<string, number>();
  const tally: SynthTally = {
    dataset: dataset.name,
    contract: { file: dataset.contract.file, version: dataset.contract.version, hash: dataset.contract.hash },
    seed: plan.seed,
    invalidRatio: options.invalidRatio ?? 0,
    duplicateRatio: options.duplicateRatio ?? 0,
    input: 0,
    valid: 0,
    duplicates: 0,
    quarantined: { total: 0, byReason: {} },
    unbreakable: plan.unbreakable,
  };
  const recent: string[] = [];
  let invalidLeft = plan.invalid;
  let duplicatesLeft = plan.duplicates;
  let keyIndex = 0;
  let nextRule = 0;
  for (let i = 0; i < plan.records; i++) {
    const r = rng.int(plan.records - i);
    let kind: Intended["kind"] = r < invalidLeft ? "invalid" : r < invalidLeft + duplicatesLeft ? "duplicate" : "valid";
    // A duplicate needs an earlier valid record; before the first one, a valid record comes first.
    if (kind === "duplicate" && recent.length === 0) kind = "valid";
    tally.input++;
    if (kind === "duplicate") {
      duplicatesLeft--;
      tally.duplicates++;
      yield { line: recent[rng.int(recent.length)]!, intended: { kind } };
      continue;
    }
    const ctx = values.context(rng, keys.values(keyIndex++));
    if (kind === "invalid") {
      invalidLeft--;
      const broken = breakable[nextRule++ % breakable.length]!;
      const line = toJsonLine(values.record(ctx, broken.force));
      const code = broken.rule.code;
      byReason.set(code, (byReason.get(code) ?? 0) + 1);
      tally.quarantined.total++;
      yield { line, intended: { kind, reason: code } };
      continue;
    }
    const line = toJsonLine(values.record(ctx));
    tally.valid++;
    if (recent.length < DUPLICATE_WINDOW) recent.push(line);
    else recent[tally.valid % DUPLICATE_WINDOW] = line;
    yield { line, intended: { kind } };
  }
  tally.quarantined.byReason = Object.fromEntries([...byReason].sort(([a], [b]) => compareCodePoints(a, b)));
  return tally;
}

const NON_ASCII = /[\u007f-\uffff]/g;
const HAS_NON_ASCII = /[\u007f-\uffff]/;

/** Non-ASCII characters can only occur inside strings, so escaping them in the whole line is escaping them in strings. */
function asciiOnly(json: string): string {
  return HAS_NON_ASCII.test(json) ? json.replace(NON_ASCII, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`) : json;
}

/** One value as the producer writes it (Python's `json.dumps` defaults). Plain loops: this is the hot path. */
function toJson(value: unknown): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
  }
  if (value === null) return "null";
  if (value instanceof Float) return Number.isInteger(value.value) && Math.abs(value.value) < 1e21 ? value.value.toFixed(1) : JSON.stringify(value.value);
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) out += i === 0 ? toJson(value[i]) : `, ${toJson(value[i])}`;
    return `${out}]`;
  }
  const object = value as Record<string, unknown>;
  let out = "{";
  let first = true;
  for (const key in object) {
    out += `${first ? "" : ", "}${JSON.stringify(key)}: ${toJson(object[key])}`;
    first = false;
  }
  return `${out}}`;
}

export function toJsonLine(record: Record<string, unknown>): string {
  return asciiOnly(toJson(record));
}
