/**
 * The ends of a numeric range as Zod and the JSON Schema state it: each end may be given inclusively (`minimum`,
 * `.min(1)`), exclusively (`exclusiveMinimum`, `.gt(0)`) or both, and the tighter one is what the range admits.
 * Contract review compares ranges by these ends; the dbt target tests them.
 */
export type BoundSide = "lowerBound" | "upperBound";

/** One end of a numeric range: `>= 1` is `{ value: 1, inclusive: true }`. */
export interface Bound {
  readonly value: number;
  readonly inclusive: boolean;
}

export interface RangeLimits {
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
}

/** `b` admits fewer values than `a` at this end of the range; at equal values, the exclusive one does. */
export function tighter(side: BoundSide, a: Bound, b: Bound): boolean {
  if (a.value !== b.value) return side === "lowerBound" ? b.value > a.value : b.value < a.value;
  return a.inclusive && !b.inclusive;
}

/** The tighter of an end's inclusive and exclusive limit (`.min(1).gt(0)` is `>= 1`); undefined when neither is set. */
export function rangeEnd(limits: RangeLimits, side: BoundSide): Bound | undefined {
  const inclusive = side === "lowerBound" ? limits.minimum : limits.maximum;
  const exclusive = side === "lowerBound" ? limits.exclusiveMinimum : limits.exclusiveMaximum;
  const candidates: Bound[] = [];
  if (inclusive !== undefined) candidates.push({ value: inclusive, inclusive: true });
  if (exclusive !== undefined) candidates.push({ value: exclusive, inclusive: false });
  return candidates.reduce<Bound | undefined>((best, b) => (best === undefined || tighter(side, best, b) ? b : best), undefined);
}
