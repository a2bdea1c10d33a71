import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["generators/**/*.test.ts", "toolchain/**/*.test.ts", "runners/**/*.test.ts", "catalog/**/*.test.ts", "tests/**/*.test.ts"],
    // Many cases run real engines in child processes (Spark, dbt, tsc, the CLIs): on a slow or busy machine one takes
    // well over a minute, and a case failing on its timeout says nothing of what it checks.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
