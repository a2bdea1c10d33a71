/**
 * `npm run snowflake:apply [-- --dry-run] [--scope all|datasets] [--outputs FILE]`
 * `npm run snowflake:verify`
 *
 * Connection from the environment (key-pair authentication; see connection.ts). Exit codes: 0 success / no drift,
 * 1 a statement failed / drift found, 2 usage or configuration error.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { CONTRACT_SUFFIX, findContractFiles, loadIR } from "../../generators/ir/load.js";
import { emptyPathOption, givenPath, notAFolder, parseArgsFix, parseArgsMessage, versionLine } from "../../generators/lib/cli-args.js";
import { ContractError } from "../../generators/lib/errors.js";
import { writeFileAtomically } from "../../generators/lib/safe-files.js";
import { PLATFORM } from "../../generators/platform.js";
import { apply, ApplyUsageError, checkPseudonymKey, PseudonymKeyError, readPlan, statementsFor } from "./apply.js";
import { CONNECTION_ENV, ConnectionConfigError, connectFromEnv, type SqlConnection } from "./connection.js";
import { formatDrift, verify } from "./verify.js";

const HELP = `Usage:
  npm run snowflake:apply -- [--dry-run] [--scope all|datasets] [--outputs FILE] [--root DIR]
  npm run snowflake:verify -- [--root DIR]

apply   Runs generated/snowflake/plan.json one statement at a time, each as its role; stops at the first
        failure (every statement is re-runnable). Prints the auto-refresh SQS queue ARN(s) and the storage
        integration's IAM user and external id; --outputs writes them as JSON for Terraform's second phase.
        --scope datasets runs only the file format, stages and external tables (the loader's part); a new
        dataset with personal columns needs scope all once (its VALUE masking policy is SYSADMIN's).
        Scope all then loads the pseudonym key from ${PLATFORM.pseudonym.keyEnv}, as a bind parameter.
        --dry-run prints the statements without connecting.
verify  Compares the live external tables with the contracts (DESCRIBE EXTERNAL TABLE, INFORMATION_SCHEMA.COLUMNS):
        missing tables, missing/extra/retyped columns, changed expressions. Exit 1 on drift.

--help shows this help; --version prints the name and version of the tool.

Environment (key-pair authentication only, never a password):
${Object.entries(CONNECTION_ENV).map(([k, v]) => `  ${k.padEnd(28)} ${v}`).join("\n")}
  STORAGE_AWS_ROLE_ARN         apply, scope all: IAM role ARN Snowflake assumes to read the processed bucket
  ${PLATFORM.pseudonym.keyEnv.padEnd(28)} apply, scope all: the pseudonym key (at least ${PLATFORM.pseudonym.minKeyLength} characters; never printed)

Exit codes: 0 success, 1 failure or drift, 2 usage or configuration error.`;

export async function main(argv: readonly string[], connect: () => Promise<SqlConnection> = () => connectFromEnv(), env = process.env): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        "dry-run": { type: "boolean", default: false },
        scope: { type: "string", default: "all" },
        outputs: { type: "string" },
        root: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
        version: { type: "boolean", default: false },
      },
    });
  } catch (error) {
    console.error(`error CLI.USAGE: ${parseArgsMessage(error)}\n  fix: ${parseArgsFix(error, HELP)}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.version) {
    console.log(versionLine());
    return 0;
  }
  if (values.help || !command) {
    console.log(HELP);
    return values.help ? 0 : 2;
  }
  if (command !== "apply" && command !== "verify") {
    console.error(`error CLI.USAGE: unknown command "${command}".\n  fix: use apply or verify.`);
    return 2;
  }
  if (positionals.length > 1) {
    console.error(`error CLI.USAGE: ${command} takes no argument, got ${positionals.slice(1).map((p) => `"${p}"`).join(", ")}.\n  fix: remove ${positionals.length === 2 ? "it" : "them"} (options start with --; see --help).`);
    return 2;
  }
  if (values.scope !== "all" && values.scope !== "datasets") {
    console.error(`error CLI.USAGE: --scope must be all or datasets, not "${values.scope}".\n  fix: pass --scope all (the default) or --scope datasets (the loader's part: file format, stages, external tables).`);
    return 2;
  }
  if (command === "verify") {
    const given = (name: string) => argv.some((a) => a === `--${name}` || a.startsWith(`--${name}=`));
    const applyOnly = ["dry-run", "scope", "outputs"].filter(given);
    if (applyOnly.length) {
      console.error(`error CLI.USAGE: ${applyOnly.map((n) => `--${n}`).join(", ")} ${applyOnly.length === 1 ? "is an option" : "are options"} of apply, not of verify.\n  fix: remove ${applyOnly.length === 1 ? "it" : "them"}, or run apply.`);
      return 2;
    }
  }
  if (values["dry-run"] && values.outputs) {
    console.error(
      "error CLI.USAGE: --outputs with --dry-run: a dry run learns nothing from Snowflake (no queue ARN, no IAM user), so it would overwrite the outputs file with empty values.\n  fix: drop --outputs, or run apply without --dry-run.",
    );
    return 2;
  }
  // An empty path would be the current folder: `--outputs "$UNSET"` would name no file, `--root ""` the current folder.
  const empty = emptyPathOption(values, ["root", "outputs"]);
  if (empty) {
    console.error(`error CLI.USAGE: ${empty} is empty.\n  fix: give ${empty} a path, or leave it out (see --help).`);
    return 2;
  }
  const root = values.root === undefined ? process.cwd() : givenPath(values.root);
  const rootProblem = notAFolder("--root", root);
  if (rootProblem) {
    console.error(`error CLI.USAGE: ${rootProblem}: --root names the repository's folder.\n  fix: pass --root <repository folder>, or leave it out to use the current folder.`);
    return 2;
  }
  // verify reads the contracts themselves: a missing or empty folder is said before loading them, as generate says it.
  const contractsDir = join(root, "contracts");
  if (command === "verify") {
    const problem = notAFolder("the contract folder", contractsDir) ?? (findContractFiles(contractsDir).length === 0 ? `no *${CONTRACT_SUFFIX} file in the folder ${contractsDir}` : undefined);
    if (problem) {
      console.error(`error CLI.NO_CONTRACTS: ${problem}; nothing was compared.\n  fix: pass --root <repository> (verify reads <root>/contracts).`);
      return 2;
    }
  }
  const planPath = join(root, "generated/snowflake/plan.json");
  if (command === "apply" && !existsSync(planPath)) {
    console.error(`error CLI.USAGE: no Snowflake plan at ${planPath}.\n  fix: pass the repository with --root, or run npm run generate there first.`);
    return 2;
  }
  // Where --outputs goes is checked before anything is applied: an apply that cannot record its outputs is not run.
  const outputs = values.outputs === undefined ? undefined : givenPath(values.outputs);
  if (outputs !== undefined) {
    const folder = statSync(dirname(outputs), { throwIfNoEntry: false });
    if (!folder?.isDirectory() || statSync(outputs, { throwIfNoEntry: false })?.isDirectory()) {
      console.error(`error CLI.USAGE: --outputs ${values.outputs}: ${folder?.isDirectory() ? "is a folder" : `the folder ${dirname(outputs)} does not exist`}.\n  fix: name a file in an existing folder, e.g. --outputs snowflake-outputs.json.`);
      return 2;
    }
  }
  let connection: SqlConnection | undefined;
  try {
    if (command === "apply") {
      const plan = readPlan(planPath);
      const dryRun = values["dry-run"];
      const pseudonymKey = env[PLATFORM.pseudonym.keyEnv] || undefined;
      const storageRoleArn = env.STORAGE_AWS_ROLE_ARN || undefined;
      // Before connecting: a short key or a missing role ARN applies nothing, and needs no login to say so.
      checkPseudonymKey(pseudonymKey);
      statementsFor(plan, { scope: values.scope, dryRun, ...(storageRoleArn ? { storageRoleArn } : {}) });
      if (!dryRun) connection = await connect();
      const result = await apply(connection, plan, {
        dryRun,
        scope: values.scope,
        ...(storageRoleArn ? { storageRoleArn } : {}),
        ...(pseudonymKey ? { pseudonymKey } : {}),
        log: (line) => console.log(line),
      });
      if (outputs) {
        // Whole or not at all: written beside it under a new, unpredictable name, then renamed over it (Terraform's
        // second phase reads it).
        writeFileAtomically(outputs, `${JSON.stringify(result, null, 2)}\n`);
      }
      if (result.failed) return 1;
      const planned = statementsFor(plan, { scope: values.scope, dryRun: true }).length;
      console.log(dryRun ? `Dry run: ${planned} statements of the plan in scope ${values.scope}, nothing executed.` : `Applied ${result.applied.length} statements.`);
      return 0;
    }
    const ir = await loadIR(contractsDir, root);
    connection = await connect();
    const drifts = await verify(connection, ir);
    for (const d of drifts) console.log(formatDrift(d));
    console.log(drifts.length ? `${drifts.length} difference(s) between Snowflake and the contracts. Fix: npm run snowflake:apply` : "Snowflake external tables match the contracts.");
    return drifts.length ? 1 : 0;
  } catch (error) {
    if (error instanceof PseudonymKeyError) {
      console.error(error.message);
      return 2;
    }
    if (error instanceof ConnectionConfigError || error instanceof ApplyUsageError) {
      console.error(`error SNOWFLAKE.CONFIG: ${error.message}\n  fix: ${error.fix ?? "see --help for the settings apply and verify need."}`);
      return 2;
    }
    // The loader's diagnostics are coded and say where and how to fix.
    if (error instanceof ContractError) {
      console.error(`${error.message}\n\nThe contracts could not be loaded; nothing was compared.`);
      return 2;
    }
    console.error(`error SNOWFLAKE.FAILED: ${(error as Error).message}\n  fix: ${command === "apply" ? "check the plan (npm run generate writes it) and the roles' grants, then run apply again (every statement is re-runnable)" : "check the connection's role and warehouse can DESCRIBE the external tables and read INFORMATION_SCHEMA, then run verify again"}.`);
    return 2;
  } finally {
    await connection?.close();
  }
}

if (process.argv[1]?.endsWith("runners/snowflake/cli.ts")) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
