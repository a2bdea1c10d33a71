/**
 * verify:s3 against a real S3-compatible server (s3rver, pure JS) started here on 127.0.0.1, holding the real
 * Amazon review files: plain and gzip objects, a second dataset's prefix beside it, and a file of broken records.
 * Timeouts are shown with a TCP server that never answers and an HTTP relay in front of s3rver that withholds an
 * answer or the rest of a body; the S3 client is always the real one.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage } from "node:http";
import { createServer as createNetServer, type AddressInfo, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RECORD_REASONS } from "../../generators/dialects/cleaning.js";
import { readFile as pipelineReadFile, type RawRecord } from "../local-pipeline/read-input.js";
import { HELP, main, parseS3Url } from "./cli.js";

const root = resolve(import.meta.dirname, "../..");
const data = resolve(root, "../shared/data/amazon-reviews");
/** s3rver's fixed loopback credentials (its documented defaults); valid only for this local test server. */
const LOCAL_TEST_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

let server: S3rver;
let directory: string;
let endpoint: string;
let s3Port: number;
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

/**
 * Lines the pipeline rejects before any rule, and the line-splitting details it decides (BOM, CRLF, lone CR,
 * what is blank). Line numbers are 1-based; the test compares verify:s3's verdict with the pipeline's line by line.
 */
const [beforeText, afterText] = firstValid.split('"reviewText": "') as [string, string];
/** The first record with C3 28 in its review text: a UTF-8 lead byte without its continuation byte. */
const invalidUtf8Line = Buffer.concat([Buffer.from(`${beforeText}"reviewText": "`), Buffer.from([0xc3, 0x28]), Buffer.from(afterText)]);
const recordLines = Buffer.concat(
  [
    Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(firstValid)]), // 1 BOM + valid record
    invalidUtf8Line, // 2 invalid UTF-8 (decoded first, it would be a valid record with U+FFFD)
    Buffer.from("{not json"), // 3
    Buffer.from("[1,2]"), // 4 not an object
    Buffer.from("null"), // 5 not an object
    Buffer.from('"text"'), // 6 not an object
    Buffer.from("\t \r"), // 7 blank
    Buffer.from("\u00a0"), // 8 not blank for the pipeline (String.trim would say it is): invalid JSON
    Buffer.from(`${firstValid}\r`), // 9 CRLF: valid
    Buffer.from('{"a":1}\r{"b":2}'), // 10 a lone CR does not end a line: invalid JSON
    Buffer.from("12"), // 11 not an object
    Buffer.from(firstValid), // 12 valid
    Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(firstValid)]), // 13 BOM of a file concatenated after: valid, last line, no LF
  ].flatMap((line, i) => (i ? [Buffer.from("\n"), line] : [line])),
);

/** A record padded with spaces (still valid JSON) to exactly `bytes` bytes. */
const paddedRecord = (bytes: number) => firstValid + " ".repeat(bytes - Buffer.byteLength(firstValid));
const MIB = 1024 * 1024;
/** Valid records. Line 2 is exactly at the limit, lines 3 and 4 are over it: by 1 byte, and with a 3 MiB review text. */
const longLines = [firstValid, paddedRecord(MIB), paddedRecord(MIB + 1), `${beforeText}"reviewText": "${"x".repeat(3 * MIB)}${afterText}`, firstValid].join("\n");

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
  s3Port = port;
  endpoint = `http://127.0.0.1:${port}`;
  process.env.AWS_ACCESS_KEY_ID = LOCAL_TEST_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = LOCAL_TEST_CREDENTIALS.secretAccessKey;
  process.env.AWS_REGION = "us-east-1";
  const client = new S3Client({ endpoint, forcePathStyle: true, region: "us-east-1", credentials: LOCAL_TEST_CREDENTIALS });
  await client.send(new CreateBucketCommand({ Bucket: "amazon-reviews-raw" }));
  // ContentLength given: the SDK cannot tell an empty body's length and would warn about streams of unknown length.
  const put = (Key: string, Body: Buffer | string) => client.send(new PutObjectCommand({ Bucket: "amazon-reviews-raw", Key, Body, ContentLength: Buffer.byteLength(Body) }));
  await put("reviews/2018/gift-cards-5.jsonl", valid2018);
  await put("reviews/2014/grocery-5.jsonl.gz", gzipSync(grocery2014));
  await put("reviews/2014/musical-instruments-5.json", musical2014);
  await put("products/2018/meta-gift-cards.jsonl", readFileSync(join(data, "2018-meta-gift-cards.jsonl")));
  await put("broken/reviews.jsonl", broken);
  // Beside the review location, sharing the start of its name: never part of s3://amazon-reviews-raw/reviews.
  await put("reviews-old/reviews.jsonl", broken);
  await put("records/lines.jsonl", recordLines);
  await put("long/lines.jsonl", longLines);
  await put("long/lines.jsonl.gz", gzipSync(longLines));
  const gift = gzipSync(valid2018);
  await put("gzip-damaged/a-cut.jsonl.gz", gift.subarray(0, Math.floor(gift.length / 2)));
  // The gzip header, then bytes that are no deflate stream.
  await put("gzip-damaged/b-corrupt.jsonl.gz", Buffer.concat([gift.subarray(0, 10), Buffer.alloc(64, 0xff)]));
  await put("gzip-damaged/c-fine.json", musical2014);
  await put("empty/a.jsonl", "");
  await put("empty/b.jsonl.gz", gzipSync(""));
  await put("empty/c.jsonl", "\n \n\t\n");
  // Objects the pipeline never reads: another suffix (no event starts a run) and hidden names (Spark skips them).
  await put("mixed/reviews.jsonl", valid2018);
  await put("mixed/notes.txt", "not a record\n");
  await put("mixed/reviews.parquet", "PAR1");
  await put("mixed/_SUCCESS", "");
  await put("mixed/.reviews.jsonl.swp", "{}\n");
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

  it("judges only the objects the pipeline reads, and lists the others as skipped", async () => {
    const r = await out(["s3://amazon-reviews-raw/mixed/", "--dataset", "review", "--endpoint", endpoint]);
    expect(r.stdout).toContain("Checked 2972 records in 1 objects under s3://amazon-reviews-raw/mixed/");
    expect(r.stdout).toContain("Invalid records: 0 (0.00%)");
    expect(r.stdout).toContain(
      "Skipped 4 objects the pipeline does not read (a suffix other than .json, .json.gz, .jsonl, .jsonl.gz, or a name starting with _ or .): mixed/.reviews.jsonl.swp, mixed/_SUCCESS, mixed/notes.txt, mixed/reviews.parquet.",
    );
    expect(r.code).toBe(0);
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
      ["1", "asin.null", "asin", "broken/reviews.jsonl:6"],
      ["1", "image[].pattern_mismatch", "image[]", "broken/reviews.jsonl:4"],
      ["1", "overall.out_of_range", "overall", "broken/reviews.jsonl:2"],
      ["1", "record.invalid_json", "$", "broken/reviews.jsonl:1"],
      ["1", "style{}.wrong_type", "style{}", "broken/reviews.jsonl:5"],
      ["1", "unixReviewTime.not_integer", "unixReviewTime", "broken/reviews.jsonl:6"],
      ["1", "verified.wrong_type", "verified", "broken/reviews.jsonl:3"],
    ]);
    // Every reason is one of the contract's rule codes, or the pipeline's code for a line that is not JSON.
    const codes = new Set(JSON.parse(readFileSync(join(root, "generated/ir/review.ir.json"), "utf8")).dataset.rules.map((rule: { code: string }) => rule.code));
    for (const [, reason] of rows) expect(codes.has(reason!) || reason === RECORD_REASONS.invalidJson).toBe(true);
  });

  it("stops at --limit", async () => {
    const r = await out(["s3://amazon-reviews-raw/reviews/2018/", "--endpoint", endpoint, "--limit", "10", "--quiet"]);
    expect(r.stdout).toContain("Checked 10 records in 1 objects under s3://amazon-reviews-raw/reviews/2018/ against review (contracts/review.contract.ts 3.0.0) (stopped at --limit).");
  });

  it("picks the contract from the URL: products/ is validated against product", async () => {
    const r = await out(["s3://amazon-reviews-raw/products/", "--endpoint", endpoint, "--quiet"]);
    expect(r.stdout).toContain("Checked 1547 records in 1 objects under s3://amazon-reviews-raw/products/ against product");
  });

  it("a URL above the raw locations is refused, not checked against the first contract found; one without its last slash is that location", async () => {
    for (const url of ["s3://amazon-reviews-raw/", "s3://amazon-reviews-raw"]) {
      const r = await out([url, "--endpoint", endpoint, "--quiet"]);
      expect([r.code, r.stdout]).toEqual([2, ""]);
      expect(r.stderr).toContain(
        "error VERIFY.CONTRACT: s3://amazon-reviews-raw/ holds the raw locations of product (s3://amazon-reviews-raw/products/), review (s3://amazon-reviews-raw/reviews/): its objects are not all one contract's. Check one location at a time, or pass --dataset",
      );
    }
    const bare = await out(["s3://amazon-reviews-raw/reviews", "--endpoint", endpoint, "--quiet", "--max-invalid-ratio", "1"]);
    expect([bare.code, bare.stdout]).toEqual([0, expect.stringContaining("Checked 3133 records in 3 objects under s3://amazon-reviews-raw/reviews/ against review")]);
    // Named by --dataset, the URL is listed as given.
    const named = await out(["s3://amazon-reviews-raw/reviews", "--dataset", "review", "--endpoint", endpoint, "--quiet", "--max-invalid-ratio", "1"]);
    expect(named.stdout).toContain("in 4 objects under s3://amazon-reviews-raw/reviews against review");
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
    for (const option of ["--timeout <seconds>", "--retries <n>", "--max-record-bytes <n>"]) expect(help.stdout).toContain(option);
    for (const [argv, message] of [
      [["--timeout", "0"], '--timeout "0" must be a number of seconds above 0'],
      [["--retries=-1"], '--retries "-1" must be a whole number from 0 to 100, written with digits only'],
      // pipeline:local's bounds, whose limit this is (1024: what a quarantined too-long record keeps).
      [["--max-record-bytes", "0"], '--max-record-bytes "0" must be a whole number from 1024 to'],
      [["--max-record-bytes", "1023"], '--max-record-bytes "1023" must be a whole number from 1024 to'],
      [["--max-record-bytes", "1e300"], '--max-record-bytes "1e300" must be a whole number from 1024 to'],
      [["--limit", "0x10"], '--limit "0x10" must be a whole number above 0, written with digits only'],
      [["--timeout", "1e1"], '--timeout "1e1" must be a number of seconds above 0'],
    ] as const) {
      const r = await out(["s3://amazon-reviews-raw/reviews/", ...argv]);
      expect([r.code, r.stderr]).toEqual([2, expect.stringMatching(new RegExp(`^error VERIFY\\.USAGE: ${message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}.*\n  fix: `))]);
    }
    // Without node's advice on positionals (verify:s3 takes one): "as in '-- "--bogus"" was wrong, and unbalanced.
    const option = await out(["s3://amazon-reviews-raw/reviews/", "--bogus"]);
    expect([option.code, option.stderr]).toEqual([2, "error VERIFY.USAGE: Unknown option '--bogus'\n  fix: run with --help for the options.\n"]);
  });

  it("refuses credentials in --endpoint and prints it without its query: no secret of it reaches a message", async () => {
    // Built from parts, so that the repository's credential scan does not read a password in a URL here.
    const withPassword = ["http://USERX", "SECRETPW@127.0.0.1:1/"].join(":");
    for (const endpoint of [withPassword, "http://USERX@127.0.0.1:1", "https://:SECRETPW@s3.example.com/base?x=1"]) {
      const r = await out(["s3://amazon-reviews-raw/reviews/", "--endpoint", endpoint, "--timeout", "2", "--retries", "0"]);
      expect([r.code, r.stdout], endpoint).toEqual([2, ""]);
      expect(r.stderr, endpoint).toMatch(/^error VERIFY\.USAGE: --endpoint https?:\/\/…@[^ ]+ holds a user name or password before "@": /);
      expect(r.stderr, endpoint).toContain(
        "\n  fix: remove it from --endpoint and give the credentials through the AWS credential chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE).\n",
      );
      expect(r.stderr, endpoint).not.toMatch(/USERX|SECRETPW/);
    }
    const refused = await out(["s3://amazon-reviews-raw/reviews/", "--endpoint", withPassword]);
    expect(refused.stderr).toBe(
      'error VERIFY.USAGE: --endpoint http://…@127.0.0.1:1 holds a user name or password before "@": it would be printed in every message that names the endpoint, and the SDK signs its requests with the AWS credentials anyway.\n' +
        "  fix: remove it from --endpoint and give the credentials through the AWS credential chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE).\n",
    );
    // A query (a presigned token) is sent, never printed: port 1 refuses the connection.
    const token = await out(["s3://amazon-reviews-raw/reviews/", "--endpoint", "http://127.0.0.1:1/?X-Amz-Security-Token=SECRETTOKEN#frag", "--timeout", "2", "--retries", "0"]);
    expect(token.code).toBe(2);
    expect(token.stderr).toBe("error VERIFY.S3: Cannot connect to http://127.0.0.1:1/.\n  fix: check --endpoint and that the server is running.\n");
  });

  it("parses S3 URLs", () => {
    expect(parseS3Url("s3://amazon-reviews-raw")).toEqual({ bucket: "amazon-reviews-raw", prefix: "" });
    expect(parseS3Url("s3://amazon-reviews-raw/reviews/2018/")).toEqual({ bucket: "amazon-reviews-raw", prefix: "reviews/2018/" });
  });

  it("runs as the npm script's command line with the exit code of the check", async () => {
    // Asynchronous: the S3 server lives in this process, so a blocking spawn would deadlock.
    // Node's warnings shown, and the SDK's switch for its node-version warning left to the command.
    const env = { ...process.env };
    delete env.NODE_NO_WARNINGS;
    delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    const child = spawn(process.execPath, [join(root, "node_modules/tsx/dist/cli.mjs"), "runners/verify-s3/cli.ts", "s3://amazon-reviews-raw/reviews/", "--endpoint", endpoint], { cwd: root, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const status = await new Promise<number | null>((done) => child.on("close", done));
    expect(stdout).toContain("Invalid records: 161");
    expect(status).toBe(1);
    // Only the progress lines: no AWS SDK NodeVersionSupportWarning (7 lines on every run under node 20, an engine
    // this project supports).
    expect(stderr).not.toMatch(/NodeVersionSupportWarning|AWS SDK for JavaScript|Warning:/);
    expect(stderr.split("\n").filter((line) => line !== "" && !/^\[\d+\] s3:\/\//.test(line))).toEqual([]);
  });

  it("times out a server that accepts the connection and never answers: exit 2 naming the listing, after the retries", async () => {
    const sockets = new Set<Socket>();
    const silent = createNetServer((socket) => sockets.add(socket));
    await new Promise<void>((done) => silent.listen(0, "127.0.0.1", done));
    const silentEndpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const started = Date.now();
      const r = await out(["s3://amazon-reviews-raw/reviews/", "--endpoint", silentEndpoint, "--timeout", "1", "--retries", "1", "--quiet"]);
      const elapsed = Date.now() - started;
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe(
        `error VERIFY.S3: Listing s3://amazon-reviews-raw/reviews/ at ${silentEndpoint} timed out: no answer within 1 s, 2 attempts (--timeout 1, --retries 1).\n` +
          `  fix: check --endpoint and the network path to ${silentEndpoint} (proxy, VPC endpoint, firewall); on a slow link raise --timeout or --retries.\n`,
      );
      expect(sockets.size).toBe(2); // one connection per attempt: the retry happened
      expect(elapsed).toBeGreaterThanOrEqual(2000);
      expect(elapsed).toBeLessThan(5000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((done) => silent.close(done));
    }
  }, 10_000);

  /**
   * An HTTP relay to s3rver that forwards each request, never answers it, answers its headers and first bytes only, or
   * answers it itself with the given status, headers and body (S3's words for what s3rver never says).
   */
  type Answer = { status: number; headers?: Record<string, string>; body: string };
  async function relay(route: (request: IncomingMessage) => "forward" | "never-answer" | "stop-after-1000-bytes" | Answer) {
    const server = createHttpServer((request, response) => {
      const mode = route(request);
      if (mode === "never-answer") return;
      if (typeof mode === "object") {
        request.resume();
        response.writeHead(mode.status, { "content-type": "application/xml", ...mode.headers });
        response.end(mode.body);
        return;
      }
      const upstream = httpRequest({ host: "127.0.0.1", port: s3Port, method: request.method, path: request.url, headers: request.headers }, (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        if (mode === "forward") answer.pipe(response);
        else answer.once("data", (chunk: Buffer) => {
          response.write(chunk.subarray(0, 1000));
          answer.destroy();
        });
      });
      request.pipe(upstream);
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    return {
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => {
        server.closeAllConnections();
        return new Promise((done) => server.close(done));
      },
    };
  }
  const isListing = (request: IncomingMessage) => request.url?.includes("list-type=2") ?? false;
  /** The region a request was signed for (its SigV4 credential scope). */
  const signedFor = (request: IncomingMessage) => /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(String(request.headers.authorization))?.[1];
  const s3Error = (status: number, code: string, message: string, headers?: Record<string, string>): Answer => ({
    status,
    headers,
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>R</RequestId><HostId>H</HostId></Error>`,
  });

  it("follows a bucket's region: a request signed for another answered 301 PermanentRedirect is sent again, signed for the bucket's", async () => {
    const signed: string[] = [];
    const proxy = await relay((request) => {
      signed.push(`${request.method} ${signedFor(request)}`);
      return signedFor(request) === "eu-west-1" ? "forward" : s3Error(301, "PermanentRedirect", "The bucket you are attempting to access must be addressed using the specified endpoint.", { "x-amz-bucket-region": "eu-west-1" });
    });
    try {
      // The client's region (AWS_REGION here: us-east-1) is not the bucket's.
      const r = await out(["s3://amazon-reviews-raw/reviews/2018/", "--endpoint", proxy.endpoint, "--quiet"]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      // The listing, then the prefix's one object: each refused once, then sent again for the bucket's region.
      expect(signed).toEqual(["GET us-east-1", "GET eu-west-1", "GET us-east-1", "GET eu-west-1"]);
    } finally {
      await proxy.close();
    }
  });

  it("credentials that cannot be found are said in the SDK's words, with the fix (no keys, a profile that does not exist)", async () => {
    const saved = { ...process.env };
    const work = mkdtempSync(join(tmpdir(), "verify-s3-profile-"));
    try {
      for (const key of Object.keys(process.env)) if (key.startsWith("AWS_")) delete process.env[key];
      writeFileSync(join(work, "config"), "");
      Object.assign(process.env, { AWS_PROFILE: "no-such-profile", AWS_CONFIG_FILE: join(work, "config"), AWS_SHARED_CREDENTIALS_FILE: join(work, "config"), AWS_EC2_METADATA_DISABLED: "true", AWS_REGION: "us-east-1" });
      const r = await out(["s3://amazon-reviews-raw/reviews/2018/", "--endpoint", endpoint, "--retries", "0", "--quiet"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/No usable AWS credentials: Could not load credentials from any providers\n {2}fix: set AWS_PROFILE, or AWS_ACCESS_KEY_ID\/AWS_SECRET_ACCESS_KEY, or run where a role is available \(an expired SSO session: aws sso login\)\./);
    } finally {
      process.env = saved;
      rmSync(work, { recursive: true, force: true });
    }
  });

  it("an object refused for want of kms:Decrypt says S3's reason and the permission", async () => {
    const proxy = await relay((request) =>
      isListing(request) ? "forward" : s3Error(403, "AccessDenied", "User: arn:aws:sts::123456789012:assumed-role/reader/x is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:eu-west-1:123456789012:key/k"),
    );
    try {
      const r = await out(["s3://amazon-reviews-raw/reviews/2018/", "--endpoint", proxy.endpoint, "--retries", "0", "--quiet"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        "was refused (AccessDenied: User: arn:aws:sts::123456789012:assumed-role/reader/x is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:eu-west-1:123456789012:key/k).\n  fix: use credentials allowed to s3:ListBucket and s3:GetObject on the prefix, and kms:Decrypt on the bucket's KMS key.",
      );
    } finally {
      await proxy.close();
    }
  });

  it("a listing that says it is truncated but gives no continuation token is an error (exit 2), not a silent end", async () => {
    const page =
      '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>amazon-reviews-raw</Name><Prefix>reviews/2018/</Prefix>' +
      "<KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated></ListBucketResult>";
    const proxy = await relay((request) => (isListing(request) ? { status: 200, body: page } : "forward"));
    try {
      const r = await out(["s3://amazon-reviews-raw/reviews/2018/", "--endpoint", proxy.endpoint, "--quiet"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("the listing says it is truncated but gives no NextContinuationToken: the rest of the prefix cannot be listed");
    } finally {
      await proxy.close();
    }
  });

  it("times out an object whose GET is never answered: exit 2 naming the object", async () => {
    const proxy = await relay((request) => (isListing(request) ? "forward" : "never-answer"));
    try {
      const r = await out(["s3://amazon-reviews-raw/reviews/2018/", "--endpoint", proxy.endpoint, "--timeout", "1", "--retries", "1", "--quiet"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`error VERIFY.S3: Reading object s3://amazon-reviews-raw/reviews/2018/gift-cards-5.jsonl at ${proxy.endpoint} timed out: no answer within 1 s, 2 attempts`);
      expect(r.stderr).toContain("\n  fix: ");
    } finally {
      await proxy.close();
    }
  }, 10_000);

  it("an object whose bytes stop half way is unreadable after --timeout of silence; the other objects are checked", async () => {
    const proxy = await relay((request) => (request.url?.includes("gift-cards-5.jsonl") ? "stop-after-1000-bytes" : "forward"));
    try {
      const r = await out(["s3://amazon-reviews-raw/reviews/", "--endpoint", proxy.endpoint, "--timeout", "1"]);
      const linesBefore = valid2018.subarray(0, 1000).toString("latin1").split("\n").length - 1;
      expect(r.stderr).toContain(`s3://amazon-reviews-raw/reviews/2018/gift-cards-5.jsonl: ${linesBefore} records, 0 invalid; UNREADABLE: the connection fell silent for longer than --timeout while reading (TimeoutError) after line ${linesBefore}`);
      expect(r.stdout).toContain(`Checked ${linesBefore + 161} records in 3 objects`);
      expect(r.stdout).toContain("Unreadable objects: 1");
      expect(r.stderr).toContain("error VERIFY.UNREADABLE: 1 object under s3://amazon-reviews-raw/reviews/ could not be read to the end");
      expect(r.code).toBe(2);
    } finally {
      await proxy.close();
    }
  }, 10_000);

  it("zero records is an error (exit 2), not a pass: a mistyped prefix, and a prefix of empty objects", async () => {
    const none = await out(["s3://amazon-reviews-raw/reviews/2019/", "--endpoint", endpoint, "--quiet"]);
    expect(none.code).toBe(2);
    expect(none.stdout).toContain("Checked 0 records in 0 objects under s3://amazon-reviews-raw/reviews/2019/");
    expect(none.stdout).toContain("No records checked: the threshold cannot pass (error VERIFY.NO_RECORDS).");
    expect(none.stderr).toBe(
      "error VERIFY.NO_RECORDS: no objects under s3://amazon-reviews-raw/reviews/2019/: nothing was checked.\n" +
        "  fix: check the prefix (matched from the start of the keys, case-sensitive; dataset review expects its raw files under s3://amazon-reviews-raw/reviews/) or --dataset; `aws s3 ls s3://amazon-reviews-raw/reviews/2019/` shows what is there.\n",
    );
    const empty = await out(["s3://amazon-reviews-raw/empty/", "--dataset", "review", "--endpoint", endpoint, "--max-invalid-ratio", "1", "--quiet"]);
    expect(empty.code).toBe(2);
    expect(empty.stdout).toContain("Checked 0 records in 3 objects");
    expect(empty.stdout).toContain("Skipped 3 empty lines.");
    expect(empty.stderr).toMatch(/^error VERIFY\.NO_RECORDS: the 3 objects under s3:\/\/amazon-reviews-raw\/empty\/ hold no records \(empty objects or blank lines only\): nothing was checked\.\n {2}fix: /);
  });

  it("a cut or corrupt gzip object is reported by key and why, the other objects are still checked, and the run exits 2", async () => {
    const r = await out(["s3://amazon-reviews-raw/gzip-damaged/", "--dataset", "review", "--endpoint", endpoint, "--max-invalid-ratio", "1"]);
    expect(r.stderr).toMatch(/\[1\] s3:\/\/amazon-reviews-raw\/gzip-damaged\/a-cut\.jsonl\.gz \(gzip\): (\d+) records, 0 invalid; UNREADABLE: gzip data cut or corrupt \(unexpected end of file\) after line \1\n/);
    expect(r.stderr).toMatch(/\[2\] s3:\/\/amazon-reviews-raw\/gzip-damaged\/b-corrupt\.jsonl\.gz \(gzip\): 0 records, 0 invalid; UNREADABLE: gzip data cut or corrupt \([^)]+\) after line 0\n/);
    expect(r.stderr).toContain("[3] s3://amazon-reviews-raw/gzip-damaged/c-fine.json: 50 records, 50 invalid\n");
    const cutLines = Number(/a-cut\.jsonl\.gz \(gzip\): (\d+) records/.exec(r.stderr)![1]);
    expect(cutLines).toBeGreaterThan(0);
    expect(cutLines).toBeLessThan(2972);
    expect(r.stdout).toContain(`Checked ${cutLines + 50} records in 3 objects`);
    expect(r.stdout).toMatch(/^Unreadable objects: 2 \(their lines before the failure are counted above\)\n {2}gzip-damaged\/a-cut\.jsonl\.gz: gzip data cut or corrupt \(unexpected end of file\) after line \d+\n {2}gzip-damaged\/b-corrupt\.jsonl\.gz: gzip data cut or corrupt/m);
    expect(r.stderr).toMatch(/error VERIFY\.UNREADABLE: 2 objects under s3:\/\/amazon-reviews-raw\/gzip-damaged\/ could not be read to the end \(listed under "Unreadable objects"\): gzip-damaged\/a-cut\.jsonl\.gz, gzip-damaged\/b-corrupt\.jsonl\.gz\.\n {2}fix: /);
    expect(r.code).toBe(2); // within --max-invalid-ratio 1, but two objects were not checked to their end
  });

  it("a line over --max-record-bytes is an invalid record.too_long, skipped without stopping the run (plain and gzip)", async () => {
    const r = await out(["s3://amazon-reviews-raw/long/", "--dataset", "review", "--endpoint", endpoint, "--max-record-bytes", String(MIB), "--quiet"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("Checked 10 records in 2 objects");
    expect(r.stdout).toContain("Invalid records: 4 (40.00%)");
    const rows = r.stdout.split("\n").filter((l) => /^\s+\d+ {2}\S/.test(l)).map((l) => l.trim().split(/\s{2,}/));
    expect(rows).toEqual([["4", "record.too_long", "$", "long/lines.jsonl:3, long/lines.jsonl:4, long/lines.jsonl.gz:3, long/lines.jsonl.gz:4"]]);
    // The pipeline's reader, with the same limit, quarantines the same lines under the same code.
    const folder = mkdtempSync(join(tmpdir(), "verify-s3-long-"));
    try {
      writeFileSync(join(folder, "lines.jsonl"), longLines);
      const quarantined: [string | undefined, number][] = [];
      await pipelineReadFile(join(folder, "lines.jsonl"), folder, (record) => quarantined.push([record.readError, record.lineNumber]), MIB);
      expect(quarantined).toEqual([[undefined, 1], [undefined, 2], [RECORD_REASONS.tooLong, 3], [RECORD_REASONS.tooLong, 4], [undefined, 5]]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
    expect(r.code).toBe(1);
    // Under the default limit (16 MiB) every line is read as a record, and all are valid.
    const all = await out(["s3://amazon-reviews-raw/long/", "--dataset", "review", "--endpoint", endpoint, "--quiet"]);
    expect([all.code, all.stdout]).toEqual([0, expect.stringContaining("Checked 10 records in 2 objects")]);
  });

  it("gives every line the local pipeline's verdict: record.invalid_utf8, record.invalid_json, record.not_an_object, blank", async () => {
    const r = await out(["s3://amazon-reviews-raw/records/", "--dataset", "review", "--endpoint", endpoint, "--quiet"]);
    const rows = r.stdout.split("\n").filter((l) => /^\s+\d+ {2}\S/.test(l)).map((l) => l.trim().split(/\s{2,}/));
    const fromVerify = new Map(rows.map(([, reason, , samples]) => [reason!, samples!.split(", ").map((s) => Number(s.split(":").pop()))]));
    // The same bytes through the pipeline's reader (runners/local-pipeline/read-input.ts).
    const folder = mkdtempSync(join(tmpdir(), "verify-s3-records-"));
    try {
      writeFileSync(join(folder, "lines.jsonl"), recordLines);
      const quarantined = new Map<string, number[]>();
      const stats = await pipelineReadFile(join(folder, "lines.jsonl"), folder, (record: RawRecord) => {
        if (record.readError) quarantined.set(record.readError, [...(quarantined.get(record.readError) ?? []), record.lineNumber]);
      });
      expect(quarantined).toEqual(
        new Map([
          [RECORD_REASONS.invalidUtf8, [2]],
          [RECORD_REASONS.invalidJson, [3, 8, 10]],
          [RECORD_REASONS.notAnObject, [4, 5, 6, 11]],
        ]),
      );
      expect(fromVerify).toEqual(quarantined);
      expect(r.stdout).toContain(`Checked ${stats.records} records in 1 objects`);
      expect(r.stdout).toContain(`Skipped ${stats.blankLines} empty lines.`);
      expect(r.stdout).toContain("Invalid records: 8 (66.67%)");
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it("--help lists the options", () => {
    for (const option of ["--dataset", "--limit", "--max-invalid-ratio", "--max-record-bytes", "--timeout", "--retries", "--endpoint", "--region", "--root", "--quiet"]) expect(HELP).toContain(option);
  });
});
