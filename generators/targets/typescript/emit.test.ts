import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DATA_FILES, dataLines } from "../../../tests/helpers/data.js";
import { fileOf, generatedFrom } from "../../../tests/helpers/generate.js";
import { BIN, run } from "../../../tests/helpers/run.js";

const work = mkdtempSync(join(tmpdir(), "ts-target-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function tsc(files: string[]) {
  return run(BIN("tsc"), ["--noEmit", "--strict", "--target", "es2022", "--module", "nodenext", "--moduleResolution", "nodenext", "--types", "node", ...files]);
}

describe("TypeScript target", () => {
  it("type-checks with tsc, accepts real records and rejects wrong ones", async () => {
    const { files } = await generatedFrom();
    const review = join(work, "review.ts");
    const product = join(work, "product.ts");
    writeFileSync(review, fileOf(files, "generated/typescript/review.ts"));
    writeFileSync(product, fileOf(files, "generated/typescript/product.ts"));
    const usage = join(work, "usage.ts");
    writeFileSync(
      usage,
      [
        'import type { ReviewRecord } from "./review.js";',
        'import type { ProductRecord } from "./product.js";',
        `export const reviews: ReviewRecord[] = [${dataLines(DATA_FILES.reviews2018).slice(0, 50).join(",\n")}];`,
        `export const products: ProductRecord[] = [${dataLines(DATA_FILES.products2018).slice(0, 20).join(",\n")}];`,
        "// @ts-expect-error overall must be a number",
        'export const wrongType: ReviewRecord = { ...reviews[0]!, overall: "5" };',
        "// @ts-expect-error asin is required",
        "export const missing: ReviewRecord = { overall: 5, verified: true, reviewTime: \"01 1, 2018\", reviewerID: \"A\", unixReviewTime: 0 };",
        "",
      ].join("\n"),
    );
    const result = tsc([review, product, usage]);
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("fails tsc when a generated type is broken (the check can fail)", () => {
    const broken = join(work, "broken.ts");
    writeFileSync(broken, "export interface X { a: }\n");
    expect(tsc([broken]).status).not.toBe(0);
  });

  it("keeps hostile descriptions inside comments (kitchen-sink golden compiles, nothing injected)", async () => {
    const { files } = await generatedFrom("tests/fixtures/kitchen-sink");
    const text = fileOf(files, "generated/typescript/kitchen_sink.ts");
    await expect(text).toMatchFileSnapshot("../../../tests/__golden__/kitchen-sink/typescript/kitchen_sink.ts");
    const path = join(work, "kitchen_sink.ts");
    writeFileSync(path, text);
    const result = tsc([path]);
    expect(result.stdout + result.stderr).toBe("");
    // Only the interfaces are exported: a description that closed the comment would have produced code.
    expect(text.match(/^export .*/gm)).toEqual(["export interface KitchenSinkRecord {"]);
  });
});

