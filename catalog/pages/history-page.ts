/**
 * History: each contract's versions found in git (version, date, commit), then every commit that changed the
 * contracts with the contract review of its change. A shallow clone or missing git is said on the page.
 */
import { html, type SafeHtml } from "../html.js";
import type { CatalogModel, PullRequestData } from "../model.js";
import { tableRegion } from "./layout.js";
import { reviewSection } from "./review.js";

const short = (commit: string) => (/^[0-9a-f]{40}$/.test(commit) ? commit.slice(0, 12) : commit);

export function historyPage(model: CatalogModel): SafeHtml {
  const history = model.history;
  if (!history) return html`<h1>Contract history</h1><p class="muted">History was not collected for this build.</p>`;
  const notes = html`${history.note ? html`<p class="note" role="note">${history.note}</p>` : ""}`;
  if (!history.available) return html`<h1>Contract history</h1>${notes}`;
  const versions = history.contracts.map(
    (c) => html`<section aria-labelledby="versions-${c.dataset}-h">
<h3 id="versions-${c.dataset}-h"><code>${c.dataset}</code> <span class="muted">${c.file}</span></h3>
${tableRegion(
  `Revisions of ${c.file}`,
  html`<table class="data compact contract-versions" data-dataset="${c.dataset}">
<caption>Revisions of <code>${c.file}</code>, oldest first</caption>
<thead><tr><th scope="col">version</th><th scope="col">date</th><th scope="col">commit</th></tr></thead>
<tbody>${c.versions.map((v) => html`<tr><td><code>${v.version}</code></td><td>${v.date || "—"}</td><td><code>${short(v.commit)}</code></td></tr>`)}</tbody>
</table>`,
)}
</section>`,
  );
  const entries = [...history.entries].reverse().map(
    (e) => html`<section class="history-entry" data-commit="${e.commit}" aria-labelledby="commit-${short(e.commit).replace(/ /g, "-")}-h">
<h3 id="commit-${short(e.commit).replace(/ /g, "-")}-h"><code>${short(e.commit)}</code> <span class="muted">${e.date}</span></h3>
<p class="commit-subject">${e.subject}</p>
${
  e.versions
    ? html`<p>Contracts: ${e.versions.map((v, i) => html`${i ? ", " : ""}<code>${v.dataset}</code> ${v.version}`)}.</p>`
    : html`<p class="status-fail">The contracts at this commit could not be loaded.</p><pre class="code"><code>${e.loadError ?? ""}</code></pre>`
}
${e.review ? reviewSection(e.review, { level: 4 }) : html`<p class="muted">${e.reviewNote ?? "No review."}</p>`}
</section>`,
  );
  return html`<h1>Contract history</h1>
${notes}
<p>Every commit that changed the contract folder, newest first, with the contract review of its change (its first parent against it, the rules of <code>npm run contract:diff</code>). Contracts at old commits are loaded with the current contract kit.</p>
<h2>Versions</h2>
${versions.length ? versions : html`<p class="muted">No contract version could be loaded from git history.</p>`}
<h2>Changes</h2>
${entries.length ? entries : html`<p class="muted">No commit changed the contracts.</p>`}`;
}

export function pullRequestPage(pr: PullRequestData): SafeHtml {
  return html`<h1>Pull request: contract changes against <code>${pr.base}</code></h1>
<p>The working tree's contracts compared with <code>${pr.base}</code> by the contract review of <code>npm run contract:diff -- --base ${pr.base}</code>, and the generated files the changes touch.</p>
${reviewSection(pr.review, { level: 2 })}`;
}
