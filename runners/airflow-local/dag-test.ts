/**
 * `npm run dag:test [-- --keep] [--airflow 2|3]`: the generated Airflow DAG run once by a real Airflow (`airflow dags
 * test`; 3 by default, or 2.10, whose import paths and metadata-database reads the DAG falls back to) against the dbt
 * profile's `local` (DuckDB) target, on the shipped samples.
 *
 * 1. The first half of the local pipeline (DuckDB engine) on `samples/<dataset>/` into a temporary folder: processed
 *    Parquet in the S3 layout.
 * 2. The local external tables over it (`prepareLocalDatabase`): the DuckDB file dbt's sources read.
 * 3. A temporary `AIRFLOW_HOME` (SQLite): `airflow db migrate`, then `airflow dags test <dag_id> <logical date>` on
 *    `generated/airflow/dags/`, with the DAG's Airflow Variables (`AIRFLOW_VAR_<NAME>`) pointing dbt at the pinned dbt,
 *    `dbt-out/`, `dbt-out/profiles` and the `local` target, and `dbtEnvironment(...)` for dbt itself.
 * 4. The task instances' states, read from Airflow's metadata database after the run.
 *
 * Exit codes: 0 every task succeeded; 1 a task did not (each is named with its state); 2 cannot run.
 */
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { IR_VERSION, type DatasetIR } from "../../generators/ir/types.js";
import { parseArgsFix, versionLine } from "../../generators/lib/cli-args.js";
import { removeOnInterrupt, stopOnInterrupt } from "../../generators/lib/interrupt.js";
import { PLATFORM } from "../../generators/platform.js";
import { LOCAL_TARGET } from "../../generators/targets/dbt/emit.js";
import { airflowVariableEnv, DBT_VARIABLES } from "../../generators/targets/airflow/emit.js";
import { loadGeneratedIR, NoGeneratedIR } from "../local-pipeline/generated-ir.js";
import { localPath, runPipeline } from "../local-pipeline/pipeline.js";
import { dbtEnvironment, prepareLocalDatabase, withoutPseudonymKey } from "../local-warehouse/warehouse.js";
import { ensurePythonEnv, rebuildFix, toolProblem } from "../../toolchain/python-env.js";

const REPO_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const DAG_ID = PLATFORM.airflow.dagId;

/** The Airflow major versions the DAG is run on, each with the Python environment that pins it. */
export const AIRFLOW_ENVS = { "3": "airflow", "2": "airflow2" } as const;
export type AirflowMajor = keyof typeof AIRFLOW_ENVS;

const HELP = `Usage: npm run dag:test [-- --keep] [--airflow 2|3]

Runs the generated Airflow DAG (generated/airflow/dags/${DAG_ID}.py) once on a real Airflow (3, or 2.10 with
--airflow 2), against the dbt profile's local (DuckDB) target, in a temporary folder:
  1. the local pipeline (DuckDB engine) on the shipped samples (samples/<dataset>/): processed Parquet;
  2. the local external tables over that Parquet, in the DuckDB database file dbt's sources read;
  3. a temporary AIRFLOW_HOME (SQLite): airflow db migrate, then airflow dags test ${DAG_ID} <now>, with the DAG's
     Airflow Variables (AIRFLOW_VAR_<NAME>) pointing it at the pinned dbt, dbt-out/, dbt-out/profiles and the
     "${LOCAL_TARGET}" target;
  4. every task instance's state, read from Airflow's database after the run.
Tasks are not retried here: a cluster policy (airflow_local_settings.py in the temporary AIRFLOW_HOME) sets their
retries to 0, so a failure ends the run at once instead of after the DAG's retry delays.
Installs the "dbt" and "airflow" (or "airflow2") Python environments on first use (Airflow takes a few minutes).

Options:
  --airflow <2|3>  The Airflow to run the DAG on: 3 (default; Airflow 3.3) or 2 (Airflow 2.10, as Amazon MWAA
               runs besides 3: the DAG's Airflow 2 imports and its task states read from the metadata database).
  --keep       Keep the temporary folder (AIRFLOW_HOME, Airflow's output, dbt's artifacts) after a successful run.
               After a failed run it is always kept.
  -h, --help   Show this help.
  --version    Print the name and version of the tool.

Exit codes: 0 every task succeeded, 1 a task failed (each named with its state), 2 cannot run (no generated DAG
or IR, the pipeline, a Python environment or airflow db migrate failed, dbt or airflow cannot start, a task's
command could not be started (return code 127), or the DAG did not run).`;

export interface TaskState {
  readonly taskId: string;
  /** Airflow's task instance state: success, failed, upstream_failed, skipped, … (`none` when never set). */
  readonly state: string;
  readonly tryNumber: number;
  readonly seconds: number | null;
}

export interface DagTestOptions {
  /** Repository root: generated/, dbt-out/, samples/ (default: this repository). */
  readonly root?: string;
  /** Keep the temporary folder after a successful run (it is always kept after a failure). */
  readonly keep?: boolean;
  /** The Airflow major version to run the DAG on (default "3"). */
  readonly airflow?: AirflowMajor;
  /** Airflow Variables set on top of the ones that point the DAG at the local target (name → value). */
  readonly variables?: Readonly<Record<string, string>>;
  /**
   * Environment variables of Airflow and its tasks, on top of this process's own (e.g. `AWS_ENDPOINT_URL` and
   * placeholder credentials pointing the QuickSight refresh at a moto server).
   */
  readonly environment?: Readonly<Record<string, string>>;
  readonly log?: (line: string) => void;
}

export interface DagTestResult {
  /** 0 every task succeeded, 1 a task did not, 2 cannot run. */
  readonly code: 0 | 1 | 2;
  /** The temporary folder; removed when `kept` is false. */
  readonly folder: string;
  readonly kept: boolean;
  readonly logicalDate: string;
  /** The Airflow major version the DAG was run on. */
  readonly airflow: AirflowMajor;
  readonly dagRunState?: string;
  readonly tasks: readonly TaskState[];
  /** The timeouts Airflow ran the DAG with, in seconds (its serialized DAG): dagrun_timeout, each task's execution_timeout. Null when Airflow stored no serialized DAG. */
  readonly timeouts?: { readonly dagRun: number | null; readonly tasks: Readonly<Record<string, number | null>> } | null;
  /** What went wrong, for codes 1 and 2. */
  readonly message?: string;
  readonly seconds: { readonly pipeline: number; readonly migrate: number; readonly dagsTest: number; readonly total: number };
}

class CannotRun extends Error {}

/** Reads the newest run of the DAG and its task instances from Airflow's SQLite database (stdlib sqlite3). */
const READ_STATES = `
import json, sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
run = db.execute("SELECT run_id, state FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1", (sys.argv[2],)).fetchone()
tasks = []
if run:
    rows = db.execute(
        "SELECT task_id, state, try_number, duration FROM task_instance WHERE dag_id = ? AND run_id = ?"
        " ORDER BY start_date IS NULL, start_date, task_id",
        (sys.argv[2], run[0]),
    )
    tasks = [{"taskId": t, "state": s or "none", "tryNumber": n or 0, "seconds": d} for t, s, n, d in rows]
# The timeouts Airflow ran the DAG with, from the DAG as it serialized it (data, or zlib-compressed JSON).
timeouts = None
# Airflow 3 keeps each version of a DAG (newest: highest id); Airflow 2 one row per DAG (no id column).
newest = "id" if any(column[1] == "id" for column in db.execute("PRAGMA table_info(serialized_dag)")) else "last_updated"
serialized = db.execute(f"SELECT data, data_compressed FROM serialized_dag WHERE dag_id = ? ORDER BY {newest} DESC LIMIT 1", (sys.argv[2],)).fetchone()
if serialized:
    import zlib
    data = serialized[0] if serialized[0] is not None else zlib.decompress(serialized[1]).decode()
    dag = (json.loads(data) if isinstance(data, str) else data)["dag"]
    timeouts = {
        "dagRun": dag.get("dagrun_timeout"),
        "tasks": {t["__var"]["task_id"]: t["__var"].get("execution_timeout") for t in dag.get("tasks", [])},
    }
print(json.dumps({"run": run and {"runId": run[0], "state": run[1]}, "tasks": tasks, "timeouts": timeouts}))
`;

/**
 * A cluster policy: Airflow's own hook for a deployment to adjust tasks when DAG files are parsed. The DAG retries
 * twice, 10 minutes apart; `airflow dags test` waits out each delay, so a failing task would hold the run for 20 min.
 * https://airflow.apache.org/docs/apache-airflow/stable/administration-and-deployment/cluster-policies.html
 */
const LOCAL_SETTINGS = `def task_policy(task):
    """npm run dag:test: no retries, so a failing task fails the run at once."""
    task.retries = 0
`;

/**
 * An Airflow log line without its decoration, Airflow 3's `<time> [info     ] <message> [<logger>] loc=<file:line>` or
 * Airflow 2's `[<time>] {<file>:<line>} INFO - <message>` → the message (and the level, unless info). Other lines are
 * returned as they are.
 */
export function tidy(line: string): string {
  const match =
    /^\d{4}-\d\d-\d\dT[\d:.]+Z \[(\w+)\s*\] (.*?)(?:\s+\[[\w.]+\])?(?: [\w.]+=\S*)*$/.exec(line) ?? /^\[\d{4}-\d\d-\d\d[T ][\d:.,+]+\] \{[^}]*\} ([A-Z]+) - (.*)$/.exec(line);
  if (!match) return line;
  const level = match[1]!.toLowerCase();
  const message = match[2]!.trimEnd();
  return level === "info" ? message : `${level}: ${message}`;
}

/** Airflow's lines shown as progress: tasks starting and ending, the commands they run, and dbt's summary and errors. */
const PROGRESS =
  /^\[DAG TEST\] starting task_id|^Running command:|^Command exited with return code|Task failed|^DagRun Finished|^\d\d:\d\d:\d\d {2}(Finished running|Completed successfully|Done\.|Completed with|Failure in|Runtime Error|Database Error|Compilation Error)|^Error:/;

/** Runs a command; its output goes to `logFile`, and lines that `show` accepts to `log`. */
function runLogged(command: string, args: readonly string[], env: NodeJS.ProcessEnv, logFile: string, log: (line: string) => void, show: (line: string) => boolean): Promise<{ code: number; tail: string[] }> {
  return new Promise((resolveRun, reject) => {
    const file = createWriteStream(logFile, { flags: "a" });
    const child = spawn(command, [...args], { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    stopOnInterrupt(child);
    const tail: string[] = [];
    let pending = "";
    let lastShown: string | undefined;
    const onData = (chunk: Buffer) => {
      file.write(chunk);
      const lines = (pending + chunk.toString("utf8")).split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        const text = line.replace(/\s+$/, "");
        if (!text) continue;
        tail.push(text);
        if (tail.length > 60) tail.shift();
        if (show(text)) {
          const shown = tidy(text);
          // Airflow 2 writes a task's lines twice (its console and its task log handler), with two time formats.
          if (shown === lastShown) continue;
          lastShown = shown;
          log(`  ${shown.length > 240 ? `${shown.slice(0, 240)}…` : shown}`);
        }
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", (error) => {
      file.end();
      reject(new CannotRun(`cannot start ${command}: ${error.message}`));
    });
    child.on("close", (code, signal) => {
      if (pending.trim()) tail.push(pending.trim());
      file.end(() => resolveRun({ code: code ?? (signal ? 128 : 1), tail }));
    });
  });
}

/** The environment of the Airflow commands: the parent's, without its own Airflow or dbt settings, plus ours. */
function airflowEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  // The pseudonym key is in the database file (prepareLocalDatabase): Airflow and dbt do not get it.
  for (const [name, value] of Object.entries(withoutPseudonymKey(process.env))) if (!/^(AIRFLOW|DBT)_/.test(name)) env[name] = value;
  return { ...env, ...extra };
}

const seconds = (from: number) => Math.round((performance.now() - from) / 100) / 10;

export async function runDagTest(options: DagTestOptions = {}): Promise<DagTestResult> {
  const root = resolve(options.root ?? REPO_ROOT);
  const log = options.log ?? (() => undefined);
  const started = performance.now();
  const major = options.airflow ?? "3";
  const timing = { pipeline: 0, migrate: 0, dagsTest: 0, total: 0 };
  const dagFolder = join(root, "generated", "airflow", "dags");
  const dagFile = join(dagFolder, `${DAG_ID}.py`);
  const logicalDate = new Date().toISOString().replace(/\.\d+Z$/, "+00:00");
  const folder = mkdtempSync(join(tmpdir(), "dag-test-"));
  // Interrupted (Ctrl-C, SIGTERM), the folder is removed unless --keep.
  const release = options.keep ? () => undefined : removeOnInterrupt(folder);
  const result = (code: 0 | 1 | 2, rest: Partial<DagTestResult> = {}): DagTestResult => {
    timing.total = seconds(started);
    release();
    // Kept after a failure, for inspection; unless nothing was written to it yet (no DAG, no IR).
    const kept = (code !== 0 && readdirSync(folder).length > 0) || Boolean(options.keep);
    if (!kept) rmSync(folder, { recursive: true, force: true });
    return { code, folder, kept, logicalDate, airflow: major, tasks: [], seconds: timing, ...rest };
  };
  try {
    if (!existsSync(dagFile)) throw new CannotRun(`the generated DAG ${dagFile} does not exist. Fix: run \`npm run generate\` first.`);
    let datasets: DatasetIR[];
    try {
      datasets = loadGeneratedIR(root);
    } catch (error) {
      throw new CannotRun(error instanceof NoGeneratedIR ? `${error.message} Fix: ${error.fix}` : (error as Error).message);
    }

    // 1. Processed Parquet of the samples.
    const pipelineStarted = performance.now();
    const pipelineOut = join(folder, "pipeline");
    const inputs = new Map<string, string[]>();
    for (const d of datasets) if (existsSync(join(root, "samples", d.name))) inputs.set(d.name, [join(root, "samples", d.name)]);
    if (inputs.size === 0) throw new CannotRun(`no samples in ${join(root, "samples")}/<dataset>/.`);
    log(`pipeline: the shipped samples (${[...inputs.keys()].join(", ")}), DuckDB engine → ${pipelineOut}`);
    const summary = await runPipeline({ datasets, inputs, out: pipelineOut, runId: "dag-test" });
    if (!summary.reconciled) throw new CannotRun(`the local pipeline's counts do not reconcile: ${summary.problems.join(" ")}`);
    for (const [name, d] of Object.entries(summary.datasets)) log(`pipeline: ${name}: input ${d.input}, valid ${d.valid}, quarantined ${d.quarantined.total}`);

    // 2. The local external tables dbt's sources read.
    const warehouseDir = join(folder, "warehouse");
    const { database } = await prepareLocalDatabase({
      ir: { irVersion: IR_VERSION, datasets },
      warehouseDir,
      tableDirectory: (table) => localPath(pipelineOut, table.location),
      log: (line) => log(`warehouse: ${line}`),
    });
    timing.pipeline = seconds(pipelineStarted);

    // 3. Airflow.
    const envLog = (line: string) => log(line);
    const [dbt, airflow] = await Promise.all([ensurePythonEnv("dbt", { root, log: envLog }), ensurePythonEnv(AIRFLOW_ENVS[major], { root, log: envLog })]).catch((error: Error) => {
      throw new CannotRun(error.message);
    });
    const airflowHome = join(folder, "airflow");
    mkdirSync(join(airflowHome, "config"), { recursive: true });
    writeFileSync(join(airflowHome, "config", "airflow_local_settings.py"), LOCAL_SETTINGS);
    const variables: Record<string, string> = {
      [DBT_VARIABLES.executable]: join(dbt.bin, "dbt"),
      [DBT_VARIABLES.projectDir]: join(root, "dbt-out"),
      [DBT_VARIABLES.profilesDir]: join(root, "dbt-out", "profiles"),
      [DBT_VARIABLES.target]: LOCAL_TARGET,
      ...options.variables,
    };
    const env = airflowEnvironment({
      AIRFLOW_HOME: airflowHome,
      AIRFLOW__CORE__DAGS_FOLDER: dagFolder,
      AIRFLOW__CORE__LOAD_EXAMPLES: "False",
      AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `sqlite:///${join(airflowHome, "airflow.db")}`,
      // The DAG folder is the repository's generated/ folder: no __pycache__ may appear in it.
      PYTHONDONTWRITEBYTECODE: "1",
      ...Object.fromEntries(Object.entries(variables).map(([name, value]) => [airflowVariableEnv(name), value])),
      ...dbtEnvironment(warehouseDir, database),
      ...options.environment,
    });
    for (const [name, value] of Object.entries(variables)) log(`airflow: Variable ${name} = ${value}`);
    const airflowBin = join(airflow.bin, "airflow");
    const outputLog = join(folder, "airflow-output.log");
    // A script whose interpreter is gone (an env moved after it was built) would fail each task with the shell's 127.
    for (const [envName, file] of [["dbt", variables[DBT_VARIABLES.executable]!], [AIRFLOW_ENVS[major], airflowBin]] as const) {
      const problem = toolProblem(file);
      if (problem) throw new CannotRun(`${problem}.\n  fix: ${rebuildFix(envName)}`);
    }

    const migrateStarted = performance.now();
    log(`airflow: db migrate (SQLite, AIRFLOW_HOME ${airflowHome})`);
    const migrate = await runLogged(airflowBin, ["db", "migrate"], env, outputLog, log, () => false);
    timing.migrate = seconds(migrateStarted);
    if (migrate.code !== 0) throw new CannotRun(`airflow db migrate failed (exit ${migrate.code}):\n${migrate.tail.slice(-20).join("\n")}`);

    const testStarted = performance.now();
    log(`airflow: dags test ${DAG_ID} ${logicalDate}`);
    const show = (line: string) => PROGRESS.test(tidy(line));
    const dagsTest = await runLogged(airflowBin, ["dags", "test", DAG_ID, logicalDate], env, outputLog, log, show);
    if (major === "2") {
      // Airflow 2's `dags test` runs the DAG from the file without serializing it; its scheduler (and MWAA's) stores
      // every DAG serialized, and a DAG that does not serialize never runs there. Serialize it as they do, so the
      // timeouts are read from what Airflow 2 stored, as on Airflow 3.
      log("airflow: dags reserialize (Airflow 2: dags test does not serialize the DAG)");
      const reserialize = await runLogged(airflowBin, ["dags", "reserialize"], env, outputLog, log, () => false);
      if (reserialize.code !== 0) throw new CannotRun(`airflow dags reserialize failed (exit ${reserialize.code}):\n${reserialize.tail.slice(-20).join("\n")}`);
    }
    timing.dagsTest = seconds(testStarted);

    // 4. States from Airflow's database.
    const read = await runLogged(airflow.python, ["-c", READ_STATES, join(airflowHome, "airflow.db"), DAG_ID], env, join(folder, "states.log"), log, () => false);
    let states: { run: { runId: string; state: string } | null; tasks: TaskState[]; timeouts: DagTestResult["timeouts"] };
    try {
      states = JSON.parse(read.tail.at(-1) ?? "") as typeof states;
    } catch {
      throw new CannotRun(`cannot read the task states from ${join(airflowHome, "airflow.db")}:\n${read.tail.join("\n")}`);
    }
    if (!states.run || states.tasks.length === 0) {
      throw new CannotRun(`airflow dags test did not run the DAG (exit ${dagsTest.code}); see ${outputLog}. Last lines:\n${dagsTest.tail.slice(-20).join("\n")}`);
    }
    // Skipped is how the watcher ends when nothing failed (it runs once all tasks have ended and skips itself).
    const failed = states.tasks.filter((t) => t.state !== "success" && t.state !== "skipped");
    // 127 is the shell's "command not found" (or its interpreter not found): the environment, not the data or the
    // project, so the run could not test anything.
    if (failed.length > 0 && /Command exited with return code 127\b/.test(readFileSync(outputLog, "utf8"))) {
      return result(2, {
        dagRunState: states.run.state,
        tasks: states.tasks,
        message:
          `a task's command could not start (return code 127: the shell found no such command, or the interpreter of its script is missing). Airflow's output: ${outputLog}` +
          `\n  fix: check the dbt executable Variable (${DBT_VARIABLES.executable}), or ${rebuildFix("dbt")}`,
      });
    }
    if (failed.length > 0 || states.run.state !== "success" || dagsTest.code !== 0) {
      const named = failed.map((t) => `${t.taskId} ${t.state}`).join(", ") || `every task succeeded, but the DAG run is ${states.run.state} (exit ${dagsTest.code})`;
      return result(1, { dagRunState: states.run.state, tasks: states.tasks, timeouts: states.timeouts, message: `${named}. Airflow's output: ${outputLog}` });
    }
    return result(0, { dagRunState: states.run.state, tasks: states.tasks, timeouts: states.timeouts });
  } catch (error) {
    if (error instanceof CannotRun) return result(2, { message: error.message });
    return result(2, { message: `${(error as Error).message}` });
  }
}

export function formatResult(result: DagTestResult): string {
  const lines = [
    result.code === 0
      ? `DAG ${DAG_ID}: every task succeeded (Airflow ${result.airflow}, airflow dags test, logical date ${result.logicalDate})`
      : result.code === 1
        ? `DAG ${DAG_ID}: FAILED: ${result.message}`
        : `DAG ${DAG_ID}: cannot run: ${result.message}`,
  ];
  for (const t of result.tasks) {
    const ran = t.seconds !== null && (t.state === "success" || t.state === "failed");
    lines.push(`  ${t.taskId}: ${t.state}${ran ? ` in ${Math.round(t.seconds! * 10) / 10} s` : ""}${t.tryNumber > 1 ? ` (try ${t.tryNumber})` : ""}`);
  }
  if (result.dagRunState) lines.push(`  dag run: ${result.dagRunState}`);
  const s = result.seconds;
  lines.push(`  duration: ${s.total} s (pipeline and database ${s.pipeline} s, airflow db migrate ${s.migrate} s, airflow dags test ${s.dagsTest} s)`);
  if (result.kept) lines.push(`  kept: ${result.folder}`);
  else if (result.code === 0) lines.push("  temporary folder removed (--keep keeps it)");
  return lines.join("\n");
}

/**
 * The command line. `base` holds options a caller sets under the command line's own (tests: Airflow Variables and the
 * environment pointing the DAG's AWS calls at a local server); the command itself passes none.
 */
export async function main(
  argv: readonly string[],
  out: { write(text: string): unknown } = process.stdout,
  err: { write(text: string): unknown } = process.stderr,
  base: Pick<DagTestOptions, "variables" | "environment"> = {},
): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], options: { keep: { type: "boolean", default: false }, airflow: { type: "string", default: "3" }, help: { type: "boolean", short: "h", default: false }, version: { type: "boolean", default: false } } }));
  } catch (error) {
    err.write(`error CLI.USAGE: ${(error as Error).message}\n  fix: ${parseArgsFix(error, HELP)}\n`);
    return 2;
  }
  if (!Object.hasOwn(AIRFLOW_ENVS, values.airflow)) {
    err.write(`error CLI.USAGE: --airflow ${JSON.stringify(values.airflow)} is not an Airflow this command runs.\n  fix: pass --airflow 3 (the default) or --airflow 2.\n`);
    return 2;
  }
  if (values.help) {
    out.write(`${HELP}\n`);
    return 0;
  }
  if (values.version) {
    out.write(`${versionLine()}\n`);
    return 0;
  }
  const result = await runDagTest({ ...base, keep: values.keep, airflow: values.airflow as AirflowMajor, log: (line) => err.write(`${line}\n`) });
  out.write(`${formatResult(result)}\n`);
  return result.code;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
