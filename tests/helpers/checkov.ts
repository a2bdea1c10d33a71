/**
 * The project's pinned checkov (toolchain/python/checkov.in) over a Terraform folder, read from its JSON report.
 * `--skip-download`: no Bridgecrew/Prisma API, so the scan runs offline and only with checkov's built-in checks.
 */
import { join } from "node:path";
import { ensurePythonEnv } from "../../toolchain/python-env.js";
import { REPO_ROOT } from "./data.js";
import { run } from "./run.js";

export interface CheckovResult {
  readonly check_id: string;
  readonly check_name: string;
  readonly check_result: { readonly result: "PASSED" | "FAILED" | "SKIPPED"; readonly suppress_comment?: string };
  /** Relative to the scanned folder, with a leading slash: `/modules/storage/main.tf`. */
  readonly file_path: string;
  readonly file_line_range: readonly [number, number];
  /** `module.<call>.<type>.<name>` for resources evaluated through a module call. */
  readonly resource: string;
}

export interface CheckovReport {
  readonly passed: readonly CheckovResult[];
  readonly failed: readonly CheckovResult[];
  readonly skipped: readonly CheckovResult[];
  readonly parsingErrors: readonly string[];
  readonly resourceCount: number;
}

/** `checkov -d <directory> --framework terraform` from `cwd`; throws when checkov itself fails (not on findings). */
export async function checkov(directory: string, options: { cwd?: string } = {}): Promise<CheckovReport> {
  const { bin } = await ensurePythonEnv("checkov", { root: REPO_ROOT });
  // No --quiet: with it the JSON report leaves out the passed checks.
  const result = run(join(bin, "checkov"), ["-d", directory, "--framework", "terraform", "--skip-download", "-o", "json"], {
    cwd: options.cwd ?? REPO_ROOT,
  });
  // Exit 1 means "failed checks", reported in the JSON; anything else is checkov failing.
  if (result.status !== 0 && result.status !== 1) {
    throw new Error(`checkov -d ${directory} exited with ${result.status}:\n${result.stderr || result.stdout}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(result.stdout);
  } catch {
    throw new Error(`checkov -d ${directory} printed no JSON report:\n${result.stdout.slice(0, 2000)}\n${result.stderr.slice(0, 2000)}`);
  }
  // One framework gives one report object; a scan that found nothing gives only a summary.
  const report = (Array.isArray(parsed) ? parsed.find((r) => r?.check_type === "terraform") : parsed) as
    | { results?: Record<string, unknown[]>; summary?: { resource_count?: number } }
    | undefined;
  const results = report?.results ?? {};
  return {
    passed: (results.passed_checks ?? []) as CheckovResult[],
    failed: (results.failed_checks ?? []) as CheckovResult[],
    skipped: (results.skipped_checks ?? []) as CheckovResult[],
    parsingErrors: (results.parsing_errors ?? []) as string[],
    resourceCount: report?.summary?.resource_count ?? 0,
  };
}

/** `CKV_AWS_7 module.storage.aws_kms_key.data (/modules/storage/main.tf:23-28)`, one finding per line. */
export function describeResults(results: readonly CheckovResult[]): string {
  return results
    .map((r) => `${r.check_id} ${r.resource} (${r.file_path}:${r.file_line_range[0]}-${r.file_line_range[1]}): ${r.check_name}`)
    .sort()
    .join("\n");
}
