/**
 * A small seeded PRNG (sfc32, seeded through splitmix32), so synthetic data is byte-identical on every machine and
 * Node version for the same seed. `Math.random` is never used: its sequence cannot be seeded.
 *
 * `Rng.derive(...labels)` makes an independent stream for a labelled purpose (a key value by index, a plan-time
 * probe): values that must be the same wherever they occur (the reviewerID of reviewer #17) come from a stream
 * derived from their label, not from the record stream, whose position depends on everything generated before.
 */

/** FNV-1a over the labels' text, mixed into the seed: a 32-bit seed for a labelled stream. */
function hashLabels(seed: number, labels: readonly (string | number)[]): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (const label of labels) {
    const text = `${typeof label}:${label}\u0000`;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  }
  return h >>> 0;
}

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) >>> 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  readonly seed: number;

  constructor(seed: number, ...labels: readonly (string | number)[]) {
    this.seed = seed >>> 0;
    const state = { s: labels.length ? hashLabels(this.seed, labels) : this.seed };
    this.a = splitmix32(state);
    this.b = splitmix32(state);
    this.c = splitmix32(state);
    this.d = splitmix32(state);
    for (let i = 0; i < 12; i++) this.next32();
  }

  /** A stream of its own for a labelled purpose (same seed and labels → same stream). */
  derive(...labels: readonly (string | number)[]): Rng {
    return new Rng(this.seed, ...labels);
  }

  next32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.next32() / 4294967296;
  }

  /** Uniform whole number in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform whole number in [lo, hi] (both included). */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** Picks by weight (weights need not sum to 1). */
  weighted<T>(items: readonly { readonly value: T; readonly weight: number }[]): T {
    const total = items.reduce((n, i) => n + i.weight, 0);
    let r = this.next() * total;
    for (const item of items) {
      r -= item.weight;
      if (r < 0) return item.value;
    }
    return items[items.length - 1]!.value;
  }
}
