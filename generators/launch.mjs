/**
 * `npm run generate`: `generators/cli.ts` from a cached single-file build of it and of the contracts it will load
 * (`launcher.mjs`). Plain JavaScript, so bare `node` runs it.
 */
import { fileURLToPath } from "node:url";
import { launchCommand } from "./launcher.mjs";

launchCommand(
  {
    name: "generate",
    cli: "generators/cli.ts",
    entry: fileURLToPath(import.meta.url),
    contracts: true,
    // prettier's entry imports each language plugin on first use; bundled, all of them (6.5 MB of parsers) would be
    // parsed on every start for the two it uses.
    external: ["prettier"],
  },
  process.argv.slice(2),
);
