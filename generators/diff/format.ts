/**
 * Renderers of the review report: text (buf style, one line per finding), json (`report.schema.json`), markdown
 * (a pull-request comment) and github (workflow-command annotations). Pure and deterministic: the same report
 * gives the same bytes.
 */
import { compareCodePoints } from "../lib/sort.js";
import type { Finding, Report, Verdict, VerdictProblem } from "./report.js";
import { CONSUMER_NAMES, CONSUMERS, RULES, type Severities } from "./rules.js";
import { stagingModelName } from "../targets/dbt/emit.js";

export const FORMATS = ["text", "json", "markdown", "github"] as const;
export type Format = (typeof FORMATS)[number];

export function render(report: Report, format: Format): string {
  switch (format) {
    case "text":
      return renderText(report);
    case "json":
      return `${JSON.stringify(report, null, 2)}\n`;
    case "markdown":
      return renderMarkdown(report);
    case "github":
      return renderGithub(report);
  }
}

/** The most characters a GitHub comment's body holds (longer ones are refused: "Body is too long"). */
export const GITHUB_COMMENT_LIMIT = 65_536;
/** The least `fitMarkdown` is given: its closing paragraph and the report's head must fit. */
export const MIN_FIT_CHARS = 2_000;

/** Length in characters (Unicode code points), as GitHub counts a comment's. */
const characters = (text: string): number => {
  let count = 0;
  for (const _ of text) count++;
  return count;
};

/**
 * The markdown report cut to at most `maxChars` characters, for a place that holds no more (a pull-request comment):
 * unchanged when it fits; otherwise cut at a line boundary, never between a change and its consumers' line, with a
 * code block left open closed, and a closing paragraph saying how many lines were left out and where the whole review
 * is. The head, the verdicts and the summary come first in the report, so they are kept.
 */
export function fitMarkdown(markdown: string, maxChars: number): string {
  if (characters(markdown) <= maxChars) return markdown;
  const lines = markdown.replace(/\n$/, "").split("\n");
  const sections = lines.flatMap((line, i) => (line.startsWith("### ") ? [{ i, title: line.slice(4) }] : []));
  // What is left out when the first `kept` lines stay: the rest of the section the cut falls in, and every later one.
  const leftOut = (kept: number) => {
    const cutIn = sections.filter((section) => section.i < kept).at(-1);
    return [...(cutIn ? [`the rest of ${cutIn.title}`] : []), ...sections.filter((section) => section.i >= kept).map((section) => section.title)];
  };
  const note = (kept: number) => [
    "",
    "---",
    "",
    `_The review is cut here to fit in ${maxChars} characters: ${lines.length - kept} of its ${lines.length} lines are left out` +
      `${leftOut(kept).length ? ` (${leftOut(kept).join(", ")})` : ""}. The whole review: \`npm run contract:diff -- --base <ref> --format markdown\` ` +
      "without `--max-chars` (in CI, the workflow run's job summary)._",
  ];
  // Room for the longest note (every section named, the most lines left out) and a closing fence.
  const longest = characters(note(0).join("\n")) + characters(`the rest of , ${sections.map((section) => section.title).join(", ")}`);
  const budget = maxChars - longest - characters("\n```") - 1;
  let kept = 0;
  let used = 0;
  while (kept < lines.length && used + characters(lines[kept]!) + 1 <= budget) used += characters(lines[kept++]!) + 1;
  // A change's second line (its consumers and consequence, indented) stays with its first.
  while (kept > 0 && kept < lines.length && lines[kept]!.startsWith("  ") && !lines[kept - 1]!.startsWith("```")) kept--;
  const out = lines.slice(0, kept);
  if (out.filter((line) => line.startsWith("```")).length % 2 === 1) out.push("```");
  out.push(...note(kept));
  return `${out.join("\n")}\n`;
}

const place = (f: Finding) => `${f.where.file}:${f.where.line}:${f.where.column}`;
const severityText = (s: Severities) => CONSUMERS.map((c) => `${c} ${s[c]}`).join(", ");

function verdictLine(v: Verdict): string {
  const versions = `${v.baseVersion ?? "(none)"} → ${v.headVersion ?? "(deleted)"}`;
  return `${v.ok ? "ok" : "FAIL"}: contract "${v.dataset}" (${v.file}) ${versions}: ${v.reason}`;
}

function renderText(report: Report): string {
  // One line per finding, whatever a contract's text holds.
  const lines = report.findings.map((f) => `${place(f)}: [${f.rule}] ${f.message.replace(/\r?\n/g, " ")} (${f.bump}; ${severityText(f.severity)})`);
  if (lines.length) lines.push("");
  for (const v of report.verdicts) lines.push(verdictLine(v));
  for (const q of report.quicksight) lines.push(`quicksight: ${quicksightLine(q)}`);
  lines.push(summaryLine(report));
  return `${lines.join("\n")}\n`;
}

function quicksightLine(q: Report["quicksight"][number]): string {
  const visuals = q.visuals.length ? `visuals ${q.visuals.join(", ")}` : "no visual reads it";
  return `${q.breaking ? "BREAKS" : "changes"} ${q.mart}.${q.column} (${q.change}: ${q.detail.replace(/\r?\n/g, " ")}): data set ${q.dataSet}, ${visuals}`;
}

/** What each failing verdict is titled by (GitHub annotations, the Markdown verdict table). */
const PROBLEM_TITLES: Record<VerdictProblem, string> = {
  "bump-too-small": "version bump too small",
  "version-lowered": "version lowered",
  "pii-note-missing": "PII class lowered without a reviewer's note (piiReview)",
  "removal-not-accepted": "deleted without --allow-removal",
};

/**
 * The headline of a review's failures: "needs a bigger version bump" only when that is what every failing verdict
 * needs (a missing reviewer's note or a refused deletion is not fixed by a version).
 */
export function failingHeadline(verdicts: readonly Verdict[]): string {
  const failing = verdicts.filter((v) => !v.ok);
  const n = failing.length;
  if (failing.every((v) => v.problem === "bump-too-small")) return `${n} contract${n === 1 ? " needs" : "s need"} a bigger version bump`;
  return `${n} contract${n === 1 ? " fails" : "s fail"} review`;
}

function summaryLine(report: Report): string {
  const failing = report.verdicts.some((v) => !v.ok);
  const count = report.findings.length;
  return `${count} change${count === 1 ? "" : "s"} between ${report.base} and ${report.head}; ${failing ? failingHeadline(report.verdicts) : "every contract declares a sufficient version bump"}.`;
}

/**
 * Escapes text for Markdown prose and table cells: no markup, links, HTML or cell breaks can come from a contract,
 * and no mention: GitHub notifies `@user` and `@org/team` even after a backslash, so `@` is followed by a zero-width
 * space (`&#8203;`, as Renovate does in the release notes it quotes). Code spans and fences need no such escape.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\\`*_[\]<>|~]/g, (c) => `\\${c}`)
    .replace(/@/g, "@&#8203;")
    .replace(/\r?\n/g, " ");
}

/** Inline code that cannot be closed early by a backtick in the text. */
function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

function fence(lang: string, lines: readonly string[]): string[] {
  return ["```" + lang, ...lines.map((l) => l.replace(/`/g, "'")), "```"];
}

function renderMarkdown(report: Report): string {
  const out: string[] = [];
  const failing = report.verdicts.filter((v) => !v.ok);
  out.push(`## Contract review: ${failing.length ? failingHeadline(report.verdicts) : report.findings.length ? "version bumps are sufficient" : "no contract changes"}`);
  out.push("");
  out.push(`Compared ${escapeMarkdown(report.base)} with ${escapeMarkdown(report.head)}.`);
  out.push("");
  out.push("| Contract | Version | Declared bump | Required bump | Verdict |", "|---|---|---|---|---|");
  for (const v of report.verdicts) {
    out.push(`| ${code(v.dataset)} | ${escapeMarkdown(v.baseVersion ?? "(none)")} → ${escapeMarkdown(v.headVersion ?? "(deleted)")} | ${v.declared} | ${v.required} | ${v.ok ? "ok" : v.problem === "bump-too-small" ? `**needs ${v.required}**` : `**${escapeMarkdown(PROBLEM_TITLES[v.problem!])}**`} |`);
  }
  for (const v of failing) out.push("", `> ${escapeMarkdown(v.reason)}`);
  const tally = report.verdicts
    .map((v) => {
      const mine = report.findings.filter((f) => f.dataset === v.dataset);
      if (mine.length === 0) return undefined;
      const breaking = mine.filter((f) => CONSUMERS.some((c) => f.severity[c] === "B")).length;
      const migrating = mine.filter((f) => !CONSUMERS.some((c) => f.severity[c] === "B") && CONSUMERS.some((c) => f.severity[c] === "M")).length;
      return `- ${code(v.dataset)}: ${mine.length} change${mine.length === 1 ? "" : "s"}: ${breaking} breaking a consumer, ${migrating} needing a migration step, ${mine.length - breaking - migrating} safe.`;
    })
    .filter((line): line is string => line !== undefined);
  if (tally.length) out.push("", ...tally);

  if (report.findings.length) {
    out.push("", "### Summary", "", `| Rule | Changes | Bump | ${CONSUMERS.join(" | ")} |`, `|---|---|---|${CONSUMERS.map(() => "---|").join("")}`);
    const byRule = new Map<string, Finding[]>();
    for (const f of report.findings) byRule.set(f.rule, [...(byRule.get(f.rule) ?? []), f]);
    for (const id of [...byRule.keys()].sort(compareCodePoints)) {
      const group = byRule.get(id)!;
      const worst = (c: (typeof CONSUMERS)[number]) => (group.some((f) => f.severity[c] === "B") ? "B" : group.some((f) => f.severity[c] === "M") ? "M" : "S");
      const bumps = [...new Set(group.map((f) => f.bump))].join(", ");
      out.push(`| ${id} ${group[0]!.name} | ${group.length} | ${bumps} | ${CONSUMERS.map(worst).join(" | ")} |`);
    }
    out.push("", `Severity: S safe, M needs a migration step, B breaks. Consumers: ${CONSUMERS.map((c) => `${c} = ${CONSUMER_NAMES[c]}`).join("; ")}.`);

    out.push("", "### Changes");
    const datasets = [...new Set(report.findings.map((f) => f.dataset))].sort(compareCodePoints);
    for (const dataset of datasets) {
      out.push("", `#### ${code(dataset)}`, "");
      for (const f of report.findings.filter((x) => x.dataset === dataset)) {
        out.push(`- **${f.rule} ${f.name}** (${f.bump}) ${code(place(f))}: ${escapeMarkdown(f.message)}`);
        out.push(`  ${severityText(f.severity)}. ${escapeMarkdown(f.consequence)}`);
      }
    }
    const migration = migrationSection(report);
    if (migration.length) out.push("", "### Migration", ...migration);
  }

  if (report.quicksight.length) {
    out.push("", "### QuickSight", "", "| Mart column | Change | Data set | Visuals | Breaks |", "|---|---|---|---|---|");
    for (const q of report.quicksight) {
      out.push(`| ${code(`${q.mart}.${q.column}`)} | ${q.change}: ${escapeMarkdown(q.detail)} | ${code(q.dataSet)} | ${q.visuals.map(code).join(", ") || "—"} | ${q.breaking ? "**yes**" : "no"} |`);
    }
  }

  if (report.generatedFiles) {
    out.push("", "### Generated files");
    if (report.generatedFiles.length === 0) out.push("", "No generated file changes (contract versions and hashes in headers ignored).");
    else {
      out.push("", "| File | Status | Lines added | Lines removed |", "|---|---|---|---|");
      for (const g of report.generatedFiles) out.push(`| ${code(g.path)} | ${g.status} | +${g.linesAdded} | −${g.linesRemoved} |`);
      out.push("", "Contract versions and hashes in file headers and the manifest's checksums are ignored in these counts.");
    }
  }
  return `${out.join("\n")}\n`;
}

function migrationSection(report: Report): string[] {
  const out: string[] = [];
  const sql = report.findings.flatMap((f) => f.migration.snowflake.map((s) => ({ f, s })));
  if (sql.length) {
    out.push("", "#### Snowflake external tables", "");
    out.push(...fence("sql", sql.map(({ f, s }, i) => (i === 0 || sql[i - 1]!.f !== f ? [`-- ${f.rule}: ${f.subject}`, s] : [s])).flat()));
  }
  const dbtTables = [...new Set(report.findings.filter((f) => f.migration.dbtVersion).map((f) => f.dataset))].sort(compareCodePoints);
  if (dbtTables.length) {
    out.push("", "#### dbt model versions", "", "Breaking or migrating changes reach dbt staging; publish a new model version and keep the old one until consumers move:", "");
    const stub: string[] = ["models:"];
    for (const dataset of dbtTables) {
      const verdict = report.verdicts.find((v) => v.dataset === dataset);
      const oldMajor = Number((verdict?.baseVersion ?? "1").split(".")[0]);
      const newMajor = Math.max(Number((verdict?.headVersion ?? "1").split(".")[0]), oldMajor + 1);
      const model = stagingModelName({ name: dataset });
      stub.push(
        `  - name: ${model}`,
        `    latest_version: ${newMajor}`,
        "    versions:",
        `      - v: ${newMajor}`,
        `      - v: ${oldMajor}`,
        `        defined_in: ${model}_v${oldMajor}`,
        "        deprecation_date: null  # set the date the old version is retired",
      );
    }
    out.push(...fence("yaml", stub));
  }
  const backfills = report.findings.filter((f) => f.migration.backfill);
  if (backfills.length) {
    out.push("", "#### Backfill", "");
    for (const f of backfills) out.push(`- ${f.rule} ${code(f.subject)}: ${escapeMarkdown(f.migration.backfill!)}`);
  }
  return out;
}

/** Workflow-command escaping (https://github.com/actions/toolkit/blob/main/packages/core/src/command.ts). */
function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}
function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

function renderGithub(report: Report): string {
  const failing = new Map(report.verdicts.filter((v) => !v.ok).map((v) => [v.dataset, v]));
  const rank = { none: 0, patch: 1, minor: 2, major: 3, new: 0, removed: 0 } as const;
  const lines = report.findings.map((f) => {
    const verdict = failing.get(f.dataset);
    // An error is a finding that needs more than the contract declares; the rest are warnings (M/B) or notices.
    const needsNote = verdict?.problem === "pii-note-missing" && f.reviewerNote && !f.reviewerNote.note;
    const level = (verdict && rank[f.bump] > rank[verdict.declared]) || needsNote ? "error" : CONSUMERS.some((c) => f.severity[c] !== "S") ? "warning" : "notice";
    const props = `file=${escapeProperty(f.where.file)},line=${f.where.line},col=${f.where.column},title=${escapeProperty(`${f.rule} ${f.name} (${f.bump})`)}`;
    return `::${level} ${props}::${escapeData(`${f.message} ${severityText(f.severity)}. ${f.consequence}`)}`;
  });
  for (const v of failing.values()) lines.push(`::error file=${escapeProperty(v.file)},title=${escapeProperty(`Contract ${v.dataset}: ${PROBLEM_TITLES[v.problem!]}`)}::${escapeData(v.reason)}`);
  for (const q of report.quicksight) {
    lines.push(`::${q.breaking ? "warning" : "notice"} title=${escapeProperty(`QuickSight ${q.dataSet}: ${q.mart}.${q.column} ${q.change}`)}::${escapeData(quicksightLine(q))}`);
  }
  lines.push(summaryLine(report));
  return `${lines.join("\n")}\n`;
}

/** The rule table for the README (id, name, purpose, severities, bump). */
export function ruleTable(): string {
  const rows = RULES.map((r) => `| ${r.id} | ${r.name} | ${r.reachable ? r.purpose : `${r.purpose} Not raised. ${r.note}`} | ${CONSUMERS.map((c) => r.severity[c]).join(" | ")} | ${r.bump} |`);
  return [`| Rule | Name | Change | ${CONSUMERS.join(" | ")} | Bump |`, `|---|---|---|${CONSUMERS.map(() => "---|").join("")}---|`, ...rows].join("\n") + "\n";
}
