/**
 * The DAG is parsed by Python's own `ast` and checked by the project's pinned ruff (`ruff check` and
 * `ruff format --check` under ruff.toml). Its arguments and task order are read from the syntax tree.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fileOf, generatedFrom } from "../../../tests/helpers/generate.js";
import { run } from "../../../tests/helpers/run.js";
import { ruff } from "../../../tests/helpers/ruff.js";

const work = mkdtempSync(join(tmpdir(), "airflow-target-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const INSPECT = `
import ast, json, sys
tree = ast.parse(sys.stdin.read())
out = {"imports": [], "dag": {}, "tasks": {}, "chain": [], "doc": None}
for node in ast.walk(tree):
    if isinstance(node, ast.ImportFrom):
        out["imports"].append(node.module)
    if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "DOC_MD":
        out["doc"] = ast.literal_eval(node.value)
    if isinstance(node, ast.With):
        call = node.items[0].context_expr
        for kw in call.keywords:
            try:
                out["dag"][kw.arg] = ast.literal_eval(kw.value)
            except ValueError:
                out["dag"][kw.arg] = ast.unparse(kw.value)
    if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and getattr(node.value.func, "id", "") == "BashOperator":
        kws = {kw.arg: ast.literal_eval(kw.value) for kw in node.value.keywords}
        out["tasks"][kws["task_id"]] = kws["bash_command"]
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.BinOp):
        names = []
        def walk(n):
            if isinstance(n, ast.BinOp) and isinstance(n.op, ast.RShift):
                walk(n.left); walk(n.right)
            else:
                names.append(n.id)
        walk(node.value)
        out["chain"] = names
print(json.dumps(out))
`;

function inspect(source: string) {
  const result = run("python3", ["-c", INSPECT], { input: source });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as { imports: string[]; dag: Record<string, unknown>; tasks: Record<string, string>; chain: string[]; doc: string };
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

  it("ruff fails on a broken or unformatted DAG (the check can fail)", async () => {
    expect((await ruffSource("from airflow import DAG\nundefined_name\n")).status).not.toBe(0);
    expect((await ruffSource("x = [1,2]\n")).output).toContain("File would be reformatted");
  });

  it("has an explicit schedule, start date, catchup and retries, imports for Airflow 2.9+ and 3, and runs freshness before build", async () => {
    const { files } = await generatedFrom();
    const dag = inspect(fileOf(files, "generated/airflow/dags/amazon_reviews_dbt.py"));
    expect(dag.dag).toMatchObject({ dag_id: "amazon_reviews_dbt", schedule: "0 6 * * *", catchup: false, max_active_runs: 1 });
    expect(dag.dag.start_date).toBe("datetime(2026, 1, 1, tzinfo=timezone.utc)");
    expect(dag.imports).toEqual(expect.arrayContaining(["airflow.sdk", "airflow", "airflow.providers.standard.operators.bash", "airflow.operators.bash"]));
    expect(dag.chain).toEqual(["dbt_deps", "dbt_source_freshness", "dbt_build"]);
    expect(dag.tasks.dbt_source_freshness).toBe("dbt source freshness --project-dir /opt/airflow/dbt/amazon_reviews --profiles-dir /opt/airflow/dbt/profiles --target prod");
    expect(dag.tasks.dbt_build).toMatch(/^dbt build /);
  });

  it("keeps hostile contract text as data in the DAG documentation", async () => {
    const { files } = await generatedFrom("tests/fixtures/kitchen-sink");
    const source = fileOf(files, "generated/airflow/dags/amazon_reviews_dbt.py");
    expect((await ruffSource(source)).status).toBe(0);
    expect(inspect(source).doc).toContain(`It's "quoted" and """triple""" with {{ jinja }} {% tag %} */ /* <b>html</b> | pipe \\ back`);
    await expect(source).toMatchFileSnapshot("../../../tests/__golden__/kitchen-sink/airflow/amazon_reviews_dbt.py");
  });
});
