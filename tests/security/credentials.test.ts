/**
 * No credentials anywhere: scans every file of the repository (tracked and untracked, minus .gitignore'd ones such
 * as node_modules), which includes every generated file, for access keys, tokens, private keys, passwords in URLs,
 * inline credentials and AWS account ids in infrastructure code.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadIR } from "../../generators/ir/load.js";
import { buildFileSet } from "../../generators/assemble/file-set.js";

const root = resolve(import.meta.dirname, "../..");

interface Finding {
  readonly file: string;
  readonly line: number;
  readonly rule: string;
  readonly match: string;
}

/** Each rule: a name, a pattern, and optionally the files it applies to. */
const RULES: readonly { name: string; pattern: RegExp; files?: RegExp }[] = [
  { name: "AWS access key id", pattern: /\b(?:AKIA|ASIA|AIDA|AROA|AGPA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b/g },
  { name: "AWS secret access key", pattern: /aws_?secret_?access_?key["'`\s]*[:=]\s*["'`]?[A-Za-z0-9/+=]{40}\b/gi },
  { name: "private key", pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/g },
  { name: "GitHub token", pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b/g },
  { name: "Slack token", pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g },
  { name: "password in a URL", pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/"'`]+:[^\s@/"'`]+@[^\s"'`]+/gi },
  {
    name: "secret assigned a literal",
    pattern: /\b(?:password|passwd|secret|client_secret|api_key|apikey|private_key|token)["'`]?\s*[:=]\s*["'`][^"'`\s$<{]{12,}["'`]/gi,
  },
  {
    name: "inline AWS credentials",
    pattern: /\b(?:accessKeyId|secretAccessKey|sessionToken|aws_access_key_id|aws_secret_access_key|aws-access-key-id|aws-secret-access-key)["'`]?\s*[:=]\s*["'`][^\s"'`$]+["'`]/gi,
  },
  { name: "AWS account id", pattern: /(?<![\d.])\d{12}(?![\d.])/g, files: /^(?:infra\/|\.github\/)/ },
];

/**
 * The only permitted match: the fixed credentials of the s3rver test server on 127.0.0.1 (its documented
 * defaults, worthless anywhere else).
 */
const ALLOWED: readonly { file: string; rule: string; match: string }[] = [
  // Written in two parts so that this list does not match itself.
  { file: "runners/verify-s3/verify.test.ts", rule: "inline AWS credentials", match: ["accessKeyId", ' "S3RVER"'].join(":") },
  { file: "runners/verify-s3/verify.test.ts", rule: "inline AWS credentials", match: ["secretAccessKey", ' "S3RVER"'].join(":") },
];

function scanText(file: string, text: string): Finding[] {
  const findings: Finding[] = [];
  for (const rule of RULES) {
    if (rule.files && !rule.files.test(file)) continue;
    for (const m of text.matchAll(rule.pattern)) {
      const line = text.slice(0, m.index).split("\n").length;
      findings.push({ file, line, rule: rule.name, match: m[0] });
    }
  }
  return findings;
}

function repositoryFiles(): string[] {
  return execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], { cwd: root, encoding: "utf8" })
    .split("\0")
    .filter((f) => f !== "");
}

describe("credential scan", () => {
  it("flags each kind of credential (the scan can fail)", () => {
    const key = ["AKIA", "Q3EXAMPLEKEY0123"].join("");
    const samples = [
      `const id = "${key}";`,
      `aws_secret_access_key = ${"wJalrXUtnFEMI/K7MDENG/bPxRfiCY".padEnd(40, "A")}`,
      ["-----BEGIN RSA", "PRIVATE KEY-----"].join(" "),
      `token: ${["ghp", "a".repeat(36)].join("_")}`,
      `url = "postgres://${"admin"}:${"hunter2hunter2"}@db.internal:5432/x"`,
      `password = "${"correct-horse-battery"}"`,
      `secretAccessKey: "${"Abc123"}"`,
    ];
    for (const sample of samples) expect(scanText("sample.ts", sample), sample).not.toEqual([]);
    expect(scanText("infra/main.tf", `account = "${"4".repeat(12)}"`)).not.toEqual([]);
    expect(scanText("tests/x.json", `"account": "${"4".repeat(12)}"`)).toEqual([]);
    expect(scanText("sample.ts", 'password = "${var.password}"')).toEqual([]);
  });

  it("finds no credentials in the files the generator produces now (written or not)", async () => {
    const { files } = await buildFileSet(await loadIR(join(root, "contracts"), root));
    expect(files.length).toBeGreaterThan(10);
    expect(files.flatMap((f) => scanText(f.path, f.contents))).toEqual([]);
  });

  it("finds no credentials in the repository or the generated files", () => {
    const files = repositoryFiles();
    expect(files).toContain("generated/manifest.json");
    expect(files.some((f) => f.startsWith("node_modules/"))).toBe(false);
    const findings: Finding[] = [];
    for (const file of files) {
      let buffer: Buffer;
      try {
        buffer = readFileSync(join(root, file));
      } catch {
        continue; // deleted in the work tree but still in the index
      }
      if (buffer.includes(0)) continue; // binary
      findings.push(...scanText(file, buffer.toString("utf8")));
    }
    const unexpected = findings.filter((f) => !ALLOWED.some((a) => a.file === f.file && a.rule === f.rule && f.match === a.match));
    expect(unexpected.map((f) => `${f.file}:${f.line} ${f.rule}: ${f.match}`)).toEqual([]);
    // The allow-list is exact: every entry is still needed.
    for (const a of ALLOWED) expect(findings.some((f) => f.file === a.file && f.rule === a.rule && f.match === a.match), a.match).toBe(true);
  });
});
