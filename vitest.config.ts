import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

// npm's INIT_CWD names the folder `npm test` was typed in; the commands take a relative path from there
// (generators/lib/cli-args.ts). The cases give relative paths from the repository's folder, where they run, wherever
// the suite was started: the test processes (started after this file is read) do not get it.
delete process.env.INIT_CWD;

export default defineConfig({
  test: {
    include: ["generators/**/*.test.ts", "toolchain/**/*.test.ts", "runners/**/*.test.ts", "catalog/**/*.test.ts", "tests/**/*.test.ts"],
    // Many cases run real engines in child processes (Spark, dbt, tsc, the CLIs): on a slow or busy machine one takes
    // well over a minute, and a case failing on its timeout says nothing of what it checks. Set-up hooks run whole
    // pipelines or engines, beside another test file's work (below).
    testTimeout: 180_000,
    hookTimeout: 300_000,
    pool: "forks",
    // Two test files at a time at least. vitest's default is one fewer than the cores, so one at a time on two: most of
    // the suite's time is spent waiting on child processes (Spark, dbt, Airflow, pip, tsc), which a second file's work
    // fills. On two cores this cuts the suite from about 22 to about 14 minutes. Test files share no scratch state: each
    // makes its own temporary folders, and the Python envs they share are installed under a lock.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
