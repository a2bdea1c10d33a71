/**
 * The intermediate representation (IR): plain, readonly, JSON-serialisable data.
 *
 * Built once from the Zod contracts by `build.ts` (the only code that reads Zod), consumed by every emitter,
 * runner and checker. Normalisation happens while building it, never in emitters. Bump `IR_VERSION` on any change
 * of shape.
 */
export const IR_VERSION = 1 as const;

/** Every logical kind. Adding one must fail to compile until every target's type table maps it. */
export type LogicalKind = "string" | "boolean" | "int32" | "int64" | "float64" | "decimal" | "date" | "timestamp" | "json";

/**
 * Logical type of a processed column.
 * - `timestamp` is an instant, stored as Parquet INT64 TIMESTAMP(MICROS, isAdjustedToUTC=true).
 * - `json` is JSON text (a VARCHAR holding a JSON document).
 */
export type LogicalType =
  | { readonly kind: Exclude<LogicalKind, "decimal"> }
  | { readonly kind: "decimal"; readonly precision: number; readonly scale: number };

/** Where something is declared: contract file (repo-relative, `/`), 1-based line and column, field path. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly path: string;
}

export type RawKind = "string" | "number" | "integer" | "boolean" | "object" | "record" | "array" | "union";

/** Constraints on a raw value, read from the Zod checks. */
export interface RawConstraints {
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  /** ECMAScript source of a regular expression the string must match (unanchored, like Zod). */
  readonly pattern?: string;
  /** Zod string format (`url`, `email`, …). */
  readonly format?: string;
  readonly enum?: readonly (string | number)[];
  readonly minItems?: number;
  readonly maxItems?: number;
}

/** One field of the raw record, as the producer sends it. */
export interface RawField {
  /** Key in the raw JSON object. */
  readonly key: string;
  /** Dotted path from the record root (`style`, `details.asin`); `[]` marks array elements. */
  readonly path: string;
  readonly kind: RawKind;
  /** The key must be present. */
  readonly required: boolean;
  /** `null` is an accepted value. */
  readonly nullable: boolean;
  readonly constraints: RawConstraints;
  /** Object fields (kind `object`). */
  readonly fields?: readonly RawField[];
  /** Element (kind `array`) or value (kind `record`) description. */
  readonly element?: RawField;
  /** Union members (kind `union`). */
  readonly options?: readonly RawField[];
  readonly where: SourceLocation;
}

/** Normalisations applied to a value between the raw record and its processed column, in the order listed. */
export type Normalization =
  /** Remove leading and trailing whitespace (space, `\t`, `\r`, `\n`). */
  | "trim"
  /** An empty string (after the previous steps) becomes null. */
  | "empty_to_null"
  /** Decode the HTML entities Amazon leaves in text (`&amp;`, `&#39;`, `&quot;`, `&lt;`, `&gt;`, numeric forms). */
  | "html_unescape"
  /** `"1,341"` → 1341: strips thousands separators and parses a whole number. Needs an integer column type. */
  | "parse_integer"
  /** `"$1,250.00"` → 1250.00; anything that is not a single dollar amount becomes null. Needs a decimal column type. */
  | "parse_money"
  /** `"May 15, 2009"` → 2009-05-15; anything else becomes null. Needs a date column type. */
  | "parse_month_day_year"
  /** Seconds since the Unix epoch → UTC timestamp. Needs a timestamp column type. */
  | "epoch_seconds_to_timestamp"
  /** Seconds since the Unix epoch → the UTC calendar date. Needs a date column type. */
  | "epoch_seconds_to_date";

/** Where a processed column's value comes from. */
export type ColumnSource =
  /** A scalar raw field (dotted path). */
  | { readonly kind: "field"; readonly path: string }
  /** One declared key of a raw record (map). `key` is the normalised key. */
  | { readonly kind: "map_key"; readonly path: string; readonly key: string; readonly keyNormalize: readonly ("trim" | "strip_trailing_colon")[] }
  /** Every undeclared key of a raw record, as JSON object text. */
  | { readonly kind: "map_rest"; readonly path: string; readonly declaredKeys: readonly string[]; readonly keyNormalize: readonly ("trim" | "strip_trailing_colon")[] }
  /** A raw value (array, union, object) serialised as JSON text. */
  | { readonly kind: "json"; readonly path: string }
  /** Lowercase hex sha256 of the raw values joined with `|` (null values as empty strings). */
  | { readonly kind: "surrogate_key"; readonly paths: readonly string[] }
  /** A child row's parent key. */
  | { readonly kind: "parent_key"; readonly column: string }
  /** A child row's 0-based position in the parent's array. */
  | { readonly kind: "array_position"; readonly path: string }
  /** A child row's array element. */
  | { readonly kind: "array_element"; readonly path: string }
  /**
   * When the flatten job wrote the row: the run's start time, UTC, the same for every row of a run. dbt source
   * freshness is measured on it (`loaded_at_field`).
   */
  | { readonly kind: "processed_at" }
  /**
   * When the raw object the row was read from was last modified (UTC; the S3 object's Last-Modified, a local file's
   * modification time, to the millisecond), the same for every row of one object. dbt staging keeps, per key, the row
   * of the newest raw object first, so processing an older object again (a redrive, a re-run) never makes its data
   * current.
   */
  | { readonly kind: "raw_modified_at" }
  /**
   * The raw object the row was read from, as the clean stage recorded it (the cleaned zone's `_source_file`): on AWS
   * the object's URI, `s3://<bucket>/<key>`, percent-encoded as Spark gives it; locally the input file. The same for
   * every row of one object: it leads from a processed row back to the object to read or process again.
   */
  | { readonly kind: "raw_object" };

export type PiiClass = "none" | "personal" | "sensitive";

export interface ColumnIR {
  readonly name: string;
  readonly description: string;
  readonly type: LogicalType;
  readonly nullable: boolean;
  readonly source: ColumnSource;
  readonly normalize: readonly Normalization[];
  readonly pii: PiiClass;
  /** Partition column: lives in the Hive-style path, not inside the Parquet files. */
  readonly partition: boolean;
  readonly key: boolean;
  readonly references?: { readonly dataset: string; readonly column: string };
  readonly acceptedValues?: readonly (string | number)[];
  /** Snowflake's column type when it is not the logical type's (the only per-engine override, see CONTRACT.UNSUPPORTED_NATIVE). */
  readonly native: { readonly snowflake?: string };
  readonly renamedFrom?: string;
  /**
   * The column's name before a declared rename (`renamedFrom` of its field or of an object it is in), when the
   * rename changed it: the old key's column name (snake_case, under the object's previous name). Parquet files
   * written before the rename carry it, and the external tables read both names.
   */
  readonly previousName?: string;
  /** The contract's reviewer note on the PII class (contract review requires one when a change lowers it). */
  readonly piiReview?: string;
  readonly where: SourceLocation;
}

/** Kinds of validation rule; each has a stable reason-code suffix. */
export type RuleKind =
  | "missing"
  | "null"
  | "wrong_type"
  | "not_integer"
  | "out_of_range"
  | "too_short"
  | "too_long"
  | "pattern_mismatch"
  | "invalid_format"
  | "not_in_enum"
  | "too_few_items"
  | "too_many_items";

/** One validation rule of the raw record; a record failing any rule is quarantined with every failed code. */
export interface RuleIR {
  /** Stable reason code: `<raw path>.<kind>` (`overall.out_of_range`, `image[].wrong_type`). */
  readonly code: string;
  readonly path: string;
  readonly kind: RuleKind;
  /** Human text of the rule, e.g. `overall is between 1 and 5`. */
  readonly description: string;
  readonly params: RawConstraints & { readonly expected?: RawKind | readonly RawKind[] };
}

export interface TableIR {
  /** Table / dataset name (`review`, `review_images`). */
  readonly name: string;
  readonly description: string;
  /** Columns in output order; partition columns last. */
  readonly columns: readonly ColumnIR[];
  /**
   * Columns of sensitive fields (`pii: "sensitive"`): validated, and kept inside the raw record of the cleaned
   * zone only. They are in no processed table, so no target can write them (`generators/targets/protection.ts`).
   */
  readonly withheld: readonly ColumnIR[];
  /** Key columns, in order (the surrogate key, or parent key + position for children). */
  readonly key: readonly string[];
  readonly partitionBy: readonly string[];
  /**
   * S3 prefix of the table's processed Parquet files: the dataset's processed location + `<table name>/`, then
   * Hive-style partition folders (`review_date=2018-06-17/`). The Glue flatten job writes here; the Snowflake
   * external table reads here.
   */
  readonly location: string;
}

export interface ChildTableIR extends TableIR {
  readonly parent: string;
  /** Raw path of the array this child explodes. */
  readonly arrayPath: string;
}

export interface ContractInfo {
  /** Repository-relative path with `/` separators. */
  readonly file: string;
  /** `sha256:` + hex digest of the contract source with line ends normalised to LF. */
  readonly hash: string;
  readonly version: string;
  readonly owner: string;
}

export interface DatasetIR {
  readonly name: string;
  readonly description: string;
  readonly contract: ContractInfo;
  readonly locations: { readonly raw: string; readonly cleaned: string; readonly quarantine: string; readonly processed: string };
  /** The raw record: fields in declaration order, and its JSON Schema (draft 2020-12). */
  readonly raw: { readonly fields: readonly RawField[]; readonly jsonSchema: JsonValue };
  readonly rules: readonly RuleIR[];
  /** The processed (flattened) main table. */
  readonly table: TableIR;
  /** Child tables, one per array stored as a child dataset. */
  readonly children: readonly ChildTableIR[];
  /** Raw fields validated but not loaded, with the contract's reason. */
  readonly excluded: readonly { readonly path: string; readonly reason: string }[];
}

export interface ContractIR {
  readonly irVersion: typeof IR_VERSION;
  /** Datasets sorted by name. */
  readonly datasets: readonly DatasetIR[];
  /** The marts' enforced contracts (`dbt-out/models/marts/*.yml`), sorted by name; absent when there are none. */
  readonly marts?: readonly MartIR[];
}

/** A mart column as its enforced dbt contract declares it. */
export interface MartColumnIR {
  readonly name: string;
  /** The contract's `data_type`, lower case (portable spelling: `varchar`, `bigint`, `decimal(4, 2)`, …). */
  readonly dataType: string;
  readonly description: string;
  /** Staging columns it is computed from, `<model>.<column>` (`config.meta.upstream`). */
  readonly upstream: readonly string[];
}

export interface MartIR {
  readonly name: string;
  /** The YAML file declaring it, relative to the repository root. */
  readonly file: string;
  readonly description: string;
  readonly columns: readonly MartColumnIR[];
}

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };
