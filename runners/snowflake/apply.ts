/**
 * Runs the generated Snowflake plan (`generated/snowflake/plan.json`) statement by statement, each as its role, and
 * reports what the rest of the deployment needs from Snowflake: the auto-refresh SQS queue ARN of every external
 * table (the processed bucket must notify it) and the storage integration's IAM user and external id (the IAM role's
 * trust policy). Stops at the first failing statement and says which one, as which role, and why. An external table
 * is re-created only when its definition digest changed; a stage is moved (`ALTER STAGE … SET URL`) only when its live
 * URL differs, after dropping the external tables that depend on it, which the plan then creates again.
 *
 * Then it loads the pseudonym key (scope `all`) from the environment into the GOVERNANCE key table, as a bind
 * parameter: the key is never part of a SQL text, never printed, never written to a file.
 */
import { readFileSync } from "node:fs";
import { diagnostic, formatDiagnostic, type Diagnostic } from "../../generators/lib/errors.js";
import { NO_KEY_FIX } from "../../generators/targets/dbt/pseudonym.js";
import { DEFINITION_DIGEST, GOVERNANCE_OWNER, pseudonymKeyLoadStatement, type PlannedStatement } from "../../generators/targets/snowflake/emit.js";
import { pseudonymKeyProblem, pseudonymKeyTableName } from "../../generators/targets/protection.js";
import { PLATFORM } from "../../generators/platform.js";
import type { Row, SqlConnection } from "./connection.js";

export interface Plan {
  readonly statements: readonly PlannedStatement[];
}

export function readPlan(path: string): Plan {
  return JSON.parse(readFileSync(path, "utf8")) as Plan;
}

export interface ApplyOptions {
  readonly dryRun: boolean;
  /** `all` (bootstrap: roles, integration, grants) or `datasets` (stages and external tables only, as the loader). */
  readonly scope: "all" | "datasets";
  /** IAM role Snowflake assumes to read the processed bucket; required unless dry-run. */
  readonly storageRoleArn?: string;
  /** The pseudonym key (from `PLATFORM.pseudonym.keyEnv`); loaded after the plan, scope `all` only. */
  readonly pseudonymKey?: string;
  readonly log: (line: string) => void;
}

export interface ApplyResult {
  readonly applied: readonly string[];
  /** External tables whose live definition digest equals the plan's: not re-created (among `applied`). */
  readonly unchanged?: readonly string[];
  readonly failed?: { readonly id: string; readonly role: string; readonly message: string };
  /** External table → SQS ARN that the processed bucket's event notification must target. */
  readonly notificationChannels: Readonly<Record<string, string>>;
  readonly integration?: { readonly iamUserArn?: string; readonly externalId?: string };
  /** Whether the pseudonym key table was loaded (never the key). */
  readonly pseudonymKeyLoaded?: boolean;
}

/** An IAM role ARN in any AWS partition (aws, aws-us-gov, aws-cn), as Terraform's output gives it. */
const ROLE_ARN = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[A-Za-z0-9+=,.@_\/-]{1,512}$/;

/** A setting apply cannot run with (SNOWFLAKE.CONFIG), with the one line that fixes it. */
export class ApplyUsageError extends Error {
  constructor(
    message: string,
    readonly fix?: string,
  ) {
    super(message);
  }
}

/**
 * A key shorter than `PLATFORM.pseudonym.minKeyLength`: refused before anything runs, with the code and the fix dbt
 * and the local runners give for an unusable key (PII.NO_KEY).
 */
export class PseudonymKeyError extends ApplyUsageError {
  readonly diagnostic: Diagnostic;
  constructor(problem: string) {
    const d = diagnostic(
      "PII.NO_KEY",
      `${problem} Nothing was applied.`,
      undefined,
      NO_KEY_FIX.replace(/^Fix: /, ""),
    );
    super(formatDiagnostic(d));
    this.diagnostic = d;
  }
}

/** Refuses a key shorter than the platform's minimum (counted in characters, as Snowflake's LENGTH counts). */
export function checkPseudonymKey(key: string | undefined): void {
  if (key === undefined) return;
  const problem = pseudonymKeyProblem(key);
  if (problem) throw new PseudonymKeyError(problem);
}

export function statementsFor(plan: Plan, options: Pick<ApplyOptions, "scope" | "storageRoleArn" | "dryRun">): PlannedStatement[] {
  const placeholder = PLATFORM.snowflake.storageRoleArnPlaceholder;
  const selected = options.scope === "all" ? plan.statements : plan.statements.filter((s) => /^(stage|table|file_format)[.]?/.test(s.id));
  const needsArn = selected.some((s) => s.sql.includes(placeholder));
  if (needsArn && !options.dryRun) {
    if (!options.storageRoleArn) {
      throw new ApplyUsageError(
        "STORAGE_AWS_ROLE_ARN is not set: the storage integration needs the ARN of the IAM role Snowflake assumes (Terraform output snowflake_role_arn).",
        "set STORAGE_AWS_ROLE_ARN to Terraform's output snowflake_role_arn, or run --scope datasets (which does not create the storage integration).",
      );
    }
    if (!ROLE_ARN.test(options.storageRoleArn)) {
      throw new ApplyUsageError(
        `STORAGE_AWS_ROLE_ARN "${options.storageRoleArn}" is not an IAM role ARN (arn:<partition>:iam::<12 digits>:role/<name>).`,
        "set STORAGE_AWS_ROLE_ARN to Terraform's output snowflake_role_arn (terraform output -raw snowflake_role_arn).",
      );
    }
  }
  return selected.map((s) => (options.storageRoleArn ? { ...s, sql: s.sql.split(placeholder).join(options.storageRoleArn) } : s));
}

function firstLine(sql: string): string {
  return sql.split("\n")[0]!;
}

function column(row: Row, name: string): unknown {
  const key = Object.keys(row).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : row[key];
}

/** An external table's CREATE statement: its schema, its name and the digest its comment carries. */
function externalTableDefinition(sql: string): { schema: string; name: string; digest: string } | undefined {
  const create = /^CREATE OR REPLACE EXTERNAL TABLE ([A-Z0-9_]+\.[A-Z0-9_]+)\.([A-Z0-9_]+) \(/.exec(sql);
  const digest = new RegExp(`${DEFINITION_DIGEST}([0-9a-f]{16})\\)'$`).exec(sql);
  return create && digest ? { schema: create[1]!, name: create[2]!, digest: digest[1]! } : undefined;
}

/** Name → definition digest of the external tables in `schema`, from their comments (none for a table without one). */
async function externalTableDigests(connection: SqlConnection, schema: string): Promise<Map<string, string>> {
  const digests = new Map<string, string>();
  for (const row of await connection.execute(`SHOW EXTERNAL TABLES IN SCHEMA ${schema}`)) {
    const digest = new RegExp(`${DEFINITION_DIGEST}([0-9a-f]{16})\\)$`).exec(String(column(row, "comment") ?? ""));
    if (digest) digests.set(String(column(row, "name")), digest[1]!);
  }
  return digests;
}

/** A stage's `ALTER STAGE … SET URL` statement: its schema, its name and the URL. */
function stageUrlDefinition(sql: string): { schema: string; name: string; url: string } | undefined {
  const m = /^ALTER STAGE ([A-Z0-9_]+\.[A-Z0-9_]+)\.([A-Z0-9_]+) SET URL = '((?:[^']|'')*)'/.exec(sql);
  return m ? { schema: m[1]!, name: m[2]!, url: m[3]!.replaceAll("''", "'") } : undefined;
}

/** The live URL of a stage (`SHOW STAGES`: `url`; undefined when there is no such stage). */
async function liveStageUrl(connection: SqlConnection, schema: string, name: string): Promise<string | undefined> {
  const rows = await connection.execute(`SHOW STAGES LIKE '${name}' IN SCHEMA ${schema}`);
  const row = rows.find((r) => String(column(r, "name")) === name);
  if (!row) return undefined;
  // A URL may be listed as a JSON array (`["s3://…/"]`), as DESC STAGE shows it.
  const url = String(column(row, "url") ?? "");
  return /^\[".*"\]$/.test(url) ? (JSON.parse(url) as string[])[0] : url;
}

/** The plan statement after which the storage integration exists with its allowed locations. */
const INTEGRATION_STATEMENT = "integration.locations";

/** The integration's IAM user and external id (`DESC INTEGRATION`, as ACCOUNTADMIN), printed for Terraform. */
async function describeIntegration(connection: SqlConnection, log: (line: string) => void): Promise<NonNullable<ApplyResult["integration"]>> {
  await connection.execute("USE ROLE ACCOUNTADMIN");
  const rows = await connection.execute(`DESC INTEGRATION ${PLATFORM.snowflake.storageIntegration}`);
  const property = (name: string) => {
    const row = rows.find((r) => column(r, "property") === name);
    return row ? String(column(row, "property_value")) : undefined;
  };
  const integration = { iamUserArn: property("STORAGE_AWS_IAM_USER_ARN"), externalId: property("STORAGE_AWS_EXTERNAL_ID") };
  log(`storage integration IAM user: ${integration.iamUserArn ?? "?"}; external id: ${integration.externalId ?? "?"}`);
  log("  (Terraform variables snowflake_iam_user_arn and snowflake_external_id of the storage role's trust policy.)");
  return integration;
}

/** The plan's statements that create, grant or apply a tag or a masking policy (Enterprise Edition features). */
const GOVERNANCE_FEATURE = /(^|\.)(tag|masking_policy|value_mask|pii_tag)(\.|$)/;

export async function apply(connection: SqlConnection | undefined, plan: Plan, options: ApplyOptions): Promise<ApplyResult> {
  checkPseudonymKey(options.pseudonymKey);
  const statements = statementsFor(plan, options);
  const applied: string[] = [];
  let currentRole: string | undefined;
  let integration: ApplyResult["integration"];
  const unchanged: string[] = [];
  /** The live external tables' definition digests (from their comments), read once before the first table. */
  let liveDigests: Map<string, string> | undefined;
  for (const [i, s] of statements.entries()) {
    options.log(`[${i + 1}/${statements.length}] ${s.id} (as ${s.role}): ${firstLine(s.sql)}`);
    if (options.dryRun || !connection) {
      options.log(s.sql.split("\n").map((l) => `    ${l}`).join("\n"));
      continue;
    }
    try {
      if (s.role !== currentRole) {
        await connection.execute(`USE ROLE ${s.role}`);
        currentRole = s.role;
      }
      const stage = stageUrlDefinition(s.sql);
      if (stage) {
        const live = await liveStageUrl(connection, stage.schema, stage.name);
        if (live === stage.url) {
          options.log(`  URL unchanged (${stage.url}): not altered`);
          applied.push(s.id);
          continue;
        }
        if (options.scope === "datasets") {
          throw new Error(
            `the stage's URL changes from ${live ?? "(no stage)"} to ${stage.url}: run the full snowflake:apply (scope all), which first lets the storage integration read the new location; nothing of this stage was changed.`,
          );
        }
        // Snowflake refuses to move a stage that external tables depend on
        // (https://docs.snowflake.com/en/release-notes/bcr-bundles/2025_05/bcr-1989): drop them; the plan creates them
        // again right after, over the new location (their digests cover the URL).
        const dependents = statements
          .filter((p) => p.sql.includes(`\nLOCATION = @${stage.schema}.${stage.name}/`))
          .flatMap((p) => externalTableDefinition(p.sql) ?? []);
        options.log(`  URL changes from ${live ?? "(no stage)"} to ${stage.url}: its external tables are dropped first and created again below, listing the new location's files`);
        for (const dependent of dependents) {
          await connection.execute(`DROP EXTERNAL TABLE IF EXISTS ${dependent.schema}.${dependent.name}`);
          liveDigests?.delete(dependent.name);
        }
      }
      const table = externalTableDefinition(s.sql);
      if (table) {
        liveDigests ??= await externalTableDigests(connection, table.schema);
        if (liveDigests.get(table.name) === table.digest) {
          options.log(`  unchanged since it was created (${DEFINITION_DIGEST}${table.digest}): not re-created, its files are not listed again`);
          unchanged.push(s.id);
          applied.push(s.id);
          continue;
        }
      }
      await connection.execute(s.sql);
      applied.push(s.id);
      // As soon as the integration exists: on the first deploy the external tables cannot be created until the IAM
      // role trusts the integration's user (Terraform's second phase), and that needs these two values.
      if (s.id === INTEGRATION_STATEMENT) {
        integration = await describeIntegration(connection, options.log);
        currentRole = "ACCOUNTADMIN";
      }
    } catch (error) {
      const message = (error as Error).message;
      options.log(`FAILED ${s.id} (as ${s.role}): ${message}`);
      options.log(`  statement: ${firstLine(s.sql)}`);
      options.log(`  ${applied.length} statement(s) before it were applied; every statement is re-runnable, so fix the cause and run again.`);
      if (GOVERNANCE_FEATURE.test(s.id)) {
        options.log(
          "  If the account is on Snowflake's Standard Edition, this is why: tags and masking policies (the protection of personal data) need Enterprise Edition or higher. Run snowflake:apply on an Enterprise account.",
        );
      }
      if (integration && /^table\./.test(s.id)) {
        options.log(
          "  On the first deploy this is expected: Snowflake cannot read the processed bucket until the IAM role trusts the integration's user. Set the two values above (Terraform variables snowflake_iam_user_arn and snowflake_external_id), apply Terraform's second phase, then run snowflake:apply again.",
        );
      }
      return { applied, failed: { id: s.id, role: s.role, message }, notificationChannels: {}, ...(integration ? { integration } : {}) };
    }
  }
  const keyTable = pseudonymKeyTableName();
  const keyEnv = PLATFORM.pseudonym.keyEnv;
  const notLoaded = `pseudonym key not loaded: ${keyEnv} is not set, so ${keyTable} is empty or keeps its previous key; dbt runs fail until it holds one (set ${keyEnv} and run snowflake:apply again).`;
  if (options.dryRun || !connection) {
    if (options.scope === "all") {
      options.log(options.pseudonymKey === undefined ? notLoaded : `pseudonym key: a real run loads ${keyEnv} into ${keyTable} as ${GOVERNANCE_OWNER}, as a bind parameter (never printed).`);
    }
    return { applied, notificationChannels: {} };
  }

  let pseudonymKeyLoaded = false;
  if (options.scope === "all") {
    if (options.pseudonymKey === undefined) {
      options.log(notLoaded);
    } else {
      const key = options.pseudonymKey;
      try {
        if (currentRole !== GOVERNANCE_OWNER) {
          await connection.execute(`USE ROLE ${GOVERNANCE_OWNER}`);
          currentRole = GOVERNANCE_OWNER;
        }
        // An INSERT needs a running warehouse (https://docs.snowflake.com/en/sql-reference/sql/use-warehouse): the
        // plan's, which SYSADMIN owns, whatever SNOWFLAKE_WAREHOUSE the session started with.
        await connection.execute(`USE WAREHOUSE ${PLATFORM.snowflake.warehouse}`);
        // The key travels as a bind parameter: it is in no SQL text (Snowflake's query history shows the `?`).
        await connection.execute(pseudonymKeyLoadStatement(), [key]);
      } catch (error) {
        // A driver's message could quote a bound value, as it is or escaped (JSON, a SQL literal): never let the key
        // through in any of those forms.
        const forms = [key, JSON.stringify(key).slice(1, -1), key.replaceAll("'", "''"), encodeURIComponent(key)];
        const message = forms.reduce((text, form) => text.split(form).join("[key]"), (error as Error).message);
        options.log(`FAILED pseudonym key load into ${keyTable} (as ${GOVERNANCE_OWNER}): ${message}`);
        options.log(`  the ${applied.length} statement(s) of the plan were applied; fix the cause and run again.`);
        return { applied, failed: { id: "pseudonym_key.load", role: GOVERNANCE_OWNER, message }, notificationChannels: {} };
      }
      pseudonymKeyLoaded = true;
      options.log(`pseudonym key loaded into ${keyTable} (as ${GOVERNANCE_OWNER}, bound from ${keyEnv}). A new key changes every pseudonym: dbt views use it from their next query.`);
    }
  }

  if (options.scope === "all" && !integration) integration = await describeIntegration(connection, options.log);
  const sf = PLATFORM.snowflake;
  if (currentRole !== sf.roles.loader) await connection.execute(`USE ROLE ${sf.roles.loader}`);
  const shown = await connection.execute(`SHOW EXTERNAL TABLES IN SCHEMA ${sf.database}.${sf.rawSchema}`);
  const notificationChannels: Record<string, string> = {};
  for (const row of shown) {
    const name = String(column(row, "name") ?? "");
    const channel = column(row, "notification_channel");
    if (name && typeof channel === "string" && channel) notificationChannels[name] = channel;
  }
  for (const [table, channel] of Object.entries(notificationChannels)) options.log(`auto-refresh queue of ${table}: ${channel}`);
  const channels = [...new Set(Object.values(notificationChannels))];
  if (channels.length) {
    options.log(`Configure the processed bucket's event notification (ObjectCreated:*, ObjectRemoved:*) to target: ${channels.join(", ")}`);
    options.log("  (Terraform variable snowflake_notification_queue_arn; second phase of the deploy.)");
  }
  return { applied, unchanged, notificationChannels, ...(integration ? { integration } : {}), ...(options.scope === "all" ? { pseudonymKeyLoaded } : {}) };
}
