import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { matchEventPatterns } from "../../../tests/helpers/event-pattern.js";
import { loadIR } from "../../ir/load.js";
import { compareCodePoints } from "../../lib/sort.js";
import type { ContractIR, DatasetIR } from "../../ir/types.js";
import { rawObjectCreatedPattern, terraformInputs, terraformTarget, TERRAFORM_INPUTS_PATH, wildcardLiteral } from "./emit.js";

const root = resolve(import.meta.dirname, "../../..");
const sampleEvent = JSON.parse(readFileSync(resolve(root, "tests/fixtures/eventbridge/s3-object-created.json"), "utf8"));
let ir: ContractIR;
let review: DatasetIR;

beforeAll(async () => {
  ir = await loadIR(resolve(root, "contracts"), root);
  review = ir.datasets.find((d) => d.name === "review")!;
});

/** The AWS sample "Object Created" event, moved to another bucket and key. */
function objectCreated(bucket: string, key: string): any {
  const event = structuredClone(sampleEvent);
  event.resources = [`arn:aws:s3:::${bucket}`];
  event.detail.bucket.name = bucket;
  event.detail.object.key = key;
  return event;
}

describe("terraform target: EventBridge pattern", () => {
  const cases: [string, string, boolean][] = [
    ["amazon-reviews-raw", "reviews/2018-gift-cards-5.json", true],
    ["amazon-reviews-raw", "reviews/ingest=2024-01-01/part-0001.jsonl", true],
    ["amazon-reviews-raw", "reviews/batch/2018.jsonl.gz", true],
    ["amazon-reviews-raw", "reviews/batch/2018.json.gz", true],
    ["amazon-reviews-processed", "reviews/2018-gift-cards-5.json", false],
    ["amazon-reviews-raw", "products/2018-meta-gift-cards.json", false],
    ["amazon-reviews-raw", "reviews/part-0.parquet", false],
    ["amazon-reviews-raw", "reviews/notes.json.bak", false],
    ["amazon-reviews-raw", "archive/reviews/x.json", false],
  ];
  it("matches exactly the raw objects of the dataset, as EventBridge (moto's evaluator) decides", async () => {
    const pattern = rawObjectCreatedPattern(review) as any;
    const results = await matchEventPatterns(cases.map(([bucket, key]) => [pattern, objectCreated(bucket, key)] as const));
    expect(cases.map(([bucket, key], i) => [bucket, key, results[i]])).toEqual(cases.map(([bucket, key, expected]) => [bucket, key, expected]));
  });

  it("does not match other S3 event types", async () => {
    const deleted = { ...objectCreated("amazon-reviews-raw", "reviews/a.json"), "detail-type": "Object Deleted" };
    expect(await matchEventPatterns([[rawObjectCreatedPattern(review) as any, deleted]])).toEqual([false]);
  });

  it("escapes * in a prefix so it matches only itself", async () => {
    expect(wildcardLiteral("a*b\\c/")).toBe("a\\*b\\\\c/");
    const odd = { ...review, locations: { ...review.locations, raw: "s3://amazon-reviews-raw/team*/" } };
    const pattern = rawObjectCreatedPattern(odd) as any;
    expect(
      await matchEventPatterns([
        [pattern, objectCreated("amazon-reviews-raw", "team*/a.json")],
        [pattern, objectCreated("amazon-reviews-raw", "teamX/a.json")],
      ]),
    ).toEqual([true, false]);
  });

  it("a prefix entry beside a suffix entry is OR-ed (why the pattern uses one wildcard per suffix)", async () => {
    const orPattern: any = { source: ["aws.s3"], detail: { object: { key: [{ prefix: "reviews/" }, { suffix: ".json" }] } } };
    expect(await matchEventPatterns([[orPattern, objectCreated("amazon-reviews-raw", "other/a.json")]])).toEqual([true]);
  });
});

describe("terraform target: inputs", () => {
  it("lists every dataset with Glue jobs, scripts, arguments and the state machine definition file", () => {
    const inputs = terraformInputs(ir) as any;
    // Every contract in contracts/, in code-point order: the shipped two and any dataset added beside them.
    const names = ir.datasets.map((d) => d.name).sort(compareCodePoints);
    expect(names).toEqual(expect.arrayContaining(["product", "review"]));
    expect(Object.keys(inputs.datasets)).toEqual(names);
    const jobs = inputs.datasets.review.glue_jobs;
    expect(jobs.clean).toEqual({
      name: "review-clean",
      script_source: "glue-pyspark-out/clean_review.py",
      script_key: "glue/clean_review.py",
      arguments: ["--input_bucket", "--input_key", "--cleaned_path", "--quarantine_path", "--run_id", "--summary_path"],
    });
    expect(jobs.flatten.name).toBe("review-flatten");
    expect(jobs.flatten.arguments).toEqual(["--input_path", "--output_path", "--run_id"]);
    expect(inputs.datasets.review.state_machine.definition_file).toBe("generated/step-functions/review.asl.json");
    // The raw bucket holds each dataset's raw prefix, read here from the contracts' own locations.
    const inRaw = ir.datasets
      .filter((d) => d.locations.raw.startsWith("s3://amazon-reviews-raw/"))
      .map((d) => ({ name: d.name, prefix: d.locations.raw.slice("s3://amazon-reviews-raw/".length) }));
    expect(inRaw).toEqual(expect.arrayContaining([{ name: "product", prefix: "products/" }, { name: "review", prefix: "reviews/" }]));
    expect(inputs.buckets["amazon-reviews-raw"]).toEqual({
      zone: "raw",
      prefixes: inRaw.map((d) => d.prefix).sort(compareCodePoints),
      datasets: inRaw.map((d) => d.name).sort(compareCodePoints),
    });
  });

  it("writes exactly one JSON file under generated/", async () => {
    const { files, diagnostics } = await terraformTarget.emit(ir);
    expect(diagnostics).toEqual([]);
    expect(files.map((f) => f.path)).toEqual([TERRAFORM_INPUTS_PATH]);
    expect(() => JSON.parse(files[0]!.contents)).not.toThrow();
  });

  it("reports datasets whose prefixes in one bucket overlap", async () => {
    const product = ir.datasets.find((d) => d.name === "product")!;
    const nested = { ...product, locations: { ...product.locations, raw: "s3://amazon-reviews-raw/reviews/products/" } };
    const { diagnostics } = await terraformTarget.emit({ ...ir, datasets: [nested, review] });
    expect(diagnostics.map((d) => [d.code, d.where?.path])).toEqual([["INFRA.OVERLAPPING_PREFIX", "review.locations.raw"]]);
    expect(diagnostics[0]!.message).toContain("s3://amazon-reviews-raw/reviews/products/");
  });

  it("reports a bucket used by two zones", async () => {
    const bad = { ...ir, datasets: [{ ...review, locations: { ...review.locations, processed: "s3://amazon-reviews-raw/processed/" } }] };
    const { diagnostics } = await terraformTarget.emit(bad);
    expect(diagnostics.map((d) => d.code)).toEqual(["INFRA.BUCKET_ZONE_CONFLICT"]);
    expect(diagnostics[0]!.message).toContain("amazon-reviews-raw");
  });
});
