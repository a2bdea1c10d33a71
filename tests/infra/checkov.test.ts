/**
 * checkov (pinned in toolchain/python/checkov.in) over infra/: no failed check, a plausible number of passed ones,
 * every folder scanned (the root, the bootstrap, and each module evaluated through the root's module call, i.e. with
 * the root's values) except those whose resource types checkov has no check for, every inline skip justified and
 * effective. A negative control scans a copy of infra/ with
 * four fixes taken out and must find exactly those four checks failing.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensurePythonEnv } from "../../toolchain/python-env.js";
import { checkov, describeResults, type CheckovReport, type CheckovResult } from "../helpers/checkov.js";
import { REPO_ROOT } from "../helpers/data.js";
import { run } from "../helpers/run.js";
import { readTerraformDir, terraformDirs } from "../helpers/terraform.js";

/** Far below today's count (288), far above what one folder or an unevaluated module would give. */
const MIN_PASSED = 200;
/** Every inline skip is listed in infra/README.md; a new one is a decision, so this number changes with it. */
const EXPECTED_SKIPS = 12;
/**
 * Folders holding only resource types that no checkov check covers: there is nothing to pass or fail, so they are
 * exempt from "a result in every folder" for as long as `checkov --list` has no check for any of their types (tested).
 */
const FOLDERS_WITHOUT_CHECKS: Record<string, string> = {
  // (modules/quicksight was one until it held the Airflow refresh's IAM policy, which checkov checks.)
};
/** `#checkov:skip=CKV_AWS_18:reason` with a reason that says something. */
const SKIP_COMMENT = /^\s*#checkov:skip=(CKV2?_[A-Z0-9]+_\d+):(.*)$/;

/** The fixes the negative control removes, and the finding each removal must bring back. */
const REMOVED_FIXES = [
  {
    file: "modules/storage/main.tf",
    text: "  enable_key_rotation     = true\n  deletion_window_in_days = 30\n  policy                  = data.aws_iam_policy_document.data_key.json\n",
    replacement: "  deletion_window_in_days = 30\n  policy                  = data.aws_iam_policy_document.data_key.json\n",
    finding: "CKV_AWS_7 module.storage.aws_kms_key.data",
  },
  {
    file: "modules/pipeline/main.tf",
    text: "\n  tracing_configuration {\n    enabled = true\n  }\n",
    replacement: "\n",
    finding: "CKV_AWS_284 module.pipeline.aws_sfn_state_machine.this",
  },
  {
    file: "modules/pipeline/main.tf",
    text: "  security_configuration = aws_glue_security_configuration.this.name\n",
    replacement: "",
    finding: "CKV_AWS_195 module.pipeline.aws_glue_job.this",
  },
  {
    file: "modules/pipeline/main.tf",
    text: "  sqs_managed_sse_enabled   = true\n",
    replacement: "",
    finding: "CKV_AWS_27 module.pipeline.aws_sqs_queue.undelivered_events",
  },
] as const;

interface InlineSkip {
  readonly file: string;
  readonly line: number;
  readonly checkId: string;
  readonly reason: string;
}

let report: CheckovReport;
let withoutFixes: CheckovReport;
let skips: InlineSkip[];
let malformedSkips: string[];
let scratch: string;

const where = (r: CheckovResult) => `${r.check_id} ${r.resource}`;

/** The `.tf` files of one folder, repository-relative. */
function tfFiles(dir: string): string[] {
  return readdirSync(join(REPO_ROOT, dir))
    .filter((name) => name.endsWith(".tf"))
    .sort()
    .map((name) => `${dir}/${name}`);
}

beforeAll(async () => {
  report = await checkov("infra");

  skips = [];
  malformedSkips = [];
  for (const dir of terraformDirs(REPO_ROOT, "infra")) {
    for (const file of tfFiles(dir)) {
      readFileSync(join(REPO_ROOT, file), "utf8")
        .split("\n")
        .forEach((text, index) => {
          if (!/checkov:skip/i.test(text)) return;
          const m = SKIP_COMMENT.exec(text);
          if (!m || m[2]!.trim().length < 20) malformedSkips.push(`${file}:${index + 1}: ${text.trim()}`);
          else skips.push({ file, line: index + 1, checkId: m[1]!, reason: m[2]!.trim() });
        });
    }
  }
}, 600_000);

describe("checkov over infra/", () => {
  it("parses every file and reports no failed check", () => {
    expect(report.parsingErrors).toEqual([]);
    expect(report.failed.length, `failed checks:\n${describeResults(report.failed)}`).toBe(0);
  });

  it("passes a plausible number of checks over a plausible number of resources", () => {
    expect(report.passed.length).toBeGreaterThanOrEqual(MIN_PASSED);
    expect(report.resourceCount).toBeGreaterThanOrEqual(40);
  });

  it("scans the root, the bootstrap and every module, modules through the root's module calls", () => {
    const dirs = terraformDirs(REPO_ROOT, "infra").map((d) => d.slice("infra".length));
    expect(dirs).toContain("/bootstrap");
    const all = [...report.passed, ...report.skipped];
    for (const dir of dirs) {
      const inDir = all.filter((r) => r.file_path.slice(0, r.file_path.lastIndexOf("/")) === dir);
      if (dir in FOLDERS_WITHOUT_CHECKS) {
        expect(inDir.map(where), `infra${dir} has checkov results now: drop it from FOLDERS_WITHOUT_CHECKS`).toEqual([]);
        continue;
      }
      expect(inDir.length, `no checkov result in infra${dir}`).toBeGreaterThan(0);
      if (dir.startsWith("/modules/")) {
        const outside = inDir.filter((r) => !r.resource.startsWith("module."));
        expect(outside.map(where), `infra${dir} evaluated outside a module call`).toEqual([]);
      }
    }
  });
});

describe("checkov: folders without checks", () => {
  it("are exempt only while checkov has no check for any of their resource types", async () => {
    const { bin } = await ensurePythonEnv("checkov", { root: REPO_ROOT });
    const listing = run(join(bin, "checkov"), ["--list", "--framework", "terraform"]);
    expect(listing.status, listing.stderr).toBe(0);
    // Table rows: | n | id | type | entity | policy | IaC | link |, one per (check, resource type).
    const typesByCheck = new Map<string, Set<string>>();
    for (const cells of listing.stdout.split("\n").map((line) => line.split("|").map((cell) => cell.trim()))) {
      if (cells[3] !== "resource") continue;
      if (!typesByCheck.has(cells[2]!)) typesByCheck.set(cells[2]!, new Set());
      typesByCheck.get(cells[2]!)!.add(cells[4]!);
    }
    // A few graph checks list every AWS resource type (their "all" expanded) but report only on their own subject
    // (CKV2_AWS_37: CodeCommit approval rules, CKV2_AWS_75: CORS): they check no QuickSight resource.
    const allAws = new Set([...typesByCheck.values()].flatMap((types) => [...types]).filter((type) => type.startsWith("aws_")));
    const listsEveryType = [...typesByCheck].filter(([, types]) => [...allAws].every((type) => types.has(type))).map(([id]) => id);
    expect(allAws.size).toBeGreaterThan(1000);
    expect(listsEveryType.sort()).toEqual(["CKV2_AWS_37", "CKV2_AWS_75"]);
    const checkedTypes = new Set([...typesByCheck].filter(([id]) => !listsEveryType.includes(id)).flatMap(([, types]) => [...types]));
    // The listing is read right: types this configuration is checked on are in it.
    for (const type of ["aws_s3_bucket", "aws_kms_key", "aws_glue_job", "aws_sfn_state_machine"]) expect(checkedTypes.has(type), type).toBe(true);
    for (const [dir, reason] of Object.entries(FOLDERS_WITHOUT_CHECKS)) {
      const parsed = await readTerraformDir(REPO_ROOT, `infra${dir}`);
      const types = Object.keys(parsed.resources);
      expect(types.length, `infra${dir}`).toBeGreaterThan(0);
      expect(types.filter((type) => checkedTypes.has(type)), `infra${dir} (${reason})`).toEqual([]);
    }
  }, 120_000);
});

describe("checkov: inline skips", () => {
  it("are all written #checkov:skip=<id>:<reason>, with a reason", () => {
    expect(malformedSkips).toEqual([]);
    expect(skips.length).toBeGreaterThan(0);
  });

  it(`number ${EXPECTED_SKIPS}, each one effective on the resource it sits in, and nothing else is skipped`, () => {
    const listing = skips.map((s) => `${s.file}:${s.line} ${s.checkId}: ${s.reason}`).join("\n");
    console.info(`checkov over infra/: ${report.passed.length} passed, ${report.failed.length} failed, ${skips.length} skipped inline:\n${listing}`);
    expect(skips.length, `inline skips:\n${listing}`).toBe(EXPECTED_SKIPS);
    const unmatched = [...report.skipped];
    for (const skip of skips) {
      const index = unmatched.findIndex(
        (r) =>
          r.check_id === skip.checkId &&
          `infra${r.file_path}` === skip.file &&
          r.file_line_range[0] <= skip.line &&
          skip.line <= r.file_line_range[1] &&
          r.check_result.suppress_comment === skip.reason,
      );
      expect(index, `${skip.file}:${skip.line} ${skip.checkId} did not skip anything (outside a resource, or a check that does not apply)`).toBeGreaterThanOrEqual(0);
      unmatched.splice(index, 1);
    }
    expect(describeResults(unmatched), "skipped without an inline comment").toBe("");
  });
});

describe("checkov: negative control (infra/ copied, four fixes removed)", () => {
  beforeAll(async () => {
    // The copy keeps infra/'s place beside generated/, which the root module reads.
    scratch = mkdtempSync(join(tmpdir(), "checkov-"));
    cpSync(join(REPO_ROOT, "infra"), join(scratch, "infra"), { recursive: true });
    for (const generated of ["generated/terraform", "generated/step-functions", "generated/quicksight"]) {
      cpSync(join(REPO_ROOT, generated), join(scratch, generated), { recursive: true });
    }
    for (const fix of REMOVED_FIXES) {
      const path = join(scratch, "infra", fix.file);
      const text = readFileSync(path, "utf8");
      if (text.split(fix.text).length !== 2) throw new Error(`negative control: infra/${fix.file} no longer holds this text exactly once:\n${fix.text}`);
      writeFileSync(path, text.replace(fix.text, fix.replacement));
    }
    withoutFixes = await checkov("infra", { cwd: scratch });
  }, 600_000);

  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it("fails exactly the checks those fixes satisfy, and nothing else changes", () => {
    expect(withoutFixes.failed.map(where).sort()).toEqual(REMOVED_FIXES.map((f) => f.finding).sort());
    expect(withoutFixes.passed.length).toBe(report.passed.length - REMOVED_FIXES.length);
    expect(withoutFixes.skipped.length).toBe(report.skipped.length);
  });
});
