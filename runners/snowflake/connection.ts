/**
 * The one seam between the Snowflake runners and Snowflake: `SqlConnection`. Production uses snowflake-sdk with
 * key-pair (JWT) authentication from the environment; tests inject a connection that records statements and replays
 * the documented result shapes (no Snowflake is reachable from CI).
 */
import { createPrivateKey } from "node:crypto";
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

/** A connection setting that is missing or unusable (SNOWFLAKE.CONFIG), with the one line that fixes it. */
export class ConnectionConfigError extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
  }
}

/**
 * Connects with the environment's settings. `sdkOptions` adds snowflake-sdk connection options (the tests point
 * `accessUrl` at a loopback stand-in of Snowflake's login endpoint). A failed login is a ConnectionConfigError naming
 * the account and user: snowflake-sdk's connectAsync passes it to its callback and resolves anyway, so without this
 * the first statement failed with "Unable to perform operation using terminated connection".
 */
export async function connectFromEnv(env: NodeJS.ProcessEnv = process.env, sdkOptions: Record<string, unknown> = {}, log: (line: string) => void = (line) => console.error(line)): Promise<SqlConnection> {
  const required = ["SNOWFLAKE_ACCOUNT", "SNOWFLAKE_USER", "SNOWFLAKE_ROLE", "SNOWFLAKE_WAREHOUSE"] as const;
  const missing: string[] = required.filter((name) => !env[name]);
  // Either names the key (the deploy passes the secret SNOWFLAKE_PRIVATE_KEY; a person, a key file).
  if (!env.SNOWFLAKE_PRIVATE_KEY_PATH && !env.SNOWFLAKE_PRIVATE_KEY) missing.push("SNOWFLAKE_PRIVATE_KEY_PATH or SNOWFLAKE_PRIVATE_KEY");
  if (missing.length) {
    throw new ConnectionConfigError(
      `Missing environment variables: ${missing.join(", ")}.\n` + Object.entries(CONNECTION_ENV).map(([k, v]) => `  ${k}: ${v}`).join("\n"),
      `set ${missing.join(", ")} in the environment (key-pair authentication only: https://docs.snowflake.com/en/user-guide/key-pair-auth).`,
    );
  }
  if (env.SNOWFLAKE_PASSWORD) {
    throw new ConnectionConfigError("SNOWFLAKE_PASSWORD is set: passwords are not supported.", "unset SNOWFLAKE_PASSWORD and use key-pair authentication (SNOWFLAKE_PRIVATE_KEY_PATH or SNOWFLAKE_PRIVATE_KEY).");
  }
  // Empty is unset: GitHub Actions gives a secret that is not set as "", which would hide the key file's path.
  let privateKey = env.SNOWFLAKE_PRIVATE_KEY || undefined;
  if (privateKey === undefined) {
    const path = env.SNOWFLAKE_PRIVATE_KEY_PATH!;
    try {
      privateKey = readFileSync(path, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === "ENOENT" ? "does not exist" : code === "EISDIR" ? "is a folder" : code === "EACCES" ? "cannot be read (permission denied)" : `cannot be read (${(error as Error).message})`;
      throw new ConnectionConfigError(`SNOWFLAKE_PRIVATE_KEY_PATH=${path} ${why}.`, "point it at the PKCS#8 private key file (.p8) of the user, or put the PEM text in SNOWFLAKE_PRIVATE_KEY.");
    }
  }
  // An encrypted key without its passphrase, or with another, would reach the login as OpenSSL's own words
  // ("interrupted or cancelled", "bad decrypt") under a fix about the account and the user: read it here first, as the
  // SDK does (Node's createPrivateKey).
  // (A key that is no PEM key at all is left to the SDK's own check below.)
  const keyName = env.SNOWFLAKE_PRIVATE_KEY ? "SNOWFLAKE_PRIVATE_KEY" : `the key in SNOWFLAKE_PRIVATE_KEY_PATH=${env.SNOWFLAKE_PRIVATE_KEY_PATH}`;
  // Encrypted: PKCS#8's own label, or a PKCS#1 key with OpenSSL's encryption header.
  const encrypted = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(privateKey)?.[1] === "ENCRYPTED PRIVATE KEY" || /^Proc-Type: 4,ENCRYPTED\r?$/m.test(privateKey);
  if (encrypted) {
    const passphrase = env.SNOWFLAKE_PRIVATE_KEY_PASSPHRASE;
    if (!passphrase) {
      throw new ConnectionConfigError(`${keyName} is an encrypted private key, and SNOWFLAKE_PRIVATE_KEY_PASSPHRASE is not set.`, "set SNOWFLAKE_PRIVATE_KEY_PASSPHRASE to the key's passphrase.");
    }
    try {
      createPrivateKey({ key: privateKey, format: "pem", passphrase });
    } catch (error) {
      throw new ConnectionConfigError(`${keyName} cannot be decrypted with SNOWFLAKE_PRIVATE_KEY_PASSPHRASE: ${(error as Error).message}.`, "set SNOWFLAKE_PRIVATE_KEY_PASSPHRASE to the passphrase the key was encrypted with.");
    }
  }
  // snowflake-sdk, as it loads, finds out for its telemetry where it runs: it calls AWS STS with the process's AWS
  // credentials (the deploy role's, in the deploy job), asks Azure's metadata service for a managed identity's token,
  // probes EC2's and GCE's, and its login waits for the answers. Nothing here needs it: off, unless the environment
  // says otherwise (SNOWFLAKE_DISABLE_PLATFORM_DETECTION=false).
  process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION ??= "true";
  const { default: snowflake } = await import("snowflake-sdk");
  // The SDK's own log lines are JSON on stdout; its failures reach the user through the errors below instead.
  snowflake.configure({ logLevel: "OFF" });
  let connection: ReturnType<typeof snowflake.createConnection>;
  try {
    connection = snowflake.createConnection({
      account: env.SNOWFLAKE_ACCOUNT!,
      username: env.SNOWFLAKE_USER!,
      authenticator: "SNOWFLAKE_JWT",
      privateKey,
      ...(env.SNOWFLAKE_PRIVATE_KEY_PASSPHRASE ? { privateKeyPass: env.SNOWFLAKE_PRIVATE_KEY_PASSPHRASE } : {}),
      role: env.SNOWFLAKE_ROLE!,
      warehouse: env.SNOWFLAKE_WAREHOUSE!,
      ...(env.SNOWFLAKE_DATABASE ? { database: env.SNOWFLAKE_DATABASE } : {}),
      ...sdkOptions,
    });
  } catch (error) {
    // snowflake-sdk checks the settings before connecting ("Invalid private key. The specified value must be a
    // PEM-formatted private key.").
    throw new ConnectionConfigError(
      `the connection settings were refused before connecting: ${(error as Error).message}`,
      "check the SNOWFLAKE_* variables (see --help): SNOWFLAKE_PRIVATE_KEY holds the user's PKCS#8 private key in PEM form (its first line: BEGIN PRIVATE KEY between five dashes each side), or SNOWFLAKE_PRIVATE_KEY_PATH names its .p8 file; an encrypted key needs SNOWFLAKE_PRIVATE_KEY_PASSPHRASE.",
    );
  }
  log(`Connecting to Snowflake account ${env.SNOWFLAKE_ACCOUNT} as ${env.SNOWFLAKE_USER} (a login that meets a network error is tried up to 7 more times, for at most 5 minutes) …`);
  let failure: Error | undefined;
  try {
    await connection.connectAsync((error) => {
      failure = error ?? undefined;
    });
  } catch (error) {
    // Refused before any login request (a client configuration file it cannot read, an authenticator it does not
    // support): the promise rejects and the callback is never called.
    throw new ConnectionConfigError(
      `snowflake-sdk refused to connect to account ${env.SNOWFLAKE_ACCOUNT} before logging in: ${(error as Error).message}`,
      "check snowflake-sdk's client configuration file (SF_CLIENT_CONFIG_FILE, or sf_client_config.json in the working folder or the home folder): it must be valid JSON; then the SNOWFLAKE_* variables (see --help).",
    );
  }
  if (failure) {
    throw new ConnectionConfigError(
      `cannot log in to Snowflake account ${env.SNOWFLAKE_ACCOUNT} as ${env.SNOWFLAKE_USER}: ${failure.message}`,
      "check SNOWFLAKE_ACCOUNT (the account identifier, e.g. myorg-myaccount), SNOWFLAKE_USER, and that the user's registered public key (DESC USER: RSA_PUBLIC_KEY_FP) is the one of SNOWFLAKE_PRIVATE_KEY(_PATH).",
    );
  }
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
