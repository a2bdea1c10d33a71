/**
 * Unique keys: every valid record gets a key no other valid record has, so the only duplicates in the output are
 * the intended ones, and no set of the keys already written is kept (10M records stream in constant memory).
 *
 * Record #i (its key index) gets key parts computed from i alone:
 * - a key that is one field (`product.asin`): the field holds i, permuted, in the digits its pattern can place
 *   (`pattern.ts`, forced digits), so different indexes give different values;
 * - a surrogate key over several fields (`review`: reviewerID, asin, unixReviewTime): the first part holds the
 *   group i / G (G records per reviewer) and the second part is the (i mod G)-th of G consecutive members of a pool
 *   of distinct values (products), starting at a place that depends on the group: within a group the second parts
 *   differ, across groups the first parts do. Other parts are left to the value generator.
 * The random characters of a key value come from a stream derived from the value's own index, so the same reviewer
 * has the same reviewerID in each of their records.
 */
import type { DatasetIR } from "../../generators/ir/types.js";
import { fieldWhere, SynthError } from "./errors.js";
import { compilePattern, digitsOf, generate, uniqueLayout, type Pattern, type UniqueLayout } from "./pattern.js";
import type { Rng } from "./prng.js";
import { DEFAULT_PROFILE, profileOf } from "./profiles.js";
import { boundsOf, stringFits, type FieldPlan, type ValueFactory } from "./values.js";

/** A key part's values by index: distinct for distinct indexes below `capacity`. */
interface UniqueField {
  readonly path: string;
  readonly capacity: number;
  value(index: number): string | number;
}

/** Pattern of a key string the contract does not constrain. */
const FREE_KEY_PATTERN = compilePattern("^[A-Z0-9]+$");

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** An affine permutation of 0…capacity-1 (so consecutive indexes do not give consecutive-looking values). */
function permutation(capacity: number, rng: Rng): (index: number) => number {
  if (capacity <= 2) return (i) => i;
  let a = 1 + Math.floor(rng.next() * (capacity - 1));
  while (gcd(a, capacity) !== 1) a = a + 1 >= capacity ? 1 : a + 1;
  const A = BigInt(a);
  const B = BigInt(Math.floor(rng.next() * capacity));
  const C = BigInt(capacity);
  return (i) => Number((A * BigInt(i) + B) % C);
}

function uniqueField(plan: FieldPlan, needed: number, rng: Rng): UniqueField | undefined {
  const field = plan.field;
  const path = field.path;
  if (field.kind === "integer") {
    const [lo, hi] = boundsOf(field, [1, Number.MAX_SAFE_INTEGER]);
    const capacity = Math.max(0, hi - lo + 1);
    const permute = permutation(capacity, rng.derive("key-permutation", path));
    return { path, capacity, value: (i) => lo + permute(i) };
  }
  if (field.kind !== "string" || field.constraints.enum) return undefined;
  const encoder = (pattern: Pattern) => {
    const layout: UniqueLayout = uniqueLayout(pattern, needed, rng.derive("key-layout", path));
    const permute = permutation(layout.capacity, rng.derive("key-permutation", path));
    const text = (i: number) => generate(pattern, rng.derive("key-value", path, i), { forced: digitsOf(permute(i), layout.sizes) });
    return { layout, text };
  };
  // The profile's realistic shape when its values fit the contract and it holds enough of them, else the contract's
  // pattern, else any upper-case code.
  let chosen = encoder(plan.pattern ?? FREE_KEY_PATTERN);
  if (plan.like) {
    const like = encoder(plan.like);
    const probes = [0, Math.min(needed, like.layout.capacity) - 1].map(like.text);
    if (like.layout.capacity >= needed && probes.every((t) => stringFits(plan, t))) chosen = like;
  }
  const { layout, text: encode } = chosen;
  const value = (i: number) => {
    const text = encode(i);
    if (!stringFits(plan, text)) {
      throw new SynthError(
        "SYNTH.UNSATISFIABLE",
        `The unique key value "${text}" of ${path} breaks its length limits.`,
        "Widen the length limits of the key field, or give it a pattern of fixed length.",
        fieldWhere(field.where),
      );
    }
    return text;
  };
  return { path, capacity: layout.capacity, value };
}

function capacityError(dataset: DatasetIR, plan: FieldPlan, capacity: number, needed: number): SynthError {
  return new SynthError(
    "SYNTH.KEY_CAPACITY",
    `${dataset.name}: the key part ${plan.field.path} admits ${capacity.toLocaleString("en-US")} distinct values, fewer than the ${needed.toLocaleString("en-US")} needed for unique keys.`,
    "Ask for fewer records, or widen the key field's pattern or range in the contract.",
    fieldWhere(plan.field.where),
  );
}

export interface KeyPlan {
  /** The key parts set for key index i (the other parts are generated freely). */
  values(index: number): Map<string, unknown>;
  readonly paths: readonly string[];
}

/** Key parts for `needed` distinct key indexes. */
export function planKeys(dataset: DatasetIR, values: ValueFactory, needed: number, rng: Rng): KeyPlan {
  const keyColumns = dataset.table.columns.filter((c) => c.key);
  const paths = keyColumns.flatMap((c) => (c.source.kind === "surrogate_key" ? c.source.paths : c.source.kind === "field" ? [c.source.path] : []));
  const eligible = paths.filter((p) => !p.includes(".") && !p.includes("[") && !p.includes("{")).map((p) => values.planOf(p)).filter((plan) => plan.field.kind === "string" || plan.field.kind === "integer");
  if (!eligible.length) {
    throw new SynthError(
      "SYNTH.KEY_CAPACITY",
      `${dataset.name}: no key part (${paths.join(", ") || "none"}) is a top-level string or integer field, so keys cannot be made unique.`,
      "Key the dataset on a string or integer field, or on a surrogate key that includes one.",
      dataset.contract.file,
    );
  }
  const profile = profileOf(dataset.name);
  const wanted = Math.max(1, profile.keyGroupSize ?? DEFAULT_PROFILE.keyGroupSize!);
  const groupPlan = eligible[0]!;
  const memberPlan = eligible[1];
  if (!memberPlan || wanted === 1 || needed <= 1) {
    const unique = uniqueField(groupPlan, needed, rng);
    if (!unique || unique.capacity < needed) throw capacityError(dataset, groupPlan, unique?.capacity ?? 0, needed);
    return { paths: [unique.path], values: (i) => new Map([[unique.path, unique.value(i)]]) };
  }
  const poolWanted = Math.max(wanted, profile.keyPoolSize ?? DEFAULT_PROFILE.keyPoolSize!);
  const member = uniqueField(memberPlan, poolWanted, rng);
  const pool = Math.min(poolWanted, member?.capacity ?? 0);
  const groupSize = Math.min(wanted, pool);
  if (!member || groupSize < 1) throw capacityError(dataset, memberPlan, member?.capacity ?? 0, wanted);
  const groups = Math.ceil(needed / groupSize);
  const group = uniqueField(groupPlan, groups, rng);
  if (!group || group.capacity < groups) throw capacityError(dataset, groupPlan, group?.capacity ?? 0, groups);
  // Records of a group come one after another (key indexes are consecutive), and the pool is small: both cached.
  const members: (string | number)[] = [];
  let cached = { g: -1, value: "" as string | number, offset: 0 };
  return {
    paths: [group.path, member.path],
    values: (i) => {
      const g = Math.floor(i / groupSize);
      if (cached.g !== g) cached = { g, value: group.value(g), offset: rng.derive("key-pool-start", g).int(pool) };
      const m = (cached.offset + (i % groupSize)) % pool;
      members[m] ??= member.value(m);
      return new Map<string, unknown>([
        [group.path, cached.value],
        [member.path, members[m]],
      ]);
    },
  };
}
