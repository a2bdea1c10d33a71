/**
 * Contract: one Amazon customer review, as it lands in S3 (2018 release format, one JSON object per line).
 *
 * Facts about the real data this contract was checked against (2018 "Gift Cards" 5-core file):
 * - optional keys are left out, never null; `vote` is a string that may carry thousands commas ("1,341");
 * - `style` keys end with a colon and values start with a space (`{"Gift Amount:": " 50"}`);
 * - `unixReviewTime` is midnight UTC of the review date; `reviewTime` repeats it as "MM D, YYYY" text;
 * - there is no review id: the key is a sha256 surrogate over reviewer, product and time.
 */
import { z } from "zod";
import { column, defineContract, types } from "../generators/contract-kit/index.js";

const text = ["trim", "html_unescape", "empty_to_null"] as const;

export const reviewRecord = z.object({
  overall: column(z.number().min(1).max(5), {
    name: "rating",
    type: types.decimal(2, 1),
    description: "Star rating the reviewer gave, 1.0 to 5.0.",
  }),
  // At most 18 digits: every such count fits the int64 column; a longer one would load as NULL, so it is refused.
  vote: column(z.string().regex(/^(\d{1,18}|\d{1,3}(,\d{3}){1,5})$/).optional(), {
    name: "helpful_votes",
    type: types.int64,
    normalize: ["parse_integer"],
    description: "Number of helpful votes the review received; null when it received none.",
  }),
  verified: column(z.boolean(), {
    name: "is_verified_purchase",
    description: "True when Amazon verified that the reviewer bought the product.",
  }),
  reviewTime: column(z.string().regex(/^\d{2} \d{1,2}, \d{4}$/), {
    description: "Review date as US text (\"06 2, 2018\"): zero-padded month, unpadded day.",
    exclude: { reason: "Same date as unixReviewTime, which is loaded as reviewed_at and review_date." },
  }),
  reviewerID: column(z.string().regex(/^[A-Z0-9]+$/), {
    name: "reviewer_id",
    description: "Amazon's opaque reviewer identifier.",
  }),
  asin: column(z.string().regex(/^[0-9A-Z]{10}$/), {
    description: "Amazon Standard Identification Number of the reviewed product.",
    references: { dataset: "product", column: "asin" },
  }),
  style: column(z.record(z.string(), z.string()).optional(), {
    description: "Product variant the review was written for (format, size, amount…).",
    map: {
      keys: {
        "Gift Amount": { name: "style_gift_amount", description: "Gift card amount variant, as shown on the product page." },
        Format: { name: "style_format", description: "Format variant (e.g. Kindle Edition, Paperback)." },
        Size: { name: "style_size", description: "Size variant." },
        Color: { name: "style_color", description: "Colour variant." },
      },
      rest: { name: "style_other_json", description: "Every other style key and value, as a JSON object; null when there is none." },
    },
    normalize: ["trim", "empty_to_null"],
  }),
  reviewerName: column(z.string().optional(), {
    name: "reviewer_name",
    pii: "personal",
    normalize: text,
    description: "Display name the reviewer chose; often a real name.",
  }),
  reviewText: column(z.string().optional(), {
    name: "review_text",
    normalize: text,
    description: "Body of the review; left out by the producer in a few records.",
  }),
  summary: column(z.string().optional(), {
    normalize: text,
    description: "Headline of the review.",
  }),
  unixReviewTime: column(z.int().min(0).max(253402300799), {
    description: "Review time in seconds since the Unix epoch (midnight UTC of the review date), up to 9999-12-31.",
    exclude: { reason: "Loaded as reviewed_at (timestamp) and review_date (partition date)." },
  }),
  image: column(z.array(z.string().regex(/^https?:\/\/[^ \t\r\n]+$/)).optional(), {
    description: "URLs of photos the reviewer attached.",
    array: { child: { dataset: "review_images", column: "image_url", description: "URL of one photo attached to the review." } },
  }),
});

export default defineContract({
  dataset: "review",
  version: "3.0.0",
  owner: "reviews-data-platform",
  description: "One Amazon customer review of one product (2018 release format).",
  schema: reviewRecord,
  key: {
    surrogate: {
      name: "review_id",
      from: ["reviewerID", "asin", "unixReviewTime"],
      description: "sha256 of reviewerID|asin|unixReviewTime: the raw data has no review id.",
    },
  },
  derived: [
    {
      name: "reviewed_at",
      from: "unixReviewTime",
      type: types.timestamp,
      normalize: ["epoch_seconds_to_timestamp"],
      description: "When the review was posted (UTC; the source has day precision).",
    },
    {
      name: "review_date",
      from: "unixReviewTime",
      type: types.date,
      normalize: ["epoch_seconds_to_date"],
      description: "UTC calendar date of the review; the processed data is partitioned by it.",
    },
  ],
  partitionBy: ["review_date"],
  locations: {
    raw: "s3://amazon-reviews-raw/reviews/",
    cleaned: "s3://amazon-reviews-cleaned/reviews/",
    quarantine: "s3://amazon-reviews-quarantine/reviews/",
    processed: "s3://amazon-reviews-processed/reviews/",
  },
});
