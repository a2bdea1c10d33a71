/**
 * Builds the site in memory: gathers the model (IR, run, git history, pull-request review), renders every page and
 * lists the assets. Writing is `write.ts`'s job. The same inputs give the same bytes: no clock, no absolute path,
 * stable order everywhere.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { render } from "../generators/diff/format.js";
import { BaseError, loadIRAtRef } from "../generators/diff/git-base.js";
import { buildReport, type Report } from "../generators/diff/report.js";
import { findContractFiles, loadIR } from "../generators/ir/load.js";
import type { ContractIR } from "../generators/ir/types.js";
import { ContractError, formatDiagnostic } from "../generators/lib/errors.js";
import { CatalogError } from "./errors.js";
import { contractHistory } from "./history.js";
import { PAGES, type CatalogModel, type PullRequestData } from "./model.js";
import { datasetPage } from "./pages/dataset-page.js";
import { historyPage, pullRequestPage } from "./pages/history-page.js";
import { indexPage } from "./pages/index-page.js";
import { page, type NavItem } from "./pages/layout.js";
import { qualityPage } from "./pages/quality-page.js";
import { readRun } from "./run.js";
import { runInProgress } from "../runners/local-pipeline/run-lock.js";

export interface BuildOptions {
  /** Repository root (git history, `node_modules`, paths in the IR). */
  readonly root: string;
  /** Contract folder (default `<root>/contracts`). */
  readonly contractsDir: string;
  /** A pipeline run's output folder; null for none. */
  readonly runDir: string | null;
  /** When the run folder is the default one, a missing run is a note on the page, not an error. */
  readonly runOptional: boolean;
  /** Git ref for the pull-request page; null for none. */
  readonly base: string | null;
  /** Collect the contracts' git history (default true). */
  readonly history?: boolean;
}

export interface SiteFile {
  /** Path inside the site, `/`-separated. */
  readonly path: string;
  readonly contents: string | Buffer;
}

export interface Site {
  readonly files: readonly SiteFile[];
  /** The HTML pages, in site order. */
  readonly pages: readonly string[];
  readonly model: CatalogModel;
}

const CATALOG_DIR = import.meta.dirname;

/** A file of an npm package, found from the catalog's folder up (the project's `node_modules`). */
function packageFile(name: string, file: string): string {
  for (let dir = CATALOG_DIR; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name, file);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`${name}/${file} is not installed. Fix: run npm ci.`);
  }
}

/** The libraries copied into the site (no CDN: the site works offline), with their licences. */
export const VENDOR_FILES: readonly { readonly path: string; readonly from: readonly [string, string] }[] = [
  { path: "assets/vendor/d3.min.js", from: ["d3", "dist/d3.min.js"] },
  { path: "assets/vendor/d3.LICENSE.txt", from: ["d3", "LICENSE"] },
  { path: "assets/vendor/plot.umd.min.js", from: ["@observablehq/plot", "dist/plot.umd.min.js"] },
  { path: "assets/vendor/plot.LICENSE.txt", from: ["@observablehq/plot", "LICENSE"] },
];

async function loadContracts(contractsDir: string, root: string): Promise<ContractIR> {
  if (!existsSync(contractsDir) || findContractFiles(contractsDir).length === 0) {
    throw new CatalogError("CLI.NO_CONTRACTS", `No *.contract.ts file in ${contractsDir}.`, "Pass --contracts <dir> with the contract files (default: contracts/).");
  }
  try {
    return await loadIR(contractsDir, root);
  } catch (error) {
    if (error instanceof ContractError) {
      throw new CatalogError("CATALOG.CONTRACT", `The contracts could not be loaded:\n${error.diagnostics.map(formatDiagnostic).join("\n")}`, "Fix the contracts (npm run generate reports the same errors).");
    }
    throw error;
  }
}

async function pullRequest(root: string, contractsDir: string, base: string, headIR: ContractIR): Promise<PullRequestData> {
  let baseIR: ContractIR;
  try {
    baseIR = await loadIRAtRef(root, contractsDir, base);
  } catch (error) {
    if (error instanceof BaseError) throw new CatalogError("CATALOG.BASE", error.message, "Pass --base with a branch, tag or commit that exists locally (git fetch it first).");
    if (error instanceof ContractError) {
      throw new CatalogError("CATALOG.BASE", `The contracts at ${base} could not be loaded:\n${error.diagnostics.map(formatDiagnostic).join("\n")}`, "Compare against a base whose contracts load with the current contract kit.");
    }
    throw error;
  }
  // Loaded only for this page: it builds both sides' file sets with every emitter (about 0.5 s of module loading).
  const { generatedChanges } = await import("../generators/diff/generated-changes.js");
  const report = buildReport(baseIR, headIR, { base, head: "working tree", generatedFiles: await generatedChanges(baseIR, headIR) });
  // The page shows what `contract:diff --format json` prints: the JSON form, read back.
  return { base, review: JSON.parse(render(report, "json")) as Report };
}

/**
 * A run writing the folder (its lock held by a live process) has not completed it: its run-summary.json is the last
 * run's or none until its tables are written, then has no warehouse section until dbt has run, and its tables may be
 * half replaced. A page built from it would say the warehouse did not run, or show half a run.
 */
function refuseRunInProgress(runDir: string): void {
  const holder = runInProgress(runDir);
  if (!holder) return;
  throw new CatalogError(
    "CATALOG.RUN_IN_PROGRESS",
    `A pipeline:local run${holder.pid === undefined ? "" : ` (pid ${holder.pid})`} is writing ${runDir}: its tables, run-summary.json and warehouse are not complete.`,
    "Wait for the run to end, then build the catalog again (npm start builds it after the run), or pass --run <dir> of another run's output folder (or --no-run).",
  );
}

/** How many times a run folder is read before the catalog gives up on runs that keep replacing it. */
export const RUN_READ_ATTEMPTS = 3;

/**
 * Which completed run a folder holds: its run-summary.json's bytes (hashed), or none. A run removes the file when it
 * starts and writes its own (another run id and processing time) when its tables are complete.
 */
function runStamp(runDir: string): string {
  try {
    return createHash("sha256").update(readFileSync(join(runDir, "run-summary.json"))).digest("hex");
  } catch {
    return "none";
  }
}

/**
 * Reads a run folder with `read`: refused while a run writes it (its lock); read again when a run started and ended
 * while it was read (the lock came and went between two looks at it, but the folder's run-summary.json changed), as
 * what was read may then mix two runs' files; at most `RUN_READ_ATTEMPTS` times in all. A failure of `read` in a
 * folder a run changed meanwhile is one of those, not reported.
 */
export async function readSettledRun<T>(runDir: string, read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    refuseRunInProgress(runDir);
    const before = runStamp(runDir);
    const result = await read().then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    // A run that started while the folder was read: what was read may be half its.
    refuseRunInProgress(runDir);
    if (runStamp(runDir) === before) {
      if ("error" in result) throw result.error;
      return result.value;
    }
    if (attempt === RUN_READ_ATTEMPTS) {
      throw new CatalogError(
        "CATALOG.RUN_IN_PROGRESS",
        `pipeline:local runs replaced ${runDir}'s run-summary.json while the catalog read the folder, ${RUN_READ_ATTEMPTS} times in a row: what was read would mix runs.`,
        "Build the catalog again once no run is writing the folder, or pass --run <dir> of another run's output folder (or --no-run).",
      );
    }
  }
}

export async function gatherModel(options: BuildOptions): Promise<CatalogModel> {
  const ir = await loadContracts(options.contractsDir, options.root);
  let run = null;
  let runNote = "";
  if (options.runDir === null) runNote = "No pipeline run was given (--no-run).";
  else {
    const runDir = options.runDir;
    ({ run, runNote } = await readSettledRun(runDir, async () =>
      options.runOptional && !existsSync(join(runDir, "run-summary.json"))
        ? { run: null, runNote: "No completed pipeline run in .pipeline-out/ (none yet, or the last one failed or was stopped): run npm run pipeline:local (or npm start), then build the catalog again." }
        : { run: await readRun(runDir, ir.datasets), runNote: "" },
    ));
  }
  // Both loads end before a failure of either is reported: each works in a copy of the contracts inside the
  // repository (`.contract-diff-*`) that it removes when it ends, and the command exits once the failure is reported
  // (a bad --base fails at once, while the history is still being loaded in its copy, which then stayed behind).
  const [history, pr] = await Promise.allSettled([
    options.history === false ? Promise.resolve(null) : contractHistory(options.root, options.contractsDir),
    options.base === null ? Promise.resolve(null) : pullRequest(options.root, options.contractsDir, options.base, ir),
  ]);
  if (pr.status === "rejected") throw pr.reason;
  if (history.status === "rejected") throw history.reason;
  return { ir, run, runNote, history: history.value, pullRequest: pr.value };
}

export function renderSite(model: CatalogModel): Site {
  const nav: NavItem[] = [
    { page: PAGES.index, label: "Datasets" },
    { page: PAGES.quality, label: "Data quality" },
    { page: PAGES.history, label: "History" },
    ...(model.pullRequest ? [{ page: PAGES.pullRequest, label: "Pull request" }] : []),
  ];
  const files: SiteFile[] = [];
  const add = (path: string, title: string, body: ReturnType<typeof indexPage>, charts = false) => files.push({ path, contents: page({ path, title, nav, body, charts }) });
  add(PAGES.index, "Datasets", indexPage(model));
  for (const dataset of model.ir.datasets) add(PAGES.dataset(dataset.name), `Dataset ${dataset.name}`, datasetPage(model, dataset));
  add(PAGES.quality, "Data quality", qualityPage(model), model.run !== null);
  add(PAGES.history, "History", historyPage(model));
  if (model.pullRequest) add(PAGES.pullRequest, "Pull request", pullRequestPage(model.pullRequest));
  const pages = files.map((f) => f.path);
  for (const asset of ["catalog.css", "catalog.js"]) files.push({ path: `assets/${asset}`, contents: readFileSync(join(CATALOG_DIR, "assets", asset)) });
  for (const vendor of VENDOR_FILES) files.push({ path: vendor.path, contents: readFileSync(packageFile(...vendor.from)) });
  return { files, pages, model };
}

export async function buildSite(options: BuildOptions): Promise<Site> {
  return renderSite(await gatherModel({ ...options, root: resolve(options.root) }));
}
