/**
 * Reads raw input files into records, losing nothing: every line of every file is either a record (read, or to be
 * quarantined with a record-level reason) or counted as blank.
 *
 * Shapes handled: JSON lines; gzip (detected by its magic bytes, not the name); CRLF; a UTF-8 byte order mark; a
 * file holding one JSON array (each element is a record); a truncated last line (invalid JSON); invalid UTF-8
 * (quarantined with the exact bytes in base64); an empty file. JSON validity is JavaScript's `JSON.parse`, the
 * parser Zod's users feed: DuckDB's parser also accepts `NaN` and trailing commas, so it is not the judge.
 *
 * Plain JSON-lines files (`plainJsonLines`) are read by DuckDB itself, much faster; the lines DuckDB could judge
 * differently from `JSON.parse` are found while the file's bytes are checked (`SUSPICIOUS_JSON`), then classified
 * here one by one (`classify`).
 */
import { closeSync, createReadStream, openSync, readdirSync, readSync, realpathSync, statSync, type Stats } from "node:fs";
import { isUtf8 } from "node:buffer";
import { join, relative, resolve, sep } from "node:path";
import { createGunzip } from "node:zlib";
import type { Readable } from "node:stream";
import { MAX_RECORD_BYTES, RECORD_REASONS } from "../../generators/dialects/cleaning.js";
import { QUARANTINE_PREVIEW_BYTES, QUARANTINE_PREVIEW_MARK } from "../../generators/dialects/stages.js";
import { RAW_OBJECT_SUFFIXES } from "../../generators/targets/terraform/emit.js";

export interface RawRecord {
  /** Source file, relative to the input root given on the command line (`/` separators). */
  readonly sourceFile: string;
  /** 1-based line number, or element number for a JSON array file. */
  readonly lineNumber: number;
  readonly raw: string;
  /** A record-level reason code, or undefined when the record is a JSON object. */
  readonly readError?: string;
  /** The exact bytes, when they are not valid UTF-8. */
  readonly rawBase64?: string;
}

export interface FileStats {
  readonly file: string;
  format: "json-lines" | "json-array";
  readonly gzip: boolean;
  lines: number;
  records: number;
  blankLines: number;
  bytes: number;
  /** Why reading stopped early (a cut or corrupt gzip file); the lines before it were read. */
  error?: string;
}

/**
 * Whether Spark (and so the Glue clean job) skips a file of this name as hidden: one starting with `_` or `.`. This
 * command skips such files in a folder, refuses one named on its own, and verify:s3 gives them no verdict.
 */
export function hiddenFromSpark(name: string): boolean {
  return name.startsWith("_") || name.startsWith(".");
}

/**
 * Whether the platform ingests a file of this name: in AWS the raw bucket's event rule starts a run only for objects
 * whose keys end in one of `RAW_OBJECT_SUFFIXES` (`.json`, `.jsonl`, and either gzip-compressed), and Spark skips a
 * name starting with `_` or `.` as hidden. In an input folder, this command reads only such files; verify:s3 gives a
 * verdict only on such objects.
 */
export function ingestedName(name: string): boolean {
  return !hiddenFromSpark(name) && RAW_OBJECT_SUFFIXES.some((suffix) => name.endsWith(suffix));
}

/** An entry of an input folder that is not read, and why. */
export interface SkippedEntry {
  readonly path: string;
  /** `special`: a FIFO, socket or device; `unreadable`: a broken link, a link loop, no permission; `seen`: a folder
   * whose real path was already read (a link to it, or to a folder holding it); `not-ingested`: a file whose name the
   * platform does not ingest (`ingestedName`: `readme.txt`). */
  readonly kind: "special" | "unreadable" | "seen" | "not-ingested";
  /** A sentence that follows the path: `… is not a regular file (a FIFO, socket or device): not read`. */
  readonly reason: string;
}

/**
 * Files of an input: the file itself (whatever its name), or every regular file under a directory whose name the
 * platform ingests (sorted; hidden and `_` files skipped silently, as Spark skips them; other names, `readme.txt`,
 * listed in `skipped`: in AWS they would not start a run). Anything else (a FIFO, a socket, a device) is never opened: reading a FIFO would wait forever. An entry
 * that cannot be looked at (a broken link, a link loop, no permission) is not read either, and a folder whose real
 * path was already walked (a link to it, or a link back up: `sub/loop -> ..`) is not walked again: its files would
 * be read twice, or forever. Each is listed in `skipped`, for the caller to report.
 */
export function listInputFiles(input: string): { root: string; files: string[]; skipped: SkippedEntry[] } {
  const stat = statSync(input);
  if (stat.isFile()) return { root: join(input, ".."), files: [input], skipped: [] };
  if (!stat.isDirectory()) return { root: join(input, ".."), files: [], skipped: [{ path: input, kind: "special", reason: NOT_REGULAR }] };
  const files: string[] = [];
  const skipped: SkippedEntry[] = [];
  const unreadable = (path: string, error: unknown) =>
    skipped.push({ path, kind: "unreadable", reason: `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}: a broken link, a link loop or no permission): not read` });
  const walked = new Set<string>([realpathSync(input)]);
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (error) {
      unreadable(dir, error);
      return;
    }
    for (const name of names) {
      if (hiddenFromSpark(name)) continue;
      const path = join(dir, name);
      let entry: Stats;
      let real: string;
      try {
        entry = statSync(path);
        real = realpathSync(path);
      } catch (error) {
        unreadable(path, error);
        continue;
      }
      if (entry.isDirectory()) {
        if (walked.has(real)) {
          skipped.push({ path, kind: "seen", reason: `is the folder ${real}, which this input already reads (a link to it, or to a folder holding it): not read again` });
          continue;
        }
        walked.add(real);
        walk(path);
      } else if (!entry.isFile()) skipped.push({ path, kind: "special", reason: NOT_REGULAR });
      else if (ingestedName(name)) files.push(path);
      else skipped.push({ path, kind: "not-ingested", reason: NOT_INGESTED });
    }
  };
  walk(input);
  return { root: input, files, skipped };
}

const NOT_REGULAR = "is not a regular file (a FIFO, socket or device): not read";
const NOT_INGESTED = `has a name the platform does not ingest (in AWS only objects whose names end in ${RAW_OBJECT_SUFFIXES.join(", ")} start a run): not read`;

/** An input's files (`listInputFiles`) with the root their names are taken from (`sourceFileName`). */
export interface ListedInput {
  /** The root each file is named from: the input's own, or the inputs' common folder (`listDatasetInputs`). */
  readonly root: string;
  /** The input's own root: the folder given, or the folder of the file given. */
  readonly inputRoot: string;
  readonly files: readonly string[];
  readonly skipped: readonly SkippedEntry[];
}

/**
 * The files of one dataset's inputs. Each file is named from its input's root (`reviews.jsonl`), as one input's
 * files always are; when two inputs hold files of the same relative name (`--input review=a/ --input review=b/`, each
 * with an `x.jsonl`), every file of the dataset is named from the inputs' common folder instead (`a/x.jsonl`,
 * `b/x.jsonl`), so the run summary and the cleaned zone's lineage tell them apart. (The command refuses an input
 * given twice, or one inside another of its dataset: their files would be read twice.)
 */
export function listDatasetInputs(inputs: readonly string[]): ListedInput[] {
  const listed = inputs.map((input) => {
    const { root, files, skipped } = listInputFiles(input);
    return { root, inputRoot: root, files, skipped };
  });
  const names = listed.flatMap(({ root, files }) => files.map((file) => sourceFileName(file, root)));
  if (new Set(names).size === names.length) return listed;
  const common = commonFolder(listed.map(({ root }) => resolve(root)));
  return listed.map((input) => ({ ...input, root: common }));
}

/** The deepest folder holding every one of `folders` (absolute paths). */
function commonFolder(folders: readonly string[]): string {
  const split = folders.map((folder) => folder.split(sep));
  const first = split[0]!;
  let depth = 0;
  while (depth < first.length && split.every((parts) => parts[depth] === first[depth])) depth++;
  return first.slice(0, depth).join(sep) || sep;
}

const GZIP_MAGIC = [0x1f, 0x8b];
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

function isGzip(path: string): boolean {
  const head = Buffer.alloc(2);
  const fd = openSync(path, "r");
  try {
    readSync(fd, head, 0, 2, 0);
  } finally {
    closeSync(fd);
  }
  return head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
}

/** A record-level reason code for a line's text (JavaScript's `JSON.parse` is the judge), or undefined for an object. */
export function classify(text: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return RECORD_REASONS.invalidJson;
  }
  return value !== null && typeof value === "object" && !Array.isArray(value) ? undefined : RECORD_REASONS.notAnObject;
}

function lineRecord(bytes: Buffer, sourceFile: string, lineNumber: number): RawRecord {
  if (!isUtf8(bytes)) {
    return { sourceFile, lineNumber, raw: bytes.toString("utf8"), readError: RECORD_REASONS.invalidUtf8, rawBase64: bytes.toString("base64") };
  }
  const raw = bytes.toString("utf8");
  const readError = classify(raw);
  return readError ? { sourceFile, lineNumber, raw, readError } : { sourceFile, lineNumber, raw };
}

/** Default longest record (bytes of one line) the reader holds; a longer one is quarantined as `record.too_long`. */
export const DEFAULT_MAX_RECORD_BYTES = MAX_RECORD_BYTES;

/** A line of a byte stream, or what is left of one that was longer than the limit. */
interface ByteLine {
  readonly bytes: Buffer;
  /** Set when the line was longer than the limit: its full length; `bytes` holds only its first bytes. */
  readonly tooLong?: number;
}

/**
 * Lines of a byte stream. A stream that fails (a cut gzip file) ends there: `onError` hears why. Linear in the
 * input: the unfinished line's chunks are kept in a list and joined once, when its end arrives (joining them at every
 * chunk made one long line quadratic). A line longer than `maxBytes` is not held: its first bytes are kept and the
 * rest is skipped up to the next newline.
 */
async function* byteLines(stream: Readable, onError: (error: Error) => void, maxBytes: number): AsyncGenerator<ByteLine> {
  let parts: Buffer[] = []; // pieces of the unfinished line (none while skipping an over-long one)
  let length = 0; // its bytes so far
  let prefix: Buffer | undefined; // while skipping an over-long line: its first bytes
  const add = (piece: Buffer) => {
    length += piece.length;
    if (prefix) return;
    parts.push(piece);
    if (length > maxBytes) {
      prefix = Buffer.from(Buffer.concat(parts).subarray(0, QUARANTINE_PREVIEW_BYTES));
      parts = [];
    }
  };
  const take = (): ByteLine => {
    const line: ByteLine = prefix ? { bytes: prefix, tooLong: length } : { bytes: parts.length === 1 ? parts[0]! : Buffer.concat(parts, length) };
    parts = [];
    length = 0;
    prefix = undefined;
    return line;
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      for (let nl = chunk.indexOf(0x0a, start); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
        add(chunk.subarray(start, nl));
        yield take();
        start = nl + 1;
      }
      if (start < chunk.length) add(Buffer.from(chunk.subarray(start)));
    }
  } catch (error) {
    onError(error as Error);
  }
  // A last line without a newline is still a line (often truncated: then it is quarantined as invalid JSON).
  if (length > 0) yield take();
}

function openStream(path: string, gzip: boolean): Readable {
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  return gzip ? file.pipe(createGunzip()) : file;
}

/**
 * Largest JSON array file read as one array, in record limits (`maxRecordBytes`): 64 MiB at the default. A file whose
 * first line starts with `[` is held while it may be one array; past this size it is read line by line instead.
 */
export const ARRAY_FILE_RECORDS = 4;

/** Reads one file; `emit` receives each record. Returns the file's line accounting. */
export async function readFile(path: string, root: string, emit: (record: RawRecord) => void, maxRecordBytes = DEFAULT_MAX_RECORD_BYTES): Promise<FileStats> {
  const sourceFile = sourceFileName(path, root);
  const gzip = isGzip(path);
  const stats: FileStats = { file: sourceFile, format: "json-lines", gzip, lines: 0, records: 0, blankLines: 0, bytes: statSync(path).size };
  // While the file may be one JSON array: its lines so far, and their bytes with a newline each.
  const lines: ByteLine[] = [];
  let heldBytes = 0;
  let arrayCandidate: boolean | undefined;
  const onError = (error: Error) => {
    stats.error = `reading stopped after ${stats.lines} lines: ${error.message}`;
  };
  // Not one JSON array (lines that happen to start with "[", or too big to hold): every held line on its own, numbered
  // after the blank lines before them.
  const releaseHeld = () => {
    stats.lines -= lines.length;
    for (const line of lines) {
      stats.lines++;
      emitLine(line, stats, sourceFile, emit, maxRecordBytes);
    }
    lines.length = 0;
    heldBytes = 0;
  };
  for await (const read of byteLines(openStream(path, gzip), onError, maxRecordBytes)) {
    stats.lines++;
    let line = read.bytes;
    // A byte order mark opens the file, or a later line of files concatenated: dropped on any line, as the Glue
    // clean job drops it (Spark's reader leaves it on the line; the job's parse skips it).
    if (line.subarray(0, 3).equals(BOM)) line = line.subarray(3);
    if (read.tooLong === undefined && line.length && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
    const current: ByteLine = read.tooLong === undefined ? { bytes: line } : { bytes: line, tooLong: read.tooLong };
    if (arrayCandidate === undefined) {
      const first = line.toString("latin1").trimStart()[0];
      if (first !== undefined) arrayCandidate = first === "[" && read.tooLong === undefined;
    }
    if (arrayCandidate) {
      // Held while the whole file may be one JSON array, up to `ARRAY_FILE_RECORDS` times the record limit: a longer
      // file, or one with a line over the limit, is not read as one array (below), so the lines held so far go on
      // their own at once and the rest of the file streams line by line (holding it all took 3 GB for 1.27 GB).
      lines.push(current);
      heldBytes += current.bytes.length + 1;
      if (current.tooLong === undefined && heldBytes <= maxRecordBytes * ARRAY_FILE_RECORDS) continue;
      arrayCandidate = false;
      releaseHeld();
      continue;
    }
    emitLine(current, stats, sourceFile, emit, maxRecordBytes);
  }
  if (arrayCandidate) {
    // Every held line is within the limit, and all of them within `ARRAY_FILE_RECORDS` limits (else they were released).
    const whole = Buffer.concat(lines.flatMap((l, i) => (i ? [Buffer.from("\n"), l.bytes] : [l.bytes])));
    const array = isUtf8(whole) ? splitJsonArray(whole.toString("utf8")) : undefined;
    if (array) {
      stats.format = "json-array";
      array.elements.forEach((text, i) => {
        stats.records++;
        let element: unknown;
        try {
          element = JSON.parse(text);
        } catch {
          emit({ sourceFile, lineNumber: i + 1, raw: text, readError: RECORD_REASONS.invalidJson });
          return;
        }
        const raw = JSON.stringify(element);
        const isObject = element !== null && typeof element === "object" && !Array.isArray(element);
        emit(isObject ? { sourceFile, lineNumber: i + 1, raw } : { sourceFile, lineNumber: i + 1, raw, readError: RECORD_REASONS.notAnObject });
      });
      if (array.cut !== undefined) {
        // An interrupted upload: the complete elements are records; the cut one is quarantined as truncated.
        if (array.cut) {
          stats.records++;
          emit({ sourceFile, lineNumber: array.elements.length + 1, raw: array.cut, readError: RECORD_REASONS.truncated });
        }
        stats.error ??= `the JSON array is cut off after ${array.elements.length} complete elements${array.cut ? `; the cut element is quarantined (${RECORD_REASONS.truncated})` : ""}`;
      }
    } else releaseHeld();
  }
  return stats;
}

/**
 * The top-level elements of a JSON array text, as texts, and the unfinished last element when the text ends inside
 * the array (a cut upload). Undefined when the text is not one array: something other than white space before `[`
 * or after the closing `]`. Elements are not validated here (each is parsed on its own).
 */
export function splitJsonArray(text: string): { elements: string[]; cut?: string } | undefined {
  let i = 0;
  const space = (c: string | undefined) => c === " " || c === "\t" || c === "\n" || c === "\r";
  while (space(text[i])) i++;
  if (text[i] !== "[") return undefined;
  i++;
  const elements: string[] = [];
  let depth = 0;
  let inString = false;
  let start = i;
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "[" || c === "{") depth++;
    else if (c === "]" || c === "}") {
      if (depth === 0) {
        if (c !== "]") return undefined;
        const last = text.slice(start, i).trim();
        if (last || elements.length) elements.push(last);
        for (i++; i < text.length; i++) if (!space(text[i])) return undefined;
        return { elements };
      }
      depth--;
    } else if (c === "," && depth === 0) {
      elements.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  // The text ended inside the array.
  const cut = text.slice(start).trim();
  return cut ? { elements, cut } : { elements, cut: "" };
}

function emitLine(line: ByteLine, stats: FileStats, sourceFile: string, emit: (record: RawRecord) => void, maxRecordBytes: number): void {
  if (line.tooLong !== undefined) {
    stats.records++;
    emit({
      sourceFile,
      lineNumber: stats.lines,
      raw: `${line.bytes.toString("utf8")}${QUARANTINE_PREVIEW_MARK}`,
      readError: RECORD_REASONS.tooLong,
      rawBase64: undefined,
    });
    stats.error ??= `line ${stats.lines} has ${line.tooLong} bytes, over the ${maxRecordBytes}-byte record limit: quarantined (${RECORD_REASONS.tooLong}) with its first ${QUARANTINE_PREVIEW_BYTES} bytes`;
    return;
  }
  const bytes = line.bytes;
  if (bytes.every((b) => b === 0x20 || b === 0x09 || b === 0x0d)) {
    stats.blankLines++;
    return;
  }
  stats.records++;
  emit(lineRecord(bytes, sourceFile, stats.lines));
}

export interface PlainFile {
  readonly stats: FileStats;
  /** Σ (byte length × line number) mod `PLAIN_CHECKSUM_MODULUS`: DuckDB's numbering of the lines must give it too. */
  readonly checksum: number;
  /** Numbers (1-based, ascending) of the lines `SUSPICIOUS_JSON` matches: DuckDB's JSON verdict on them is not final. */
  readonly suspects: readonly number[];
  /** Bytes of its longest line. */
  readonly longest: number;
}

/** Small enough that (length mod m) × (line mod m) is exact in a double. */
export const PLAIN_CHECKSUM_MODULUS = 1_000_003;

/** Longest line a plain file may hold (DuckDB's CSV reader refuses lines over its max_line_size, 2 MB by default). */
const PLAIN_MAX_LINE = 1 << 20;
const PLAIN_CHUNK = 16 << 20;

/** A file's name in the records and the run summary: its path from the input's root, with forward slashes. */
export function sourceFileName(path: string, root: string): string {
  return relative(root, path).split(sep).join("/");
}

/** Characters DuckDB would read as a glob pattern in a path: a file whose path holds one is not read by DuckDB. */
const GLOB_CHARACTER = /[*?[{]/;

/** Bytes `mayBePlainJsonLines` looks at. */
const PLAIN_PREFIX = 64 << 10;

/**
 * Whether a file may be plain (`plainJsonLines`), from its path and its first 64 KiB alone: no glob character in the
 * path, `{` first, no CR, NUL or U+0001 byte. A file that passes may still not be plain (only `plainJsonLines`, which
 * reads it all, can tell); one that fails is certainly not, so DuckDB need not start reading it.
 */
export function mayBePlainJsonLines(path: string): boolean {
  if (GLOB_CHARACTER.test(path)) return false;
  const fd = openSync(path, "r");
  try {
    const prefix = Buffer.allocUnsafe(PLAIN_PREFIX);
    const n = readSync(fd, prefix, 0, PLAIN_PREFIX, 0);
    const head = prefix.subarray(0, n);
    return n > 0 && head[0] === 0x7b && !head.includes(0x0d) && !head.includes(0x00) && !head.includes(0x01);
  } finally {
    closeSync(fd);
  }
}

/**
 * A file DuckDB may read line by line itself, with nothing to undo or account for: it starts with `{` (so no gzip,
 * byte order mark or JSON array), is valid UTF-8, has LF line ends only (no CR byte), no NUL or U+0001 byte (the
 * column delimiter DuckDB is given), no blank line, no line starting with whitespace or a byte order mark, and no
 * line over 1 MiB or over `maxRecordBytes` (a longer line is quarantined as too long: `readFile` does that); and its
 * path holds no character DuckDB would read as a glob pattern (`*`, `?`, `[`, `{`).
 * Returns its line accounting, a checksum of its line lengths by line number (`PLAIN_CHECKSUM_MODULUS`), the
 * lines `SUSPICIOUS_JSON` matches and its longest line's length, or undefined when any of this does not hold (then `readFile` reads it).
 */
export function plainJsonLines(path: string, root: string, maxRecordBytes = DEFAULT_MAX_RECORD_BYTES): PlainFile | undefined {
  if (GLOB_CHARACTER.test(path)) return undefined;
  const maxLine = Math.min(PLAIN_MAX_LINE, maxRecordBytes);
  const fd = openSync(path, "r");
  try {
    const chunk = Buffer.allocUnsafe(PLAIN_CHUNK);
    let carry = 0;
    let position = 0;
    let lines = 0;
    let checksum = 0;
    let longest = 0;
    const suspects: number[] = [];
    const m = PLAIN_CHECKSUM_MODULUS;
    for (;;) {
      const n = readSync(fd, chunk, carry, PLAIN_CHUNK - carry, position);
      position += n;
      const end = carry + n;
      if (end === 0) break;
      if (position === n && chunk[0] !== 0x7b) return undefined;
      // Whole lines only (a chunk may end inside a multi-byte character); at the end of the file, the rest.
      const last = n === 0 ? end : chunk.lastIndexOf(0x0a, end - 1) + 1;
      if (last === 0) {
        if (end > maxLine) return undefined;
        carry = end;
        continue;
      }
      const block = chunk.subarray(0, last);
      if (block.includes(0x0d) || block.includes(0x00) || block.includes(0x01) || !isUtf8(block)) return undefined;
      // `SUSPICIOUS_JSON` is searched (`nextSuspicious`) in windows of whole lines (`SUSPICIOUS_WINDOW`), one character
      // per byte: the pattern is ASCII, so its matches are at the same offsets as in the bytes.
      let search = suspiciousSearch("");
      let windowStart = 0;
      let windowEnd = 0;
      let suspect = Infinity;
      for (let start = 0; start < last; ) {
        let nl = block.indexOf(0x0a, start);
        if (nl === -1) nl = last;
        if (start >= windowEnd) {
          windowStart = start;
          windowEnd = Math.min(last, Math.max(nl + 1, block.lastIndexOf(0x0a, start + SUSPICIOUS_WINDOW) + 1));
          search = suspiciousSearch(block.toString("latin1", windowStart, windowEnd));
          suspect = windowStart + search(0);
        }
        const length = nl - start;
        // 0xEF: a line may open with a byte order mark (files concatenated): `readFile` drops it.
        if (length === 0 || length > maxLine || block[start] === 0x20 || block[start] === 0x09 || block[start] === 0xef) return undefined;
        lines++;
        checksum = (checksum + (((length % m) * (lines % m)) % m)) % m;
        if (length > longest) longest = length;
        if (suspect < nl) {
          suspects.push(lines);
          suspect = windowStart + search(nl + 1 - windowStart);
        }
        start = nl + 1;
      }
      if (n === 0) break;
      chunk.copy(chunk, 0, last, end);
      carry = end - last;
    }
    if (lines === 0) return undefined;
    const sourceFile = sourceFileName(path, root);
    return { stats: { file: sourceFile, format: "json-lines", gzip: false, lines, records: lines, blankLines: 0, bytes: statSync(path).size }, checksum, suspects, longest };
  } finally {
    closeSync(fd);
  }
}

/**
 * Text DuckDB's JSON parser may accept where `JSON.parse` does not: NaN and Infinity literals (any case, signed)
 * and trailing commas. Lines DuckDB finds valid objects without any of these are valid for `JSON.parse` too; the
 * others (rare: such text inside a string value also matches) are classified by `classify`. Matched in JavaScript
 * while `plainJsonLines` checks a file's bytes, beside DuckDB's read of them (`nextSuspicious`: about 0.35 s of one
 * core per 400 MB, where the same pattern in DuckDB's validation took 0.75-0.9 s of both cores). Whitespace is JSON's,
 * the form feed and CR, without the line feed, so that a match never spans two lines.
 */
export const SUSPICIOUS_JSON = /[[:,][\t\f\r ]*[-+]?(?:nan|inf)|,[\t\f\r ]*[\]}]/gi;

/**
 * Bytes of whole lines `SUSPICIOUS_JSON` runs on at a time (more for a longer line). Small strings die young in
 * JavaScript's heap; one string per 16 MiB chunk lived until a full collection, about 200 MiB more peak RSS at 1M
 * reviews.
 */
const SUSPICIOUS_WINDOW = 64 << 10;

/**
 * Where the next match of `SUSPICIOUS_JSON` in `text` starts at or after `from`; Infinity when there is none. Not the
 * pattern itself, which tries to match at every `:` and `,` of the text: the words `nan` and `inf` (`SPECIAL_WORD`) and
 * the brackets `]` and `}` are rarer, and what must come before them is checked backwards. Over the 1M-review file
 * (391 MiB) in 64 KiB windows: 0.29 s for the words and 0.06 s for the brackets, against 0.46-0.47 s for the pattern;
 * the same matches (a property test holds the two to each other).
 */
export function nextSuspicious(text: string, from: number): number {
  return suspiciousSearch(text)(from);
}

/**
 * `nextSuspicious` over one text for ascending `from`, each part's next match kept until `from` passes it: a text
 * where every line matches one part must not have the other part searched to its end once per line. (A later `from`
 * only admits fewer matches, so a kept match at or after it is still the first.)
 */
function suspiciousSearch(text: string): (from: number) => number {
  let special = -1;
  let trailing = -1;
  return (from) => {
    if (special < from) special = nextSpecialNumber(text, from);
    if (trailing < from) trailing = nextTrailingComma(text, from);
    return Math.min(special, trailing);
  };
}

/** The words of `SUSPICIOUS_JSON`'s first branch, in any case. */
const SPECIAL_WORD = /nan|inf/gi;

/** JSON's whitespace without the line feed: `SUSPICIOUS_JSON`'s `[\t\f\r ]`. */
const isSpace = (code: number) => code === 0x20 || code === 0x09 || code === 0x0c || code === 0x0d;

/**
 * `[[:,][\t\f\r ]*[-+]?(?:nan|inf)` from `from` on: each word, then backwards an optional sign, whitespace and one of
 * `[`, `:`, `,` (where the match starts). The first word so preceded gives the leftmost match: a later word's context
 * lies after an earlier word.
 */
function nextSpecialNumber(text: string, from: number): number {
  SPECIAL_WORD.lastIndex = from;
  for (let word = SPECIAL_WORD.exec(text); word; word = SPECIAL_WORD.exec(text)) {
    let i = word.index - 1;
    if (i >= from && (text.charCodeAt(i) === 0x2d || text.charCodeAt(i) === 0x2b)) i--;
    while (i >= from && isSpace(text.charCodeAt(i))) i--;
    if (i >= from && (text.charCodeAt(i) === 0x5b || text.charCodeAt(i) === 0x3a || text.charCodeAt(i) === 0x2c)) return i;
  }
  return Infinity;
}

/** `,[\t\f\r ]*[\]}]` from `from` on: each `]` or `}`, then backwards whitespace and a comma (where the match starts). */
function nextTrailingComma(text: string, from: number): number {
  let square = text.indexOf("]", from);
  let curly = text.indexOf("}", from);
  while (square !== -1 || curly !== -1) {
    const bracket = square === -1 ? curly : curly === -1 ? square : Math.min(square, curly);
    let i = bracket - 1;
    while (i >= from && isSpace(text.charCodeAt(i))) i--;
    if (i >= from && text.charCodeAt(i) === 0x2c) return i;
    if (bracket === square) square = text.indexOf("]", bracket + 1);
    else curly = text.indexOf("}", bracket + 1);
  }
  return Infinity;
}
