/**
 * The Spark engine in the user's environment: what the caller's environment could change in the local Spark session
 * (another Spark, a `spark-defaults.conf`, a temporary folder whose path has a space and a quote, a C locale with a
 * non-ASCII path), and the Spark settings a job parameter could change under the generated Glue jobs. One Spark
 * session, started in such an environment, runs the jobs on the shipped review samples, and the run must equal the
 * DuckDB engine's.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadGeneratedIR } from "../local-pipeline/generated-ir.js";
import { runPipeline, type RunSummary } from "../local-pipeline/pipeline.js";
import { ConsoleErrorCollector, consoleErrors, javaProblem, SparkDriver, sparkDriverEnv, startFailure } from "./driver.js";
import { runSparkPipeline } from "./pipeline.js";

const ROOT = join(import.meta.dirname, "..", "..");
const datasets = loadGeneratedIR(ROOT);
const PROCESSED_AT = new Date("2026-01-02T03:04:05.678Z");
const work = mkdtempSync(join(tmpdir(), "spark-environment-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the Spark driver's environment", () => {
  it("leaves out what would run another Spark or other settings, keeps the rest and the driver's own settings", () => {
    const parent = {
      PATH: "/usr/bin",
      JAVA_HOME: "/opt/java",
      HOME: "/home/u",
      SPARK_HOME: "/opt/spark",
      SPARK_CONF_DIR: "/etc/spark",
      SPARK_REMOTE: "sc://host",
      PYSPARK_SUBMIT_ARGS: "--conf spark.sql.ansi.enabled=true pyspark-shell",
      PYSPARK_PYTHON: "/usr/bin/python2",
      PYSPARK_GATEWAY_PORT: "1234",
      HADOOP_CONF_DIR: "/etc/hadoop",
      YARN_CONF_DIR: "/etc/yarn",
      JAVA_TOOL_OPTIONS: "-Dspark.sql.parser.escapedStringLiterals=true",
      _JAVA_OPTIONS: "-Dspark.sql.ansi.enabled=true",
      JDK_JAVA_OPTIONS: "-Dspark.sql.ansi.enabled=true",
      PYTHONPATH: "/opt/other-pyspark",
      SPARK_DRIVER_MEMORY: "4g",
      SPARK_LOG_LEVEL: "INFO",
    };
    const env = sparkDriverEnv(parent, "/venv/bin/python", 3);
    expect(env).toMatchObject({ PATH: "/usr/bin", JAVA_HOME: "/opt/java", HOME: "/home/u", SPARK_DRIVER_MEMORY: "4g", SPARK_LOG_LEVEL: "INFO" });
    expect(env).toMatchObject({ PYSPARK_PYTHON: "/venv/bin/python", PYSPARK_DRIVER_PYTHON: "/venv/bin/python", SPARK_LOCAL_THREADS: "3" });
    for (const name of ["SPARK_HOME", "SPARK_CONF_DIR", "SPARK_REMOTE", "PYSPARK_SUBMIT_ARGS", "PYSPARK_GATEWAY_PORT", "HADOOP_CONF_DIR", "YARN_CONF_DIR", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "PYTHONPATH"]) {
      expect(env, name).not.toHaveProperty(name);
    }
  });
});

describe("the Spark driver's locale", () => {
  const env = (parent: NodeJS.ProcessEnv, platform: NodeJS.Platform = "linux") => sparkDriverEnv(parent, "/venv/bin/python", 1, platform);

  it("is C.UTF-8 on Linux when the caller's character set is not UTF-8 (LC_ALL, else LC_CTYPE, else LANG)", () => {
    expect(env({ LC_ALL: "C", LANG: "en_US.UTF-8" }).LC_ALL).toBe("C.UTF-8");
    expect(env({ LC_CTYPE: "POSIX" }).LC_ALL).toBe("C.UTF-8");
    expect(env({ LANG: "de_DE.ISO-8859-1" }).LC_ALL).toBe("C.UTF-8");
    expect(env({ LC_ALL: "", LC_CTYPE: "", LANG: "" }).LC_ALL).toBe("C.UTF-8");
    expect(env({}).LC_ALL).toBe("C.UTF-8");
  });

  it("is the caller's when that is UTF-8, and left alone on macOS (its Java decodes paths as UTF-8)", () => {
    expect(env({ LANG: "de_DE.UTF-8" })).toMatchObject({ LANG: "de_DE.UTF-8" });
    expect(env({ LANG: "de_DE.UTF-8" })).not.toHaveProperty("LC_ALL");
    expect(env({ LC_ALL: "tr_TR.utf8" }).LC_ALL).toBe("tr_TR.utf8");
    expect(env({ LC_ALL: "C", LC_CTYPE: "en_US.UTF-8" }).LC_ALL).toBe("C.UTF-8");
    expect(env({ LC_ALL: "C" }, "darwin").LC_ALL).toBe("C");
  });
});

describe("the message of a Spark session that did not start", () => {
  // The shape of the output of a JVM that could not decode its working folder: the exception, then its stack.
  const output = [
    "WARNING: Using incubator modules: jdk.incubator.vector",
    'Exception in thread "main" java.lang.reflect.InvocationTargetException',
    "\tat java.base/jdk.internal.reflect.NativeConstructorAccessorImpl.newInstance0(Native Method)",
    ...Array.from({ length: 80 }, (_, i) => `\tat org.apache.spark.deploy.SparkSubmit.frame${i}(SparkSubmit.scala:${i})`),
    "Caused by: java.nio.file.InvalidPathException: Malformed input or input contains unmappable characters: /home/j??rgen/repo",
    "\tat java.base/sun.nio.fs.UnixPath.encode(UnixPath.java:145)",
    "\t... 12 more",
    "pyspark.errors.exceptions.base.PySparkRuntimeError: [JAVA_GATEWAY_EXITED] Java gateway process exited before sending its port number.",
  ].join("\n");

  it("keeps the exception and its causes, whole lines, and the last lines", () => {
    const text = consoleErrors(output);
    expect(text.split("\n").slice(0, 4)).toEqual([
      "Errors:",
      '  Exception in thread "main" java.lang.reflect.InvocationTargetException',
      "  Caused by: java.nio.file.InvalidPathException: Malformed input or input contains unmappable characters: /home/j??rgen/repo",
      "  pyspark.errors.exceptions.base.PySparkRuntimeError: [JAVA_GATEWAY_EXITED] Java gateway process exited before sending its port number.",
    ]);
    expect(text).toContain("Last lines of the output:\n");
    expect(text).toMatch(/\n {2}\t\.\.\. 12 more\n/);
  });

  it("collects a command's error lines chunk by chunk: the same lines, a line split between two chunks whole, at most 12", () => {
    const collector = new ConsoleErrorCollector();
    // Cut at every 37th character: lines split between chunks, the last one unfinished.
    for (let at = 0; at < output.length; at += 37) collector.add(output.slice(at, at + 37));
    expect(collector.lines()).toEqual(consoleErrors(output).split("\n").slice(1, 4).map((line) => line.trim()));
    collector.reset();
    expect(collector.lines()).toEqual([]);
    // A long run of WARN lines before the error costs nothing kept; the unfinished last line counts.
    for (let i = 0; i < 20_000; i++) collector.add(`26/12/07 14:32:28 WARN BlockManager: block rdd_${i} could not be removed\n`);
    collector.add("java.lang.OutOfMemoryError: Java heap space");
    expect(collector.lines()).toEqual(["java.lang.OutOfMemoryError: Java heap space"]);
    for (let i = 0; i < 20; i++) collector.add(`\nCaused by: java.lang.IllegalStateException: ${i}`);
    expect(collector.lines()).toHaveLength(12);
  });

  it("suggests installing Java only when no java is found", () => {
    const bin = join(work, "java-home", "bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "java"), "");
    expect(javaProblem({ JAVA_HOME: join(work, "java-home") })).toBeUndefined();
    expect(javaProblem({ PATH: `${join(work, "nothing")}:${bin}` })).toBeUndefined();
    expect(javaProblem({ JAVA_HOME: join(work, "nothing") })).toBe(`JAVA_HOME (${join(work, "nothing")}) has no bin/java`);
    expect(javaProblem({ PATH: join(work, "nothing") })).toBe("no java on PATH and JAVA_HOME is not set");
    expect(startFailure(1, output, undefined)).not.toMatch(/install Java/);
    expect(startFailure(1, output, undefined)).toMatch(/^The local Spark session did not start \(exit 1\)\.\nErrors:\n/);
    expect(startFailure(1, output, "no java on PATH and JAVA_HOME is not set")).toMatch(/\nFix: install Java 17 \(java -version\) and put it on PATH or set JAVA_HOME to it \(no java on PATH and JAVA_HOME is not set\)\.$/);
  });
});

/** The counts both engines must agree on. */
function counts(summary: RunSummary) {
  return Object.fromEntries(Object.entries(summary.datasets).map(([name, d]) => [name, { input: d.input, valid: d.valid, duplicates: d.duplicates, quarantined: d.quarantined, tables: d.tables }]));
}

describe("the Spark engine started in a user's Spark environment", () => {
  let driver: SparkDriver;
  let inputs: Map<string, string[]>;
  let expected: RunSummary;
  let scratch: string[];

  beforeAll(async () => {
    // A spark-defaults.conf that makes Spark SQL take backslashes in string literals as they are, and another Spark.
    const conf = join(work, "conf");
    mkdirSync(conf);
    writeFileSync(join(conf, "spark-defaults.conf"), "spark.sql.parser.escapedStringLiterals true\nspark.sql.ansi.enabled true\n");
    // A temporary folder whose path has a space and a quote (Spark splits a JVM option string on them).
    const temp = join(work, "tmp dir 'quoted'");
    mkdirSync(temp);
    // The repository under a path with non-ASCII letters (its files linked), in the C locale.
    const root = join(work, "Prüfung ü");
    mkdirSync(root);
    for (const entry of readdirSync(ROOT)) if (entry !== ".git") symlinkSync(join(ROOT, entry), join(root, entry));
    const caller = { SPARK_CONF_DIR: conf, SPARK_HOME: join(work, "no-spark-here"), TMPDIR: temp, LC_ALL: "C" };
    const saved = Object.fromEntries(Object.keys(caller).map((name) => [name, process.env[name]]));
    Object.assign(process.env, caller);
    try {
      driver = await SparkDriver.start({ root, log: (line) => process.stderr.write(`${line}\n`), threads: 1 });
      scratch = readdirSync(temp);
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
    const reviews = join(work, "input", "review");
    mkdirSync(reviews, { recursive: true });
    for (const file of ["reviews-2018-a.jsonl", "reviews-2018-b.jsonl.gz", "reviews-empty.jsonl", "reviews-latin1-byte.jsonl", "reviews-truncated.jsonl"]) {
      copyFileSync(join(ROOT, "samples", "review", file), join(reviews, file));
    }
    inputs = new Map([["review", [reviews]]]);
    expected = await runPipeline({ datasets, inputs, runId: "run-duckdb", processedAt: PROCESSED_AT, out: join(work, "duckdb") });
  }, 600_000);
  afterAll(async () => {
    await driver?.close();
  });

  it("starts with its scratch in a temporary folder whose path has a space and a quote", () => {
    expect(scratch).toEqual([expect.stringMatching(/^spark-local-/)]);
  });

  it("takes no setting from SPARK_CONF_DIR and runs the pinned pyspark, not SPARK_HOME's", async () => {
    expect(driver.versions.spark).toBe("3.5.4");
    for (const key of ["spark.sql.parser.escapedStringLiterals", "spark.sql.ansi.enabled"]) {
      expect((await driver.sql<{ key: string; value: string }>(`SET ${key}`)).result).toEqual([{ key, value: "false" }]);
    }
  }, 300_000);

  it("runs the generated jobs with their own settings over those of the session (a Glue job's --conf)", async () => {
    for (const [key, value] of [
      ["spark.sql.parser.escapedStringLiterals", "true"],
      ["spark.sql.legacy.exponentLiteralAsDecimal.enabled", "true"],
      ["spark.sql.ansi.enabled", "true"],
    ]) {
      await driver.sql(`SET ${key}=${value}`);
    }
    const summary = await runSparkPipeline({ datasets, inputs, runId: "run-spark", processedAt: PROCESSED_AT, out: join(work, "spark"), root: ROOT, driver });
    expect(summary.reconciled).toBe(true);
    expect(counts(summary)).toEqual(counts(expected));
    // Not vacuous: the samples hold valid records and several quarantine reasons.
    expect(summary.datasets.review!.valid).toBeGreaterThan(0);
    expect(Object.keys(summary.datasets.review!.quarantined.byReason).length).toBeGreaterThan(8);
  }, 900_000);
});
