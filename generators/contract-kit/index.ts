/**
 * The vocabulary contracts are written in.
 *
 * A contract is a Zod 4 schema of the raw record as it lands in S3, plus warehouse metadata attached through the
 * typed registry below. Warehouse metadata is deliberately kept out of `.meta()`: every `.meta()` key is copied into
 * `z.toJSONSchema` output, and the raw record's JSON Schema must describe the record, not our warehouse.
 *
 * Only `generators/ir/` reads these registries (and Zod internals); emitters see the IR.
 */
import { z } from "zod";
import type { LogicalType, Normalization, PiiClass } from "../ir/types.js";

export type { LogicalType, Normalization, PiiClass } from "../ir/types.js";

/** How a JSON object with free-form keys (`z.record`) is stored once flattened. */
export interface MapStorage {
  /**
   * Declared keys → their own column. Keys are matched after `keyNormalize`, so `"Gift Amount:"` and
   * `" Gift Amount: "` both match the declared key `"Gift Amount"`.
   */
  readonly keys: Readonly<Record<string, { readonly name: string; readonly description: string }>>;
  /** Applied to raw keys before matching. Default: trim, then strip one trailing colon. */
  readonly keyNormalize?: readonly ("trim" | "strip_trailing_colon")[];
  /** Column that keeps every undeclared key, as JSON object text (null when there is none). Nothing is lost. */
  readonly rest: { readonly name: string; readonly description: string };
}

/** How an array is stored once flattened. */
export type ArrayStorage =
  /** One row per element in a child dataset keyed by the parent key and the element's 0-based position. */
  | { readonly child: { readonly dataset: string; readonly column: string; readonly description: string } }
  /** The whole array as JSON text in one column of the parent. */
  | { readonly json: true };

/** Warehouse metadata of one raw field. Every key is optional except `description`. */
export interface ColumnMeta {
  /** What the field means, for a reader of the data dictionary and the dbt docs. */
  readonly description: string;
  /** Target column name (snake_case). Default: the raw key in snake_case. */
  readonly name?: string;
  /** Logical type of the processed column. Default: inferred from the Zod type (string, float64, int64, boolean). */
  readonly type?: LogicalType;
  /** Normalisations between the raw value and the column, in order. Default: none. */
  readonly normalize?: readonly Normalization[];
  /**
   * PII classification. Default: "none". `personal`: pseudonymised from dbt staging on, masked in Snowflake;
   * `sensitive`: kept in the cleaned zone only (never in a processed table).
   */
  readonly pii?: PiiClass;
  /**
   * A reviewer's note on this column's PII class: required by contract review when a change lowers the class
   * (personal → none, sensitive → personal or none); say why it is safe and who approved it.
   */
  readonly piiReview?: string;
  /** The raw field is validated but not loaded into the processed dataset; say why. */
  readonly exclude?: { readonly reason: string };
  /** For `z.record` fields: declared keys and the rest column. Required for records. */
  readonly map?: MapStorage;
  /** For `z.array` fields: child dataset or JSON text. Required for arrays. */
  readonly array?: ArrayStorage;
  /** This column refers to a column of another dataset (a dbt `relationships` test). */
  readonly references?: { readonly dataset: string; readonly column: string };
  /** Values the processed column may take (a dbt `accepted_values` test), when Zod does not already say. */
  readonly acceptedValues?: readonly (string | number)[];
  /**
   * Snowflake's column type, when the logical type's default mapping is not wanted (like Prisma's `@db.*`), e.g.
   * `VARCHAR(64)`. Only Snowflake: the Spark and DuckDB casts follow the logical type (`CONTRACT.UNSUPPORTED_NATIVE`).
   */
  readonly native?: { readonly snowflake?: string };
  /** Previous raw key of this field, when it was renamed (used by contract review). */
  readonly renamedFrom?: string;
}

/** The registry of column metadata. `column()` is the only writer. */
export const columnRegistry = z.registry<ColumnMeta>();

/** Attach warehouse metadata to a raw field. Returns the same schema instance (Zod's `.register`). */
export function column<T extends z.ZodType>(schema: T, meta: ColumnMeta): T {
  // `register` is typed through a conditional that TypeScript cannot resolve for a generic T; `meta` is checked
  // against ColumnMeta by this function's signature.
  columnRegistry.add(schema, meta as never);
  return schema;
}

/** Derived columns computed from raw fields (not present in the raw record). */
export interface DerivedColumn {
  readonly name: string;
  readonly description: string;
  /** Raw key (top-level) the value is computed from. */
  readonly from: string;
  readonly type: LogicalType;
  readonly normalize: readonly Normalization[];
  readonly pii?: PiiClass;
}

/** The dataset's key. */
export type KeySpec =
  /** A column of the record is the key. */
  | { readonly column: string }
  /**
   * A deterministic surrogate: lowercase hex sha256 of the listed raw values' texts joined with `|`, each text with
   * `\` written `\\` and `|` written `\|` first (a text holding neither is joined as it stands).
   */
  | { readonly surrogate: { readonly name: string; readonly description: string; readonly from: readonly string[] } };

export interface ContractSpec<T extends z.ZodObject = z.ZodObject> {
  /** Dataset id: lowercase snake_case, singular (`review`). */
  readonly dataset: string;
  /** Semantic version of the contract. Contract review enforces the bump. */
  readonly version: string;
  /** Team or person accountable for the dataset. */
  readonly owner: string;
  readonly description: string;
  /** The raw record as it lands in S3. */
  readonly schema: T;
  readonly key: KeySpec;
  readonly derived?: readonly DerivedColumn[];
  /** Processed columns the Parquet output is partitioned by (Hive-style `name=value/` folders). */
  readonly partitionBy?: readonly string[];
  /** S3 locations of each zone, `s3://bucket/prefix/`. */
  readonly locations: {
    readonly raw: string;
    readonly cleaned: string;
    readonly quarantine: string;
    readonly processed: string;
  };
}

/** A contract as exported by a `contracts/*.contract.ts` module. */
export interface Contract<T extends z.ZodObject = z.ZodObject> extends ContractSpec<T> {
  readonly kind: "data-contract";
}

export function defineContract<T extends z.ZodObject>(spec: ContractSpec<T>): Contract<T> {
  return { kind: "data-contract", ...spec };
}

/** Logical type constructors, so contracts read `types.decimal(2, 1)`. */
export const types = {
  string: { kind: "string" },
  boolean: { kind: "boolean" },
  int32: { kind: "int32" },
  int64: { kind: "int64" },
  float64: { kind: "float64" },
  date: { kind: "date" },
  timestamp: { kind: "timestamp" },
  json: { kind: "json" },
  decimal: (precision: number, scale: number): LogicalType => ({ kind: "decimal", precision, scale }),
} as const satisfies Record<string, LogicalType | ((...args: never[]) => LogicalType)>;
