/**
 * The catalog in real browsers, over `--serve`'s server: Debian's headless Chromium driven by playwright-core (every
 * check), and Debian's Firefox ESR driven by puppeteer-core over WebDriver BiDi (what depends on the browser's engine).
 *
 * One pipeline run on the shipped samples plus a hostile input file (real dbt included), one catalog of it with the
 * pull-request page, one catalog of the kitchen-sink contract (hostile descriptions). Expected numbers are computed
 * here from the run's own files (quarantine JSONL, Parquet folders, dbt's manifest) and the generated artifacts,
 * never from what the catalog wrote. Screenshots of each page type go to `.catalog-out/test-screenshots/`.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { execFileSync, spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { BrowserContext, Page } from "playwright-core";
import type { Browser as BidiBrowser, Page as BidiPage } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main as contractDiff } from "../generators/contract-diff-cli.js";
import type { Report } from "../generators/diff/report.js";
import { CONSUMER_NAMES, CONSUMERS } from "../generators/diff/rule-types.js";
import type { DatasetIR } from "../generators/ir/types.js";
import { main as pipeline } from "../runners/local-pipeline/cli.js";
import { launchChromium, launchFirefox, type LaunchedBrowser } from "../tests/helpers/browser.js";
import { run as catalog } from "./cli.js";
import type { Served } from "./serve.js";

const root = resolve(import.meta.dirname, "..");
const SCREENSHOTS = join(root, ".catalog-out", "test-screenshots");
const RUN_ID = "catalog-browser";
const sink = () => {
  let text = "";
  // A stream for contract:diff's main (it takes NodeJS.WritableStream) and a writer for the other CLIs.
  const stream = { write: (t: string) => ((text += t), true) } as unknown as NodeJS.WritableStream;
  return Object.assign(stream, { text: () => text });
};

// A record that fails a rule (overall 9), with script and markup in a plain field and in the personal one, and a
// line that is not JSON at all: both are quarantined and shown on the quality page.
const HOSTILE_RECORD = {
  overall: 9.0,
  verified: true,
  reviewTime: "06 3, 2018",
  reviewerID: "AXHOSTILE0001",
  asin: "B0SAMPLE03",
  reviewerName: `Jane Hostile <img src=x onerror="window.__injected='name'">`,
  summary: `<script>window.__injected='summary'</script><img src=x onerror="window.__injected='img'; alert(1)">`,
  unixReviewTime: 1527984000,
};
const HOSTILE_LINE = `<script>window.__injected='line'; alert(2)</script>`;
// The personal field in records not shaped as the contract says: a batch array, a wrapper object, a Python dict.
const ODD_SHAPES = [
  JSON.stringify([{ ...HOSTILE_RECORD, reviewerName: "Jane ArrayBatch" }]),
  JSON.stringify({ review: { ...HOSTILE_RECORD, reviewerName: "Jane Wrapped" } }),
  `{'overall': 5.0, 'reviewerID': 'AXHOSTILE0002', 'reviewerName': 'Jane PythonRepr', 'asin': 'B0SAMPLE03'}`,
];

let temp: string;
let runDir: string;
let site: Served;
let sinkSite: Served;
let browser: LaunchedBrowser;
let context: BrowserContext;
let axeContext: BrowserContext;
let base: string;
let pages: string[];
const dialogs: string[] = [];

const datasets = (): DatasetIR[] =>
  readdirSync(join(root, "generated/ir"))
    .filter((f) => f.endsWith(".ir.json"))
    .sort()
    .map((f) => (JSON.parse(readFileSync(join(root, "generated/ir", f), "utf8")) as { dataset: DatasetIR }).dataset);

/** `s3://bucket/prefix/` → the run's local folder (the local pipeline mirrors the S3 layout). */
const local = (s3: string) => join(runDir, ...s3.replace(/^s3:\/\//, "").split("/").filter(Boolean));

async function open(page: Page, url: string): Promise<void> {
  const response = await page.goto(url, { waitUntil: "load" });
  expect(response?.status(), url).toBe(200);
}

function htmlFiles(dir: string, prefix = ""): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === "test-screenshots" ? [] : htmlFiles(dir, `${prefix}${e.name}/`)) : e.name.endsWith(".html") ? [`${prefix}${e.name}`] : [],
  );
}

beforeAll(async () => {
  temp = mkdtempSync(join(tmpdir(), "catalog-browser-"));
  runDir = join(temp, "run");
  const reviews = join(temp, "input", "review");
  cpSync(join(root, "samples", "review"), reviews, { recursive: true });
  writeFileSync(join(reviews, "hostile.jsonl"), `${[JSON.stringify(HOSTILE_RECORD), HOSTILE_LINE, ...ODD_SHAPES].join("\n")}\n`);
  const out = sink();
  const err = sink();
  // The samples and the hostile records together are mostly quarantined, on purpose: --max-quarantine-ratio 1 (the run
  // would otherwise exit 4, PIPELINE.QUARANTINE_RATIO, and skip the warehouse the pages show).
  const code = await pipeline(
    ["--root", root, "--input", `review=${reviews}`, "--input", `product=${join(root, "samples", "product")}`, "--out", runDir, "--run-id", RUN_ID, "--quiet", "--max-quarantine-ratio", "1"],
    out,
    err,
  );
  expect(code, `${out.text()}\n${err.text()}`).toBe(0);

  // The base of the pull-request page: the first commit (its contracts differ from today's) when it loads, else HEAD.
  const first = execFileSync("git", ["-C", root, "rev-list", "--max-parents=0", "HEAD"], { encoding: "utf8" }).trim().split("\n")[0]!;
  base = (await contractDiff(["--root", root, "--base", first, "--format", "json"], sink(), sink())) === 2 ? "HEAD" : first;

  const built = sink();
  const builtErr = sink();
  const result = await catalog(["--root", root, "--run", runDir, "--out", join(temp, "site"), "--base", base, "--serve", "--port", "0"], built, builtErr);
  expect(result.code, builtErr.text()).toBe(0);
  site = result.served!;
  const sinkBuilt = await catalog(["--root", root, "--contracts", "tests/fixtures/kitchen-sink", "--no-run", "--no-history", "--out", join(temp, "sink-site"), "--serve", "--port", "0"], sink(), sink());
  expect(sinkBuilt.code).toBe(0);
  sinkSite = sinkBuilt.served!;
  process.stdout.write(built.text());
  pages = htmlFiles(join(temp, "site")).sort();

  browser = await launchChromium();
  context = await browser.browser.newContext({ viewport: { width: 1280, height: 900 } });
  // axe is injected as a script: only this context may bypass the pages' Content-Security-Policy.
  axeContext = await browser.browser.newContext({ bypassCSP: true });
  rmSync(SCREENSHOTS, { recursive: true, force: true });
  mkdirSync(SCREENSHOTS, { recursive: true });
  // One real pipeline run (dbt installs itself on first use, about 25 s more) and two builds.
}, 300_000);

afterAll(async () => {
  await context?.close();
  await axeContext?.close();
  await browser?.close();
  await site?.close();
  await sinkSite?.close();
  if (temp) rmSync(temp, { recursive: true, force: true });
});

async function newPage(ctx: BrowserContext = context): Promise<Page> {
  const page = await ctx.newPage();
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  return page;
}

/**
 * Reflow (WCAG 1.4.10): the page's scroll width and every element outside a `.table-scroll` region whose right edge
 * passes the viewport (a wide table scrolls inside its own region; nothing else may make the page scroll sideways).
 */
const overflowInPage = (): { viewport: number; scrollWidth: number; past: string[] } => {
  // The content of closed details counts too: a reader opens them.
  for (const details of document.querySelectorAll("details")) details.open = true;
  const viewport = document.documentElement.clientWidth;
  const past = [...document.querySelectorAll("body *")]
    .filter((e) => !e.closest(".table-scroll") && e.getClientRects().length > 0 && e.getBoundingClientRect().right > viewport + 0.5)
    .map((e) => `${e.tagName.toLowerCase()}${e.className && typeof e.className === "string" ? `.${e.className.split(" ").join(".")}` : ""} "${(e.textContent ?? "").trim().slice(0, 40)}" ends at ${Math.round(e.getBoundingClientRect().right)}`);
  return { viewport, scrollWidth: document.documentElement.scrollWidth, past: past.slice(0, 10) };
};

async function overflowing(page: Page): Promise<{ viewport: number; scrollWidth: number; past: string[] }> {
  return page.evaluate(overflowInPage);
}

/**
 * What each chart of the quality page must draw, computed from the run's own files: per dataset, a bar per reason code
 * of its quarantined records (counted from the JSONL files; no figure when none), and per partitioned table a dot per
 * partition folder holding Parquet, with the rows DuckDB counts in it (in date order).
 */
async function expectedCharts(): Promise<{ kind: "reasons" | "series"; figure: string; marks: string; titles: string[]; absent: boolean }[]> {
  const charts: { kind: "reasons" | "series"; figure: string; marks: string; titles: string[]; absent: boolean }[] = [];
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    for (const dataset of datasets()) {
      const dir = join(local(dataset.locations.quarantine), `run_id=${RUN_ID}`);
      const counts = new Map<string, number>();
      for (const file of existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".jsonl")) : []) {
        for (const line of readFileSync(join(dir, file), "utf8").split("\n").filter(Boolean)) {
          for (const code of (JSON.parse(line) as { reason_codes: string[] }).reason_codes) counts.set(code, (counts.get(code) ?? 0) + 1);
        }
      }
      charts.push({
        kind: "reasons",
        figure: `figure[data-chart="reasons"][data-dataset="${dataset.name}"]`,
        marks: 'g[aria-label="bar"] > rect > title',
        titles: [...counts].map(([code, n]) => `${code}: ${n}`).sort(),
        absent: counts.size === 0,
      });
      for (const table of [dataset.table, ...dataset.children].filter((t) => t.partitionBy.length === 1)) {
        const tableDir = local(table.location);
        const folders = existsSync(tableDir) ? readdirSync(tableDir).filter((f) => f.startsWith(`${table.partitionBy[0]}=`)).sort() : [];
        const titles: string[] = [];
        for (const folder of folders) {
          const reader = await connection.runAndReadAll(`SELECT count(*) FROM read_parquet('${join(tableDir, folder)}/*.parquet')`);
          titles.push(`${folder.split("=")[1]}: ${Number(reader.getRows()[0]![0])} rows`);
        }
        charts.push({ kind: "series", figure: `figure[data-chart="series"][data-table="${table.name}"]`, marks: 'g[aria-label="dot"] > circle > title', titles, absent: false });
      }
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return charts;
}

describe("catalog in Chromium", () => {
  it("has the pages of every type; each loads with no console error, no failed request and nothing from outside", async () => {
    expect(pages).toEqual(["datasets/product.html", "datasets/review.html", "history.html", "index.html", "pull-request.html", "quality.html"]);
    const sinkPages = htmlFiles(join(temp, "sink-site")).sort();
    for (const [server, list] of [
      [site, pages],
      [sinkSite, sinkPages],
    ] as const) {
      for (const path of list) {
        const page = await newPage();
        const problems: string[] = [];
        page.on("console", (m) => {
          if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
        });
        page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
        page.on("requestfailed", (r) => problems.push(`failed: ${r.url()}`));
        page.on("response", (r) => {
          if (r.status() >= 400) problems.push(`${r.status()}: ${r.url()}`);
        });
        page.on("request", (r) => {
          if (!r.url().startsWith(server.url) && !r.url().startsWith("data:")) problems.push(`outside request: ${r.url()}`);
        });
        await open(page, `${server.url}${path}`);
        await page.waitForLoadState("networkidle");
        expect(problems, path).toEqual([]);
        await page.close();
      }
    }
    expect(dialogs).toEqual([]);
  }, 120_000);

  it("draws one bar per quarantine reason and one dot per partition date, with the run's numbers", async () => {
    const page = await newPage();
    await open(page, `${site.url}quality.html`);
    let dots = 0;
    let bars = 0;
    for (const chart of await expectedCharts()) {
      const figure = page.locator(chart.figure);
      if (chart.absent) {
        expect(await figure.count(), chart.figure).toBe(0);
        continue;
      }
      const titles = await figure.locator(chart.marks).allTextContents();
      expect(chart.kind === "reasons" ? titles.sort() : titles, chart.figure).toEqual(chart.titles);
      if (chart.kind === "reasons") bars += titles.length;
      else dots += titles.length;
    }
    // The samples plus the hostile file: 18 review reasons (13 without its odd shapes) and 2 product reasons; 9 review
    // dates and 1 image date.
    expect({ bars, dots }).toEqual({ bars: 20, dots: 10 });
    // Each chart's numbers say which chart they are (a list of summaries reads as such).
    const summaries = await page.locator("figure.chart details > summary").allInnerTexts();
    expect(summaries.length).toBe(await page.locator("figure.chart").count());
    expect(summaries.length).toBeGreaterThan(1);
    expect(new Set(summaries).size).toBe(summaries.length);
    for (const summary of summaries) expect(summary).toMatch(/^Numbers: (quarantine reasons of \S+|rows of \S+ per \S+)$/);
    expect(await page.locator('g[aria-label="bar"] > rect').count()).toBe(bars);
    expect(await page.locator('g[aria-label="dot"] > circle').count()).toBe(dots);
    await page.screenshot({ path: join(SCREENSHOTS, "quality.png"), fullPage: true });
    await page.close();
  });

  it("shows the search box only where script runs it (without JavaScript: hidden, a note instead)", async () => {
    const noScript = await browser.browser.newContext({ javaScriptEnabled: false });
    const page = await newPage(noScript);
    await open(page, `${site.url}index.html`);
    expect(await page.locator("#search").isVisible()).toBe(false);
    expect(await page.locator("main").innerText()).toContain("Search needs JavaScript");
    await noScript.close();
    const scripted = await newPage();
    await open(scripted, `${site.url}index.html`);
    await expect.poll(() => scripted.locator("#search").isVisible()).toBe(true);
    expect(await scripted.locator("main").innerText()).not.toContain("Search needs JavaScript");
    await scripted.close();
  });

  it("finds helpful_votes by search and lands on its column", async () => {
    const page = await newPage();
    await open(page, `${site.url}index.html`);
    await page.locator("#search").fill("helpful_votes");
    const result = page.locator("#search-results li.search-result a", { hasText: "review.helpful_votes" });
    await expect.poll(() => result.count()).toBe(1);
    // The dataset column and the mart column computed from it (fct_reviews.helpful_votes).
    await expect.poll(() => page.locator("#search-status").textContent()).toBe("2 matches.");
    await page.screenshot({ path: join(SCREENSHOTS, "index.png"), fullPage: true });
    await result.click();
    await page.waitForURL(/datasets\/review\.html#column-review--helpful-votes$/);
    await expect.poll(() => page.locator("#column-review--helpful-votes h4").textContent()).toBe("review.helpful_votes");
    await page.close();
  });

  it("finds marts and mart columns by search; a mart column's link lands on the dataset column it comes from", async () => {
    const page = await newPage();
    await open(page, `${site.url}index.html`);
    await page.locator("#search").fill("fct_reviews");
    const mart = page.locator('#search-results li.search-result[data-kind="mart"] a', { hasText: /^fct_reviews$/ });
    await expect.poll(() => mart.count()).toBe(1);
    await page.locator("#search").fill("fct_reviews.rating");
    const column = page.locator('#search-results li.search-result[data-kind="mart column"] a', { hasText: "fct_reviews.rating" });
    await expect.poll(() => column.count()).toBe(1);
    await column.click();
    await page.waitForURL(/datasets\/review\.html#column-review--rating$/);
    expect(await page.locator('#column-review--rating ol.lineage > li[data-stage="mart"] code.stage-name').allTextContents()).toContain("fct_reviews.rating");
    await open(page, `${site.url}index.html`);
    await page.locator("#search").fill("fct_reviews");
    await mart.click();
    await page.waitForURL(/index\.html#mart-fct-reviews$/);
    expect(await page.locator("#mart-fct-reviews th").innerText()).toBe("fct_reviews");
    await page.close();
  });

  it("shows every stage of the lineage of rating, each as the generated artifacts and dbt's manifest have it", async () => {
    const page = await newPage();
    await open(page, `${site.url}datasets/review.html#column-review--rating`);
    const stage = (name: string) => page.locator(`#column-review--rating ol.lineage > li[data-stage="${name}"]`).innerText();
    const snowflake = readFileSync(join(root, "generated/snowflake/20_review.sql"), "utf8").match(/^\s*RATING (\S+) AS \((.*)\),$/m)!;
    const parquet = readFileSync(join(root, "generated/parquet/review.parquet.txt"), "utf8").match(/optional (\w+) rating \((.*)\);/)!;
    const staging = readFileSync(join(root, "dbt-out/models/staging/amazon/stg_amazon__reviews.sql"), "utf8").match(/^\s*(cast\(rating as .*?\))\s+as rating,$/m)!;
    expect(await stage("raw")).toMatch(/^RAW JSON\s+overall\s/i);
    expect(await stage("cleaned")).toContain("overall.out_of_range");
    expect(await stage("parquet")).toContain("review.rating");
    expect(await stage("parquet")).toContain(`${parquet[1]} ${parquet[2]}`);
    expect(await stage("snowflake")).toContain(`AMAZON_REVIEWS.RAW.REVIEW.RATING`);
    expect(await stage("snowflake")).toContain(`${snowflake[2]} (${snowflake[1]})`);
    expect(await stage("staging")).toContain("stg_amazon__reviews.rating");
    expect(await stage("staging")).toContain(staging[1]);
    // The marts: every mart column whose declared upstream reaches stg_amazon__reviews.rating, in dbt's manifest.
    const manifest = JSON.parse(readFileSync(join(runDir, "warehouse/dbt/target/manifest.json"), "utf8")) as {
      nodes: Record<string, { resource_type: string; name: string; depends_on: { nodes: string[] }; columns: Record<string, { config?: { meta?: { upstream?: string[] } } }> }>;
    };
    const reached = new Set(["stg_amazon__reviews.rating"]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const node of Object.values(manifest.nodes).filter((n) => n.resource_type === "model")) {
        for (const [column, spec] of Object.entries(node.columns)) {
          const name = `${node.name}.${column}`;
          if (!reached.has(name) && (spec.config?.meta?.upstream ?? []).some((u) => reached.has(u))) {
            reached.add(name);
            grew = true;
          }
        }
      }
    }
    reached.delete("stg_amazon__reviews.rating");
    expect(reached).toContain("fct_reviews.rating");
    const marts = await page.locator('#column-review--rating ol.lineage > li[data-stage="mart"] code.stage-name').allTextContents();
    expect(marts.sort()).toEqual([...reached].sort());
    expect(await page.locator('#column-review--rating ol.lineage > li[data-stage="mart"] .status-fail').count()).toBe(0);
    await page.screenshot({ path: join(SCREENSHOTS, "dataset.png") });
    await page.close();
  });

  it("renders a hostile quarantined record as text, with the personal field masked", async () => {
    const page = await newPage();
    await open(page, `${site.url}quality.html`);
    const records = page.locator("li.quarantine-sample pre.raw-record");
    const texts = await records.allInnerTexts();
    // The record is valid JSON: shown re-serialised, so its quotes are JSON-escaped.
    expect(texts.some((t) => t.includes(`"summary": ${JSON.stringify(HOSTILE_RECORD.summary)}`))).toBe(true);
    expect(texts).toContain(HOSTILE_LINE);
    expect(texts.some((t) => t.includes('"reviewerName": "[masked: personal]"'))).toBe(true);
    expect(await page.content()).not.toContain("Jane Hostile");
    for (const name of ["Jane ArrayBatch", "Jane Wrapped", "Jane PythonRepr"]) expect(await page.content()).not.toContain(name);
    expect(texts.some((t) => t.includes(`'reviewerName': "[masked: personal]"`))).toBe(true);
    expect(await page.evaluate(() => (window as unknown as { __injected?: string }).__injected)).toBeUndefined();
    expect(await page.locator("main img, main script:not([type='application/json']), main iframe, main object").count()).toBe(0);
    expect(dialogs).toEqual([]);
    await page.close();
  });

  it("renders the kitchen-sink contract's hostile descriptions as text, in the page and in search results", async () => {
    const page = await newPage();
    await open(page, `${sinkSite.url}datasets/kitchen_sink.html`);
    const main = await page.locator("main").innerText();
    for (const text of [`It's "quoted" and """triple""" with {{ jinja }} {% tag %} */ /* <b>html</b> | pipe \\ back \`tick\` \${x} -- dash # hash`]) expect(main).toContain(text);
    expect(await page.locator("main b").count()).toBe(0);
    await page.screenshot({ path: join(SCREENSHOTS, "dataset-hostile.png") });
    await open(page, `${sinkSite.url}index.html`);
    await page.locator("#search").fill("triple");
    await expect.poll(() => page.locator("#search-results li.search-result").count()).toBeGreaterThan(0);
    expect(await page.locator("#search-results").innerText()).toContain("<b>html</b>");
    expect(await page.locator("main b").count()).toBe(0);
    expect(dialogs).toEqual([]);
    await page.close();
  });

  it("shows the pull request's contract review with contract:diff's findings, severities and generated files", async () => {
    const json = sink();
    await contractDiff(["--root", root, "--base", base, "--format", "json"], json, sink());
    const report = JSON.parse(json.text()) as Report;
    const page = await newPage();
    await open(page, `${site.url}pull-request.html`);
    const rows = page.locator("table.findings tr.finding");
    expect(await rows.count()).toBe(report.findings.length);
    for (const [i, finding] of report.findings.entries()) {
      const row = rows.nth(i);
      expect(await row.getAttribute("data-rule")).toBe(finding.rule);
      expect(await row.locator(".finding-message").innerText()).toBe(finding.message);
      expect(await row.locator("td.severity").allInnerTexts()).toEqual(["RAW", "PQ", "SF", "DBT", "MART"].map((c) => finding.severity[c as keyof typeof finding.severity]));
    }
    expect(await page.locator("table.generated-files tbody tr").count()).toBe(report.generatedFiles?.length ?? 0);
    // Consumers are named in full in the header cells (an abbreviation's title is not read everywhere).
    expect(await page.locator("table.findings thead abbr").count()).toBe(0);
    const headers = await page.locator("table.findings thead th").allInnerTexts();
    if (report.findings.length) for (const consumer of CONSUMERS) expect(headers).toContain(`${CONSUMER_NAMES[consumer]} (${consumer})`);
    expect(await page.locator("table.review-verdicts").getAttribute("data-review-ok")).toBe(String(report.ok));
    await page.screenshot({ path: join(SCREENSHOTS, "pull-request.png"), fullPage: true });
    await page.close();
  });

  it("lists every commit that changed the contracts on the history page", async () => {
    const commits = execFileSync("git", ["-C", root, "log", "--format=%H", "--", "contracts/"], { encoding: "utf8" }).trim().split("\n").filter(Boolean);
    const page = await newPage();
    await open(page, `${site.url}history.html`);
    const shown = await page.locator("section.history-entry").evaluateAll((sections) => sections.map((s) => s.getAttribute("data-commit")));
    expect(shown.filter((c) => c !== "working tree")).toEqual(commits);
    // Several reviews on one page (the axe-core check below needs them: their regions must be told apart).
    if (commits.length >= 3) expect(await page.locator("section.history-entry table.review-verdicts").count()).toBeGreaterThanOrEqual(2);
    for (const section of await page.locator("section.history-entry").all()) {
      // Each change has its review, or says why not.
      expect((await section.locator("table.review-verdicts").count()) + (await section.locator("p.muted").count())).toBeGreaterThan(0);
    }
    const shallow = execFileSync("git", ["-C", root, "rev-parse", "--is-shallow-repository"], { encoding: "utf8" }).trim() === "true";
    expect((await page.locator("main").innerText()).includes("This is a shallow clone")).toBe(shallow);
    await page.screenshot({ path: join(SCREENSHOTS, "history.png"), fullPage: true });
    await page.close();
  });

  it("reflows every page at 320 and 375 px: nothing but a table region is wider than the viewport", async () => {
    const checked: string[] = [];
    for (const width of [320, 375]) {
      const narrow = await browser.browser.newContext({ viewport: { width, height: 800 } });
      for (const [server, path] of [...pages.map((p) => [site, p] as const), [sinkSite, "datasets/kitchen_sink.html"] as const]) {
        const page = await newPage(narrow);
        await open(page, `${server.url}${path}`);
        const result = await overflowing(page);
        expect({ path, ...result }).toEqual({ path, viewport: width, scrollWidth: width, past: [] });
        checked.push(path);
        await page.close();
      }
      await narrow.close();
    }
    expect(checked).toHaveLength(2 * (pages.length + 1));
  }, 120_000);

  it("draws the charts at a phone's width unscaled, so their text keeps its size", async () => {
    const phone = await browser.browser.newContext({ viewport: { width: 375, height: 800 } });
    const page = await newPage(phone);
    await open(page, `${site.url}quality.html`);
    const charts = await page.locator("figure.chart > svg").evaluateAll((svgs) =>
      svgs.map((svg) => {
        const drawn = (svg as SVGSVGElement).width.baseVal.value;
        return { scale: Math.round((svg.getBoundingClientRect().width / drawn) * 100) / 100, withinFigure: drawn <= svg.parentElement!.clientWidth };
      }),
    );
    expect(charts.length).toBeGreaterThan(1);
    for (const chart of charts) expect(chart).toEqual({ scale: 1, withinFigure: true });
    await phone.close();
  });

  it("draws the charts again when the window's width changes (a phone turned, a window resized): one chart per figure, unscaled, at the new width", async () => {
    const wide = await browser.browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await newPage(wide);
    await open(page, `${site.url}quality.html`);
    const measure = () =>
      page.locator("figure.chart").evaluateAll((figures) =>
        figures.map((figure) => {
          const svgs = figure.querySelectorAll(":scope > svg");
          const svg = svgs[0] as SVGSVGElement | undefined;
          const drawn = svg ? svg.width.baseVal.value : 0;
          return { charts: svgs.length, drawn, scale: svg ? Math.round((svg.getBoundingClientRect().width / drawn) * 100) / 100 : 0, figure: figure.clientWidth };
        }),
      );
    const before = await measure();
    expect(before.length).toBeGreaterThan(1);
    for (const chart of before) expect(chart).toMatchObject({ charts: 1, scale: 1 });
    await page.setViewportSize({ width: 375, height: 800 });
    // Redrawn once the resizing has settled (150 ms).
    await expect.poll(async () => (await measure()).every((c) => c.drawn <= c.figure && c.drawn < 375), { timeout: 5000 }).toBe(true);
    const narrow = await measure();
    for (const [i, chart] of narrow.entries()) {
      expect(chart).toMatchObject({ charts: 1, scale: 1 });
      expect(chart.drawn).toBeLessThan(before[i]!.drawn);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    await expect.poll(async () => (await measure()).map((c) => c.drawn), { timeout: 5000 }).toEqual(before.map((c) => c.drawn));
    await wide.close();
  });

  it("prints whole: every column of the columns tables within the page, the content of closed details shown", async () => {
    // A4 is 210 mm (794 CSS px); less Chromium's default margins of about 1 cm a side, 718 px of paper.
    const paper = await browser.browser.newContext({ viewport: { width: 718, height: 1000 } });
    const page = await newPage(paper);
    await page.emulateMedia({ media: "print" });
    await open(page, `${site.url}datasets/review.html`);
    const tables = await page.locator("table.columns").evaluateAll((elements) =>
      elements.map((table) => {
        const region = table.closest(".table-scroll")!;
        const headers = [...table.querySelectorAll("thead th")];
        const right = Math.min(region.getBoundingClientRect().right, document.documentElement.clientWidth);
        return {
          hiddenColumns: headers.filter((th) => th.getBoundingClientRect().right > right + 0.5 || th.getBoundingClientRect().width === 0).map((th) => th.textContent),
          cut: region.scrollWidth > region.clientWidth,
        };
      }),
    );
    expect(tables.length).toBeGreaterThan(0);
    for (const table of tables) expect(table).toEqual({ hiddenColumns: [], cut: false });
    // Identifiers and types break at their <wbr> (after _ , . and before a parenthesis), never inside a word: no two
    // letters or digits in a row lie on different lines (before, STRING printed as STRIN/G, BOOLEAN as BOOLE/AN).
    const brokenInWords = await page.locator("table.columns code").evaluateAll((codes) => {
      const broken: string[] = [];
      for (const code of codes) {
        const chars: { ch: string; top: number | null }[] = [];
        const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode() as Text | null; node; node = walker.nextNode() as Text | null) {
          for (let i = 0; i < node.data.length; i++) {
            const range = document.createRange();
            range.setStart(node, i);
            range.setEnd(node, i + 1);
            const rect = range.getClientRects()[0];
            chars.push({ ch: node.data[i]!, top: rect ? Math.round(rect.top) : null });
          }
        }
        const word = /[A-Za-z0-9]/;
        if (chars.some((c, i) => i > 0 && word.test(c.ch) && word.test(chars[i - 1]!.ch) && c.top !== chars[i - 1]!.top)) broken.push(code.textContent ?? "");
      }
      return broken;
    });
    expect(brokenInWords).toEqual([]);
    expect(await page.locator("table.columns code").count()).toBeGreaterThan(100);
    await open(page, `${site.url}quality.html`);
    const details = page.locator("main details:not([open])");
    expect(await details.count()).toBeGreaterThan(3);
    const hidden = await details.evaluateAll((elements) =>
      elements.filter((d) => [...d.children].some((child) => child.tagName !== "SUMMARY" && !child.checkVisibility())).map((d) => d.querySelector("summary")?.textContent),
    );
    expect(hidden).toEqual([]);
    // Browsers without ::details-content: the page script opens every closed details before printing.
    await page.evaluate(() => window.dispatchEvent(new Event("beforeprint")));
    expect(await details.count()).toBe(0);
    await page.evaluate(() => window.dispatchEvent(new Event("afterprint")));
    expect(await page.locator("main details[open]").count()).toBe(0);
    await page.screenshot({ path: join(SCREENSHOTS, "quality-print.png"), fullPage: true });
    await paper.close();
  });

  it("has no axe-core violation at all (any impact) on any page", async () => {
    const axe = readFileSync(join(root, "node_modules/axe-core/axe.min.js"), "utf8");
    const report: Record<string, Record<string, number>> = {};
    const found: string[] = [];
    for (const [server, path] of [...pages.map((p) => [site, p] as const), [sinkSite, "datasets/kitchen_sink.html"] as const]) {
      const page = await newPage(axeContext);
      await open(page, `${server.url}${path}`);
      await page.waitForLoadState("networkidle");
      await page.addScriptTag({ content: axe });
      const violations = await page.evaluate(async () => {
        const result = await (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> } }).axe.run(document, {
          resultTypes: ["violations"],
        });
        return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
      });
      report[path] = Object.fromEntries(violations.map((v) => [`${v.impact}:${v.id}`, v.nodes]));
      for (const v of violations) found.push(`${path}: ${v.id} (${v.impact}, ${v.nodes} nodes)`);
      await page.close();
    }
    process.stdout.write(`axe-core violations by page (impact:rule → nodes): ${JSON.stringify(report)}\nscreenshots: ${SCREENSHOTS}\n`);
    expect(found).toEqual([]);
  }, 120_000);
});

/**
 * The same site in Firefox (Debian's `firefox-esr`, driven by puppeteer-core over WebDriver BiDi): what depends on
 * the browser's engine rather than on the markup, that is the pages' script (search, the charts drawn by Observable
 * Plot, their redrawing on resize) and the layout (reflow at a phone's width). Markup, escaping and accessibility are
 * the same bytes in every browser and are checked above in Chromium.
 */
describe("catalog in Firefox", () => {
  let firefox: BidiBrowser;
  beforeAll(async () => {
    firefox = await launchFirefox();
  }, 120_000);
  afterAll(async () => {
    await firefox?.close();
  });

  async function firefoxPage(width = 1280, height = 900): Promise<BidiPage> {
    const page = await firefox.newPage();
    await page.setViewport({ width, height });
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    return page;
  }

  async function openIn(page: BidiPage, url: string): Promise<void> {
    const response = await page.goto(url, { waitUntil: "load" });
    expect(response?.status(), url).toBe(200);
  }

  it("loads every page of both sites with no console error or warning, no script error, no failed request and nothing from outside", async () => {
    const sinkPages = htmlFiles(join(temp, "sink-site")).sort();
    let loaded = 0;
    for (const [server, list] of [
      [site, pages],
      [sinkSite, sinkPages],
    ] as const) {
      for (const path of list) {
        const page = await firefoxPage();
        const problems: string[] = [];
        page.on("console", (m) => {
          if (m.type() === "error" || m.type() === "warn") problems.push(`console ${m.type()}: ${m.text()}`);
        });
        page.on("pageerror", (e) => problems.push(`page error: ${e instanceof Error ? e.message : String(e)}`));
        page.on("requestfailed", (r) => problems.push(`failed: ${r.url()}`));
        page.on("response", (r) => {
          if (r.status() >= 400) problems.push(`${r.status()}: ${r.url()}`);
        });
        page.on("request", (r) => {
          if (!r.url().startsWith(server.url) && !r.url().startsWith("data:")) problems.push(`outside request: ${r.url()}`);
        });
        await openIn(page, `${server.url}${path}`);
        // The pages' script has run: the search box is shown by it (hidden without script).
        await page.waitForFunction(() => !document.querySelector("#search") || (document.querySelector("#search") as HTMLElement).offsetParent !== null, { timeout: 10_000 });
        expect(problems, path).toEqual([]);
        loaded += 1;
        await page.close();
      }
    }
    expect(loaded).toBe(pages.length + sinkPages.length);
    expect(dialogs).toEqual([]);
  }, 120_000);

  it("draws the quality page's charts with the run's numbers, at their figure's width", async () => {
    const page = await firefoxPage();
    await openIn(page, `${site.url}quality.html`);
    const charts = await expectedCharts();
    await page.waitForFunction((count: number) => document.querySelectorAll("figure.chart > svg").length === count, { timeout: 10_000 }, charts.filter((c) => !c.absent).length);
    let marks = 0;
    for (const chart of charts) {
      const titles = await page.$$eval(`${chart.figure} ${chart.marks}`, (elements) => elements.map((e) => e.textContent ?? ""));
      expect(chart.kind === "reasons" ? titles.sort() : titles, chart.figure).toEqual(chart.titles);
      if (chart.absent) expect(await page.$(chart.figure), chart.figure).toBeNull();
      marks += titles.length;
    }
    expect(marks).toBe(30); // 20 bars and 10 dots, as in Chromium
    await page.screenshot({ path: join(SCREENSHOTS, "quality-firefox.png"), fullPage: true });
    await page.close();
  });

  it("finds helpful_votes by search and lands on its column", async () => {
    const page = await firefoxPage();
    await openIn(page, `${site.url}index.html`);
    await page.waitForFunction(() => (document.querySelector("#search") as HTMLElement | null)?.offsetParent !== null, { timeout: 10_000 });
    await page.type("#search", "helpful_votes");
    await page.waitForFunction(() => document.querySelector("#search-status")?.textContent === "2 matches.", { timeout: 10_000 });
    const links = await page.$$eval("#search-results li.search-result a", (anchors) => anchors.map((a) => a.textContent ?? ""));
    expect(links.filter((text) => text.includes("review.helpful_votes"))).toHaveLength(1);
    await Promise.all([
      page.waitForNavigation({ waitUntil: "load" }),
      page.$$eval("#search-results li.search-result a", (anchors) => (anchors.find((a) => (a.textContent ?? "").includes("review.helpful_votes")) as HTMLAnchorElement).click()),
    ]);
    expect(page.url()).toMatch(/datasets\/review\.html#column-review--helpful-votes$/);
    expect(await page.$eval("#column-review--helpful-votes h4", (h) => h.textContent)).toBe("review.helpful_votes");
    await page.close();
  });

  it("reflows every page at 320 px; draws the charts again, unscaled, when the width changes", async () => {
    for (const [server, path] of [...pages.map((p) => [site, p] as const), [sinkSite, "datasets/kitchen_sink.html"] as const]) {
      const page = await firefoxPage(320, 800);
      await openIn(page, `${server.url}${path}`);
      const result = await page.evaluate(overflowInPage);
      // Firefox's scroll bar takes its width from the viewport (308 px of 320 left to the page).
      expect(result.viewport).toBeGreaterThan(300);
      expect({ path, ...result }).toEqual({ path, viewport: result.viewport, scrollWidth: result.viewport, past: [] });
      await page.close();
    }
    const page = await firefoxPage(1280, 900);
    await openIn(page, `${site.url}quality.html`);
    const measure = () =>
      page.$$eval("figure.chart", (figures) =>
        figures.map((figure) => {
          const svgs = figure.querySelectorAll(":scope > svg");
          const svg = svgs[0] as SVGSVGElement | undefined;
          const drawn = svg ? svg.width.baseVal.value : 0;
          return { charts: svgs.length, drawn, scale: svg ? Math.round((svg.getBoundingClientRect().width / drawn) * 100) / 100 : 0, figure: figure.clientWidth };
        }),
      );
    await page.waitForFunction(() => document.querySelectorAll("figure.chart > svg").length > 1, { timeout: 10_000 });
    const before = await measure();
    for (const chart of before) expect(chart).toMatchObject({ charts: 1, scale: 1 });
    await page.setViewport({ width: 375, height: 800 });
    await expect.poll(async () => (await measure()).every((c) => c.drawn <= c.figure && c.drawn < 375), { timeout: 5000 }).toBe(true);
    for (const [i, chart] of (await measure()).entries()) {
      expect(chart).toMatchObject({ charts: 1, scale: 1 });
      expect(chart.drawn).toBeLessThan(before[i]!.drawn);
    }
    await page.close();
  }, 120_000);
});

describe("catalog's markup", () => {
  /**
   * The Nu Html Checker (W3C's HTML validator, `vnu-jar` pinned in package.json; run by the Java that Spark needs).
   * Its only messages allowed are two Content-Security-Policy warnings that are its reading, not a browser's: it
   * checks files, whose `file:` origin `'self'` never matches, and takes the JSON data blocks (`<script
   * type="application/json">`, which browsers do not run) for inline scripts. Chromium loads every page under its
   * policy with no console error and no failed request (above).
   */
  it("passes the Nu Html Checker: every page of both sites and the style sheet, with no error or other warning", () => {
    const jar = join(dirname(createRequire(import.meta.url).resolve("vnu-jar/package.json")), "build", "dist", "vnu.jar");
    const files = [...pages.map((p) => join(temp, "site", p)), ...htmlFiles(join(temp, "sink-site")).map((p) => join(temp, "sink-site", p)), join(temp, "site", "assets", "catalog.css")];
    expect(files.length).toBeGreaterThanOrEqual(pages.length + 3);
    // A copy of the index with two faults the checker must find, so that a silent checker cannot pass.
    const faulty = join(temp, "faulty.html");
    writeFileSync(faulty, readFileSync(join(temp, "site", "index.html"), "utf8").replace("<main", '<div id="search-results"></div></div><main'));
    const result = spawnSync("java", ["-jar", jar, "--also-check-css", "--format", "json", "--stdout", ...files, faulty], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    const { messages } = JSON.parse(result.stdout) as { messages: { type: string; subType?: string; url?: string; lastLine?: number; message: string }[] };
    const of = (file: string) => messages.filter((m) => m.url !== undefined && fileURLToPath(m.url) === file);
    expect(of(faulty).filter((m) => m.type === "error").map((m) => m.message)).toEqual(expect.arrayContaining([expect.stringMatching(/^Duplicate ID “search-results”/), expect.stringMatching(/^Stray end tag “div”/)]));
    const CSP_READINGS = /^(Resource|Inline script) violates Content Security Policy \(meta tag\)/;
    const found = messages
      .filter((m) => m.url === undefined || fileURLToPath(m.url) !== faulty)
      .filter((m) => !(m.type === "info" && m.subType === "warning" && CSP_READINGS.test(m.message)))
      .map((m) => `${m.url ? fileURLToPath(m.url).slice(temp.length + 1) : "?"}:${m.lastLine ?? "?"}: ${m.type}${m.subType ? `/${m.subType}` : ""}: ${m.message}`);
    expect(found).toEqual([]);
    expect(messages.every((m) => m.url !== undefined)).toBe(true);
  }, 120_000);
});
