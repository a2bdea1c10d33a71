// The installers' shared command line (python:setup, go:setup), on a stand-in setup function: what it runs, and how
// it answers a wrong option or name.
import { describe, expect, it } from "vitest";
import { setupMain, type SetupCommand } from "./setup-cli.js";

function sink() {
  let text = "";
  return { stream: { write: (t: string) => (text += t) }, text: () => text };
}

async function runSetup(args: string[], failOn?: string) {
  const done: string[] = [];
  const spec: SetupCommand = {
    command: "python:setup",
    kind: "Python environment",
    names: ["spark", "lint", "dbt"],
    description: "Installs them.",
    setup: async (name) => {
      if (name === failOn) throw new Error(`python env "${name}": pip install failed`);
      done.push(name);
      return { label: `python env "${name}"`, folder: `${process.cwd()}/.venv/${name}/bin` };
    },
  };
  const out = sink();
  const err = sink();
  const code = await setupMain(args, spec, out.stream, err.stream);
  return { code, done, out: out.text(), err: err.text() };
}

describe("setupMain", () => {
  it("sets up every name when none is given, in order, one line each", async () => {
    expect(await runSetup([])).toEqual({ code: 0, done: ["spark", "lint", "dbt"], out: 'python env "spark": .venv/spark/bin\npython env "lint": .venv/lint/bin\npython env "dbt": .venv/dbt/bin\n', err: "" });
    expect((await runSetup(["dbt"])).done).toEqual(["dbt"]);
  });

  it("stops at the first failure with exit 2 and its message", async () => {
    expect(await runSetup([], "lint")).toEqual({ code: 2, done: ["spark"], out: 'python env "spark": .venv/spark/bin\n', err: 'error: python env "lint": pip install failed\n' });
  });

  it("answers a mistyped name or option with the one meant, and anything else with what there is", async () => {
    expect(await runSetup(["dbtt"])).toMatchObject({ code: 2, done: [], err: 'error CLI.USAGE: "dbtt" is not a Python environment of the project.\n  fix: did you mean dbt? Or name one or more of spark, lint, dbt, or none for all.\n' });
    expect(await runSetup(["airflow"])).toMatchObject({ code: 2, done: [], err: 'error CLI.USAGE: "airflow" is not a Python environment of the project.\n  fix: name one or more of spark, lint, dbt, or none for all.\n' });
    expect(await runSetup(["--hepl"])).toMatchObject({ code: 2, done: [], err: "error CLI.USAGE: Unknown option '--hepl'.\n  fix: did you mean --help? Or run npm run python:setup -- --help for the usage.\n" });
    expect(await runSetup(["--force"])).toMatchObject({ code: 2, done: [], err: "error CLI.USAGE: Unknown option '--force'.\n  fix: run npm run python:setup -- --help for the usage.\n" });
  });

  it("prints its usage with the names, and its version, without setting anything up", async () => {
    const help = await runSetup(["--help"]);
    expect(help).toMatchObject({ code: 0, done: [], err: "" });
    expect(help.out).toBe("Usage: npm run python:setup [-- name ...]\n\nInstalls them.\nNames: spark, lint, dbt (default: all). Exit 0 on success, 2 on failure.\n--version prints the name and version of the tool.\n");
    expect(await runSetup(["--version"])).toMatchObject({ code: 0, done: [], out: expect.stringMatching(/^review-contracts \S+\n$/) });
  });
});
