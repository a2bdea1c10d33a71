/**
 * `npm run pipeline:local`: `runners/local-pipeline/cli.ts` from a cached single-file build (`generators/launcher.mjs`;
 * under tsx when it cannot be built). Plain JavaScript, so bare `node` runs it. `--help` answers in about 0.25 s
 * instead of 1.2 s through the `tsx` command, and a run is under way 0.3 s sooner than under `node --import tsx`: the
 * modules are not transformed one by one by tsx's loader.
 */
import { fileURLToPath } from "node:url";
import { launchCommand } from "../../generators/launcher.mjs";

launchCommand(
  {
    name: "pipeline-local",
    cli: "runners/local-pipeline/cli.ts",
    entry: fileURLToPath(import.meta.url),
    contracts: false,
    // A native addon: loaded from node_modules, where its platform's binary is.
    external: ["@duckdb/node-api"],
  },
  process.argv.slice(2),
);
