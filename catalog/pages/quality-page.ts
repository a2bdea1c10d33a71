/**
 * Data quality of a run: input / valid / duplicate / quarantined per dataset, quarantine reasons (bar chart),
 * records per partition value of each partitioned table (a date, or any other partition column), dbt's models, freshness and tests with failing-row counts, and sample
 * quarantined records with personal data masked. Charts are drawn in the browser by Observable Plot from the JSON
 * data island; every chart's numbers are also in a table beside it (for screen readers and without script).
 */
import { compareCodePoints } from "../../generators/lib/sort.js";
import { html, jsonScript, slug, type SafeHtml } from "../html.js";
import { formatCount, type CatalogModel } from "../model.js";
import { QUARANTINE_READ_MIB, SAMPLE_LIMIT, type RunData } from "../run.js";
import { tableRegion } from "./layout.js";

export interface QualityChartData {
  readonly reasons: readonly { readonly dataset: string; readonly bars: readonly { readonly reason: string; readonly records: number }[] }[];
  readonly series: readonly { readonly dataset: string; readonly table: string; readonly column: string; readonly points: readonly { readonly date: string; readonly rows: number }[] }[];
}

export function chartData(run: RunData): QualityChartData {
  const names = Object.keys(run.summary.datasets).sort(compareCodePoints);
  return {
    reasons: names
      .map((dataset) => ({
        dataset,
        bars: Object.entries(run.summary.datasets[dataset]!.quarantined.byReason)
          .map(([reason, records]) => ({ reason, records }))
          .sort((a, b) => b.records - a.records || compareCodePoints(a.reason, b.reason)),
      }))
      .filter((d) => d.bars.length > 0),
    series: names.flatMap((dataset) => (run.partitions.get(dataset) ?? []).filter((s) => s.points.length > 0).map((s) => ({ dataset, ...s }))),
  };
}

function countsTable(run: RunData): SafeHtml {
  const names = Object.keys(run.summary.datasets).sort(compareCodePoints);
  return tableRegion(
    "Records per dataset",
    html`<table class="data">
<caption>Records per dataset (input = valid + duplicates + quarantined)</caption>
<thead><tr><th scope="col">dataset</th><th scope="col">input</th><th scope="col">valid</th><th scope="col">duplicates</th><th scope="col">quarantined</th><th scope="col">rows per table</th></tr></thead>
<tbody>${names.map((name) => {
    const d = run.summary.datasets[name]!;
    return html`<tr><th scope="row"><code>${name}</code></th><td class="number">${formatCount(d.input)}</td><td class="number">${formatCount(d.valid)}</td><td class="number">${formatCount(d.duplicates)}</td><td class="number">${formatCount(d.quarantined.total)}</td><td>${Object.entries(d.tables).map(([t, n], i) => html`${i ? ", " : ""}<code>${t}</code> ${formatCount(n)}`)}</td></tr>`;
  })}</tbody>
</table>`,
  );
}

function filesTable(run: RunData): SafeHtml {
  const rows = Object.keys(run.summary.datasets)
    .sort(compareCodePoints)
    .flatMap((name) =>
      run.summary.datasets[name]!.files.map(
        (f) => html`<tr><td><code>${name}</code></td><td><code>${f.file}</code></td><td>${f.format ?? ""}${f.gzip ? ", gzip" : ""}</td><td class="number">${f.lines ?? ""}</td><td class="number">${f.records ?? ""}</td><td class="number">${f.blankLines ?? ""}</td><td>${f.error ? html`<span class="status-fail">${f.error}</span>` : ""}</td></tr>`,
      ),
    );
  return html`<details><summary>Input files (${rows.length})</summary>
${tableRegion(
  "Input files",
  html`<table class="data compact"><caption>Input files of the run</caption>
<thead><tr><th scope="col">dataset</th><th scope="col">file</th><th scope="col">format</th><th scope="col">lines</th><th scope="col">records</th><th scope="col">blank lines</th><th scope="col">note</th></tr></thead>
<tbody>${rows}</tbody></table>`,
)}</details>`;
}

function reasonCharts(data: QualityChartData): SafeHtml {
  if (data.reasons.length === 0) return html`<p>No record was quarantined.</p>`;
  return html`${data.reasons.map(
    (d) => html`<figure class="chart" data-chart="reasons" data-dataset="${d.dataset}" id="chart-reasons-${slug(d.dataset)}">
<figcaption>Quarantine reasons of <code>${d.dataset}</code>: records per reason code (a record counts once for each rule it fails)</figcaption>
<details><summary>Numbers: quarantine reasons of <code>${d.dataset}</code></summary>${tableRegion(
      `Numbers of the quarantine reasons of ${d.dataset}`,
      html`<table class="data compact"><caption>Quarantine reasons of ${d.dataset}</caption><thead><tr><th scope="col">reason code</th><th scope="col">records</th></tr></thead>
<tbody>${d.bars.map((b) => html`<tr><td><code>${b.reason}</code></td><td class="number">${formatCount(b.records)}</td></tr>`)}</tbody></table>`,
    )}</details>
</figure>`,
  )}`;
}

/**
 * The heading of the partition charts, naming the partition columns: a table may be partitioned by a date or by
 * any other column (an enum such as `marketplace`).
 */
export function partitionHeading(data: QualityChartData): SafeHtml {
  const columns = [...new Set(data.series.map((s) => s.column))];
  if (columns.length === 0) return html`<h2>Records per partition</h2>`;
  return html`<h2>Records per partition (${columns.map((c, i) => html`${i ? ", " : ""}<code>${c}</code>`)})</h2>`;
}

function seriesCharts(data: QualityChartData): SafeHtml {
  if (data.series.length === 0) return html`<p>No partitioned table has rows in this run.</p>`;
  return html`${data.series.map(
    (s) => html`<figure class="chart" data-chart="series" data-dataset="${s.dataset}" data-table="${s.table}" id="chart-series-${slug(s.table)}">
<figcaption>Rows of <code>${s.table}</code> per <code>${s.column}</code> (processed Parquet, ${s.points.length} partition${s.points.length === 1 ? "" : "s"})</figcaption>
<details><summary>Numbers: rows of <code>${s.table}</code> per <code>${s.column}</code></summary>${tableRegion(
      `Numbers of the rows of ${s.table} per ${s.column}`,
      html`<table class="data compact"><caption>Rows of ${s.table} per ${s.column}</caption><thead><tr><th scope="col">${s.column}</th><th scope="col">rows</th></tr></thead>
<tbody>${s.points.map((p) => html`<tr><td>${p.date}</td><td class="number">${formatCount(p.rows)}</td></tr>`)}</tbody></table>`,
    )}</details>
</figure>`,
  )}`;
}

function dbtSection(run: RunData): SafeHtml {
  const warehouse = run.summary.warehouse;
  if (!warehouse) return html`<p class="muted">This run has no warehouse results (it ran with --no-warehouse, or dbt could not run).</p>`;
  const failed = new Map(warehouse.tests.failed.map((t) => [t.name, t]));
  const tests = run.dbtTests;
  const testRows = tests
    ? tests.map((t) => {
        const f = failed.get(t.name);
        return html`<tr class="dbt-test" data-status="${t.status}"><td><code>${t.name}</code></td><td><code>${t.on}</code></td><td class="${t.status === "pass" ? "status-ok" : "status-fail"}">${t.status}</td><td class="number">${t.failures === null ? "—" : formatCount(t.failures)}</td><td>${f?.message ?? ""}</td></tr>`;
      })
    : warehouse.tests.failed.map(
        (t) => html`<tr class="dbt-test" data-status="${t.status}"><td><code>${t.name}</code></td><td><code>${t.on}</code></td><td class="status-fail">${t.status}</td><td class="number">${formatCount(t.failures)}</td><td>${t.message ?? ""}</td></tr>`,
      );
  const samples = warehouse.tests.failed.filter((t) => t.sample.length > 0);
  return html`<p>dbt ${warehouse.dbtVersion}: ${warehouse.ok ? html`<span class="status-ok">every model, contract and test passed</span>` : html`<span class="status-fail">a model, test or freshness check failed</span>`}; ${formatCount(warehouse.tests.passed)} tests passed, ${formatCount(warehouse.tests.failed.length)} did not.</p>
${tableRegion(
  "Models dbt built",
  html`<table class="data compact">
<caption>Models dbt built</caption>
<thead><tr><th scope="col">model</th><th scope="col">schema</th><th scope="col">materialized</th><th scope="col">status</th><th scope="col">rows</th></tr></thead>
<tbody>${warehouse.models.map((m) => html`<tr><td><code>${m.name}</code></td><td><code>${m.schema}</code></td><td>${m.materialized}</td><td class="${m.status === "success" ? "status-ok" : "status-fail"}">${m.status}${m.message ? html`: ${m.message}` : ""}</td><td class="number">${m.rows === undefined ? "—" : formatCount(m.rows)}</td></tr>`)}</tbody>
</table>`,
)}
${
  warehouse.freshness?.length
    ? tableRegion(
        "Source freshness",
        html`<table class="data compact"><caption>Source freshness (on processed_at)</caption><thead><tr><th scope="col">source</th><th scope="col">status</th><th scope="col">newest row loaded at</th></tr></thead>
<tbody>${warehouse.freshness.map((f) => html`<tr><td><code>${f.source}</code></td><td class="${f.status === "pass" ? "status-ok" : "status-fail"}">${f.status}</td><td>${f.maxLoadedAt ?? "—"}</td></tr>`)}</tbody></table>`,
      )
    : ""
}
<div class="table-scroll" role="region" aria-label="dbt tests" tabindex="0">
<table class="data compact dbt-tests">
<caption>${tests ? `Every dbt test of the run (${tests.length}), with its failing-row count` : "Failed dbt tests (dbt's run_results.json was not found: passed tests are not listed)"}</caption>
<thead><tr><th scope="col">test</th><th scope="col">on</th><th scope="col">status</th><th scope="col">failing rows</th><th scope="col">message</th></tr></thead>
<tbody>${testRows}</tbody>
</table>
</div>
${samples.map(
    (t) => html`<details><summary>Failing rows of <code>${t.name}</code> (sample of ${t.sample.length})</summary><pre class="code"><code>${t.sample.map((row) => JSON.stringify(row)).join("\n")}</code></pre></details>`,
  )}`;
}

function samplesSection(model: CatalogModel, run: RunData): SafeHtml {
  const names = [...run.samples.keys()].sort(compareCodePoints);
  const withSamples = names.filter((n) => (run.samples.get(n) ?? []).length > 0);
  if (withSamples.length === 0) return html`<p>No quarantined record to show.</p>`;
  return html`<p>Raw records as the producer sent them, with every field whose column is personal or sensitive in the contract masked. One record is shown for every reason code found in the first ${QUARANTINE_READ_MIB} MiB of each quarantine file, then more up to ${SAMPLE_LIMIT}.</p>
${withSamples.map((name) => {
    const samples = run.samples.get(name)!;
    const dataset = model.ir.datasets.find((d) => d.name === name);
    const total = run.summary.datasets[name]?.quarantined.total ?? samples.length;
    const shown = new Set(samples.flatMap((s) => s.reasons));
    const unshown = Object.keys(run.summary.datasets[name]?.quarantined.byReason ?? {})
      .filter((reason) => !shown.has(reason))
      .sort(compareCodePoints);
    return html`<section aria-labelledby="samples-${slug(name)}-h">
<h3 id="samples-${slug(name)}-h"><code>${name}</code>: ${samples.length} of ${formatCount(total)} quarantined record${total === 1 ? "" : "s"}</h3>
${dataset ? "" : html`<p class="muted">No contract for this dataset: the records are withheld.</p>`}
${unshown.length ? html`<p class="muted samples-unshown">No sample of ${unshown.map((r, i) => html`${i ? ", " : ""}<code>${r}</code>`)}: their records are beyond the part of the quarantine files read.</p>` : ""}
<ol class="samples">${samples.map(
      (s) => html`<li class="quarantine-sample"><p><code>${s.sourceFile}${s.lineNumber === null ? "" : `:${s.lineNumber}`}</code>: ${s.reasons.map((r, i) => html`${i ? ", " : ""}<code>${r}</code>`)}${s.masked ? html` <span class="badge badge-pii">${s.masked} masked</span>` : ""}${s.parsed ? "" : html` <span class="muted">(not valid JSON: shown as text)</span>`}</p>
<pre class="code raw-record"><code>${s.text}</code></pre></li>`,
    )}</ol>
</section>`;
  })}`;
}

export function qualityPage(model: CatalogModel): SafeHtml {
  const run = model.run;
  if (!run) return html`<h1>Data quality</h1><p class="note" role="note">${model.runNote}</p>`;
  const data = chartData(run);
  return html`<h1>Data quality of run <code>${run.summary.runId}</code></h1>
<p>Engine: ${run.summary.engine}. Counts ${run.summary.reconciled ? html`<span class="status-ok">reconcile</span>` : html`<span class="status-fail">do not reconcile</span>`}.</p>
${run.summary.problems.length ? html`<ul class="problems">${run.summary.problems.map((p) => html`<li class="status-fail">${p}</li>`)}</ul>` : ""}
${countsTable(run)}
${filesTable(run)}
<h2>Quarantine reasons</h2>
${reasonCharts(data)}
${partitionHeading(data)}
${seriesCharts(data)}
${jsonScript("quality-data", data)}
<h2>dbt: models, freshness and tests</h2>
${dbtSection(run)}
<h2>Sample quarantined records</h2>
${samplesSection(model, run)}`;
}
