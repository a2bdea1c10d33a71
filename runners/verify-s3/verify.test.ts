/**
 * verify:s3 against a real S3-compatible server (s3rver, pure JS) started here on 127.0.0.1, holding the real
 * Amazon review files: plain and gzip objects, a second dataset's prefix beside it, and a file of broken records.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main, parseS3Url } from "./cli.js";

const root = resolve(import.meta.dirname, "../..");
const data = resolve(root, "../shared/data/amazon-reviews");
/** s3rver's fixed loopback credentials (its documented defaults); valid only for this local test server. */
const LOCAL_TEST_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

let server: S3rver;
let directory: string;
let endpoint: string;
const savedEnv = { ...process.env };

const valid2018 = readFileSync(join(data, "2018-gift-cards-5.jsonl"));
const grocery2014 = readFileSync(join(data, "2014-grocery-and-gourmet-food-5.head111.jsonl"));
const musical2014 = readFileSync(join(data, "2014-musical-instruments-5.head50.jsonl"));
const firstValid = valid2018.toString("utf8").split("\n")[0]!;
const base = JSON.parse(firstValid);
/** Each line breaks exactly what its comment says. */
const broken = [
  "{not json",
  JSON.stringify({ ...base, overall: 7 }), // overall.out_of_range
  JSON.stringify({ ...base, verified: "yes" }), // verified.wrong_type
  JSON.stringify({ ...base, image: ["https://ok.example/a.jpg", "ftp://bad"] }), // image[].pattern_mismatch
  JSON.stringify({ ...base, style: { "Size:": 5 } }), // style{}.wrong_type
  JSON.stringify({ ...base, unixReviewTime: 1.5, asin: null }), // unixReviewTime.not_integer + asin.null
  "",
  firstValid,
].join("\n");

async function out(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, { write: (t: string) => (stdout += t) }, { write: (t: string) => (stderr += t) });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), "verify-s3-"));
  server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory });
  const { port } = await server.run();
  endpoint = `http://127.0.0.1:${port}`;
  process.env.AWS_ACCESS_KEY_ID = LOCAL_TEST_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = LOCAL_TEST_CREDENTIALS.secretAccessKey;
  process.env.AWS_REGION = "us-east-1";
  const client = new S3Client({ endpoint, forcePathStyle: true, region: "us-east-1", credentials: LOCAL_TEST_CREDENTIALS });
  await client.send(new CreateBucketCommand({ Bucket: "amazon-reviews-raw" }));
  const put = (Key: string, Body: Buffer | string) => client.send(new PutObjectCommand({ Bucket: "amazon-reviews-raw", Key, Body }));
  await put("reviews/2018/gift-cards-5.jsonl", valid2018);
  await put("reviews/2014/grocery-5.jsonl.gz", gzipSync(grocery2014));
  await put("reviews/2014/musical-instruments-5.json", musical2014);
  await put("products/2018/meta-gift-cards.jsonl", readFileSync(join(data, "2018-meta-gift-cards.jsonl")));
  await put("broken/reviews.jsonl", broken);
  client.destroy();
});

afterAll(async () => {
  await server?.close();
  process.env = savedEnv;
  rmSync(directory, { recursive: true, force: true });
});

describe("verify:s3", () => {
  it("validates the real 2018 reviews: 2,972 records, all valid", async () => {
    const r = await out(["s3://amazon-reviews-raw/reviews/2018/", "--endpoint", endpoint]);
    expect(r.stderr).toContain("[1] s3://amazon-reviews-raw/reviews/2018/gift-cards-5.jsonl: 2972 records, 0 invalid");
    expect(r.stdout).toContain("Checked 2972 records in 1 objects under s3://amazon-reviews-raw/reviews/2018/ against review");
    expect(r.stdout).toContain("Invalid records: 0 (0.00%)");
    expect(r.code).toBe(0);
  });

  it("streams gzip and plain objects; the 2014 format lacks `verified` in all 161 records", async () => {
    const r = await out(["s3://amazon-reviews-raw/reviews/", "--endpoint", endpoint]);
    expect(r.stderr).toContain("reviews/2014/grocery-5.jsonl.gz (gzip): 111 records, 111 invalid");
    expect(r.stderr).toContain("reviews/2014/musical-instruments-5.json: 50 records, 50 invalid");
    expect(r.stdout).toContain("Checked 3133 records in 3 objects");
    expect(r.stdout).toContain("Invalid records: 161 (5.14%); threshold 0.00%: FAILED");
    expect(r.stdout).toMatch(/^\s+161 {2}verified\.missing\s+verified {2}reviews\/2014\/grocery-5\.jsonl\.gz:1, reviews\/2014\/grocery-5\.jsonl\.gz:2,/m);
    expect(r.stdout).not.toContain("products/");
    expect(r.code).toBe(1);
  });

  it("passes when the invalid ratio is within --max-invalid-ratio", async () => {
    expect((await out(["s3://amazon-reviews-raw/reviews/", "--endpoint", endpoint, "--max-invalid-ratio", "0.06", "--quiet"])).code).toBe(0);
    expect((await out(["s3://amazon-reviews-raw/reviews/", "--endpoint", endpoint, "--max-invalid-ratio", "0.05", "--quiet"])).code).toBe(1);
  });

  it("reports each broken record under the contract's reason codes with object:line samples", async () => {
    const r = await out(["s3://amazon-reviews-raw/broken/", "--dataset", "review", "--endpoint", endpoint, "--quiet"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("Checked 7 records in 1 objects");
    expect(r.stdout).toContain("Invalid records: 6 (85.71%)");
    expect(r.stdout).toContain("Skipped 1 empty lines.");
    const rows = r.stdout.split("\n").filter((l) => /^\s+\d+ {2}\S/.test(l)).map((l) => l.trim().split(/\s{2,}/));
    expect(rows).toEqual([
      ["1", "$.invalid_json", "$", "broken/reviews.jsonl:1"],
      ["1", "asin.null", "asin", "broken/reviews.jsonl:6"],
      ["1", "image[].pattern_mismatch", "image[]", "broken/reviews.jsonl:4"],
      ["1", "overall.out_of_range", "overall", "broken/reviews.jsonl:2"],
      ["1", "style{}.wrong_type", "style{}", "broken/reviews.jsonl:5"],
      ["1", "unixReviewTime.not_integer", "unixReviewTime", "broken/reviews.jsonl:6"],
      ["1", "verified.wrong_type", "verified", "broken/reviews.jsonl:3"],
    ]);
    // Every reason (except unparseable JSON) is one of the contract's rule codes.
    const codes = new Set(JSON.parse(readFileSync(join(root, "generated/ir/review.ir.json"), "utf8")).dataset.rules.map((rule: { code: string }) => rule.code));
    for (const [, reason] of rows.slice(1)) expect(codes.has(reason!)).toBe(true);
  });

  it("stops at --limit", async () => {
    const r = await out(["s3://amazon-reviews-raw/reviews/2018/", "--endpoint", endpoint, "--limit", "10", "--quiet"]);
    expect(r.stdout).toContain("Checked 10 records in 1 objects under s3://amazon-reviews-raw/reviews/2018/ against review (contracts/review.contract.ts 3.0.0) (stopped at --limit).");
  });

  it("picks the contract from the URL: products/ is validated against product", async () => {
    const r = await out(["s3://amazon-reviews-raw/products/", "--endpoint", endpoint, "--quiet"]);
    expect(r.stdout).toContain("Checked 1547 records in 1 objects under s3://amazon-reviews-raw/products/ against product");
  });

  it("explains usage, contract and S3 errors with exit code 2", async () => {
    const bad = await out(["amazon-reviews-raw/reviews/"]);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining("is not an S3 URL")]);
    const ratio = await out(["s3://amazon-reviews-raw/reviews/", "--max-invalid-ratio", "2"]);
    expect(ratio.stderr).toContain("--max-invalid-ratio \"2\" must be between 0 and 1");
    const unknown = await out(["s3://elsewhere-bucket/x/"]);
    expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringContaining("No contract's raw location contains s3://elsewhere-bucket/x/")]);
    const missing = await out(["s3://no-such-bucket-here/reviews/", "--dataset", "review", "--endpoint", endpoint]);
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringContaining("Bucket s3://no-such-bucket-here at")]);
    const help = await out(["--help"]);
    expect([help.code, help.stdout]).toEqual([0, expect.stringContaining("Usage: npm run verify:s3")]);
  });

  it("parses S3 URLs", () => {
    expect(parseS3Url("s3://amazon-reviews-raw")).toEqual({ bucket: "amazon-reviews-raw", prefix: "" });
    expect(parseS3Url("s3://amazon-reviews-raw/reviews/2018/")).toEqual({ bucket: "amazon-reviews-raw", prefix: "reviews/2018/" });
  });

  it("runs as the npm script's command line with the exit code of the check", async () => {
    // Asynchronous: the S3 server lives in this process, so a blocking spawn would deadlock.
    const child = spawn(process.execPath, [join(root, "node_modules/tsx/dist/cli.mjs"), "runners/verify-s3/cli.ts", "s3://amazon-reviews-raw/reviews/", "--endpoint", endpoint], {
      cwd: root,
      env: { ...process.env, NODE_NO_WARNINGS: "1" },
    });
    let stdout = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    const status = await new Promise<number | null>((done) => child.on("close", done));
    expect(stdout).toContain("Invalid records: 161");
    expect(status).toBe(1);
  });
});
