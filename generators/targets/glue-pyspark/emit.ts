/**
 * Glue PySpark jobs per dataset (Glue 4.0 / Spark 3.3 and Glue 5 / Spark 3.5):
 * - `glue-pyspark-out/clean_<dataset>.py` (job 1): validation with every reason code, quarantine, typed cleaned
 *   zone, deduplication by key, run summary, loud failure when the counts do not reconcile;
 * - `glue-pyspark-out/flatten_<dataset>.py` (job 2): flat columns, declared map keys, child tables, casts to the
 *   Parquet schema, partitioned Parquet.
 * Every rule is the Spark rendering of the trees in `generators/dialects/cleaning.ts`, the same trees the local
 * DuckDB pipeline runs. Each job is one self-contained file (no --extra-py-files needed).
 */
import { PROCESSED_AT, RAW_TEXT, RECORD, RECORD_REASONS, REASONS, childArrays, columnExpr, keyExprs, rawColumns, reasonCodes } from "../../dialects/cleaning.js";
import { DialectError, render } from "../../dialects/render.js";
import { diagnostic, type Diagnostic } from "../../lib/errors.js";
import { SPARK_DIALECT } from "../../dialects/spark.js";
import { mapType } from "../../dialects/type-table.js";
import { call, ref } from "../../dialects/expr.js";
import { finalText, headerLines } from "../../lib/header.js";
import type { ContractIR, DatasetIR, TableIR } from "../../ir/types.js";
import type { EmitResult, GeneratedFile, Target } from "../types.js";
import { pyComment, pyString } from "../../dialects/python.js";
import { PYSPARK_TYPES, pysparkShape, usedTypeNames } from "./types.js";

export const OUT_DIR = "glue-pyspark-out";
export const CLEAN_ARGS = ["JOB_NAME", "input_path", "cleaned_path", "quarantine_path", "run_id", "summary_path"] as const;
export const FLATTEN_ARGS = ["JOB_NAME", "input_path", "output_path", "run_id"] as const;

const spark = (e: Parameters<typeof render>[0]) => render(e, SPARK_DIALECT);
const id = (name: string) => SPARK_DIALECT.identifier(name);

/** Spark settings both jobs need, with the reason. */
const SPARK_SETTINGS: readonly [string, string, string][] = [
  ["spark.sql.session.timeZone", "UTC", "timestamps are instants; dates are UTC calendar dates"],
  ["spark.sql.ansi.enabled", "false", "failed casts and element_at out of range are NULL, as in DuckDB"],
  ["spark.sql.legacy.timeParserPolicy", "CORRECTED", "'February 30, 2009' parses to NULL instead of an upgrade error"],
  ["spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS", "INT64 TIMESTAMP(MICROS,true), never INT96"],
  ["spark.sql.sources.partitionOverwriteMode", "dynamic", "a run replaces only the partitions it writes"],
  ["spark.sql.mapKeyDedupPolicy", "LAST_WIN", "a JSON object with a repeated key keeps the last value, as JSON.parse does"],
];

/** Hadoop settings: read from the Hadoop configuration, so set there (spark.conf.set would not reach them). */
const HADOOP_SETTINGS: readonly [string, string, string][] = [
  ["mapreduce.fileoutputcommitter.marksuccessfuljobs", "false", "no _SUCCESS file for the external table to match"],
  ["parquet.enable.summary-metadata", "false", "no _metadata / _common_metadata files"],
];

function header(dataset: DatasetIR, purpose: string): string {
  return [...headerLines(dataset).map((l) => pyComment(l)), pyComment(purpose)].join("\n");
}

/** The start of every job's main(): resolved arguments, Glue and Spark contexts, settings, Job init. */
function jobPrologue(args: readonly string[]): string {
  return `    args = getResolvedOptions(sys.argv, ${pyList(args.map(pyString), "    ")})
    spark_context = SparkContext.getOrCreate()
    glue_context = GlueContext(spark_context)
    spark = glue_context.spark_session
${settingsBlock()}
    job = Job(glue_context)
    job.init(args["JOB_NAME"], args)`;
}

function settingsBlock(): string {
  const sql = SPARK_SETTINGS.map(([key, value, why]) => `    ${pyComment(why)}\n    spark.conf.set(${pyString(key)}, ${pyString(value)})`);
  const hadoop = HADOOP_SETTINGS.map(
    ([key, value, why]) => `    ${pyComment(why)}\n    spark_context._jsc.hadoopConfiguration().set(${pyString(key)}, ${pyString(value)})`,
  );
  return [...sql, ...hadoop].join("\n");
}

function pyList(items: readonly string[], indent = ""): string {
  return `[\n${items.map((i) => `${indent}    ${i},`).join("\n")}\n${indent}]`;
}

/** The SQL strings a job carries, by name: the test validates each with the SparkSQL grammar. */
export interface JobSql {
  readonly name: string;
  readonly sql: string;
}

function cleanSql(dataset: DatasetIR): { reasons: string; record: string; keys: { name: string; sql: string }[] } {
  const raw = id("value");
  // Canonical JSON text of the line (NULL when not JSON); the record-level reason comes before any rule.
  const record =
    `CASE WHEN ${render(call("invalid_utf8", ref("value")), SPARK_DIALECT)} THEN ${pyLessSparkString(RECORD_REASONS.invalidUtf8)} ` +
    `WHEN contract_json_canonical(${raw}) IS NULL THEN ${pyLessSparkString(RECORD_REASONS.invalidJson)} ` +
    `WHEN substr(contract_json_canonical(${raw}), 1, 1) <> '{' THEN ${pyLessSparkString(RECORD_REASONS.notAnObject)} END`;
  return {
    record,
    reasons: spark(reasonCodes(dataset, ref(RECORD))),
    keys: keyExprs(dataset).map((k) => ({ name: k.name, sql: spark(k.expr) })),
  };
}

function pyLessSparkString(value: string): string {
  return SPARK_DIALECT.string(value);
}

function cleanJob(dataset: DatasetIR): string {
  const sql = cleanSql(dataset);
  const raws = rawColumns(dataset);
  const schema = `StructType(${pyList(raws.map((c) => `StructField(${pyString(c.name)}, ${pysparkShape(c.shape, "    ")}, True)`))})`;
  const typed = raws.map((c) => {
    const column = `F.col(${pyString(`_typed.${c.name}`)})`;
    if (c.shape.kind === "json") return `F.expr(${pyString(`contract_json_get(${id(RECORD)}, ${SPARK_DIALECT.string(c.name)})`)}).alias(${pyString(c.name)})`;
    if (c.integer) return `${column}.cast("bigint").alias(${pyString(c.name)})`;
    return `${column}.alias(${pyString(c.name)})`;
  });
  const body = `${header(dataset, `Glue job 1 (clean) of dataset "${dataset.name}": validate, quarantine, type, deduplicate.`)}
"""Glue job 1 (clean): every raw line ends up valid (typed, in the cleaned zone), quarantined (raw text, every
failed reason code, source file, run id) or dropped as a counted duplicate of its key. The job writes a run
summary and fails when input != valid + quarantined + duplicates.

Arguments: --JOB_NAME --input_path --cleaned_path --quarantine_path --run_id --summary_path
"""
import json
import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import Window
from pyspark.sql import functions as F
from pyspark.sql.types import __TYPES__

DATASET = ${pyString(dataset.name)}
CONTRACT = ${pyString(`${dataset.contract.file} ${dataset.contract.version} ${dataset.contract.hash}`)}
REASON_CODES = ${pyList([...Object.values(RECORD_REASONS), ...dataset.rules.map((r) => r.code)].map(pyString))}

# The raw record, typed (explicit schema, no inference). Integers are read as numbers: JSON 5.0 is a valid integer.
RAW_SCHEMA = ${schema}

# Record-level reason of a line (invalid UTF-8, not JSON, not an object), or NULL.
RECORD_REASON_SQL = ${pyString(sql.record)}
# Every failed rule code of a record (array<string>, empty when valid). Rendered from the contract's rules.
REASONS_SQL = ${pyString(sql.reasons)}
# Key columns (deduplication key), over the typed columns.
KEY_SQL = ${pyList(sql.keys.map((k) => `(${pyString(k.name)}, ${pyString(k.sql)})`))}


def _parse(text):
    """The JSON value of a text, as JSON.parse reads it (NaN and Infinity are not JSON); raises ValueError."""
    def _reject(constant):
        raise ValueError("not JSON: " + constant)
    return json.loads(text, parse_constant=_reject)


def _canonical(value):
    return json.dumps(value, separators=(",", ":"))


def contract_json_canonical(text):
    """Canonical JSON text of a line, or None when it is not JSON."""
    if text is None:
        return None
    try:
        return _canonical(_parse(text))
    except (ValueError, RecursionError):
        # Not JSON (UnicodeDecodeError is a ValueError), or nested deeper than Python's recursion limit.
        return None


def contract_json_get(text, key):
    """Canonical JSON text of member key of an object; None when absent or not an object (JSON null is "null")."""
    if text is None:
        return None
    value = _parse(text)
    if not isinstance(value, dict) or key not in value:
        return None
    return _canonical(value[key])


def contract_json_elements(text):
    """Canonical JSON texts of the elements of an array; empty for anything else."""
    if text is None:
        return []
    value = _parse(text)
    return [_canonical(v) for v in value] if isinstance(value, list) else []


def contract_json_values(text):
    """Canonical JSON texts of the member values of an object; empty for anything else."""
    if text is None:
        return []
    value = _parse(text)
    return [_canonical(v) for v in value.values()] if isinstance(value, dict) else []


def write_text(path, text):
    """Writes a small text file to S3 (s3://bucket/key) or to a local path."""
    if path.startswith("s3://"):
        import boto3
        bucket, _, key = path[len("s3://"):].partition("/")
        boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"), ContentType="application/json")
    else:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)


def main():
${jobPrologue(CLEAN_ARGS)}
    spark.udf.register("contract_json_canonical", contract_json_canonical, StringType())
    spark.udf.register("contract_json_get", contract_json_get, StringType())
    spark.udf.register("contract_json_elements", contract_json_elements, ArrayType(StringType()))
    spark.udf.register("contract_json_values", contract_json_values, ArrayType(StringType()))
    run_id = args["run_id"]

    # Lines as text, with their file. Blank lines are counted, not records. Spark reads *.gz transparently and
    # splits on LF, CRLF and CR.
    lines = (
        spark.read.option("recursiveFileLookup", "true")
        .text(args["input_path"])
        .withColumn("_source_file", F.input_file_name())
    )
    # Blank: only spaces, tabs and CRs, as the local reader counts them (F.trim would strip spaces only).
    blank = F.expr("trim(BOTH ' \\t\\r' FROM value)") == ""
    records = lines.where(~blank)
    checked = (
        records.withColumn("_record_reason", F.expr(RECORD_REASON_SQL))
        .withColumn(${pyString(RECORD)}, F.when(F.col("_record_reason").isNull(), F.expr("contract_json_canonical(value)")))
        .withColumn(
            ${pyString(REASONS)},
            F.when(F.col("_record_reason").isNotNull(), F.array(F.col("_record_reason"))).otherwise(F.expr(REASONS_SQL)),
        )
        .withColumnRenamed("value", ${pyString(RAW_TEXT)})
    )
    # PERMISSIVE read of the valid records into the explicit schema, with the corrupt-record column as a safety
    # net: a record the rules accept but Spark cannot type is quarantined, never dropped. Cached before filtering
    # on the corrupt-record column, as Spark requires.
    typed_schema = StructType(RAW_SCHEMA.fields + [StructField("_corrupt_record", StringType(), True)])
    parsed = checked.withColumn(
        "_typed",
        F.when(
            F.size(${pyString(REASONS)}) == 0,
            F.from_json(${pyString(RECORD)}, typed_schema, {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": "_corrupt_record"}),
        ),
    ).withColumn(
        ${pyString(REASONS)},
        F.when(
            (F.size(${pyString(REASONS)}) == 0) & F.col("_typed._corrupt_record").isNotNull(),
            F.array(F.lit(${pyString(RECORD_REASONS.unreadableBySpark)})),
        ).otherwise(F.col(${pyString(REASONS)})),
    ).cache()

    quarantined = parsed.where(F.size(${pyString(REASONS)}) > 0).select(
        F.col(${pyString(RAW_TEXT)}).alias("raw_text"),
        F.col(${pyString(REASONS)}).alias("reason_codes"),
        F.col("_source_file").alias("source_file"),
        F.lit(None).cast("bigint").alias("line_number"),
        F.lit(run_id).alias("run_id"),
        F.when(F.col("_record_reason") == ${pyString(RECORD_REASONS.invalidUtf8)}, F.base64(F.col(${pyString(RAW_TEXT)}).cast("binary"))).alias("raw_base64"),
    )
    typed = parsed.where(F.size(${pyString(REASONS)}) == 0).select(
${typed.map((t) => `        ${t},`).join("\n")}
        F.col("_source_file"),
        F.lit(None).cast("bigint").alias("_line_number"),
        F.lit(run_id).alias("_run_id"),
        F.col(${pyString(RAW_TEXT)}),
    )
    keyed = typed.select(*[F.expr(sql).alias(name) for name, sql in KEY_SQL], "*")
    # Deterministic: of the records sharing a key, the one whose raw text sorts first is kept.
    order = Window.partitionBy(*[name for name, _ in KEY_SQL]).orderBy(${pyString(RAW_TEXT)}, "_source_file")
    ranked = keyed.withColumn("_rank", F.row_number().over(order)).cache()
    cleaned = ranked.where(F.col("_rank") == 1).drop("_rank")

    cleaned.write.mode("overwrite").parquet(args["cleaned_path"].rstrip("/") + "/run_id=" + run_id + "/")
    quarantined.write.mode("overwrite").json(args["quarantine_path"].rstrip("/") + "/run_id=" + run_id + "/")

    input_count = records.count()
    blank_count = lines.where(blank).count()
    valid_count = cleaned.count()
    duplicate_count = ranked.where(F.col("_rank") > 1).count()
    quarantined_count = parsed.where(F.size(${pyString(REASONS)}) > 0).count()
    by_reason = {
        row["code"]: row["count"]
        for row in parsed.select(F.explode(${pyString(REASONS)}).alias("code")).groupBy("code").count().collect()
    }
    summary = {
        "runId": run_id,
        "contract": CONTRACT,
        "datasets": {
            DATASET: {
                "input": input_count,
                "valid": valid_count,
                "duplicates": duplicate_count,
                "quarantined": {"total": quarantined_count, "byReason": dict(sorted(by_reason.items()))},
                "blankLines": blank_count,
            }
        },
    }
    reconciled = input_count == valid_count + quarantined_count + duplicate_count
    summary["reconciled"] = reconciled
    write_text(args["summary_path"], json.dumps(summary, indent=2, sort_keys=True) + "\\n")
    if not reconciled:
        raise RuntimeError(
            "Counts do not reconcile for %s: input %d != valid %d + quarantined %d + duplicates %d."
            % (DATASET, input_count, valid_count, quarantined_count, duplicate_count)
        )
    job.commit()


if __name__ == "__main__":
    main()
`;
  return finalText(body.replace("__TYPES__", usedTypeNames(body).join(", ")));
}

function tableSql(dataset: DatasetIR, table: TableIR): [string, string][] {
  return table.columns.map((c) => [c.name, spark(columnExpr(dataset, c))]);
}

function flattenJob(dataset: DatasetIR): string {
  const raws = rawColumns(dataset);
  const keyColumns = keyExprs(dataset).map((k) => dataset.table.columns.find((c) => c.name === k.name)!);
  const cleanedFields = [
    ...keyColumns.map((c) => `StructField(${pyString(c.name)}, ${mapType(PYSPARK_TYPES, c.type)}, True)`),
    ...raws.map((c) => `StructField(${pyString(c.name)}, ${c.integer ? "LongType()" : pysparkShape(c.shape, "    ")}, True)`),
    `StructField("_source_file", StringType(), True)`,
    `StructField("_line_number", LongType(), True)`,
    `StructField("_run_id", StringType(), True)`,
    `StructField(${pyString(RAW_TEXT)}, StringType(), True)`,
  ];
  const schema = `StructType(${pyList(cleanedFields)})`;
  const columnsPy = (pairs: [string, string][]) => pyList(pairs.map(([n, s]) => `(${pyString(n)}, ${pyString(s)})`));
  const children = childArrays(dataset).map(({ child, array }) => ({ child, array: spark(array) }));
  const description = (t: TableIR) => pyComment(`${t.name}: ${t.description}`);
  const body = `${header(dataset, `Glue job 2 (flatten) of dataset "${dataset.name}": flat columns, child tables, partitioned Parquet.`)}
"""Glue job 2 (flatten): reads the cleaned zone of one run, computes every processed column (declared map keys
as columns, the other keys as JSON text, normalisations, explicit casts to the Parquet schema), explodes arrays
into child tables with the parent key and position, and writes Parquet (partitioned where the contract says).

Arguments: --JOB_NAME --input_path (cleaned zone) --output_path (processed location of the dataset; each table is
written to <output_path>/<table>/) --run_id
Child tables sit beside the main table (s3://bucket/reviews/review/ and s3://bucket/reviews/review_images/), so an
external table over one never reads the other's files.
"""
import sys
from datetime import datetime, timezone

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import functions as F
from pyspark.sql.types import __TYPES__

DATASET = ${pyString(dataset.name)}

# The cleaned zone, typed (explicit schema, no inference).
CLEANED_SCHEMA = ${schema}

${description(dataset.table)}
TABLE = ${pyString(dataset.table.name)}
PARTITION_BY = ${pyList(dataset.table.partitionBy.map(pyString))}
COLUMN_SQL = ${columnsPy(tableSql(dataset, dataset.table))}

# Child tables: (name, array expression over the cleaned zone, partition columns, column expressions).
CHILDREN = ${pyList(
    children.map(({ child, array }) => `(\n        ${pyString(child.name)},\n        ${pyString(array)},\n        ${pyList(child.partitionBy.map(pyString), "        ").trim()},\n        ${columnsPy(tableSql(dataset, child)).replace(/\n/g, "\n        ")},\n    )`),
  )}


def table_path(output_path, table):
    """A table's prefix under the dataset's processed location: <processed>/<table>/."""
    return output_path.rstrip("/") + "/" + table + "/"


def write_table(frame, path, partition_by):
    writer = frame.write.mode("overwrite")
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    writer.parquet(path)


def main():
${jobPrologue(FLATTEN_ARGS)}
    run_id = args["run_id"]
    # One processing time per run, on every table's rows (processed_at, for dbt source freshness).
    processed_at = datetime.now(timezone.utc)
    cleaned = (
        spark.read.schema(CLEANED_SCHEMA)
        .parquet(args["input_path"].rstrip("/") + "/run_id=" + run_id + "/")
        .withColumn(${pyString(PROCESSED_AT)}, F.lit(processed_at).cast("timestamp"))
        .cache()
    )

    table = cleaned.select(*[F.expr(sql).alias(name) for name, sql in COLUMN_SQL])
    write_table(table, table_path(args["output_path"], TABLE), PARTITION_BY)
    for name, array_sql, partition_by, column_sql in CHILDREN:
        exploded = cleaned.where(F.expr(array_sql).isNotNull()).select(
            "*", F.posexplode(F.expr(array_sql)).alias("_position", "_element")
        )
        child = exploded.select(*[F.expr(sql).alias(column) for column, sql in column_sql])
        write_table(child, table_path(args["output_path"], name), partition_by)
    job.commit()


if __name__ == "__main__":
    main()
`;
  return finalText(body.replace("__TYPES__", usedTypeNames(body).join(", ")));
}

/** Every Spark SQL text a dataset's jobs carry (for validation with the SparkSQL grammar). */
export function jobSql(dataset: DatasetIR): JobSql[] {
  const sql = cleanSql(dataset);
  const out: JobSql[] = [
    { name: "RECORD_REASON_SQL", sql: sql.record },
    { name: "REASONS_SQL", sql: sql.reasons },
    ...sql.keys.map((k) => ({ name: `KEY_SQL.${k.name}`, sql: k.sql })),
    ...tableSql(dataset, dataset.table).map(([n, s]) => ({ name: `COLUMN_SQL.${n}`, sql: s })),
  ];
  for (const { child, array } of childArrays(dataset)) {
    out.push({ name: `CHILDREN.${child.name}.array`, sql: spark(array) });
    for (const [n, s] of tableSql(dataset, child)) out.push({ name: `CHILDREN.${child.name}.${n}`, sql: s });
  }
  return out;
}

export function emitGluePyspark(ir: ContractIR): EmitResult {
  const files: GeneratedFile[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const dataset of ir.datasets) {
    try {
      files.push({ path: `${OUT_DIR}/clean_${dataset.name}.py`, contents: cleanJob(dataset) });
      files.push({ path: `${OUT_DIR}/flatten_${dataset.name}.py`, contents: flattenJob(dataset) });
    } catch (error) {
      // A rule Spark cannot express exactly is a contract problem to report, not a crash and not an approximation.
      if (!(error instanceof DialectError) && !String((error as Error).message).startsWith("DIALECT.UNSUPPORTED")) throw error;
      const message = (error as Error).message.replace(/^DIALECT\.UNSUPPORTED: /, "");
      const [what, fix] = message.split(" Fix: ");
      diagnostics.push(diagnostic("DIALECT.UNSUPPORTED", `Dataset "${dataset.name}": ${what}`, { file: dataset.contract.file }, fix ?? "Change the contract."));
    }
  }
  return { files, diagnostics };
}

export const gluePysparkTarget: Target = {
  id: "glue-pyspark",
  description: "Glue PySpark jobs: clean_<dataset>.py (validate, quarantine, deduplicate) and flatten_<dataset>.py (Parquet).",
  emit: emitGluePyspark,
};
