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
 *
 * Governance objects follow the documented re-run rules, so that a plan that is not re-runnable fails on its second
 * run: CREATE … without IF NOT EXISTS fails on an existing policy or tag; ALTER TAG … SET MASKING POLICY without
 * FORCE fails when the tag already has a policy of that data type (…/alter-tag); ALTER TABLE … SET MASKING POLICY
 * without FORCE fails on a column that has one (…/alter-table-column); CREATE OR REPLACE EXTERNAL TABLE makes a new
 * table, without the old one's policies and tags. The key table keeps what INSERT OVERWRITE bound into it.
 *
 * `statements` holds the SQL texts as sent, which is what Snowflake's query history shows (bind values are not part
 * of it); `executions` pairs each text with its binds.
 */
import type { Row, SqlConnection } from "../../runners/snowflake/connection.js";

export interface FakeColumn {
  name: string;
  type: string;
  expression: string;
}

export const QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:sf-snowpipe-AIDAEXAMPLE-queue";

export interface FakeTag {
  readonly allowedValues: readonly string[];
  /** Data type of the policy's signature → masking policy name. */
  readonly policies: Map<string, string>;
}

const NAME = "[A-Z0-9_.]+";

function sqlError(message: string): Error {
  return new Error(`SQL compilation error:\n${message}`);
}

export class FakeSnowflake implements SqlConnection {
  readonly statements: string[] = [];
  readonly executions: { readonly sqlText: string; readonly binds: readonly (string | number)[] }[] = [];
  readonly tables = new Map<string, FakeColumn[]>();
  /** Masking policy → the data type of its signature and its body. */
  readonly policies = new Map<string, { type: string; body: string }>();
  readonly tags = new Map<string, FakeTag>();
  /** `TABLE.COLUMN` → masking policy set directly on the column. */
  readonly columnPolicies = new Map<string, string>();
  /** Table → tag → value. */
  readonly objectTags = new Map<string, Map<string, string>>();
  /** Regular tables (the pseudonym key table) → their rows' single column. */
  readonly rows = new Map<string, (string | number)[]>();
  /** External table → its comment, as CREATE set it. */
  readonly comments = new Map<string, string>();
  /** Stage → its URL, as CREATE STAGE IF NOT EXISTS and ALTER STAGE … SET URL left it. */
  readonly stages = new Map<string, string>();
  /** External table → the stage its LOCATION names. */
  readonly tableStages = new Map<string, string>();
  /** Statements matching this fail with a Snowflake-like error. */
  failOn?: RegExp;
  closed = false;

  async execute(sqlText: string, binds: readonly (string | number)[] = []): Promise<Row[]> {
    this.statements.push(sqlText);
    this.executions.push({ sqlText, binds: [...binds] });
    if (this.failOn?.test(sqlText)) {
      throw new Error("SQL access control error: Insufficient privileges to operate on schema 'RAW'");
    }
    const create = /^CREATE OR REPLACE EXTERNAL TABLE ([A-Z0-9_.]+) \(\n([\s\S]*?)\n\)\n/.exec(sqlText);
    if (create) {
      // A new table: the replaced one's policies and tags go with it.
      const table = create[1]!;
      this.tables.set(table, parseColumns(create[2]!));
      const comment = /\nCOMMENT = '((?:[^']|'')*)'$/.exec(sqlText);
      this.comments.set(table, comment ? comment[1]!.replaceAll("''", "'") : "");
      const stage = /\nLOCATION = @([A-Z0-9_.]+)\//.exec(sqlText)?.[1];
      if (stage && !this.stages.has(stage)) throw sqlError(`Stage '${stage}' does not exist or not authorized.`);
      if (stage) this.tableStages.set(table, stage);
      for (const key of [...this.columnPolicies.keys()]) if (key.startsWith(`${table}.`)) this.columnPolicies.delete(key);
      this.objectTags.delete(table);
      return [{ status: `Table ${table.split(".").pop()} successfully created.` }];
    }
    const drop = /^DROP EXTERNAL TABLE IF EXISTS ([A-Z0-9_.]+)$/.exec(sqlText);
    if (drop) {
      const table = drop[1]!;
      for (const map of [this.tables, this.comments, this.tableStages, this.objectTags]) map.delete(table);
      for (const key of [...this.columnPolicies.keys()]) if (key.startsWith(`${table}.`)) this.columnPolicies.delete(key);
      return [{ status: `${table.split(".").pop()} successfully dropped.` }];
    }
    const stage = this.stage(sqlText);
    if (stage) return stage;
    const governed = this.governance(sqlText, binds);
    if (governed) return governed;
    if (/^SHOW EXTERNAL TABLES IN SCHEMA /.test(sqlText)) {
      return [...this.tables.keys()].map((fq) => {
        const [database, schema, name] = fq.split(".");
        return {
          created_on: "2026-11-26 00:00:00.000 -0800", name, database_name: database, schema_name: schema, invalid: "false",
          invalid_reason: null, owner: "AMAZON_REVIEWS_LOADER", comment: this.comments.get(fq) ?? "", stage: `${database}.${schema}.X`, location: "s3://x/",
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
    if (/^(USE ROLE|USE WAREHOUSE|CREATE|GRANT|ALTER)\b/.test(sqlText)) return [{ status: "Statement executed successfully." }];
    throw new Error(`FakeSnowflake: no replay for: ${sqlText.split("\n")[0]}`);
  }

  /**
   * External stages: CREATE … IF NOT EXISTS keeps an existing stage's URL; ALTER STAGE … SET URL fails while external
   * tables depend on the stage (https://docs.snowflake.com/en/release-notes/bcr-bundles/2025_05/bcr-1989); SHOW STAGES
   * (https://docs.snowflake.com/en/sql-reference/sql/show-stages) lists the URL. Undefined for other statements.
   */
  private stage(sqlText: string): Row[] | undefined {
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^CREATE STAGE IF NOT EXISTS (${NAME})\n  URL = '([^']*)'\n`).exec(sqlText))) {
      if (!this.stages.has(m[1]!)) this.stages.set(m[1]!, m[2]!);
      return [{ status: "Stage area successfully created." }];
    }
    if ((m = new RegExp(`^ALTER STAGE (${NAME}) SET URL = '([^']*)' `).exec(sqlText))) {
      const [, stage, url] = m;
      if (!this.stages.has(stage!)) throw sqlError(`Stage '${stage}' does not exist or not authorized.`);
      const dependents = [...this.tableStages].filter(([, s]) => s === stage).map(([table]) => table);
      if (dependents.length) throw sqlError(`Cannot alter the location of stage ${stage}: external tables depend on it (${dependents.join(", ")}).`);
      this.stages.set(stage!, url!);
      return [{ status: "Statement executed successfully." }];
    }
    if ((m = /^SHOW STAGES LIKE '([A-Z0-9_]+)' IN SCHEMA ([A-Z0-9_]+)\.([A-Z0-9_]+)$/.exec(sqlText))) {
      const [, name, database, schema] = m;
      const url = this.stages.get(`${database}.${schema}.${name}`);
      if (url === undefined) return [];
      return [{
        created_on: "2026-11-26 00:00:00.000 -0800", name, database_name: database, schema_name: schema, url, has_credentials: "N",
        has_encryption_key: "N", owner: "AMAZON_REVIEWS_LOADER", comment: "", region: "us-east-1", type: "EXTERNAL", cloud: "AWS",
        notification_channel: null, storage_integration: "AMAZON_REVIEWS_S3", endpoint: null, owner_role_type: "ROLE", directory_enabled: "N",
      }];
    }
    return undefined;
  }

  /** Tags, masking policies, the key table: undefined when the statement is none of theirs. */
  private governance(sqlText: string, binds: readonly (string | number)[]): Row[] | undefined {
    const ok = [{ status: "Statement executed successfully." }];
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^CREATE MASKING POLICY (IF NOT EXISTS )?(${NAME}) AS \\(val (STRING|VARIANT)\\) RETURNS (STRING|VARIANT) ->\\n  (.*)\\n  COMMENT = `).exec(sqlText))) {
      const [, ifNotExists, name, type, returns, body] = m;
      if (type !== returns) throw sqlError(`Masking policy ${name} must return its argument's type.`);
      if (this.policies.has(name!)) {
        if (ifNotExists) return ok;
        throw sqlError(`Object '${name}' already exists.`);
      }
      this.policies.set(name!, { type: type!, body: body! });
      return ok;
    }
    if ((m = new RegExp(`^ALTER MASKING POLICY (${NAME}) SET BODY ->\\n  (.*)$`).exec(sqlText))) {
      const policy = this.policies.get(m[1]!);
      if (!policy) throw sqlError(`Masking policy '${m[1]}' does not exist or not authorized.`);
      this.policies.set(m[1]!, { ...policy, body: m[2]! });
      return ok;
    }
    if ((m = new RegExp(`^CREATE TAG (IF NOT EXISTS )?(${NAME}) ALLOWED_VALUES ((?:'[^']*'(?:, )?)+) COMMENT = `).exec(sqlText))) {
      if (this.tags.has(m[2]!)) {
        if (m[1]) return ok;
        throw sqlError(`Object '${m[2]}' already exists.`);
      }
      this.tags.set(m[2]!, { allowedValues: [...m[3]!.matchAll(/'([^']*)'/g)].map((v) => v[1]!), policies: new Map() });
      return ok;
    }
    if ((m = new RegExp(`^ALTER TAG (${NAME}) SET MASKING POLICY (${NAME})( FORCE)?$`).exec(sqlText))) {
      const tag = this.tags.get(m[1]!);
      const policy = this.policies.get(m[2]!);
      if (!tag) throw sqlError(`Tag '${m[1]}' does not exist or not authorized.`);
      if (!policy) throw sqlError(`Masking policy '${m[2]}' does not exist or not authorized.`);
      if (tag.policies.has(policy.type) && !m[3]) throw sqlError(`Tag ${m[1]} already has a masking policy for data type ${policy.type}.`);
      tag.policies.set(policy.type, m[2]!);
      return ok;
    }
    if ((m = new RegExp(`^ALTER TABLE (${NAME}) MODIFY COLUMN ([A-Z0-9_]+) SET MASKING POLICY (${NAME})( FORCE)?$`).exec(sqlText))) {
      const [, table, column, name, force] = m;
      if (!this.tables.has(table!)) throw sqlError(`Table '${table}' does not exist or not authorized.`);
      const policy = this.policies.get(name!);
      if (!policy) throw sqlError(`Masking policy '${name}' does not exist or not authorized.`);
      if (column === "VALUE" && policy.type !== "VARIANT") throw sqlError(`Masking policy ${name} of type ${policy.type} cannot protect VALUE (VARIANT).`);
      if (this.columnPolicies.has(`${table}.${column}`) && !force) throw sqlError(`Specified column already attached to another masking policy. A column cannot be attached to multiple masking policies.`);
      this.columnPolicies.set(`${table}.${column}`, name!);
      return ok;
    }
    if ((m = new RegExp(`^ALTER TABLE (${NAME}) SET TAG (${NAME}) = '([^']*)'$`).exec(sqlText))) {
      const [, table, tagName, value] = m;
      if (!this.tables.has(table!)) throw sqlError(`Table '${table}' does not exist or not authorized.`);
      const tag = this.tags.get(tagName!);
      if (!tag) throw sqlError(`Tag '${tagName}' does not exist or not authorized.`);
      if (!tag.allowedValues.includes(value!)) throw sqlError(`Tag ${tagName} does not allow the value '${value}'.`);
      this.objectTags.set(table!, new Map([...(this.objectTags.get(table!) ?? []), [tagName!, value!]]));
      return ok;
    }
    if ((m = new RegExp(`^CREATE TABLE IF NOT EXISTS (${NAME}) \\(KEY VARCHAR NOT NULL\\)`).exec(sqlText))) {
      if (!this.rows.has(m[1]!)) this.rows.set(m[1]!, []);
      return ok;
    }
    if ((m = new RegExp(`^INSERT OVERWRITE INTO (${NAME}) \\(KEY\\) VALUES \\(\\?\\)$`).exec(sqlText))) {
      if (!this.rows.has(m[1]!)) throw sqlError(`Table '${m[1]}' does not exist or not authorized.`);
      if (binds.length !== 1) throw sqlError(`Bind variable ? not set.`);
      this.rows.set(m[1]!, [binds[0]!]);
      return [{ "number of rows inserted": 1 }];
    }
    if ((m = new RegExp(`^SELECT COUNT\\(\\*\\) AS KEY_ROWS, MIN\\(LENGTH\\(KEY\\)\\) AS SHORTEST_KEY FROM (${NAME})$`).exec(sqlText))) {
      const rows = this.rows.get(m[1]!);
      if (!rows) throw sqlError(`Object '${m[1]}' does not exist or not authorized.`);
      return [{ KEY_ROWS: rows.length, SHORTEST_KEY: rows.length ? Math.min(...rows.map((r) => [...String(r)].length)) : null }];
    }
    return undefined;
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
