/**
 * The one seam between the Snowflake runners and Snowflake: `SqlConnection`. Production uses snowflake-sdk with
 * key-pair (JWT) authentication from the environment; tests inject a connection that records statements and replays
 * the documented result shapes (no Snowflake is reachable from CI).
 */
import { readFileSync } from "node:fs";

export type Row = Record<string, unknown>;

export interface SqlConnection {
  /** Runs one statement (binds with `?`) and returns its rows as objects keyed by column name. */
  execute(sqlText: string, binds?: readonly (string | number)[]): Promise<Row[]>;
  close(): Promise<void>;
}

/** Environment variables read by `connectFromEnv`. No password is ever read: key-pair authentication only. */
export const CONNECTION_ENV = {
  SNOWFLAKE_ACCOUNT: "account identifier, e.g. myorg-myaccount",
  SNOWFLAKE_USER: "user with a registered RSA public key",
  SNOWFLAKE_PRIVATE_KEY_PATH: "path to the PKCS#8 private key file (or SNOWFLAKE_PRIVATE_KEY with the PEM text)",
  SNOWFLAKE_ROLE: "default role (statements switch roles as the plan says)",
  SNOWFLAKE_WAREHOUSE: "warehouse for queries",
  SNOWFLAKE_DATABASE: "optional: defaults to the platform database",
} as const;

export class ConnectionConfigError extends Error {}

export async function connectFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<SqlConnection> {
  const required = ["SNOWFLAKE_ACCOUNT", "SNOWFLAKE_USER", "SNOWFLAKE_ROLE", "SNOWFLAKE_WAREHOUSE"] as const;
  const missing: string[] = required.filter((name) => !env[name]);
  if (!env.SNOWFLAKE_PRIVATE_KEY_PATH && !env.SNOWFLAKE_PRIVATE_KEY) missing.push("SNOWFLAKE_PRIVATE_KEY_PATH");
  if (missing.length) {
    throw new ConnectionConfigError(
      `Missing environment variables: ${missing.join(", ")}.\n` +
        Object.entries(CONNECTION_ENV).map(([k, v]) => `  ${k}: ${v}`).join("\n") +
        "\nKey-pair authentication only: https://docs.snowflake.com/en/user-guide/key-pair-auth",
    );
  }
  if (env.SNOWFLAKE_PASSWORD) {
    throw new ConnectionConfigError("SNOWFLAKE_PASSWORD is set: passwords are not supported. Use key-pair authentication and unset it.");
  }
  let privateKey = env.SNOWFLAKE_PRIVATE_KEY;
  if (privateKey === undefined) {
    const path = env.SNOWFLAKE_PRIVATE_KEY_PATH!;
    try {
      privateKey = readFileSync(path, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === "ENOENT" ? "does not exist" : code === "EISDIR" ? "is a folder" : code === "EACCES" ? "cannot be read (permission denied)" : `cannot be read (${(error as Error).message})`;
      throw new ConnectionConfigError(`SNOWFLAKE_PRIVATE_KEY_PATH=${path} ${why}. Fix: point it at the PKCS#8 private key file (.p8) of the user, or put the PEM text in SNOWFLAKE_PRIVATE_KEY.`);
    }
  }
  const { default: snowflake } = await import("snowflake-sdk");
  snowflake.configure({ logLevel: "ERROR" });
  const connection = snowflake.createConnection({
    account: env.SNOWFLAKE_ACCOUNT!,
    username: env.SNOWFLAKE_USER!,
    authenticator: "SNOWFLAKE_JWT",
    privateKey,
    ...(env.SNOWFLAKE_PRIVATE_KEY_PASSPHRASE ? { privateKeyPass: env.SNOWFLAKE_PRIVATE_KEY_PASSPHRASE } : {}),
    role: env.SNOWFLAKE_ROLE!,
    warehouse: env.SNOWFLAKE_WAREHOUSE!,
    ...(env.SNOWFLAKE_DATABASE ? { database: env.SNOWFLAKE_DATABASE } : {}),
  });
  await connection.connectAsync(() => undefined);
  return {
    // snowflake-sdk's execute is callback-only; one statement per call (MULTI_STATEMENT_COUNT defaults to 1).
    execute: (sqlText, binds = []) =>
      new Promise<Row[]>((resolve, reject) => {
        connection.execute({
          sqlText,
          binds: [...binds],
          complete: (error, _statement, rows) => (error ? reject(error) : resolve((rows ?? []) as Row[])),
        });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        connection.destroy(() => resolve());
      }),
  };
}
