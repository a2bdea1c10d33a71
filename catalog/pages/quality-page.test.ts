/** The quality page's partition heading names the partition columns, whatever their type. */
import { describe, expect, it } from "vitest";
import { partitionHeading, type QualityChartData } from "./quality-page.js";

const series = (table: string, column: string, values: string[]): QualityChartData["series"][number] => ({
  dataset: table,
  table,
  column,
  points: values.map((date, i) => ({ date, rows: i + 1 })),
});

describe("quality page: partition heading", () => {
  it("says per partition with the column names (a date or an enum), each once, and no date for a non-date column", () => {
    const dated = series("review", "review_date", ["2018-06-17"]);
    const images = series("review_images", "review_date", ["2018-06-17"]);
    const byMarketplace = series("question", "marketplace", ["DE", "US"]);
    expect(partitionHeading({ reasons: [], series: [dated, images] }).value).toBe("<h2>Records per partition (<code>review_date</code>)</h2>");
    expect(partitionHeading({ reasons: [], series: [byMarketplace] }).value).toBe("<h2>Records per partition (<code>marketplace</code>)</h2>");
    expect(partitionHeading({ reasons: [], series: [byMarketplace, dated, images] }).value).toBe(
      "<h2>Records per partition (<code>marketplace</code>, <code>review_date</code>)</h2>",
    );
    expect(partitionHeading({ reasons: [], series: [] }).value).toBe("<h2>Records per partition</h2>");
  });
});
