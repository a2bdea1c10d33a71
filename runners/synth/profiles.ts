/**
 * How the real data looks where the contract does not say: how often an optional key is left out, how often a value
 * is empty, how long texts and lists are, how ratings are spread. The contract (through the IR) decides what is
 * *valid*; a profile only chooses among valid values. Every value a profile suggests is still checked against the
 * field's constraints (a `like` pattern that the contract's pattern refuses is not used), so a stale profile makes
 * the data less realistic, never invalid. `staleProfilePaths` lists profile entries the IR no longer has (tested).
 *
 * Figures are rounded from the shared real samples (`../shared/data/amazon-reviews/README.md`: the 2018 Gift Cards
 * reviews and metadata); nothing of that data is copied here but these rates and a few value shapes. A dataset with
 * no profile gets the defaults (`DEFAULT_PROFILE`).
 */
import type { DatasetIR, RawField, RawKind } from "../../generators/ir/types.js";

export interface FieldProfile {
  /** Share of records carrying this optional key. */
  readonly presence?: number;
  /** Share of values that are empty: `""` for text, `[]` for arrays, `{}` for records. */
  readonly empty?: number;
  /** Words of a free text, [min, max], skewed towards min like real reviews. */
  readonly words?: readonly [number, number];
  /** Items of an array or entries of a record, [min, max], when not empty. */
  readonly items?: readonly [number, number];
  /** Numbers and their weights. */
  readonly choices?: readonly { readonly value: number; readonly weight: number }[];
  /** Share of `true`. */
  readonly trueShare?: number;
  /** Weights of a union's options by their kind. */
  readonly options?: Partial<Record<RawKind, number>>;
  /** Values drawn from this list (record values, short codes). */
  readonly tokens?: readonly string[];
  /** A regex (the generator's subset) that realistic values match, e.g. an image URL's shape. */
  readonly like?: string;
  /** For a record read by key: share of keys padded with white space (`"ASIN: "`, `"\n    Item Weight: \n    "`). */
  readonly keyPadding?: number;
  /** For a record whose values are trimmed: share of values with a leading space (`" 50"`). */
  readonly valuePadding?: number;
  /** For epoch-seconds fields: the first and last calendar day, UTC (`YYYY-MM-DD`). */
  readonly days?: readonly [string, string];
}

export interface DatasetProfile {
  readonly fields: Readonly<Record<string, FieldProfile>>;
  /** Records sharing the first key part (reviews per reviewer) when the key has several parts. */
  readonly keyGroupSize?: number;
  /** Distinct values of the second key part (products reviewed). */
  readonly keyPoolSize?: number;
}

export const DEFAULT_PROFILE: DatasetProfile = { fields: {}, keyGroupSize: 4, keyPoolSize: 2000 };

export const DEFAULT_FIELD: Required<Pick<FieldProfile, "presence" | "empty" | "words" | "items" | "trueShare" | "keyPadding" | "valuePadding" | "days">> = {
  presence: 0.8,
  empty: 0.03,
  words: [1, 8],
  items: [1, 3],
  trueShare: 0.5,
  keyPadding: 0.1,
  valuePadding: 0.3,
  days: ["2000-01-01", "2020-12-31"],
};

const AMAZON_IMAGE = "https://images-na\\.ssl-images-amazon\\.com/images/I/[1-9][0-9A-Za-z]{10}\\._SY88\\.jpg";
const ASIN_LIKE = "B0[0-9A-Z]{8}";

export const PROFILES: Readonly<Record<string, DatasetProfile>> = {
  review: {
    keyGroupSize: 6, // 2,972 reviews by 458 reviewers
    keyPoolSize: 2000,
    fields: {
      overall: {
        choices: [
          { value: 5, weight: 0.926 },
          { value: 4, weight: 0.052 },
          { value: 3, weight: 0.011 },
          { value: 2, weight: 0.004 },
          { value: 1, weight: 0.007 },
        ],
      },
      vote: { presence: 0.07 },
      reviewerID: { like: "A[0-9A-Z]{12,13}" },
      asin: { like: ASIN_LIKE },
      verified: { trueShare: 0.955 },
      style: { presence: 0.29, items: [1, 1], empty: 0, keyPadding: 0, valuePadding: 1 },
      "style{}": { tokens: ["50", "25", "0", "100", "75", "20", "15", "200"], empty: 0 },
      reviewerName: { presence: 0.999, words: [1, 3], empty: 0.001 }, // every 2018 review has one; 1 of the 50 2014 ones not
      reviewText: { presence: 0.998, words: [1, 90], empty: 0.001 },
      summary: { presence: 1, words: [1, 6], empty: 0.001 },
      unixReviewTime: { days: ["2011-01-01", "2018-08-31"] },
      image: { presence: 0.004, items: [1, 3], empty: 0 },
      "image[]": { like: AMAZON_IMAGE },
    },
  },
  product: {
    keyGroupSize: 1,
    fields: {
      asin: { like: ASIN_LIKE },
      title: { words: [2, 14], empty: 0 },
      brand: { presence: 1, empty: 0.66, words: [1, 3] },
      main_cat: { presence: 1, empty: 0.004, words: [1, 3] },
      category: { presence: 1, empty: 0.003, items: [2, 6] },
      "category[]": { words: [1, 3], empty: 0 },
      price: { presence: 1, empty: 0.77 },
      rank: { presence: 1, empty: 0.45, options: { string: 0.53, array: 0.47 }, items: [1, 3], like: "[1-9][0-9]{0,2},[0-9]{3} in Gift Cards \\(" },
      "rank[]": { like: ">#[1-9][0-9]{0,2},[0-9]{3} in (Toys & Games|Gift Cards|Office Products)", empty: 0 },
      date: { presence: 1, empty: 0.99 },
      also_buy: { presence: 1, empty: 0.78, items: [1, 90] },
      "also_buy[]": { like: ASIN_LIKE, empty: 0 },
      also_view: { presence: 1, empty: 0.43, items: [1, 60] },
      "also_view[]": { like: ASIN_LIKE, empty: 0 },
      feature: { presence: 1, empty: 0.6, items: [1, 8] },
      "feature[]": { words: [3, 15], empty: 0 },
      description: { presence: 1, empty: 0.48, items: [1, 3] },
      "description[]": { words: [5, 60], empty: 0.05 },
      image: { presence: 1, empty: 0.57, items: [1, 6] },
      "image[]": { like: AMAZON_IMAGE, empty: 0 },
      // Not in the Gift Cards metadata; other 2018 category files have them (the contract's comment).
      imageURL: { presence: 0.05, empty: 0.3, items: [1, 6] },
      "imageURL[]": { like: AMAZON_IMAGE, empty: 0 },
      imageURLHighRes: { presence: 0.05, empty: 0.3, items: [1, 6] },
      "imageURLHighRes[]": { like: AMAZON_IMAGE, empty: 0 },
      details: { presence: 1, empty: 0.02, items: [1, 4], keyPadding: 0.25, valuePadding: 0 },
      "details{}": { words: [1, 4], empty: 0.05 },
      tech1: { presence: 1, empty: 0.99, words: [3, 20] },
      tech2: { presence: 1, empty: 0.99, words: [3, 20] },
      fit: { presence: 1, empty: 0.99, words: [3, 20] },
      similar_item: { presence: 1, empty: 0.99, words: [3, 20] },
    },
  },
};

export function profileOf(dataset: string): DatasetProfile {
  return PROFILES[dataset] ?? DEFAULT_PROFILE;
}

function allPaths(fields: readonly RawField[], into: Set<string>): Set<string> {
  for (const f of fields) {
    into.add(f.path);
    allPaths(f.fields ?? [], into);
    if (f.element) allPaths([f.element], into);
    for (const option of f.options ?? []) allPaths([option], into);
  }
  return into;
}

/** Profile entries naming a raw path the dataset's IR does not have (a renamed or removed field). */
export function staleProfilePaths(dataset: DatasetIR): string[] {
  const paths = allPaths(dataset.raw.fields, new Set());
  return Object.keys(profileOf(dataset.name).fields).filter((p) => !paths.has(p));
}
