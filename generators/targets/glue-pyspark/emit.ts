/**
 * Glue PySpark jobs per dataset (Glue 5.0: Spark 3.5, Python 3.11; executed on pyspark 3.5.4 in the tests):
 * - `glue-pyspark-out/clean_<dataset>.py` (job 1): validation with every reason code, quarantine, typed cleaned
 *   zone, deduplication by key, run summary, loud failure when the counts do not reconcile;
 * - `glue-pyspark-out/flatten_<dataset>.py` (job 2): flat columns, declared map keys, child tables, casts to the
 *   Parquet schema, partitioned Parquet.
 * Every rule is the Spark rendering of the trees in `generators/dialects/cleaning.ts`, the same trees the local
 * DuckDB pipeline runs. Each job is one self-contained file (no --extra-py-files needed); its work is in
 * `run(spark, args)`, which a local Spark session can call, and `main()` is the Glue entry point around it.
 */
import { readFileSync } from "node:fs";
import Handlebars from "handlebars";
import { MAX_RECORD_BYTES, PROCESSED_AT, RAW_MODIFIED_AT, RAW_TEXT, RECORD, RECORD_REASONS, REASONS, CHILD_ELEMENT, CHILD_POSITION, childArrays, columnExpr, keyExprs, addedKeyExprs, hoistMembers, rawColumns, reasonCodes, ruleFails } from "../../dialects/cleaning.js";
import { DialectError, render } from "../../dialects/render.js";
import { CLEANED_LINEAGE, QUARANTINE_PREVIEW_BYTES, QUARANTINE_PREVIEW_MARK, QUARANTINE_RECORD, reasonCodeOrder, stageColumns, type LineageColumn, type QuarantineField, type StageFieldType } from "../../dialects/stages.js";
import { diagnostic, type Diagnostic } from "../../lib/errors.js";
import { SPARK_DIALECT, sparkDdl } from "../../dialects/spark.js";
import { mapType } from "../../dialects/type-table.js";
import { call, ref } from "../../dialects/expr.js";
import { finalText, headerLines } from "../../lib/header.js";
import type { ContractIR, DatasetIR, RawField, TableIR } from "../../ir/types.js";
import { findRawField } from "../../ir/raw-fields.js";
import type { EmitResult, GeneratedFile, Target } from "../types.js";
import { pyComment, pyString } from "../../dialects/python.js";
import { PYSPARK_TYPES, pysparkShape, structField, usedTypeNames } from "./types.js";
import { assignment, atom, call as pyCall, layout, LINE_LENGTH, list, tuple, type PyExpr } from "./layout.js";
import { GLUE_JOB_ARGUMENT_PURPOSE, GLUE_JOB_ARGUMENTS, GLUE_JOB_OPTIONS, GLUE_SCRIPT_DIR, glueJobInputs, glueScriptPath, type GlueJobKind } from "../glue-jobs.js";

// The templates name the stages' working columns literally (they read as Python); they must be these.
const TEMPLATE_COLUMNS = { RECORD, REASONS, RAW_TEXT, PROCESSED_AT, RAW_MODIFIED_AT, CHILD_POSITION, CHILD_ELEMENT };
const EXPECTED_COLUMNS = { RECORD: "_json", REASONS: "_reasons", RAW_TEXT: "_raw", PROCESSED_AT: "_processed_at", RAW_MODIFIED_AT: "_raw_modified_at", CHILD_POSITION: "_position", CHILD_ELEMENT: "_element" };
for (const [name, value] of Object.entries(EXPECTED_COLUMNS)) {
  if (TEMPLATE_COLUMNS[name as keyof typeof TEMPLATE_COLUMNS] !== value) throw new Error(`Bug: the Glue job templates use ${value} for ${name}; update templates/*.py.hbs.`);
}

export const OUT_DIR = GLUE_SCRIPT_DIR;

const PYSPARK_STAGE_TYPES: Record<StageFieldType, string> = { string: "StringType()", bigint: "LongType()", timestamp: "TimestampType()", "array<string>": "ArrayType(StringType())" };

const spark = (e: Parameters<typeof render>[0]) => render(e, SPARK_DIALECT);
const id = (name: string) => SPARK_DIALECT.identifier(name);

/**
 * Spark settings both jobs need, with the reason. `configure(spark)` sets them on the job's session at the start of
 * `run()`, over whatever the cluster, a job parameter (`--conf`) or a `spark-defaults.conf` set: the generated SQL is
 * parsed and runs only with these values.
 */
const SPARK_SETTINGS: readonly [string, string, string][] = [
  ["spark.sql.session.timeZone", "UTC", "timestamps are instants; dates are UTC calendar dates"],
  ["spark.sql.parser.escapedStringLiterals", "false", "string literals process backslash escapes, as the Spark dialect writes them ('\\t', '\\\\')"],
  ["spark.sql.legacy.exponentLiteralAsDecimal.enabled", "false", "a bound written 1e-7 is a DOUBLE literal, not a DECIMAL"],
  ["spark.sql.ansi.enabled", "false", "failed casts and element_at out of range are NULL, as in DuckDB"],
  ["spark.sql.legacy.timeParserPolicy", "CORRECTED", "'February 30, 2009' parses to NULL instead of an upgrade error"],
  ["spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS", "INT64 TIMESTAMP(MICROS,true), never INT96"],
  ["spark.sql.parquet.datetimeRebaseModeInWrite", "CORRECTED", "dates before 1582-10-15 written as they are (proleptic Gregorian, as DuckDB), not a failed job"],
  ["spark.sql.mapKeyDedupPolicy", "LAST_WIN", "a JSON object with a repeated key keeps the last value, as JSON.parse does"],
  ["spark.sql.variable.substitute", "false", "${...} in contract text (enum values, map keys) stays as written, never a variable"],
  ["spark.sql.files.ignoreCorruptFiles", "false", "an unreadable input file fails the run instead of being skipped silently"],
  ["spark.sql.files.ignoreMissingFiles", "false", "an input file gone during the run fails it instead of being skipped silently"],
];

/** Hadoop settings: read from the Hadoop configuration, so set there (spark.conf.set would not reach them). */
const HADOOP_SETTINGS: readonly [string, string, string][] = [
  ["mapreduce.fileoutputcommitter.marksuccessfuljobs", "false", "no _SUCCESS file for the external table to match"],
  ["parquet.enable.summary-metadata", "false", "no _metadata / _common_metadata files"],
];

/**
 * The jobs' fixed Python lives in Handlebars templates beside this file (`templates/*.py.hbs`), so it reads, lints
 * and diffs as Python; the emitter fills in only generated data, every value already a Python literal (`pyString`,
 * `pyList`). `noEscape`: Handlebars' HTML escaping means nothing in Python; `strict`: a missing value is an error.
 */
const TEMPLATE_DIR = new URL("./templates/", import.meta.url);
const handlebars = Handlebars.create();
handlebars.registerPartial("settings", readFileSync(new URL("settings.py.hbs", TEMPLATE_DIR), "utf8"));
handlebars.registerPartial("glue-main", readFileSync(new URL("glue-main.py.hbs", TEMPLATE_DIR), "utf8"));
const template = (name: string) => handlebars.compile(readFileSync(new URL(name, TEMPLATE_DIR), "utf8"), { noEscape: true, strict: true });
const CLEAN_TEMPLATE = template("clean.py.hbs");
const FLATTEN_TEMPLATE = template("flatten.py.hbs");

function header(dataset: DatasetIR, purpose: string): string {
  return [...headerLines(dataset).map((l) => pyComment(l)), pyComment(purpose)].join("\n");
}

/**
 * The jobs are written as `ruff format` writes them (ruff.toml: line length 120), so `ruff format --check` holds
 * for generated code too, whatever the lengths of the contract's names, paths and SQL texts (`layout.ts`).
 */
const pyList = (items: readonly string[]) => layout(list(items.map(atom)));

/** The value of the template's `name = {{value}}` line, laid out as ruff lays out that assignment (a list breaks wherever it starts: `pyList`). */
function assigned(name: string, value: PyExpr): string {
  return assignment(name, value).slice(`${name} = `.length);
}

/** A list of (key, value) settings, each with its reason as a comment. */
function settingsList(settings: readonly [string, string, string][]): string {
  return `[\n${settings.map(([key, value, why]) => `    ${pyComment(why)}\n    (${pyString(key)}, ${pyString(value)}),`).join("\n")}\n]`;
}

/** Values every template shares: settings, the job's argument names and their docs. */
function common(kind: GlueJobKind): Record<string, string> {
  const purposes = GLUE_JOB_ARGUMENT_PURPOSE[kind] as Record<string, string>;
  const docs = (names: readonly string[]) => names.map((name) => `    --${name}: ${purposes[name]}`);
  const inputs = glueJobInputs(kind);
  // Docstring text: purposes are fixed strings of ours, never contract text.
  const inputDocs = inputs.length === 0 ? [] : ["and the input, named one of these ways (exactly one):", ...inputs.flatMap((names, i) => [...(i > 0 ? ["  or"] : []), ...docs(names)])];
  const options = Object.entries(GLUE_JOB_OPTIONS[kind] as Record<string, string>);
  const optionDocs = options.length === 0 ? [] : ["and optionally (Terraform passes them as the job's default arguments):", ...docs(options.map(([name]) => name))];
  return {
    sparkSettings: settingsList(SPARK_SETTINGS),
    hadoopSettings: settingsList(HADOOP_SETTINGS),
    jobArguments: pyList(GLUE_JOB_ARGUMENTS[kind].map(pyString)),
    inputArguments: pyList(inputs.map((names) => `[${names.map(pyString).join(", ")}]`)),
    optionalArguments: layout(list(options.map(([name, value]) => tuple([atom(pyString(name)), atom(pyString(value))])))),
    argumentDocs: [...docs(GLUE_JOB_ARGUMENTS[kind]), ...inputDocs, ...optionDocs].join("\n"),
  };
}

/**
 * Fills a template; the `pyspark.sql.types` import line names exactly the types the filled text uses, one per line
 * in parentheses when the line would be longer than ruff's limit (as `ruff format` writes it).
 */
function fill(render: (values: Record<string, string>) => string, values: Record<string, string>): string {
  const marker = "__TYPES__";
  const body = render({ ...values, typeImports: marker });
  const names = usedTypeNames(body);
  const oneLine = `from pyspark.sql.types import ${names.join(", ")}`;
  return finalText(body.replace(marker, oneLine.length <= LINE_LENGTH ? names.join(", ") : `(\n${names.map((n) => `    ${n},\n`).join("")})`));
}

/** The SQL strings a job carries, by name: the test validates each with the SparkSQL grammar. */
export interface JobSql {
  readonly name: string;
  readonly sql: string;
}

type SqlPair = { name: string; sql: string };

function cleanSql(dataset: DatasetIR): { reasons: string; record: string; members: string[]; keys: SqlPair[]; typed: SqlPair[]; lineage: SqlPair[]; quarantine: SqlPair[] } {
  // The record-level reason, over the line and its canonical JSON text `_json` (NULL when not JSON); it comes before
  // any rule.
  const json = id(RECORD);
  const record =
    `CASE WHEN octet_length(CAST(${id("value")} AS BINARY)) > ${MAX_RECORD_BYTES} THEN ${SPARK_DIALECT.string(RECORD_REASONS.tooLong)} ` +
    `WHEN ${render(call("invalid_utf8", ref("value")), SPARK_DIALECT)} THEN ${SPARK_DIALECT.string(RECORD_REASONS.invalidUtf8)} ` +
    `WHEN ${json} IS NULL THEN ${SPARK_DIALECT.string(RECORD_REASONS.invalidJson)} ` +
    `WHEN substr(${json}, 1, 1) <> '{' THEN ${SPARK_DIALECT.string(RECORD_REASONS.notAnObject)} END`;
  // The rules read each top-level member from a column computed once per record (`_m_<index>`: Spark resolves names
  // without regard to case, so keys are not used as names), not by parsing the record again for every rule.
  const { expr: reasons, members } = hoistMembers(reasonCodes(dataset, ref(RECORD)), (_key, index) => memberColumn(index));
  // The typed raw columns: a field of the typed read; integers (at any depth: a list's elements too) stored as BIGINT;
  // JSON-text columns (unions) as the canonical JSON text of the member.
  const typed = rawColumns(dataset).map((c) => {
    const value = `${id("_typed")}.${id(c.name)}`;
    if (c.shape.kind === "json") return { name: c.name, sql: `contract_json_get(${id(RECORD)}, ${SPARK_DIALECT.string(c.name)})` };
    return { name: c.name, sql: c.storedCast ? `CAST(${value} AS ${sparkDdl(c.shape, "stored")})` : value };
  });
  const str = SPARK_DIALECT.string;
  const bytes = `CAST(${id(RAW_TEXT)} AS BINARY)`;
  const recordReason = id("_record_reason");
  return {
    record,
    // The stages' records (`stages.ts`) over the job's working columns; Spark reads lines without their number.
    lineage: stageColumns<LineageColumn>(CLEANED_LINEAGE, { _source_file: id("_source_file"), _line_number: "CAST(NULL AS BIGINT)", _run_id: id("_run_id"), _raw_modified_at: id(RAW_MODIFIED_AT) }),
    quarantine: stageColumns<QuarantineField>(QUARANTINE_RECORD, {
      // A character cut in two decodes to U+FFFD, as in the local reader.
      raw_text: `CASE WHEN ${recordReason} = ${str(RECORD_REASONS.tooLong)} THEN concat(decode(substring(${bytes}, 1, ${QUARANTINE_PREVIEW_BYTES}), 'UTF-8'), ${str(QUARANTINE_PREVIEW_MARK)}) ELSE ${id(RAW_TEXT)} END`,
      reason_codes: id(REASONS),
      source_file: id("_source_file"),
      line_number: "CAST(NULL AS BIGINT)",
      run_id: id("_run_id"),
      // base64() breaks lines every 76 characters (MIME); the stored value is one line.
      raw_base64: `CASE WHEN ${recordReason} = ${str(RECORD_REASONS.invalidUtf8)} THEN regexp_replace(base64(${bytes}), ${str("[\r\n]")}, '') END`,
    }),
    reasons: spark(reasons),
    members,
    keys: addedKeyExprs(dataset).map((k) => ({ name: k.name, sql: spark(k.expr) })),
    typed,
  };
}

/** The column holding the canonical JSON text of the record's member number `index` of MEMBER_KEYS. */
const memberColumn = (index: number) => `_m_${index}`;

/** `[(name, sql), …]`: a list of (name, Spark SQL text) pairs. */
const sqlPairs = (pairs: readonly { name: string; sql: string }[]) => list(pairs.map((p) => tuple([atom(pyString(p.name)), atom(pyString(p.sql))])));

function cleanJob(dataset: DatasetIR): string {
  const sql = cleanSql(dataset);
  const raws = rawColumns(dataset);
  return fill(CLEAN_TEMPLATE, {
    ...common("clean"),
    header: header(dataset, `Glue job 1 (clean) of dataset "${dataset.name}": validate, quarantine, type, deduplicate.`),
    dataset: assigned("DATASET", atom(pyString(dataset.name))),
    contract: assigned("CONTRACT", atom(pyString(`${dataset.contract.file} ${dataset.contract.version} ${dataset.contract.hash}`))),
    reasonCodes: pyList(reasonCodeOrder(dataset).map(pyString)),
    rawSchema: assigned("RAW_SCHEMA", pyCall("StructType", list(raws.map((c) => structField(c.name, pysparkShape(c.shape)))))),
    recordReasonSql: assigned("RECORD_REASON_SQL", atom(pyString(sql.record))),
    reasonsSql: assigned("REASONS_SQL", atom(pyString(sql.reasons))),
    memberKeys: pyList(sql.members.map(pyString)),
    typedColumnSql: assigned("TYPED_COLUMN_SQL", sqlPairs(sql.typed)),
    // Annotated: the list is empty for a dataset without computed keys, whose type a type checker cannot infer.
    keySql: assignment("KEY_SQL: list[tuple[str, str]]", sqlPairs(sql.keys)),
    keyColumns: pyList(keyExprs(dataset).map((k) => pyString(k.name))),
    unreadableBySpark: assigned("UNREADABLE_BY_SPARK", atom(pyString(RECORD_REASONS.unreadableBySpark))),
    lineageSql: assigned("LINEAGE_SQL", sqlPairs(sql.lineage)),
    quarantineSql: assigned("QUARANTINE_SQL", sqlPairs(sql.quarantine)),
    maxRecordBytes: String(MAX_RECORD_BYTES),
  });
}

function tableSql(dataset: DatasetIR, table: TableIR): [string, string][] {
  return table.columns.map((c) => [c.name, spark(columnExpr(dataset, c))]);
}

function flattenJob(dataset: DatasetIR): string {
  const raws = rawColumns(dataset);
  const keyColumns = addedKeyExprs(dataset).map((k) => dataset.table.columns.find((c) => c.name === k.name)!);
  const cleanedFields = [
    ...keyColumns.map((c) => structField(c.name, atom(mapType(PYSPARK_TYPES, c.type)))),
    ...raws.map((c) => structField(c.name, pysparkShape(c.shape, "stored"))),
    ...CLEANED_LINEAGE.map((c) => structField(c.name, atom(PYSPARK_STAGE_TYPES[c.type]))),
  ];
  const columnsPy = (pairs: [string, string][]) => sqlPairs(pairs.map(([name, sql]) => ({ name, sql })));
  const children = childArrays(dataset).map(({ child, array }) => ({ child, array: spark(array) }));
  return fill(FLATTEN_TEMPLATE, {
    ...common("flatten"),
    header: header(dataset, `Glue job 2 (flatten) of dataset "${dataset.name}": flat columns, child tables, partitioned Parquet.`),
    dataset: assigned("DATASET", atom(pyString(dataset.name))),
    cleanedSchema: assigned("CLEANED_SCHEMA", pyCall("StructType", list(cleanedFields))),
    tableComment: pyComment(`${dataset.table.name}: ${dataset.table.description}`),
    table: assigned("TABLE", atom(pyString(dataset.table.name))),
    partitionBy: pyList(dataset.table.partitionBy.map(pyString)),
    columnSql: assigned("COLUMN_SQL", columnsPy(tableSql(dataset, dataset.table))),
    // (name, array expression, partition columns, column expressions) per child table.
    // Annotated: a child's partition list may be empty, whose type a type checker cannot infer.
    children: assignment(
      "CHILDREN: list[tuple[str, str, list[str], list[tuple[str, str]]]]",
      list(
        children.map(({ child, array }) =>
          tuple([atom(pyString(child.name)), atom(pyString(array)), list(child.partitionBy.map((p) => atom(pyString(p)))), columnsPy(tableSql(dataset, child))]),
        ),
      ),
    ),
  });
}

/** Every Spark SQL text a dataset's jobs carry (for validation with the SparkSQL grammar). */
export function jobSql(dataset: DatasetIR): JobSql[] {
  const sql = cleanSql(dataset);
  const out: JobSql[] = [
    { name: "RECORD_REASON_SQL", sql: sql.record },
    { name: "REASONS_SQL", sql: sql.reasons },
    ...sql.typed.map((t) => ({ name: `TYPED_COLUMN_SQL.${t.name}`, sql: t.sql })),
    ...sql.keys.map((k) => ({ name: `KEY_SQL.${k.name}`, sql: k.sql })),
    ...sql.lineage.map((c) => ({ name: `LINEAGE_SQL.${c.name}`, sql: c.sql })),
    ...sql.quarantine.map((c) => ({ name: `QUARANTINE_SQL.${c.name}`, sql: c.sql })),
    ...tableSql(dataset, dataset.table).map(([n, s]) => ({ name: `COLUMN_SQL.${n}`, sql: s })),
  ];
  for (const { child, array } of childArrays(dataset)) {
    out.push({ name: `CHILDREN.${child.name}.array`, sql: spark(array) });
    for (const [n, s] of tableSql(dataset, child)) out.push({ name: `CHILDREN.${child.name}.${n}`, sql: s });
  }
  return out;
}

/** An error of rendering a construct Spark cannot express exactly (`DIALECT.UNSUPPORTED`), else undefined. */
function unsupported(error: unknown): { what: string; fix: string } | undefined {
  if (!(error instanceof DialectError) && !String((error as Error)?.message).startsWith("DIALECT.UNSUPPORTED")) return undefined;
  const [what, fix] = (error as Error).message.replace(/^DIALECT\.UNSUPPORTED: /, "").split(" Fix: ");
  return { what: what!, fix: fix ? fix.charAt(0).toUpperCase() + fix.slice(1) : "Change the contract." };
}

/**
 * The diagnostics of a dataset whose jobs Spark cannot express, each at the field or column it comes from: every
 * rule is rendered on its own as the clean job renders it (members hoisted), then every column, key and child array
 * of the flatten job. Falls back to the contract file when no single part fails (never expected).
 */
function unsupportedDiagnostics(dataset: DatasetIR, error: { what: string; fix: string }): Diagnostic[] {
  const out: Diagnostic[] = [];
  const tryRender = (build: () => string): { what: string; fix: string } | undefined => {
    try {
      build();
      return undefined;
    } catch (e) {
      const found = unsupported(e);
      if (!found) throw e;
      return found;
    }
  };
  // Rules, one diagnostic per field (its rules usually fail for one reason).
  const byPath = new Map<string, { codes: string[]; problem: { what: string; fix: string } }>();
  for (const rule of dataset.rules) {
    const problem = tryRender(() => spark(hoistMembers(ruleFails(rule, ref(RECORD)), (_key, index) => memberColumn(index)).expr));
    if (!problem) continue;
    const entry = byPath.get(rule.path) ?? { codes: [], problem };
    entry.codes.push(rule.code);
    byPath.set(rule.path, entry);
  }
  for (const [path, { codes, problem }] of byPath) {
    const field = findRawField(dataset.raw.fields, path);
    out.push(
      diagnostic(
        "DIALECT.UNSUPPORTED",
        `Dataset "${dataset.name}": the rules of field "${path}" (${codes.join(", ")}) cannot run in the Glue clean job: ${problem.what}`,
        field?.where ?? { file: dataset.contract.file, path: `${dataset.name}.${path}` },
        problem.fix,
      ),
    );
  }
  // The flatten job's columns and keys (each column carries its location), and the arrays its child tables explode.
  const columns = [...dataset.table.columns, ...dataset.children.flatMap((child) => child.columns)];
  for (const column of columns) {
    const problem = tryRender(() => spark(columnExpr(dataset, column)));
    if (problem) out.push(diagnostic("DIALECT.UNSUPPORTED", `Dataset "${dataset.name}": column "${column.name}" cannot be computed in the Glue jobs: ${problem.what}`, column.where, problem.fix));
  }
  for (const { child, array } of childArrays(dataset)) {
    const problem = tryRender(() => spark(array));
    const field = findRawField(dataset.raw.fields, child.arrayPath);
    if (problem) out.push(diagnostic("DIALECT.UNSUPPORTED", `Dataset "${dataset.name}": child table "${child.name}" cannot be exploded in the Glue flatten job: ${problem.what}`, field?.where ?? { file: dataset.contract.file }, problem.fix));
  }
  if (out.length === 0) out.push(diagnostic("DIALECT.UNSUPPORTED", `Dataset "${dataset.name}": ${error.what}`, { file: dataset.contract.file }, error.fix));
  return out;
}

export function emitGluePyspark(ir: ContractIR): EmitResult {
  const files: GeneratedFile[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const dataset of ir.datasets) {
    try {
      files.push({ path: glueScriptPath(dataset, "clean"), contents: cleanJob(dataset) });
      files.push({ path: glueScriptPath(dataset, "flatten"), contents: flattenJob(dataset) });
    } catch (error) {
      // A rule Spark cannot express exactly is a contract problem to report where it is declared, not a crash and
      // not an approximation.
      const problem = unsupported(error);
      if (!problem) throw error;
      diagnostics.push(...unsupportedDiagnostics(dataset, problem));
    }
  }
  return { files, diagnostics };
}

export const gluePysparkTarget: Target = {
  id: "glue-pyspark",
  description: "Glue PySpark jobs: clean_<dataset>.py (validate, quarantine, deduplicate) and flatten_<dataset>.py (Parquet).",
  emit: emitGluePyspark,
};
