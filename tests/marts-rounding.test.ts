/**
 * The hand-written marts' average ratings, as written in their SQL, executed by DuckDB (the local warehouse's engine,
 * the same build as dbt-duckdb's): a half-way mean rounds up, as Snowflake's exact NUMBER average does. DuckDB's
 * avg() of a DECIMAL is a DOUBLE, so rounding it directly gave 1.02 for a mean of 1.025 (39 ratings of 1.0 and one of 2.0).
 * No Snowflake runs here: its side is the documented fixed-point AVG.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./helpers/data.js";
import { queryDuckDB } from "./helpers/duckdb.js";

const MARTS = ["dim_products", "agg_product_daily_ratings"];

/** The expression each mart computes `average_rating` with, exactly as its SQL writes it. */
function averageRatingExpression(mart: string): string {
  const sql = readFileSync(join(REPO_ROOT, "dbt-out/models/marts", `${mart}.sql`), "utf8");
  const line = sql.split("\n").find((l) => /\bas average_rating\s*,?\s*$/.test(l) && l.includes("avg("));
  if (!line) throw new Error(`${mart}.sql computes no average_rating with avg(): update this test.`);
  return line.replace(/\s+as average_rating\s*,?\s*$/, "").trim();
}

describe("the marts' average rating", () => {
  it.each(MARTS)("%s rounds a half-way mean up on DuckDB, as Snowflake does", async (mart) => {
    const expression = averageRatingExpression(mart);
    // Ratings are DECIMAL(2,1) in staging. Means 4.025 (39 × 4.0 + 5.0), 1.025 (39 × 1.0 + 2.0) and 3.125 (7 × 3.0 + 4.0).
    const cases: [number, number, number, string][] = [
      [4.0, 39, 5.0, "4.03"],
      [1.0, 39, 2.0, "1.03"],
      [3.0, 7, 4.0, "3.13"],
    ];
    for (const [value, times, last, wanted] of cases) {
      const rows = await queryDuckDB(
        `select cast(${expression} as varchar) as average_rating from (select cast(${value} as decimal(2, 1)) as rating from range(${times}) union all select cast(${last} as decimal(2, 1)))`,
      );
      expect(rows, `${mart}: ${times} × ${value} and one ${last}`).toEqual([{ average_rating: wanted }]);
    }
  });
});
