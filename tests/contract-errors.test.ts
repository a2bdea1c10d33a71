/**
 * One fixture per error code (tests/fixtures/errors/<code>/): each must fail with exactly that code, pointing at the
 * line marked `// <-` in the fixture, with a fix.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { loadIR } from "../generators/ir/load.js";
import { ContractError, ERROR_CODES, type Diagnostic } from "../generators/lib/errors.js";

const root = join(import.meta.dirname, "..");
const fixtures = join(import.meta.dirname, "fixtures/errors");

function codeOf(dir: string): string {
  return `CONTRACT.${dir.toUpperCase().replace(/-/g, "_")}`;
}

/** The diagnostics of loading the contracts in a folder (absolute), none when they load. */
async function diagnosticsIn(dir: string): Promise<readonly Diagnostic[]> {
  try {
    await loadIR(dir, root);
    return [];
  } catch (error) {
    if (error instanceof ContractError) return error.diagnostics;
    throw error;
  }
}

async function diagnosticsOf(dir: string) {
  try {
    await loadIR(join(fixtures, dir), root);
  } catch (error) {
    if (error instanceof ContractError) return error.diagnostics;
    throw error;
  }
  throw new Error(`fixture ${dir} loaded without error`);
}

describe("contract error codes", () => {
  const dirs = readdirSync(fixtures).sort();

  it("has a fixture for every CONTRACT.* code", () => {
    const covered = dirs.map(codeOf).sort();
    const contractCodes = Object.keys(ERROR_CODES).filter((c) => c.startsWith("CONTRACT.")).sort();
    expect(covered).toEqual(contractCodes);
  });

  for (const dir of dirs) {
    it(`${codeOf(dir)} (${dir})`, async () => {
      const diagnostics = await diagnosticsOf(dir);
      expect(diagnostics.map((d) => d.code)).toContain(codeOf(dir));
      const d = diagnostics.find((x) => x.code === codeOf(dir))!;
      expect(d.fix, "every error says how to fix it").toMatch(/\S/);
      expect(d.where?.file).toMatch(/^tests\/fixtures\/errors\/[a-z-]+\/[a-z]+\.contract\.ts$/);
      const source = readFileSync(join(root, d.where!.file), "utf8").split("\n");
      const marked = source.findIndex((line) => line.includes("// <-")) + 1;
      if (marked > 0) expect(d.where?.line, `${dir} points at the marked line`).toBe(marked);
    });
  }

  it("refuses a Spark and a DuckDB type override, each by name (the casts of both engines follow the logical type)", async () => {
    const diagnostics = (await diagnosticsOf("unsupported-native")).filter((d) => d.code === "CONTRACT.UNSUPPORTED_NATIVE");
    expect(diagnostics.map((d) => d.message)).toEqual([
      'Field "name" overrides its duckdb type (native.duckdb); only native.snowflake (the external table\'s column type) is supported.',
      'Field "name" overrides its spark type (native.spark); only native.snowflake (the external table\'s column type) is supported.',
    ]);
  });

  it("refuses protected data past its protection (CONTRACT.PII_LEAK): a sensitive key, a sensitive child element, a derived column below its field's class, references to a column of a higher class", async () => {
    const messages = (await diagnosticsOf("pii-leak")).filter((d) => d.code === "CONTRACT.PII_LEAK").map((d) => d.message);
    expect(messages).toEqual([
      'Sensitive column "email" is the table\'s key: sensitive data stays in the cleaned zone, and a key is written to every processed table.',
      'Column "name_upper" is classed none but is computed from personal field "name".',
      'Child table "fixture_phones" would hold sensitive column "phone": sensitive data stays in the cleaned zone.',
      'Column "fixture.name_again" (class none) references "fixture.name", which is personal: it holds the same values, and would carry them past the protection of "fixture.name" (pseudonymised in dbt staging, masked and tagged in Snowflake).',
      'Column "fixture.contact" (class personal) references "fixture.email", which is sensitive: it holds the same values, and would carry them past the protection of "fixture.email" (kept in the cleaned zone only).',
    ]);
  });

  it("refuses a surrogate key over a personal field and a personal partition (CONTRACT.PII_LEAK)", async () => {
    const dir = mkdtempSync(join(root, "tests/fixtures/.scratch-pii-"));
    try {
      const source = readFileSync(join(fixtures, "pii-leak/fixture.contract.ts"), "utf8")
        .replaceAll("../../../../generators/", "../../../generators/")
        .replace('key: { column: "email" }', 'key: { surrogate: { name: "fixture_key", description: "Key.", from: ["name"] } }, partitionBy: ["name"]');
      writeFileSync(join(dir, "fixture.contract.ts"), source);
      let diagnostics: Diagnostic[] = [];
      try {
        await loadIR(dir, root);
      } catch (error) {
        if (!(error instanceof ContractError)) throw error;
        diagnostics = [...error.diagnostics];
      }
      expect(diagnostics.filter((d) => d.code === "CONTRACT.PII_LEAK").map((d) => d.message)).toEqual(
        expect.arrayContaining([
          'Surrogate key "fixture_key" is computed from personal field "name": an unkeyed SHA-256 of personal data can be reversed by hashing candidate values.',
          'Personal column "name" is a partition: its values would become S3 folder names and the external table\'s partition column, which no masking policy reaches.',
        ]),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a personal key, and a reference in clear to it (CONTRACT.PII_LEAK): product's asin classed personal", async () => {
    // Generated before, then dbt failed (staging deduplicated on asin, which had become asin_hash) while review.asin,
    // class none, kept the same values in clear.
    const dir = mkdtempSync(join(root, "tests/fixtures/.scratch-pii-"));
    try {
      for (const name of ["product", "review"]) {
        let source = readFileSync(join(root, "contracts", `${name}.contract.ts`), "utf8").replaceAll("../generators/", "../../../generators/");
        if (name === "product") source = source.replace('description: "Amazon Standard Identification Number: the product\'s key.",', '$& pii: "personal",');
        writeFileSync(join(dir, `${name}.contract.ts`), source);
      }
      const leaks = (await diagnosticsIn(dir)).filter((d) => d.code === "CONTRACT.PII_LEAK");
      expect(leaks.map((d) => [d.where?.path, d.message, d.fix])).toEqual([
        [
          "product.asin",
          'Personal column "asin" is the table\'s key: dbt staging replaces a personal column with its keyed pseudonym, so the staging model would lose the key it deduplicates and joins on, while the clear value is the key of every child table row and of every reference to it.',
          "Key the dataset on fields that are not personal (a surrogate over non-personal fields), or classify the column none with a reviewer's note (piiReview).",
        ],
        [
          "review.asin",
          'Column "review.asin" (class none) references "product.asin", which is personal: it holds the same values, and would carry them past the protection of "product.asin" (pseudonymised in dbt staging, masked and tagged in Snowflake).',
          'Declare pii: "personal" on "review.asin" (at least the class of what it references), or lower the class of "product.asin" with a reviewer\'s note (piiReview).',
        ],
      ]);
      expect(leaks.map((d) => d.where?.file)).toEqual([expect.stringMatching(/product\.contract\.ts$/), expect.stringMatching(/review\.contract\.ts$/)]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports every problem at once, not just the first", async () => {
    const diagnostics = await diagnosticsOf("name-collision");
    expect(diagnostics.length).toBeGreaterThanOrEqual(1);
    const text = new ContractError(diagnostics).message;
    expect(text).toContain("tests/fixtures/errors/name-collision/fixture.contract.ts:");
    expect(text).toContain("fix:");
  });
});

describe("README", () => {
  it("lists exactly the error codes of ERROR_CODES", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Error codes"), readme.indexOf("Exit codes of `generate`"));
    const listed = [...section.matchAll(/^\| `([A-Z]+\.[A-Z0-9_]+)` \|/gm)].map((m) => m[1]);
    expect(listed).toEqual(Object.keys(ERROR_CODES));
    // And each row says what ERROR_CODES says (the table is written from it).
    const rows = section.split("\n").filter((line) => /^\| `[A-Z]+\.[A-Z0-9_]+` \|/.test(line));
    expect(rows).toEqual(Object.entries(ERROR_CODES).map(([code, text]) => `| \`${code}\` | ${text} |`));
  });
});

/**
 * Runs `use` with a scratch folder inside tests/fixtures (removed afterwards) and the review contract's source, its
 * imports pointing from such a folder.
 */
async function withScratch(use: (dir: string, review: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(root, "tests/fixtures/.scratch-"));
  try {
    await use(dir, readFileSync(join(root, "contracts/review.contract.ts"), "utf8").replaceAll('"../generators/', '"../../../generators/'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The review contract with one more field, `extra: column(<column>, description: "Extra." })`: its CONTRACT.RANGE_EXCEEDS_TYPE
 * diagnostic, checked to be the only one, at the field's line and with `expected` in its message; none when `expected` is null.
 */
async function rangeDiagnosticWithExtra(column: string, expected: string | null): Promise<Diagnostic | undefined> {
  let result: Diagnostic | undefined;
  await withScratch(async (dir, review) => {
    const source = review.replace("  verified: column(z.boolean(), {", `  extra: column(${column}, description: "Extra." }),\n  verified: column(z.boolean(), {`);
    expect(source).toContain("  extra: column(");
    writeFileSync(join(dir, "review.contract.ts"), source);
    const found = (await diagnosticsIn(dir)).filter((d) => d.code === "CONTRACT.RANGE_EXCEEDS_TYPE");
    if (expected === null) {
      expect(found).toEqual([]);
      return;
    }
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain(expected);
    expect(found[0]!.where?.line).toBe(source.split("\n").findIndex((l) => l.includes("  extra: column(")) + 1);
    result = found[0];
  });
  return result;
}

describe("locations that could escape a folder", () => {
  it('refuse "." and ".." segments (CONTRACT.INVALID_LOCATION) at the location\'s line', async () => {
    await withScratch(async (dir, review) => {
      const source = review
        .replace('processed: "s3://amazon-reviews-processed/reviews/"', 'processed: "s3://amazon-reviews-processed/reviews/../../victim/"')
        .replace('cleaned: "s3://amazon-reviews-cleaned/reviews/"', 'cleaned: "s3://amazon-reviews-cleaned/./reviews/"');
      writeFileSync(join(dir, "review.contract.ts"), source);
      const diagnostics = await diagnosticsIn(dir);
      const found = diagnostics.filter((d) => d.code === "CONTRACT.INVALID_LOCATION");
      const hidden = ': such names are hidden to Spark, to the pipeline\'s readers and to the external tables\' PATTERN.';
      expect(found.map((d) => d.message)).toEqual([
        `Location cleaned "s3://amazon-reviews-cleaned/./reviews/" has a segment starting with "." or "_" (".")${hidden}`,
        `Location processed "s3://amazon-reviews-processed/reviews/../../victim/" has a segment starting with "." or "_" ("..")${hidden}`,
      ]);
      const line = source.split("\n").findIndex((l) => l.includes("victim")) + 1;
      expect(found[1]!.where?.line).toBe(line);
    });
  });

  it('refuse a segment starting with "_" or "." (hidden to Spark, the readers and the external table\'s PATTERN)', async () => {
    await withScratch(async (dir, review) => {
      const source = review
        .replace('processed: "s3://amazon-reviews-processed/reviews/"', 'processed: "s3://amazon-reviews-processed/_v2/reviews/"')
        .replace('raw: "s3://amazon-reviews-raw/reviews/"', 'raw: "s3://amazon-reviews-raw/reviews/.staging/"');
      writeFileSync(join(dir, "review.contract.ts"), source);
      const found = (await diagnosticsIn(dir)).filter((d) => d.code === "CONTRACT.INVALID_LOCATION");
      expect(found.map((d) => d.message.split(":")[0])).toEqual(['Location raw "s3', 'Location processed "s3']);
      expect(found.map((d) => /\("([^"]+)"\)/.exec(d.message)?.[1])).toEqual([".staging", "_v2"]);
    });
  });
});

describe("a rule on a map's keys", () => {
  it("is CONTRACT.UNSUPPORTED_ZOD_KIND at the field's line: no cleaning job would check it (it was silently left out)", async () => {
    await withScratch(async (dir, review) => {
      const source = review
        .replace("  style: column(z.record(z.string(), z.string()).optional(), {", "  style: column(z.record(z.string().regex(/^[A-Za-z ]+:$/), z.string()).optional(), {");
      expect(source).toContain("z.string().regex(/^[A-Za-z ]+:$/), z.string()");
      writeFileSync(join(dir, "review.contract.ts"), source);
      const found = (await diagnosticsIn(dir)).filter((d) => d.code === "CONTRACT.UNSUPPORTED_ZOD_KIND");
      expect(found.map((d) => d.message)).toEqual(['Zod kind "record with a rule on its keys" cannot describe a stored raw JSON value.']);
      expect(found[0]!.fix).toContain("the cleaning jobs check a map's values, not its keys");
      expect(found[0]!.where?.line).toBe(source.split("\n").findIndex((l) => l.includes("  style: column(")) + 1);
    });
  });
});

describe("values a column type or conversion cannot hold (CONTRACT.RANGE_EXCEEDS_TYPE)", () => {
  // Such a value failed the DuckDB run with a cast error (3000000000 into an int32, 12345.5 into a decimal(4, 1)) or
  // loaded as NULL in a column declared not null (epoch seconds beyond year 9999); Spark's cast wraps or gives NULL.
  const cases: [string, string, string | null][] = [
    ["z.int() into int32 (safe integers)", "z.int().min(0), { type: types.int32", '"extra" is at least 0 and at most 9007199254740991, but int32 holds only -2147483648 to 2147483647.'],
    ["z.int32() into int32", "z.int32(), { type: types.int32", null],
    ["an exclusive bound one past int32's largest", "z.int().gt(-2147483649).lt(2147483648), { type: types.int32", null],
    ["an inclusive bound one past it", "z.int().min(0).max(2147483648), { type: types.int32", "at most 2147483648, but int32 holds"],
    ["an unbounded number into a decimal", "z.number(), { type: types.decimal(4, 1)", '"extra" is without a lower bound and without an upper bound, but decimal(4, 1) holds only -999.9 to 999.9.'],
    ["a number to 999.9 into decimal(4, 1)", "z.number().min(-999.9).max(999.9), { type: types.decimal(4, 1)", null],
    ["a number below 1000, which may round up to 1000.0", "z.number().min(0).lt(1000), { type: types.decimal(4, 1)", "less than"],
    ["a number to 999.96, which rounds to 1000.0", "z.number().min(0).max(999.96), { type: types.decimal(4, 1)", "at most 999.96, but decimal(4, 1) holds only"],
    ["an integer to 99 into decimal(2, 0)", "z.int().min(0).max(99), { type: types.decimal(2, 0)", null],
    ["10^16 into decimal(18, 2), whose largest value is 10^16 as a double", "z.number().min(0).max(1e16), { type: types.decimal(18, 2)", "but decimal(18, 2) holds only -9999999999999999.99 to 9999999999999999.99"],
    ["unbounded epoch seconds into a timestamp", 'z.int(), { type: types.timestamp, normalize: ["epoch_seconds_to_timestamp"]', "but epoch_seconds_to_timestamp converts only -62135596800 to 253402300799."],
    ["epoch seconds of years 1 to 9999 into a date", 'z.int().min(-62135596800).max(253402300799), { type: types.date, normalize: ["epoch_seconds_to_date"]', null],
  ];
  it.each(cases)("%s", async (_what, column, expected) => {
    const found = await rangeDiagnosticWithExtra(column, expected);
    if (found) expect(found.fix).toMatch(/^Bound the raw value/);
  });

  it("parse_integer gives an int64 (it reads up to 18 digits): an int32 column of it is CONTRACT.TYPE_MISMATCH", async () => {
    await withScratch(async (dir, review) => {
      const source = review.replace("type: types.int64,", "type: types.int32,");
      writeFileSync(join(dir, "review.contract.ts"), source);
      const found = (await diagnosticsIn(dir)).filter((d) => d.code === "CONTRACT.TYPE_MISMATCH");
      expect(found.map((d) => [d.message, d.fix])).toEqual([['Normalisation "parse_integer" produces int64, but the column type is int32.', "Declare type: types.int64."]]);
    });
  });

  it.each([
    ['"', 'a\\"b', 'Raw key "a\\"b" holds "\\"", which DuckDB\'s JSON paths cannot quote: the local engine could not read the field.'],
    ["\\", "a\\\\b", 'Raw key "a\\\\b" holds "\\\\", which DuckDB\'s JSON paths cannot quote: the local engine could not read the field.'],
  ])("a raw key holding %s is CONTRACT.UNSUPPORTED_RAW_KEY (the local engine failed with a binder error)", async (_char, key, message) => {
    await withScratch(async (dir, review) => {
      const source = review.replace("  summary: column(z.string().optional(), {", `  "${key}": column(z.string().optional(), { name: "summary",`);
      expect(source).toContain(`"${key}": column(`);
      writeFileSync(join(dir, "review.contract.ts"), source);
      const found = (await diagnosticsIn(dir)).filter((d) => d.code === "CONTRACT.UNSUPPORTED_RAW_KEY");
      expect(found.map((d) => d.message)).toEqual([message]);
    });
  });

  it("does not stop a contract of the past from loading for review (a base or the catalog's history is compared, never generated)", async () => {
    await withScratch(async (dir, review) => {
      const source = review
        .replace("unixReviewTime: column(z.int().min(0).max(253402300799), {", "unixReviewTime: column(z.int().min(0), {")
        .replace("  summary: column(z.string().optional(), {", '  "sum.mary": column(z.string().optional(), { name: "summary",');
      expect(source).toContain("unixReviewTime: column(z.int().min(0), {");
      expect(source).toContain('"sum.mary": column(');
      writeFileSync(join(dir, "review.contract.ts"), source);
      const generation = await diagnosticsIn(dir);
      expect(generation.filter((d) => d.code === "CONTRACT.RANGE_EXCEEDS_TYPE")).toHaveLength(2);
      expect(generation.filter((d) => d.code === "CONTRACT.UNSUPPORTED_RAW_KEY")).toHaveLength(1);
      const past = await loadIR(dir, root, undefined, { past: true }).catch((error: unknown) => error);
      // Alone in its folder the review contract's reference to product is still an error: only the generation checks are let pass.
      expect(past).toBeInstanceOf(ContractError);
      expect((past as ContractError).diagnostics.map((d) => d.code)).toEqual(["CONTRACT.BAD_REFERENCE"]);
    });
  });
});

describe("sibling raw keys that differ only in case (CONTRACT.NAME_COLLISION)", () => {
  // Spark and DuckDB read JSON keys case-insensitively: such a contract was generated, then the Glue jobs failed every
  // record (AMBIGUOUS_REFERENCE_TO_FIELDS) and DuckDB loaded one key's value into both columns, or failed to bind.
  const summaryLine = "  summary: column(z.string().optional(), {";
  const lineOf = (source: string, text: string) => source.split("\n").findIndex((l) => l.includes(text)) + 1;

  it("are refused at the record's top level, at the later key's line, naming both keys, the reason and the fix", async () => {
    await withScratch(async (dir, review) => {
      const source = review.replace(summaryLine, `  Summary: column(z.string().optional(), { name: "summary_title", description: "Title." }),\n${summaryLine}`);
      expect(source).toContain("  Summary: column(");
      writeFileSync(join(dir, "review.contract.ts"), source);
      const found = (await diagnosticsIn(dir)).filter((d) => d.code === "CONTRACT.NAME_COLLISION");
      expect(found.map((d) => d.message)).toEqual([
        'Raw keys "Summary" and "summary" of the record differ only in case: Spark and DuckDB read JSON keys case-insensitively, so the jobs could not tell the two fields apart (Spark fails every record, DuckDB loads one value into both columns).',
      ]);
      expect(found[0]!.fix).toBe("Keep one of the two fields (have the producer send one key, or rename one so that they differ in more than case).");
      expect(found[0]!.where?.file).toMatch(/review\.contract\.ts$/);
      expect(found[0]!.where?.line).toBe(lineOf(source, summaryLine));
    });
  });

  it("are refused inside a nested object, at the later key's line", async () => {
    await withScratch(async (dir, review) => {
      const info = [
        "  info: column(z.object({",
        '    size: column(z.string().optional(), { name: "info_size", description: "Size." }),',
        '    SIZE: column(z.string().optional(), { name: "info_size_upper", description: "Size again." }),',
        '  }).optional(), { description: "Info." }),',
      ].join("\n");
      const source = review.replace(summaryLine, `${info}\n${summaryLine}`);
      writeFileSync(join(dir, "review.contract.ts"), source);
      const found = (await diagnosticsIn(dir)).filter((d) => d.code === "CONTRACT.NAME_COLLISION");
      expect(found.map((d) => d.message)).toEqual([expect.stringMatching(/^Raw keys "size" and "SIZE" of "info" differ only in case: Spark and DuckDB read JSON keys case-insensitively/)]);
      expect(found[0]!.fix).toContain('or declare "info" as a map, z.record(z.string(), …), whose keys are data');
      expect(found[0]!.where?.line).toBe(lineOf(source, "    SIZE: column("));
    });
  });

  it("are not refused as a map's keys (read by value, case-sensitively), nor in a contract of the past", async () => {
    await withScratch(async (dir, review) => {
      const mapped = review.replace('        Size: { name: "style_size", description: "Size variant." },', '        Size: { name: "style_size", description: "Size variant." },\n        size: { name: "style_size_lower", description: "Size variant, lowercase key." },');
      expect(mapped).toContain("style_size_lower");
      writeFileSync(join(dir, "review.contract.ts"), mapped);
      expect((await diagnosticsIn(dir)).filter((d) => d.code === "CONTRACT.NAME_COLLISION")).toEqual([]);

      const source = review.replace(summaryLine, `  Summary: column(z.string().optional(), { name: "summary_title", description: "Title." }),\n${summaryLine}`);
      writeFileSync(join(dir, "review.contract.ts"), source);
      const past = await loadIR(dir, root, undefined, { past: true }).catch((error: unknown) => error);
      // Alone in its folder the review contract's reference to product is still an error: the case check is let pass.
      expect((past as ContractError).diagnostics.map((d) => d.code)).toEqual(["CONTRACT.BAD_REFERENCE"]);
    });
  });
});

describe("tables whose plurals are equal (CONTRACT.NAME_COLLISION)", () => {
  // dbt's staging model is named after the table's plural: such contracts stopped `generate` with "GeneratorBug: Two
  // targets produce dbt-out/models/staging/amazon/stg_amazon__review_images.sql".
  const minimal = (dataset: string) =>
    readFileSync(join(fixtures, "name-collision/fixture.contract.ts"), "utf8")
      .replaceAll("../../../../generators/", "../../../generators/")
      .replace('    fooBar: column(z.string(), { description: "One." }),\n', "")
      .replace('    foo_bar: column(z.string(), { description: "Two." }), // <-\n', "")
      .replace('dataset: "fixture"', `dataset: "${dataset}"`)
      .replaceAll("/fixture/", `/${dataset}/`);
  const lineOf = (source: string, text: string) => source.split("\n").findIndex((l) => l.includes(text)) + 1;
  const collisions = async (dir: string) => (await diagnosticsIn(dir)).filter((d) => d.code === "CONTRACT.NAME_COLLISION");

  it("datasets widget and widgets: at the later contract's dataset line, with a rename", async () => {
    await withScratch(async (dir) => {
      writeFileSync(join(dir, "widget.contract.ts"), minimal("widget"));
      writeFileSync(join(dir, "widgets.contract.ts"), minimal("widgets"));
      const found = await collisions(dir);
      expect(found.map((d) => d.message)).toEqual([
        expect.stringMatching(/^Dataset "widgets" \(tests\/fixtures\/\.scratch-\w+\/widgets\.contract\.ts\) and dataset "widget" \(tests\/fixtures\/\.scratch-\w+\/widget\.contract\.ts\) have the same plural, "widgets", which names their dbt staging model \(stg_<source>__widgets\): the two would have one model\.$/),
      ]);
      expect(found[0]!.fix).toBe('Rename the dataset (defineContract({ dataset })), e.g. "widget_entries", so that its plural differs from "widgets".');
      expect(found[0]!.where?.file).toMatch(/widgets\.contract\.ts$/);
      expect(found[0]!.where?.line).toBe(lineOf(minimal("widgets"), 'dataset: "widgets"'));
    });
  });

  it("a dataset review_image beside review's child table review_images", async () => {
    await withScratch(async (dir, review) => {
      writeFileSync(join(dir, "review.contract.ts"), review);
      writeFileSync(join(dir, "review_image.contract.ts"), minimal("review_image"));
      const found = await collisions(dir);
      expect(found.map((d) => d.message)).toEqual([expect.stringMatching(/^Dataset "review_image" \(.+\) and child table "review_images" of dataset "review" \(.+\) have the same plural, "review_images"/)]);
      expect(found[0]!.where?.file).toMatch(/review_image\.contract\.ts$/);
      expect(found[0]!.where?.line).toBe(lineOf(minimal("review_image"), 'dataset: "review_image"'));
    });
  });

  it("a child table loaded after the dataset it collides with: at the array field's line", async () => {
    await withScratch(async (dir, review) => {
      writeFileSync(join(dir, "image.contract.ts"), minimal("review_image"));
      writeFileSync(join(dir, "review.contract.ts"), review);
      const found = await collisions(dir);
      expect(found.map((d) => d.message)).toEqual([expect.stringMatching(/^Child table "review_images" of dataset "review" \(.+\) and dataset "review_image" \(.+\) have the same plural/)]);
      expect(found[0]!.fix).toMatch(/^Rename the child table with column\(\.\.\., \{ array: \{ child: \{ dataset \} \} \}\), e\.g\. "review_image_entries"/);
      expect(found[0]!.where?.file).toMatch(/review\.contract\.ts$/);
      expect(found[0]!.where?.line).toBe(lineOf(review, "  image: column("));
    });
  });
});

describe("a native.snowflake type narrower than what the contract admits (CONTRACT.RANGE_EXCEEDS_TYPE)", () => {
  // The external table casts every value to the override: VARCHAR(64) kept after the field's .max(64) was relaxed or
  // removed failed the query that read a longer string, and a NUMBER(p, s) below the column's values fails or rounds.
  const varchar = (n: number) => `, and Snowflake's VARCHAR(${n}) holds ${n} (it counts characters, Unicode code points, as Zod's .max() does)`;
  const cases: [string, string, string | null][] = [
    ["a string of at most 64 as VARCHAR(64)", 'z.string().max(64), { native: { snowflake: "VARCHAR(64)" }', null],
    ["html_unescape and trim only shorten it", 'z.string().max(64), { normalize: ["trim", "html_unescape", "empty_to_null"], native: { snowflake: "VARCHAR(64)" }', null],
    [".max() relaxed to 65", 'z.string().max(65), { native: { snowflake: "VARCHAR(64)" }', `strings of up to 65 characters${varchar(64)}`],
    [".max() removed", 'z.string(), { native: { snowflake: "VARCHAR(64)" }', "strings of any length (no .max()), and Snowflake's VARCHAR(64) holds 64"],
    ["a synonym, STRING(10)", 'z.string().max(11), { native: { snowflake: "STRING(10)" }', "up to 11 characters, and Snowflake's STRING(10) holds 10"],
    ["CHAR alone is one character", 'z.string().max(2), { native: { snowflake: "CHAR" }', "up to 2 characters, and Snowflake's CHAR holds 1"],
    ["an enum's longest value", 'z.enum(["web", "mobile"]), { native: { snowflake: "VARCHAR(6)" }', null],
    ["an enum longer than the type", 'z.enum(["web", "mobile"]), { native: { snowflake: "VARCHAR(5)" }', "up to 6 characters"],
    ["VARCHAR without a length holds any", 'z.string(), { native: { snowflake: "VARCHAR" }', null],
    ["an integer within NUMBER(5, 0)", 'z.int().min(-99999).max(99999), { native: { snowflake: "NUMBER(5, 0)" }', null],
    ["an integer past NUMBER(5, 0)", 'z.int().min(0).max(100000), { native: { snowflake: "NUMBER(5,0)" }', 'raw integer "extra" is at least 0 and at most 100000, but Snowflake\'s NUMBER(5,0) holds -99999 to 99999'],
    ["a decimal(4, 1) within NUMBER(5, 2)", 'z.number().min(-999.9).max(999.9), { type: types.decimal(4, 1), native: { snowflake: "NUMBER(5, 2)" }', null],
    ["a decimal(4, 1) in NUMBER(4, 0), which rounds", 'z.number().min(-999.9).max(999.9), { type: types.decimal(4, 1), native: { snowflake: "NUMBER(4, 0)" }', "the column is decimal(4, 1), and Snowflake's NUMBER(4, 0) rounds its values to 0 decimal(s)"],
    ["a float in any NUMBER", 'z.number().min(0).max(1), { native: { snowflake: "NUMBER(38, 10)" }', "the column is float64, whose values may have any number of decimals"],
    ["parse_integer's int64 in INTEGER (NUMBER(38, 0))", 'z.string().regex(/^\\d{1,18}$/), { type: types.int64, normalize: ["parse_integer"], native: { snowflake: "INTEGER" }', null],
    ["parse_integer's int64 in NUMBER(10, 0)", 'z.string().regex(/^\\d{1,18}$/), { type: types.int64, normalize: ["parse_integer"], native: { snowflake: "NUMBER(10, 0)" }', "the column's int64 values have up to 19 digits before the point, but Snowflake's NUMBER(10, 0) holds -9999999999 to 9999999999"],
  ];
  it.each(cases)("%s", async (_what, column, expected) => {
    const found = await rangeDiagnosticWithExtra(column, expected);
    if (!found) return;
    expect(found.message).toMatch(/^Column "review\.extra" overrides its Snowflake type with .+?, narrower than what the contract admits: /);
    expect(found.fix).toMatch(/\S/);
  });

  it("names the fix for a relaxed .max(): bound it again or widen the override", async () => {
    await withScratch(async (dir, review) => {
      const source = review.replace("  verified: column(z.boolean(), {", `  extra: column(z.string().max(80), { native: { snowflake: "VARCHAR(64)" }, description: "Extra." }),\n  verified: column(z.boolean(), {`);
      writeFileSync(join(dir, "review.contract.ts"), source);
      const [found] = (await diagnosticsIn(dir)).filter((d) => d.code === "CONTRACT.RANGE_EXCEEDS_TYPE");
      expect(found!.message).toBe(
        'Column "review.extra" overrides its Snowflake type with VARCHAR(64), narrower than what the contract admits: strings of up to 80 characters, and Snowflake\'s VARCHAR(64) holds 64 (it counts characters, Unicode code points, as Zod\'s .max() does): the external table\'s cast fails the query that reads a longer one.',
      );
      expect(found!.fix).toBe("Bound the field with .max(64) (or less), or widen the override to VARCHAR(80), or remove it (VARCHAR holds any length).");
    });
  });
});

describe("string partition columns", () => {
  // The value is written into a folder name, which DuckDB and Spark escape differently and nothing decodes.
  it.each([
    ["without accepted values", "", false],
    ["with an accepted value holding a space", ', acceptedValues: ["EU West", "US-East"]', false],
    ["with an accepted value holding a slash", ', acceptedValues: ["EU/West"]', false],
    ["with accepted values of letters, digits and -_.", ', acceptedValues: ["EU-West", "us_east.2"]', true],
  ])("%s: %s", async (_what, accepted, ok) => {
    await withScratch(async (dir, review) => {
      const source = review
        .replace("  verified: column(z.boolean(), {", `  region: column(z.string(), { description: "Sales region."${accepted} }),\n  verified: column(z.boolean(), {`)
        .replace('partitionBy: ["review_date"]', 'partitionBy: ["review_date", "region"]');
      expect(source).toContain('partitionBy: ["review_date", "region"]');
      writeFileSync(join(dir, "review.contract.ts"), source);
      // Alone in its folder the review contract's reference to product is a problem too: not this test's.
      const found = (await diagnosticsIn(dir)).filter((d) => d.code === "CONTRACT.BAD_REFERENCE" && d.message.startsWith("Partition column"));
      if (ok) {
        expect(found).toEqual([]);
        return;
      }
      expect(found.map((d) => d.message)).toEqual([expect.stringMatching(/^Partition column "region" is a string whose values are not limited to letters, digits, "_", "\." and "-": /)]);
      expect(found[0]!.fix).toContain("List the column's acceptedValues");
      expect(found[0]!.where?.line).toBe(source.split("\n").findIndex((l) => l.includes("partitionBy:")) + 1);
    });
  });
});

describe("careless contracts get a coded error, never a stack trace", () => {
  async function diagnosticsOfSource(source: string): Promise<readonly Diagnostic[]> {
    const dir = mkdtempSync(join(root, "tests/fixtures/.scratch-"));
    try {
      writeFileSync(join(dir, "fixture.contract.ts"), source.replaceAll("../../../../generators/", "../../../generators/"));
      await loadIR(dir, root);
      return [];
    } catch (error) {
      if (error instanceof ContractError) return error.diagnostics;
      throw error;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const base = readFileSync(join(fixtures, "missing-metadata/fixture.contract.ts"), "utf8");

  it.each([
    ["no description", "    bare: column(z.string(), {} as never), // <-", 'Field "bare" has no description.'],
    ["an empty description", '    bare: column(z.string(), { description: "  " }), // <-', 'Field "bare" has an empty description.'],
  ])("a field with %s is CONTRACT.MISSING_METADATA at its line", async (_what, line, message) => {
    const source = base.replace("    bare: z.string(), // <-", line);
    const diagnostics = await diagnosticsOfSource(source);
    expect(diagnostics.map((d) => [d.code, d.message])).toEqual([["CONTRACT.MISSING_METADATA", message]]);
    expect(diagnostics[0]!.where?.line).toBe(source.split("\n").findIndex((l) => l.includes("// <-")) + 1);
  });

  it.each([
    ["U+0085", "\\u0085"],
    ["U+009B", "\\u009B"],
    ["U+2028", "\\u2028"],
    ["U+2029", "\\u2029"],
    ["U+FFFE", "\\uFFFE"],
  ])("a description holding %s (a C1 control, a Unicode line break or a noncharacter) is CONTRACT.CONTROL_CHARACTER", async (code, escaped) => {
    const source = readFileSync(join(fixtures, "control-character/fixture.contract.ts"), "utf8").replace("\\u0000", escaped);
    const diagnostics = await diagnosticsOfSource(source);
    expect(diagnostics.map((d) => d.code)).toEqual(["CONTRACT.CONTROL_CHARACTER"]);
    expect(diagnostics[0]!.message).toContain(`the control character ${code},`);
  });

  it.each([
    ["U+200B", "ZERO WIDTH SPACE", "\\u200B"],
    ["U+200F", "RIGHT-TO-LEFT MARK", "\\u200F"],
    ["U+202E", "RIGHT-TO-LEFT OVERRIDE", "\\u202E"],
    ["U+2066", "LEFT-TO-RIGHT ISOLATE", "\\u2066"],
    ["U+2069", "POP DIRECTIONAL ISOLATE", "\\u2069"],
    ["U+061C", "ARABIC LETTER MARK", "\\u061C"],
    ["U+FEFF", "ZERO WIDTH NO-BREAK SPACE (byte order mark)", "\\uFEFF"],
  ])("a description holding %s (%s, invisible or bidirectional) is CONTRACT.CONTROL_CHARACTER at the field's line", async (code, name, escaped) => {
    const source = readFileSync(join(fixtures, "control-character/fixture.contract.ts"), "utf8").replace("\\u0000", escaped);
    const diagnostics = await diagnosticsOfSource(source);
    expect(diagnostics.map((d) => [d.code, d.message])).toEqual([
      ["CONTRACT.CONTROL_CHARACTER", `fixture.note.description holds the invisible character ${code} (${name}), which would reach every generated file unseen.`],
    ]);
    expect(diagnostics[0]!.where?.line).toBe(source.split("\n").findIndex((l) => l.includes("// <-")) + 1);
  });

  const enumSource = (values: string) =>
    readFileSync(join(fixtures, "control-character/fixture.contract.ts"), "utf8").replace(
      '    note: column(z.string(), { description: "A note\\u0000 with a NUL." }), // <-',
      `    grade: column(z.enum([${values}]), { description: "Grade." }), // <-`,
    );

  it("an enum value holding a zero-width space is CONTRACT.CONTROL_CHARACTER at the field's line, naming the value's path", async () => {
    const source = enumSource('"A", "A\\u200B"');
    const diagnostics = await diagnosticsOfSource(source);
    expect(diagnostics.map((d) => [d.code, d.message])).toEqual([
      ["CONTRACT.CONTROL_CHARACTER", "fixture.grade.constraints.enum[1] holds the invisible character U+200B (ZERO WIDTH SPACE), which would reach every generated file unseen."],
    ]);
    expect(diagnostics[0]!.where?.line).toBe(source.split("\n").findIndex((l) => l.includes("// <-")) + 1);
  });

  it("enum values equal after NFC (e + U+0301 and U+00E9) are CONTRACT.INVALID_ACCEPTED_VALUE naming both, once", async () => {
    const source = enumSource('"caf\\u00e9", "cafe\\u0301", "tea"');
    const diagnostics = await diagnosticsOfSource(source);
    expect(diagnostics.map((d) => [d.code, d.message])).toEqual([
      [
        "CONTRACT.INVALID_ACCEPTED_VALUE",
        'Column "fixture.grade" accepts both "caf\u00e9" (U+00E9) and "cafe\u0301" (U+0301), the same text after Unicode NFC normalisation: they look the same in every generated file and in the catalog, but every engine compares them as different values.',
      ],
    ]);
    expect(diagnostics[0]!.fix).toBe('Keep one of them, written in NFC ("caf\u00e9" (U+00E9)); normalise the raw data to it upstream if the producer sends both.');
    expect(diagnostics[0]!.where?.line).toBe(source.split("\n").findIndex((l) => l.includes("// <-")) + 1);
    // Values that differ after NFC too (NFKC would fold the ligature; NFC keeps it) load.
    expect(await diagnosticsOfSource(enumSource('"caf\\u00e9", "\\uFB01ne", "fine"'))).toEqual([]);
  });

  it.each([
    ["a high surrogate alone", "\\uD800", "U+D800"],
    ["a low surrogate alone", "\\uDC00", "U+DC00"],
    ["the halves of a pair in the wrong order", "\\uDE00\\uD83D", "U+DE00"],
  ])("a description holding %s is CONTRACT.LONE_SURROGATE at the field's line, naming the field", async (_what, escaped, code) => {
    const source = readFileSync(join(fixtures, "control-character/fixture.contract.ts"), "utf8").replace("\\u0000", escaped);
    const diagnostics = await diagnosticsOfSource(source);
    expect(diagnostics.map((d) => [d.code, d.message])).toEqual([
      ["CONTRACT.LONE_SURROGATE", `fixture.note.description holds a lone UTF-16 surrogate (${code}, half of a pair, no character), which UTF-8 and so no generated file or engine can carry.`],
    ]);
    expect(diagnostics[0]!.where?.line).toBe(source.split("\n").findIndex((l) => l.includes("// <-")) + 1);
    expect(diagnostics[0]!.fix).toContain("Write the character itself");
  });

  it("a description holding a surrogate pair (\\uD83D\\uDE00, one character) loads", async () => {
    const source = readFileSync(join(fixtures, "control-character/fixture.contract.ts"), "utf8").replace("\\u0000", "\\uD83D\\uDE00");
    expect(await diagnosticsOfSource(source)).toEqual([]);
  });

  it.each([
    ["a misspelt PII class", '{ pii: "persnal", description: "Votes." }', 'The column(...) metadata of field "votes" pii is "persnal", not one of "none", "personal", "sensitive".'],
    ["an unknown key", '{ nme: "vote_count", description: "Votes." }', 'The column(...) metadata of field "votes" has the unknown key "nme".'],
    ["a type given as a string", '{ type: "int64", normalize: ["parse_integer"], description: "Votes." }', 'The column(...) metadata of field "votes" type is the string "int64"; write types.int64 (a logical type of the contract kit\'s types).'],
    ["a list given as a string", '{ type: types.int64, normalize: "parse_integer", description: "Votes." }', 'The column(...) metadata of field "votes" normalize is "parse_integer", not a list.'],
  ])("column(...) metadata with %s is CONTRACT.INVALID_METADATA at the field's line, never a crash", async (_what, meta, message) => {
    const fixture = readFileSync(join(fixtures, "invalid-metadata/fixture.contract.ts"), "utf8");
    const source = fixture.replace('{ type: types.int64, normalize: ["parse_integr"], description: "Votes." }', meta);
    const diagnostics = await diagnosticsOfSource(source);
    expect(diagnostics.map((d) => [d.code, d.message])).toEqual([["CONTRACT.INVALID_METADATA", message]]);
    expect(diagnostics[0]!.where?.line).toBe(source.split("\n").findIndex((l) => l.includes("// <-")) + 1);
  });

  it("a misspelt description key is named with the missing description, not hidden by it", async () => {
    const fixture = readFileSync(join(fixtures, "invalid-metadata/fixture.contract.ts"), "utf8");
    const source = fixture.replace('{ type: types.int64, normalize: ["parse_integr"], description: "Votes." }', '{ nme: "vote_count", descriptio: "Votes." }');
    const diagnostics = await diagnosticsOfSource(source);
    expect(diagnostics.map((d) => [d.code, d.message])).toEqual([
      ["CONTRACT.MISSING_METADATA", 'Field "votes" has no description.'],
      ["CONTRACT.INVALID_METADATA", 'The column(...) metadata of field "votes" has the unknown keys "nme", "descriptio".'],
    ]);
  });

  it.each([
    ["a misspelt key", (s: string) => s.replace('key: { column: "id" }', 'kee: { column: "id" }'), ["defineContract({...}) key is missing.", 'defineContract({...}) has the unknown key "kee".'], "kee:"],
    ["a key of neither form", (s: string) => s.replace('key: { column: "id" }', 'key: { colum: "id" }'), ["defineContract({...}) key is neither { column: ... } nor { surrogate: { name, description, from } }."], "key:"],
    [
      "a derived column with a misspelt normalisation",
      (s: string) => s.replace('  key: { column: "id" },', '  key: { column: "id" },\n  derived: [{ name: "votes_n", from: "votes", type: types.int64, normalize: ["parse_integr"], description: "N." }],'),
      ['defineContract({...}) derived[0].normalize[0] is "parse_integr", not one of "trim", "empty_to_null", "html_unescape", "parse_integer", "parse_money", "parse_month_day_year", "epoch_seconds_to_timestamp", "epoch_seconds_to_date".'],
      "derived:",
    ],
  ])("defineContract({...}) with %s is CONTRACT.INVALID_METADATA, never a crash", async (_what, edit, messages, marker) => {
    const fixture = readFileSync(join(fixtures, "invalid-metadata/fixture.contract.ts"), "utf8").replace('normalize: ["parse_integr"]', 'normalize: ["parse_integer"]');
    const source = edit(fixture);
    const diagnostics = await diagnosticsOfSource(source);
    expect(diagnostics.map((d) => [d.code, d.message])).toEqual(messages.map((m) => ["CONTRACT.INVALID_METADATA", m]));
    expect(diagnostics.at(-1)!.where?.line).toBe(source.split("\n").findIndex((l) => l.includes(marker)) + 1);
  });

  it("a native.snowflake that is not a type name (it would be pasted into the DDL) is CONTRACT.UNSUPPORTED_NATIVE; a type with a size is fine", async () => {
    const fixture = readFileSync(join(fixtures, "unsupported-native/fixture.contract.ts"), "utf8").replace(/ *\/\/ @ts-expect-error.*\n/, "");
    // The field bounded to 64 characters, which VARCHAR(64) holds (a narrower override is CONTRACT.RANGE_EXCEEDS_TYPE).
    const withType = (type: string) =>
      fixture.replace('{ spark: "VARCHAR(64)", duckdb: "VARCHAR" }', `{ snowflake: ${JSON.stringify(type)} }`).replace("name: column(z.string(), {", "name: column(z.string().max(64), {");
    for (const fine of ["VARCHAR(64)", "NUMBER(38, 0)", "TIMESTAMP_NTZ(9)", "DOUBLE PRECISION", "variant"]) expect(await diagnosticsOfSource(withType(fine)), fine).toEqual([]);
    for (const bad of ["VARCHAR(64)) ; DROP TABLE X; --", "VARCHAR /* x */", "NUMBER(38,0", "VARCHAR(64)\nDROP", ""]) {
      const diagnostics = await diagnosticsOfSource(withType(bad));
      expect(diagnostics.map((d) => [d.code, d.message]), bad).toEqual([
        ["CONTRACT.UNSUPPORTED_NATIVE", `Field "name" overrides its Snowflake type with ${JSON.stringify(bad)}, which is not a Snowflake type name.`],
      ]);
    }
  });

  it("an accepted value with a quote or Jinja is fine (dbt gets it escaped); one with a backslash is CONTRACT.INVALID_ACCEPTED_VALUE", async () => {
    const fixture = readFileSync(join(fixtures, "invalid-accepted-value/fixture.contract.ts"), "utf8");
    expect(await diagnosticsOfSource(fixture.replace('"C:\\\\large"', `"it's {{ large }}"`))).toEqual([]);
    const diagnostics = await diagnosticsOfSource(fixture);
    expect(diagnostics.map((d) => [d.code, d.message])).toEqual([
      ["CONTRACT.INVALID_ACCEPTED_VALUE", expect.stringContaining('Column "fixture.size" accepts the value "C:\\\\large", which holds a backslash')],
    ]);
  });

  it("a contract path with characters a generated header cannot carry is CONTRACT.LOAD_FAILED, before the module runs", async () => {
    const dir = mkdtempSync(join(root, "tests/fixtures/.scratch-"));
    try {
      const source = base.replace("    bare: z.string(), // <-", '    bare: column(z.string(), { description: "Bare." }),').replaceAll("../../../../generators/", "../../../generators/");
      writeFileSync(join(dir, "fixture.contract.ts"), source);
      expect(await diagnosticsIn(dir)).toEqual([]);
      for (const name of ["a{{ x }}.contract.ts", "a${x}.contract.ts", "a*b.contract.ts", "a'b.contract.ts", "a b.contract.ts"]) {
        writeFileSync(join(dir, name), 'throw new Error("the module ran");\n');
        const diagnostics = await diagnosticsIn(dir);
        expect(diagnostics.map((d) => [d.code, d.message.split(" holds ")[0]]), name).toEqual([["CONTRACT.LOAD_FAILED", `The contract's path ${JSON.stringify(`${relative(root, dir)}/${name}`)}`]]);
        rmSync(join(dir, name));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a * or a quote in an S3 prefix is CONTRACT.INVALID_LOCATION (it would widen IAM and event patterns, or end a SQL literal); a 44-character dataset name is CONTRACT.INVALID_IDENTIFIER", async () => {
    const fine = base.replace("    bare: z.string(), // <-", '    bare: column(z.string(), { description: "Bare." }),');
    for (const prefix of ["*", "a*b", "it's", "(x)"]) {
      const diagnostics = await diagnosticsOfSource(fine.replace('raw: "s3://fixture-raw/fixture/"', `raw: "s3://fixture-raw/${prefix}/"`));
      expect(diagnostics.map((d) => [d.code, d.message]), prefix).toEqual([["CONTRACT.INVALID_LOCATION", `Location raw "s3://fixture-raw/${prefix}/" is not s3://bucket/prefix/.`]]);
    }
    const name = "d".repeat(44);
    const long = await diagnosticsOfSource(fine.replace('dataset: "fixture"', `dataset: "${name}"`));
    expect(long.map((d) => [d.code, d.message])).toEqual([
      ["CONTRACT.INVALID_IDENTIFIER", `The dataset name "${name}" has 44 characters; AWS names built from it must fit (the EventBridge rule "${name}-raw-object-created" may have at most 64).`],
    ]);
    expect(await diagnosticsOfSource(fine.replace('dataset: "fixture"', `dataset: "${"d".repeat(43)}"`))).toEqual([]);
  });

  it("a snake_case name over 63 characters is CONTRACT.INVALID_IDENTIFIER saying it is too long, with a suggestion that fits", async () => {
    const fixture = readFileSync(join(fixtures, "invalid-identifier/fixture.contract.ts"), "utf8");
    const withName = (name: string) => fixture.replace('name: "Bad-Name"', `name: ${JSON.stringify(name)}`);
    // The whole words within 63 characters end with "tax" (57 characters): "included" would end at the 66th.
    const long = "customer_lifetime_value_in_reporting_currency_and_the_tax_included";
    expect(long).toHaveLength(66);
    const found = await diagnosticsOfSource(withName(long));
    expect(found.map((d) => [d.code, d.message, d.fix])).toEqual([
      [
        "CONTRACT.INVALID_IDENTIFIER",
        `The column (fixture) name "${long}" is too long: 66 characters, at most 63 (the product's limit on column and dataset names, ^[a-z][a-z0-9_]{0,62}$).`,
        'Use at most 63 characters, e.g. "customer_lifetime_value_in_reporting_currency_and_the_tax", with column(..., { name }).',
      ],
    ]);
    const source = withName(long);
    expect(found[0]!.where?.line).toBe(source.split("\n").findIndex((l) => l.includes("// <-")) + 1);
    // The suggestion is taken: the contract loads.
    expect(await diagnosticsOfSource(withName("customer_lifetime_value_in_reporting_currency_and_the_tax"))).toEqual([]);
    // One word longer than what fits: cut at 63 characters.
    const word = `a${"b".repeat(69)}`;
    expect((await diagnosticsOfSource(withName(word))).map((d) => d.fix)).toEqual([`Use at most 63 characters, e.g. "${word.slice(0, 63)}", with column(..., { name }).`]);
    expect(await diagnosticsOfSource(withName(word.slice(0, 63)))).toEqual([]);
    // Not snake_case and too long: the snake_case suggestion fits too.
    const camel = "CustomerLifetimeValueInReportingCurrencyAndTheTaxIncludedForEveryOrder";
    const notSnake = await diagnosticsOfSource(withName(camel));
    expect(notSnake.map((d) => [d.code, d.message, d.fix])).toEqual([
      [
        "CONTRACT.INVALID_IDENTIFIER",
        `The column (fixture) name "${camel}" is not lowercase snake_case.`,
        'Use ^[a-z][a-z0-9_]{0,62}$, e.g. "customer_lifetime_value_in_reporting_currency_and_the_tax".',
      ],
    ]);
    // A dataset name over 63 characters gets the dataset's own limit (43), with a suggestion that fits it.
    const dataset = "reviews_of_customers_in_every_marketplace_with_their_images_and_votes";
    const fine = fixture.replace('name: "Bad-Name", ', "");
    const longDataset = await diagnosticsOfSource(fine.replace('dataset: "fixture"', `dataset: "${dataset}"`));
    expect(longDataset.map((d) => [d.code, d.fix])).toEqual([["CONTRACT.INVALID_IDENTIFIER", 'Use at most 43 characters, e.g. "reviews_of_customers_in_every_marketplace".']]);
    expect(longDataset[0]!.message).toBe(`The dataset name "${dataset}" has ${dataset.length} characters; AWS names built from it must fit (the EventBridge rule "${dataset}-raw-object-created" may have at most 64).`);
  });

  it("a syntax error keeps its line and column (CONTRACT.LOAD_FAILED)", async () => {
    const source = base.replace('  owner: "tests",', '  owner: "tests",,');
    const diagnostics = await diagnosticsOfSource(source);
    expect(diagnostics.map((d) => d.code)).toEqual(["CONTRACT.LOAD_FAILED"]);
    const line = source.split("\n").findIndex((l) => l.includes('"tests",,')) + 1;
    expect(diagnostics[0]!.where).toMatchObject({ line });
    expect(diagnostics[0]!.where?.column).toBeGreaterThan(15);
    expect(diagnostics[0]!.message).toMatch(/Importing the contract failed: .*Unexpected/);
  });

  it("an error thrown while the module runs points at its line", async () => {
    const diagnostics = await diagnosticsOfSource(readFileSync(join(fixtures, "load-failed/fixture.contract.ts"), "utf8"));
    expect(diagnostics[0]).toMatchObject({ code: "CONTRACT.LOAD_FAILED", where: { line: 2 } });
    expect(diagnostics[0]!.message).toContain("this contract cannot be imported");
  });
});
