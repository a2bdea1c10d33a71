/**
 * The effective ends of a number field's range, so a range is compared by what it admits, not keyword by keyword
 * (`.min(1)` and `.gt(0)` are `minimum` and `exclusiveMinimum`).
 */
import type { ModelRawField } from "./model.js";

export type BoundSide = "lowerBound" | "upperBound";

/** One end of a numeric range: `>= 1` is `{ value: 1, inclusive: true }`. */
export interface Bound {
  readonly value: number;
  readonly inclusive: boolean;
}

/** `b` admits fewer values than `a` at this end of the range. */
export function tighter(side: BoundSide, a: Bound, b: Bound): boolean {
  if (a.value !== b.value) return side === "lowerBound" ? b.value > a.value : b.value < a.value;
  return a.inclusive && !b.inclusive;
}

/**
 * The effective lower or upper bound of a number field: the tighter of `minimum` / `exclusiveMinimum` (or of the
 * maxima), so `.min(1)` → `.gt(0)` is compared as `>= 1` → `> 0`. On an integer field both are the inclusive whole
 * number they allow (`.gt(0)` is `>= 1`), so rewriting a bound in the other keyword is no change.
 */
export function effectiveBound(field: Pick<ModelRawField, "kind" | "constraints">, side: BoundSide): Bound | undefined {
  const c = field.constraints;
  const candidates: Bound[] = [];
  const inclusive = side === "lowerBound" ? c.minimum : c.maximum;
  const exclusive = side === "lowerBound" ? c.exclusiveMinimum : c.exclusiveMaximum;
  if (inclusive !== undefined) candidates.push({ value: inclusive, inclusive: true });
  if (exclusive !== undefined) candidates.push({ value: exclusive, inclusive: false });
  const integral = candidates.map((b): Bound =>
    field.kind !== "integer"
      ? b
      : side === "lowerBound"
        ? { value: b.inclusive ? Math.ceil(b.value) : Math.floor(b.value) + 1, inclusive: true }
        : { value: b.inclusive ? Math.floor(b.value) : Math.ceil(b.value) - 1, inclusive: true },
  );
  return integral.reduce<Bound | undefined>((best, b) => (best === undefined || tighter(side, best, b) ? b : best), undefined);
}
