/**
 * The catalog CLI without a browser: determinism (two builds byte-identical, the second in another process with
 * another time zone and locale), no machine path in the site, coded errors for bad input, the writer's ownership
 * rule, and the history page of a shallow clone.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tryLock } from "../generators/lib/folder-lock.js";
import { main as pipelineMain } from "../runners/local-pipeline/cli.js";
import { RUN_LOCK } from "../runners/local-pipeline/run-lock.js";
import { main as synthMain } from "../runners/synth/cli.js";
import { BIN, run as runTool } from "../tests/helpers/run.js";
import { RUN_READ_ATTEMPTS, readSettledRun } from "./build.js";
import { main } from "./cli.js";
import { CatalogError } from "./errors.js";
import { contractHistory } from "./history.js";
import { OWNED_LIST } from "./write.js";

const root = resolve(import.meta.dirname, "..");
const sink = () => {
  let text = "";
  return { write: (t: string) => (text += t), text: () => text };
};
let temp: string;
let runDir: string;

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d).sort()) {
      const path = join(d, entry);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(relative(dir, path));
    }
  };
  walk(dir);
  return out;
}

async function catalog(args: readonly string[]) {
  const out = sink();
  const err = sink();
  const code = await main(["--root", root, ...args], out, err);
  return { code, out: out.text(), err: err.text() };
}

beforeAll(async () => {
  temp = mkdtempSync(join(tmpdir(), "catalog-build-"));
  runDir = join(temp, "run");
  // The cleaning and flattening half only (fast): the data-quality page without dbt's part.
  const out = sink();
  const code = await pipelineMain(["--root", root, "--out", runDir, "--run-id", "catalog-unit", "--no-warehouse", "--quiet"], out, sink());
  expect(code, out.text()).toBe(0);
}, 120_000);

afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe("npm run catalog: output", () => {
  it("is byte-identical for the same inputs, also in another process, time zone and locale; holds no machine path", async () => {
    const first = join(temp, "site-a");
    const second = join(temp, "site-b");
    const built = await catalog(["--run", runDir, "--out", first]);
    expect(built.code, built.err).toBe(0);
    expect(built.out).toMatch(/Built the catalog in \d+ ms/);
    const other = runTool(BIN("tsx"), ["catalog/cli.ts", "--run", runDir, "--out", second, "--quiet"], { env: { ...process.env, TZ: "Pacific/Kiribati", LANG: "tr_TR.UTF-8", LC_ALL: "tr_TR.UTF-8" } });
    expect(other.status, other.stderr).toBe(0);
    const files = listFiles(first);
    expect(listFiles(second)).toEqual(files);
    expect(files).toEqual(
      expect.arrayContaining([OWNED_LIST, "index.html", "datasets/review.html", "datasets/product.html", "quality.html", "history.html", "assets/catalog.js", "assets/vendor/plot.umd.min.js", "assets/vendor/d3.min.js"]),
    );
    for (const file of files) expect(readFileSync(join(second, file)).equals(readFileSync(join(first, file))), file).toBe(true);
    for (const file of files.filter((f) => f.endsWith(".html"))) {
      const text = readFileSync(join(first, file), "utf8");
      expect(text, file).not.toContain(root);
      expect(text, file).not.toContain(temp);
      expect(text, file).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
      // Every id once per page: a link or search result lands on one element.
      const ids = [...text.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!);
      expect(ids.filter((id, i) => ids.indexOf(id) !== i), file).toEqual([]);
    }
  });

  it("shows each personal column's class and its protection in every system", async () => {
    const out = join(temp, "site-pii");
    // Without a run: the repository's .pipeline-out/ may be a run in progress (CATALOG.RUN_IN_PROGRESS), as while
    // tests/npm-start.test.ts holds its lock.
    expect((await catalog(["--out", out, "--quiet", "--no-history", "--no-run"])).code).toBe(0);
    const page = readFileSync(join(out, "datasets/review.html"), "utf8");
    const section = page.slice(page.indexOf('id="column-review--reviewer-name"'), page.indexOf("</section>", page.indexOf('id="column-review--reviewer-name"')));
    expect(section).toContain('<span class="badge badge-pii">personal</span>');
    for (const system of ["cleaned zone", "processed Parquet", "Snowflake external table", "dbt staging", "marts and QuickSight"]) expect(section).toContain(`<strong>${system}</strong>`);
    expect(section).toContain("AMAZON_REVIEWS.GOVERNANCE.REVIEW_VALUE_MASK");
    expect(section).toContain("reviewer_name_hash");
    // A column of no class has no protection list.
    const rating = page.slice(page.indexOf('id="column-review--rating"'), page.indexOf("</section>", page.indexOf('id="column-review--rating"')));
    expect(rating).not.toContain('class="protection"');
  });

  it("says on the quality page that the run has no warehouse results, and keeps files it does not own", async () => {
    const out = join(temp, "site-c");
    mkdirSync(join(out, "test-screenshots"), { recursive: true });
    writeFileSync(join(out, "test-screenshots", "keep.png"), "x");
    expect((await catalog(["--run", runDir, "--out", out, "--quiet", "--no-history"])).code).toBe(0);
    expect(readFileSync(join(out, "quality.html"), "utf8")).toContain("This run has no warehouse results");
    // A file the catalog wrote and no longer builds is removed; someone else's file stays.
    const owned = JSON.parse(readFileSync(join(out, OWNED_LIST), "utf8")) as { files: string[] };
    writeFileSync(join(out, "old-page.html"), "old");
    writeFileSync(join(out, OWNED_LIST), JSON.stringify({ files: [...owned.files, "old-page.html"] }));
    expect((await catalog(["--no-run", "--out", out, "--quiet", "--no-history"])).code).toBe(0);
    expect(existsSync(join(out, "old-page.html"))).toBe(false);
    expect(readFileSync(join(out, "test-screenshots", "keep.png"), "utf8")).toBe("x");
    expect(readFileSync(join(out, "quality.html"), "utf8")).toContain("No pipeline run was given (--no-run).");
  });
});

describe("npm run catalog: a table with no row", () => {
  it("shows an empty partition series for it (its folder holds no Parquet file) instead of failing", async () => {
    // Reviews without images: the run writes the images table's folder with nothing in it.
    const input = join(temp, "no-images.jsonl");
    const lines = readFileSync(join(root, "samples", "review", "reviews-2018-a.jsonl"), "utf8").split("\n").filter(Boolean);
    writeFileSync(input, lines.map((line) => { const record = JSON.parse(line); delete record.image; return JSON.stringify(record); }).join("\n") + "\n");
    const run = join(temp, "run-no-images");
    const code = await pipelineMain(["--root", root, "--input", `review=${input}`, "--out", run, "--run-id", "no-images", "--no-warehouse", "--quiet"], sink(), sink());
    expect(code).toBe(0);
    const summary = JSON.parse(readFileSync(join(run, "run-summary.json"), "utf8"));
    expect(summary.datasets.review.tables.review_images).toBe(0);
    const out = join(temp, "site-no-images");
    const result = await catalog(["--run", run, "--out", out, "--quiet", "--no-history"]);
    expect(result.err).toBe("");
    expect(result.code).toBe(0);
    const page = readFileSync(join(out, "quality.html"), "utf8");
    expect(page).toContain("review_images");
    // The charts' heading names the partition column (not "partition date": a column may be an enum).
    expect(page).toContain("<h2>Records per partition (<code>review_date</code>)</h2>");
    expect(page).not.toContain("partition date");
  });
});

describe("npm run catalog: quarantine samples", () => {
  it("shows one record of every reason, beyond 25 when there are more reasons, and names reasons without one", async () => {
    // Synthetic reviews breaking one rule each, rules in turn: more reasons than the 25 samples of the fill.
    const input = join(temp, "synth-reviews.jsonl");
    const tally = join(temp, "synth-tally.json");
    expect(await synthMain(["--root", root, "--dataset", "review", "--records", "2500", "--invalid-ratio", "0.1", "--seed", "3", "--out", input, "--tally", tally, "--quiet"], sink(), sink())).toBe(0);
    const run = join(temp, "run-synth");
    expect(await pipelineMain(["--root", root, "--input", `review=${input}`, "--out", run, "--run-id", "synth", "--no-warehouse", "--quiet"], sink(), sink())).toBe(0);
    const summary = JSON.parse(readFileSync(join(run, "run-summary.json"), "utf8")) as { datasets: { review: { quarantined: { byReason: Record<string, number> } } } };
    const reasons = Object.keys(summary.datasets.review.quarantined.byReason);
    expect(reasons.length).toBeGreaterThan(25);
    const out = join(temp, "site-synth");
    expect((await catalog(["--run", run, "--out", out, "--quiet", "--no-history"])).code).toBe(0);
    const page = readFileSync(join(out, "quality.html"), "utf8");
    const section = page.slice(page.indexOf('id="samples-review-h"'));
    const samples = [...section.matchAll(/<li class="quarantine-sample"><p><code>[^<]*<\/code>: (.*?)(?: <span|<\/p>)/g)].map((m) => [...m[1]!.matchAll(/<code>([^<]+)<\/code>/g)].map((c) => c[1]!));
    expect(samples.length).toBeGreaterThanOrEqual(reasons.length);
    expect(new Set(samples.flat())).toEqual(new Set(reasons));
    expect(page).not.toContain("samples-unshown");

    // A reason whose records were not read (here: none in the quarantine file) is named, not claimed as shown.
    summary.datasets.review.quarantined.byReason["summary.too_long"] = 1;
    writeFileSync(join(run, "run-summary.json"), JSON.stringify(summary));
    expect((await catalog(["--run", run, "--out", out, "--quiet", "--no-history"])).code).toBe(0);
    expect(readFileSync(join(out, "quality.html"), "utf8")).toMatch(/<p class="muted samples-unshown">No sample of <code>summary\.too_long<\/code>: /);
  });
});

describe("npm run catalog: a personal key in another form", () => {
  it("masks the value on the quality page whatever the form of the key", async () => {
    // Valid JSON records quarantined for their rating, the personal field under a key close to the contract's.
    const keys = ["reviewerName ", "reviewer name", "reviewerName:", "reviewerNameFull", "reviewer-name", "reviewer\u200bName"];
    const input = join(temp, "variant-keys.jsonl");
    const record = (key: string, i: number) => ({ overall: 9.0, reviewTime: "06 2, 2018", reviewerID: `AXVARIANT000${i}`, asin: "B0SAMPLE01", [key]: `Jane Variant${i}`, summary: "s", unixReviewTime: 1527897600 });
    writeFileSync(input, keys.map((key, i) => JSON.stringify(record(key, i))).join("\n") + "\n");
    const run = join(temp, "run-variant-keys");
    // Every record is quarantined on purpose: --max-quarantine-ratio 1 (the run would otherwise exit 4, PIPELINE.QUARANTINE_RATIO).
    expect(await pipelineMain(["--root", root, "--input", `review=${input}`, "--out", run, "--run-id", "variant-keys", "--no-warehouse", "--quiet", "--max-quarantine-ratio", "1"], sink(), sink())).toBe(0);
    const out = join(temp, "site-variant-keys");
    expect((await catalog(["--run", run, "--out", out, "--quiet", "--no-history"])).code).toBe(0);
    const page = readFileSync(join(out, "quality.html"), "utf8");
    // Every record is shown, each with its one value masked, and no name is left.
    expect(page.match(/<li class="quarantine-sample">/g)).toHaveLength(keys.length);
    expect(page.match(/<span class="badge badge-pii">1 masked<\/span>/g)).toHaveLength(keys.length);
    for (const i of keys.keys()) expect(page).toContain(`AXVARIANT000${i}`);
    expect(page).not.toContain("Jane");
  }, 60_000);
});

describe("npm run catalog: a failing dbt test", () => {
  it("lists it with its failing-row count and sample, escaped, when dbt's artifacts are gone", async () => {
    const failing = join(temp, "failing-run");
    cpSync(runDir, failing, { recursive: true });
    const summary = JSON.parse(readFileSync(join(failing, "run-summary.json"), "utf8")) as Record<string, unknown>;
    summary.warehouse = {
      ok: false,
      dbtVersion: "1.11.16",
      models: [{ name: "fct_reviews", schema: "analytics_marts", materialized: "table", status: "success", rows: 10 }],
      tests: {
        passed: 53,
        failed: [{ name: "accepted_range_fct_reviews_rating__4__1", on: "fct_reviews.rating", status: "fail", failures: 7, message: "Got 7 results", sample: [{ rating: 5, note: "<img src=x onerror=alert(1)>" }] }],
      },
      artifacts: ["warehouse/dbt/target/run_results.json"],
    };
    writeFileSync(join(failing, "run-summary.json"), JSON.stringify(summary));
    const out = join(temp, "failing-site");
    expect((await catalog(["--run", failing, "--out", out, "--quiet", "--no-history"])).code).toBe(0);
    const page = readFileSync(join(out, "quality.html"), "utf8");
    expect(page).toContain("Failed dbt tests (dbt&#39;s run_results.json was not found");
    expect(page).toMatch(/<tr class="dbt-test" data-status="fail"><td><code>accepted_range_fct_reviews_rating__4__1<\/code><\/td><td><code>fct_reviews\.rating<\/code><\/td><td class="status-fail">fail<\/td><td class="number">7<\/td>/);
    expect(page).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(page).not.toContain("<img");
  });
});

describe("npm run catalog: errors", () => {
  it("refuses an --out in the repository's own folders, the repository itself or a folder holding it (exit 2)", async () => {
    for (const [out, clash] of [
      [join(root, "contracts"), "is inside the repository's own contracts/ folder"],
      [join(root, "generated", "site"), "is inside the repository's own generated/ folder"],
      [root, "is the repository itself"],
      [resolve(root, ".."), `holds the repository ${root}`],
    ] as const) {
      const result = await catalog(["--no-run", "--out", out, "--quiet", "--no-history"]);
      expect(result.code, out).toBe(2);
      expect(result.err).toContain(`--out ${out} ${clash}`);
    }
  });

  it("an --out that is a file is a usage error; a file where the site needs a folder is CATALOG.WRITE, not a stack trace", async () => {
    const file = join(temp, "a-file");
    writeFileSync(file, "x");
    const asFile = await catalog(["--no-run", "--out", file, "--quiet", "--no-history"]);
    expect([asFile.code, asFile.err]).toEqual([2, expect.stringContaining(`error CLI.USAGE: --out ${file} is a file, not a folder`)]);
    const blocked = join(temp, "site-blocked");
    mkdirSync(blocked);
    writeFileSync(join(blocked, "datasets"), "a file where the dataset pages' folder goes");
    const write = await catalog(["--no-run", "--out", blocked, "--quiet", "--no-history"]);
    expect(write.code).toBe(2);
    expect(write.err).toMatch(new RegExp(`^error CATALOG\\.WRITE: Cannot write the site into ${blocked.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: .*(ENOTDIR|EEXIST).*\n  fix: `));
  });

  it("prints the help with exit 0", async () => {
    const result = await catalog(["--help"]);
    expect(result.code).toBe(0);
    expect(result.out).toContain("Usage: npm run catalog");
  });

  it.each([
    [["--bogus"], "CLI.USAGE", /Unknown option '--bogus'/],
    [["--run", "x", "--no-run"], "CLI.USAGE", /not both/],
    [["--port", "80"], "CLI.USAGE", /only with --serve/],
    [["--serve", "--port", "99999"], "CLI.USAGE", /not a port number/],
    [["--base=-x"], "CLI.USAGE", /"-x" is not a git ref/],
    [["--run", "does-not-exist-anywhere"], "CATALOG.NO_RUN", /does not exist/],
    [["--contracts", "tests/fixtures/does-not-exist"], "CLI.NO_CONTRACTS", /No \*\.contract\.ts file/],
    [["--no-run", "--base", "no-such-ref-anywhere"], "CATALOG.BASE", /does not name a commit/],
  ])("%j → %s (exit 2)", async (args, code, message) => {
    const result = await catalog(["--out", join(temp, "errors-site"), "--no-history", ...args]);
    expect(result.code).toBe(2);
    expect(result.err).toContain(`error ${code}: `);
    expect(result.err).toMatch(message);
    expect(result.err).toContain("fix: ");
  });

  it("refuses a folder that is not a run (CATALOG.NO_RUN) and a malformed run summary (CATALOG.BAD_RUN)", async () => {
    const notRun = join(temp, "not-a-run");
    mkdirSync(notRun, { recursive: true });
    const missing = await catalog(["--run", notRun, "--out", join(temp, "errors-site"), "--no-history"]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/error CATALOG\.NO_RUN: .*no run-summary\.json/);
    const bad = join(temp, "bad-run");
    cpSync(runDir, bad, { recursive: true });
    const summary = JSON.parse(readFileSync(join(bad, "run-summary.json"), "utf8")) as { datasets: { review: { input: unknown } } };
    summary.datasets.review.input = "twenty";
    writeFileSync(join(bad, "run-summary.json"), JSON.stringify(summary));
    const malformed = await catalog(["--run", bad, "--out", join(temp, "errors-site"), "--no-history"]);
    expect(malformed.code).toBe(2);
    expect(malformed.err).toMatch(/error CATALOG\.BAD_RUN: .*datasets\.review\.input/);
    writeFileSync(join(bad, "run-summary.json"), "{ not json");
    expect((await catalog(["--run", bad, "--out", join(temp, "errors-site"), "--no-history"])).err).toMatch(/error CATALOG\.BAD_RUN: run-summary\.json could not be read as JSON/);
  });

  it("refuses a run folder a pipeline:local run is writing (CATALOG.RUN_IN_PROGRESS); a lock whose process has ended is no run", async () => {
    // As the folder is during the warehouse step: the run's summary written, without its warehouse section yet, which
    // the quality page took for a run whose warehouse did not run.
    const running = join(temp, "running-run");
    cpSync(runDir, running, { recursive: true });
    const lock = join(running, RUN_LOCK);
    expect(tryLock(lock)).toEqual({ taken: true }); // held by this test's own process: alive
    const site = join(temp, "running-site");
    const refused = await catalog(["--run", running, "--out", site, "--no-history", "--quiet"]);
    expect(refused.code).toBe(2);
    expect(refused.err).toBe(
      `error CATALOG.RUN_IN_PROGRESS: A pipeline:local run (pid ${process.pid}) is writing ${running}: its tables, run-summary.json and warehouse are not complete.\n` +
        "  fix: Wait for the run to end, then build the catalog again (npm start builds it after the run), or pass --run <dir> of another run's output folder (or --no-run).\n",
    );
    expect(existsSync(join(site, "quality.html"))).toBe(false);
    // The run's process ended without removing its lock (killed outright): the folder is the last run's, read.
    rmSync(lock, { recursive: true });
    mkdirSync(lock);
    writeFileSync(join(lock, `pid-${spawnSync("true").pid}-0123456789abcdef`), "");
    const built = await catalog(["--run", running, "--out", site, "--no-history", "--quiet"]);
    expect(built.code, built.err).toBe(0);
    expect(existsSync(join(site, "quality.html"))).toBe(true);
  });

  it("reads a run folder again when a run started and ended while it was read (its run-summary.json replaced); gives up after three", async () => {
    const folder = join(temp, "replaced-run");
    cpSync(runDir, folder, { recursive: true });
    const summaryPath = join(folder, "run-summary.json");
    const original = readFileSync(summaryPath, "utf8");
    // The read itself replaces the summary, as a run that started and ended meanwhile does (its lock gone by the second look).
    let round = 0;
    const replacing = (times: number) => {
      let calls = 0;
      round += 1;
      return async () => {
        calls += 1;
        const seen = JSON.parse(readFileSync(summaryPath, "utf8")) as { runId: string };
        if (calls <= times) writeFileSync(summaryPath, JSON.stringify({ ...seen, runId: `run-${round}-${calls}` }));
        return { calls, runId: seen.runId };
      };
    };
    expect(await readSettledRun(folder, replacing(0))).toEqual({ calls: 1, runId: JSON.parse(original).runId });
    expect(await readSettledRun(folder, replacing(1))).toEqual({ calls: 2, runId: "run-2-1" });
    expect(await readSettledRun(folder, replacing(2))).toEqual({ calls: 3, runId: "run-3-2" });
    const error = await readSettledRun(folder, replacing(RUN_READ_ATTEMPTS)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CatalogError);
    expect((error as CatalogError).code).toBe("CATALOG.RUN_IN_PROGRESS");
    expect((error as CatalogError).message).toContain(`replaced ${folder}'s run-summary.json while the catalog read the folder, 3 times in a row`);
    // A run that removed the summary meanwhile (started, then failed): the read's own failure is not reported, it reads again.
    writeFileSync(summaryPath, original);
    let calls = 0;
    const failing = async () => {
      calls += 1;
      if (calls === 1) {
        rmSync(summaryPath);
        throw new Error("no run-summary.json");
      }
      return calls;
    };
    expect(await readSettledRun(folder, failing)).toBe(2);
    // Without a change, the read's failure is the answer.
    await expect(readSettledRun(folder, async () => Promise.reject(new Error("bad artifact")))).rejects.toThrow("bad artifact");
  });

  it("does not overwrite a file it did not write (CATALOG.UNOWNED_FILE)", async () => {
    const out = join(temp, "someone-elses");
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, "index.html"), "mine");
    const result = await catalog(["--no-run", "--out", out, "--no-history"]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/error CATALOG\.UNOWNED_FILE: .*index\.html/);
    expect(readFileSync(join(out, "index.html"), "utf8")).toBe("mine");
  });

  it("does not follow a link planted under the name a page's temporary had (<page>.tmp-<pid>): the page is replaced, the link's target left as it was", async () => {
    const out = join(temp, "planted-site");
    expect((await catalog(["--no-run", "--out", out, "--quiet", "--no-history"])).code).toBe(0);
    const wanted = readFileSync(join(out, "index.html"), "utf8");
    const victim = join(temp, "planted-victim.txt");
    writeFileSync(victim, "not the catalog's\n");
    // This process builds the site: its pid is the one the temporary's name carried.
    for (const page of ["index.html", OWNED_LIST]) symlinkSync(victim, join(out, `${page}.tmp-${process.pid}`));
    writeFileSync(join(out, "index.html"), "stale\n");
    expect((await catalog(["--no-run", "--out", out, "--quiet", "--no-history"])).code).toBe(0);
    expect(readFileSync(victim, "utf8")).toBe("not the catalog's\n");
    expect(readFileSync(join(out, "index.html"), "utf8")).toBe(wanted);
    expect(readdirSync(out).filter((name) => name.includes(".tmp-")).sort()).toEqual([`${OWNED_LIST}.tmp-${process.pid}`, `index.html.tmp-${process.pid}`]);
  });

  it("neither writes nor removes through a linked folder of the site (CATALOG.LINKED_FOLDER): the folder it links to is left as it was", async () => {
    const out = join(temp, "linked-site");
    expect((await catalog(["--no-run", "--out", out, "--quiet", "--no-history"])).code).toBe(0);
    const elsewhere = join(temp, "linked-elsewhere");
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, "notes.txt"), "not the catalog's\n");
    rmSync(join(out, "datasets"), { recursive: true });
    symlinkSync(elsewhere, join(out, "datasets"));
    // The site's list names a file it no longer builds there: removing it would remove the linked folder's file.
    const owned = JSON.parse(readFileSync(join(out, OWNED_LIST), "utf8")) as { files: string[] };
    writeFileSync(join(out, OWNED_LIST), JSON.stringify({ files: [...owned.files, "datasets/notes.txt"] }));
    const before = readFileSync(join(out, "index.html"), "utf8");
    const result = await catalog(["--no-run", "--out", out, "--quiet", "--no-history"]);
    expect(result.code).toBe(2);
    expect(result.err).toBe(
      `error CATALOG.LINKED_FOLDER: ${join(out, "datasets")} is a symbolic link, so writing or removing datasets/product.html would reach outside the site folder ${out}; nothing was written.\n` +
        `  fix: Remove the link (rm ${join(out, "datasets")}; the catalog recreates the folder), or pass another --out.\n`,
    );
    expect(readdirSync(elsewhere)).toEqual(["notes.txt"]);
    expect(readFileSync(join(out, "index.html"), "utf8")).toBe(before);
    // Once the link is gone, the catalog builds the folder again.
    rmSync(join(out, "datasets"));
    expect((await catalog(["--no-run", "--out", out, "--quiet", "--no-history"])).code).toBe(0);
    expect(readdirSync(join(out, "datasets")).sort()).toEqual(["product.html", "review.html"]);
    expect(readdirSync(elsewhere)).toEqual(["notes.txt"]);
  });
});

describe("history", () => {
  it("a --base that names no commit leaves no copy of the contracts in the repository (the history's load ends first)", () => {
    // A repository of its own (so that no other test's copy is counted), inside this one and with its contracts one
    // folder deeper, so that their imports (one more `../`) reach the project's contract kit and packages.
    const repo = mkdtempSync(join(root, ".contract-diff-test-catalog-"));
    try {
      mkdirSync(join(repo, "contracts"));
      for (const name of readdirSync(join(root, "contracts"))) {
        writeFileSync(join(repo, "contracts", name), readFileSync(join(root, "contracts", name), "utf8").replaceAll('"../generators/', '"../../generators/'));
      }
      const git = (...args: string[]) => execFileSync("git", ["-C", repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", ...args], { stdio: "pipe" });
      git("init", "-q");
      git("add", "contracts");
      git("commit", "-q", "-m", "contracts");
      // A process of the command: it exits once the failure is reported, as `npm run catalog` does.
      const result = runTool(BIN("tsx"), ["catalog/cli.ts", "--root", repo, "--no-run", "--base", "no-such-ref-anywhere", "--out", join(temp, "bad-base-site"), "--quiet"]);
      expect([result.status, result.stderr]).toEqual([2, expect.stringContaining("error CATALOG.BASE: ")]);
      // Before, the history's copy (one per failed run) stayed behind.
      expect(readdirSync(repo).filter((name) => name.startsWith(".contract-diff-"))).toEqual([]);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });

  it("states a shallow clone on the page instead of failing", async () => {
    const origin = join(temp, "origin");
    mkdirSync(join(origin, "contracts"), { recursive: true });
    const git = (cwd: string, ...args: string[]) => execFileSync("git", ["-C", cwd, "-c", "user.name=t", "-c", "user.email=t@example.invalid", ...args], { stdio: "pipe" });
    git(origin, "init", "-q");
    for (const n of [1, 2]) {
      writeFileSync(join(origin, "contracts", "x.contract.ts"), `export default ${n};\n`);
      git(origin, "add", "-A");
      git(origin, "commit", "-q", "-m", `contract ${n}`);
    }
    const clone = join(temp, "clone");
    execFileSync("git", ["clone", "-q", "--depth", "1", `file://${origin}`, clone], { stdio: "pipe" });
    const history = await contractHistory(clone, join(clone, "contracts"));
    expect(history.available).toBe(true);
    expect(history.shallow).toBe(true);
    expect(history.note).toMatch(/shallow clone/);
    expect(history.entries).toHaveLength(1);
    // Not a contract module: the entry says so, the history does not fail.
    expect(history.entries[0]!.loadError).toMatch(/CONTRACT\.NO_DEFAULT_EXPORT/);

    const notRepo = join(temp, "no-repo");
    mkdirSync(notRepo);
    expect(await contractHistory(notRepo, join(notRepo, "contracts"))).toMatchObject({ available: false, note: expect.stringMatching(/No git history/) });
  });
});
