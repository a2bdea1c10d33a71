/**
 * Strings that match a contract regex, derived from the regex itself.
 *
 * Understands the portable subset the IR admits (`generators/ir/regex.ts`): literals, `\d \D \w \W \t \n \r \f
 * \xHH`, escaped punctuation, classes with ranges and negation, groups `( )` `(?: )`, alternation, the quantifiers
 * `* + ? {n} {n,} {n,m}` (lazy or not), and `^` / `$` at the very start / end. Anything else (an anchor inside the
 * pattern, `.`, lookaround, backreferences, word boundaries) is refused with `PatternError`, whose reason the caller
 * turns into `SYNTH.UNSUPPORTED_PATTERN`.
 *
 * Character sets are exact (UTF-16 code units, as JavaScript reads a regex without the `u` flag), but characters are
 * *drawn* from the friendliest part of each set: `[A-Za-z0-9._/-]` when the set has any of them, printable ASCII
 * next, the whole set last. So `[^ \t\r\n]+` yields `aZ3.x/` rather than control characters.
 *
 * Unique values (`forced` digits): the first k character positions of size > 1 hold the digits of a number in mixed
 * radix, at offsets that do not depend on the number (alternations take their first option that holds such a
 * position, repetitions stop at their minimum once the digits are placed), and everything random comes after the
 * last digit. Different numbers below the capacity (the product of the k position sizes) give different strings.
 */
import type { Rng } from "./prng.js";

type Range = readonly [number, number];

type Node =
  | {
      readonly kind: "chars";
      readonly set: readonly Range[];
      readonly pool: readonly Range[];
      readonly size: number;
      /** The pool as a string when it is small (the common case), for one index per character drawn. */
      readonly alphabet?: string;
    }
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "seq"; readonly items: readonly Node[] }
  | { readonly kind: "alt"; readonly options: readonly Node[] }
  | { readonly kind: "repeat"; readonly node: Node; readonly min: number; readonly max: number };

export interface Pattern {
  readonly source: string;
  /** The contract's own regex, unanchored like Zod (`regexp.test`). */
  readonly regexp: RegExp;
  readonly root: Node;
}

export class PatternError extends Error {}

const UNIVERSE: readonly Range[] = [
  [0x0000, 0xd7ff],
  [0xe000, 0xffff],
];
const PREFERRED: readonly Range[] = normalize([
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x61, 0x7a],
  [0x2d, 0x2f], // - . /
  [0x5f, 0x5f], // _
]);
const PRINTABLE: readonly Range[] = [[0x20, 0x7e]];
const DIGITS: readonly Range[] = [[0x30, 0x39]];
const WORD: readonly Range[] = normalize([
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x61, 0x7a],
  [0x5f, 0x5f],
]);

function normalize(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

function intersect(a: readonly Range[], b: readonly Range[]): Range[] {
  const out: Range[] = [];
  for (const [alo, ahi] of a) {
    for (const [blo, bhi] of b) {
      const lo = Math.max(alo, blo);
      const hi = Math.min(ahi, bhi);
      if (lo <= hi) out.push([lo, hi]);
    }
  }
  return normalize(out);
}

function complement(set: readonly Range[]): Range[] {
  const out: Range[] = [];
  for (const [ulo, uhi] of UNIVERSE) {
    let start = ulo;
    for (const [lo, hi] of set) {
      if (hi < start || lo > uhi) continue;
      if (lo > start) out.push([start, Math.min(lo - 1, uhi)]);
      start = Math.max(start, hi + 1);
    }
    if (start <= uhi) out.push([start, uhi]);
  }
  return out;
}

const sizeOf = (ranges: readonly Range[]) => ranges.reduce((n, [lo, hi]) => n + hi - lo + 1, 0);

function charsNode(set: readonly Range[]): Node {
  const exact = normalize(set);
  if (sizeOf(exact) === 0) throw new PatternError("a class that matches no character");
  const preferred = intersect(exact, PREFERRED);
  const printable = intersect(exact, PRINTABLE);
  const pool = preferred.length ? preferred : printable.length ? printable : exact;
  const size = sizeOf(pool);
  const alphabet = size <= 4096 ? Array.from({ length: size }, (_, i) => charAt(pool, i)).join("") : undefined;
  return { kind: "chars", set: exact, pool, size, ...(alphabet !== undefined ? { alphabet } : {}) };
}

function charAt(pool: readonly Range[], index: number): string {
  let i = index;
  for (const [lo, hi] of pool) {
    const n = hi - lo + 1;
    if (i < n) return String.fromCharCode(lo + i);
    i -= n;
  }
  throw new Error(`charAt: index ${index} beyond the class. This is a bug in runners/synth.`);
}

/** Parses a contract regex. Throws `PatternError` (with the construct and its offset) for what it cannot derive. */
export function compilePattern(source: string): Pattern {
  let regexp: RegExp;
  try {
    regexp = new RegExp(source);
  } catch (error) {
    throw new PatternError(`not a valid regex: ${(error as Error).message}`);
  }
  let i = 0;
  const fail: (what: string) => never = (what) => {
    throw new PatternError(`${what} at offset ${i} of /${source}/`);
  };
  const peek = () => source[i];

  const escapeSet = (inClass: boolean): Range[] => {
    const c = source[i + 1];
    if (c === undefined) fail("a trailing backslash");
    i += 2;
    switch (c) {
      case "d":
        return [...DIGITS];
      case "D":
        return complement(DIGITS);
      case "w":
        return [...WORD];
      case "W":
        return complement(WORD);
      case "t":
        return [[9, 9]];
      case "n":
        return [[10, 10]];
      case "r":
        return [[13, 13]];
      case "f":
        return [[12, 12]];
      case "x": {
        const hex = source.slice(i, i + 2);
        if (!/^[0-9A-Fa-f]{2}$/.test(hex)) fail("\\x without two hex digits");
        i += 2;
        const code = parseInt(hex, 16);
        return [[code, code]];
      }
    }
    if (/[A-Za-z0-9]/.test(c!)) fail(`the escape \\${c}${inClass ? " inside a class" : ""} (word boundaries, \\s, backreferences and other letter escapes are outside the portable subset)`);
    const code = c!.charCodeAt(0);
    return [[code, code]];
  };

  const parseClass = (): Node => {
    i++; // [
    let negate = false;
    if (peek() === "^") {
      negate = true;
      i++;
    }
    const ranges: Range[] = [];
    while (i < source.length && peek() !== "]") {
      let lo: Range[];
      if (peek() === "\\") lo = escapeSet(true);
      else {
        if (peek() === "[") fail("[ inside a class");
        const code = source.charCodeAt(i);
        i++;
        lo = [[code, code]];
      }
      // A range a-z: only between two single characters; `-` next to a class escape or at the end is literal.
      if (peek() === "-" && source[i + 1] !== "]" && source[i + 1] !== undefined && lo.length === 1 && lo[0]![0] === lo[0]![1]) {
        const save = i;
        i++;
        let hi: Range[];
        if (peek() === "\\") hi = escapeSet(true);
        else {
          const code = source.charCodeAt(i);
          i++;
          hi = [[code, code]];
        }
        if (hi.length === 1 && hi[0]![0] === hi[0]![1]) {
          if (hi[0]![0] < lo[0]![0]) fail("a class range out of order");
          ranges.push([lo[0]![0], hi[0]![0]]);
          continue;
        }
        i = save;
      }
      ranges.push(...lo);
    }
    if (peek() !== "]") fail("an unclosed class");
    i++;
    const set = normalize(ranges);
    return charsNode(negate ? complement(set) : set);
  };

  const parseQuantifier = (node: Node): Node => {
    let min: number;
    let max: number;
    const c = peek();
    if (c === "*") [min, max, i] = [0, Infinity, i + 1];
    else if (c === "+") [min, max, i] = [1, Infinity, i + 1];
    else if (c === "?") [min, max, i] = [0, 1, i + 1];
    else if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i));
      if (!m) return node; // a literal `{` (JavaScript reads it as text); the caller reads it as an atom
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3]);
      if (max < min) fail("a quantifier {n,m} with m < n");
      i += m[0].length;
    } else return node;
    if (peek() === "?") i++; // lazy: the same strings match
    if (node.kind === "seq" && node.items.length === 0) fail("a quantifier with nothing to repeat");
    return { kind: "repeat", node, min, max };
  };

  const parseSeq = (depth: number): Node => {
    const items: Node[] = [];
    while (i < source.length) {
      const c = peek()!;
      if (c === "|" || c === ")") break;
      let atom: Node;
      if (c === "(") {
        if (source[i + 1] === "?") {
          if (source[i + 2] !== ":") fail("a group with (? other than (?: (lookaround, named groups and inline flags are outside the portable subset)");
          i += 3;
        } else i++;
        atom = parseAlt(depth + 1);
        if (peek() !== ")") fail("an unclosed group");
        i++;
      } else if (c === "[") atom = parseClass();
      else if (c === "\\") atom = charsNode(escapeSet(false));
      else if (c === ".") fail("`.` (line terminators differ between engines; the IR refuses it too)");
      else if (c === "^") {
        if (i !== 0) fail("^ inside the pattern (only a leading ^ is supported)");
        i++;
        continue;
      } else if (c === "$") {
        if (i !== source.length - 1) fail("$ inside the pattern (only a trailing $ is supported)");
        i++;
        continue;
      } else if (c === "*" || c === "+" || c === "?") fail("a quantifier with nothing to repeat");
      else {
        atom = charsNode([[source.charCodeAt(i), source.charCodeAt(i)]]);
        i++;
      }
      const before = i;
      const quantified = parseQuantifier(atom);
      if (quantified === atom && peek() === "{" && before === i) {
        // `{` that is not a quantifier: literal text on the next turn.
        items.push(atom);
        items.push(charsNode([[0x7b, 0x7b]]));
        i++;
        continue;
      }
      items.push(quantified);
    }
    return { kind: "seq", items: mergeLiterals(items) };
  };

  const parseAlt = (depth: number): Node => {
    const options = [parseSeq(depth)];
    while (peek() === "|") {
      i++;
      options.push(parseSeq(depth));
    }
    return options.length === 1 ? options[0]! : { kind: "alt", options };
  };

  const root = parseAlt(0);
  if (i < source.length) fail("an unmatched )");
  return { source, regexp, root };
}

/** Runs of single characters become one text node (an image URL's fixed part is one string, not 50 nodes). */
function mergeLiterals(items: readonly Node[]): Node[] {
  const out: Node[] = [];
  for (const item of items) {
    const text = item.kind === "chars" && item.size === 1 ? drawn(item, 0) : item.kind === "text" ? item.text : undefined;
    const last = out[out.length - 1];
    if (text !== undefined && last?.kind === "text") out[out.length - 1] = { kind: "text", text: last.text + text };
    else out.push(text !== undefined ? { kind: "text", text } : item);
  }
  return out;
}

/** Whether a node can hold a character position of size > 1 (a digit of a forced number). */
const forceable = new WeakMap<Node, boolean>();
function canForce(node: Node): boolean {
  let known = forceable.get(node);
  if (known !== undefined) return known;
  switch (node.kind) {
    case "chars":
      known = node.size > 1;
      break;
    case "text":
      known = false;
      break;
    case "seq":
      known = node.items.some(canForce);
      break;
    case "alt":
      known = node.options.some(canForce);
      break;
    case "repeat":
      known = node.max > 0 && canForce(node.node);
      break;
  }
  forceable.set(node, known);
  return known;
}

export interface GenerateOptions {
  /** `random` (default), `shortest` (every repetition at its minimum), `longest` (bounded at maximum, unbounded min + extra). */
  readonly mode?: "random" | "shortest" | "longest";
  /** Most extra repetitions of an unbounded quantifier (`+`, `*`, `{n,}`); default 8. */
  readonly extra?: number;
  /** Digits of a unique number (mixed radix, in the sizes `layout` returned), placed first. */
  readonly forced?: readonly number[];
}

interface Walk {
  readonly rng: Rng;
  readonly mode: "random" | "shortest" | "longest";
  readonly extra: number;
  readonly forced: readonly number[];
  next: number;
  /** When set, only the sizes of forced positions are collected (no digits yet). */
  readonly layout?: number[];
  readonly layoutLimit: number;
  /** Forced positions remain to be placed. */
  active: boolean;
  out: string;
}

const forcing = (w: Walk) => (w.layout ? w.layout.length < w.layoutLimit : w.next < w.forced.length);

function drawn(node: Extract<Node, { kind: "chars" }>, index: number): string {
  return node.alphabet !== undefined ? node.alphabet[index]! : charAt(node.pool, index);
}

function walk(node: Node, w: Walk): void {
  switch (node.kind) {
    case "chars": {
      if (node.size === 1) w.out += drawn(node, 0);
      else if (w.active) {
        if (w.layout) {
          w.layout.push(node.size);
          w.out += drawn(node, 0);
        } else w.out += drawn(node, w.forced[w.next++]!);
        w.active = forcing(w);
      } else w.out += drawn(node, w.rng.int(node.size));
      return;
    }
    case "text":
      w.out += node.text;
      return;
    case "seq":
      for (const item of node.items) walk(item, w);
      return;
    case "alt": {
      const option = w.active ? (node.options.find(canForce) ?? node.options[0]!) : w.rng.pick(node.options);
      walk(option, w);
      return;
    }
    case "repeat": {
      let r = 0;
      while (r < node.max && (r < node.min || (w.active && canForce(node.node)))) {
        walk(node.node, w);
        r++;
      }
      if (w.active) return;
      const target =
        w.mode === "shortest"
          ? node.min
          : w.mode === "longest"
            ? node.max === Infinity
              ? node.min + w.extra
              : node.max
            : node.max === Infinity
              ? node.min + w.rng.int(w.extra + 1)
              : w.rng.range(node.min, node.max);
      const inner = node.node;
      if (inner.kind === "chars" && inner.alphabet !== undefined) {
        // The common case (`[0-9A-Z]{8}`): draw the characters in one loop.
        for (; r < target; r++) w.out += inner.alphabet[w.rng.int(inner.size)]!;
        return;
      }
      for (; r < target; r++) walk(inner, w);
      return;
    }
  }
}

/** A string matching the pattern (`pattern.regexp.test` holds for it). */
export function generate(pattern: Pattern, rng: Rng, options: GenerateOptions = {}): string {
  const forced = options.forced ?? [];
  const w: Walk = { rng, mode: options.mode ?? "random", extra: options.extra ?? 8, forced, next: 0, layoutLimit: 0, active: forced.length > 0, out: "" };
  walk(pattern.root, w);
  if (w.next < w.forced.length) throw new Error(`generate: ${w.forced.length - w.next} forced digits left over for /${pattern.source}/. This is a bug in runners/synth.`);
  return w.out;
}

/** Sizes of the first `k` forced positions (fewer when the pattern holds fewer). */
export function layout(pattern: Pattern, k: number, rng: Rng): number[] {
  const sizes: number[] = [];
  walk(pattern.root, { rng, mode: "shortest", extra: 0, forced: [], next: 0, layout: sizes, layoutLimit: k, active: k > 0, out: "" });
  return sizes;
}

export interface UniqueLayout {
  /** Radix of each forced position, in order. */
  readonly sizes: readonly number[];
  /** Distinct strings the layout can encode (the product of the sizes). */
  readonly capacity: number;
}

/**
 * The fewest forced positions whose capacity reaches `needed`, or the pattern's largest layout when it cannot
 * (then `capacity < needed`: the caller reports `SYNTH.KEY_CAPACITY`).
 */
export function uniqueLayout(pattern: Pattern, needed: number, rng: Rng): UniqueLayout {
  let best: UniqueLayout = { sizes: [], capacity: 1 };
  for (let k = 1; k <= 64; k++) {
    const sizes = layout(pattern, k, rng);
    const capacity = sizes.reduce((n, s) => n * s, 1);
    if (sizes.length < k) return best;
    best = { sizes, capacity };
    if (capacity >= needed) return best;
  }
  return best;
}

/** Mixed-radix digits of `value` (< capacity) in the layout's sizes. */
export function digitsOf(value: number, sizes: readonly number[]): number[] {
  let v = value;
  return sizes.map((size) => {
    const d = v % size;
    v = Math.floor(v / size);
    return d;
  });
}
