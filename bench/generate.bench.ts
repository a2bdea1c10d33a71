/**
 * `npm run bench:generate`: wall time of generate (contracts → IR → all files, in memory) and of `--check`
 * (the same plus the byte comparison with disk), for the real contracts and for synthetic contracts of 125, 250
 * and 500 columns, as medians of several runs. Also the cold start of the whole command as a user runs it
 * (`npm run generate -- --check --quiet`, a fresh process each time) with the launcher's cache warm, right after a
 * contract was edited (what users do before each run) and empty.
 * Prints figures; asserts nothing (performance is claimed by figures, not by timed tests).
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadContracts, findContractFiles } from "../generators/ir/load.js";
import { buildIR } from "../generators/ir/build.js";
import { buildFileSet } from "../generators/assemble/file-set.js";
import { compareWithDisk } from "../generators/assemble/writer.js";
import { parseWholeNumber } from "../generators/lib/numbers.js";

const ROOT = join(import.meta.dirname, "..");

const HELP = `Usage: npm run bench:generate [-- --runs N]

Times generate (contracts → IR → all files, in memory) and --check (the same plus the byte comparison with disk) for
the real contracts and for synthetic contracts of 125, 250 and 500 columns (medians of N in-process runs, default 7;
BENCH_RUNS sets it too), and the cold start of \`npm run generate -- --check --quiet\` as fresh processes: with the
launcher's cache warm, right after a contract edit, with the cache empty, and through tsx. Prints figures; asserts
nothing. Takes about a minute.`;

let args;
try {
  args = parseArgs({ options: { runs: { type: "string" }, help: { type: "boolean", short: "h", default: false } } }).values;
} catch (error) {
  console.error(`error CLI.USAGE: ${(error as Error).message}\n  fix: run npm run bench:generate -- --help for the options.`);
  process.exit(2);
}
if (args.help) {
  console.log(HELP);
  process.exit(0);
}
const RUNS_TEXT = args.runs ?? process.env.BENCH_RUNS;
const RUNS = RUNS_TEXT === undefined ? 7 : (parseWholeNumber(RUNS_TEXT, 1, 1000) ?? 0);
if (RUNS < 1) {
  console.error(
    `error CLI.USAGE: --runs (or BENCH_RUNS) must be a whole number from 1 to 1000, written with digits only, not "${args.runs ?? process.env.BENCH_RUNS}".\n  fix: pass e.g. --runs 7 (the default), or leave it out.`,
  );
  process.exit(2);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

function syntheticContract(columns: number): string {
  const kinds = [
    (i: number) => `c${i}: column(z.string().regex(/^[A-Z0-9]+$/).optional(), { normalize: ["trim", "empty_to_null"], description: "Text column ${i}." }),`,
    (i: number) => `c${i}: column(z.int().min(0).optional(), { description: "Integer column ${i}." }),`,
    (i: number) => `c${i}: column(z.number().min(0).max(1000).optional(), { type: types.decimal(9, 2), description: "Amount column ${i}." }),`,
    (i: number) => `c${i}: column(z.boolean().optional(), { description: "Flag column ${i}." }),`,
  ];
  const fields = Array.from({ length: columns - 1 }, (_, i) => `    ${kinds[i % kinds.length]!(i + 1)}`);
  return `import { z } from "zod";
import { column, defineContract, types } from "../../../generators/contract-kit/index.js";

export default defineContract({
  dataset: "synthetic_${columns}",
  version: "1.0.0",
  owner: "bench",
  description: "Synthetic contract with ${columns} columns.",
  schema: z.object({
    id: column(z.string(), { description: "Key." }),
${fields.join("\n")}
  }),
  key: { column: "id" },
  locations: {
    raw: "s3://bench-raw/s/", cleaned: "s3://bench-cleaned/s/", quarantine: "s3://bench-quarantine/s/", processed: "s3://bench-processed/s/",
  },
});
`;
}

async function measure(label: string, contractsDir: string, columns: number) {
  const files = findContractFiles(contractsDir);
  // Import once: module loading is a one-off cost, reported by the cold-start figure below.
  const loaded = await loadContracts(files, ROOT);
  const out = mkdtempSync(join(tmpdir(), "bench-out-"));
  const generate: number[] = [];
  const check: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    generate.push(await time(async () => buildFileSet(buildIR(loaded))));
    check.push(await time(async () => compareWithDisk(out, (await buildFileSet(buildIR(loaded))).files)));
  }
  rmSync(out, { recursive: true, force: true });
  const g = median(generate);
  return { label, columns, generateMs: g, checkMs: median(check), perColumnUs: (g * 1000) / columns };
}

const results = [];
const real = await measure("contracts/ (review + product)", join(ROOT, "contracts"), 0);
const { ir } = { ir: buildIR(await loadContracts(findContractFiles(join(ROOT, "contracts")), ROOT)) };
const realColumns = ir.datasets.reduce((n, d) => n + d.table.columns.length + d.children.reduce((m, c) => m + c.columns.length, 0), 0);
results.push({ ...real, columns: realColumns, perColumnUs: (real.generateMs * 1000) / realColumns });

const scratch = join(ROOT, "bench/.tmp");
for (const columns of [125, 250, 500]) {
  const dir = join(scratch, `c${columns}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `synthetic.contract.ts`), syntheticContract(columns));
  results.push(await measure(`synthetic ${columns} columns`, dir, columns));
}

/** Wall time of one fresh process, as a user runs it; the bench stops if it does not exit with `status`. */
function timeProcess(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env, status = 0): number {
  const start = performance.now();
  const r = spawnSync(command, [...args], { cwd: ROOT, env });
  const ms = performance.now() - start;
  if (r.status !== status) throw new Error(`${command} ${args.join(" ")} exited ${r.status}, not ${status}: ${r.stdout}${r.stderr}`);
  return ms;
}

// `npm run generate` runs generators/launch.mjs: the CLI from a build cached in node_modules/.cache (warm), or built
// first when the cache is empty (cold: a fresh cache folder, the same as a removed one). The tsx path is what the
// launcher falls back to, and what `npm run generate` ran before it.
const NPM_CHECK = ["run", "-s", "generate", "--", "--check", "--quiet"];
const COLD_RUNS = Math.min(RUNS, 5);
timeProcess("npm", NPM_CHECK); // fills the cache if it was empty
const warm = Array.from({ length: COLD_RUNS }, () => timeProcess("npm", NPM_CHECK));
const coldCache = mkdtempSync(join(tmpdir(), "bench-generate-cache-"));
const cold = timeProcess("npm", NPM_CHECK, { ...process.env, REVIEW_CONTRACTS_CACHE_DIR: coldCache });
rmSync(coldCache, { recursive: true, force: true });
// After a contract edit: a copy of the real contracts, one of them edited (a comment added) before each run, so the
// launcher rebuilds the contracts' bundle (the generator's stays cached). The generated files then name the copy and
// its new hash: --check exits 1, after the same work as for an unchanged contract.
const edited = join(scratch, "edited");
mkdirSync(edited, { recursive: true });
for (const name of readdirSync(join(ROOT, "contracts")).filter((file) => file.endsWith(".contract.ts"))) {
  writeFileSync(join(edited, name), readFileSync(join(ROOT, "contracts", name), "utf8").replaceAll('"../generators/', '"../../../generators/'));
}
const EDITED_CHECK = [...NPM_CHECK, "--contracts", edited];
timeProcess("npm", EDITED_CHECK, process.env, 1); // the generator's bundle, if it was not cached
const afterEdit = Array.from({ length: COLD_RUNS }, (_, i) => {
  appendFileSync(join(edited, "review.contract.ts"), `// edit ${i}\n`);
  return timeProcess("npm", EDITED_CHECK, process.env, 1);
});
rmSync(scratch, { recursive: true, force: true });
const viaTsx = Array.from({ length: COLD_RUNS }, () => timeProcess(process.execPath, ["--import", "tsx", "generators/cli.ts", "--check", "--quiet"]));

console.log(`generate / check, median of ${RUNS} runs (in process, after module load)`);
console.log("| input | columns | generate ms | check ms | µs per column | vs 125 columns (per column) |");
console.log("|---|---|---|---|---|---|");
const base = results.find((r) => r.columns === 125)!;
for (const r of results) {
  console.log(
    `| ${r.label} | ${r.columns} | ${r.generateMs.toFixed(1)} | ${r.checkMs.toFixed(1)} | ${r.perColumnUs.toFixed(0)} | ${(r.perColumnUs / base.perColumnUs).toFixed(2)}× |`,
  );
}
const each = (values: number[]) => values.map((v) => v.toFixed(0)).join(", ");
console.log(`\nfresh \`npm run generate -- --check --quiet\` processes (npm, Node, module load, --check of the real contracts):`);
console.log(`  cache warm, median of ${warm.length}: ${median(warm).toFixed(0)} ms [${each(warm)}]`);
console.log(`  right after a contract edit (rebuilds the contracts' bundle), median of ${afterEdit.length}: ${median(afterEdit).toFixed(0)} ms [${each(afterEdit)}]`);
console.log(`  cache empty (builds the generator's and the contracts' bundles first), one run: ${cold.toFixed(0)} ms`);
console.log(`  for comparison, node --import tsx generators/cli.ts --check --quiet (no npm), median of ${viaTsx.length}: ${median(viaTsx).toFixed(0)} ms [${each(viaTsx)}]`);
const ratio = results.find((r) => r.columns === 500)!.generateMs / base.generateMs;
console.log(`growth: 500 columns take ${ratio.toFixed(2)}× the time of 125 columns (4× the columns; linear = 4.00×)`);
