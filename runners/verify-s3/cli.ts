/**
 * `npm run verify:s3 -- s3://bucket/prefix [options]`: validates the raw records under an S3 prefix against the
 * dataset's contract and reports violations by reason code and field path.
 *
 * Exit codes: 0 invalid ratio within the threshold; 1 above it; 2 usage, contract or S3 error.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { S3Client } from "@aws-sdk/client-s3";
import type { z } from "zod";
import type { Contract } from "../../generators/contract-kit/index.js";
import { findContractFiles, loadIR } from "../../generators/ir/load.js";
import type { DatasetIR } from "../../generators/ir/types.js";
import { verifyPrefix, type VerifyReport } from "./verify.js";

export const HELP = `Usage: npm run verify:s3 -- s3://bucket/prefix/ [options]

Streams every object under the prefix (JSON lines, plain or gzip) and validates each record against the
dataset's Zod contract. Prints violation counts by reason code and field path, with sample object:line places.

Options:
  --dataset <name>           Contract to validate against (default: the contract whose raw location holds the URL).
  --limit <n>                Check at most n records.
  --max-invalid-ratio <r>    Largest accepted share of invalid records, 0 to 1 (default 0: any invalid record fails).
  --endpoint <url>           S3-compatible endpoint (path-style addressing), e.g. http://127.0.0.1:4569.
  --region <region>          AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, then us-east-1).
  --root <dir>               Repository root (default: the current directory).
  --quiet                    No progress lines.
  -h, --help                 Show this help.

Credentials come from the AWS SDK's default chain (environment, shared config/SSO profile, web identity in CI).

Exit codes: 0 within the threshold, 1 above it, 2 error (usage, unknown dataset, S3 access).`;

interface Writable {
  write(text: string): unknown;
}

class UsageError extends Error {}

export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!match) throw new UsageError(`"${url}" is not an S3 URL. Write it as s3://bucket/prefix/.`);
  return { bucket: match[1]!, prefix: match[2] ?? "" };
}

function parseNumber(name: string, text: string | undefined, check: (n: number) => boolean, rule: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || !check(value)) throw new UsageError(`--${name} "${text}" must be ${rule}.`);
  return value;
}

async function findContract(root: string, bucket: string, prefix: string, name: string | undefined): Promise<{ dataset: DatasetIR; schema: z.ZodType }> {
  const contractsDir = resolve(root, "contracts");
  const ir = await loadIR(contractsDir, root);
  const url = `s3://${bucket}/${prefix}`;
  const dataset = name !== undefined
    ? ir.datasets.find((d) => d.name === name)
    : ir.datasets.find((d) => url.startsWith(d.locations.raw) || d.locations.raw.startsWith(url.endsWith("/") ? url : `${url}/`));
  if (!dataset) {
    const known = ir.datasets.map((d) => `${d.name} (${d.locations.raw})`).join(", ");
    throw new UsageError(name !== undefined ? `No contract defines dataset "${name}". Known: ${known}.` : `No contract's raw location contains ${url}. Pass --dataset; known: ${known}.`);
  }
  const file = findContractFiles(contractsDir).find((f) => f.split(/[\\/]/).join("/").endsWith(`/${dataset.contract.file.split("/").pop()}`));
  const module = (await import(pathToFileURL(file!).href)) as { default: Contract };
  return { dataset, schema: module.default.schema };
}

function percent(part: number, whole: number): string {
  return whole === 0 ? "0%" : `${((100 * part) / whole).toFixed(2)}%`;
}

export function formatReport(report: VerifyReport, dataset: DatasetIR, maxInvalidRatio: number): string {
  const ratio = report.records === 0 ? 0 : report.invalidRecords / report.records;
  const lines = [
    `Checked ${report.records} records in ${report.objects} objects under s3://${report.bucket}/${report.prefix} against ${dataset.name} (${dataset.contract.file} ${dataset.contract.version})${report.limited ? " (stopped at --limit)" : ""}.`,
    `Invalid records: ${report.invalidRecords} (${percent(report.invalidRecords, report.records)}); threshold ${percent(maxInvalidRatio, 1)}: ${ratio > maxInvalidRatio ? "FAILED" : "passed"}.`,
  ];
  if (report.emptyLines > 0) lines.push(`Skipped ${report.emptyLines} empty lines.`);
  if (report.records === 0) lines.push("No records found: check the prefix.");
  if (report.reasons.length > 0) {
    lines.push("", "Violations by reason (a record counts once per reason):");
    const width = Math.max(...report.reasons.map((r) => r.reason.length), "reason".length);
    lines.push(`  ${"count".padStart(7)}  ${"reason".padEnd(width)}  field path  samples (object:line)`);
    for (const r of report.reasons) lines.push(`  ${String(r.count).padStart(7)}  ${r.reason.padEnd(width)}  ${r.path}  ${r.samples.join(", ")}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Explains an S3/SDK failure in one line plus a fix. */
function describeS3Error(error: unknown, bucket: string, endpoint: string | undefined): string {
  const e = error as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const where = `s3://${bucket}${endpoint ? ` at ${endpoint}` : ""}`;
  switch (e.name) {
    case "NoSuchBucket":
      return `Bucket ${where} does not exist.\n  fix: check the bucket name in the URL (and --endpoint).`;
    case "AccessDenied":
    case "InvalidAccessKeyId":
    case "SignatureDoesNotMatch":
      return `Access to ${where} was refused (${e.name}).\n  fix: use credentials allowed to s3:ListBucket and s3:GetObject on the prefix.`;
    case "CredentialsProviderError":
      return `No AWS credentials found.\n  fix: set AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run where a role is available.`;
    default:
      if (e.code === "ECONNREFUSED" || /ECONNREFUSED/.test(e.message ?? "")) return `Cannot connect to ${endpoint ?? "S3"}.\n  fix: check --endpoint and that the server is running.`;
      return `S3 request for ${where} failed: ${e.name ?? "Error"}: ${e.message ?? String(error)}`;
  }
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
        endpoint: { type: "string" },
        region: { type: "string" },
        root: { type: "string" },
        quiet: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    err.write(`error VERIFY.USAGE: ${(error as Error).message}\n  fix: run with --help for the options.\n`);
    return 2;
  }
  if (values.help) {
    out.write(`${HELP}\n`);
    return 0;
  }
  let bucket: string;
  let prefix: string;
  let limit: number | undefined;
  let maxInvalidRatio: number;
  try {
    if (positionals.length !== 1) throw new UsageError(`expected one s3://bucket/prefix argument, got ${positionals.length}.`);
    ({ bucket, prefix } = parseS3Url(positionals[0]!));
    limit = parseNumber("limit", values.limit, (n) => Number.isInteger(n) && n > 0, "a whole number above 0");
    maxInvalidRatio = parseNumber("max-invalid-ratio", values["max-invalid-ratio"], (n) => n >= 0 && n <= 1, "between 0 and 1") ?? 0;
    if (values.endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(values.endpoint)) throw new UsageError(`--endpoint "${values.endpoint}" must be an http(s) URL.`);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    err.write(`error VERIFY.USAGE: ${error.message}\n  fix: run with --help for the options.\n`);
    return 2;
  }

  const root = resolve(values.root ?? process.cwd());
  let contract;
  try {
    contract = await findContract(root, bucket, prefix, values.dataset);
  } catch (error) {
    err.write(`error VERIFY.CONTRACT: ${(error as Error).message}\n`);
    return 2;
  }

  const client = new S3Client({
    region: values.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1",
    ...(values.endpoint ? { endpoint: values.endpoint, forcePathStyle: true } : {}),
  });
  let report: VerifyReport;
  try {
    report = await verifyPrefix({
      client,
      bucket,
      prefix,
      schema: contract.schema,
      dataset: contract.dataset,
      limit,
      onObject: values.quiet
        ? undefined
        : (p) => err.write(`[${p.index}] s3://${bucket}/${p.key}${p.gzip ? " (gzip)" : ""}: ${p.records} records, ${p.invalid} invalid\n`),
    });
  } catch (error) {
    err.write(`error VERIFY.S3: ${describeS3Error(error, bucket, values.endpoint)}\n`);
    return 2;
  } finally {
    client.destroy();
  }
  out.write(formatReport(report, contract.dataset, maxInvalidRatio));
  const ratio = report.records === 0 ? 0 : report.invalidRecords / report.records;
  return ratio > maxInvalidRatio ? 1 : 0;
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
