/**
 * Snowflake DDL: roles, database and schema, the S3 storage integration, a named Parquet file format, one external
 * stage per dataset, one external table per processed table (typed virtual columns over VALUE, partition columns from
 * METADATA$FILENAME, auto-refresh), and least-privilege grants.
 *
 * Output:
 * - `generated/snowflake/plan.json`: every statement, in order, with the role to run it as. `snowflake:apply` runs
 *   exactly these, one by one.
 * - `generated/snowflake/<group>.sql`: the same statements for people and for sqlfluff.
 *
 * Every statement is re-runnable (IF NOT EXISTS, CREATE OR REPLACE … COPY GRANTS, ALTER … SET).
 */
import { DATA_FILE_PATTERN, externalColumnExpression, externalColumns, externalColumnType, SOURCE_FILE_COLUMN, type ExternalColumn } from "../../dialects/external-table.js";
import { snowflakeIdent, snowflakeString } from "../../dialects/snowflake-sql.js";
import { commentBlock, combinedHeaderLines, finalText, headerLines, jsonText } from "../../lib/header.js";
import type { ColumnIR, ContractIR, DatasetIR, TableIR } from "../../ir/types.js";
import { PLATFORM } from "../../platform.js";
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
 * `ALTER EXTERNAL TABLE … ADD COLUMN`, with the same definition the CREATE statement gives the column. A column
 * renamed from `renamedFrom` reads both names (files written before the rename carry the old one).
 * Partition columns cannot be added to an existing external table (they are declared with PARTITION BY).
 */
export function addExternalColumnStatement(table: Pick<TableIR, "name">, column: ColumnIR, renamedFrom?: string): string {
  if (column.partition) return `-- ${table.name}.${column.name} is a partition column: re-create the table with the generated external-table DDL.`;
  const type = externalColumnType("snowflake", column);
  const expression = renamedFrom
    ? `COALESCE(${externalColumnExpression("snowflake", column)}, ${externalColumnExpression("snowflake", { ...column, name: renamedFrom })})`
    : externalColumnExpression("snowflake", column);
  return `ALTER EXTERNAL TABLE ${externalTableName(table)} ADD COLUMN ${externalColumnDefinition({ name: column.name, type, expression })};`;
}

export function dropExternalColumnStatement(table: Pick<TableIR, "name">, column: string): string {
  return `ALTER EXTERNAL TABLE ${externalTableName(table)} DROP COLUMN ${snowflakeIdent(column)};`;
}

export function dropExternalTableStatement(table: Pick<TableIR, "name">): string {
  return `DROP EXTERNAL TABLE IF EXISTS ${externalTableName(table)};`;
}

export function externalTableStatement(dataset: DatasetIR, table: TableIR): string {
  const columns = externalColumns("snowflake", table).map((c) => `  ${externalColumnDefinition(c)}`);
  const partitions = table.partitionBy.length ? `PARTITION BY (${table.partitionBy.map(snowflakeIdent).join(", ")})\n` : "";
  const relative = table.location.slice(dataset.locations.processed.length);
  return (
    `CREATE OR REPLACE EXTERNAL TABLE ${externalTableName(table)} (\n${columns.join(",\n")}\n)\n` +
    partitions +
    `LOCATION = @${stageName(dataset)}/${relative}\n` +
    `REFRESH_ON_CREATE = TRUE\n` +
    `AUTO_REFRESH = TRUE\n` +
    `PATTERN = ${snowflakeString(DATA_FILE_PATTERN)}\n` +
    `FILE_FORMAT = (FORMAT_NAME = ${snowflakeString(fileFormatName())})\n` +
    `COPY GRANTS\n` +
    `COMMENT = ${snowflakeString(`${table.description} (contract ${dataset.contract.version})`)}`
  );
}

export function plan(ir: ContractIR): PlannedStatement[] {
  const { loader, transformer, reporter } = SF.roles;
  const integration = snowflakeIdent(SF.storageIntegration);
  const allowed = ir.datasets.map((d) => snowflakeString(d.locations.processed)).join(", ");
  const statements: PlannedStatement[] = [
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
    {
      id: "file_format",
      role: loader,
      // USE_LOGICAL_TYPE: read Parquet DATE/TIMESTAMP/DECIMAL annotations as such (https://docs.snowflake.com/en/sql-reference/sql/create-file-format).
      sql: `CREATE FILE FORMAT IF NOT EXISTS ${fileFormatName()}\n  TYPE = PARQUET\n  USE_LOGICAL_TYPE = TRUE`,
    },
  ];
  for (const dataset of ir.datasets) {
    statements.push({
      id: `stage.${dataset.name}`,
      role: loader,
      sql:
        `CREATE STAGE IF NOT EXISTS ${stageName(dataset)}\n` +
        `  URL = ${snowflakeString(dataset.locations.processed)}\n` +
        `  STORAGE_INTEGRATION = ${integration}\n` +
        `  FILE_FORMAT = ${fileFormatName()}`,
    });
    for (const table of [dataset.table, ...dataset.children]) {
      statements.push({ id: `table.${table.name}`, role: loader, sql: externalTableStatement(dataset, table) });
    }
  }
  return statements;
}

/** Which file a statement is shown in. */
function groupOf(statement: PlannedStatement, ir: ContractIR): string {
  for (const dataset of ir.datasets) {
    if (statement.id === `stage.${dataset.name}` || [dataset.table, ...dataset.children].some((t) => statement.id === `table.${t.name}`)) {
      return `20_${dataset.name}.sql`;
    }
  }
  return "10_account.sql";
}

export const snowflakeTarget: Target = {
  id: "snowflake",
  description: "Snowflake DDL: integration, stage, external tables, roles and grants",
  emit(ir: ContractIR): EmitResult {
    const statements = plan(ir);
    const groups = new Map<string, PlannedStatement[]>();
    for (const s of statements) {
      const name = groupOf(s, ir);
      groups.set(name, [...(groups.get(name) ?? []), s]);
    }
    const header = commentBlock(combinedHeaderLines(ir.datasets), "--");
    const files: GeneratedFile[] = [...groups].map(([name, list]) => {
      const dataset = ir.datasets.find((d) => name === `20_${d.name}.sql`);
      const fileHeader = dataset ? commentBlock(headerLines(dataset), "--") : header;
      const body = list.map((s) => `-- ${s.id} (run as ${s.role})\n${s.sql};\n`).join("\n");
      return { path: `generated/snowflake/${name}`, contents: finalText(`${fileHeader}\n${body}`) };
    });
    files.push({
      path: "generated/snowflake/plan.json",
      contents: jsonText({ $comment: combinedHeaderLines(ir.datasets).join(" "), statements }),
    });
    return { files, diagnostics: [] };
  },
};
