/**
 * `npm run generate [-- --check]`: contracts → IR → every target → files.
 *
 * Exit codes: 0 done / no drift; 1 drift found by --check; 2 error (bad contract, bad usage, unowned file).
 */
import { existsSync, statSync } from "node:fs";
import { relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { buildFileSet } from "./assemble/file-set.js";
import { compareWithDisk, isClean, strays, unownedTargets, writeFileSet, type LeftAlone } from "./assemble/writer.js";
import { findContractFiles, loadIR, type ContractImporter } from "./ir/load.js";
import { emptyPathOption, givenPath, notAFolder, parseArgsFix, parseArgsMessage, versionLine } from "./lib/cli-args.js";
import { ContractError, ERROR_CODES, formatDiagnostic, type Diagnostic } from "./lib/errors.js";
import { samePath } from "./lib/real-paths.js";
import { repositoryClash } from "./lib/repository-folders.js";
import type { GeneratedFile } from "./targets/types.js";

const HELP = `Usage: npm run generate [-- options]

Generates every artifact from the contracts in contracts/*.contract.ts:
  generated/          JSON Schema, TypeScript types, Parquet/Arrow schemas, data dictionary, IR
  glue-pyspark-out/   Glue PySpark jobs            dbt-out/   dbt models and tests (generated paths only)

Options:
  --check            Compare what would be generated with the files on disk; write nothing.
                     Lists changed, missing and orphaned files with a unified diff, and
                     files generate leaves alone that a person must resolve.
                     Exit 0 when up to date, 1 on drift, 2 on error.
  --root <dir>       Repository root (default: the current directory; under npm run, the package's).
  --contracts <dir>  Contract directory (default: <root>/contracts).
  --out <dir>        Write (or check) the outputs under this directory instead of the
                     repository root, e.g. to inspect a change without touching the tree.
                     Relative to --root; not inside the repository's own folders.
  --quiet            Print only problems.
  -h, --help         Show this help.
  --version          Print the name and version of the tool.

Exit codes: 0 success, 1 drift (--check), 2 error.`;

/** `importContract`: how contract modules are evaluated (default: Node's loader; the bundled launcher passes its own). */
export async function main(
  argv: readonly string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
  { importContract }: { importContract?: ContractImporter } = {},
): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: [...argv],
      allowPositionals: true,
      tokens: true,
      options: {
        check: { type: "boolean", default: false },
        root: { type: "string" },
        contracts: { type: "string" },
        out: { type: "string" },
        quiet: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
        version: { type: "boolean", default: false },
      },
    });
  } catch (error) {
    err.write(`error CLI.USAGE: ${parseArgsMessage(error)}\n  fix: ${parseArgsFix(error, HELP)}\n`);
    return 2;
  }
  const { values, positionals } = args;
  if (values.help) {
    out.write(`${HELP}\n`);
    return 0;
  }
  if (values.version) {
    out.write(`${versionLine()}\n`);
    return 0;
  }
  const command = positionals[0] ?? "generate";
  if (command !== "generate") {
    err.write(`error CLI.USAGE: unknown command "${command}".\n  fix: run with --help for the options.\n`);
    return 2;
  }
  // `npm run generate -- extra` reaches here as `generate extra`: the word given is the extra argument, not a command.
  if (positionals.length > 1) {
    const extra = positionals.slice(1);
    err.write(`error CLI.USAGE: generate takes no argument, got ${extra.map((p) => `"${p}"`).join(", ")}.\n  fix: remove ${extra.length === 1 ? "it" : "them"} (options start with --; see --help).\n`);
    return 2;
  }
  // An empty path would be the current folder (or the repository, relative to --root): `--out "$UNSET"` would write
  // over the repository's own outputs.
  const empty = emptyPathOption(values, ["root", "contracts", "out"]);
  if (empty) {
    err.write(`error CLI.USAGE: ${empty} is empty.\n  fix: give ${empty} a folder, or leave it out for its default (see --help).\n`);
    return 2;
  }
  const root = values.root === undefined ? process.cwd() : givenPath(values.root);
  const rootProblem = notAFolder("--root", root);
  if (rootProblem) {
    err.write(`error CLI.USAGE: ${rootProblem}: --root names the repository's folder.\n  fix: pass --root <repository folder>, or leave it out to use the current folder.\n`);
    return 2;
  }
  const contractsDir = resolve(root, values.contracts ?? "contracts");
  const outRoot = resolve(root, values.out ?? ".");
  const log = (line: string) => {
    if (!values.quiet) out.write(`${line}\n`);
  };
  // A second tree of outputs inside the repository's folders would be read as sources (dbt would build its staging
  // models twice) and never cleaned up by the next run.
  const clash = values.out === undefined || samePath(outRoot, root) ? undefined : repositoryClash(root, outRoot);
  if (clash && !clash.startsWith("holds")) {
    err.write(`error CLI.USAGE: --out ${outRoot} ${clash}: a second tree of outputs there would be read as sources (dbt would build every staging model twice).\n  fix: pass a folder outside the repository, or one of its own at the top (e.g. --out .generate-preview), or leave --out out to write the repository's outputs.\n`);
    return 2;
  }
  // Checked, a folder that does not exist holds no outputs: every file would be "missing", and the fix printed (a
  // generate into that path) would write a tree wherever a mistyped --out points. Said as such instead.
  if (values.check && values.out !== undefined && !existsSync(outRoot)) {
    err.write(`error CLI.USAGE: --out ${outRoot} does not exist: there are no outputs there to check (--out is relative to --root, ${root}).\n  fix: pass the folder a previous npm run generate -- --out wrote, or run that first.\n`);
    return 2;
  }

  // Zero contracts would "generate" nothing and remove every output as an orphan.
  const contractsShown = relative(root, contractsDir) || ".";
  let contractsStat;
  try {
    contractsStat = statSync(contractsDir, { throwIfNoEntry: false });
  } catch {
    // ENOTDIR: a file stands on the way (--contracts review.contract.ts/x).
    contractsStat = undefined;
  }
  const noContracts = !contractsStat
    ? `the contract folder ${contractsDir} does not exist`
    : !contractsStat.isDirectory()
      ? `${contractsDir} is a file, not a folder: --contracts names the folder of the *.contract.ts files`
      : findContractFiles(contractsDir).length === 0
        ? `no *.contract.ts file in the folder ${contractsDir}`
        : undefined;
  if (noContracts) {
    err.write(`${contractsShown}: error CLI.NO_CONTRACTS: ${noContracts}; nothing was written or removed.\n  fix: pass --contracts <dir> with the contracts (default: <root>/contracts), or --root <repository>.\n`);
    return 2;
  }

  let files;
  try {
    const started = performance.now();
    const ir = await loadIR(contractsDir, root, importContract);
    const set = await buildFileSet(ir);
    reportDiagnostics(set.diagnostics, err);
    if (set.diagnostics.some((d) => d.severity === "error")) return 2;
    files = set.files;
    log(`Built ${files.length} files from ${ir.datasets.length} contracts in ${Math.round(performance.now() - started)} ms.`);
  } catch (error) {
    if (error instanceof ContractError) {
      reportDiagnostics(error.diagnostics, err);
      err.write(`\n${error.diagnostics.length} problem(s) in the contracts; nothing was written. Error codes: see README, "Error codes".\n`);
      return 2;
    }
    throw error;
  }

  try {
    // The command that fixes a stale check: the same options, without --check.
  // `npm run generate` names the command itself (`launch.mjs generate`): the words it passes are not repeated.
  const commandAt = new Set(args.tokens.filter((t) => t.kind === "positional").map((t) => t.index));
  const options = argv.filter((a, i) => a !== "--check" && !commandAt.has(i));
  const again = ["npm run generate", ...(options.length ? ["--", ...options.map(shellWord)] : [])].join(" ");
  return values.check ? check(outRoot, files, out, err, log, again) : write(outRoot, files, err, log);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!code) throw error;
    const path = (error as NodeJS.ErrnoException).path ?? outRoot;
    err.write(
      `${relative(outRoot, path) || path}: error WRITE.FAILED: ${(error as Error).message}\n  fix: ${WRITE_FIXES[code] ?? "check that the output folder is readable, writable and has room"}, then run again (no file was half-written).\n`,
    );
    return 2;
  }
}

type Log = (line: string) => void;

/** A word as a POSIX shell reads it back: bare when it is plain, else in single quotes. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_./=:@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

function check(outRoot: string, files: readonly GeneratedFile[], out: NodeJS.WritableStream, err: NodeJS.WritableStream, log: Log, again: string): number {
  const report = compareWithDisk(outRoot, files);
  if (report.refused.length) {
    reportDiagnostics(report.refused, err);
    return 2;
  }
  const unowned = () => {
    for (const file of report.unowned) out.write(`unowned:  ${file.path} (left alone: ${leftAloneReason(file)})\n`);
  };
  if (isClean(report)) {
    unowned();
    log(`Generated files are up to date (${report.unchanged} files).`);
    return 0;
  }
  // A hand-written file where an output belongs: generate would refuse it too, so "run generate" fixes nothing.
  const blocking = unownedTargets(outRoot, files);
  if (blocking.length) {
    reportDiagnostics(blocking, err);
    return 2;
  }
  const crlf = new Set(report.lineEndingsOnly);
  for (const path of report.changed) out.write(`changed:  ${path}${crlf.has(path) ? " (line endings only: CRLF on disk, LF generated)" : ""}\n`);
  for (const path of report.missing) out.write(`missing:  ${path}\n`);
  for (const path of report.orphaned) out.write(`orphaned: ${path} (no longer generated)\n`);
  unowned();
  for (const diff of report.diffs) out.write(`\n${diff}\n`);
  const undiffed = report.changed.length - crlf.size - report.diffs.length;
  if (undiffed > 0) out.write(`\n(diffs of ${undiffed} more changed files not shown)\n`);
  if (report.changed.length || report.missing.length || report.orphaned.length) {
    out.write(
      `\nGenerated files are stale: ${report.changed.length} changed, ${report.missing.length} missing, ${report.orphaned.length} orphaned.\nFix: run \`${again}\` and commit the result.\n`,
    );
    if (crlf.size) {
      out.write(
        `\n${crlf.size} of the changed files differ only in line endings: they were checked out with CRLF (core.autocrlf=true) before .gitattributes kept them LF; regenerating them leaves nothing to commit.\nFix: check the files out again, once your own changes are committed or stashed: \`git rm -r -q --cached . && git reset --hard\`.\n`,
      );
    }
  }
  const stray = strays(report).length;
  if (stray) {
    out.write(
      `\n${stray} ${stray === 1 ? "file" : "files"} in the generator's folders ${stray === 1 ? "is" : "are"} not the generator's to remove (unowned above): generate leaves ${stray === 1 ? "it" : "them"} alone.\nFix: do what ${stray === 1 ? "its line says" : "each line says"}, then check again.\n`,
    );
  }
  return 1;
}

function write(outRoot: string, files: readonly GeneratedFile[], err: NodeJS.WritableStream, log: Log): number {
  const unowned = unownedTargets(outRoot, files);
  if (unowned.length) {
    reportDiagnostics(unowned, err);
    err.write("\nNothing was written.\n");
    return 2;
  }
  const result = writeFileSet(outRoot, files);
  for (const path of result.written) log(`wrote    ${path}`);
  for (const path of result.removed) log(`removed  ${path} (no longer generated)`);
  for (const file of result.unowned) {
    err.write(
      file.fix === undefined
        ? `warning: unowned: ${file.path} left alone (${file.why}); the generator never removes it.\n`
        : `warning: unowned: ${file.path} left alone (${file.why}); the generator never removes it: ${file.fix} (--check fails until then).\n`,
    );
  }
  log(`Done: ${result.written.length} written, ${result.removed.length} removed, ${result.unchanged} unchanged.`);
  return 0;
}

/** Why a file is left alone, with what a person should do when --check fails on it. */
const leftAloneReason = ({ why, fix }: LeftAlone) => (fix === undefined ? why : `${why}: ${fix}`);

const WRITE_FIXES: Record<string, string> = {
  EACCES: "make the output folder writable (chmod u+w) or choose another with --out",
  EPERM: "make the output folder writable (chmod u+w) or choose another with --out",
  ENOTDIR: "a file stands where a folder of the outputs belongs: move it away",
  EISDIR: "a folder stands where an output file belongs: move it away",
  ENOSPC: "free some disk space",
  EROFS: "the file system is read-only: choose another folder with --out",
};

function reportDiagnostics(diagnostics: readonly Diagnostic[], err: NodeJS.WritableStream): void {
  for (const d of diagnostics) err.write(`${formatDiagnostic(d)}\n`);
}

export { ERROR_CODES };

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("generators/cli.ts")) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exit(2);
    },
  );
}
