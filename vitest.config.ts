import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["generators/**/*.test.ts", "toolchain/**/*.test.ts", "runners/**/*.test.ts", "catalog/**/*.test.ts", "tests/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
