/**
 * Contract: one Amazon product, as it lands in S3 (2018 metadata release, one JSON object per line).
 *
 * Facts about the real data this contract was checked against (2018 `meta_Gift_Cards` file):
 * - missing values are empty strings, lists or objects, never null or absent;
 * - `rank` is either a string or a list of strings; `price` is "", "$25.00", "$1,250.00" or scraped HTML;
 * - titles carry HTML entities and stray whitespace; `details` keys are padded ("\n    Item Weight: \n    ").
 * Fields other 2018 category files have (`imageURL`, `imageURLHighRes`) are optional here.
 */
import { z } from "zod";
import { column, defineContract, types } from "../generators/contract-kit/index.js";

const text = ["trim", "html_unescape", "empty_to_null"] as const;
const stringList = z.array(z.string());

export const productRecord = z.object({
  asin: column(z.string().regex(/^[0-9A-Z]{10}$/), {
    description: "Amazon Standard Identification Number: the product's key.",
  }),
  title: column(z.string(), { normalize: text, description: "Product title." }),
  brand: column(z.string().optional(), { normalize: text, description: "Brand name." }),
  main_cat: column(z.string().optional(), {
    name: "main_category",
    normalize: text,
    description: "Top-level store category (a few records carry an HTML image tag instead).",
  }),
  category: column(stringList.optional(), {
    description: "Category path from the root, e.g. [\"Gift Cards\", \"Gift Cards\"].",
    array: { child: { dataset: "product_categories", column: "category", description: "One level of the category path." } },
  }),
  price: column(z.string().optional(), {
    name: "price_usd",
    type: types.decimal(12, 2),
    normalize: ["trim", "parse_money"],
    description: "List price in US dollars; null when absent or not a single dollar amount.",
  }),
  rank: column(z.union([z.string(), stringList]).optional(), {
    name: "sales_rank_json",
    type: types.json,
    description: "Best-sellers rank text, as a JSON string or list exactly as published.",
  }),
  date: column(z.string().optional(), {
    name: "first_available_date",
    type: types.date,
    normalize: ["trim", "parse_month_day_year"],
    description: "Date first available (\"May 15, 2009\"); null when absent or unparseable.",
  }),
  also_buy: column(stringList.optional(), {
    name: "also_bought_json",
    array: { json: true },
    description: "ASINs customers also bought, as a JSON list.",
  }),
  also_view: column(stringList.optional(), {
    name: "also_viewed_json",
    array: { json: true },
    description: "ASINs customers also viewed, as a JSON list.",
  }),
  feature: column(stringList.optional(), {
    name: "features_json",
    array: { json: true },
    description: "Bullet-point features, as a JSON list.",
  }),
  description: column(stringList.optional(), {
    name: "description_json",
    array: { json: true },
    description: "Description paragraphs (may contain HTML), as a JSON list.",
  }),
  image: column(stringList.optional(), {
    name: "image_urls_json",
    array: { json: true },
    description: "Thumbnail image URLs, as a JSON list.",
  }),
  imageURL: column(stringList.optional(), {
    name: "image_url_json",
    array: { json: true },
    description: "Image URLs (other 2018 category files), as a JSON list.",
  }),
  imageURLHighRes: column(stringList.optional(), {
    name: "image_url_high_res_json",
    array: { json: true },
    description: "High-resolution image URLs (other 2018 category files), as a JSON list.",
  }),
  details: column(z.record(z.string(), z.string()).optional(), {
    description: "Product details table as key/value text.",
    map: {
      keys: {
        ASIN: { name: "details_asin", description: "ASIN as printed in the details table." },
        "Item model number": { name: "details_item_model_number", description: "Manufacturer's model number." },
        "Shipping Weight": { name: "details_shipping_weight", description: "Shipping weight text, e.g. \"3 ounces\"." },
        "Product Dimensions": { name: "details_product_dimensions", description: "Dimensions text." },
        "Item Weight": { name: "details_item_weight", description: "Item weight text." },
        "Domestic Shipping": { name: "details_domestic_shipping", description: "Domestic shipping note." },
        "International Shipping": { name: "details_international_shipping", description: "International shipping note." },
      },
      rest: { name: "details_other_json", description: "Every other details key and value, as a JSON object; null when there is none." },
    },
    normalize: ["trim", "empty_to_null"],
  }),
  tech1: column(z.string().optional(), { normalize: ["trim", "empty_to_null"], description: "First technical details table (HTML)." }),
  tech2: column(z.string().optional(), { normalize: ["trim", "empty_to_null"], description: "Second technical details table (HTML)." }),
  fit: column(z.string().optional(), { normalize: ["trim", "empty_to_null"], description: "Fit information (clothing)." }),
  similar_item: column(z.string().optional(), {
    normalize: ["trim", "empty_to_null"],
    description: "Similar-items comparison table (HTML).",
  }),
});

export default defineContract({
  dataset: "product",
  version: "1.0.0",
  owner: "reviews-data-platform",
  description: "One Amazon product's catalogue metadata (2018 release format); reviews refer to it by asin.",
  schema: productRecord,
  key: { column: "asin" },
  locations: {
    raw: "s3://amazon-reviews-raw/products/",
    cleaned: "s3://amazon-reviews-cleaned/products/",
    quarantine: "s3://amazon-reviews-quarantine/products/",
    processed: "s3://amazon-reviews-processed/products/",
  },
});
