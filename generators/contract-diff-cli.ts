/**
 * `npm run contract:diff -- --base <git-ref> [--format text|json|markdown|github]`: contract review.
 *
 * Loads the contracts at the base and in the working tree through the same IR builder, classifies every change
 * (rules CE001–CE031, generators/diff/rules.ts), prints the report, then exits: 0 when every contract declares a
 * sufficient version bump, 1 when one needs a bigger bump, 2 on usage errors or unloadable contracts.
 */
import { parseArgs } from "node:util";
import { basename, dirname, relative, resolve, sep } from "node:path";
import { emptyPathOption, givenPath, notAFolder, parseArgsFix, parseArgsMessage, versionLine } from "./lib/cli-args.js";
import { ContractError, formatDiagnostic } from "./lib/errors.js";
import { CONTRACT_SUFFIX, findContractFiles, loadIR } from "./ir/load.js";
import type { ContractIR } from "./ir/types.js";
import { FORMATS, GITHUB_COMMENT_LIMIT, MIN_FIT_CHARS, fitMarkdown, render, type Format } from "./diff/format.js";
import { generatedChanges } from "./diff/generated-changes.js";
import { BaseError, loadIRAtRef, loadIRFromFolder } from "./diff/git-base.js";
import { buildReport } from "./diff/report.js";

const HELP = `Usage: npm run contract:diff -- --base <git-ref> [options]

Compares the contracts at <git-ref> with the working tree, classifies every change per consumer (raw producers,
Parquet already written, Snowflake external table, dbt staging, marts) and checks each contract's version bump.

Options:
  --base <git-ref>         Base to compare against (e.g. origin/main).
  --base-dir <dir>         Or: a directory of base contracts (instead of --base; relative to the current directory).
                           One outside the repository (another checkout's) is read from a copy inside it.
  --contracts <dir>        Working-tree contract directory (relative to --root; default: <root>/contracts).
  --root <dir>             Repository root (default: the current directory; under npm run, the package's).
  --format <f>             text (default) | json | markdown | github
  --allow-removal <name>   Accept the deletion of this dataset's contract (repeatable).
  --max-chars <n>          With --format markdown: cut the report to at most n characters (at least ${MIN_FIT_CHARS}) at a
                           line boundary, its last paragraph saying so; for a pull-request comment, which holds
                           at most ${GITHUB_COMMENT_LIMIT} characters. A report that fits is unchanged.
  -h, --help               Show this help.
  --version                Print the name and version of the tool.

Exit codes: 0 every contract declares a sufficient version bump; 1 a verdict fails (a change needs a bigger bump
than declared, the version went down, a PII class is lowered without the contract's piiReview note, or a contract
was deleted without --allow-removal); 2 usage error or a contract that cannot be loaded. The report is printed before the exit code is decided.`;

function usage(err: NodeJS.WritableStream, message: string, fix = "run with --help for the options."): number {
  err.write(`error CLI.USAGE: ${message}\n  fix: ${fix}\n`);
  return 2;
}

export async function main(argv: readonly string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      allowPositionals: false,
      options: {
        base: { type: "string" },
        "base-dir": { type: "string" },
        contracts: { type: "string" },
        root: { type: "string" },
        format: { type: "string", default: "text" },
        "allow-removal": { type: "string", multiple: true, default: [] },
        "max-chars": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
        version: { type: "boolean", default: false },
      },
    }));
  } catch (error) {
    return usage(err, parseArgsMessage(error), parseArgsFix(error, HELP));
  }
  if (values.help) {
    out.write(`${HELP}\n`);
    return 0;
  }
  if (values.version) {
    out.write(`${versionLine()}\n`);
    return 0;
  }
  if ((values.base === undefined) === (values["base-dir"] === undefined)) return usage(err, "give exactly one of --base <git-ref> or --base-dir <dir>.");
  const format = values.format as Format;
  if (!(FORMATS as readonly string[]).includes(format)) return usage(err, `unknown format "${values.format}"; use one of ${FORMATS.join(", ")}.`);
  let maxChars: number | undefined;
  if (values["max-chars"] !== undefined) {
    if (format !== "markdown") return usage(err, `--max-chars cuts a markdown report; --format is ${format}.`, "add --format markdown, or leave --max-chars out.");
    if (!/^\d+$/.test(values["max-chars"]) || Number(values["max-chars"]) < MIN_FIT_CHARS) {
      return usage(err, `--max-chars ${JSON.stringify(values["max-chars"])} is not a whole number of at least ${MIN_FIT_CHARS}.`, `give the most characters the report may have, e.g. --max-chars ${GITHUB_COMMENT_LIMIT} (a GitHub comment's limit).`);
    }
    maxChars = Number(values["max-chars"]);
  }
  // An empty path would be the current folder: `--contracts "$UNSET"` would compare whatever folder the command runs in.
  const empty = emptyPathOption(values, ["base", "base-dir", "contracts", "root"]);
  if (empty) return usage(err, `${empty} is empty: give it a value, or leave it out.`);
  const root = values.root === undefined ? process.cwd() : givenPath(values.root);
  const rootProblem = notAFolder("--root", root);
  if (rootProblem) return usage(err, `${rootProblem}: --root names the repository's folder.`, "pass --root <repository folder>, or leave it out to use the current folder.");
  const contractsDir = resolve(root, values.contracts ?? "contracts");
  // Folders are checked before git or the loader sees them: their raw errors would not say which option is wrong.
  // The same code as generate's and the catalog's for a contract folder that is missing or empty (CLI.NO_CONTRACTS).
  const folderProblem = (flag: string, dir: string): string | undefined => {
    const problem = notAFolder(flag, dir);
    if (problem) return `${problem.replace(/ is a file, not a folder$/, " is not a folder")}.`;
    if (findContractFiles(dir).length === 0) return `${flag} ${dir} holds no *${CONTRACT_SUFFIX} file.`;
    return undefined;
  };
  const contractsProblem = folderProblem("--contracts", contractsDir);
  if (contractsProblem) {
    err.write(`error CLI.NO_CONTRACTS: ${contractsProblem}\n  fix: pass --contracts <dir> with the working tree's contracts (relative to --root; default: <root>/contracts), or --root <repository>.\n`);
    return 2;
  }
  const baseDirProblem = values["base-dir"] === undefined ? undefined : folderProblem("--base-dir", givenPath(values["base-dir"]));
  if (baseDirProblem) {
    err.write(`error CLI.NO_CONTRACTS: ${baseDirProblem}\n  fix: pass --base-dir <dir> holding the base's *${CONTRACT_SUFFIX} files (relative to the current directory), or --base <git-ref>.\n`);
    return 2;
  }

  let baseIR: ContractIR;
  let headIR: ContractIR;
  let baseLabel: string;
  try {
    if (values.base !== undefined) {
      baseLabel = values.base;
      baseIR = await loadIRAtRef(root, contractsDir, values.base);
    } else {
      const baseDir = givenPath(values["base-dir"]!);
      // Its folder's name (never an absolute path: the report goes into pull requests); with its parent's when it has
      // the head's folder name (another checkout's "contracts" would otherwise read as the head's own).
      baseLabel = basename(baseDir) === basename(contractsDir) ? `${basename(dirname(baseDir))}/${basename(baseDir)}` : basename(baseDir);
      // File paths in the IR are relative to the directory's parent (`<folder>/x.contract.ts`).
      baseIR = await loadIRFromFolder(root, contractsDir, baseDir);
    }
    headIR = await loadIR(contractsDir, root);

  } catch (error) {
    if (error instanceof ContractError) {
      for (const d of error.diagnostics) err.write(`${formatDiagnostic(d)}\n`);
      err.write(`\nThe contracts could not be loaded; nothing was compared.\n`);
      return 2;
    }
    if (error instanceof BaseError) return usage(err, error.message, error.fix === undefined ? undefined : `${error.fix}, or --base-dir <dir> with the base's contracts.`);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return usage(err, (error as Error).message);
    throw error;
  }

  const allowRemoval = values["allow-removal"] as string[];
  const unknown = allowRemoval.filter((name) => !baseIR.datasets.some((d) => d.name === name));
  if (unknown.length) {
    return usage(err, `--allow-removal ${unknown.map((n) => JSON.stringify(n)).join(", ")}: no such dataset at ${baseLabel} (its datasets: ${baseIR.datasets.map((d) => d.name).join(", ") || "none"}).`);
  }
  const needsFiles = format === "markdown" || format === "json";
  const report = buildReport(baseIR, headIR, {
    base: baseLabel,
    head: "working tree",
    allowRemoval,
    // The files a base folder would generate, as if it stood where the head's contracts do (the report itself keeps
    // the base's own paths, where its findings point).
    generatedFiles: needsFiles
      ? await generatedChanges(values["base-dir"] === undefined ? baseIR : asHeadFolder(baseIR, headIR, basename(givenPath(values["base-dir"])), relative(root, contractsDir)), headIR)
      : null,
  });
  const rendered = render(report, format);
  out.write(maxChars === undefined ? rendered : fitMarkdown(rendered, maxChars));
  return report.ok ? 0 : 1;
}

/**
 * A base folder compared as if it stood where the head's contracts do: its contracts' paths (`base/x.contract.ts`,
 * quoted in every generated header and in locations) read as the head's (`contracts/x.contract.ts`), and, when no
 * marts' contracts stand beside it, the head's marts, so that the generated files compared differ by what the
 * contracts change, not by where the folder lies.
 */
function asHeadFolder(base: ContractIR, head: ContractIR, baseFolder: string, headFolder: string): ContractIR {
  const from = `${baseFolder}/`;
  const to = `${headFolder.split(sep).join("/")}/`;
  const moved = structuredClone(base);
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== "object") return;
    const record = node as Record<string, unknown>;
    for (const [key, value] of Object.entries(record)) {
      if (key === "file" && typeof value === "string" && value.startsWith(from)) record[key] = to + value.slice(from.length);
      else visit(value);
    }
  };
  if (from !== to) visit(moved);
  return moved.marts === undefined && head.marts !== undefined ? { ...moved, marts: head.marts } : moved;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("generators/contract-diff-cli.ts")) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exit(2);
    },
  );
}
