/**
 * A local Spark session in a child process (`driver.py`), running the generated Glue jobs' `run(spark, args)`.
 * One session serves every job run of a pipeline run or a test file: the JVM start is paid once.
 *
 * The Python environment with the pinned pyspark is installed on first use (`toolchain/python-env.ts`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { stopOnInterrupt } from "../../generators/lib/interrupt.js";
import { ensurePythonEnv } from "../../toolchain/python-env.js";
import { defaultThreads } from "../local-pipeline/threads.js";

export interface SparkDriverOptions {
  /** Repository root (for the Python environment and the driver script). */
  readonly root: string;
  /** Progress lines (environment installation, session start). */
  readonly log?: (line: string) => void;
  /** Spark's own console output (warnings); default: kept and shown only when the session fails to start. */
  readonly sparkLog?: (text: string) => void;
  /** Threads of the local Spark (`local[<threads>]`, as many shuffle partitions). Default `defaultThreads()`. */
  readonly threads?: number;
}

export interface SparkAnswer<T> {
  readonly result: T;
  readonly seconds: number;
}

export class SparkJobError extends Error {
  constructor(
    message: string,
    readonly traceback: string,
    /**
     * The lines of Spark's and Java's console output while the command ran that name an error (`consoleErrorLines`):
     * where a job that failed because the JVM ran out of memory says so (`java.lang.OutOfMemoryError: Java heap
     * space`), while its Python exception may say only that a call failed, or that `py4j.reflection does not exist in
     * the JVM` (the JVM shutting down).
     */
    readonly consoleErrors: readonly string[] = [],
  ) {
    super(message);
    this.name = "SparkJobError";
  }
}

interface Pending {
  resolve(answer: { ok: boolean; result?: unknown; error?: string; traceback?: string; seconds?: number }): void;
}

/**
 * Variables of the caller's environment the driver never gets: each would make it run another Spark or other
 * settings than the pinned pyspark's. `SPARK_HOME` (pyspark starts that installation's spark-submit),
 * `SPARK_CONF_DIR` (its `spark-defaults.conf` and `spark-env.sh`: `spark.sql.parser.escapedStringLiterals true`
 * there quarantined every record), `PYSPARK_SUBMIT_ARGS`, `PYSPARK_GATEWAY_PORT`, `SPARK_REMOTE` (Spark Connect) and
 * every other `SPARK_*` or `PYSPARK_*` variable, a Hadoop, YARN or Hive configuration folder (`HADOOP_CONF_DIR`:
 * its `core-site.xml` can name another default file system), `HADOOP_HOME`, the JVM's option variables (they can
 * carry `-Dspark.*` properties, which Spark reads as settings) and `PYTHONPATH`/`PYTHONHOME` (another pyspark).
 */
const WITHHELD = /^(SPARK_|PYSPARK_)|^(HADOOP_CONF_DIR|YARN_CONF_DIR|HIVE_CONF_DIR|HADOOP_HOME|JAVA_TOOL_OPTIONS|_JAVA_OPTIONS|JDK_JAVA_OPTIONS|PYTHONPATH|PYTHONHOME)$/;
/** The driver's own settings (`driver.py`), passed on. */
const DRIVER_SETTINGS = new Set(["SPARK_DRIVER_MEMORY", "SPARK_LOG_LEVEL"]);

/**
 * The environment `driver.py` runs in: the caller's, without what is WITHHELD, with the driver's own variables, and
 * on Linux a UTF-8 locale (`LC_ALL=C.UTF-8`) when the caller's is not one (`LC_ALL=C`, or none set): under it Java 17
 * cannot decode a non-ASCII path (the working folder, pyspark's jars in a clone whose path has an `ü`), and the
 * session did not start (`InvalidPathException: Malformed input or input contains unmappable characters`);
 * `-Dsun.jnu.encoding=UTF-8` does not change that on Java 17. macOS's Java decodes paths as UTF-8 whatever the locale.
 */
export function sparkDriverEnv(parent: NodeJS.ProcessEnv, python: string, threads: number, platform: NodeJS.Platform = process.platform): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(parent)) {
    if (value !== undefined && (!WITHHELD.test(name) || DRIVER_SETTINGS.has(name))) env[name] = value;
  }
  // The locale's character set comes from the first of these that is set and not empty (POSIX).
  const ctype = [parent.LC_ALL, parent.LC_CTYPE, parent.LANG].find((value) => value !== undefined && value !== "") ?? "C";
  if (platform === "linux" && !/\.utf-?8(@|$)/i.test(ctype)) env.LC_ALL = "C.UTF-8";
  return {
    ...env,
    // Spark's Python workers (the jobs' UDFs) run in the same environment as the driver.
    PYSPARK_PYTHON: python,
    PYSPARK_DRIVER_PYTHON: python,
    PYTHONUNBUFFERED: "1",
    PYTHONDONTWRITEBYTECODE: "1",
    SPARK_LOCAL_THREADS: String(threads),
  };
}

/** How long a failed command's console output is given to arrive after its answer. */
const CONSOLE_SETTLE_MS = 200;

/** A line that names an error: a Java exception or its cause, a Python exception, the JVM's or spark-submit's error. */
const ERROR_LINE = /^(Caused by: |Exception in thread |Error: )|^[\w.$]*(Exception|Error)\b/;

/**
 * What Spark's and Java's console output says went wrong, whole lines: the first lines that name an error (a Java
 * stack trace's exception and its `Caused by:` lines, a Python exception), then the last lines. (A blind tail of
 * the output began mid-word, inside a stack trace, and left out the exception.)
 */
export function consoleErrors(output: string): string {
  const lines = output.split(/\r?\n/).filter((line) => line.trim() !== "");
  const cut = (line: string) => (line.length > 400 ? `${line.slice(0, 400)}…` : line);
  const errors = consoleErrorLines(output);
  const last = lines.slice(-12);
  return [...(errors.length > 0 ? ["Errors:", ...errors.map((line) => `  ${cut(line)}`)] : []), "Last lines of the output:", ...last.map((line) => `  ${cut(line)}`)].join("\n");
}

/** The first distinct lines of console output that name an error (at most 12, each trimmed). */
export function consoleErrorLines(output: string): string[] {
  const lines = output.split(/\r?\n/).map((line) => line.trim());
  return [...new Set(lines.filter((line) => line !== "" && ERROR_LINE.test(line)))].slice(0, 12);
}

/**
 * The first distinct error lines (`consoleErrorLines`) of console output given chunk by chunk (a line may span two
 * chunks), however long the output: a command's WARN lines before its error cost nothing kept.
 */
export class ConsoleErrorCollector {
  private partial = "";
  private readonly errors: string[] = [];

  add(text: string): void {
    const lines = (this.partial + text).split(/\r?\n/);
    this.partial = lines.pop()!.slice(-4096);
    for (const line of consoleErrorLines(lines.join("\n"))) if (this.errors.length < 12 && !this.errors.includes(line)) this.errors.push(line);
  }

  /** The error lines so far, the unfinished last line's included. */
  lines(): string[] {
    const last = consoleErrorLines(this.partial).filter((line) => !this.errors.includes(line));
    return [...this.errors, ...last].slice(0, 12);
  }

  reset(): void {
    this.partial = "";
    this.errors.length = 0;
  }
}

/** Why no Java can start (JAVA_HOME without bin/java, no java on PATH), or undefined when one is there. */
export function javaProblem(env: NodeJS.ProcessEnv): string | undefined {
  if (env.JAVA_HOME) return existsSync(join(env.JAVA_HOME, "bin", "java")) ? undefined : `JAVA_HOME (${env.JAVA_HOME}) has no bin/java`;
  const found = (env.PATH ?? "").split(delimiter).some((dir) => dir !== "" && existsSync(join(dir, "java")));
  return found ? undefined : "no java on PATH and JAVA_HOME is not set";
}

/** The message of a session that did not start: the errors in its output, and a fix that fits them. */
export function startFailure(code: number | null, output: string, noJava: string | undefined): string {
  const fix = noJava
    ? `Fix: install Java 17 (java -version) and put it on PATH or set JAVA_HOME to it (${noJava}).`
    : "Fix: act on the first error above (a java was found, so a missing Java is not the cause).";
  return `The local Spark session did not start (exit ${code}).\n${consoleErrors(output)}\n${fix}`;
}

export class SparkDriver {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private exited: string | undefined;

  private constructor(
    private readonly child: ChildProcess,
    readonly versions: { spark: string; python: string; master: string },
    private readonly recentOutput: string[],
    /** The error lines of the console output of the command running now, for its error should it fail. */
    private readonly commandErrors: ConsoleErrorCollector,
  ) {}

  static async start(options: SparkDriverOptions): Promise<SparkDriver> {
    const log = options.log ?? (() => undefined);
    const env = await ensurePythonEnv("spark", { root: options.root, log });
    const threads = options.threads ?? defaultThreads();
    log(`spark: starting a local Spark session (local[${threads}])…`);
    const child = spawn(env.python, [join(options.root, "runners", "spark-local", "driver.py")], {
      cwd: options.root,
      // stdin: commands; stdout/stderr: Spark's and Java's console output; fd 3: answers.
      stdio: ["pipe", "pipe", "pipe", "pipe"],
      // Its own process group: a signal reaches it (and Spark's JVM and Python workers) once, from this process.
      detached: true,
      env: sparkDriverEnv(process.env, env.python, threads),
    });
    // Stopped by any signal, the driver is asked to stop as on Ctrl-C (SIGINT: Python's KeyboardInterrupt, which
    // cancels Spark's jobs, stops the session and removes the scratch folder); the run waits for it to end.
    stopOnInterrupt(child, "SIGINT");
    const recent: string[] = [];
    const commandErrors = new ConsoleErrorCollector();
    const keep = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      if (options.sparkLog) options.sparkLog(text);
      recent.push(text);
      while (recent.length > 200) recent.shift();
      commandErrors.add(text);
    };
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    const answers = createInterface({ input: child.stdio[3] as Readable });
    const first = await new Promise<{ ok: boolean; result?: unknown; seconds?: number }>((resolve, reject) => {
      answers.once("line", (line) => resolve(JSON.parse(line) as { ok: boolean; result?: unknown }));
      child.once("exit", (code) => reject(new Error(startFailure(code, recent.join(""), javaProblem(process.env)))));
      child.once("error", reject);
    });
    const versions = first.result as { spark: string; python: string; master: string };
    const driver = new SparkDriver(child, versions, recent, commandErrors);
    log(`spark: Spark ${versions.spark} on Python ${versions.python} started in ${first.seconds} s`);
    answers.on("line", (line) => driver.onAnswer(line));
    child.on("exit", (code, signal) => driver.onExit(`the Spark driver exited (${signal ?? `code ${code}`})`));
    return driver;
  }

  private onAnswer(line: string): void {
    const answer = JSON.parse(line) as { id: number; ok: boolean };
    const pending = this.pending.get(answer.id);
    if (!pending) return;
    this.pending.delete(answer.id);
    pending.resolve(answer);
  }

  private onExit(why: string): void {
    this.exited = why;
    for (const [, pending] of this.pending) pending.resolve({ ok: false, error: why, traceback: consoleErrors(this.recentOutput.join("")) });
    this.pending.clear();
  }

  private async send<T>(command: Record<string, unknown>): Promise<SparkAnswer<T>> {
    if (this.exited) throw new SparkJobError(`The local Spark session is gone: ${this.exited}.`, "");
    const id = this.nextId++;
    this.commandErrors.reset();
    const answer = await new Promise<{ ok: boolean; result?: unknown; error?: string; traceback?: string; seconds?: number }>((resolve) => {
      this.pending.set(id, { resolve });
      (this.child.stdin as Writable).write(`${JSON.stringify({ id, ...command })}\n`);
    });
    if (!answer.ok) {
      // The answer comes on its own pipe: what Java logged just before it may still be on its way on stderr.
      await new Promise((resolve) => setTimeout(resolve, CONSOLE_SETTLE_MS));
      throw new SparkJobError(answer.error ?? "unknown error", answer.traceback ?? "", this.commandErrors.lines());
    }
    return { result: answer.result as T, seconds: answer.seconds ?? 0 };
  }

  /** Runs a generated job's `run(spark, args)` (and `processed_at` for flatten jobs). */
  runJob<T>(script: string, args: Readonly<Record<string, string>>, processedAt?: Date): Promise<SparkAnswer<T>> {
    return this.send<T>({ job: script, args, ...(processedAt ? { processed_at: processedAt.toISOString() } : {}) });
  }

  /** A Spark SQL query's rows (tests). */
  sql<T = Record<string, unknown>>(query: string): Promise<SparkAnswer<T[]>> {
    return this.send<T[]>({ sql: query });
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    (this.child.stdin as Writable).end();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 30_000);
    await done;
    clearTimeout(timer);
  }
}
