/**
 * Lists the objects under an S3 prefix, streams each one (JSON lines, gzip detected by its magic bytes) and
 * validates every record against the dataset's Zod contract. Memory stays flat: one line at a time, and only
 * the first few sample locations per reason are kept.
 */
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import type { z } from "zod";
import type { DatasetIR } from "../../generators/ir/types.js";
import { violationOf, type ZodIssueLike } from "./reasons.js";

export const SAMPLES_PER_REASON = 5;

export interface VerifyOptions {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  readonly schema: z.ZodType;
  readonly dataset: DatasetIR;
  /** Stop after this many records (all when undefined). */
  readonly limit?: number;
  readonly onObject?: (progress: ObjectProgress) => void;
}

export interface ObjectProgress {
  readonly key: string;
  readonly index: number;
  readonly records: number;
  readonly invalid: number;
  readonly gzip: boolean;
}

export interface ReasonCount {
  readonly reason: string;
  readonly path: string;
  readonly count: number;
  /** `key:line` of the first records with this violation. */
  readonly samples: readonly string[];
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
}

async function* listKeys(client: S3Client, bucket: string, prefix: string): AsyncGenerator<string> {
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) {
      // Folder markers and Spark's `_SUCCESS`-style files carry no records.
      if (object.Key && !object.Key.endsWith("/")) yield object.Key;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/** Re-emits a stream after looking at its first bytes: gzip (1f 8b) is decompressed, anything else passes. */
async function decoded(body: Readable): Promise<{ stream: Readable; gzip: boolean }> {
  const iterator = body[Symbol.asyncIterator]();
  const first = await iterator.next();
  const head: Buffer | undefined = first.done ? undefined : Buffer.from(first.value as Uint8Array);
  const rest = Readable.from(
    (async function* () {
      if (head) yield head;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield Buffer.from(next.value as Uint8Array);
    })(),
  );
  const gzip = head !== undefined && head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  return { stream: gzip ? rest.pipe(createGunzip()) : rest, gzip };
}

export async function verifyPrefix(options: VerifyOptions): Promise<VerifyReport> {
  const { client, bucket, prefix, schema, dataset, limit } = options;
  const counts = new Map<string, { path: string; count: number; samples: string[] }>();
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

  outer: for await (const key of listKeys(client, bucket, prefix)) {
    objects++;
    const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!response.Body) throw new Error(`s3://${bucket}/${key} has no body.`);
    const { stream, gzip } = await decoded(response.Body as Readable);
    let lineNumber = 0;
    let objectRecords = 0;
    let objectInvalid = 0;
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    try {
      for await (const line of lines) {
        lineNumber++;
        if (line.trim() === "") {
          emptyLines++;
          continue;
        }
        if (limit !== undefined && records >= limit) {
          limited = true;
          break;
        }
        records++;
        objectRecords++;
        const sample = `${key}:${lineNumber}`;
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch {
          invalidRecords++;
          objectInvalid++;
          count("$.invalid_json", "$", sample);
          continue;
        }
        const result = schema.safeParse(value, { reportInput: true });
        if (result.success) continue;
        invalidRecords++;
        objectInvalid++;
        // A record counts once per reason, however many issues Zod reports for it.
        const reasons = new Map(result.error.issues.map((issue) => {
          const violation = violationOf(dataset, issue as unknown as ZodIssueLike);
          return [violation.reason, violation.path] as const;
        }));
        for (const [reason, path] of reasons) count(reason, path, sample);
      }
    } finally {
      lines.close();
      stream.destroy();
    }
    options.onObject?.({ key, index: objects, records: objectRecords, invalid: objectInvalid, gzip });
    if (limited) break outer;
  }

  const reasons = [...counts.entries()]
    .map(([reason, entry]) => ({ reason, path: entry.path, count: entry.count, samples: entry.samples }))
    .sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0));
  return { bucket, prefix, objects, records, invalidRecords, emptyLines, limited, reasons };
}
