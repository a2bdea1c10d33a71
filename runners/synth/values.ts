/**
 * Valid raw values, derived from the IR: each raw field's kind and constraints (range, lengths, pattern, enum,
 * items) decide what is valid; the processed columns fed by the field say what its text means (`parse_integer` →
 * a count that may carry thousands commas, `parse_money` → "$1,250.00", `parse_month_day_year` → "May 15, 2009",
 * `epoch_seconds_to_*` → midnight UTC seconds, `trim` / `html_unescape` / `empty_to_null` → padded, entity-laden or
 * empty text, `map_key` with `strip_trailing_colon` → `"Gift Amount:"` keys); the profile (`profiles.ts`) says how
 * often and how long. Every suggested value is checked against the field's constraints before it is used, and the
 * contract-derived value (the pattern's own strings) is the fallback.
 *
 * A string field whose pattern accepts a date rendering of the record's epoch-seconds field (when the dataset has
 * exactly one) is rendered from it, so `reviewTime` is `"05 15, 2009"` for the `unixReviewTime` of that day: the
 * data's own consistency, which the contract describes but no rule checks.
 */
import type { ColumnIR, DatasetIR, Normalization, RawField } from "../../generators/ir/types.js";
import { fieldWhere, SynthError } from "./errors.js";
import { compilePattern, generate, PatternError, type Pattern } from "./pattern.js";
import type { Rng } from "./prng.js";
import { DEFAULT_FIELD, profileOf, type FieldProfile } from "./profiles.js";

/** A number written with a decimal point (`5.0`), as the producer writes ratings. */
export class Float {
  constructor(readonly value: number) {}
}

/** Marks a member to leave out of its object (a `missing` break). */
export const REMOVE: unique symbol = Symbol("remove");

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const DAY_SECONDS = 86_400;

/** Date renderings tried against a date-text field's pattern, in order. */
export const DATE_FORMATS: readonly { readonly name: string; readonly render: (d: Date) => string }[] = [
  { name: "MM D, YYYY", render: (d) => `${String(d.getUTCMonth() + 1).padStart(2, "0")} ${d.getUTCDate()}, ${d.getUTCFullYear()}` },
  { name: "MM DD, YYYY", render: (d) => `${String(d.getUTCMonth() + 1).padStart(2, "0")} ${String(d.getUTCDate()).padStart(2, "0")}, ${d.getUTCFullYear()}` },
  { name: "YYYY-MM-DD", render: (d) => d.toISOString().slice(0, 10) },
  { name: "Month D, YYYY", render: (d) => `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}` },
  { name: "M/D/YYYY", render: (d) => `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()}` },
];
const PROBE_DATES = ["2001-10-01", "2009-05-05", "2012-02-29", "2018-12-25"].map((d) => new Date(`${d}T00:00:00Z`));

const WORDS = (
  "great gift card easy fast love it perfect works recommend the a for my mom dad friend arrived quickly " +
  "nice product would buy again good value price quality happy birthday christmas present use online store " +
  "thank you very much always best way to send money simple no problems received email print at home " +
  "holiday kids teacher coworker last minute option balance check redeem code worked fine as expected"
).split(" ");
const ENTITIES = ["&amp;", "&#39;", "&quot;", "&lt;3", "&gt;"];
const MONEY = [5, 10, 15, 20, 25, 25, 30, 50, 50, 100, 150, 250, 500, 1250];

type Hint =
  | { readonly kind: "count" }
  | { readonly kind: "money" }
  | { readonly kind: "month_day_year" }
  | { readonly kind: "epoch" }
  | { readonly kind: "date_text"; readonly format: (typeof DATE_FORMATS)[number] };

export interface FieldPlan {
  readonly field: RawField;
  readonly profile: FieldProfile;
  readonly pattern?: Pattern;
  readonly like?: Pattern;
  readonly hint?: Hint;
  readonly trim: boolean;
  readonly entities: boolean;
  /** `""` satisfies the field's constraints. */
  readonly emptyOk: boolean;
  readonly fields?: readonly FieldPlan[];
  readonly element?: FieldPlan;
  readonly options?: readonly FieldPlan[];
  /** A record (map) whose keys the processed table reads by name. */
  readonly map?: { readonly keys: readonly string[]; readonly colon: boolean; readonly trimKeys: boolean; readonly rest: boolean; readonly trimValues: boolean };
  /** Enum values that satisfy the other constraints. */
  readonly enumValues?: readonly (string | number)[];
  /** Numbers: the profile's choices that satisfy the constraints, and the inclusive bounds. */
  readonly choices?: readonly { readonly value: number; readonly weight: number }[];
  readonly bounds?: readonly [number, number];
}

/** Per-record state: the stream, the record's epoch time, the key values, and a forced path (an invalid record). */
export interface RecordContext {
  readonly rng: Rng;
  epochSeconds: number;
  readonly keys: ReadonlyMap<string, unknown>;
}

/** How an invalid record replaces one value: the chain of fields from the root to the rule's field. */
export interface Force {
  readonly chain: readonly RawField[];
  readonly replace: (plan: FieldPlan, ctx: RecordContext, values: ValueFactory) => unknown;
}

const codePoints = (s: string) => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/** Every column a raw field feeds, withheld (sensitive) ones included: their normalisations describe the raw text too. */
function columnsOf(dataset: DatasetIR): ColumnIR[] {
  const withheld = (t: { readonly withheld?: readonly ColumnIR[] }) => t.withheld ?? [];
  return [dataset.table, ...dataset.children].flatMap((t) => [...t.columns, ...withheld(t)]);
}

function normalizationsOf(dataset: DatasetIR, path: string): Set<Normalization> {
  const out = new Set<Normalization>();
  for (const c of columnsOf(dataset)) {
    const s = c.source;
    if ((s.kind === "field" || s.kind === "map_key" || s.kind === "array_element") && s.path === path) for (const n of c.normalize) out.add(n);
  }
  return out;
}

/** Whether a string satisfies the field's own constraints (pattern, lengths, enum). */
export function stringFits(plan: FieldPlan, value: string): boolean {
  const c = plan.field.constraints;
  if (c.enum && !c.enum.includes(value)) return false;
  if (plan.pattern && !plan.pattern.regexp.test(value)) return false;
  if (c.minLength !== undefined || c.maxLength !== undefined) {
    const n = codePoints(value);
    if (c.minLength !== undefined && n < c.minLength) return false;
    if (c.maxLength !== undefined && n > c.maxLength) return false;
  }
  return true;
}

export function numberFits(field: RawField, value: number): boolean {
  const c = field.constraints;
  if (field.kind === "integer" && !Number.isInteger(value)) return false;
  if (c.minimum !== undefined && value < c.minimum) return false;
  if (c.maximum !== undefined && value > c.maximum) return false;
  if (c.exclusiveMinimum !== undefined && value <= c.exclusiveMinimum) return false;
  if (c.exclusiveMaximum !== undefined && value >= c.exclusiveMaximum) return false;
  if (c.enum && !c.enum.includes(value)) return false;
  return true;
}

export function compileFieldPattern(field: RawField, source: string, what = "pattern"): Pattern {
  try {
    return compilePattern(source);
  } catch (error) {
    if (!(error instanceof PatternError)) throw error;
    throw new SynthError(
      "SYNTH.UNSUPPORTED_PATTERN",
      `Cannot derive values from the ${what} /${source}/ of ${field.path}: ${error.message}.`,
      "Simplify the regex to literals, classes, groups, alternation and quantifiers, or report the construct so the generator learns it.",
      fieldWhere(field.where),
    );
  }
}

/** Inclusive numeric bounds of a field, with a default span when unbounded. */
export function boundsOf(field: RawField, fallback: readonly [number, number]): [number, number] {
  const c = field.constraints;
  const step = field.kind === "integer" ? 1 : 0.1;
  let lo = c.minimum ?? (c.exclusiveMinimum !== undefined ? c.exclusiveMinimum + step : undefined);
  let hi = c.maximum ?? (c.exclusiveMaximum !== undefined ? c.exclusiveMaximum - step : undefined);
  if (lo === undefined && hi === undefined) [lo, hi] = fallback;
  else if (lo === undefined) lo = Math.min(hi!, fallback[0]);
  else if (hi === undefined) hi = Math.max(lo, fallback[1]);
  if (field.kind === "integer") [lo, hi] = [Math.ceil(lo!), Math.floor(hi!)];
  return [lo!, hi!];
}

export class ValueFactory {
  readonly plans: readonly FieldPlan[];
  private readonly byPath = new Map<string, FieldPlan>();
  readonly epochPath?: string;
  private readonly epochDays: readonly [number, number];

  constructor(readonly dataset: DatasetIR) {
    const profile = profileOf(dataset.name);
    const epochFields = dataset.raw.fields.filter((f) => f.kind === "integer" && [...normalizationsOf(dataset, f.path)].some((n) => n.startsWith("epoch_seconds_to_")));
    this.epochPath = epochFields.length === 1 ? epochFields[0]!.path : undefined;
    const plan = (field: RawField, parentMapColumns?: ColumnIR[], isOption = false): FieldPlan => {
      const fieldProfile = profile.fields[field.path] ?? {};
      const norms = normalizationsOf(dataset, field.path);
      const mapColumns = columnsOf(dataset).filter((c) => (c.source.kind === "map_key" || c.source.kind === "map_rest") && c.source.path === field.path);
      if (parentMapColumns) for (const c of parentMapColumns) for (const n of c.normalize) norms.add(n);
      const c = field.constraints;
      if (c.format !== undefined) {
        throw new SynthError("SYNTH.UNSATISFIABLE", `${field.path} has the Zod format "${c.format}", which the generator does not derive values for.`, "Use .regex(...) in the contract (the IR refuses formats too).", fieldWhere(field.where));
      }
      const pattern = c.pattern !== undefined ? compileFieldPattern(field, c.pattern) : undefined;
      const like = fieldProfile.like !== undefined ? compileFieldPattern(field, fieldProfile.like, "profile pattern") : undefined;
      let hint: Hint | undefined;
      if (field.kind === "integer" && [...norms].some((n) => n.startsWith("epoch_seconds_to_"))) hint = { kind: "epoch" };
      else if (field.kind === "string") {
        if (norms.has("parse_integer")) hint = { kind: "count" };
        else if (norms.has("parse_money")) hint = { kind: "money" };
        else if (norms.has("parse_month_day_year")) hint = { kind: "month_day_year" };
        else if (pattern && this.epochPath) {
          const format = DATE_FORMATS.find((f) => PROBE_DATES.every((d) => pattern.regexp.test(f.render(d))));
          if (format) hint = { kind: "date_text", format };
        }
      }
      const base = {
        field,
        profile: fieldProfile,
        pattern,
        like,
        hint,
        trim: norms.has("trim"),
        entities: norms.has("html_unescape"),
      };
      const emptyOk = field.kind === "string" && stringFits({ ...base, emptyOk: false }, "");
      const children = field.fields?.map((f) => plan(f));
      const element = field.element ? plan(field.element, field.kind === "record" ? mapColumns.filter((m) => m.source.kind === "map_key") : undefined) : undefined;
      const options = field.options?.map((o) => plan(o, undefined, true));
      let map: FieldPlan["map"];
      if (field.kind === "record" && mapColumns.length) {
        const keyNormalize = new Set(mapColumns.flatMap((m) => (m.source.kind === "map_key" || m.source.kind === "map_rest" ? m.source.keyNormalize : [])));
        map = {
          keys: mapColumns.flatMap((m) => (m.source.kind === "map_key" ? [m.source.key] : [])),
          colon: keyNormalize.has("strip_trailing_colon"),
          trimKeys: keyNormalize.has("trim"),
          rest: mapColumns.some((m) => m.source.kind === "map_rest"),
          trimValues: mapColumns.some((m) => m.normalize.includes("trim")),
        };
      }
      const choices = fieldProfile.choices?.filter((ch) => numberFits(field, ch.value));
      const numeric = field.kind === "number" || field.kind === "integer";
      const result: FieldPlan = {
        ...base,
        emptyOk,
        ...(numeric ? { bounds: boundsOf(field, [0, 1000]) } : {}),
        ...(numeric && choices?.length ? { choices } : {}),
        ...(children ? { fields: children } : {}),
        ...(element ? { element } : {}),
        ...(options ? { options } : {}),
        ...(map ? { map } : {}),
      };
      if (c.enum) {
        const fits = c.enum.filter((v) => (typeof v === "string" ? field.kind === "string" && stringFits(result, v) : field.kind !== "string" && numberFits(field, v)));
        if (!fits.length) throw new SynthError("SYNTH.UNSATISFIABLE", `No value of the enum of ${field.path} satisfies its other constraints.`, "Fix the contract: the field can never be valid.", fieldWhere(field.where));
        (result as { enumValues?: readonly (string | number)[] }).enumValues = fits;
      }
      // Union options share their union's path: the path names the union, `path#kind` its option.
      this.byPath.set(isOption ? `${field.path}#${field.kind}` : field.path, result);
      return result;
    };
    this.plans = dataset.raw.fields.map((f) => plan(f));
    const epoch = this.epochPath ? this.planOf(this.epochPath) : undefined;
    const days = (epoch?.profile.days ?? DEFAULT_FIELD.days).map((d) => Math.floor(Date.parse(`${d}T00:00:00Z`) / 1000 / DAY_SECONDS)) as [number, number];
    if (epoch) {
      const [lo, hi] = boundsOf(epoch.field, [0, 4102444800]);
      days[0] = Math.max(days[0], Math.ceil(lo / DAY_SECONDS));
      days[1] = Math.min(days[1], Math.floor(hi / DAY_SECONDS));
      if (days[1] < days[0]) [days[0], days[1]] = [Math.ceil(lo / DAY_SECONDS), Math.floor(hi / DAY_SECONDS)];
    }
    this.epochDays = days;
  }

  /** The plan of a raw path (union options share their union's path: the union's plan is returned). */
  planOf(path: string): FieldPlan {
    const plan = this.byPath.get(path);
    if (!plan) throw new Error(`No raw field ${path}. This is a bug in runners/synth.`);
    return plan;
  }

  /** Starts a record: its epoch day (shared by the epoch field and any date text rendered from it). */
  context(rng: Rng, keys: ReadonlyMap<string, unknown>): RecordContext {
    const day = rng.range(this.epochDays[0], this.epochDays[1]);
    return { rng, epochSeconds: day * DAY_SECONDS, keys };
  }

  /** A whole record, every member valid, except the one `force` replaces. */
  record(ctx: RecordContext, force?: Force): Record<string, unknown> {
    return this.object(this.plans, ctx, force, 0, true);
  }

  private object(plans: readonly FieldPlan[], ctx: RecordContext, force: Force | undefined, depth: number, root: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const forced = force?.chain[depth];
    for (const plan of plans) {
      const isForced = forced === plan.field;
      const keyed = root && ctx.keys.has(plan.field.path);
      if (!isForced && !keyed && !plan.field.required && !ctx.rng.chance(plan.profile.presence ?? DEFAULT_FIELD.presence)) continue;
      const value = isForced ? this.forcedValue(plan, ctx, force!, depth) : keyed ? ctx.keys.get(plan.field.path) : this.value(plan, ctx);
      if (value !== REMOVE) out[plan.field.key] = value;
    }
    return out;
  }

  private forcedValue(plan: FieldPlan, ctx: RecordContext, force: Force, depth: number): unknown {
    if (depth === force.chain.length - 1) return force.replace(plan, ctx, this);
    const next = force.chain[depth + 1]!;
    const field = plan.field;
    if (field.kind === "object") return this.object(plan.fields ?? [], ctx, force, depth + 1, false);
    if (field.kind === "union") {
      const option = plan.options!.find((o) => o.field === next)!;
      return this.forcedValue(option, ctx, force, depth + 1);
    }
    if (field.kind === "array" || field.kind === "record") {
      // At least one element, one of which (chosen by the stream) is the forced one.
      const n = Math.max(1, this.count(plan, ctx));
      const at = ctx.rng.int(n);
      if (field.kind === "array") return Array.from({ length: n }, (_, i) => (i === at ? this.forcedValue(plan.element!, ctx, force, depth + 1) : this.value(plan.element!, ctx)));
      const keys = this.mapKeys(plan, ctx, n);
      return Object.fromEntries(keys.map((k, i) => [k, i === at % keys.length ? this.forcedValue(plan.element!, ctx, force, depth + 1) : this.mapValue(plan, ctx)]));
    }
    throw new Error(`Cannot force a path through ${field.path} (${field.kind}). This is a bug in runners/synth.`);
  }

  /** A valid value of a field. */
  value(plan: FieldPlan, ctx: RecordContext): unknown {
    const field = plan.field;
    if (field.nullable && ctx.rng.chance(0.02)) return null;
    switch (field.kind) {
      case "string":
        return this.string(plan, ctx);
      case "number":
      case "integer":
        return this.number(plan, ctx);
      case "boolean":
        return ctx.rng.chance(plan.profile.trueShare ?? DEFAULT_FIELD.trueShare);
      case "object":
        return this.object(plan.fields ?? [], ctx, undefined, 0, false);
      case "array": {
        const n = this.count(plan, ctx);
        const items: unknown[] = new Array(n);
        for (let i = 0; i < n; i++) items[i] = this.value(plan.element!, ctx);
        return items;
      }
      case "record": {
        const out: Record<string, unknown> = {};
        for (const key of this.mapKeys(plan, ctx, this.count(plan, ctx))) out[key] = this.mapValue(plan, ctx);
        return out;
      }
      case "union": {
        const options = plan.options!;
        const weights = plan.profile.options;
        const option = weights ? ctx.rng.weighted(options.map((o) => ({ value: o, weight: weights[o.field.kind] ?? 0 }))) : ctx.rng.pick(options);
        return this.value(option, ctx);
      }
    }
  }

  /** Items of an array or entries of a record: empty at the profile's rate, within minItems…maxItems. */
  count(plan: FieldPlan, ctx: RecordContext): number {
    const c = plan.field.constraints;
    const [lo, hi] = plan.profile.items ?? DEFAULT_FIELD.items;
    let n = ctx.rng.chance(plan.profile.empty ?? DEFAULT_FIELD.empty) ? 0 : ctx.rng.range(lo, hi);
    if (c.minItems !== undefined) n = Math.max(n, c.minItems);
    if (c.maxItems !== undefined) n = Math.min(n, c.maxItems);
    return n;
  }

  private mapKeys(plan: FieldPlan, ctx: RecordContext, n: number): string[] {
    const rng = ctx.rng;
    const map = plan.map;
    const names: string[] = [];
    if (map && map.keys.length) {
      // The first declared key is the common one (all 864 real style objects hold only "Gift Amount:").
      const pool = [...map.keys];
      while (names.length < n && pool.length) {
        const at = names.length === 0 && rng.chance(0.6) ? 0 : rng.int(pool.length);
        names.push(pool.splice(at, 1)[0]!);
      }
      if (map.rest && names.length && rng.chance(0.05)) names[names.length - 1] = this.extraKey(map.keys, rng);
    }
    while (names.length < n) {
      const name = this.extraKey([...(map?.keys ?? []), ...names], rng);
      if (!names.includes(name)) names.push(name);
    }
    const padding = plan.profile.keyPadding ?? DEFAULT_FIELD.keyPadding;
    return names.map((name) => {
      let key = map?.colon ? `${name}:` : name;
      if (map?.trimKeys && rng.chance(padding)) key = rng.chance(0.7) ? `${key} ` : `\n    ${key} \n    `;
      return key;
    });
  }

  private extraKey(taken: readonly string[], rng: Rng): string {
    for (;;) {
      const words = rng.range(1, 2);
      const name = Array.from({ length: words }, () => rng.pick(WORDS)).map((w) => w[0]!.toUpperCase() + w.slice(1)).join(" ");
      if (!taken.includes(name)) return name;
    }
  }

  private mapValue(plan: FieldPlan, ctx: RecordContext): unknown {
    const value = this.value(plan.element!, ctx);
    // Amazon pads style values with a space (" 50"); the column's trim removes it.
    if (plan.map?.trimValues && typeof value === "string" && value !== "" && ctx.rng.chance(plan.profile.valuePadding ?? DEFAULT_FIELD.valuePadding) && stringFits(plan.element!, ` ${value}`)) {
      return ` ${value}`;
    }
    return value;
  }

  private number(plan: FieldPlan, ctx: RecordContext): number | Float {
    const field = plan.field;
    const rng = ctx.rng;
    let v: number;
    if (plan.hint?.kind === "epoch") return ctx.epochSeconds;
    if (plan.enumValues) v = rng.pick(plan.enumValues) as number;
    else if (plan.choices) v = rng.weighted(plan.choices);
    else {
      const [lo, hi] = plan.bounds!;
      if (field.kind === "integer" || (Number.isInteger(lo) && Number.isInteger(hi) && hi - lo <= 100)) v = lo + rng.int(Math.floor(hi - lo) + 1);
      else v = Math.round((lo + rng.next() * (hi - lo)) * 100) / 100;
      if (!numberFits(field, v)) v = lo;
    }
    return field.kind === "number" ? new Float(v) : v;
  }

  private string(plan: FieldPlan, ctx: RecordContext): string {
    const rng = ctx.rng;
    if (plan.enumValues) return rng.pick(plan.enumValues) as string;
    const hint = plan.hint;
    if (hint?.kind === "date_text") {
      const text = hint.format.render(new Date(ctx.epochSeconds * 1000));
      if (stringFits(plan, text)) return text;
    }
    if (plan.emptyOk && rng.chance(plan.profile.empty ?? DEFAULT_FIELD.empty)) return "";
    const suggested = this.suggest(plan, rng);
    if (suggested !== undefined && stringFits(plan, suggested)) return suggested;
    if (plan.pattern) {
      for (let attempt = 0; attempt < 20; attempt++) {
        const text = generate(plan.pattern, rng, attempt < 10 ? {} : { mode: attempt % 2 ? "shortest" : "longest", extra: plan.field.constraints.minLength ?? 8 });
        if (stringFits(plan, text)) return text;
      }
      throw new SynthError(
        "SYNTH.UNSATISFIABLE",
        `No string of /${plan.pattern.source}/ found within the length limits of ${plan.field.path} (${plan.field.constraints.minLength ?? 0}…${plan.field.constraints.maxLength ?? "∞"}).`,
        "Check that the pattern and the length limits agree.",
        fieldWhere(plan.field.where),
      );
    }
    return this.fitLength(plan, this.text(plan, rng));
  }

  /** A realistic candidate from the hint or the profile (checked by the caller). */
  private suggest(plan: FieldPlan, rng: Rng): string | undefined {
    switch (plan.hint?.kind) {
      case "count": {
        const r = rng.next();
        const n = r < 0.85 ? rng.range(2, 9) : r < 0.98 ? rng.range(10, 999) : rng.range(1000, 99_999);
        return n.toLocaleString("en-US");
      }
      case "money": {
        const amount = rng.pick(MONEY);
        return `$${amount.toLocaleString("en-US")}.00`;
      }
      case "month_day_year": {
        const d = new Date(Date.UTC(rng.range(2000, 2018), rng.int(12), rng.range(1, 28)));
        return DATE_FORMATS[3]!.render(d);
      }
    }
    if (plan.like) return generate(plan.like, rng);
    if (plan.profile.tokens) return rng.pick(plan.profile.tokens);
    return undefined;
  }

  private text(plan: FieldPlan, rng: Rng): string {
    const [lo, hi] = plan.profile.words ?? DEFAULT_FIELD.words;
    const u = rng.next();
    const n = lo + Math.floor(u * u * (hi - lo + 1));
    let text = "";
    for (let i = 0; i < n; i++) {
      let word = rng.pick(WORDS);
      if (i === 0) word = word[0]!.toUpperCase() + word.slice(1);
      text += i === 0 ? word : n > 10 && rng.chance(0.03) ? `.\n${word}` : ` ${word}`;
    }
    if (plan.entities && rng.chance(0.02)) text += ` ${rng.pick(ENTITIES)} ${rng.pick(WORDS)}`;
    if (plan.trim && rng.chance(0.02)) text = rng.chance(0.5) ? ` ${text}` : `${text}  `;
    return text;
  }

  private fitLength(plan: FieldPlan, text: string): string {
    const c = plan.field.constraints;
    let out = text;
    if (c.maxLength !== undefined && codePoints(out) > c.maxLength) out = [...out].slice(0, c.maxLength).join("");
    while (c.minLength !== undefined && codePoints(out) < c.minLength) out += "x";
    return out;
  }
}
