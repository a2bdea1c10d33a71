/**
 * Contract review fixture CE014-native (type-changed, native override), previous version.
 */
import { z } from "zod";
import { column, defineContract, types } from "../../../../contract-kit/index.js";

export default defineContract({
  dataset: "rating",
  version: "1.0.0",
  owner: "reviews-data-platform",
  description: "One star rating (contract review fixture).",
  schema: z.object({
    reviewerID: column(z.string().regex(/^[A-Z0-9]+$/), { name: "reviewer_id", description: "Reviewer id." }),
    asin: column(z.string().regex(/^[0-9A-Z]{10}$/), { description: "Product id." }),
    overall: column(z.number().min(1).max(5), { name: "rating", type: types.decimal(2, 1), description: "Stars, 1 to 5." }),
    helpful: column(z.int().min(0).max(2147483647), { name: "helpful_votes", type: types.int32, description: "Helpful votes." }),
    channel: column(z.enum(["web", "app"]), { description: "Where the rating was given." }),
    summary: column(z.string().max(200).optional(), { normalize: ["trim", "empty_to_null"], description: "Headline." }),
    reviewerName: column(z.string().max(64).optional(), { name: "reviewer_name", description: "Display name." }),
    unixReviewTime: column(z.int().min(0).max(253402300799), { description: "Seconds since the epoch.", exclude: { reason: "Loaded as reviewed_at and review_date." } }),
  }),
  key: { surrogate: { name: "rating_id", from: ["reviewerID", "asin", "unixReviewTime"], description: "sha256 of reviewerID|asin|unixReviewTime." } },
  derived: [
    { name: "reviewed_at", from: "unixReviewTime", type: types.timestamp, normalize: ["epoch_seconds_to_timestamp"], description: "When the rating was given." },
    { name: "review_date", from: "unixReviewTime", type: types.date, normalize: ["epoch_seconds_to_date"], description: "UTC date of the rating." },
  ],
  partitionBy: ["review_date"],
  locations: {
    raw: "s3://fixture-raw/ratings/",
    cleaned: "s3://fixture-cleaned/ratings/",
    quarantine: "s3://fixture-quarantine/ratings/",
    processed: "s3://fixture-processed/ratings/",
  },
});
