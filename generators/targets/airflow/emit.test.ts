/**
 * The DAG is parsed by Python's own `ast` and checked by the project's pinned ruff (`ruff check` and
 * `ruff format --check` under ruff.toml). Its arguments and task order are read from the syntax tree (module-level
 * string constants and f-strings evaluated). Airflow itself imports it in airflow.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { marked } from "marked";
import { afterAll, describe, expect, it } from "vitest";
import { mdCell } from "../../dialects/markdown.js";
import { fileOf, generatedFrom } from "../../../tests/helpers/generate.js";
import { run } from "../../../tests/helpers/run.js";
import { mypy } from "../../../tests/helpers/mypy.js";
import { ruff } from "../../../tests/helpers/ruff.js";
import { AUDIT_SCHEMA, dagSource } from "./emit.js";

const work = mkdtempSync(join(tmpdir(), "airflow-target-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const INSPECT = `
import ast, json, sys
from datetime import timedelta
tree = ast.parse(sys.stdin.read())
out = {"imports": [], "dag": {}, "tasks": {}, "triggers": {}, "edges": [], "doc": None}
# Module-level string constants and f-strings of them (the dbt command line), evaluated as Python would.
names = {}
for node in tree.body:
    if isinstance(node, ast.Assign) and isinstance(node.value, (ast.Constant, ast.JoinedStr)):
        names[node.targets[0].id] = eval(compile(ast.Expression(node.value), "<dag>", "eval"), {}, names)
out["doc"] = names.get("DOC_MD")
for node in ast.walk(tree):
    if isinstance(node, ast.ImportFrom):
        out["imports"].append(node.module)
    if isinstance(node, ast.Import):
        out["imports"].extend(alias.name for alias in node.names)
    if isinstance(node, ast.With):
        call = node.items[0].context_expr
        for kw in call.keywords:
            try:
                out["dag"][kw.arg] = ast.literal_eval(kw.value)
            except ValueError:
                out["dag"][kw.arg] = ast.unparse(kw.value)
    if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and getattr(node.value.func, "id", "") in ("BashOperator", "PythonOperator"):
        # A PythonOperator's callable is a function of the module: named, not evaluated.
        kws = {
            kw.arg: ast.unparse(kw.value) if kw.arg == "python_callable" else eval(compile(ast.Expression(kw.value), "<dag>", "eval"), {"timedelta": timedelta}, names)
            for kw in node.value.keywords
        }
        out["tasks"][kws["task_id"]] = kws["bash_command"] if "bash_command" in kws else f"python: {kws['python_callable']}"
        out["triggers"][kws["task_id"]] = kws.get("trigger_rule", "all_success")
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.BinOp):
        # a >> b >> c and [a, b] >> c, as (upstream, downstream) pairs.
        def names(n):
            return [e.id for e in n.elts] if isinstance(n, ast.List) else [n.id]
        def walk(n):
            if isinstance(n, ast.BinOp) and isinstance(n.op, ast.RShift):
                left = walk(n.left)
                right = names(n.right)
                out["edges"].extend([a, b] for a in left for b in right)
                return right
            return names(n)
        walk(node.value)
print(json.dumps(out))
`;

function inspect(source: string) {
  const result = run("python3", ["-c", INSPECT], { input: source });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as { imports: string[]; dag: Record<string, unknown>; tasks: Record<string, string>; triggers: Record<string, string>; edges: string[][]; doc: string };
}

function ruffSource(source: string) {
  const path = join(work, `dag_${Math.random().toString(36).slice(2)}.py`);
  writeFileSync(path, source);
  return ruff([path]);
}

describe("Airflow target", () => {
  it("is ruff-clean: check and format", async () => {
    const { files } = await generatedFrom();
    const source = fileOf(files, "generated/airflow/dags/amazon_reviews_dbt.py");
    const result = await ruffSource(source);
    expect(result.output).toContain("All checks passed!");
    expect(result.output).toContain("1 file already formatted");
    expect(result.status).toBe(0);
  });

  it("type-checks with mypy against Airflow's own type hints, and mypy refuses a call Airflow's hints do not allow", async () => {
    const { files } = await generatedFrom();
    const source = fileOf(files, "generated/airflow/dags/amazon_reviews_dbt.py");
    // One mypy run (Airflow's hints take seconds to load) over the DAG and a copy with a call Airflow's hints refuse.
    mkdirSync(join(work, "typed"), { recursive: true });
    const path = join(work, "typed", "amazon_reviews_dbt.py");
    const broken = join(work, "typed", "broken_dag.py");
    writeFileSync(path, source);
    writeFileSync(broken, `${source}\n\ndef broken():\n    return Variable.get("x", default=1, deserialize_json="no")\n`);
    const checked = await mypy([path, broken], "airflow");
    expect(checked.status).toBe(1);
    const findings = checked.output.trimEnd().split("\n");
    expect(findings.filter((line) => !line.startsWith(`${broken}:`))).toEqual([]);
    expect(findings).toEqual([expect.stringMatching(/broken_dag\.py:\d+: error: .*\[(call-arg|arg-type)\]$/)]);
  }, 120_000);

  it("ruff fails on a broken or unformatted DAG (the check can fail)", async () => {
    expect((await ruffSource("from airflow import DAG\nundefined_name\n")).status).not.toBe(0);
    expect((await ruffSource("x = [1,2]\n")).output).toContain("File would be reformatted");
  });

  it("has an explicit schedule, start date, catchup and retries, imports for Airflow 2.9+ and 3, and runs freshness before build (no dbt deps), build whatever freshness found, the QuickSight refresh only after a successful build", async () => {
    const { files } = await generatedFrom();
    const dag = inspect(fileOf(files, "generated/airflow/dags/amazon_reviews_dbt.py"));
    expect(dag.dag).toMatchObject({ dag_id: "amazon_reviews_dbt", schedule: "0 6 * * *", catchup: false, max_active_runs: 1 });
    expect(dag.dag.start_date).toBe("datetime(2026, 1, 1, tzinfo=timezone.utc)");
    expect(dag.imports).toEqual(
      expect.arrayContaining(["airflow.sdk", "airflow", "airflow.providers.standard.operators.bash", "airflow.operators.bash", "airflow.providers.standard.operators.python", "airflow.operators.python"]),
    );
    // Build after the freshness check whatever its outcome; the refresh after the build (all_success: only when it
    // succeeded); the watcher, once all have ended, alerts and fails the run when any of them failed.
    expect(dag.edges).toEqual([
      ["dbt_source_freshness", "dbt_build"],
      ["dbt_build", "refresh_quicksight"],
      ["dbt_source_freshness", "watcher"],
      ["dbt_build", "watcher"],
      ["refresh_quicksight", "watcher"],
    ]);
    expect(Object.keys(dag.tasks).sort()).toEqual(["dbt_build", "dbt_source_freshness", "refresh_quicksight", "watcher"]);
    expect(dag.tasks.refresh_quicksight).toBe("python: refresh_quicksight_data_sets");
    expect(dag.tasks.watcher).toBe("python: alert_failed_run");
    expect(dag.triggers).toEqual({ dbt_source_freshness: "all_success", dbt_build: "all_done", refresh_quicksight: "all_success", watcher: "all_done" });
    // boto3 is imported only by the refresh, once it is on, and by the alert, once there is one to publish: a
    // deployment without QuickSight or alerts loads the DAG without it.
    expect(fileOf(files, "generated/airflow/dags/amazon_reviews_dbt.py").match(/\n {4}import boto3 {2}# here, not at the top/g)).toHaveLength(2);
    expect(dag.imports.filter((m) => m === "boto3")).toHaveLength(2);
  });

  it("reads the dbt command line from Airflow Variables with the production values as defaults, shell-quoted by shlex.quote", async () => {
    const { files } = await generatedFrom();
    const dag = inspect(fileOf(files, "generated/airflow/dags/amazon_reviews_dbt.py"));
    const setting = (name: string, fallback: string) => `{{ var.value.get('amazon_reviews_dbt_${name}', '${fallback}') | shell_quote }}`;
    const options = `--project-dir ${setting("project_dir", "/opt/airflow/dbt/amazon_reviews")} --profiles-dir ${setting("profiles_dir", "/opt/airflow/dbt/profiles")} --target ${setting("target", "prod")}`;
    expect(dag.tasks.dbt_source_freshness).toBe(`${setting("executable", "dbt")} source freshness ${options}`);
    expect(dag.tasks.dbt_build).toBe(`${setting("executable", "dbt")} build --store-failures ${options}`);
    // The filter is the DAG's own (rendering by Airflow is in airflow.test.ts).
    expect(dag.imports).toContain("shlex");
    expect(dag.dag.user_defined_filters).toBe("{'shell_quote': shlex.quote}");
    // The settings are documented where operators look: the DAG's documentation.
    for (const name of ["executable", "project_dir", "profiles_dir", "target"]) expect(dag.doc).toContain(`\`amazon_reviews_dbt_${name}\``);
    expect(dag.doc).toContain("AIRFLOW_VAR_<NAME>");
  });

  it("keeps failing test rows (dbt build --store-failures) in an audit schema the dbt role may create, and says where", async () => {
    const { files } = await generatedFrom();
    const dag = inspect(fileOf(files, "generated/airflow/dags/amazon_reviews_dbt.py"));
    expect(dag.tasks.dbt_build).toContain(" build --store-failures ");
    expect(AUDIT_SCHEMA).toBe("AMAZON_REVIEWS.ANALYTICS_DBT_TEST__AUDIT");
    expect(dag.doc).toContain(`\`${AUDIT_SCHEMA}\``);
    // dbt creates the schema as the profile's role: the transformer, which may create schemas in the database (and
    // owns what it creates); no grant on the audit schema goes to another role.
    const profile = fileOf(files, "dbt-out/profiles/profiles.yml");
    expect(profile).toContain("role: \"{{ env_var('SNOWFLAKE_ROLE', 'AMAZON_REVIEWS_TRANSFORMER') }}\"");
    expect(profile).toContain("schema: \"{{ env_var('DBT_SCHEMA', 'ANALYTICS') }}\"");
    const account = fileOf(files, "generated/snowflake/10_account.sql");
    expect(account).toContain("GRANT CREATE SCHEMA ON DATABASE AMAZON_REVIEWS TO ROLE AMAZON_REVIEWS_TRANSFORMER;");
    expect(account).not.toMatch(/DBT_TEST__AUDIT/i);
  });

  it("keeps hostile contract text as data in the DAG documentation", async () => {
    const { files } = await generatedFrom("tests/fixtures/kitchen-sink");
    const source = fileOf(files, "generated/airflow/dags/amazon_reviews_dbt.py");
    expect((await ruffSource(source)).status).toBe(0);
    // Markdown-escaped (Airflow renders DOC_MD as Markdown): the text reads as written, as text.
    const doc = inspect(source).doc;
    expect(doc).toContain(mdCell(`It's "quoted" and """triple""" with {{ jinja }} {% tag %} */ /* <b>html</b> | pipe \\ back`));
    const html = await marked.parse(doc);
    expect(html).toContain("{{ jinja }} {% tag %} */ /* &lt;b&gt;html&lt;/b&gt; | pipe \\ back `tick`");
    expect(html).not.toContain("<b>");
    await expect(source).toMatchFileSnapshot("../../../tests/__golden__/kitchen-sink/airflow/amazon_reviews_dbt.py");
  });

  it("a description cannot forge a section of the DAG documentation (headings, list items)", async () => {
    const { ir } = await generatedFrom();
    const headings = (description: string) => {
      const forged = { ...ir, datasets: ir.datasets.map((d) => ({ ...d, description })) };
      const tokens = marked.lexer(inspect(dagSource(forged)).doc);
      return tokens.filter((t) => t.type === "heading").map((t) => (t as { text: string }).text);
    };
    const plain = headings("Plain text.");
    expect(plain.length).toBeGreaterThan(0);
    expect(headings("# Big heading\n\n## Settings\n\n- `amazon_reviews_dbt_target` (default `dev`): forged")).toEqual(plain);
  });
});
