/**
 * Structured errors: `{ code, message, where, fix }` (Prisma Next's convention). Codes are `NAMESPACE.SUBCODE`.
 * A broken invariant is a `GeneratorBug`, which says so.
 */
export interface ErrorLocation {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  /** Field path inside the contract (`review.overall`). */
  readonly path?: string;
}

export interface Diagnostic {
  readonly code: string;
  readonly severity: "error" | "warning";
  readonly message: string;
  readonly where?: ErrorLocation;
  /** One line saying how to fix it. */
  readonly fix?: string;
}

/** Every error code the generator can raise, with what it means. The README lists this table. */
export const ERROR_CODES = {
  "CONTRACT.CONTROL_CHARACTER": "A description, name or other contract text holds a control character (NUL, CR, ESC, the C1 controls U+0080–U+009F…), a Unicode line or paragraph separator (U+2028, U+2029) or U+FFFE/U+FFFF, which no target can carry safely; or an invisible or bidirectional formatting character (zero-width U+200B–U+200D, the marks U+200E, U+200F and U+061C, the embeddings, overrides and isolates U+202A–U+202E and U+2066–U+2069, U+FEFF), which would reach every generated file unseen and make text read otherwise than it is.",
  "CONTRACT.LONE_SURROGATE": "A description, enum value, name or other contract text is not well-formed UTF-16: it holds half of a surrogate pair alone (`\"x\\ud800\"`), which is no character. UTF-8 cannot encode it, so the generated files and engines cannot carry it (the Glue clean job's Spark run fails on it, DuckDB turns it into U+FFFD and accepts values Zod refuses).",
  "CONTRACT.LOAD_FAILED": "The contract module could not be imported (syntax or runtime error), or its path holds characters other than letters, digits, `.`, `_`, `-` and `/` (every generated file's header quotes it).",
  "CONTRACT.NO_DEFAULT_EXPORT": "The contract module does not `export default defineContract(...)`.",
  "CONTRACT.DUPLICATE_DATASET": "Two contracts declare the same dataset name.",
  "CONTRACT.UNSUPPORTED_ZOD_KIND": "A Zod kind that cannot describe a stored JSON value (transform, pipe, lazy, custom, date, bigint…), or a rule on a map's keys (`z.record(z.string().regex(…), …)`), which no cleaning job checks.",
  "CONTRACT.UNCHECKED_RULE": "A Zod rule Zod and the JSON Schema apply and no cleaning job would: a .refine/.superRefine/.check on anything but a string, number or array (an object, the record, a boolean, an enum, an optional or nullable wrapper), z.coerce, a strict object or a catchall, an enum or literal mixing strings and numbers, a union whose options are not plain and of different JSON types. A contract of the past (a review's base, the catalog's history) with one is still compared.",
  "CONTRACT.UNSUPPORTED_RAW_KEY": "A raw field's key is empty or holds `.`, `[`, `]`, `{` or `}`, which field paths use as syntax (the cleaning jobs would check another field than the contract's), or `\"` or `\\`, which DuckDB's JSON paths cannot quote. A contract of the past with one is still compared.",
  "CONTRACT.UNSTORABLE_UNION": "A union whose members have different storage types, without `type: types.json`.",
  "CONTRACT.STORAGE_UNDECIDED": "An array or record without `array:` / `map:` metadata saying how it is stored.",
  "CONTRACT.MISSING_METADATA": "A raw field without `column(...)` metadata, or with a missing or empty description (every field needs one).",
  "CONTRACT.INVALID_IDENTIFIER": "A column or dataset name that is not lowercase snake_case of at most 63 characters (`^[a-z][a-z0-9_]{0,62}$`; a longer one is said to be too long, with a shorter name suggested), or a dataset name longer than 43 characters (the AWS names built from it would not fit).",
  "CONTRACT.RESERVED_WORD": "A column or dataset name that is a Snowflake, Spark SQL or DuckDB reserved word. A contract of the past with one is still compared (DuckDB's words were added later).",
  "CONTRACT.NAME_COLLISION": "Two columns (or datasets) end up with the same name, two tables' plurals are equal (datasets `widget` and `widgets`, or a dataset `review_image` beside a child table `review_images`: dbt names a staging model after the plural, `stg_amazon__widgets`), two sibling raw keys differ only in case (`code` and `Code`: Spark and DuckDB read JSON keys case-insensitively; a contract of the past with them is still compared), or a renamed column's previous name (which the external tables still read, from the files written before the rename) is a column again.",
  "CONTRACT.TYPE_MISMATCH": "The declared column type cannot hold the raw type after the normalisations.",
  "CONTRACT.RANGE_EXCEEDS_TYPE": "A raw integer or number whose bounds (`.min`/`.max`, or z.int()'s safe integers) let it exceed what its column type holds (int32; decimal(p, s) with rounding) or what its conversion reads (epoch seconds of years 1–9999): the value would fail the run or load as NULL. Or a `native.snowflake` type narrower than what the contract admits: a VARCHAR(n) (or CHAR, STRING, TEXT…) shorter than the field's `.max()` or longest enum value (Snowflake counts characters, as Zod counts code points) or on a field without one, a NUMBER(p, s) (or DECIMAL, INTEGER…) below the column's values or scale: Snowflake's external table would fail the query that reads such a value, or round it.",
  "CONTRACT.BAD_REFERENCE": "A key, partition, derived column or relationship names something that does not exist, or a partition column cannot be one (nullable, of another type, a string without folder-safe accepted values).",
  "CONTRACT.INVALID_VERSION": "The contract version is not semantic versioning (MAJOR.MINOR.PATCH).",
  "CONTRACT.INVALID_LOCATION": "An S3 location is not `s3://bucket/prefix/` with prefix segments of letters, digits, `.`, `_` and `-`, none starting with `.` or `_` (a `*` would widen IAM resources and event patterns to other datasets; a name starting with `.` or `_` is hidden to Spark and to the external tables' PATTERN).",
  "CONTRACT.UNPORTABLE_REGEX": "A regex uses syntax that JavaScript, Java (Spark) and RE2 (DuckDB) do not agree on, or that JSON Schema validators refuse (they compile patterns in Unicode mode: `\\_`, `\\:`, a lone `]` or `}`).",
  "CONTRACT.UNSUPPORTED_NATIVE": "A per-engine type override other than `native.snowflake` (the Spark and DuckDB casts follow the logical type, so `native.spark` / `native.duckdb` would be shown but not applied), or a `native.snowflake` that is not a type name with an optional size (e.g. `VARCHAR(64)`): it is written into the DDL as it stands.",
  "CONTRACT.PII_LEAK": "Protected data would pass its protection: a sensitive column as key, partition or child-table element, a personal key or partition column, a surrogate key over a personal or sensitive field, a derived column classed lower than its field, or a column classed lower than the column it references (`references`).",
  "CONTRACT.INVALID_ACCEPTED_VALUE": "An accepted value (enum, literal or `acceptedValues`) holds a backslash, which Snowflake reads as an escape in a SQL string literal and DuckDB does not, so dbt's `accepted_values` test would differ between the engines; or two accepted values of one field are the same text after Unicode NFC normalisation (`\"cafe\\u0301\"` and `\"caf\\u00e9\"`): they look the same everywhere, while every engine compares them as different.",
  "CONTRACT.INVALID_METADATA": "`column(...)` or `defineContract({...})` metadata that is not the contract kit's: an unknown key (`nme:`, `kee:`), a misspelt value (`normalize: [\"parse_integr\"]`, `pii: \"persnal\"`), a type given as a string (`type: \"int64\"` for `types.int64`) or a value of the wrong kind.",
  "CONTRACT.INVALID_DECIMAL": "A decimal type with precision outside 1–38 or scale outside 0–precision.",
  "MARTS.INVALID": "A mart's YAML in dbt-out/models/marts/ is not an enforced contract consumers can rely on (no enforced contract, a column without data_type, a data_type Snowflake and DuckDB read differently — a decimal without precision, float/float4/real —, a malformed upstream).",
  "QUICKSIGHT.UNKNOWN_COLUMN": "A QuickSight dataset or visual uses a mart or mart column that the marts' contracts do not declare.",
  "QUICKSIGHT.LIMIT_EXCEEDED": "A mart name (over 64 characters), mart column name (over 128) or column description (over 500) is longer than QuickSight's API takes for a data set.",
  "QUICKSIGHT.UNSUPPORTED_TYPE": "A mart column QuickSight reads has a data_type with no QuickSight type (e.g. JSON/VARIANT).",
  "INFRA.BUCKET_ZONE_CONFLICT": "One S3 bucket holds two different zones (raw, cleaned, quarantine, processed); each zone needs its own bucket policy.",
  "INFRA.OVERLAPPING_PREFIX": "Two datasets' locations in one bucket overlap (one prefix contains the other): events and files would reach both.",
  "DIALECT.UNSUPPORTED": "A cleaning rule or normalisation that a SQL dialect (Spark, DuckDB) cannot express exactly, reported at the field it checks: on Spark, the fields of an object inside an array or map (`z.array(z.object(…))`, `z.record(…, z.object(…))`).",
  "WRITE.UNOWNED_FILE": "Generation would overwrite a file the generator does not own.",
  "WRITE.UNSAFE_MANIFEST": "generated/manifest.json lists a path outside the generator's directories (or not normalised), or is not a manifest (not JSON, e.g. a merge conflict): nothing is written or removed.",
  "WRITE.LINKED_FOLDER": "A folder between the output root and a file to write or remove is a symbolic link (it would write or remove files outside the outputs): nothing is written.",
  "WRITE.FAILED": "An output file or folder could not be written (permissions, a file where a folder should be, a full disk).",
  "PIPELINE.NO_IR": "pipeline:local found no generated IR (run `npm run generate` first).",
  "PIPELINE.NO_INPUT": "pipeline:local was given an input path that does not exist or yields no file to read (an empty folder, a folder of files whose names the platform does not ingest, a FIFO, socket or device), or a file named `_…` or `.…` (which Spark and the Glue clean job skip as hidden).",
  "PIPELINE.FAILED":
    "pipeline:local could not run the cleaning and flattening stage: the engine's message (for a failed Spark job, with the error lines of Spark's console output, where a JVM out of memory says so), then what the run left of the output folder (its own folders in the cleaned zone and the quarantine are removed; the earlier runs' stay; no run-summary.json) and a fix line for the cause the message names: a full disk (free space, `--out` on another disk, or `TMPDIR` for the spill and shuffle files), DuckDB out of its `--memory-limit` (a higher one, or fewer `--threads`), Spark out of memory (`SPARK_DRIVER_MEMORY`), a read-only or forbidden folder, a file where a folder belongs.",
  "PIPELINE.BUSY": "pipeline:local was pointed at an output folder another run is writing (its lock folder .pipeline-run.lock names that run's process).",
  "PIPELINE.INTERRUPTED": "pipeline:local was stopped (Ctrl-C, SIGTERM, a closed terminal, a broken pipe) before its run completed: its scratch folder is removed, the output folder's tables may be partly replaced and it holds no run-summary.json until a run completes.",
  "PIPELINE.QUARANTINE_RATIO": "pipeline:local quarantined more than --max-quarantine-ratio of a dataset's records (default 0.5, the Glue clean job's --max_quarantine_ratio): the tables, quarantine and run-summary.json are written, the warehouse step is skipped, exit code 4.",
  "PIPELINE.GENERATED_CHANGED": "pipeline:local: the generated files changed during the run (`npm run generate` while it ran; `generated/manifest.json`, whose sha256 the run records in run-summary.json as `generatedManifest`, is checked after the tables and after the warehouse step): the tables or dbt's models would come from two generations. Exit code 2; changed during the tables, the output folder holds no run-summary.json and the warehouse step is skipped; changed during the warehouse step, run-summary.json has no warehouse section. Re-run once generation is done.",
  "SYNTH.NO_IR": "synth found no generated IR for the dataset (run `npm run generate` first, or check --dataset).",
  "SYNTH.UNSUPPORTED_PATTERN": "A contract regex uses a construct the synthetic data generator cannot derive values from.",
  "SYNTH.UNSATISFIABLE": "No value satisfies a field's constraints together (pattern, lengths, enum, range), so no valid synthetic record exists.",
  "SYNTH.KEY_CAPACITY": "The key field's constraints admit fewer distinct values than the records asked for, so synthetic keys cannot be unique.",
  "SYNTH.NOTHING_TO_BREAK": "synth --invalid-ratio asks for invalid records, but no rule of the dataset can be broken alone.",
  "SYNTH.WRITE": "synth could not write its output or tally file.",
  "PIPELINE.WAREHOUSE": "pipeline:local could not run dbt on the local warehouse (dbt cannot be installed or cannot start, or cannot parse or compile the project).",
  "PII.NO_KEY": "No usable pseudonym key: the key table AMAZON_REVIEWS.GOVERNANCE.PSEUDONYM_KEY is missing, empty, holds more than one row or a key shorter than 32 characters (dbt fails the staging model, and a query of a staging view's pseudonym fails, instead of giving unkeyed hashes or NULL pseudonyms), or CONTRACT_PSEUDONYM_KEY is shorter than 32 characters (local runs; snowflake:apply refuses it before connecting and applies nothing). Fix: set CONTRACT_PSEUDONYM_KEY to a secret of at least 32 characters and load it (`npm run snowflake:apply`; locally the runners load it, or a random key when it is unset).",
  "VERIFY.USAGE": "verify:s3 was called with a bad option or argument.",
  "VERIFY.CONTRACT": "verify:s3 could not load the contracts (the `CONTRACT.*` errors of `npm run generate`), or none is the one asked for: an unknown `--dataset`, or a URL under no dataset's raw location.",
  "VERIFY.S3": "verify:s3 could not list or read S3 (after `--retries`, each waiting `--timeout`): endpoint, credentials, permissions, a missing bucket.",
  "VERIFY.NO_RECORDS": "verify:s3 found no record under the prefix (no objects, or only empty ones): a mistyped prefix must not pass.",
  "VERIFY.UNREADABLE": "verify:s3 could not read an object to its end (a cut or corrupt gzip, a download that stopped); the others were checked.",
  "CATALOG.CONTRACT": "The catalog could not load the contracts (or the marts' contracts): the `CONTRACT.*` / `MARTS.*` errors of `npm run generate`.",
  "CATALOG.NO_RUN": "catalog: `--run` names a folder that is not a pipeline run's output (no `run-summary.json`).",
  "CATALOG.BAD_RUN": "catalog: the run's files cannot be read: `run-summary.json`, dbt's artifacts or the processed Parquet are malformed.",
  "CATALOG.RUN_IN_PROGRESS": "catalog: the run folder is being written by a pipeline:local run (its lock `.pipeline-run.lock` held by a live process, named by pid): its run-summary.json, tables and warehouse are not those of a completed run; or runs replaced its run-summary.json while the catalog read the folder, three times in a row. Wait for the run to end, then build the catalog again.",
  "CATALOG.BASE": "catalog: `--base` does not name a commit (in a shallow clone: fetch it first), or the contracts at it cannot be loaded.",
  "CATALOG.UNOWNED_FILE": "catalog: the output folder holds a file the catalog would overwrite but did not write.",
  "CATALOG.LINKED_FOLDER": "catalog: a folder inside `--out` where the site writes or removes a file is a symbolic link (it would write or remove files outside the site): nothing is written.",
  "CATALOG.WRITE": "catalog: the site cannot be written into `--out` (no permission, no room, a file where a folder must go).",
  "CATALOG.SERVE": "catalog: the site cannot be served (the port is taken or not allowed).",
  "SNOWFLAKE.CONFIG": "snowflake:apply or snowflake:verify cannot connect or apply with the environment's settings: a missing SNOWFLAKE_* variable, SNOWFLAKE_PASSWORD set, a private key that cannot be read or is not a PEM private key, a failed login, or (apply, scope all) STORAGE_AWS_ROLE_ARN unset or not an IAM role ARN. Nothing was applied.",
  "SNOWFLAKE.FAILED": "snowflake:apply or snowflake:verify failed otherwise: the plan cannot be read, or a query of verify failed.",
  "CLI.NO_CONTRACTS": "The contract folder does not exist or holds no `*.contract.ts` file.",
  "CLI.USAGE": "Unknown option or bad argument.",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class ContractError extends Error {
  readonly diagnostics: readonly Diagnostic[];
  constructor(diagnostics: readonly Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join("\n"));
    this.name = "ContractError";
    this.diagnostics = diagnostics;
  }
}

export class GeneratorBug extends Error {
  constructor(message: string) {
    super(`${message} This is a bug in the generator.`);
    this.name = "GeneratorBug";
  }
}

export function diagnostic(
  code: ErrorCode,
  message: string,
  where: ErrorLocation | undefined,
  fix: string,
): Diagnostic {
  return { code, severity: "error", message, ...(where ? { where } : {}), fix };
}

/** `contracts/review.contract.ts:12:3: error CONTRACT.X at review.vote: message\n  fix: …` */
export function formatDiagnostic(d: Diagnostic): string {
  const w = d.where;
  const place = w ? `${w.file}${w.line ? `:${w.line}${w.column ? `:${w.column}` : ""}` : ""}: ` : "";
  const path = w?.path ? ` at ${w.path}` : "";
  return `${place}${d.severity} ${d.code}${path}: ${d.message}${d.fix ? `\n  fix: ${d.fix}` : ""}`;
}
