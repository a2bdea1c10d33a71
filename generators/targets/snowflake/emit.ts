/**
 * Snowflake DDL: roles, database and schema, the warehouse of dbt and QuickSight, the S3 storage integration, a named
 * Parquet file format, one external stage per dataset, one external table per processed table (typed virtual columns
 * over VALUE, partition columns from METADATA$FILENAME, auto-refresh), least-privilege grants, and the protection of
 * personal data (the GOVERNANCE schema: the PII tag and its string masking policy, a VALUE masking policy per external
 * table with personal columns, the pseudonym key table; names and wording from `../protection.ts`).
 *
 * Output:
 * - `generated/snowflake/plan.json`: every statement, in order, with the role to run it as. `snowflake:apply` runs
 *   exactly these, one by one.
 * - `generated/snowflake/<group>.sql`: the same statements for people and for sqlfluff.
 *
 * Every statement is re-runnable (IF NOT EXISTS, CREATE OR REPLACE … COPY GRANTS, ALTER … SET, SET BODY, FORCE).
 */
import { createHash } from "node:crypto";
import { DATA_FILE_PATTERN, externalColumnExpression, externalColumns, externalColumnType, SOURCE_FILE_COLUMN, type ExternalColumn } from "../../dialects/external-table.js";
import { snowflakeIdent, snowflakeString } from "../../dialects/snowflake-sql.js";
import { commentBlock, combinedHeaderLines, finalText, headerLines, jsonText } from "../../lib/header.js";
import type { ColumnIR, ContractIR, DatasetIR, TableIR } from "../../ir/types.js";
import { PLATFORM } from "../../platform.js";
import {
  CLEAR_READERS,
  GOVERNANCE_COMMENTS,
  governanceSchemaName,
  MASKED_TEXT,
  personalColumns,
  PII_TAG_VALUES,
  piiTagName,
  PSEUDONYM_KEY_COLUMN,
  pseudonymKeyTableName,
  stringMaskingPolicyName,
  valueMaskingPolicyName,
} from "../protection.js";
import type { EmitResult, GeneratedFile, Target } from "../types.js";

const SF = PLATFORM.snowflake;

export { DATA_FILE_PATTERN, SOURCE_FILE_COLUMN };

export interface PlannedStatement {
  /** Stable id, e.g. `table.review` (used in apply's output and errors). */
  readonly id: string;
  /** Role to run it as. */
  readonly role: string;
  readonly sql: string;
}

const db = () => snowflakeIdent(SF.database);
const raw = () => `${db()}.${snowflakeIdent(SF.rawSchema)}`;
export const fileFormatName = () => `${raw()}.${snowflakeIdent(SF.fileFormat)}`;
export const stageName = (dataset: Pick<DatasetIR, "name">) => `${raw()}.${snowflakeIdent(`${dataset.name}_processed`)}`;
export const externalTableName = (table: Pick<TableIR, "name">) => `${raw()}.${snowflakeIdent(table.name)}`;

/** Snowflake's rendering of a column of the external table (see dialects/external-table.ts). */
export function columnExpression(column: ColumnIR): string {
  return externalColumnExpression("snowflake", column);
}

/** One column of an external table as CREATE and ALTER write it: `"NAME" TYPE AS (expression)`. */
export function externalColumnDefinition(column: ExternalColumn): string {
  return `${snowflakeIdent(column.name)} ${column.type} AS (${column.expression})`;
}

/**
 * `ALTER TABLE … ADD COLUMN` on the external table (Snowflake adds and drops an external table's virtual columns with
 * ALTER TABLE; ALTER EXTERNAL TABLE has no column actions:
 * https://docs.snowflake.com/en/sql-reference/sql/alter-table, extTableColumnAction), with the definition the CREATE
 * statement gives the column: a renamed column reads its previous name too (files written before the rename carry
 * it). Contract review passes the column's name in the base contract as `previousName`, which the head contract
 * alone does not know when the rename also changed an explicit `name`.
 * Partition columns cannot be added to an existing external table (they are declared with PARTITION BY).
 */
export function addExternalColumnStatement(table: Pick<TableIR, "name">, column: ColumnIR, previousName?: string): string {
  if (column.partition) return `-- ${table.name}.${column.name} is a partition column: re-create the table with the generated external-table DDL.`;
  const type = externalColumnType("snowflake", column);
  const expression = externalColumnExpression("snowflake", column, previousName ?? column.previousName);
  return `ALTER TABLE ${externalTableName(table)} ADD COLUMN ${externalColumnDefinition({ name: column.name, type, expression })};`;
}

export function dropExternalColumnStatement(table: Pick<TableIR, "name">, column: string): string {
  return `ALTER TABLE ${externalTableName(table)} DROP COLUMN ${snowflakeIdent(column)};`;
}

export function dropExternalTableStatement(table: Pick<TableIR, "name">): string {
  return `DROP EXTERNAL TABLE IF EXISTS ${externalTableName(table)};`;
}

/** The named file format's type and options: CREATE sets both; ALTER FILE FORMAT … SET can change only the options. */
export const FILE_FORMAT_TYPE = "PARQUET";
// USE_LOGICAL_TYPE: read Parquet DATE/TIMESTAMP/DECIMAL annotations as such (https://docs.snowflake.com/en/sql-reference/sql/create-file-format).
export const FILE_FORMAT_OPTIONS: readonly string[] = ["USE_LOGICAL_TYPE = TRUE"];

/**
 * The external table's statement. Its comment ends with `definition sha256:<16 hex>`, a digest of the statement
 * written with the comment's other text, of its stage's URL and of the file format's type and options: the LOCATION
 * is relative to the stage and FORMAT_NAME names the file format, so the statement alone would not change when they
 * do. snowflake:apply reads the digest back (`SHOW EXTERNAL TABLES`) and re-creates a table only when it differs,
 * since re-creating one lists every file of its location again (`REFRESH_ON_CREATE`): a table moved to another
 * location must list the new one.
 */
export function externalTableStatement(dataset: DatasetIR, table: TableIR): string {
  const columns = externalColumns("snowflake", table).map((c) => `  ${externalColumnDefinition(c)}`);
  const partitions = table.partitionBy.length ? `PARTITION BY (${table.partitionBy.map(snowflakeIdent).join(", ")})\n` : "";
  const relative = table.location.slice(dataset.locations.processed.length);
  const comment = `${table.description} (contract ${dataset.contract.version}`;
  const statement = (definition: string) =>
    `CREATE OR REPLACE EXTERNAL TABLE ${externalTableName(table)} (\n${columns.join(",\n")}\n)\n` +
    partitions +
    `LOCATION = @${stageName(dataset)}/${relative}\n` +
    `REFRESH_ON_CREATE = TRUE\n` +
    `AUTO_REFRESH = TRUE\n` +
    `PATTERN = ${snowflakeString(DATA_FILE_PATTERN)}\n` +
    `FILE_FORMAT = (FORMAT_NAME = ${snowflakeString(fileFormatName())})\n` +
    `COPY GRANTS\n` +
    `COMMENT = ${snowflakeString(`${comment}${definition})`)}`;
  const reads = `\n-- stage URL = ${snowflakeString(dataset.locations.processed)}\n-- file format TYPE = ${FILE_FORMAT_TYPE} ${FILE_FORMAT_OPTIONS.join(" ")}`;
  const digest = createHash("sha256").update(statement("") + reads, "utf8").digest("hex").slice(0, 16);
  return statement(`, ${DEFINITION_DIGEST}${digest}`);
}

/** What precedes the digest of an external table's statement in its comment (`externalTableStatement`). */
export const DEFINITION_DIGEST = "definition sha256:";

/** `IS_ROLE_IN_SESSION('LOADER') OR IS_ROLE_IN_SESSION('TRANSFORMER')`: the roles that see clear personal values. */
function clearReaderCondition(): string {
  // IS_ROLE_IN_SESSION is true for the primary and secondary roles of the session and the roles they inherit
  // (https://docs.snowflake.com/en/sql-reference/functions/is_role_in_session): a role granted the loader or the
  // transformer sees clear values too (SYSADMIN and ACCOUNTADMIN inherit them).
  return CLEAR_READERS.map((role) => `IS_ROLE_IN_SESSION(${snowflakeString(role)})`).join(" OR ");
}

/** Body of the tag-based string masking policy: the value for the clear readers, a fixed text for everyone else. */
export function stringMaskingBody(): string {
  return `CASE WHEN ${clearReaderCondition()} THEN val ELSE ${snowflakeString(MASKED_TEXT)} END`;
}

/**
 * Body of a table's VALUE masking policy: VALUE unchanged for the clear readers, VALUE without the personal keys for
 * everyone else. The keys of VALUE are the Parquet column names (the processed table's column names, see
 * `dialects/external-table.ts`), so every virtual column over a personal key reads NULL for other roles: virtual
 * columns inherit the VALUE column's policy (https://docs.snowflake.com/en/user-guide/security-column-intro,
 * "External tables").
 */
export function valueMaskingBody(table: Pick<TableIR, "columns">): string {
  const keys = personalColumns(table).map((c) => snowflakeString(c.name));
  return `CASE WHEN ${clearReaderCondition()} THEN val ELSE OBJECT_DELETE(val::OBJECT, ${keys.join(", ")})::VARIANT END`;
}

/**
 * `snowflake:apply` loads the pseudonym key with this statement, the key bound to `?` (never in the SQL text):
 * INSERT OVERWRITE empties the table and inserts in one statement (https://docs.snowflake.com/en/sql-reference/sql/insert).
 */
export function pseudonymKeyLoadStatement(): string {
  return `INSERT OVERWRITE INTO ${pseudonymKeyTableName()} (${snowflakeIdent(PSEUDONYM_KEY_COLUMN)}) VALUES (?)`;
}

/**
 * `snowflake:verify`'s check of the key table, as the transformer (the role dbt reads it as): how many rows and the
 * shortest length. The key itself is never selected.
 */
export function pseudonymKeyCheckStatement(): string {
  return `SELECT COUNT(*) AS KEY_ROWS, MIN(LENGTH(${snowflakeIdent(PSEUDONYM_KEY_COLUMN)})) AS SHORTEST_KEY FROM ${pseudonymKeyTableName()}`;
}

/** The role that owns the GOVERNANCE schema, the tag, the policies and the key table, and loads the key. */
export const GOVERNANCE_OWNER = "SYSADMIN";

/**
 * The GOVERNANCE schema and what lives in it that is not per table: the PII tag with its string masking policy and
 * the pseudonym key table. Ownership: SYSADMIN, like the database and the raw schema. Only `ALTER TAG … SET MASKING
 * POLICY` needs more (the global APPLY MASKING POLICY privilege, https://docs.snowflake.com/en/sql-reference/sql/alter-tag,
 * "Access control requirements"): it runs as ACCOUNTADMIN, like the storage integration.
 */
function governanceStatements(): PlannedStatement[] {
  const { loader, transformer } = SF.roles;
  const schema = governanceSchemaName();
  const tag = piiTagName();
  const policy = stringMaskingPolicyName();
  const key = pseudonymKeyTableName();
  return [
    { id: "schema.governance", role: GOVERNANCE_OWNER, sql: `CREATE SCHEMA IF NOT EXISTS ${schema}` },
    // The transformer reads the key (staging views) and tags its columns; the loader applies the VALUE policies and
    // the tag to the external tables it owns. Using a tag or policy needs a privilege on its schema
    // (https://docs.snowflake.com/en/user-guide/security-column-intro, "Masking policy privileges").
    ...[loader, transformer].map((role) => ({
      id: `grant.schema.governance.${role.toLowerCase()}`,
      role: "SECURITYADMIN",
      sql: `GRANT USAGE ON SCHEMA ${schema} TO ROLE ${snowflakeIdent(role)}`,
    })),
    {
      id: "tag.pii",
      role: GOVERNANCE_OWNER,
      // ALLOWED_VALUES must come before COMMENT (https://docs.snowflake.com/en/sql-reference/sql/create-tag).
      sql: `CREATE TAG IF NOT EXISTS ${tag} ALLOWED_VALUES ${PII_TAG_VALUES.map(snowflakeString).join(", ")} COMMENT = ${snowflakeString(GOVERNANCE_COMMENTS.piiTag)}`,
    },
    // APPLY on the tag plus ownership of the object lets a role set the tag on its own tables, views and columns
    // (https://docs.snowflake.com/en/user-guide/object-tagging): the loader on the external tables, the transformer
    // (dbt post-hooks) on staging and mart columns. No account-wide APPLY TAG.
    ...[loader, transformer].map((role) => ({
      id: `grant.tag.pii.${role.toLowerCase()}`,
      role: "SECURITYADMIN",
      sql: `GRANT APPLY ON TAG ${tag} TO ROLE ${snowflakeIdent(role)}`,
    })),
    {
      id: "masking_policy.string",
      role: GOVERNANCE_OWNER,
      sql: `CREATE MASKING POLICY IF NOT EXISTS ${policy} AS (val STRING) RETURNS STRING ->\n  ${stringMaskingBody()}\n  COMMENT = ${snowflakeString(GOVERNANCE_COMMENTS.stringMaskingPolicy)}`,
    },
    // IF NOT EXISTS keeps an existing policy (CREATE OR REPLACE fails while it is attached to a tag or column): this
    // keeps its body current (https://docs.snowflake.com/en/sql-reference/sql/alter-masking-policy).
    { id: "masking_policy.string.body", role: GOVERNANCE_OWNER, sql: `ALTER MASKING POLICY ${policy} SET BODY ->\n  ${stringMaskingBody()}` },
    {
      id: "tag.pii.masking_policy",
      role: "ACCOUNTADMIN",
      // FORCE replaces a policy of the same data type already on the tag, and "has no effect" when there is none
      // (https://docs.snowflake.com/en/sql-reference/sql/alter-tag, FORCE): re-runnable without an UNSET.
      sql: `ALTER TAG ${tag} SET MASKING POLICY ${policy} FORCE`,
    },
    {
      id: "pseudonym_key",
      role: GOVERNANCE_OWNER,
      sql: `CREATE TABLE IF NOT EXISTS ${key} (${snowflakeIdent(PSEUDONYM_KEY_COLUMN)} VARCHAR NOT NULL)\n  COMMENT = ${snowflakeString(GOVERNANCE_COMMENTS.pseudonymKeyTable)}`,
    },
    // Staging views (owned by the transformer) read the key with their owner's privileges: readers of the views never
    // need this grant, and nobody else gets one.
    { id: "grant.pseudonym_key.transformer", role: "SECURITYADMIN", sql: `GRANT SELECT ON TABLE ${key} TO ROLE ${snowflakeIdent(transformer)}` },
  ];
}

/** The VALUE masking policy of a table with personal columns, its body and the loader's APPLY on it. */
function valueMaskingPolicyStatements(table: TableIR): PlannedStatement[] {
  const policy = valueMaskingPolicyName(table);
  return [
    {
      id: `masking_policy.value.${table.name}`,
      role: GOVERNANCE_OWNER,
      sql: `CREATE MASKING POLICY IF NOT EXISTS ${policy} AS (val VARIANT) RETURNS VARIANT ->\n  ${valueMaskingBody(table)}\n  COMMENT = ${snowflakeString(GOVERNANCE_COMMENTS.valueMaskingPolicy(table))}`,
    },
    { id: `masking_policy.value.${table.name}.body`, role: GOVERNANCE_OWNER, sql: `ALTER MASKING POLICY ${policy} SET BODY ->\n  ${valueMaskingBody(table)}` },
    // The hybrid approach Snowflake documents: the policy's owner lets the table owner apply it
    // (https://docs.snowflake.com/en/user-guide/security-column-intro, "Hybrid Management").
    {
      id: `grant.masking_policy.value.${table.name}.loader`,
      role: "SECURITYADMIN",
      sql: `GRANT APPLY ON MASKING POLICY ${policy} TO ROLE ${snowflakeIdent(SF.roles.loader)}`,
    },
  ];
}

/**
 * After a table's CREATE OR REPLACE (which makes a new table): its VALUE masking policy and its PII tag, set by the
 * loader that owns it, so that `--scope datasets` re-applies them too. External tables take both through ALTER TABLE,
 * not ALTER EXTERNAL TABLE (https://docs.snowflake.com/en/sql-reference/sql/alter-external-table, usage notes;
 * https://docs.snowflake.com/en/user-guide/security-column-intro, "External tables"). FORCE replaces a policy already
 * on the column (https://docs.snowflake.com/en/sql-reference/sql/alter-table-column).
 */
function protectionOfTableStatements(table: TableIR): PlannedStatement[] {
  const personal: (typeof PII_TAG_VALUES)[number] = "personal";
  return [
    {
      id: `table.${table.name}.value_mask`,
      role: SF.roles.loader,
      sql: `ALTER TABLE ${externalTableName(table)} MODIFY COLUMN VALUE SET MASKING POLICY ${valueMaskingPolicyName(table)} FORCE`,
    },
    { id: `table.${table.name}.pii_tag`, role: SF.roles.loader, sql: `ALTER TABLE ${externalTableName(table)} SET TAG ${piiTagName()} = ${snowflakeString(personal)}` },
  ];
}

/**
 * The warehouse dbt (`profiles.yml`) and QuickSight (`quicksight.json`) run their queries on: a session needs a running
 * warehouse for queries and DML (https://docs.snowflake.com/en/sql-reference/sql/use-warehouse). The smallest size,
 * created suspended, resumed by the first query and suspended after a minute idle, so that it costs only while it runs
 * (https://docs.snowflake.com/en/sql-reference/sql/create-warehouse). IF NOT EXISTS: an existing warehouse keeps the
 * size and settings an administrator gave it.
 */
export function warehouseStatement(): string {
  return (
    `CREATE WAREHOUSE IF NOT EXISTS ${snowflakeIdent(SF.warehouse)}\n` +
    `  WAREHOUSE_SIZE = XSMALL\n  AUTO_SUSPEND = 60\n  AUTO_RESUME = TRUE\n  INITIALLY_SUSPENDED = TRUE\n` +
    `  COMMENT = ${snowflakeString("Runs the queries of dbt (transformer role) and QuickSight (reporter role).")}`
  );
}

function accountStatements(ir: ContractIR): PlannedStatement[] {
  const { loader, transformer, reporter } = SF.roles;
  const integration = snowflakeIdent(SF.storageIntegration);
  const allowed = ir.datasets.map((d) => snowflakeString(d.locations.processed)).join(", ");
  return [
    ...[loader, transformer, reporter].map((role) => ({
      id: `role.${role.toLowerCase()}`,
      role: "USERADMIN",
      sql: `CREATE ROLE IF NOT EXISTS ${snowflakeIdent(role)}`,
    })),
    // Custom roles roll up to SYSADMIN, as Snowflake recommends (https://docs.snowflake.com/en/user-guide/security-access-control-considerations).
    ...[loader, transformer, reporter].map((role) => ({
      id: `role.${role.toLowerCase()}.to_sysadmin`,
      role: "SECURITYADMIN",
      sql: `GRANT ROLE ${snowflakeIdent(role)} TO ROLE SYSADMIN`,
    })),
    { id: "database", role: "SYSADMIN", sql: `CREATE DATABASE IF NOT EXISTS ${db()}` },
    { id: "schema.raw", role: "SYSADMIN", sql: `CREATE SCHEMA IF NOT EXISTS ${raw()}` },
    { id: "warehouse", role: "SYSADMIN", sql: warehouseStatement() },
    {
      id: "integration",
      role: "ACCOUNTADMIN",
      sql:
        `CREATE STORAGE INTEGRATION IF NOT EXISTS ${integration}\n` +
        `  TYPE = EXTERNAL_STAGE\n  STORAGE_PROVIDER = 'S3'\n  ENABLED = TRUE\n` +
        `  STORAGE_AWS_ROLE_ARN = ${snowflakeString(SF.storageRoleArnPlaceholder)}\n` +
        `  STORAGE_ALLOWED_LOCATIONS = (${allowed})`,
    },
    // IF NOT EXISTS keeps the integration (and its external id, trusted by the IAM role); this keeps its locations current.
    {
      id: "integration.locations",
      role: "ACCOUNTADMIN",
      sql: `ALTER STORAGE INTEGRATION ${integration} SET STORAGE_ALLOWED_LOCATIONS = (${allowed})`,
    },
    { id: "grant.integration.loader", role: "ACCOUNTADMIN", sql: `GRANT USAGE ON INTEGRATION ${integration} TO ROLE ${snowflakeIdent(loader)}` },
    ...[loader, transformer, reporter].map((role) => ({
      id: `grant.database.${role.toLowerCase()}`,
      role: "SECURITYADMIN",
      sql: `GRANT USAGE ON DATABASE ${db()} TO ROLE ${snowflakeIdent(role)}`,
    })),
    // dbt (transformer) and QuickSight (reporter) run queries; the loader runs only DDL and SHOW, and its tables'
    // metadata refreshes (on create, and auto-refresh) run on Snowflake's own compute, billed like Snowpipe
    // (https://docs.snowflake.com/en/sql-reference/account-usage/pipe_usage_history): no warehouse for it.
    ...[transformer, reporter].map((role) => ({
      id: `grant.warehouse.${role.toLowerCase()}`,
      role: "SECURITYADMIN",
      sql: `GRANT USAGE ON WAREHOUSE ${snowflakeIdent(SF.warehouse)} TO ROLE ${snowflakeIdent(role)}`,
    })),
    ...[loader, transformer].map((role) => ({
      id: `grant.schema.raw.${role.toLowerCase()}`,
      role: "SECURITYADMIN",
      sql: `GRANT USAGE ON SCHEMA ${raw()} TO ROLE ${snowflakeIdent(role)}`,
    })),
    {
      id: "grant.schema.raw.create",
      role: "SECURITYADMIN",
      sql: `GRANT CREATE STAGE, CREATE FILE FORMAT, CREATE EXTERNAL TABLE ON SCHEMA ${raw()} TO ROLE ${snowflakeIdent(loader)}`,
    },
    {
      id: "grant.external_tables.transformer",
      role: "SECURITYADMIN",
      sql: `GRANT SELECT ON ALL EXTERNAL TABLES IN SCHEMA ${raw()} TO ROLE ${snowflakeIdent(transformer)}`,
    },
    {
      id: "grant.future_external_tables.transformer",
      role: "SECURITYADMIN",
      sql: `GRANT SELECT ON FUTURE EXTERNAL TABLES IN SCHEMA ${raw()} TO ROLE ${snowflakeIdent(transformer)}`,
    },
    // dbt (transformer) creates its own staging and marts schemas; the reporter is granted marts by dbt's `grants`.
    { id: "grant.database.create_schema.transformer", role: "SECURITYADMIN", sql: `GRANT CREATE SCHEMA ON DATABASE ${db()} TO ROLE ${snowflakeIdent(transformer)}` },
    ...governanceStatements(),
    {
      id: "file_format",
      role: loader,
      sql: `CREATE FILE FORMAT IF NOT EXISTS ${fileFormatName()}\n  TYPE = ${FILE_FORMAT_TYPE}\n${FILE_FORMAT_OPTIONS.map((o) => `  ${o}`).join("\n")}`,
    },
    // IF NOT EXISTS keeps an existing file format: this keeps its options current. Not CREATE OR REPLACE: Snowflake
    // refuses to re-create a file format that external tables depend on (and used to leave them broken):
    // https://docs.snowflake.com/en/release-notes/bcr-bundles/2025_05/bcr-1989. ALTER … SET changes the options in place
    // (https://docs.snowflake.com/en/sql-reference/sql/alter-file-format); the tables' digests cover them.
    { id: "file_format.options", role: loader, sql: `ALTER FILE FORMAT ${fileFormatName()} SET ${FILE_FORMAT_OPTIONS.join(" ")}` },
  ];
}

function datasetStatements(dataset: DatasetIR): PlannedStatement[] {
  const statements: PlannedStatement[] = [
    {
      id: `stage.${dataset.name}`,
      role: SF.roles.loader,
      sql:
        `CREATE STAGE IF NOT EXISTS ${stageName(dataset)}\n` +
        `  URL = ${snowflakeString(dataset.locations.processed)}\n` +
        `  STORAGE_INTEGRATION = ${snowflakeIdent(SF.storageIntegration)}\n` +
        `  FILE_FORMAT = ${fileFormatName()}`,
    },
    // IF NOT EXISTS keeps an existing stage and its URL: this moves it to the contract's processed location
    // (https://docs.snowflake.com/en/sql-reference/sql/alter-stage). Snowflake refuses it while external tables depend on
    // the stage (https://docs.snowflake.com/en/release-notes/bcr-bundles/2025_05/bcr-1989), so snowflake:apply runs it
    // only when the live URL differs, after dropping the dataset's external tables; the tables below, whose digests
    // cover the URL, are then created again over the new location.
    {
      id: `stage.${dataset.name}.url`,
      role: SF.roles.loader,
      sql: `ALTER STAGE ${stageName(dataset)} SET URL = ${snowflakeString(dataset.locations.processed)} STORAGE_INTEGRATION = ${snowflakeIdent(SF.storageIntegration)}`,
    },
  ];
  for (const table of [dataset.table, ...dataset.children]) {
    const masked = personalColumns(table).length > 0;
    if (masked) statements.push(...valueMaskingPolicyStatements(table));
    statements.push({ id: `table.${table.name}`, role: SF.roles.loader, sql: externalTableStatement(dataset, table) });
    if (masked) statements.push(...protectionOfTableStatements(table));
  }
  return statements;
}

/** The statements of each file, in plan order: `10_account.sql`, then `20_<dataset>.sql` per dataset. */
function planFiles(ir: ContractIR): { name: string; dataset?: DatasetIR; statements: PlannedStatement[] }[] {
  return [
    { name: "10_account.sql", statements: accountStatements(ir) },
    ...ir.datasets.map((dataset) => ({ name: `20_${dataset.name}.sql`, dataset, statements: datasetStatements(dataset) })),
  ];
}

export function plan(ir: ContractIR): PlannedStatement[] {
  return planFiles(ir).flatMap((f) => f.statements);
}

export const snowflakeTarget: Target = {
  id: "snowflake",
  description: "Snowflake DDL: integration, stage, external tables, roles and grants, PII tag and masking policies",
  emit(ir: ContractIR): EmitResult {
    const groups = planFiles(ir);
    const header = commentBlock(combinedHeaderLines(ir.datasets), "--");
    const files: GeneratedFile[] = groups.map(({ name, dataset, statements }) => {
      const fileHeader = dataset ? commentBlock(headerLines(dataset), "--") : header;
      const body = statements.map((s) => `-- ${s.id} (run as ${s.role})\n${s.sql};\n`).join("\n");
      return { path: `generated/snowflake/${name}`, contents: finalText(`${fileHeader}\n${body}`) };
    });
    files.push({
      path: "generated/snowflake/plan.json",
      contents: jsonText({ $comment: combinedHeaderLines(ir.datasets).join(" "), statements: plan(ir) }),
    });
    return { files, diagnostics: [] };
  },
};
