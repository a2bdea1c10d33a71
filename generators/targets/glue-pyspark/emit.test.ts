/**
 * The generated Glue jobs: golden files, parsed by Python (`ast`), ruff-clean (pinned in toolchain/python/lint.in),
 * every Spark SQL text parsed by dt-sql-parser's SparkSQL grammar, the job arguments the infrastructure relies on,
 * and contract text that tries to break out of Python or SQL literals.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SparkSQL } from "dt-sql-parser";
import { loadIR } from "../../ir/load.js";
import type { ContractIR, DatasetIR } from "../../ir/types.js";
import { emitGluePyspark, jobSql } from "./emit.js";
import { DEFAULT_MAX_QUARANTINE_RATIO, GLUE_JOB_ARGUMENTS, glueJobInputs, quarantineRatioExceeded } from "../glue-jobs.js";
import { mypy } from "../../../tests/helpers/mypy.js";
import { ruff } from "../../../tests/helpers/ruff.js";
import { ensurePythonEnv } from "../../../toolchain/python-env.js";
import { stateMachineDefinition } from "../step-functions/emit.js";
import { formatDiagnostic } from "../../lib/errors.js";

const ROOT = join(import.meta.dirname, "..", "..", "..");
const PYTHON = "python3";
let ir: ContractIR;
let work: string;

beforeAll(async () => {
  ir = await loadIR(join(ROOT, "contracts"), ROOT);
  work = mkdtempSync(join(tmpdir(), "glue-pyspark-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Module-level string constants of a Python file, flattened (`COLUMN_SQL.rating`), read with Python's ast. */
const EXTRACT = `
import ast, json, re, sys
tree = ast.parse(open(sys.argv[1], encoding="utf-8").read())
out = {}
def strings(prefix, node):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        out[prefix] = node.value
    elif isinstance(node, (ast.List, ast.Tuple)):
        if len(node.elts) and all(isinstance(e, ast.Constant) for e in node.elts[:1]) and isinstance(node, ast.Tuple):
            name = node.elts[0].value
            for i, e in enumerate(node.elts[1:]):
                strings(prefix + "." + str(name) + ("" if i == 0 and len(node.elts) == 2 else "#" + str(i)), e)
        else:
            for i, e in enumerate(node.elts):
                strings(prefix + "[" + str(i) + "]", e)
for stmt in tree.body:
    # NAME = value, or NAME: type = value
    target = stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target if isinstance(stmt, ast.AnnAssign) else None
    if isinstance(target, ast.Name) and stmt.value is not None:
        strings(target.id, stmt.value)
print(json.dumps(out))
`;

function writeAll(files: readonly { path: string; contents: string }[], subdir = "jobs"): string[] {
  mkdirSync(join(work, subdir), { recursive: true });
  return files.map((f) => {
    const path = join(work, subdir, f.path.split("/").pop()!);
    writeFileSync(path, f.contents);
    return path;
  });
}

function pythonConstants(path: string): Record<string, string> {
  return JSON.parse(execFileSync(PYTHON, ["-c", EXTRACT, path], { encoding: "utf8" })) as Record<string, string>;
}

function sparkErrors(expression: string): string[] {
  return new SparkSQL().validate(`SELECT ${expression} FROM t`).map((e) => e.message);
}

describe("glue-pyspark", () => {
  it("matches the golden files in glue-pyspark-out/", () => {
    for (const file of emitGluePyspark(ir).files) {
      expect(file.contents, `${file.path} is stale: run npm run generate`).toBe(readFileSync(join(ROOT, file.path), "utf8"));
    }
    // A clean and a flatten job per dataset, in the IR's dataset order: the shipped two and any dataset added.
    const names = ir.datasets.map((d) => d.name);
    expect(names).toEqual(expect.arrayContaining(["product", "review"]));
    expect(emitGluePyspark(ir).files.map((f) => f.path)).toEqual(
      names.flatMap((name) => [`glue-pyspark-out/clean_${name}.py`, `glue-pyspark-out/flatten_${name}.py`]),
    );
  });

  it("parses with Python's ast and is ruff-clean", async () => {
    const paths = writeAll(emitGluePyspark(ir).files);
    for (const path of paths) execFileSync(PYTHON, ["-c", "import ast, sys; ast.parse(open(sys.argv[1], encoding='utf-8').read())", path]);
    const clean = await ruff(paths);
    expect(clean.output).toBe(`All checks passed!\n${paths.length} files already formatted\n`);
    expect(clean.status).toBe(0);
    // Negative control: ruff does report an unused import and an undefined name.
    const broken = join(work, "broken.py");
    writeFileSync(broken, "import os\nprint(undefined_name)\n");
    const result = await ruff([broken]);
    expect(result.status).toBe(1);
    expect(result.output).toMatch(/F401[\s\S]*F821|F821[\s\S]*F401/);
  });

  it("type-checks with mypy against pyspark's own type hints (Glue's awsglue, which AWS does not publish, as Any)", async () => {
    // One mypy run over the jobs and a copy of one with a call pyspark's hints refuse (F.col takes one column name).
    const paths = writeAll(emitGluePyspark(ir).files, "mypy");
    const broken = join(work, "mypy", "broken_job.py");
    writeFileSync(broken, `${readFileSync(paths[0]!, "utf8")}\n\ndef broken(df):\n    return df.select(F.col("a", "b"))\n`);
    const checked = await mypy([...paths, broken], "spark");
    expect(checked.status).toBe(1);
    expect(checked.output.trimEnd().split("\n")).toEqual([expect.stringMatching(/broken_job\.py:\d+: error: Too many arguments for "col"  \[call-arg\]$/)]);
  }, 120_000);

  it("lays out any contract as ruff formats it: nested objects, long keys and names, contract paths and versions of every length", async () => {
    const fixture = (await loadIR(join(ROOT, "tests/fixtures/nested-long-names"), ROOT)).datasets[0]!;
    // CONTRACT = "<path> <version> sha256:<64 hex>" is on one line up to 120 characters, parenthesized while its string
    // fits a line of its own, then on one line again (ruff cannot break a string): paths on each side of both limits,
    // with each version.
    const variants = [
      { file: "contracts/question.contract.ts", version: "1.0.0" },
      ...["1.0.0", "1.10.0", "10.10.10"].flatMap((version) =>
        [12, 13, 19, 20].map((k) => ({ file: `contracts/${"q".repeat(k - version.length)}.contract.ts`, version })),
      ),
    ];
    const paths: string[] = [];
    const contracts: string[] = [];
    for (const [i, { file, version }] of variants.entries()) {
      const dataset: DatasetIR = { ...fixture, contract: { ...fixture.contract, file, version } };
      const result = emitGluePyspark({ ...ir, datasets: [dataset] });
      expect(result.diagnostics).toEqual([]);
      const written = writeAll(result.files, `layout-${i}`);
      const clean = written.find((p) => p.includes("clean_"))!;
      expect(pythonConstants(clean).CONTRACT).toBe(`${file} ${version} ${fixture.contract.hash}`);
      contracts.push(readFileSync(clean, "utf8").split("\nCONTRACT = ")[1]!.split("\nJOB_ARGUMENTS")[0]!);
      paths.push(...written);
    }
    const layouts = contracts.map((c) => (c.startsWith("(") ? "parenthesized" : `CONTRACT = ${c}`.length <= 120 ? "fits" : "too long"));
    expect(layouts).toEqual(["parenthesized", ...Array(3).fill(["fits", "parenthesized", "parenthesized", "too long"]).flat()]);
    // contracts/question.contract.ts at 1.0.0 is 121 characters on one line.
    expect(contracts[0]).toBe(`(\n    "contracts/question.contract.ts 1.0.0 ${fixture.contract.hash}"\n)`);
    // Nested objects, and arguments too long for one line, are broken as ruff breaks them.
    const source = readFileSync(paths[0]!, "utf8");
    expect(source).toContain(
      '        StructField(\n            "asker",\n            StructType(\n                [\n                    StructField("name", StringType(), True),\n',
    );
    expect(source).toContain('                    StructField(\n                        "whetherTheAskerAgreedThatTheirQuestionMayBeShownOnTheProductPageForOthers", BooleanType(), True\n                    ),\n');
    const checked = await ruff(paths);
    expect(checked.output).toBe(`All checks passed!\n${paths.length} files already formatted\n`);
    expect(checked.status).toBe(0);
  }, 120_000);

  it("calls only pyspark.sql.functions that Spark 3.3 has (Glue 4.0), by PySpark's own versionadded notes", async () => {
    const { python } = await ensurePythonEnv("spark", { root: ROOT });
    const paths = writeAll(emitGluePyspark(ir).files);
    const broken = join(work, "newer-function.py");
    writeFileSync(broken, 'from pyspark.sql import functions as F\n\nF.call_udf("f", F.col("x"))\n');
    const script = String.raw`
import ast, json, re, sys
import pyspark.sql.functions as F
out = {}
for path in sys.argv[1:]:
    used = sorted({n.attr for n in ast.walk(ast.parse(open(path, encoding="utf-8").read()))
                   if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "F"})
    added = {}
    for name in used:
        m = re.search(r"\.\. versionadded:: (\d+)\.(\d+)", getattr(F, name).__doc__ or "")
        added[name] = [int(m.group(1)), int(m.group(2))] if m else None
    out[path] = added
print(json.dumps(out))
`;
    const found = JSON.parse(execFileSync(python, ["-c", script, ...paths, broken], { encoding: "utf8" })) as Record<string, Record<string, [number, number] | null>>;
    const newer = (path: string) => Object.entries(found[path]!).filter(([, v]) => v === null || v[0] > 3 || (v[0] === 3 && v[1] > 3)).map(([name]) => name);
    for (const path of paths) {
      expect(Object.keys(found[path]!).length, path).toBeGreaterThan(2);
      expect(newer(path), path).toEqual([]);
    }
    // Negative control: F.call_udf came with Spark 3.4.
    expect(newer(broken)).toEqual(["call_udf"]);
  }, 60_000);

  it("reads exactly the job arguments the state machine passes, declared once", () => {
    const paths = writeAll(emitGluePyspark(ir).files, "args");
    const read: Record<string, { jobArguments: string[]; inputs: string[][] }> = {};
    for (const path of paths) {
      const kind = path.includes("clean_") ? "clean" : "flatten";
      const constants = pythonConstants(path);
      const declared = Object.entries(constants).filter(([name]) => name.startsWith("JOB_ARGUMENTS[")).map(([, value]) => value);
      expect(declared).toEqual([...GLUE_JOB_ARGUMENTS[kind]]);
      // INPUT_ARGUMENTS[i][j]: the i-th way of naming the input.
      const inputs: string[][] = [];
      for (const [name, value] of Object.entries(constants)) {
        const [, i, j] = /^INPUT_ARGUMENTS\[(\d+)\]\[(\d+)\]$/.exec(name) ?? [];
        if (i !== undefined) (inputs[Number(i)] ??= [])[Number(j)] = value;
      }
      expect(inputs).toEqual(glueJobInputs(kind).map((names) => [...names]));
      expect(readFileSync(path, "utf8")).toContain('getResolvedOptions(sys.argv, ["JOB_NAME", *JOB_ARGUMENTS, *given_inputs(sys.argv)])');
      read[kind] = { jobArguments: declared, inputs };
    }
    expect(read.clean!.inputs).toEqual([["input_path"], ["input_bucket", "input_key"]]);
    expect(read.flatten!.inputs).toEqual([]);
    // The state machine passes each of them (the clean job's input as the S3 event's bucket and key), and nothing else.
    for (const dataset of ir.datasets) {
      const states = (stateMachineDefinition(dataset) as { States: Record<string, { Parameters?: { Arguments?: Record<string, string> } }> }).States;
      const passed = (state: string) => Object.keys(states[state]!.Parameters!.Arguments!).map((k) => k.replace(/^--|\.\$$/g, ""));
      expect(passed("Clean")).toEqual([...read.clean!.inputs[1]!, ...read.clean!.jobArguments]);
      expect(passed("Flatten")).toEqual(read.flatten!.jobArguments);
    }
  });

  it("every Spark SQL text in the jobs parses with the SparkSQL grammar", () => {
    const paths = writeAll(emitGluePyspark(ir).files);
    const sqlTexts = paths.flatMap((p) =>
      Object.entries(pythonConstants(p)).filter(([name]) => /SQL|CHILDREN/.test(name) && !/PARTITION/.test(name)),
    );
    // Every expression the emitter renders is in the files (the extraction found them all)…
    const rendered = ir.datasets.flatMap((d) => jobSql(d).map((j) => j.sql));
    const found = new Set(sqlTexts.map(([, sql]) => sql));
    for (const sql of rendered) expect(found.has(sql), sql.slice(0, 80)).toBe(true);
    // …and each parses.
    for (const [name, sql] of sqlTexts) {
      if (/^"?[a-z_]+"?$/.test(sql)) continue; // table and partition names, not expressions
      expect(sparkErrors(sql), `${name}: ${sql.slice(0, 120)}`).toEqual([]);
    }
    // The grammar does reject broken expressions (negative controls).
    for (const broken of ["CAST(`a` AS STRING", "a +", "CAST(x AS)"]) expect(sparkErrors(broken), broken).not.toEqual([]);
  });

  it("contract text cannot break out of Python or Spark SQL literals", async () => {
    const nasty = `x """ ' \\ \n import os; os.system("rm -rf /") # */ {{ }} \u2028 😀`;
    const review = ir.datasets.find((d) => d.name === "review")!;
    const columns = review.table.columns.map((c) =>
      c.source.kind === "map_key" && c.name === "style_format" ? { ...c, source: { ...c.source, key: nasty } } : c,
    );
    const evil: DatasetIR = { ...review, name: "review", description: nasty, table: { ...review.table, description: nasty, columns } };
    const files = emitGluePyspark({ ...ir, datasets: [evil] }).files;
    const paths = writeAll(files, "evil");
    expect((await ruff(paths)).status).toBe(0);
    const flatten = pythonConstants(paths.find((p) => p.endsWith("flatten_review.py"))!);
    const styleFormat = Object.entries(flatten).find(([name]) => name.endsWith(".style_format"))![1];
    expect(styleFormat).toContain("'x \"\"\" \\' \\\\ \\n import os");
    expect(sparkErrors(styleFormat)).toEqual([]);
    // The Python module has the same top-level statements as the real job: nothing was injected.
    const count = (path: string) => execFileSync(PYTHON, ["-c", "import ast,sys; print(len(ast.parse(open(sys.argv[1]).read()).body))", path], { encoding: "utf8" });
    const real = writeAll(emitGluePyspark(ir).files.filter((f) => f.path.endsWith("flatten_review.py")));
    expect(count(paths.find((p) => p.endsWith("flatten_review.py"))!)).toBe(count(real[0]!));
  });
});

/**
 * The jobs' JSON helpers (the Python UDFs) run here without Spark: their definitions are taken from the generated
 * file with `ast` and executed with the standard library only.
 */
const UDF_CHECK = `
import ast, json, re, sys
tree = ast.parse(open(sys.argv[1], encoding="utf-8").read())
names = {"_parse", "_canonical", "_member", "contract_json_canonical", "contract_json_get", "contract_json_elements", "contract_json_values"}
constants = {"_STRING_OR_INFINITY", "_UNICODE_ESCAPE"}
module = ast.Module(
    body=[n for n in tree.body if (isinstance(n, ast.FunctionDef) and n.name in names) or (isinstance(n, ast.Assign) and n.targets[0].id in constants) or (isinstance(n, ast.AnnAssign) and n.target.id in constants)],
    type_ignores=[],
)
scope = {"json": json, "re": re}
exec(compile(module, sys.argv[1], "exec"), scope)
cases = [
    ["canonical", scope["contract_json_canonical"]('  {"a": 1.0, "b": [true, null], "c": "x\\\\u00e9"}  ')],
    ["canonical NaN", scope["contract_json_canonical"]('{"a": NaN}')],
    ["canonical trailing comma", scope["contract_json_canonical"]('{"a": 1,}')],
    ["canonical truncated", scope["contract_json_canonical"]('{"a": ')],
    ["canonical lone surrogate", scope["contract_json_canonical"](r'{"a": "lone \\ud800 x"}')],
    ["canonical lone surrogate in a key", scope["contract_json_canonical"](r'{"\\udc00": 1}')],
    ["canonical surrogate pair", scope["contract_json_canonical"](r'{"a": "\\ud83d\\ude00"}')],
    ["get present", scope["contract_json_get"]('{"a":"x","n":null}', "a")],
    ["get null", scope["contract_json_get"]('{"a":"x","n":null}', "n")],
    ["get missing", scope["contract_json_get"]('{"a":"x","n":null}', "z")],
    ["get of non-object", scope["contract_json_get"]('[1]', "a")],
    ["elements", scope["contract_json_elements"]('["a",1,null,[2]]')],
    ["elements of non-array", scope["contract_json_elements"]('"a"')],
    ["values", scope["contract_json_values"]('{"Format:":" x","n":5}')],
    ["duplicate key keeps the last", scope["contract_json_get"]('{"a":1,"a":2}', "a")],
    ["escapes in upper case, a literal backslash kept", scope["contract_json_get"](r'{"r":["a\\u001fb","e\\\\u001fx","\\\\\\u000b"]}', "r")],
]
print(json.dumps(cases))
`;

describe("a rule Spark cannot express", () => {
  it("is a DIALECT.UNSUPPORTED diagnostic at the rule's field, and no job is written for the dataset", () => {
    const review = ir.datasets.find((d) => d.name === "review")!;
    const rules = [...review.rules, { code: "reviewerName.invalid_format", path: "reviewerName", kind: "invalid_format" as const, description: "", params: { format: "email" } }];
    const result = emitGluePyspark({ ...ir, datasets: [{ ...review, rules }] });
    expect(result.files).toEqual([]);
    expect(result.diagnostics).toHaveLength(1);
    expect(result.diagnostics[0]).toMatchObject({ code: "DIALECT.UNSUPPORTED", severity: "error", where: { file: "contracts/review.contract.ts", path: "review.reviewerName" } });
    expect(result.diagnostics[0]!.message).toContain("reviewerName.invalid_format");
  });
});

/** A contract with objects inside an array and a map (stored as JSON text), its unsupported fields marked `// <-`. */
const OBJECTS_IN_ARRAYS = `import { z } from "zod";
import { column, defineContract, types } from "../../../generators/contract-kit/index.js";
export default defineContract({
  dataset: "question",
  version: "1.0.0",
  owner: "tests",
  description: "A question about a product.",
  schema: z.object({
    questionId: column(z.string(), { name: "question_id", description: "Key." }),
    answers: column(z.array(z.object({
      text: column(z.string().min(1), { description: "Answer text." }), // <-
    })).optional(), { description: "Answers.", array: { json: true } }),
    extras: column(z.record(z.string(), z.object({
      value: column(z.string(), { description: "Value." }), // <-
    })).optional(), { description: "Extras.", type: types.json }),
  }),
  key: { column: "question_id" },
  locations: {
    raw: "s3://question-raw/questions/",
    cleaned: "s3://question-cleaned/questions/",
    quarantine: "s3://question-quarantine/questions/",
    processed: "s3://question-processed/questions/",
  },
});
`;

describe("an object inside an array or a map", () => {
  it("is DIALECT.UNSUPPORTED at each of its fields (file, line, column, path), naming its rules, with a fix; no job is written", async () => {
    const dir = mkdtempSync(join(ROOT, "tests/fixtures/.scratch-"));
    try {
      writeFileSync(join(dir, "question.contract.ts"), OBJECTS_IN_ARRAYS);
      const result = emitGluePyspark(await loadIR(dir, ROOT));
      expect(result.files).toEqual([]);
      const file = relative(ROOT, join(dir, "question.contract.ts")).split(sep).join("/");
      const lines = OBJECTS_IN_ARRAYS.split("\n");
      const marked = lines.flatMap((line, i) => (line.includes("// <-") ? [i + 1] : []));
      expect(result.diagnostics.map((d) => d.where)).toEqual([
        { file, line: marked[0], column: lines[marked[0]! - 1]!.indexOf("text") + 1, path: "question.answers[].text" },
        { file, line: marked[1], column: lines[marked[1]! - 1]!.indexOf("value") + 1, path: "question.extras{}.value" },
      ]);
      const [answers, extras] = result.diagnostics;
      // As README.md's "Error codes" promises: file:line:column: error CODE at dataset.field: message, then the fix.
      expect(formatDiagnostic(answers!).split("\n")[0]).toBe(`${file}:${marked[0]}:7: error DIALECT.UNSUPPORTED at question.answers[].text: ${answers!.message}`);
      expect(answers!.message).toBe(
        'Dataset "question": the rules of field "answers[].text" (answers[].text.missing, answers[].text.null, answers[].text.wrong_type, answers[].text.too_short) cannot run in the Glue clean job: ' +
          "spark cannot express a JSON member, element or value lookup inside a lambda (a rule on a field of an array element or map value): the lookup is a Python UDF, and Spark does not run Python UDFs inside higher-order functions.",
      );
      expect(extras!.message).toContain('the rules of field "extras{}.value" (extras{}.value.missing, extras{}.value.null, extras{}.value.wrong_type)');
      for (const d of result.diagnostics) {
        expect(d).toMatchObject({ code: "DIALECT.UNSUPPORTED", severity: "error" });
        expect(d.fix).toMatch(/^Make the elements or values scalars \(z\.array\(z\.string\(\)\), z\.record\(z\.string\(\), z\.string\(\)\)\), or move the object's fields out of the array or map/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the jobs' Python JSON helpers", () => {
  it("answer like JSON.parse: missing vs null, canonical text, NaN and trailing commas refused", () => {
    const [path] = writeAll(emitGluePyspark(ir).files.filter((f) => f.path.endsWith("clean_review.py")), "udf");
    const results = Object.fromEntries(JSON.parse(execFileSync(PYTHON, ["-c", UDF_CHECK, path!], { encoding: "utf8" })) as [string, unknown][]);
    expect(results).toEqual({
      canonical: '{"a":1.0,"b":[true,null],"c":"xé"}',
      "canonical NaN": null,
      "canonical trailing comma": null,
      "canonical truncated": null,
      // A lone surrogate is no character (UTF-8 cannot encode it; Spark stored it as "?"): not JSON, as for DuckDB.
      "canonical lone surrogate": null,
      "canonical lone surrogate in a key": null,
      "canonical surrogate pair": '{"a":"\u{1F600}"}',
      "get present": '"x"',
      "get null": "null",
      "get missing": null,
      "get of non-object": null,
      elements: ['"a"', "1", "null", "[2]"],
      "elements of non-array": [],
      values: ['" x"', "5"],
      "duplicate key keeps the last": "2",
      // As DuckDB writes them: \u001F; the text "\u001f" after a literal backslash is not an escape.
      "escapes in upper case, a literal backslash kept": '["a\\u001Fb","e\\\\u001fx","\\\\\\u000B"]',
    });
  });
});

/**
 * How the clean job names its input, run here without Spark: `input_location`, `given_inputs` and the constant they
 * read are taken from the generated file with `ast` (with its urllib.parse import) and executed.
 */
const INPUT_CHECK = `
import ast, json, sys
tree = ast.parse(open(sys.argv[1], encoding="utf-8").read())
module = ast.Module(
    body=[
        n for n in tree.body
        if (isinstance(n, ast.FunctionDef) and n.name in {"input_location", "given_inputs", "max_quarantine_ratio", "quarantine_ratio_exceeded"})
        or (isinstance(n, ast.Assign) and n.targets[0].id == "DATASET")
        or (isinstance(n, ast.AnnAssign) and n.target.id in {"INPUT_ARGUMENTS", "OPTIONAL_ARGUMENTS"})
        or (isinstance(n, ast.ImportFrom) and n.module == "urllib.parse")
    ],
    type_ignores=[],
)
scope = {}
exec(compile(module, sys.argv[1], "exec"), scope)
def location(args):
    try:
        return {"path": scope["input_location"](args)}
    except ValueError as error:
        return {"error": str(error)}
cases = json.loads(sys.argv[2])
def ratio(args):
    try:
        return {"ratio": scope["max_quarantine_ratio"](args)}
    except ValueError as error:
        return {"error": str(error)}
print(json.dumps({
    "locations": {name: location(args) for name, args in cases["locations"].items()},
    "given": {name: scope["given_inputs"](argv) for name, argv in cases["given"].items()},
    "ratios": {name: ratio(args) for name, args in cases["ratios"].items()},
    "exceeded": [scope["quarantine_ratio_exceeded"](*counts) for counts in cases["exceeded"]],
}))
`;

describe("the clean job's input", () => {
  const event = (key: string, bucket = "s3://amazon-reviews-raw") => ({ input_bucket: bucket, input_key: key });
  const cases = {
    locations: {
      // As S3 events carry keys: form-style URL encoding.
      "space as +": event("reviews/a+b.jsonl"),
      "%2B is a +": event("reviews/a%2Bb.jsonl"),
      "%3D is an =": event("reviews/ingest_date%3D2024-06-01/x.jsonl"),
      "all three": event("reviews/ingest_date%3D2024-06-01/a+b%2Bc.jsonl"),
      "UTF-8": event("reviews/caf%C3%A9.jsonl"),
      "%25 is a % (decoded once)": event("reviews/100%2525.jsonl"),
      "a plain key": event("reviews/reviews_2018.jsonl"),
      "a local folder for the bucket": event("a+b.jsonl", "/data/raw/"),
      "a literal path is read as given": { input_path: "/data/raw/a+b%2B.jsonl" },
      "both ways": { input_path: "/data/a.jsonl", ...event("a.jsonl") },
      neither: {},
      "a bucket without its key": { input_bucket: "s3://amazon-reviews-raw" },
      "a bucket name, not a URI": event("a.jsonl", "amazon-reviews-raw"),
    },
    given: {
      "the state machine's": ["clean.py", "--JOB_NAME", "review-clean", "--input_bucket", "s3://b", "--input_key", "a+b.jsonl", "--run_id", "r"],
      "--name=value": ["clean.py", "--input_path=/data/a.jsonl", "--run_id", "r"],
      none: ["clean.py", "--JOB_NAME", "review-clean", "--run_id", "r"],
      "Terraform's default argument": ["clean.py", "--JOB_NAME", "review-clean", "--input_path", "/a", "--max_quarantine_ratio", "0.2"],
    },
    ratios: {
      "not given": {},
      given: { max_quarantine_ratio: "0.2" },
      one: { max_quarantine_ratio: "1" },
      "over 1": { max_quarantine_ratio: "1.5" },
      "not a number": { max_quarantine_ratio: "half" },
      nan: { max_quarantine_ratio: "nan" },
    },
    // (input, quarantined, ratio)
    exceeded: [
      [7, 7, 0.5],
      [8, 4, 0.5],
      [8, 5, 1],
      [0, 0, 0],
      [10, 1, 0],
    ],
  };

  it("decodes the S3 event's key as S3 encodes it (+ is a space, %2B a +, %3D an =), and takes one way of naming it", () => {
    const [path] = writeAll(emitGluePyspark(ir).files.filter((f) => f.path.endsWith("clean_review.py")), "input");
    const results = JSON.parse(execFileSync(PYTHON, ["-c", INPUT_CHECK, path!, JSON.stringify(cases)], { encoding: "utf8" }));
    const refused = (given: string) => ({
      error: `Name the raw input one way: --input_path (a path, read as given), or --input_bucket and --input_key (an S3 event's bucket URI and URL-encoded key); given: ${given}.`,
    });
    expect(results.locations).toEqual({
      "space as +": { path: "s3://amazon-reviews-raw/reviews/a b.jsonl" },
      "%2B is a +": { path: "s3://amazon-reviews-raw/reviews/a+b.jsonl" },
      "%3D is an =": { path: "s3://amazon-reviews-raw/reviews/ingest_date=2024-06-01/x.jsonl" },
      "all three": { path: "s3://amazon-reviews-raw/reviews/ingest_date=2024-06-01/a b+c.jsonl" },
      "UTF-8": { path: "s3://amazon-reviews-raw/reviews/café.jsonl" },
      "%25 is a % (decoded once)": { path: "s3://amazon-reviews-raw/reviews/100%25.jsonl" },
      "a plain key": { path: "s3://amazon-reviews-raw/reviews/reviews_2018.jsonl" },
      "a local folder for the bucket": { path: "/data/raw/a b.jsonl" },
      "a literal path is read as given": { path: "/data/raw/a+b%2B.jsonl" },
      "both ways": refused("--input_path, --input_bucket, --input_key"),
      neither: refused("none"),
      "a bucket without its key": refused("--input_bucket"),
      "a bucket name, not a URI": { error: "--input_bucket amazon-reviews-raw is not a URI: pass the bucket as s3://amazon-reviews-raw." },
    });
    // What Glue's getResolvedOptions is asked for (it requires each name it is given).
    expect(results.given).toEqual({
      "the state machine's": ["input_bucket", "input_key"],
      "--name=value": ["input_path"],
      none: [],
      "Terraform's default argument": ["input_path", "max_quarantine_ratio"],
    });
  });

  it("fails a run whose quarantined share exceeds --max_quarantine_ratio (default 0.5), with the message the local pipeline gives", () => {
    const [path] = writeAll(emitGluePyspark(ir).files.filter((f) => f.path.endsWith("clean_review.py")));
    const results = JSON.parse(execFileSync(PYTHON, ["-c", INPUT_CHECK, path!, JSON.stringify(cases)], { encoding: "utf8" }));
    const refused = (text: string) => ({ error: `--max_quarantine_ratio must be a number from 0 to 1 (a share of the records), not '${text}'.` });
    expect(results.ratios).toEqual({ "not given": { ratio: DEFAULT_MAX_QUARANTINE_RATIO }, given: { ratio: 0.2 }, one: { ratio: 1 }, "over 1": refused("1.5"), "not a number": refused("half"), nan: refused("nan") });
    expect(DEFAULT_MAX_QUARANTINE_RATIO).toBe(0.5);
    // Over the ratio only (exactly the ratio passes; nothing read never fails), in the same words as quarantineRatioExceeded.
    expect(results.exceeded).toEqual(cases.exceeded.map(([input, quarantined, ratio]) => quarantineRatioExceeded("review", { input: input!, quarantined: quarantined! }, ratio!) ?? null));
    expect(results.exceeded.map((m: string | null) => m !== null)).toEqual([true, false, false, false, true]);
    expect(results.exceeded[0]).toMatch(/^7 of 7 records of review were quarantined, more than --max_quarantine_ratio 0.5 allows/);
  });
});
