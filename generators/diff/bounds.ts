/**
 * The effective ends of a number field's range, so a range is compared by what it admits, not keyword by keyword
 * (`.min(1)` and `.gt(0)` are `minimum` and `exclusiveMinimum`).
 */
import { type Bound, type BoundSide, rangeEnd } from "../lib/bounds.js";
import type { ModelRawField } from "./model.js";

export { type Bound, type BoundSide, tighter } from "../lib/bounds.js";

/**
 * The effective lower or upper bound of a number field: the tighter of `minimum` / `exclusiveMinimum` (or of the
 * maxima), so `.min(1)` → `.gt(0)` is compared as `>= 1` → `> 0`. On an integer field both are the inclusive whole
 * number they allow (`.gt(0)` is `>= 1`), so rewriting a bound in the other keyword is no change.
 */
export function effectiveBound(field: Pick<ModelRawField, "kind" | "constraints">, side: BoundSide): Bound | undefined {
  const b = rangeEnd(field.constraints, side);
  if (b === undefined || field.kind !== "integer") return b;
  return side === "lowerBound"
    ? { value: b.inclusive ? Math.ceil(b.value) : Math.floor(b.value) + 1, inclusive: true }
    : { value: b.inclusive ? Math.floor(b.value) : Math.ceil(b.value) - 1, inclusive: true };
}
