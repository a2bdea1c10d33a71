/**
 * How a column's PII class (`pii` in the contract) is protected in every system, in one place: the Snowflake target
 * (tag, masking policies, the pseudonym key table), the dbt target (keyed pseudonyms, column tags), the data
 * dictionary, the catalog and contract review all take names and wording from here.
 *
 * - `none`: no protection.
 * - `personal`: clear in the cleaned zone and the processed Parquet (read by the Glue jobs and Snowflake's loader and
 *   transformer only); the Snowflake external table is tagged and its VALUE column masked for every other role; the
 *   staging view carries a keyed pseudonym instead of the value (SHA-256 over the run-time key, ":" and the value),
 *   tagged and masked by the tag's policy for every role but the loader and transformer; marts and QuickSight never
 *   carry the clear value.
 * - `sensitive`: validated and kept in the cleaned zone (inside the raw record) only; the IR leaves it out of every
 *   processed table (`TableIR.withheld`), so no later system has it.
 */
import { createHash } from "node:crypto";
import { snowflakeIdent } from "../dialects/snowflake-sql.js";
import type { ColumnIR, PiiClass, TableIR } from "../ir/types.js";
import { PLATFORM } from "../platform.js";

const SF = PLATFORM.snowflake;
const GOV = SF.governance;

/** `AMAZON_REVIEWS.GOVERNANCE`. */
export const governanceSchemaName = () => `${snowflakeIdent(SF.database)}.${snowflakeIdent(GOV.schema)}`;
/** The PII object tag, `AMAZON_REVIEWS.GOVERNANCE.PII`. */
export const piiTagName = () => `${governanceSchemaName()}.${snowflakeIdent(GOV.piiTag)}`;
/** The tag-based masking policy for string columns. */
export const stringMaskingPolicyName = () => `${governanceSchemaName()}.${snowflakeIdent(GOV.stringMaskingPolicy)}`;
/** The masking policy on an external table's VALUE column (`AMAZON_REVIEWS.GOVERNANCE.REVIEW_VALUE_MASK`). */
export const valueMaskingPolicyName = (table: Pick<TableIR, "name">) => `${governanceSchemaName()}.${snowflakeIdent(`${table.name}${GOV.valueMaskingPolicySuffix}`)}`;
/** The one-row table holding the pseudonym key. */
export const pseudonymKeyTableName = () => `${governanceSchemaName()}.${snowflakeIdent(GOV.pseudonymKeyTable)}`;
/**
 * The key table's one column (VARCHAR; `KEY` on Snowflake, unquoted): the same name on Snowflake and in the local
 * DuckDB file, because the dbt macro reads it as `select key from <key table>` on both.
 */
export const PSEUDONYM_KEY_COLUMN = "key";

/** The roles that read clear personal values: the loader (external tables) and the transformer (dbt). */
export const CLEAR_READERS = [SF.roles.loader, SF.roles.transformer] as const;

/** The tag values of the PII classes that carry one. */
export const PII_TAG_VALUES = ["personal", "sensitive"] as const satisfies readonly PiiClass[];

/** The staging column holding a personal column's pseudonym. */
export const pseudonymColumnName = (column: Pick<ColumnIR, "name">) => `${column.name}_hash`;

/** The dbt staging column a processed column becomes: its pseudonym when personal, none when sensitive. */
export function stagingColumnName(column: Pick<ColumnIR, "name" | "pii">): string | undefined {
  if (column.pii === "sensitive") return undefined;
  return column.pii === "personal" ? pseudonymColumnName(column) : column.name;
}

/**
 * Why a pseudonym key cannot be used, or undefined: shorter than `PLATFORM.pseudonym.minKeyLength` characters
 * (counted as Snowflake's LENGTH counts: code points). The message names the variable, never the key.
 */
export function pseudonymKeyProblem(key: string): string | undefined {
  const { keyEnv, minKeyLength } = PLATFORM.pseudonym;
  const length = [...key].length;
  return length < minKeyLength ? `${keyEnv} holds a key of ${length} character(s); a pseudonym key needs at least ${minKeyLength}.` : undefined;
}

/**
 * The pseudonym of a value under a key, as both warehouses compute it (Snowflake `sha2(key || ':' || value, 256)`,
 * DuckDB `sha256(key || ':' || value)`): lowercase hex SHA-256 of the UTF-8 bytes of key, ":" and value. The
 * reference the tests compare both engines' output with.
 */
export function pseudonym(key: string, value: string): string {
  return createHash("sha256").update(`${key}:${value}`, "utf8").digest("hex");
}

/** Personal columns of a table (the ones the tag, the VALUE mask and the pseudonyms apply to). */
export function personalColumns(table: Pick<TableIR, "columns">): ColumnIR[] {
  return table.columns.filter((c) => c.pii === "personal");
}

export interface SystemProtection {
  /** Where: the cleaned zone, the processed Parquet, Snowflake's external table, dbt staging, marts and QuickSight. */
  readonly system: "cleaned zone" | "processed Parquet" | "Snowflake external table" | "dbt staging" | "marts and QuickSight";
  readonly how: string;
}

/** How a column of `table` is protected in each system, in pipeline order (empty for `pii: "none"`). */
export function protectionOf(column: Pick<ColumnIR, "name" | "pii">, table: Pick<TableIR, "name">): SystemProtection[] {
  const clear = CLEAR_READERS.join(" and ");
  switch (column.pii) {
    case "none":
      return [];
    case "sensitive":
      return [
        { system: "cleaned zone", how: "kept inside the raw record of the cleaned zone only (S3, read by the Glue jobs)" },
        { system: "processed Parquet", how: "left out: never flattened" },
        { system: "Snowflake external table", how: "absent" },
        { system: "dbt staging", how: "absent" },
        { system: "marts and QuickSight", how: "absent" },
      ];
    case "personal":
      return [
        { system: "cleaned zone", how: "clear, inside the raw record (S3, read by the Glue jobs)" },
        { system: "processed Parquet", how: `clear (S3, read through Snowflake's external table by ${clear})` },
        {
          system: "Snowflake external table",
          how: `table tagged ${piiTagName()} = 'personal'; masking policy ${valueMaskingPolicyName(table)} on VALUE removes ${column.name} for every role but ${clear}`,
        },
        {
          system: "dbt staging",
          how: `replaced by ${pseudonymColumnName(column)}: SHA-256 over the run-time pseudonym key, ':' and the value (lowercase hex); column tagged 'personal' and masked by ${stringMaskingPolicyName()} for every role but ${clear}`,
        },
        { system: "marts and QuickSight", how: `never the clear value; a mart column taken from ${pseudonymColumnName(column)} is tagged and masked like it` },
      ];
  }
}

/** What a role outside `CLEAR_READERS` sees in a string column tagged PII (the tag's string masking policy). */
export const MASKED_TEXT = "***MASKED***";

/**
 * Comments of the Snowflake governance objects (shown by SHOW TAGS / SHOW MASKING POLICIES / DESC TABLE). Names of
 * roles and columns only: Snowflake asks that no personal data be put in metadata.
 */
export const GOVERNANCE_COMMENTS = {
  piiTag: `PII class of a table or column: personal (clear for ${CLEAR_READERS.join(" and ")} only; keyed pseudonyms from dbt staging on) or sensitive (never leaves the cleaned zone). Generated from the contracts.`,
  stringMaskingPolicy: `Mask of string columns tagged ${GOV.piiTag}: the value for ${CLEAR_READERS.join(" and ")}, ${MASKED_TEXT} for every other role. Generated from the contracts.`,
  valueMaskingPolicy: (table: Pick<TableIR, "name" | "columns">) =>
    `VALUE of external table ${table.name} without its personal keys (${personalColumns(table).map((c) => c.name).join(", ")}) for every role but ${CLEAR_READERS.join(" and ")}. Generated from the contracts.`,
  pseudonymKeyTable: `One row: the key of the keyed pseudonyms (SHA-256 over key, ':' and value). Loaded by snowflake:apply from ${PLATFORM.pseudonym.keyEnv}; readable by ${SF.roles.transformer} only.`,
} as const;
