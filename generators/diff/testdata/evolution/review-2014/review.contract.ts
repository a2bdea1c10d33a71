/**
 * Contract: one Amazon customer review in the 2014 release format (UCSD "Amazon product data", 5-core files),
 * the predecessor of contracts/review.contract.ts. Contract review compares the two as versions 1.x and 2.x.
 *
 * Facts about the real data this contract was checked against (2014 "Grocery and Gourmet Food" and "Musical
 * Instruments" 5-core samples, 161 lines):
 * - keys: reviewerID, asin, reviewerName, helpful, reviewText, overall, summary, unixReviewTime, reviewTime;
 * - there is no `verified`, `vote`, `style` or `image`; helpful votes come as `helpful: [helpful_yes, total]`;
 * - `reviewerName` is left out in one line; every other key is present on every line.
 */
import { z } from "zod";
import { column, defineContract, types } from "../../../../contract-kit/index.js";

const text = ["trim", "html_unescape", "empty_to_null"] as const;

export const reviewRecord2014 = z.object({
  reviewerID: column(z.string().regex(/^[A-Z0-9]+$/), {
    name: "reviewer_id",
    description: "Amazon's opaque reviewer identifier.",
  }),
  asin: column(z.string().regex(/^[0-9A-Z]{10}$/), {
    description: "Amazon Standard Identification Number of the reviewed product.",
  }),
  reviewerName: column(z.string().optional(), {
    name: "reviewer_name",
    pii: "personal",
    normalize: text,
    description: "Display name the reviewer chose; often a real name.",
  }),
  helpful: column(z.array(z.int().min(0)).length(2), {
    name: "helpful_json",
    array: { json: true },
    description: "Helpful votes as the JSON pair [helpful_yes, total_votes].",
  }),
  reviewText: column(z.string(), {
    name: "review_text",
    normalize: text,
    description: "Body of the review; left out by the producer in a few records.",
  }),
  overall: column(z.number().min(1).max(5), {
    name: "rating",
    type: types.decimal(2, 1),
    description: "Star rating the reviewer gave, 1.0 to 5.0.",
  }),
  summary: column(z.string(), {
    normalize: text,
    description: "Headline of the review.",
  }),
  unixReviewTime: column(z.int().min(0), {
    description: "Review time in seconds since the Unix epoch (midnight UTC of the review date).",
    exclude: { reason: "Loaded as reviewed_at (timestamp) and review_date (partition date)." },
  }),
  reviewTime: column(z.string().regex(/^\d{2} \d{1,2}, \d{4}$/), {
    description: "Review date as US text (\"06 2, 2018\"): zero-padded month, unpadded day.",
    exclude: { reason: "Same date as unixReviewTime, which is loaded as reviewed_at and review_date." },
  }),
});

export default defineContract({
  dataset: "review",
  version: "1.2.0",
  owner: "reviews-data-platform",
  description: "One Amazon customer review of one product (2014 release format).",
  schema: reviewRecord2014,
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
