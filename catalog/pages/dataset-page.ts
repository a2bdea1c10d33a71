/**
 * One dataset: its contract, every table and column with the type per engine, PII class, description, rules and
 * normalisations (what the data dictionary `generated/docs/<dataset>.md` carries), and per column its lineage from
 * the raw JSON to the marts.
 */
import { nativeType } from "../../generators/dialects/types.js";
import type { ColumnIR, ContractIR, DatasetIR, TableIR } from "../../generators/ir/types.js";
import { JSON_DATA_TYPE, stagingModelName } from "../../generators/targets/dbt/emit.js";
import { protectionOf } from "../../generators/targets/protection.js";
import { breakable, html, raw, slug, type SafeHtml } from "../html.js";
import { columnLineage, columnRules, logicalText, parquetText, rawText, stagingColumnOf, type ModelDependencies } from "../lineage.js";
import { formatCount, type CatalogModel } from "../model.js";
import { columnAnchor } from "./index-page.js";
import { tableRegion } from "./layout.js";

/** A staging column's contract type as a reader understands it (the JSON type is chosen per target by dbt). */
function dbtTypeText(dataType: string): string {
  return dataType === JSON_DATA_TYPE ? "json (DuckDB) / variant (Snowflake)" : dataType;
}

function piiBadge(column: ColumnIR): SafeHtml {
  return column.pii === "none" ? html`<span class="muted">none</span>` : html`<span class="badge badge-pii">${column.pii}</span>`;
}

function columnsTable(ir: ContractIR, dataset: DatasetIR, table: TableIR): SafeHtml {
  const rows = table.columns.map((c) => {
    const staging = stagingColumnOf(ir, dataset, table, c);
    const flags = [c.key ? "key" : "", c.partition ? "partition" : "", c.references ? `→ ${c.references.dataset}.${c.references.column}` : ""].filter(Boolean).join(", ");
    return html`<tr>
<th scope="row"><a href="#${columnAnchor(table.name, c.name)}"><code>${breakable(c.name)}</code></a>${flags ? html` <span class="muted">${flags}</span>` : ""}</th>
<td><code>${breakable(logicalText(c))}</code></td>
<td><code>${breakable(parquetText(c))}</code></td>
<td><code>${breakable(nativeType("spark", c))}</code></td>
<td><code>${breakable(nativeType("duckdb", c))}</code></td>
<td><code>${breakable(nativeType("snowflake", c))}</code></td>
<td>${staging ? html`<code>${breakable(dbtTypeText(staging.dataType))}</code>` : html`<span class="muted">not loaded</span>`}</td>
<td>${c.nullable ? "yes" : "no"}</td>
<td>${piiBadge(c)}</td>
<td>${c.normalize.length ? c.normalize.map((n, i) => html`${i ? ", " : ""}<code>${breakable(n)}</code>`) : html`<span class="muted">—</span>`}</td>
<td class="description">${c.description}</td>
</tr>`;
  });
  return html`<div class="table-scroll" role="region" aria-label="Columns of ${table.name}" tabindex="0">
<table class="data columns">
<caption>Columns of <code>${table.name}</code>: type per engine</caption>
<thead><tr><th scope="col">column</th><th scope="col">logical</th><th scope="col">Parquet</th><th scope="col">Spark</th><th scope="col">DuckDB</th><th scope="col">Snowflake</th><th scope="col">dbt staging</th><th scope="col">null</th><th scope="col">PII</th><th scope="col">normalisation</th><th scope="col">description</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</div>`;
}

function lineageList(model: CatalogModel, dataset: DatasetIR, table: TableIR, column: ColumnIR, dependencies: ModelDependencies | null): SafeHtml {
  const lineage = columnLineage(model.ir, dataset, table, column, dependencies);
  const stages = lineage.stages.map(
    (s) => html`<li class="stage" data-stage="${s.stage}"><span class="stage-label">${s.label}</span> <code class="stage-name">${s.name}</code> <span class="stage-detail">${s.detail}</span></li>`,
  );
  const staged = lineage.stages.some((s) => s.stage === "staging" && !s.name.endsWith("(left out)"));
  const marts = !staged
    ? ""
    : lineage.marts.length
      ? html`<li class="stage" data-stage="mart"><span class="stage-label">Marts</span> <ul class="marts">${lineage.marts.map(
          (m) =>
            html`<li><code class="stage-name">${m.column}</code>${m.via.length > 2 ? html` <span class="stage-detail">via ${m.via.slice(1, -1).join(" → ")}</span>` : ""}${m.inManifest === false ? html` <span class="status-fail">(dbt's manifest does not list this dependency)</span>` : ""}</li>`,
        )}</ul></li>`
      : html`<li class="stage" data-stage="mart"><span class="stage-label">Marts</span> <span class="muted">no mart column is computed from it</span></li>`;
  return html`<ol class="lineage" aria-label="Lineage of ${table.name}.${column.name}">${stages}${marts}</ol>`;
}

function columnSection(model: CatalogModel, dataset: DatasetIR, table: TableIR, column: ColumnIR): SafeHtml {
  const rules = columnRules(dataset, column);
  const byReason = model.run?.summary.datasets[dataset.name]?.quarantined.byReason ?? {};
  return html`<section class="column" id="${columnAnchor(table.name, column.name)}" aria-labelledby="${columnAnchor(table.name, column.name)}-h">
<h4 id="${columnAnchor(table.name, column.name)}-h"><code>${table.name}.${column.name}</code></h4>
<p>${column.description}</p>
<dl class="facts">
<dt>type</dt><dd><code>${logicalText(column)}</code>, ${column.nullable ? "nullable" : "not null"}${column.key ? ", key" : ""}${column.partition ? ", partition column" : ""}</dd>
<dt>from</dt><dd><code>${rawText(column.source)}</code></dd>
<dt>PII</dt><dd>${piiBadge(column)}</dd>
${protectionOf(column, table).length ? html`<dt>protection</dt><dd><ul class="protection">${protectionOf(column, table).map((p) => html`<li><strong>${p.system}</strong>: ${p.how}</li>`)}</ul></dd>` : ""}
<dt>normalisation</dt><dd>${column.normalize.length ? column.normalize.join(" → ") : "none"}</dd>
${column.references ? html`<dt>references</dt><dd><code>${column.references.dataset}.${column.references.column}</code></dd>` : ""}
${column.acceptedValues?.length ? html`<dt>accepted values</dt><dd>${column.acceptedValues.map((v, i) => html`${i ? ", " : ""}<code>${String(v)}</code>`)}</dd>` : ""}
</dl>
${
  rules.length
    ? tableRegion(
        `Rules on ${table.name}.${column.name}`,
        html`<table class="data compact">
<caption>Rules on the raw field (a record failing one is quarantined with its code)</caption>
<thead><tr><th scope="col">reason code</th><th scope="col">rule</th><th scope="col">quarantined in the last run</th></tr></thead>
<tbody>${rules.map((r) => html`<tr><td><code>${r.code}</code></td><td>${r.description}</td><td class="number">${model.run ? formatCount(byReason[r.code] ?? 0) : "—"}</td></tr>`)}</tbody>
</table>`,
      )
    : html`<p class="muted">No validation rule on its raw field.</p>`
}
<h5>Lineage</h5>
${lineageList(model, dataset, table, column, model.run?.dependencies ?? null)}
</section>`;
}

function tableSection(model: CatalogModel, dataset: DatasetIR, table: TableIR, child: boolean): SafeHtml {
  return html`<section id="table-${slug(table.name)}" aria-labelledby="table-${slug(table.name)}-h">
<h2 id="table-${slug(table.name)}-h">${child ? "Child table" : "Processed table"} <code>${table.name}</code></h2>
<p>${table.description}</p>
<p>Key: ${table.key.map((k, i) => html`${i ? ", " : ""}<code>${k}</code>`)}.${table.partitionBy.length ? html` Partitioned by ${table.partitionBy.map((k, i) => html`${i ? ", " : ""}<code>${k}</code>`)}.` : ""} Location: <code>${table.location}</code>. dbt staging model: <code>${stagingModelName(table)}</code>.</p>
${columnsTable(model.ir, dataset, table)}
<h3>Columns</h3>
${table.columns.map((c) => columnSection(model, dataset, table, c))}
${
  table.withheld.length
    ? html`<h3>Sensitive columns (cleaned zone only)</h3>
<p>Validated and kept inside the raw record of the cleaned zone; in no processed table, external table, staging view or mart.</p>
<ul class="withheld">${table.withheld.map((c) => html`<li><code>${table.name}.${c.name}</code> <span class="badge badge-pii">${c.pii}</span>: ${c.description}</li>`)}</ul>`
    : ""
}
</section>`;
}

export function datasetPage(model: CatalogModel, dataset: DatasetIR): SafeHtml {
  return html`<h1>Dataset <code>${dataset.name}</code> <span class="muted">contract ${dataset.contract.version}</span></h1>
<p>${dataset.description}</p>
<dl class="facts">
<dt>contract</dt><dd><code>${dataset.contract.file}</code></dd>
<dt>owner</dt><dd>${dataset.contract.owner}</dd>
<dt>version</dt><dd><code>${dataset.contract.version}</code></dd>
${(["raw", "cleaned", "quarantine", "processed"] as const).map((zone) => html`<dt>${zone}</dt><dd><code>${dataset.locations[zone]}</code></dd>`)}
</dl>
<nav aria-label="Tables of ${dataset.name}"><ul>${[dataset.table, ...dataset.children].map((t) => html`<li><a href="#table-${slug(t.name)}"><code>${t.name}</code></a></li>`)}<li><a href="#rules">Validation rules</a></li></ul></nav>
${tableSection(model, dataset, dataset.table, false)}
${dataset.children.map((child) => tableSection(model, dataset, child, true))}
<section id="rules" aria-labelledby="rules-h">
<h2 id="rules-h">Validation rules (raw record)</h2>
<p>A record failing any rule is quarantined with the code of every rule it fails.</p>
${tableRegion(
  `Rules of ${dataset.name}`,
  html`<table class="data compact">
<caption>Rules of <code>${dataset.name}</code></caption>
<thead><tr><th scope="col">reason code</th><th scope="col">rule</th></tr></thead>
<tbody>${dataset.rules.map((r) => html`<tr><td><code>${r.code}</code></td><td>${r.description}</td></tr>`)}</tbody>
</table>`,
)}
${
  dataset.excluded.length
    ? html`<h3>Raw fields not loaded</h3>
${tableRegion(
        `Raw fields of ${dataset.name} not loaded`,
        html`<table class="data compact"><caption>Validated but not loaded</caption><thead><tr><th scope="col">field</th><th scope="col">why</th></tr></thead>
<tbody>${dataset.excluded.map((e) => html`<tr><td><code>${e.path}</code></td><td>${e.reason}</td></tr>`)}</tbody></table>`,
      )}`
    : raw("")
}
</section>`;
}
