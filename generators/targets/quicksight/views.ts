/**
 * The analysis an analyst of this platform opens first, as data: each visual names the mart and the mart columns it
 * reads. The emitter checks every name against the marts' enforced contracts (a visual on a column that no longer
 * exists is a generation error, not a broken dashboard) and renders the QuickSight API's analysis definition.
 */
export type Aggregation = "SUM" | "AVERAGE" | "MIN" | "MAX" | "COUNT";

export interface DimensionSpec {
  readonly column: string;
  /** `date` groups by `granularity`; `categorical` by value (text); `numerical` by value (numbers). */
  readonly kind: "date" | "categorical" | "numerical";
  readonly granularity?: "DAY" | "WEEK" | "MONTH" | "YEAR";
}

export interface MeasureSpec {
  readonly column: string;
  readonly aggregation: Aggregation;
}

export interface VisualSpec {
  /** Stable id (QuickSight's `VisualId`). */
  readonly id: string;
  readonly title: string;
  readonly kind: "line" | "bar" | "horizontal_bar" | "kpi" | "table";
  /** The mart (QuickSight dataset) it reads. */
  readonly mart: string;
  readonly dimensions: readonly DimensionSpec[];
  readonly measures: readonly MeasureSpec[];
  /** Sort by the first measure, descending, and keep the first `top` categories (rows). */
  readonly top?: number;
  /** Only rows whose `column` is at least `minimum` (a row filter scoped to this visual). */
  readonly atLeast?: { readonly column: string; readonly minimum: number };
}

/** Products need at least this many reviews to rank by average rating (a single 5-star review ranks nothing). */
export const MINIMUM_REVIEWS_FOR_RATING = 10;

export const SHEETS: readonly { readonly id: string; readonly name: string; readonly visuals: readonly VisualSpec[] }[] = [
  {
    id: "reviews",
    name: "Reviews",
    visuals: [
      {
        id: "average-rating-per-month",
        title: "Average rating per month",
        kind: "line",
        mart: "fct_reviews",
        dimensions: [{ column: "review_date", kind: "date", granularity: "MONTH" }],
        measures: [{ column: "rating", aggregation: "AVERAGE" }],
      },
      {
        id: "reviews-per-month",
        title: "Review volume per month",
        kind: "bar",
        mart: "fct_reviews",
        dimensions: [{ column: "review_date", kind: "date", granularity: "MONTH" }],
        measures: [{ column: "review_id", aggregation: "COUNT" }],
      },
      {
        id: "rating-distribution",
        title: "Rating distribution",
        kind: "bar",
        mart: "fct_reviews",
        dimensions: [{ column: "rating", kind: "numerical" }],
        measures: [{ column: "review_id", aggregation: "COUNT" }],
      },
      {
        id: "verified-share",
        title: "Share of verified purchases",
        kind: "kpi",
        mart: "fct_reviews",
        dimensions: [],
        measures: [{ column: "is_verified_purchase", aggregation: "AVERAGE" }],
      },
    ],
  },
  {
    id: "products",
    name: "Products",
    visuals: [
      {
        id: "top-products-by-reviews",
        title: "Top products by number of reviews",
        // A table by product (asin) with its title: titles are not unique (202 of the 2018 gift-card products are
        // " Amazon eGift Card"), and a bar per title would add up different products.
        kind: "table",
        mart: "dim_products",
        dimensions: [
          { column: "asin", kind: "categorical" },
          { column: "title", kind: "categorical" },
        ],
        measures: [{ column: "review_count", aggregation: "SUM" }],
        top: 10,
      },
      {
        id: "top-products-by-rating",
        title: `Top products by average rating (at least ${MINIMUM_REVIEWS_FOR_RATING} reviews)`,
        kind: "table",
        mart: "dim_products",
        dimensions: [
          { column: "asin", kind: "categorical" },
          { column: "title", kind: "categorical" },
        ],
        measures: [
          { column: "average_rating", aggregation: "MAX" },
          { column: "review_count", aggregation: "SUM" },
        ],
        top: 10,
        atLeast: { column: "review_count", minimum: MINIMUM_REVIEWS_FOR_RATING },
      },
    ],
  },
];
