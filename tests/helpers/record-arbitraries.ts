/**
 * fast-check generators of raw records for each contract: every field sometimes valid, sometimes invalid around its
 * rules (wrong type, out of range, pattern, null), sometimes missing. Used by the parity tests of both engines.
 */
import fc from "fast-check";

export const MISSING = Symbol("missing");
export type Gen = fc.Arbitrary<unknown>;

/** A field that is sometimes missing, sometimes valid, sometimes invalid. */
const field = (valid: Gen, invalid: Gen, optional: boolean): Gen =>
  fc.oneof({ arbitrary: valid, weight: 20 }, { arbitrary: invalid, weight: 1 }, { arbitrary: fc.constant(MISSING), weight: optional ? 6 : 1 });

const text = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 12 }),
  fc.constantFrom("", "  padded  ", "Robin &amp; Family", "It&#39;s &lt;ok&gt;", "line\nbreak", "tab\there", "😀 emoji", "\u2028", "&#x1F600;"),
);
const wrongScalar = fc.constantFrom<unknown>(null, 5, 1.5, true, [], {}, ["x"], { a: "b" });
const notString = fc.constantFrom<unknown>(null, 5, true, [], {});

export const REVIEW: Record<string, [Gen, boolean]> = {
  overall: [field(fc.oneof(fc.constantFrom(1, 5, 4.5, 1.0, 3), fc.double({ min: 1, max: 5, noNaN: true })), fc.constantFrom<unknown>(0.99, 5.01, 0, -1, "5", null, true, 1e300), false), false],
  vote: [field(fc.constantFrom("1", "1,341", "12", "999,999,999", "0", "999999999999999999", "999,999,999,999,999,999"), fc.constantFrom<unknown>("12,34", "1,2345", "", "abc", " 1", "1\n", 5, null, "1,341\n", "99999999999999999999", "1,000,000,000,000,000,000"), true), true],
  verified: [field(fc.boolean(), fc.constantFrom<unknown>(null, "true", 1), false), false],
  reviewTime: [field(fc.constantFrom("06 2, 2018", "12 31, 2017", "01 01, 2000"), fc.constantFrom<unknown>("6 2, 2018", "06 2, 2018\n", "", null, 5), false), false],
  reviewerID: [field(fc.oneof(fc.constantFrom("A1B2", "ABC", "A1SYNTHETIC0ID"), fc.stringMatching(/^[A-Z0-9]{1,14}$/)), fc.constantFrom<unknown>("", "abc", "A B", "A1\n", null, [], "A1B2é"), false), false],
  asin: [field(fc.constantFrom("B00ABCDEFG", "616719923X"), fc.constantFrom<unknown>("B00ABCDEF", "b00abcdefg", "B00ABCDEFGH", "B00ABCDEFG\n", null, 5), false), false],
  style: [
    field(
      fc.oneof(fc.constant({}), fc.dictionary(fc.constantFrom("Gift Amount:", "Format:", " Size: ", "Color", "Edition:", "\n Other \n"), text, { maxKeys: 3 })),
      fc.constantFrom<unknown>(null, { a: 1 }, { a: null }, "Format: x", [], { "Gift Amount:": ["50"] }),
      true,
    ),
    true,
  ],
  reviewerName: [field(text, notString, true), true],
  reviewText: [field(text, notString, true), true],
  summary: [field(text, notString, true), true],
  unixReviewTime: [
    field(fc.oneof(fc.constantFrom(0, 1527897600, 9007199254740991), fc.integer({ min: 0, max: 2_000_000_000 })), fc.constantFrom<unknown>(-1, 1.5, "1527897600", null, 9007199254740992, 1e300, true), false),
    false,
  ],
  image: [
    field(fc.array(fc.constantFrom("https://images-na.ssl-images-amazon.com/images/I/a._SY88.jpg", "http://x.y/z"), { maxLength: 3 }), fc.constantFrom<unknown>(["http://a b"], [5], [null], "http://x", null, ["ftp://x"], ["https://x\n"]), true),
    true,
  ],
  helpful: [field(fc.constant([0, 1]), fc.constant("ignored"), true), true],
};

const stringList = fc.array(text, { maxLength: 3 });
export const PRODUCT: Record<string, [Gen, boolean]> = {
  asin: [field(fc.oneof(fc.constantFrom("B00ABCDEFG", "616719923X"), fc.stringMatching(/^[0-9A-Z]{10}$/)), fc.constantFrom<unknown>("b00abcdefg", "", null, 5), false), false],
  title: [field(text, notString, false), false],
  brand: [field(text, notString, true), true],
  main_cat: [field(text, notString, true), true],
  category: [field(stringList, fc.constantFrom<unknown>([1], [null], "Gift Cards", null, {}), true), true],
  price: [field(fc.constantFrom("", "$25.00", "$1,250.00", " $5 ", "<div>$5.00</div>", "$1,2"), wrongScalar, true), true],
  rank: [field(fc.oneof(text, stringList), fc.constantFrom<unknown>([1], 5, null, [["x"]], {}), true), true],
  date: [field(fc.constantFrom("", "May 15, 2009", "February 30, 2009", "may 15, 2009"), wrongScalar, true), true],
  also_buy: [field(stringList, fc.constantFrom<unknown>([1], null, "B00"), true), true],
  details: [
    field(fc.dictionary(fc.constantFrom("ASIN:", "ASIN: ", "\n    Item Weight: \n    ", "UPC:", "Item model number"), text, { maxKeys: 3 }), fc.constantFrom<unknown>({ a: 1 }, null, [], "x"), true),
    true,
  ],
  tech1: [field(text, notString, true), true],
};

export function recordArbitrary(fields: Record<string, [Gen, boolean]>): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(fields);
  return fc.tuple(...entries.map(([, [gen]]) => gen)).map((values) => {
    const record: Record<string, unknown> = {};
    values.forEach((value, i) => {
      if (value !== MISSING) record[entries[i]![0]] = value;
    });
    return record;
  });
}

