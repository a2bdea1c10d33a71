/**
 * No real personal value in the repository: the real review files beside it may be read, never copied in. Every
 * file of the repository (tracked and untracked, minus .gitignore'd ones; gzip files decompressed, so the samples'
 * compressed inputs too) is scanned for every `reviewerName` and `reviewerID` of the real files (6 characters or
 * more), as written there and with its HTML entities decoded.
 *
 * Values and texts are compared as runs of letters and digits (`Robin &amp; Family` → `Robin amp Family`, and
 * `Robin Family` decoded), so a value is found whatever quoting or escaping surrounds it (JSON, SQL, a comment).
 * One pass over each file's words: a word that starts a value is followed by the value's word counts, each window
 * looked up in a Set.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { constants, gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { htmlUnescapeReference } from "../../generators/dialects/execution-cases.test-helpers.js";
import { DATA_FILES, dataRecords, SHARED_DATA } from "../helpers/data.js";

const root = resolve(import.meta.dirname, "../..");
const MIN_LENGTH = 6;

const words = (text: string): string[] => text.split(/[^\p{L}\p{N}]+/u).filter((w) => w !== "");

interface RealValues {
  /** A value's words joined by one space → the value as the real file has it. */
  readonly byWords: Map<string, string>;
  readonly firstWords: Set<string>;
  readonly wordCounts: Set<number>;
}

function realValues(): RealValues {
  const byWords = new Map<string, string>();
  for (const file of readdirSync(SHARED_DATA).filter((f) => f.endsWith(".jsonl"))) {
    for (const record of dataRecords(file)) {
      const { reviewerName, reviewerID } = (record ?? {}) as Record<string, unknown>;
      for (const value of [reviewerName, reviewerID]) {
        if (typeof value !== "string" || value.length < MIN_LENGTH) continue;
        for (const form of new Set([value, htmlUnescapeReference(value)])) {
          const key = words(form).join(" ");
          if (key !== "") byWords.set(key, value);
        }
      }
    }
  }
  const keys = [...byWords.keys()].map((k) => k.split(" "));
  return { byWords, firstWords: new Set(keys.map((k) => k[0]!)), wordCounts: new Set(keys.map((k) => k.length)) };
}

/** The real values a text holds. */
function findValues(text: string, real: RealValues): string[] {
  const found = new Set<string>();
  const textWords = words(text);
  for (let i = 0; i < textWords.length; i++) {
    if (!real.firstWords.has(textWords[i]!)) continue;
    for (const count of real.wordCounts) {
      const value = real.byWords.get(textWords.slice(i, i + count).join(" "));
      if (value !== undefined) found.add(value);
    }
  }
  return [...found];
}

function repositoryFiles(): string[] {
  return execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], { cwd: root, encoding: "utf8" })
    .split("\0")
    .filter((f) => f !== "");
}

function fileText(file: string): string | undefined {
  let buffer: Buffer;
  try {
    buffer = readFileSync(join(root, file));
  } catch {
    return undefined; // deleted in the work tree but still in the index
  }
  // A cut gzip file (a sample's quirk) is read as far as it goes.
  if (file.endsWith(".gz")) buffer = gunzipSync(buffer, { finishFlush: constants.Z_SYNC_FLUSH });
  return buffer.includes(0) ? undefined : buffer.toString("utf8");
}

describe("real personal values", () => {
  const real = realValues();

  it("are read from the real files, and found in any quoting, escaped or decoded (the scan can fail)", () => {
    expect(real.byWords.size).toBeGreaterThan(500);
    const record = dataRecords(DATA_FILES.reviews2018).find((r) => String((r as { reviewerName?: unknown }).reviewerName).includes("&amp;"));
    const { reviewerName: name, reviewerID: id } = record as { reviewerName: string; reviewerID: string };
    for (const text of [`x: "${name}",`, `WHERE n = '${htmlUnescapeReference(name)}'`, `// ${name}\n`, JSON.stringify({ reviewerID: id }), `id=${id}.`]) {
      expect(findValues(text, real), text).not.toEqual([]);
    }
    // Words, not substrings: a longer token is another value.
    expect(findValues(`"${id}X"`, real)).toEqual([]);
  });

  it("are in no file of the repository", () => {
    const files = repositoryFiles();
    expect(files).toContain("samples/review/reviews-2018-a.jsonl");
    expect(files.filter((f) => f.endsWith(".gz")).length).toBeGreaterThan(0);
    const findings: string[] = [];
    for (const file of files) {
      const text = fileText(file);
      if (text !== undefined) for (const value of findValues(text, real)) findings.push(`${file}: ${JSON.stringify(value)}`);
    }
    expect(findings).toEqual([]);
  });
});
