/**
 * `npm run catalog [-- options]`: builds the static contract catalog and data-quality site, optionally serves it.
 *
 * Exit codes: 0 built (and, with --serve, served until interrupted); 2 usage error or unreadable input.
 */
import { existsSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { givenPath, parseArgsFix, versionLine } from "../generators/lib/cli-args.js";
import { repositoryClash } from "../generators/lib/repository-folders.js";
import { buildSite } from "./build.js";
import { CatalogError } from "./errors.js";
import { serveSite, type Served } from "./serve.js";
import { writeSite } from "./write.js";

export const HELP = `Usage: npm run catalog [-- options]

Builds a static site from the contracts (IR), the generated artifacts, git history and a pipeline run's output:
an index with search, a page per dataset (every column with its type per engine, PII class, rules, normalisations
and lineage from the raw JSON to the marts), the contracts' history with the contract review of each change, the
data quality of the run (counts, quarantine reasons, rows per partition, dbt tests, masked sample records)
and, with --base, the pull request's contract changes and the generated files they touch.

Options:
  --out <dir>          Output folder (default: .catalog-out/); index.html at its root.
  --run <dir>          A pipeline run's output folder (default: .pipeline-out/, the last npm run pipeline:local;
                       when the default holds no run, the pages say so). A folder a run is writing is
                       refused (CATALOG.RUN_IN_PROGRESS): wait for the run to end.
  --no-run             Build without a run.
  --base <git-ref>     Add the pull-request page: contract changes against <git-ref> (e.g. origin/main).
  --contracts <dir>    Contract folder (relative to --root; default: <root>/contracts).
  --root <dir>         Repository root (default: the current directory; under npm run, the package's).
  --no-history         Skip the git history (the history page says so).
  --serve              Serve the site on 127.0.0.1 after building it, until interrupted.
  --port <n>           Port for --serve (default: 8765; 0 picks a free one).
  --quiet              Print only errors and the final line.
  -h, --help           Show this help.
  --version            Print the name and version of the tool.

Exit codes: 0 built; 2 bad usage or input that cannot be read (coded errors: CLI.USAGE, CLI.NO_CONTRACTS,
CATALOG.CONTRACT, CATALOG.NO_RUN, CATALOG.BAD_RUN, CATALOG.RUN_IN_PROGRESS, CATALOG.BASE, CATALOG.UNOWNED_FILE, CATALOG.LINKED_FOLDER, CATALOG.WRITE, CATALOG.SERVE).`;

type Writer = { write(text: string): unknown };

export interface MainResult {
  readonly code: number;
  /** The server when --serve was given and the site is being served. */
  readonly served?: Served;
}

function usage(err: Writer, message: string, fix = "run npm run catalog -- --help for the options."): MainResult {
  err.write(new CatalogError("CLI.USAGE", message, fix).format());
  return { code: 2 };
}

/** A folder as printed: relative to the current directory when inside it (no machine paths in logs people paste). */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === "" ? "." : rel.startsWith("..") ? path : rel;
}

export async function run(argv: readonly string[], out: Writer = process.stdout, err: Writer = process.stderr): Promise<MainResult> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      allowPositionals: false,
      options: {
        out: { type: "string" },
        run: { type: "string" },
        "no-run": { type: "boolean", default: false },
        base: { type: "string" },
        contracts: { type: "string" },
        root: { type: "string" },
        "no-history": { type: "boolean", default: false },
        serve: { type: "boolean", default: false },
        port: { type: "string" },
        quiet: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
        version: { type: "boolean", default: false },
      },
    }));
  } catch (error) {
    return usage(err, (error as Error).message, parseArgsFix(error, HELP));
  }
  if (values.help) {
    out.write(`${HELP}\n`);
    return { code: 0 };
  }
  if (values.version) {
    out.write(`${versionLine()}\n`);
    return { code: 0 };
  }
  if (values.run !== undefined && values["no-run"]) return usage(err, "give --run <dir> or --no-run, not both.");
  if (values.run !== undefined && values.run.trim() === "") return usage(err, "--run needs a folder.");
  if (values.out !== undefined && values.out.trim() === "") return usage(err, "--out needs a folder.");
  if (values.base !== undefined && (values.base.trim() === "" || values.base.startsWith("-"))) return usage(err, `--base "${values.base}" is not a git ref.`);
  let port = 8765;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d{1,5}$/.test(values.port) || port > 65535) return usage(err, `--port "${values.port}" is not a port number (0-65535).`);
    if (!values.serve) return usage(err, "--port applies only with --serve.");
  }
  const root = values.root === undefined ? process.cwd() : givenPath(values.root);
  const contractsDir = resolve(root, values.contracts ?? "contracts");
  const outDir = values.out === undefined ? join(root, ".catalog-out") : givenPath(values.out);
  if (existsSync(outDir) && !statSync(outDir).isDirectory()) return usage(err, `--out ${outDir} is a file, not a folder: the catalog writes a site (index.html and its pages) into a folder. Pass a folder, e.g. --out .catalog-out (the default).`);
  const clash = repositoryClash(root, outDir);
  if (clash) return usage(err, `--out ${outDir} ${clash}; the catalog replaces the pages it wrote there. Pass a folder of its own, e.g. --out .catalog-out (the default) or a folder outside the repository.`);
  const runDir = values["no-run"] ? null : values.run === undefined ? join(root, ".pipeline-out") : givenPath(values.run);
  if (values.run !== undefined && runDir && !existsSync(runDir)) {
    err.write(new CatalogError("CATALOG.NO_RUN", `The run folder ${values.run} does not exist.`, "Pass --run <dir> of a pipeline run's output (npm run pipeline:local writes .pipeline-out/).").format());
    return { code: 2 };
  }

  const started = performance.now();
  try {
    const site = await buildSite({ root, contractsDir, runDir, runOptional: values.run === undefined, base: values.base ?? null, history: !values["no-history"] });
    writeSite(outDir, site.files);
    const ms = Math.round(performance.now() - started);
    const index = join(outDir, "index.html");
    if (!values.quiet) {
      const run = site.model.run;
      out.write(`Catalog: ${site.pages.length} pages (${site.pages.join(", ")}), ${site.files.length - site.pages.length} assets.\n`);
      out.write(run ? `Run: ${run.summary.runId} from ${shown(runDir!)}.\n` : `Run: none (${site.model.runNote})\n`);
    }
    // The build itself, then the whole process so far (starting Node and tsx and loading modules included).
    out.write(`Built the catalog in ${ms} ms (${Math.round(performance.now())} ms since the process started): open ${shown(index)}${values.serve ? "" : " (or serve it: npm run catalog -- --serve)"}.\n`);
  } catch (error) {
    if (error instanceof CatalogError) {
      err.write(error.format());
      return { code: 2 };
    }
    // Writing the site failed (no room, no permission, a file where a folder must go): say where, not a stack.
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === "string" && /^E[A-Z]+$/.test(code)) {
      err.write(new CatalogError("CATALOG.WRITE", `Cannot write the site into ${outDir}: ${(error as Error).message}.`, "Check that --out is a folder you can write to and that the disk has room.").format());
      return { code: 2 };
    }
    throw error;
  }
  if (!values.serve) return { code: 0 };
  try {
    const served = await serveSite(outDir, port);
    out.write(`Serving the catalog at ${served.url} (127.0.0.1 only); stop with Ctrl+C.\n`);
    return { code: 0, served };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    err.write(
      new CatalogError("CATALOG.SERVE", `Cannot serve on 127.0.0.1:${port}: ${code ?? (error as Error).message}.`, code === "EADDRINUSE" ? "Pass another --port (or --port 0 for any free one)." : "Pass another --port.").format(),
    );
    return { code: 2 };
  }
}

export async function main(argv: readonly string[], out: Writer = process.stdout, err: Writer = process.stderr): Promise<number> {
  return (await run(argv, out, err)).code;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  run(process.argv.slice(2)).then(
    (result) => {
      // With --serve the open server keeps the process alive.
      if (!result.served) process.exit(result.code);
    },
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exit(2);
    },
  );
}
