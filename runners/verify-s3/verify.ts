/**
 * Lists the objects under an S3 prefix, streams each one (JSON lines, gzip detected by its magic bytes) and
 * validates every record against the dataset's Zod contract.
 *
 * Lines are read the way the local pipeline reads them (runners/local-pipeline/read-input.ts), so that a line gets
 * the same verdict here as in the quarantine: split on LF only, a UTF-8 byte order mark dropped from the first
 * line, one trailing CR dropped, a line of spaces, tabs and CRs only is blank; then, before any rule, a line over the
 * record limit, invalid UTF-8 (judged on the bytes), invalid JSON (`JSON.parse`) and a JSON value that is not an
 * object get the record-level codes of `RECORD_LEVEL`.
 *
 * Memory stays flat: one line at a time (a line over the limit is counted and skipped, never held), and only the
 * first few sample locations per reason are kept.
 */
import { isUtf8 } from "node:buffer";
import { pipeline, Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import type { z } from "zod";
import { MAX_RECORD_BYTES } from "../../generators/dialects/cleaning.js";
import type { DatasetIR } from "../../generators/ir/types.js";
import { ingestedName } from "../local-pipeline/read-input.js";
import { RECORD_LEVEL, violationOf, type ZodIssueLike } from "./reasons.js";

export const SAMPLES_PER_REASON = 5;
/** The pipeline's default record limit (bytes of one line, 16 MiB); a longer line is `record.too_long`. */
export const DEFAULT_MAX_RECORD_BYTES = MAX_RECORD_BYTES;

export interface VerifyOptions {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  readonly schema: z.ZodType;
  readonly dataset: DatasetIR;
  /** Stop after this many records (all when undefined). */
  readonly limit?: number;
  /** Longest line read as a record (default `DEFAULT_MAX_RECORD_BYTES`). */
  readonly maxRecordBytes?: number;
  readonly onObject?: (progress: ObjectProgress) => void;
}

export interface ObjectProgress {
  readonly key: string;
  readonly index: number;
  readonly records: number;
  readonly invalid: number;
  readonly gzip: boolean;
  /** Set when the object could not be read to its end: why. */
  readonly unreadable?: string;
}

export interface ReasonCount {
  readonly reason: string;
  readonly path: string;
  readonly count: number;
  /** `key:line` of the first records with this violation. */
  readonly samples: readonly string[];
}

/** An object whose bytes stopped before its end (cut or corrupt gzip, connection dropped or silent). */
export interface UnreadableObject {
  readonly key: string;
  /** Why, e.g. `gzip data cut or corrupt (unexpected end of file)`. */
  readonly reason: string;
  /** Complete lines read, and checked, before the failure. */
  readonly lines: number;
}

export interface VerifyReport {
  readonly bucket: string;
  readonly prefix: string;
  readonly objects: number;
  readonly records: number;
  readonly invalidRecords: number;
  readonly emptyLines: number;
  readonly limited: boolean;
  /** Sorted by count (descending), then reason. */
  readonly reasons: readonly ReasonCount[];
  /** In listing order. Their lines before the failure are counted above. */
  readonly unreadable: readonly UnreadableObject[];
  /** Objects the pipeline does not read (another suffix, or a hidden name): no verdict. */
  readonly skipped: readonly string[];
}

/**
 * An S3 request that failed after the SDK's retries: the listing of `key` (the prefix) or the GET of object `key`.
 * verifyPrefix stops on it: the caller explains it and exits 2.
 */
export class S3RequestError extends Error {
  constructor(
    readonly operation: "list" | "get",
    readonly bucket: string,
    readonly key: string,
    override readonly cause: unknown,
  ) {
    super(`${operation === "list" ? "listing" : "reading"} s3://${bucket}/${key} failed: ${(cause as Error | undefined)?.message ?? String(cause)}`);
  }
}

/**
 * The bytes of an object failed after its GET succeeded (a cut gzip, a dropped or silent connection). Kept apart
 * from other errors so that only these mark the object unreadable; anything else is a bug and is not swallowed.
 */
class ReadFailure extends Error {
  constructor(override readonly cause: unknown) {
    super((cause as Error | undefined)?.message ?? String(cause));
  }
}

/**
 * Whether the pipeline reads an object, by its name (`ingestedName`, the rule pipeline:local applies in an input
 * folder too): any other object gets no verdict here (it is listed as skipped), as it gets none in the pipeline.
 */
export function isIngested(key: string): boolean {
  return ingestedName(key.slice(key.lastIndexOf("/") + 1));
}

async function* listKeys(client: S3Client, bucket: string, prefix: string): AsyncGenerator<string> {
  let token: string | undefined;
  do {
    let page;
    try {
      page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    } catch (error) {
      throw new S3RequestError("list", bucket, prefix, error);
    }
    for (const object of page.Contents ?? []) {
      if (object.Key && !object.Key.endsWith("/")) yield object.Key;
    }
    // A page that says more follows but gives no token to ask for it (S3 always gives one; another server may not)
    // would end the listing silently, the rest of the prefix unchecked.
    if (page.IsTruncated && !page.NextContinuationToken) {
      throw new S3RequestError("list", bucket, prefix, new Error("the listing says it is truncated but gives no NextContinuationToken: the rest of the prefix cannot be listed"));
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/** Without copying when it already is a Buffer (the SDK's Node body yields Buffers). */
function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** Any failure of the stream, wrapped as a ReadFailure. */
async function* guarded(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of chunks) yield chunk;
  } catch (error) {
    throw new ReadFailure(error);
  }
}

/** The object's bytes, decompressed when they start with gzip's magic bytes (1f 8b), whatever the key's suffix. */
async function openBody(body: Readable): Promise<{ chunks: AsyncIterable<Buffer>; gzip: boolean }> {
  const iterator = body[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  const head: Buffer[] = [];
  let headLength = 0;
  let ended = false;
  try {
    // Two bytes decide; a first chunk of one byte is legal.
    while (headLength < 2 && !ended) {
      const next = await iterator.next();
      if (next.done) ended = true;
      else {
        head.push(asBuffer(next.value));
        headLength += next.value.byteLength;
      }
    }
  } catch (error) {
    throw new ReadFailure(error);
  }
  const raw = (async function* () {
    yield* head;
    if (!ended) for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield asBuffer(next.value);
  })();
  const first = Buffer.concat(head);
  const gzip = first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
  // pipeline rather than pipe: a body that fails half way then fails the gunzip stream too, instead of leaving it
  // waiting for bytes forever. Its errors reach us through the iteration; the callback has nothing left to do.
  const chunks = gzip ? pipeline(Readable.from(raw, { objectMode: false }), createGunzip(), () => {}) : raw;
  return { chunks: guarded(chunks), gzip };
}

/** One line's bytes (LF removed), or only its length when it was over the limit and skipped. */
type ByteLine = { readonly bytes: Buffer; readonly tooLong?: undefined } | { readonly bytes?: undefined; readonly tooLong: number };

/**
 * Lines of a byte stream, split on LF only, like the pipeline (a lone CR does not end a line). The unfinished
 * line's pieces are kept in a list and joined once, when its LF arrives. As soon as the line grows past `maxBytes`
 * its pieces are dropped and the rest is only counted up to the next LF: a 1 GB line costs no more memory than a
 * short one, and never reaches V8's string length limit (the RangeError a whole-line reader dies of).
 * A stream error is thrown to the caller, and the unfinished line before it is dropped: it is a fragment of the
 * cut, not a record.
 */
async function* byteLines(chunks: AsyncIterable<Buffer>, maxBytes: number): AsyncGenerator<ByteLine> {
  let parts: Buffer[] = [];
  let length = 0;
  let skipping = false;
  const add = (piece: Buffer) => {
    length += piece.length;
    if (skipping) return;
    if (length > maxBytes) {
      skipping = true;
      parts = [];
    } else parts.push(piece);
  };
  const take = (): ByteLine => {
    const line: ByteLine = skipping ? { tooLong: length } : { bytes: parts.length === 1 ? parts[0]! : Buffer.concat(parts, length) };
    parts = [];
    length = 0;
    skipping = false;
    return line;
  };
  for await (const chunk of chunks) {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      add(chunk.subarray(start, nl));
      yield take();
      start = nl + 1;
    }
    // A tail is copied: a view would keep its whole chunk alive while the line goes on.
    if (start < chunk.length) add(start === 0 ? chunk : Buffer.from(chunk.subarray(start)));
  }
  // A last line without a LF is still a line (the pipeline reads it too).
  if (length > 0) yield take();
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

type Verdict = { readonly kind: "blank" } | { readonly kind: "rejected"; readonly reason: string } | { readonly kind: "record"; readonly value: object };

/** The pipeline's reading of one line, in its order (read-input.ts: `readFile`, `emitLine`, `lineRecord`, `classify`). */
function judgeLine(line: ByteLine): Verdict {
  if (line.tooLong !== undefined) return { kind: "rejected", reason: RECORD_LEVEL.tooLong };
  let bytes = line.bytes;
  // On any line, as the pipeline and the Glue clean job: a BOM opens the file, or a later line of files concatenated.
  if (bytes.subarray(0, 3).equals(BOM)) bytes = bytes.subarray(3);
  if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, bytes.length - 1);
  // Not String.trim(): it also strips U+00A0, U+2028 and more, which JSON.parse (and so the pipeline) refuses.
  if (bytes.every((b) => b === 0x20 || b === 0x09 || b === 0x0d)) return { kind: "blank" };
  // On the bytes: decoding first would turn them into U+FFFD and let the record pass.
  if (!isUtf8(bytes)) return { kind: "rejected", reason: RECORD_LEVEL.invalidUtf8 };
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString("utf8"));
  } catch {
    return { kind: "rejected", reason: RECORD_LEVEL.invalidJson };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return { kind: "rejected", reason: RECORD_LEVEL.notAnObject };
  return { kind: "record", value };
}

/** Why an object's bytes stopped, in words a reader of the report can act on. */
function describeReadFailure(failure: ReadFailure): string {
  const cause = failure.cause as { name?: string; code?: string; message?: string } | undefined;
  // zlib's errors carry Z_* codes: Z_BUF_ERROR "unexpected end of file" for a cut file, Z_DATA_ERROR for corrupt data.
  if (typeof cause?.code === "string" && cause.code.startsWith("Z_")) return `gzip data cut or corrupt (${cause.message})`;
  // The client's socketTimeout (--timeout): the server stopped sending in the middle of the object.
  if (cause?.name === "TimeoutError") return "the connection fell silent for longer than --timeout while reading (TimeoutError)";
  return `the connection failed while reading (${cause?.name ?? "Error"}: ${cause?.message ?? String(failure.cause)})`;
}

export async function verifyPrefix(options: VerifyOptions): Promise<VerifyReport> {
  const { client, bucket, prefix, schema, dataset, limit } = options;
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const counts = new Map<string, { path: string; count: number; samples: string[] }>();
  const unreadable: UnreadableObject[] = [];
  const skipped: string[] = [];
  let objects = 0;
  let records = 0;
  let invalidRecords = 0;
  let emptyLines = 0;
  let limited = false;

  const count = (reason: string, path: string, sample: string) => {
    const entry = counts.get(reason) ?? { path, count: 0, samples: [] };
    entry.count++;
    if (entry.samples.length < SAMPLES_PER_REASON) entry.samples.push(sample);
    counts.set(reason, entry);
  };

  /** Reason → field path of every violation of one line; empty for a valid record. A record counts once per reason. */
  const violations = (verdict: Verdict): Map<string, string> => {
    if (verdict.kind === "rejected") return new Map([[verdict.reason, "$"]]);
    if (verdict.kind === "blank") return new Map();
    const result = schema.safeParse(verdict.value, { reportInput: true });
    if (result.success) return new Map();
    return new Map(result.error.issues.map((issue) => {
      const violation = violationOf(dataset, issue as unknown as ZodIssueLike);
      return [violation.reason, violation.path] as const;
    }));
  };

  for await (const key of listKeys(client, bucket, prefix)) {
    if (!isIngested(key)) {
      skipped.push(key);
      continue;
    }
    objects++;
    let response;
    try {
      response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    } catch (error) {
      throw new S3RequestError("get", bucket, key, error);
    }
    const body = response.Body as Readable | undefined;
    let lineNumber = 0;
    let objectRecords = 0;
    let objectInvalid = 0;
    let gzip = false;
    let failure: string | undefined;
    try {
      const opened = await openBody(body ?? Readable.from([]));
      gzip = opened.gzip;
      for await (const line of byteLines(opened.chunks, maxRecordBytes)) {
        lineNumber++;
        const verdict = judgeLine(line);
        if (verdict.kind === "blank") {
          emptyLines++;
          continue;
        }
        if (limit !== undefined && records >= limit) {
          limited = true;
          break;
        }
        records++;
        objectRecords++;
        const reasons = violations(verdict);
        if (reasons.size === 0) continue;
        invalidRecords++;
        objectInvalid++;
        for (const [reason, path] of reasons) count(reason, path, `${key}:${lineNumber}`);
      }
    } catch (error) {
      if (!(error instanceof ReadFailure)) throw error;
      // The object is reported and the run goes on: one bad upload should not hide the state of the others.
      failure = `${describeReadFailure(error)} after line ${lineNumber}`;
      unreadable.push({ key, reason: failure, lines: lineNumber });
    } finally {
      // Frees the connection, also when --limit or a failure stopped the reading half way.
      body?.destroy();
    }
    options.onObject?.({ key, index: objects, records: objectRecords, invalid: objectInvalid, gzip, ...(failure ? { unreadable: failure } : {}) });
    if (limited) break;
  }

  const reasons = [...counts.entries()]
    .map(([reason, entry]) => ({ reason, path: entry.path, count: entry.count, samples: entry.samples }))
    .sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0));
  return { bucket, prefix, objects, records, invalidRecords, emptyLines, limited, reasons, unreadable, skipped };
}
