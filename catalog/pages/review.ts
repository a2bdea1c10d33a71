/**
 * A contract review (`contract:diff --format json`, schema `contract-diff/3`) as HTML: the verdict per contract,
 * every finding with its rule, message, place, severity per consumer and bump, the consequence and migration
 * (Snowflake statements, backfill), QuickSight impacts and, when computed, the generated files the change touches.
 * Same findings and severities as the JSON: this only lays them out.
 */
import { failingHeadline } from "../../generators/diff/format.js";
import type { Report } from "../../generators/diff/report.js";
import { CONSUMER_NAMES, CONSUMERS, type Severity } from "../../generators/diff/rule-types.js";
import { html, raw, type SafeHtml } from "../html.js";
import { tableRegion } from "./layout.js";

const SEVERITY_WORDS: Readonly<Record<Severity, string>> = { S: "safe", M: "needs a migration step", B: "breaks" };

function severityCell(severity: Severity): SafeHtml {
  return html`<td class="severity severity-${severity.toLowerCase()}"><abbr title="${SEVERITY_WORDS[severity]}">${severity}</abbr></td>`;
}

export interface ReviewOptions {
  /** Heading level of the review's own sections (2 on the PR page, 4 inside a history entry). */
  readonly level: 2 | 3 | 4;
}

export function reviewSection(report: Report, options: ReviewOptions): SafeHtml {
  const h = (text: SafeHtml | string, level = options.level) => html`${raw(`<h${level}>`)}${text}${raw(`</h${level}>`)}`;
  const failing = report.verdicts.filter((v) => !v.ok);
  const headline = failing.length
    ? failingHeadline(report.verdicts)
    : report.findings.length
      ? "version bumps are sufficient"
      : "no contract changes";
  // Region labels name the review: the history page holds one review per commit.
  const of = `${report.base} → ${report.head}`;
  const verdicts = tableRegion(
    `Verdicts of ${of}`,
    html`<table class="data compact review-verdicts" data-review-ok="${String(report.ok)}">
<caption>Contract review of <code>${report.base}</code> → <code>${report.head}</code>: ${headline}</caption>
<thead><tr><th scope="col">contract</th><th scope="col">version</th><th scope="col">declared bump</th><th scope="col">required bump</th><th scope="col">verdict</th></tr></thead>
<tbody>${report.verdicts.map(
    (v) => html`<tr><th scope="row"><code>${v.dataset}</code></th><td>${v.baseVersion ?? "(none)"} → ${v.headVersion ?? "(deleted)"}</td><td>${v.declared}</td><td>${v.required}</td><td class="${v.ok ? "status-ok" : "status-fail"}">${v.ok ? "ok" : "FAIL"}: ${v.reason}</td></tr>`,
  )}</tbody>
</table>`,
  );
  const findings = report.findings.length
    ? html`<div class="table-scroll" role="region" aria-label="Findings of ${of}" tabindex="0"><table class="data compact findings">
<caption>${report.findings.length} finding${report.findings.length === 1 ? "" : "s"}. Severity per consumer: S safe, M needs a migration step, B breaks.</caption>
<thead><tr><th scope="col">rule</th><th scope="col">change</th><th scope="col">where</th>${CONSUMERS.map((c) => html`<th scope="col" class="consumer">${CONSUMER_NAMES[c]} (${c})</th>`)}<th scope="col">bump</th></tr></thead>
<tbody>${report.findings.map(
        (f) => html`<tr class="finding" data-rule="${f.rule}">
<td><code>${f.rule}</code> ${f.name}</td>
<td><p class="finding-message">${f.message}</p><p class="muted">${f.consequence}</p>${
          f.migration.snowflake.length ? html`<pre class="code"><code>${f.migration.snowflake.join("\n")}</code></pre>` : ""
        }${f.migration.backfill ? html`<p>Backfill: ${f.migration.backfill}</p>` : ""}</td>
<td><code>${f.where.file}:${f.where.line}:${f.where.column}</code></td>
${CONSUMERS.map((c) => severityCell(f.severity[c]))}
<td>${f.bump}</td>
</tr>`,
      )}</tbody>
</table></div>`
    : html`<p>No contract changes.</p>`;
  const quicksight = report.quicksight.length
    ? html`${h("QuickSight", options.level)}
${tableRegion(
        `QuickSight impacts of ${of}`,
        html`<table class="data compact"><caption>QuickSight data sets and visuals the change reaches</caption>
<thead><tr><th scope="col">mart column</th><th scope="col">change</th><th scope="col">data set</th><th scope="col">visuals</th><th scope="col">breaks</th></tr></thead>
<tbody>${report.quicksight.map(
        (q) => html`<tr><td><code>${q.mart}.${q.column}</code></td><td>${q.change}: ${q.detail}</td><td><code>${q.dataSet}</code></td><td>${q.visuals.length ? q.visuals.map((v, i) => html`${i ? ", " : ""}<code>${v}</code>`) : "—"}</td><td>${q.breaking ? "yes" : "no"}</td></tr>`,
      )}</tbody></table>`,
      )}`
    : "";
  const generated =
    report.generatedFiles === null
      ? ""
      : html`${h("Generated files", options.level)}${
          report.generatedFiles.length
            ? tableRegion(
                `Generated files of ${of}`,
                html`<table class="data compact generated-files"><caption>Generated files the change touches (contract versions and hashes in headers ignored)</caption>
<thead><tr><th scope="col">file</th><th scope="col">status</th><th scope="col">lines added</th><th scope="col">lines removed</th></tr></thead>
<tbody>${report.generatedFiles.map((g) => html`<tr><td><code>${g.path}</code></td><td>${g.status}</td><td class="number">+${g.linesAdded}</td><td class="number">−${g.linesRemoved}</td></tr>`)}</tbody></table>`,
              )
            : html`<p>No generated file changes.</p>`
        }`;
  return html`${verdicts}
${findings}
${quicksight}
${generated}`;
}
