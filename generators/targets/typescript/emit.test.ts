import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadIR } from "../../ir/load.js";
import { DATA_FILES, REPO_ROOT, dataLines } from "../../../tests/helpers/data.js";
import { fileOf, generatedFrom } from "../../../tests/helpers/generate.js";
import { BIN, run } from "../../../tests/helpers/run.js";
import { typescriptTarget } from "./emit.js";

const work = mkdtempSync(join(tmpdir(), "ts-target-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function tsc(files: string[], extra: string[] = []) {
  return run(BIN("tsc"), ["--noEmit", "--strict", ...extra, "--target", "es2022", "--module", "nodenext", "--moduleResolution", "nodenext", "--types", "node", ...files]);
}

/**
 * A folder inside tests/fixtures (removed afterwards), so that the files written there resolve `zod` and the contract
 * modules as the repository does.
 */
async function withScratch(use: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(REPO_ROOT, "tests/fixtures/.scratch-"));
  try {
    await use(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Lines asserting that `type` and z.input of the contract module's schema are assignable to each other. */
function sameAsZodInput(type: string, module: string, contract: string): string[] {
  return [
    `import type { ${type} } from "./${module}.js";`,
    `import ${contract} from ${JSON.stringify(join(REPO_ROOT, `${module === "kitchen_sink" ? "tests/fixtures/kitchen-sink/kitchen-sink" : `contracts/${module}`}.contract.js`))};`,
    `export const ${contract}FromZod = (x: z.input<typeof ${contract}.schema>): ${type} => x;`,
    `export const ${contract}ToZod = (x: ${type}): z.input<typeof ${contract}.schema> => x;`,
  ];
}

/** tsc must pass under --strict, and with exactOptionalPropertyTypes too (z.input's `vote?: string | undefined`). */
function expectBothModes(files: string[]) {
  for (const extra of [[], ["--exactOptionalPropertyTypes"]]) {
    const result = tsc(files, extra);
    expect({ extra, output: result.stdout + result.stderr }).toEqual({ extra, output: "" });
    expect(result.status).toBe(0);
  }
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

  it("is z.input of each contract: assignable both ways, and a misspelt key is an error (Zod would strip it)", async () => {
    const { files } = await generatedFrom();
    const sink = await generatedFrom("tests/fixtures/kitchen-sink");
    await withScratch(async (dir) => {
      const written = [
        ["review", fileOf(files, "generated/typescript/review.ts")],
        ["product", fileOf(files, "generated/typescript/product.ts")],
        ["kitchen_sink", fileOf(sink.files, "generated/typescript/kitchen_sink.ts")],
      ].map(([name, text]) => {
        const path = join(dir, `${name}.ts`);
        writeFileSync(path, text!);
        return path;
      });
      const usage = join(dir, "usage.ts");
      writeFileSync(
        usage,
        [
          'import type { z } from "zod";',
          ...sameAsZodInput("ReviewRecord", "review", "review"),
          ...sameAsZodInput("ProductRecord", "product", "product"),
          ...sameAsZodInput("KitchenSinkRecord", "kitchen_sink", "kitchenSink"),
          'const required = { overall: 5, verified: true, reviewTime: "01 1, 2018", reviewerID: "A", asin: "B000000000", unixReviewTime: 0 } as const;',
          "export const spelt: ReviewRecord = { ...required, reviewerName: \"x\", style: { \"Format:\": \" Kindle\" } };",
          "// @ts-expect-error reviewrName is not a key of the contract",
          'export const misspelt: ReviewRecord = { ...required, reviewrName: "x" };',
          "// @ts-expect-error brnd is not a key of the contract",
          'export const misspeltProduct: ProductRecord = { asin: "B000000000", title: "t", brnd: "x" };',
          "export const sinkRecord = (owner: KitchenSinkRecord[\"owner\"]): KitchenSinkRecord => ({",
          '  code: "ABC-12", amount: 1, level: "low", flag: null, seen: 0, owner,',
          "  // @ts-expect-error tag is not a key of the contract (tags is)",
          '  tag: ["x"],',
          "});",
          "// @ts-expect-error emial is not a key of the nested object",
          'export const sinkOwner: KitchenSinkRecord["owner"] = { firstName: "a", emial: "a@b" };',
          "",
        ].join("\n"),
      );
      expectBothModes([...written, usage]);
    });
  });

  it("types an optional map value as z.input does (the JSON Schema cannot say it; the IR does)", async () => {
    await withScratch(async (dir) => {
      const source = (name: string) => readFileSync(join(REPO_ROOT, `contracts/${name}.contract.ts`), "utf8").replaceAll('"../generators/', '"../../../generators/');
      const review = source("review");
      writeFileSync(join(dir, "product.contract.ts"), source("product"));
      const optionalValues = review.replace("z.record(z.string(), z.string()).optional()", "z.record(z.string(), z.string().optional()).optional()");
      expect(optionalValues).not.toBe(review);
      writeFileSync(join(dir, "review.contract.ts"), optionalValues);
      const { files } = await typescriptTarget.emit(await loadIR(dir, REPO_ROOT));
      const path = join(dir, "review.ts");
      writeFileSync(path, fileOf(files, "generated/typescript/review.ts"));
      const usage = join(dir, "usage.ts");
      writeFileSync(
        usage,
        [
          'import type { z } from "zod";',
          'import type { ReviewRecord } from "./review.js";',
          'import review from "./review.contract.js";',
          "export const fromZod = (x: z.input<typeof review.schema>): ReviewRecord => x;",
          "export const toZod = (x: ReviewRecord): z.input<typeof review.schema> => x;",
          "",
        ].join("\n"),
      );
      expectBothModes([path, usage]);
    });
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

