/**
 * A `SqlConnection` for tests: records every statement and replays the result shapes Snowflake documents for the
 * statements the runners send. No Snowflake is reachable from CI, so this is where the SQL and the result handling
 * are tested. The catalogue it answers from is built by replaying the CREATE EXTERNAL TABLE statements it receives
 * (or is given), the way Snowflake reports them: default lengths filled in (`VARCHAR(16777216)`, `TIMESTAMP_TZ(9)`),
 * `TEXT` in INFORMATION_SCHEMA, upper-case names, a VALUE column of kind COLUMN.
 *
 * Shapes: SHOW EXTERNAL TABLES (https://docs.snowflake.com/en/sql-reference/sql/show-external-tables),
 * DESCRIBE EXTERNAL TABLE (…/desc-external-table), DESC INTEGRATION (…/desc-integration),
 * INFORMATION_SCHEMA.COLUMNS (…/info-schema/columns).
 */
import type { Row, SqlConnection } from "../../runners/snowflake/connection.js";

export interface FakeColumn {
  name: string;
  type: string;
  expression: string;
}

export const QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:sf-snowpipe-AIDAEXAMPLE-queue";

export class FakeSnowflake implements SqlConnection {
  readonly statements: string[] = [];
  readonly tables = new Map<string, FakeColumn[]>();
  /** Statements matching this fail with a Snowflake-like error. */
  failOn?: RegExp;
  closed = false;

  async execute(sqlText: string, binds: readonly (string | number)[] = []): Promise<Row[]> {
    this.statements.push(binds.length ? `${sqlText} -- binds: ${JSON.stringify(binds)}` : sqlText);
    if (this.failOn?.test(sqlText)) {
      throw new Error("SQL access control error: Insufficient privileges to operate on schema 'RAW'");
    }
    const create = /^CREATE OR REPLACE EXTERNAL TABLE ([A-Z0-9_.]+) \(\n([\s\S]*?)\n\)\n/.exec(sqlText);
    if (create) {
      this.tables.set(create[1]!, parseColumns(create[2]!));
      return [{ status: `Table ${create[1]!.split(".").pop()} successfully created.` }];
    }
    if (/^SHOW EXTERNAL TABLES IN SCHEMA /.test(sqlText)) {
      return [...this.tables.keys()].map((fq) => {
        const [database, schema, name] = fq.split(".");
        return {
          created_on: "2026-11-26 00:00:00.000 -0800", name, database_name: database, schema_name: schema, invalid: "false",
          invalid_reason: null, owner: "AMAZON_REVIEWS_LOADER", comment: "", stage: `${database}.${schema}.X`, location: "s3://x/",
          file_format_name: "PARQUET_FF", file_format_type: "PARQUET", cloud: "aws", region: "us-east-1",
          notification_channel: QUEUE_ARN, last_refreshed_on: null, table_format: "NOT_SPECIFIED", last_refresh_details: null,
          owner_role_type: "ROLE",
        };
      });
    }
    if (/^DESC INTEGRATION /.test(sqlText)) {
      return [
        { property: "ENABLED", property_type: "Boolean", property_value: "true", property_default: "false" },
        { property: "STORAGE_PROVIDER", property_type: "String", property_value: "S3", property_default: "" },
        { property: "STORAGE_AWS_IAM_USER_ARN", property_type: "String", property_value: "arn:aws:iam::210987654321:user/abc1-b-self1234", property_default: "" },
        { property: "STORAGE_AWS_EXTERNAL_ID", property_type: "String", property_value: "MYACCOUNT_SFCRole=2_a123456/s0aBCDEfGHIJklmNoPq=", property_default: "" },
      ];
    }
    const describe = /^DESCRIBE EXTERNAL TABLE ([A-Z0-9_.]+) TYPE = COLUMNS$/.exec(sqlText);
    if (describe) {
      const columns = this.tables.get(describe[1]!);
      if (!columns) throw new Error(`SQL compilation error:\nTable '${describe[1]}' does not exist or not authorized.`);
      return [
        { name: "VALUE", type: "VARIANT", kind: "COLUMN", "null?": "Y", default: null, "primary key": "N", "unique key": "N", check: null, expression: null, comment: "The value of this row", "policy name": null },
        ...columns.map((c) => ({
          name: c.name, type: withDefaults(c.type), kind: "VIRTUAL", "null?": "Y", default: null, "primary key": "N", "unique key": "N",
          check: null, expression: c.expression, comment: null, "policy name": null,
        })),
      ];
    }
    if (/INFORMATION_SCHEMA\.COLUMNS/.test(sqlText)) {
      const [schema, table] = binds as string[];
      const columns = this.tables.get(`AMAZON_REVIEWS.${schema}.${table}`) ?? [];
      return [{ name: "VALUE", type: "VARIANT" }, ...columns].map((c) => {
        const number = /^NUMBER\((\d+),(\d+)\)$/.exec(c.type);
        return {
          COLUMN_NAME: c.name,
          DATA_TYPE: number ? "NUMBER" : /^VARCHAR/.test(c.type) ? "TEXT" : c.type,
          IS_NULLABLE: "YES",
          NUMERIC_PRECISION: number ? Number(number[1]) : null,
          NUMERIC_SCALE: number ? Number(number[2]) : null,
        };
      });
    }
    if (/^(USE ROLE|CREATE|GRANT|ALTER)\b/.test(sqlText)) return [{ status: "Statement executed successfully." }];
    throw new Error(`FakeSnowflake: no replay for: ${sqlText.split("\n")[0]}`);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

function withDefaults(type: string): string {
  if (type === "VARCHAR") return "VARCHAR(16777216)";
  if (/^TIMESTAMP_(TZ|LTZ|NTZ)$/.test(type)) return `${type}(9)`;
  return type;
}

/** `  NAME TYPE AS (expression),` lines of a CREATE EXTERNAL TABLE column list. */
export function parseColumns(list: string): FakeColumn[] {
  return list.split(",\n").map((line) => {
    const match = /^\s*([A-Z0-9_]+) ([A-Z_]+(?:\(\d+,\d+\))?) AS \((.*)\)$/s.exec(line);
    if (!match) throw new Error(`FakeSnowflake: cannot read column definition: ${line}`);
    return { name: match[1]!, type: match[2]!, expression: match[3]! };
  });
}
