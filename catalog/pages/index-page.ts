/**
 * The index: every dataset with owner, version, column count and the last run's status, the marts, and a search
 * across datasets, tables and columns (client-side, over a JSON data island; results built with DOM text nodes).
 */
import { href, html, jsonScript, slug, type SafeHtml } from "../html.js";
import { formatCount, PAGES, type CatalogModel } from "../model.js";
import { tableRegion } from "./layout.js";
import type { DatasetIR } from "../../generators/ir/types.js";
import { stagingModelName } from "../../generators/targets/dbt/emit.js";
import { stagingColumnOf } from "../lineage.js";

export interface SearchItem {
  readonly kind: "dataset" | "table" | "column" | "mart" | "mart column";
  /** What is shown and matched first (`review.helpful_votes`). */
  readonly title: string;
  readonly description: string;
  /** Site-relative link (from the index). */
  readonly href: string;
}

export function columnAnchor(table: string, column: string): string {
  return `column-${slug(table, column)}`;
}

/** The anchor of a mart's row in the index's marts table. */
export function martAnchor(mart: string): string {
  return `mart-${slug(mart)}`;
}

export function searchIndex(model: CatalogModel): SearchItem[] {
  const items: SearchItem[] = [];
  // The page script sets these as link targets: checked here like every link the catalog writes.
  const push = (item: SearchItem) => items.push({ ...item, href: href(item.href).value });
  for (const dataset of model.ir.datasets) {
    const page = PAGES.dataset(dataset.name);
    push({ kind: "dataset", title: dataset.name, description: dataset.description, href: page });
    for (const table of [dataset.table, ...dataset.children]) {
      push({ kind: "table", title: `${dataset.name} › ${table.name}`, description: table.description, href: `${page}#table-${slug(table.name)}` });
      for (const column of table.columns) {
        push({ kind: "column", title: `${table.name}.${column.name}`, description: column.description, href: `${page}#${columnAnchor(table.name, column.name)}` });
      }
    }
  }
  // A mart column links to the dataset column it is computed from (its lineage there names the mart column),
  // following marts built on marts; a column computed from none links to its mart's row.
  const staged = new Map<string, string>();
  for (const dataset of model.ir.datasets) {
    for (const table of [dataset.table, ...dataset.children]) {
      for (const column of table.columns) {
        const staging = stagingColumnOf(model.ir, dataset, table, column);
        if (staging) staged.set(`${stagingModelName(table)}.${staging.name}`, `${PAGES.dataset(dataset.name)}#${columnAnchor(table.name, column.name)}`);
      }
    }
  }
  const marts = model.ir.marts ?? [];
  const upstreamOf = new Map<string, readonly string[]>(marts.flatMap((m) => m.columns.map((c) => [`${m.name}.${c.name}`, c.upstream] as const)));
  const origin = (name: string, seen: Set<string>): string | undefined => {
    if (staged.has(name)) return staged.get(name);
    if (seen.has(name)) return undefined;
    seen.add(name);
    for (const upstream of upstreamOf.get(name) ?? []) {
      const found = origin(upstream, seen);
      if (found) return found;
    }
    return undefined;
  };
  for (const mart of marts) {
    const row = `${PAGES.index}#${martAnchor(mart.name)}`;
    push({ kind: "mart", title: mart.name, description: mart.description, href: row });
    for (const column of mart.columns) {
      push({ kind: "mart column", title: `${mart.name}.${column.name}`, description: column.description, href: origin(`${mart.name}.${column.name}`, new Set()) ?? row });
    }
  }
  return items;
}

export function columnCount(dataset: DatasetIR): number {
  return [dataset.table, ...dataset.children].reduce((n, t) => n + t.columns.length, 0);
}

function runStatus(model: CatalogModel, dataset: DatasetIR): SafeHtml {
  const summary = model.run?.summary.datasets[dataset.name];
  if (!model.run) return html`<span class="muted">no run</span>`;
  if (!summary) return html`<span class="muted">not in run ${model.run.summary.runId}</span>`;
  const ok = model.run.summary.reconciled;
  return html`<span class="${ok ? "status-ok" : "status-fail"}">${ok ? "reconciled" : "does not reconcile"}</span>: ${formatCount(summary.valid)} of ${formatCount(summary.input)} valid, ${formatCount(summary.quarantined.total)} quarantined, ${formatCount(summary.duplicates)} duplicate${summary.duplicates === 1 ? "" : "s"}`;
}

export function indexPage(model: CatalogModel): SafeHtml {
  const rows = model.ir.datasets.map(
    (d) => html`<tr>
<th scope="row"><a href="${href(PAGES.dataset(d.name))}">${d.name}</a></th>
<td>${d.description}</td>
<td>${d.contract.owner}</td>
<td><code>${d.contract.version}</code></td>
<td class="number">${columnCount(d)}</td>
<td>${[d.table, ...d.children].map((t, i) => html`${i ? ", " : ""}<code>${t.name}</code>`)}</td>
<td>${runStatus(model, d)}</td>
</tr>`,
  );
  const warehouse = model.run?.summary.warehouse;
  const runLine = model.run
    ? html`<p>Last run: <a href="${href(PAGES.quality)}">run <code>${model.run.summary.runId}</code></a> (${model.run.summary.engine} engine): counts ${model.run.summary.reconciled ? "reconcile" : "do not reconcile"}${warehouse ? html`; dbt ${warehouse.dbtVersion}: ${formatCount(warehouse.tests.passed)} tests passed, ${formatCount(warehouse.tests.failed.length)} failed` : ""}.</p>`
    : html`<p class="muted">${model.runNote}</p>`;
  const marts = model.ir.marts ?? [];
  return html`<h1>Contract catalog</h1>
<p>Every dataset's contract, its columns through every system, and the quality of the last pipeline run.</p>
<div role="search" class="search" id="search-box" hidden>
<label for="search">Search datasets, tables, columns and marts</label>
<input type="search" id="search" autocomplete="off" spellcheck="false" aria-describedby="search-status">
<p id="search-status" class="muted" aria-live="polite"></p>
<ul id="search-results" class="search-results"></ul>
</div>
<noscript><p class="muted">Search needs JavaScript; the tables below and each dataset's page list every table and column.</p></noscript>
${jsonScript("search-index", searchIndex(model))}
<h2>Datasets</h2>
${runLine}
${tableRegion(
  "Datasets",
  html`<table class="data">
<caption>Datasets and their contracts</caption>
<thead><tr><th scope="col">dataset</th><th scope="col">description</th><th scope="col">owner</th><th scope="col">version</th><th scope="col">columns</th><th scope="col">tables</th><th scope="col">last run</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`,
)}
${
  marts.length
    ? html`<h2>Marts</h2>
<p>Hand-written dbt marts with enforced contracts, read by QuickSight. Each column declares the staging columns it is computed from; the dataset pages follow that lineage.</p>
${tableRegion(
  "Marts",
  html`<table class="data">
<caption>Marts</caption>
<thead><tr><th scope="col">mart</th><th scope="col">description</th><th scope="col">columns</th></tr></thead>
<tbody>
${marts.map((m) => html`<tr id="${martAnchor(m.name)}"><th scope="row"><code>${m.name}</code></th><td>${m.description}</td><td class="number">${m.columns.length}</td></tr>`)}
</tbody>
</table>`,
)}`
    : ""
}
<h2>More</h2>
<ul>
<li><a href="${href(PAGES.quality)}">Data quality of the last run</a></li>
<li><a href="${href(PAGES.history)}">Contract history and reviews</a></li>
${model.pullRequest ? html`<li><a href="${href(PAGES.pullRequest)}">Pull request: changes against <code>${model.pullRequest.base}</code></a></li>` : ""}
</ul>`;
}
