/**
 * The frame every page shares: document head (a Content-Security-Policy that allows only the site's own scripts),
 * skip link, navigation, main landmark, and the scripts. Paths are relative, so the site works from any folder,
 * over `--serve` or opened as files.
 */
import { href, html, type SafeHtml } from "../html.js";

export interface NavItem {
  readonly page: string;
  readonly label: string;
}

export interface PageOptions {
  /** Path of the page inside the site (`index.html`, `datasets/review.html`). */
  readonly path: string;
  readonly title: string;
  readonly nav: readonly NavItem[];
  readonly body: SafeHtml;
  /** Load the chart libraries (d3 + Observable Plot). */
  readonly charts?: boolean;
}

/**
 * `script-src 'self'`: no inline script can run, whatever a page holds (data islands are `application/json`, which
 * browsers never execute). Styles allow inline because Observable Plot puts a `<style>` element in each chart.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'none'; base-uri 'none'; form-action 'none'";

/** `to` (a site path) as seen from the page at `from`. */
export function relativeTo(from: string, to: string): string {
  const depth = from.split("/").length - 1;
  return `${"../".repeat(depth)}${to}`;
}

export function page(options: PageOptions): string {
  const link = (to: string) => href(relativeTo(options.path, to));
  const nav = options.nav.map((item) =>
    item.page === options.path ? html`<li><a href="${link(item.page)}" aria-current="page">${item.label}</a></li>` : html`<li><a href="${link(item.page)}">${item.label}</a></li>`,
  );
  const scripts = options.charts
    ? html`<script src="${link("assets/vendor/d3.min.js")}"></script>
<script src="${link("assets/vendor/plot.umd.min.js")}"></script>
<script src="${link("assets/catalog.js")}"></script>`
    : html`<script src="${link("assets/catalog.js")}"></script>`;
  const document = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<meta name="referrer" content="no-referrer">
<title>${options.title} · Contract catalog</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${link("assets/catalog.css")}">
</head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="site-header">
<p class="site-name"><a href="${link("index.html")}">Contract catalog</a></p>
<nav aria-label="Catalog pages"><ul>${nav}</ul></nav>
</header>
<main id="main" tabindex="-1">
${options.body}
</main>
<footer class="site-footer"><p>Built by <code>npm run catalog</code> from the contracts, the generated artifacts, git history and a pipeline run.</p></footer>
${scripts}
</body>
</html>
`;
  return document.value;
}

/**
 * A table that may be wider than a narrow screen, in a region that scrolls sideways on its own (keyboard too:
 * `tabindex="0"`), so the page itself never does (WCAG 1.4.10 Reflow). `label` names the region: unique per page.
 */
export function tableRegion(label: string, table: SafeHtml): SafeHtml {
  return html`<div class="table-scroll" role="region" aria-label="${label}" tabindex="0">
${table}
</div>`;
}
