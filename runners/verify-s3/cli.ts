/**
 * `npm run verify:s3 -- s3://bucket/prefix [options]`: validates the raw records under an S3 prefix against the
 * dataset's contract and reports violations by reason code and field path.
 *
 * Exit codes: 0 invalid ratio within the threshold; 1 above it; 2 usage, contract or S3 error, an object that
 * cannot be read to its end, or no records at all (a gate that checked nothing must not pass).
 */
import { constants } from "node:buffer";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { S3Client } from "@aws-sdk/client-s3";
import type { z } from "zod";
import type { Contract } from "../../generators/contract-kit/index.js";
import { findContractFiles, loadIR } from "../../generators/ir/load.js";
import type { DatasetIR } from "../../generators/ir/types.js";
import { MIN_RECORD_LIMIT_BYTES } from "../../generators/dialects/stages.js";
import { closestName, givenPath, parseArgsFix, parseArgsMessage, versionLine } from "../../generators/lib/cli-args.js";
import { ContractError } from "../../generators/lib/errors.js";
import { parseDecimalNumber, parseWholeNumber } from "../../generators/lib/numbers.js";
import { DEFAULT_MAX_RECORD_BYTES, S3RequestError, verifyPrefix, type VerifyReport } from "./verify.js";
import { RAW_OBJECT_SUFFIXES } from "../../generators/targets/terraform/emit.js";

export const DEFAULT_TIMEOUT_SECONDS = 30;
/** Retries after the first attempt: 2 gives the SDK's own default of 3 attempts. */
export const DEFAULT_RETRIES = 2;
/** Node's timers overflow past 2^31-1 ms (the timer then fires at once); a day is far enough below. */
const MAX_TIMEOUT_SECONDS = 86_400;

export const HELP = `Usage: npm run verify:s3 -- s3://bucket/prefix/ [options]

Streams every object under the prefix (JSON lines, plain or gzip) and validates each record against the
dataset's Zod contract. Prints violation counts by reason code and field path, with sample object:line places.

Options:
  --dataset <name>           Contract to validate against (default: the contract whose raw location holds the URL;
                             a URL above raw locations is refused).
  --limit <n>                Check at most n records.
  --max-invalid-ratio <r>    Largest accepted share of invalid records, 0 to 1 (default 0: any invalid record fails).
  --max-record-bytes <n>     Longest line read as a record (default ${DEFAULT_MAX_RECORD_BYTES} = ${DEFAULT_MAX_RECORD_BYTES / 2 ** 20} MiB, the pipeline's limit; at least
                             ${MIN_RECORD_LIMIT_BYTES}, as for pipeline:local); a longer one is an invalid record, record.too_long,
                             skipped without being held in memory.
  --timeout <seconds>        Longest wait of each S3 request (listing page or object): to connect, for the answer,
                             and for the next bytes while an object streams (default ${DEFAULT_TIMEOUT_SECONDS}).
  --retries <n>              Retries of a failed or timed-out request, with the SDK's exponential backoff
                             (default ${DEFAULT_RETRIES}: ${DEFAULT_RETRIES + 1} attempts). Then the run stops with exit code 2.
  --endpoint <url>           S3-compatible endpoint (path-style addressing), e.g. http://127.0.0.1:4569; no
                             user:password@ (credentials come from the AWS credential chain).
  --region <region>          AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, then us-east-1).
  --root <dir>               Repository root (default: the current directory; under npm run, the package's).
  --quiet                    No progress lines.
  -h, --help                 Show this help.
  --version                  Print the name and version of the tool.

Credentials come from the AWS SDK's default chain (environment, shared config/SSO profile, web identity in CI).

Record-level reasons, before any rule (as the pipeline's quarantine): record.invalid_utf8, record.invalid_json,
record.not_an_object, record.too_long.

Exit codes: 0 within the threshold, 1 above it, 2 error: usage, unknown dataset, S3 access or timeout, an object
that cannot be read to its end (cut or corrupt gzip: listed under "Unreadable objects", the others are still
checked), or no records under the prefix.`;

interface Writable {
  write(text: string): unknown;
}

const HELP_FIX = "run with --help for the options.";

class UsageError extends Error {
  constructor(
    message: string,
    readonly fix = HELP_FIX,
  ) {
    super(message);
  }
}

/**
 * Checks `--endpoint` and returns it as messages show it: without its query or fragment (a presigned
 * `?X-Amz-Security-Token=…` is a credential). A user name or password in it (`user:password@` before the host) is refused:
 * every message naming the endpoint would print it, and credentials belong in the AWS credential chain.
 */
export function checkEndpoint(endpoint: string): string {
  if (!/^https?:\/\/[^\s/]+/.test(endpoint)) throw new UsageError(`--endpoint "${endpoint}" must be an http(s) URL.`);
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new UsageError(`--endpoint "${endpoint}" must be an http(s) URL.`);
  }
  const shown = endpoint.replace(/[?#][^]*$/, "");
  if (url.username !== "" || url.password !== "") {
    throw new UsageError(
      `--endpoint ${url.protocol}//…@${url.host}${url.pathname === "/" ? "" : url.pathname} holds a user name or password before "@": it would be printed in every message that names the endpoint, and the SDK signs its requests with the AWS credentials anyway.`,
      "remove it from --endpoint and give the credentials through the AWS credential chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE).",
    );
  }
  return shown;
}

export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!match) throw new UsageError(`"${url}" is not an S3 URL. Write it as s3://bucket/prefix/.`);
  return { bucket: match[1]!, prefix: match[2] ?? "" };
}

/** `--<name>`'s value, written as digits (whole: digits only; otherwise an optional fraction), from `min` to `max`. */
function parseNumber(name: string, text: string | undefined, kind: "whole" | "decimal", min: number, max: number, rule: string): number | undefined {
  if (text === undefined) return undefined;
  const value = kind === "whole" ? parseWholeNumber(text, min, max) : parseDecimalNumber(text, min, max);
  if (value === undefined) throw new UsageError(`--${name} "${text}" must be ${rule}, written with digits${kind === "whole" ? " only" : ""}.`);
  return value;
}

/**
 * The contract to check against, and the prefix to list. Without --dataset the URL must lie in one dataset's raw
 * location (that location without its last slash counts as the location itself, listed with the slash, so
 * `…/reviews` does not also read `…/reviews-old/`); a URL above raw locations is refused, as its objects belong to
 * several contracts or to none. With --dataset the URL is listed as given, wherever the objects are staged.
 */
async function findContract(root: string, bucket: string, prefix: string, name: string | undefined): Promise<{ dataset: DatasetIR; schema: z.ZodType; prefix: string }> {
  const contractsDir = resolve(root, "contracts");
  const ir = await loadIR(contractsDir, root);
  const url = `s3://${bucket}/${prefix}`;
  const known = ir.datasets.map((d) => `${d.name} (${d.locations.raw})`).join(", ");
  let dataset: DatasetIR | undefined;
  let listed = prefix;
  if (name !== undefined) {
    dataset = ir.datasets.find((d) => d.name === name);
    if (!dataset) throw new UsageError(`No contract defines dataset "${name}". Known: ${known}.`, `pass --dataset ${closestName(name, ir.datasets.map((d) => d.name))}, or another of the names above.`);
  } else {
    dataset = ir.datasets.find((d) => url.startsWith(d.locations.raw) || `${url}/` === d.locations.raw);
    if (dataset) listed = dataset.locations.raw === `${url}/` ? `${prefix}/` : prefix;
    else {
      const below = ir.datasets.filter((d) => d.locations.raw.startsWith(url.endsWith("/") ? url : `${url}/`));
      if (below.length > 0) {
        throw new UsageError(
          `${url} holds the raw location${below.length === 1 ? "" : "s"} of ${below.map((d) => `${d.name} (${d.locations.raw})`).join(", ")}: its objects are not all one contract's. Check ${below.length === 1 ? "that location" : "one location at a time"}, or pass --dataset to check everything under ${url} against one contract.`,
        );
      }
      throw new UsageError(`No contract's raw location contains ${url}. Pass --dataset; known: ${known}.`);
    }
  }
  const file = findContractFiles(contractsDir).find((f) => f.split(/[\\/]/).join("/").endsWith(`/${dataset.contract.file.split("/").pop()}`));
  const module = (await import(pathToFileURL(file!).href)) as { default: Contract };
  return { dataset, schema: module.default.schema, prefix: listed };
}

function percent(part: number, whole: number): string {
  return whole === 0 ? "0%" : `${((100 * part) / whole).toFixed(2)}%`;
}

export function formatReport(report: VerifyReport, dataset: DatasetIR, maxInvalidRatio: number): string {
  const ratio = report.records === 0 ? 0 : report.invalidRecords / report.records;
  const lines = [
    `Checked ${report.records} records in ${report.objects} objects under s3://${report.bucket}/${report.prefix} against ${dataset.name} (${dataset.contract.file} ${dataset.contract.version})${report.limited ? " (stopped at --limit)" : ""}.`,
    report.records === 0
      ? "No records checked: the threshold cannot pass (error VERIFY.NO_RECORDS)."
      : `Invalid records: ${report.invalidRecords} (${percent(report.invalidRecords, report.records)}); threshold ${percent(maxInvalidRatio, 1)}: ${ratio > maxInvalidRatio ? "FAILED" : "passed"}.`,
  ];
  if (report.emptyLines > 0) lines.push(`Skipped ${report.emptyLines} empty lines.`);
  if (report.skipped.length > 0) {
    const shown = report.skipped.slice(0, 5).join(", ");
    lines.push(
      `Skipped ${report.skipped.length} object${report.skipped.length === 1 ? "" : "s"} the pipeline does not read (a suffix other than ${RAW_OBJECT_SUFFIXES.join(", ")}, or a name starting with _ or .): ${shown}${report.skipped.length > 5 ? ", …" : ""}.`,
    );
  }
  if (report.unreadable.length > 0) {
    lines.push(`Unreadable objects: ${report.unreadable.length} (their lines before the failure are counted above)`);
    for (const u of report.unreadable) lines.push(`  ${u.key}: ${u.reason}`);
  }
  if (report.reasons.length > 0) {
    lines.push("", "Violations by reason (a record counts once per reason):");
    const width = Math.max(...report.reasons.map((r) => r.reason.length), "reason".length);
    lines.push(`  ${"count".padStart(7)}  ${"reason".padEnd(width)}  field path  samples (object:line)`);
    for (const r of report.reasons) lines.push(`  ${String(r.count).padStart(7)}  ${r.reason.padEnd(width)}  ${r.path}  ${r.samples.join(", ")}`);
  }
  return `${lines.join("\n")}\n`;
}

function isTimeout(e: { name?: string; code?: string }): boolean {
  return e.name === "TimeoutError" || e.name === "RequestTimeout" || e.code === "ETIMEDOUT";
}

/** Explains a failed S3 request (after the SDK's retries) in one line naming the listing or object, plus a fix. */
function describeS3Error(failure: S3RequestError, endpoint: string | undefined, timeoutSeconds: number, retries: number): string {
  const e = (failure.cause as { name?: string; message?: string; code?: string; $metadata?: { attempts?: number } } | undefined) ?? {};
  const bucket = `s3://${failure.bucket}${endpoint ? ` at ${endpoint}` : ""}`;
  const what = `${failure.operation === "list" ? "Listing" : "Reading object"} s3://${failure.bucket}/${failure.key}${endpoint ? ` at ${endpoint}` : ""}`;
  const attempts = e.$metadata?.attempts ?? retries + 1;
  if (isTimeout(e)) {
    return `${what} timed out: no answer within ${timeoutSeconds} s, ${attempts} attempt${attempts === 1 ? "" : "s"} (--timeout ${timeoutSeconds}, --retries ${retries}).\n  fix: check --endpoint and the network path to ${endpoint ?? "S3"} (proxy, VPC endpoint, firewall); on a slow link raise --timeout or --retries.`;
  }
  switch (e.name) {
    case "NoSuchBucket":
      return `Bucket ${bucket} does not exist.\n  fix: check the bucket name in the URL (and --endpoint).`;
    case "NoSuchKey":
      return `${what} failed: the object is gone (deleted after the listing).\n  fix: run again once the uploads or moves under the prefix are over.`;
    case "AccessDenied":
      // The raw buckets are encrypted with a customer-managed KMS key: without kms:Decrypt on it, a GET is refused
      // with the same code, S3's message saying which.
      return `${what} was refused (AccessDenied: ${e.message ?? "no message"}).\n  fix: use credentials allowed to s3:ListBucket and s3:GetObject on the prefix, and kms:Decrypt on the bucket's KMS key.`;
    case "InvalidAccessKeyId":
    case "SignatureDoesNotMatch":
      return `${what} was refused (${e.name}).\n  fix: use credentials allowed to s3:ListBucket and s3:GetObject on the prefix.`;
    case "CredentialsProviderError":
      // Also an SSO session that expired, or a profile that does not exist: the SDK's message says which.
      return `No usable AWS credentials: ${e.message ?? "none found"}\n  fix: set AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run where a role is available (an expired SSO session: aws sso login).`;
    default:
      if (e.code === "ECONNREFUSED" || /ECONNREFUSED/.test(e.message ?? "")) return `Cannot connect to ${endpoint ?? "S3"}.\n  fix: check --endpoint and that the server is running.`;
      return `${what} failed: ${e.name ?? "Error"}: ${e.message ?? String(failure.cause)}\n  fix: check --endpoint, --region and the credentials; the message above is the AWS SDK's.`;
  }
}

/** The contract could not be chosen or loaded: one coded error, with a fix. */
function describeContractError(error: unknown, root: string): string {
  if (error instanceof UsageError) {
    const fix = error.fix === HELP_FIX ? "pass --dataset with one of the names above, or a URL under that dataset's raw location." : error.fix;
    return `error VERIFY.CONTRACT: ${error.message}\n  fix: ${fix}\n`;
  }
  // The contract loader's own diagnostics already say where and how to fix.
  if (error instanceof ContractError) return `error VERIFY.CONTRACT: the contracts under ${resolve(root, "contracts")} do not load:\n${error.message}\n`;
  return `error VERIFY.CONTRACT: cannot load the contracts under ${resolve(root, "contracts")}: ${(error as Error).message}\n  fix: run from the repository root or pass --root <dir>.\n`;
}

/** Zero records checked: a mistyped prefix must not pass the gate. */
function describeNoRecords(report: VerifyReport, dataset: DatasetIR): string {
  const where = `s3://${report.bucket}/${report.prefix}`;
  const what = report.objects === 0 ? `no objects under ${where}` : `the ${report.objects} object${report.objects === 1 ? "" : "s"} under ${where} hold no records (empty objects or blank lines only)`;
  return `error VERIFY.NO_RECORDS: ${what}: nothing was checked.\n  fix: check the prefix (matched from the start of the keys, case-sensitive; dataset ${dataset.name} expects its raw files under ${dataset.locations.raw}) or --dataset; \`aws s3 ls ${where}\` shows what is there.\n`;
}

function describeUnreadable(report: VerifyReport): string {
  const n = report.unreadable.length;
  // The report lists them all; the error line names a few.
  const keys = report.unreadable.slice(0, 5).map((u) => u.key).join(", ") + (n > 5 ? ` and ${n - 5} more` : "");
  return `error VERIFY.UNREADABLE: ${n} object${n === 1 ? "" : "s"} under s3://${report.bucket}/${report.prefix} could not be read to the end (listed under "Unreadable objects"): ${keys}.\n  fix: a cut or corrupt gzip is usually an interrupted upload: upload it again or move it out of the prefix (the Glue job fails on it too); after a connection failure, run again.\n`;
}

export async function main(argv: readonly string[], out: Writable = process.stdout, err: Writable = process.stderr, env = process.env): Promise<number> {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        dataset: { type: "string" },
        limit: { type: "string" },
        "max-invalid-ratio": { type: "string" },
        "max-record-bytes": { type: "string" },
        timeout: { type: "string" },
        retries: { type: "string" },
        endpoint: { type: "string" },
        region: { type: "string" },
        root: { type: "string" },
        quiet: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
        version: { type: "boolean", default: false },
      },
    }));
  } catch (error) {
    err.write(`error VERIFY.USAGE: ${parseArgsMessage(error)}\n  fix: ${parseArgsFix(error, HELP)}\n`);
    return 2;
  }
  if (values.help) {
    out.write(`${HELP}\n`);
    return 0;
  }
  if (values.version) {
    out.write(`${versionLine()}\n`);
    return 0;
  }
  let bucket: string;
  let prefix: string;
  let limit: number | undefined;
  let maxInvalidRatio: number;
  let maxRecordBytes: number;
  let timeoutSeconds: number;
  let retries: number;
  let shownEndpoint: string | undefined;
  try {
    if (positionals.length !== 1) throw new UsageError(`expected one s3://bucket/prefix argument, got ${positionals.length}.`);
    ({ bucket, prefix } = parseS3Url(positionals[0]!));
    limit = parseNumber("limit", values.limit, "whole", 1, Number.MAX_SAFE_INTEGER, "a whole number above 0");
    maxInvalidRatio = parseNumber("max-invalid-ratio", values["max-invalid-ratio"], "decimal", 0, 1, "between 0 and 1") ?? 0;
    // A record is turned into a string for JSON.parse: above V8's longest string it could never be read. The bounds
    // are pipeline:local's, whose limit this is.
    maxRecordBytes =
      parseNumber("max-record-bytes", values["max-record-bytes"], "whole", MIN_RECORD_LIMIT_BYTES, constants.MAX_STRING_LENGTH, `a whole number from ${MIN_RECORD_LIMIT_BYTES} to ${constants.MAX_STRING_LENGTH}`) ??
      DEFAULT_MAX_RECORD_BYTES;
    timeoutSeconds = parseNumber("timeout", values.timeout, "decimal", Number.MIN_VALUE, MAX_TIMEOUT_SECONDS, `a number of seconds above 0, at most ${MAX_TIMEOUT_SECONDS}`) ?? DEFAULT_TIMEOUT_SECONDS;
    retries = parseNumber("retries", values.retries, "whole", 0, 100, "a whole number from 0 to 100") ?? DEFAULT_RETRIES;
    if (values.endpoint !== undefined) shownEndpoint = checkEndpoint(values.endpoint);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    err.write(`error VERIFY.USAGE: ${error.message}\n  fix: ${error.fix}\n`);
    return 2;
  }

  const root = values.root === undefined ? process.cwd() : givenPath(values.root);
  let contract;
  try {
    contract = await findContract(root, bucket, prefix, values.dataset);
  } catch (error) {
    err.write(describeContractError(error, root));
    return 2;
  }

  const timeoutMs = Math.max(1, Math.round(timeoutSeconds * 1000));
  // Under node 20 the SDK prints a 7-line NodeVersionSupportWarning on every run (its releases after January 2027
  // need node 22), when the client is built. Node 20 is an engine this project supports (package.json "engines") and
  // the SDK is pinned, so the warning only buries the report; this is the SDK's documented switch, read from
  // process.env as the client is built, and a value the user set is kept.
  // https://github.com/aws/aws-sdk-js-v3/issues/7983
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const client = new S3Client({
    region: values.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1",
    // A bucket in another region than the one above (a region set only in the AWS profile, which this does not read,
    // or none at all) answers 301 PermanentRedirect naming its own: the SDK then sends the request again there.
    followRegionRedirects: true,
    ...(values.endpoint ? { endpoint: values.endpoint, forcePathStyle: true } : {}),
    // The SDK retries transient failures, timeouts included, with exponential backoff and jitter.
    maxAttempts: retries + 1,
    // The SDK's HTTP handler waits forever by default. One bound for each phase of a request: connecting, the
    // answer's headers (throwOnRequestTimeout makes that an error; without it the SDK only logs a warning), and
    // silence while the body streams (socketTimeout: an object whose bytes stop half way fails too). Passed as
    // options, the client builds its own NodeHttpHandler with them: no import of the handler package needed.
    requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs, throwOnRequestTimeout: true, socketTimeout: timeoutMs },
  });
  let report: VerifyReport;
  try {
    report = await verifyPrefix({
      client,
      bucket,
      prefix: contract.prefix,
      schema: contract.schema,
      dataset: contract.dataset,
      limit,
      maxRecordBytes,
      onObject: values.quiet
        ? undefined
        : (p) =>
            err.write(
              `[${p.index}] s3://${bucket}/${p.key}${p.gzip ? " (gzip)" : ""}: ${p.records} records, ${p.invalid} invalid${p.unreadable ? `; UNREADABLE: ${p.unreadable}` : ""}\n`,
            ),
    });
  } catch (error) {
    // Anything else is a bug in verify:s3 and goes to VERIFY.BUG with its stack.
    if (!(error instanceof S3RequestError)) throw error;
    err.write(`error VERIFY.S3: ${describeS3Error(error, shownEndpoint, timeoutSeconds, retries)}\n`);
    return 2;
  } finally {
    client.destroy();
  }
  out.write(formatReport(report, contract.dataset, maxInvalidRatio));
  const ratio = report.records === 0 ? 0 : report.invalidRecords / report.records;
  let code = ratio > maxInvalidRatio ? 1 : 0;
  // Errors come after the report (it says what was checked) and win over the threshold: 2, not 0 or 1.
  if (report.unreadable.length > 0) {
    err.write(describeUnreadable(report));
    code = 2;
  }
  if (report.records === 0) {
    err.write(describeNoRecords(report, contract.dataset));
    code = 2;
  }
  return code;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`error VERIFY.BUG: ${(error as Error).stack ?? String(error)}\nThis is a bug in verify:s3.\n`);
      process.exitCode = 2;
    },
  );
}
