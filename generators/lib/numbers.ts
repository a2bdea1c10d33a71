/**
 * Numbers given on a command line. `Number()` takes far more than people mean — `1e3`, `0x10`, `3.0`, ` 7 `,
 * `1e300` — so a count written any other way than digits is refused rather than read as something unintended.
 */

/** A whole number written with digits only, from `min` to `max`; undefined for anything else. */
export function parseWholeNumber(text: string, min: number, max: number): number | undefined {
  if (!/^\d{1,16}$/.test(text)) return undefined;
  const value = Number(text);
  return value >= min && value <= max ? value : undefined;
}

/** A number written as digits with an optional fraction (`0.05`, `30`), from `min` to `max`; undefined otherwise. */
export function parseDecimalNumber(text: string, min: number, max: number): number | undefined {
  if (!/^\d{1,16}(\.\d{1,16})?$/.test(text)) return undefined;
  const value = Number(text);
  return value >= min && value <= max ? value : undefined;
}
