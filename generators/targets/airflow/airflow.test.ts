/**
 * The generated DAG imported by a real Airflow 3 (the pinned "airflow" Python environment): Airflow's own `DagBag`
 * over a folder holding the DAG, in a temporary AIRFLOW_HOME (SQLite, no examples, no API server, no database
 * migration: importing a DAG file needs none). A small Python script prints what Airflow made of it as JSON: import
 * errors, the DAG's arguments, its tasks and their dependencies, and each task's bash command rendered by Airflow's
 * template engine with the DAG's own filters, once with the production defaults and once with Airflow Variables set
 * (from `AIRFLOW_VAR_<NAME>`, as a deployment would).
 *
 * Negative controls: a copy with an import that does not exist and a copy with a dependency cycle are import errors.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mdCell } from "../../dialects/markdown.js";
import { REPO_ROOT } from "../../../tests/helpers/data.js";
import { fileOf, generatedFrom } from "../../../tests/helpers/generate.js";
import { run } from "../../../tests/helpers/run.js";
import { ensurePythonEnv } from "../../../toolchain/python-env.js";

const PROBE = `
import inspect, json, os, sys

try:  # Airflow 3.2+
    from airflow.dag_processing.dagbag import DagBag
except ImportError:
    from airflow.models.dagbag import DagBag
from airflow import __version__
from airflow.sdk.execution_time.context import VariableAccessor

folder, overrides = sys.argv[1], json.loads(sys.argv[2])
kwargs = {"dag_folder": folder}
# include_examples left DagBag in Airflow 3.3 (examples are a bundle of their own); pass it where it exists.
if "include_examples" in inspect.signature(DagBag.__init__).parameters:
    kwargs["include_examples"] = False
bag = DagBag(**kwargs)


def render(dag):
    context = {"var": {"value": VariableAccessor(False), "json": VariableAccessor(True)}}
    env = dag.get_template_env()
    return {t.task_id: t.render_template(t.bash_command, context, jinja_env=env) for t in dag.tasks}


out = {
    "version": __version__,
    "importErrors": {os.path.basename(path): error for path, error in bag.import_errors.items()},
    "dags": {},
}
for dag_id, dag in bag.dags.items():
    out["dags"][dag_id] = {
        "file": os.path.basename(dag.fileloc),
        "schedule": str(dag.schedule),
        "timetable": type(dag.timetable).__name__,
        "startDate": dag.start_date.isoformat(),
        "catchup": dag.catchup,
        "maxActiveRuns": dag.max_active_runs,
        "dagrunTimeoutSeconds": dag.dagrun_timeout.total_seconds() if dag.dagrun_timeout else None,
        "tags": sorted(dag.tags),
        "doc": dag.doc_md,
        "tasks": {
            t.task_id: {
                "operator": type(t).__module__ + "." + type(t).__name__,
                "upstream": sorted(t.upstream_task_ids),
                "downstream": sorted(t.downstream_task_ids),
                "owner": t.owner,
                "retries": t.retries,
                "retryDelaySeconds": t.retry_delay.total_seconds(),
                "executionTimeoutSeconds": t.execution_timeout.total_seconds() if t.execution_timeout else None,
                "triggerRule": str(getattr(t.trigger_rule, "value", t.trigger_rule)),
            }
            for t in dag.tasks
        },
        "rendered": {"defaults": render(dag)},
    }
os.environ.update(overrides)
for dag_id, dag in bag.dags.items():
    out["dags"][dag_id]["rendered"]["variables"] = render(dag)
print(json.dumps(out))
`;

interface Probe {
  version: string;
  importErrors: Record<string, string>;
  dags: Record<
    string,
    {
      file: string;
      schedule: string;
      timetable: string;
      startDate: string;
      catchup: boolean;
      maxActiveRuns: number;
      dagrunTimeoutSeconds: number | null;
      tags: string[];
      doc: string;
      tasks: Record<string, { operator: string; upstream: string[]; downstream: string[]; owner: string; retries: number; retryDelaySeconds: number; executionTimeoutSeconds: number | null; triggerRule: string }>;
      rendered: Record<"defaults" | "variables", Record<string, string>>;
    }
  >;
}

const work = mkdtempSync(join(tmpdir(), "airflow-dagbag-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let python: string;

beforeAll(async () => {
  ({ python } = await ensurePythonEnv("airflow", { root: REPO_ROOT }));
}, 15 * 60_000);

/** A DagBag over `files` (name → source) in a fresh folder and AIRFLOW_HOME; Variables set after a first render. */
function dagBag(name: string, files: Record<string, string>, variables: Record<string, string> = {}): Probe {
  const folder = join(work, name, "dags");
  mkdirSync(folder, { recursive: true });
  for (const [file, source] of Object.entries(files)) writeFileSync(join(folder, file), source);
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^(AIRFLOW|DBT)_/.test(key)) env[key] = value;
  Object.assign(env, {
    AIRFLOW_HOME: join(work, name, "home"),
    AIRFLOW__CORE__LOAD_EXAMPLES: "False",
    AIRFLOW__CORE__DAGS_FOLDER: folder,
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `sqlite:///${join(work, name, "home", "airflow.db")}`,
    PYTHONDONTWRITEBYTECODE: "1",
  });
  const result = run(python, ["-c", PROBE, folder, JSON.stringify(variables)], { env });
  if (result.status !== 0) throw new Error(`the DagBag probe failed (exit ${result.status}):\n${result.stderr.slice(-4000)}`);
  return JSON.parse(result.stdout.trim().split("\n").at(-1)!) as Probe;
}

const DAG_FILE = "amazon_reviews_dbt.py";
const dagSource = async () => fileOf((await generatedFrom()).files, `generated/airflow/dags/${DAG_FILE}`);

describe("Airflow DagBag imports the generated DAG", () => {
  let probe: Probe;
  beforeAll(async () => {
    probe = dagBag("generated", { [DAG_FILE]: await dagSource() }, {
      AIRFLOW_VAR_AMAZON_REVIEWS_DBT_EXECUTABLE: "/opt/venvs/dbt/bin/dbt",
      AIRFLOW_VAR_AMAZON_REVIEWS_DBT_PROJECT_DIR: "/srv/dbt projects/amazon's reviews",
      AIRFLOW_VAR_AMAZON_REVIEWS_DBT_PROFILES_DIR: "/srv/profiles; rm -rf /",
      AIRFLOW_VAR_AMAZON_REVIEWS_DBT_TARGET: "local",
    });
  }, 120_000);

  it("with no import errors, on Airflow 3", () => {
    expect(probe.importErrors).toEqual({});
    expect(probe.version).toMatch(/^3\./);
    expect(Object.keys(probe.dags)).toEqual(["amazon_reviews_dbt"]);
  });

  it("with the schedule, start date, catchup, concurrency and tags of the platform", () => {
    const dag = probe.dags.amazon_reviews_dbt!;
    expect(dag).toMatchObject({
      file: DAG_FILE,
      schedule: "0 6 * * *",
      timetable: "CronTriggerTimetable",
      startDate: "2026-01-01T00:00:00+00:00",
      catchup: false,
      maxActiveRuns: 1,
      tags: ["amazon-reviews", "dbt", "snowflake"],
    });
  });

  it("source freshness (no retry), then build whatever it found (with retries), then a watcher that fails the run if either failed (no dbt deps): BashOperators of the standard provider, each owned", () => {
    const tasks = probe.dags.amazon_reviews_dbt!.tasks;
    expect(Object.keys(tasks).sort()).toEqual(["dbt_build", "dbt_source_freshness", "watcher"]);
    expect(tasks.dbt_source_freshness).toMatchObject({ upstream: [], downstream: ["dbt_build", "watcher"], triggerRule: "all_success" });
    expect(tasks.dbt_build).toMatchObject({ upstream: ["dbt_source_freshness"], downstream: ["watcher"], triggerRule: "all_done" });
    expect(tasks.watcher).toMatchObject({ upstream: ["dbt_build", "dbt_source_freshness"], downstream: [], triggerRule: "one_failed", retries: 0 });
    for (const task of Object.values(tasks)) {
      expect(task).toMatchObject({ operator: "airflow.providers.standard.operators.bash.BashOperator", owner: "reviews-data-platform", retryDelaySeconds: 600 });
    }
    // Only the build retries: a retry cannot freshen a stale source, and the build (all_done) would wait for it.
    expect([tasks.dbt_source_freshness!.retries, tasks.dbt_build!.retries]).toEqual([0, 2]);
  });

  it("stops a run at the end of its 2-hour window (dashboards refresh then), and every task before it, retries and delays included", () => {
    const dag = probe.dags.amazon_reviews_dbt!;
    expect(dag.dagrunTimeoutSeconds).toBe(2 * 3600);
    const t = dag.tasks;
    const minutes = (task: string) => t[task]!.executionTimeoutSeconds! / 60;
    expect({ dbt_source_freshness: minutes("dbt_source_freshness"), dbt_build: minutes("dbt_build"), watcher: minutes("watcher") }).toEqual({ dbt_source_freshness: 10, dbt_build: 25, watcher: 5 });
    // The worst case, one after the other: every try of every task at its timeout, with the retry delays.
    const worst = Object.values(t).reduce((sum, task) => sum + (task.retries + 1) * task.executionTimeoutSeconds! + task.retries * task.retryDelaySeconds, 0);
    expect(worst).toBe(110 * 60);
    expect(worst).toBeLessThanOrEqual(dag.dagrunTimeoutSeconds!);
    // The DAG's documentation says where a failure is seen; nothing claims it sends an alert.
    expect(dag.doc).toContain("The DAG sends nothing");
    expect(dag.doc).not.toMatch(/source alerts/);
  });

  it("renders the production dbt command lines when no Variable is set", () => {
    const rendered = probe.dags.amazon_reviews_dbt!.rendered.defaults;
    const options = "--project-dir /opt/airflow/dbt/amazon_reviews --profiles-dir /opt/airflow/dbt/profiles --target prod";
    expect(rendered).toEqual({ dbt_source_freshness: `dbt source freshness ${options}`, dbt_build: `dbt build --store-failures ${options}`, watcher: "echo 'A task of this run failed: see its log.' >&2; exit 1" });
  });

  it("renders the Airflow Variables instead when set, each one shell-quoted", () => {
    const rendered = probe.dags.amazon_reviews_dbt!.rendered.variables;
    const options = `--project-dir '/srv/dbt projects/amazon'"'"'s reviews' --profiles-dir '/srv/profiles; rm -rf /' --target local`;
    expect(rendered.dbt_source_freshness).toBe(`/opt/venvs/dbt/bin/dbt source freshness ${options}`);
    expect(rendered.dbt_build).toBe(`/opt/venvs/dbt/bin/dbt build --store-failures ${options}`);
    // bash reads each value back as one word, unchanged.
    const words = run("bash", ["-c", `printf '%s\\n' ${rendered.dbt_build}`]);
    expect(words.stdout.split("\n").slice(0, -1)).toEqual([
      "/opt/venvs/dbt/bin/dbt",
      "build",
      "--store-failures",
      "--project-dir",
      "/srv/dbt projects/amazon's reviews",
      "--profiles-dir",
      "/srv/profiles; rm -rf /",
      "--target",
      "local",
    ]);
  });
});

describe("Airflow DagBag imports the DAG of hostile contract text", () => {
  it("with the text as data in doc_md and nothing rendered from it", async () => {
    const source = fileOf((await generatedFrom("tests/fixtures/kitchen-sink")).files, `generated/airflow/dags/${DAG_FILE}`);
    const probe = dagBag("kitchen-sink", { [DAG_FILE]: source });
    expect(probe.importErrors).toEqual({});
    // Airflow keeps the Markdown as given: the contract text, Markdown-escaped, with nothing of it rendered.
    expect(probe.dags.amazon_reviews_dbt!.doc).toContain(mdCell(`It's "quoted" and """triple""" with {{ jinja }} {% tag %} */ /* <b>html</b> | pipe \\ back`));
    expect(probe.dags.amazon_reviews_dbt!.rendered.defaults.dbt_build).toBe("dbt build --store-failures --project-dir /opt/airflow/dbt/amazon_reviews --profiles-dir /opt/airflow/dbt/profiles --target prod");
  }, 120_000);
});

describe("Airflow DagBag reports broken copies (the import check can fail)", () => {
  it("an import that does not exist, and a dependency cycle, are import errors and load no DAG", async () => {
    const source = await dagSource();
    const brokenImport = source.replace("import shlex\n", "import shlex\nimport airflow_module_that_does_not_exist  # noqa: F401\n");
    const cycle = source.replace("    dbt_source_freshness >> dbt_build\n", "    dbt_source_freshness >> dbt_build >> dbt_source_freshness\n");
    expect(brokenImport).not.toBe(source);
    expect(cycle).not.toBe(source);
    const probe = dagBag("broken", { "broken_import.py": brokenImport, "cycle.py": cycle });
    expect(Object.keys(probe.importErrors).sort()).toEqual(["broken_import.py", "cycle.py"]);
    expect(probe.importErrors["broken_import.py"]).toContain("airflow_module_that_does_not_exist");
    expect(probe.importErrors["cycle.py"]).toMatch(/cycle/i);
    expect(probe.dags).toEqual({});
  }, 120_000);
});
