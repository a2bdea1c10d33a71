/**
 * `npm run synth -- --dataset review --records N [--invalid-ratio r] [--duplicate-ratio r] [--seed s] [--out file]`:
 * writes synthetic raw records derived from the generated IR (`generated/ir/<dataset>.ir.json`), streaming with
 * backpressure, and prints the tally (valid, invalid by reason code, duplicates) as JSON to stderr or `--tally`.
 *
 * Exit codes: 0 written; 2 usage or generation error (nothing is left at `--out` or `--tally`: their folders are made
 * and checked before generating, each file is written under a temporary name, and the tally is renamed into place
 * just before the records).
 */
import { once } from "node:events";
import { createWriteStream, existsSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { IR_VERSION, type DatasetIR } from "../../generators/ir/types.js";
import { closestName, givenPath, parseArgsFix, versionLine } from "../../generators/lib/cli-args.js";
import { parseDecimalNumber, parseWholeNumber } from "../../generators/lib/numbers.js";
import { onInterrupt } from "../../generators/lib/interrupt.js";
import { samePath } from "../../generators/lib/real-paths.js";
import { repositoryClash } from "../../generators/lib/repository-folders.js";
import { writeFileAtomically } from "../../generators/lib/safe-files.js";
import { listedIRDatasets, NoGeneratedIR } from "../local-pipeline/generated-ir.js";
import { SynthError } from "./errors.js";
import { causeOf, createTemporaryOf, fixFor, prepareLocation } from "./output-files.js";
import { DEFAULT_SEED, MAX_RECORDS, synthesize, type SynthTally } from "./synthesize.js";

export const HELP = `Usage: npm run synth -- --dataset <name> --records <n> [options]

Writes synthetic raw records (JSON lines) for one dataset, derived from its generated IR: valid against every
type, rule, map key and array of the contract, with the real data's quirks (optional keys left out, "1,341"
votes, "Gift Amount:" style keys), plus a chosen share of records that break one named rule each and of exact
duplicates of earlier valid records. The same arguments give the same bytes.

Options:
  --dataset <name>          Dataset of generated/ir/<name>.ir.json (review, product).
  --records <n>             Number of records, 1 to ${MAX_RECORDS.toLocaleString("en-US")}.
  --invalid-ratio <r>       Share of records breaking exactly one rule each, 0 to 1 (default 0). Rules are taken in
                            turn; the tally lists each record's reason code, and rules no value breaks alone.
  --duplicate-ratio <r>     Share of records repeating an earlier valid record byte for byte, 0 to 1 (default 0).
  --seed <s>                Whole number 0 to 4294967295 (default ${DEFAULT_SEED}).
  --out <file>              Write the records here (default: stdout). Written under a temporary name, renamed when complete.
  --tally <file>            Write the tally JSON here (default: stderr, which then holds the tally alone: no
                            progress lines, so that \`2>tally.json\` is JSON).
  --root <dir>              Repository root holding generated/ir/ (default: the current directory; under npm run, the package's).
  --quiet                   No progress lines.
  -h, --help                Show this help.
  --version                 Print the name and version of the tool.

The tally has the shape of the pipeline's run summary: input, valid, duplicates, quarantined.total and
quarantined.byReason; a pipeline run on the output reports exactly these counts.

Exit codes: 0 written, 2 usage or generation error.`;

interface Sink {
  write(text: string): boolean | unknown;
}

/** Records between two looks at the clock for progress. */
const PROGRESS_EVERY = 20_000;
const PROGRESS_SECONDS = 2;
/** Characters gathered before one write. */
const CHUNK = 1 << 20;

function usage(flag: string, detail: string, fix: string): SynthError {
  return new SynthError("CLI.USAGE", detail, fix, flag);
}

function wholeNumber(flag: string, text: string | undefined, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (parseWholeNumber(text.trim(), 0, max) === undefined) {
    throw usage(flag, `${flag} "${text}" must be a whole number from ${flag === "--seed" ? 0 : 1} to ${max.toLocaleString("en-US")}, written with digits only.`, `Write ${flag} ${flag === "--seed" ? "42" : "1000"}.`);
  }
  return Number(text);
}

function share(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = parseDecimalNumber(text.trim(), 0, 1);
  if (value === undefined) {
    throw usage(flag, `${flag} "${text}" must be a number from 0 to 1 (a share of the records), written as digits with an optional fraction.`, `Write ${flag} 0.05 for 5%.`);
  }
  return value;
}

/** The options taking a number, which a negative value (`-5`) would otherwise be taken for an option. */
const NUMBERS = ["--records", "--seed", "--invalid-ratio", "--duplicate-ratio"] as const;

/**
 * Whether two ratios as written (`parseDecimalNumber`'s digits) add up to more than 1, decided on the decimal text:
 * in binary floating point `0.99999999999` + `0.00000000002` may round to 1 (and a tolerance lets it through), and
 * the run then fails with a message about duplicates instead of saying the ratios are too large.
 */
export function ratiosExceedOne(texts: readonly string[]): boolean {
  const scale = 16; // parseDecimalNumber's most fraction digits
  const units = texts.map((text) => {
    const [whole, fraction = ""] = text.trim().split(".");
    return BigInt(whole!) * 10n ** BigInt(scale) + BigInt(fraction.padEnd(scale, "0") || "0");
  });
  return units.reduce((a, b) => a + b, 0n) > 10n ** BigInt(scale);
}

/** The dataset's IR from `generated/ir/<name>.ir.json`, when the generator's manifest lists it. */
export function loadDatasetIR(root: string, name: string): DatasetIR {
  const dir = join(root, "generated", "ir");
  const file = join(dir, `${name}.ir.json`);
  let known: string[];
  try {
    known = listedIRDatasets(root);
  } catch (error) {
    if (!(error instanceof NoGeneratedIR)) throw error;
    throw new SynthError("SYNTH.NO_IR", error.message, "Run `npm run generate` first, or pass --root <repository>.", "--dataset");
  }
  if (!known.includes(name)) {
    throw new SynthError("SYNTH.NO_IR", `No generated IR for dataset "${name}" in ${dir}. Known: ${known.join(", ")}.`, `Pass --dataset ${closestName(name, known)} (or another known dataset).`, "--dataset");
  }
  let document: { irVersion?: number; dataset?: DatasetIR };
  try {
    document = JSON.parse(readFileSync(file, "utf8")) as typeof document;
  } catch (error) {
    throw new SynthError("SYNTH.NO_IR", `${file} cannot be read as the generated IR (${(error as Error).message}).`, "Run `npm run generate` to rebuild the IR.", "--dataset");
  }
  if (document?.irVersion !== IR_VERSION || !document.dataset) {
    throw new SynthError("SYNTH.NO_IR", `${file} has IR version ${String(document?.irVersion)}; this generator reads version ${IR_VERSION}.`, "Run `npm run generate` to rebuild the IR.", "--dataset");
  }
  return document.dataset;
}

export async function main(argv: readonly string[], out: Sink = process.stdout, err: Sink = process.stderr): Promise<number> {
  try {
    return await run(argv, out, err);
  } catch (error) {
    if (error instanceof SynthError) {
      err.write(`${error.message}\n`);
      return 2;
    }
    err.write(`error SYNTH.WRITE: ${(error as Error).message}\n  fix: check that the output folder exists and is writable, and that the disk has room.\n`);
    return 2;
  }
}

async function run(argv: readonly string[], out: Sink, err: Sink): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        dataset: { type: "string" },
        records: { type: "string" },
        "invalid-ratio": { type: "string" },
        "duplicate-ratio": { type: "string" },
        seed: { type: "string" },
        out: { type: "string" },
        tally: { type: "string" },
        root: { type: "string" },
        quiet: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
        version: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    // `--records -5`, `--seed -1`, `--invalid-ratio -0.1`: the parser takes the number for an option ("argument is
    // ambiguous"); say what is wrong with the number instead.
    const negative = argv.findIndex((arg, i) => (NUMBERS as readonly string[]).includes(arg) && /^-\d/.test(argv[i + 1] ?? ""));
    if (negative >= 0) {
      const [flag, text] = [argv[negative] as (typeof NUMBERS)[number], argv[negative + 1]];
      if (flag === "--records") wholeNumber(flag, text, MAX_RECORDS);
      else if (flag === "--seed") wholeNumber(flag, text, 0xffffffff);
      else share(flag, text);
    }
    throw usage("arguments", (error as Error).message, parseArgsFix(error, HELP));
  }
  if (values.help) {
    out.write(`${HELP}\n`);
    return 0;
  }
  if (values.version) {
    out.write(`${versionLine()}\n`);
    return 0;
  }
  if (values.dataset === undefined) throw usage("--dataset", "--dataset is required.", "Pass --dataset review (or product).");
  if (values.records === undefined) throw usage("--records", "--records is required.", "Pass --records 1000.");
  const options = {
    records: wholeNumber("--records", values.records, MAX_RECORDS)!,
    invalidRatio: share("--invalid-ratio", values["invalid-ratio"]),
    duplicateRatio: share("--duplicate-ratio", values["duplicate-ratio"]),
    seed: wholeNumber("--seed", values.seed, 0xffffffff),
  };
  const ratioTexts = [values["invalid-ratio"], values["duplicate-ratio"]].filter((t) => t !== undefined);
  if (ratiosExceedOne(ratioTexts)) {
    throw usage("--invalid-ratio", `--invalid-ratio ${values["invalid-ratio"]} and --duplicate-ratio ${values["duplicate-ratio"]} add up to more than 1.`, "Make the two ratios add up to at most 1.");
  }
  const outPath = values.out === undefined ? undefined : givenPath(values.out);
  const tallyPath = values.tally === undefined ? undefined : givenPath(values.tally);
  for (const [flag, given] of [["--out", values.out], ["--tally", values.tally]] as const) {
    // `--out newdir/` names a folder that does not exist yet: refused, not written as a file named newdir.
    if (given !== undefined && /[\\/]$/.test(given)) throw usage(flag, `${flag} ${given} names a folder.`, `Name a file, e.g. ${flag} ${given}${flag === "--out" ? "records.jsonl" : "tally.json"}.`);
  }
  for (const [flag, path] of [["--out", outPath], ["--tally", tallyPath]] as const) {
    if (path !== undefined && existsSync(path) && statSync(path).isDirectory()) throw usage(flag, `${flag} ${path} is a folder.`, `Name a file, e.g. ${flag} ${join(path, flag === "--out" ? "records.jsonl" : "tally.json")}.`);
  }
  // Compared by real paths too: `--tally link/records.jsonl`, `link` a link to the folder of --out, is the same file.
  if (outPath !== undefined && tallyPath !== undefined && samePath(outPath, tallyPath)) throw usage("--tally", "--tally names the same file as --out.", "Name two different files.");
  const root = values.root === undefined ? process.cwd() : givenPath(values.root);
  for (const [flag, path] of [["--out", outPath], ["--tally", tallyPath]] as const) {
    const clash = path === undefined ? undefined : repositoryClash(root, path);
    if (clash) throw usage(flag, `${flag} ${path} ${clash}: synthetic records must not replace the repository's files (the generated IR, contracts, samples).`, `Write them outside the repository's own folders and files, e.g. ${flag} ${join(root, flag === "--out" ? "reviews.jsonl" : "tally.json")}.`);
  }
  const dataset = loadDatasetIR(root, values.dataset);

  // Plan first (it checks the options and the contract), then make the outputs' folders and check that their
  // temporaries can be created: a bad --tally fails now, not after the records are written.
  const records = synthesize(dataset, { records: options.records, invalidRatio: options.invalidRatio ?? 0, duplicateRatio: options.duplicateRatio ?? 0, seed: options.seed ?? DEFAULT_SEED });
  const first = records.next();
  if (outPath !== undefined) prepareLocation("--out", outPath);
  if (tallyPath !== undefined) prepareLocation("--tally", tallyPath);
  // Progress goes to stderr only when the tally does not: stderr is then the tally's JSON alone (`2>tally.json`).
  const quiet = values.quiet || tallyPath === undefined;
  const progress = !quiet && options.records >= 100_000;
  const started = performance.now();
  let created: { path: string; fd: number } | undefined;
  try {
    created = outPath === undefined ? undefined : createTemporaryOf(outPath);
  } catch (error) {
    throw new SynthError("SYNTH.WRITE", `Cannot write ${outPath}: ${causeOf(error)}.`, fixFor(error, dirname(outPath!)), "--out");
  }
  const temporary = created?.path;
  const stream = created === undefined ? undefined : createWriteStream("", { fd: created.fd });
  // Ctrl-C, SIGTERM or a closed terminal would end the process without the catch below, leaving the temporary
  // (gigabytes for a large run): removed on those signals, and the process then ends by the signal (interrupt.ts).
  const release =
    temporary === undefined
      ? undefined
      : onInterrupt((signal) => {
          stream?.destroy();
          rmSync(temporary, { force: true });
          if (signal !== "SIGPIPE") process.stderr.write(`synth: stopped by ${signal}; ${outPath} was not written (its temporary is removed).\n`);
        });
  try {
    let streamError: Error | undefined;
    stream?.on("error", (e) => (streamError = e));
    const sink: Sink = stream ?? out;
    let stdoutClosed = false;
    if (!stream && out === process.stdout) {
      process.stdout.on("error", (e: NodeJS.ErrnoException) => {
        if (e.code === "EPIPE") stdoutClosed = true;
        else streamError = e;
      });
    }
    const write = async (text: string) => {
      if (streamError) throw streamError;
      const flushed = sink.write(text);
      if (flushed === false && "once" in sink) {
        const emitter = sink as unknown as NodeJS.EventEmitter;
        await once(emitter, "drain"); // rejects when the stream fails instead
      }
      if (streamError) throw streamError;
    };
    let tally: SynthTally | undefined;
    let buffer = "";
    let written = 0;
    try {
      let lastReport = started;
      for (let r = first; ; r = records.next()) {
        if (r.done) {
          tally = r.value;
          break;
        }
        buffer += `${r.value.line}\n`;
        written++;
        if (buffer.length >= CHUNK) {
          await write(buffer);
          buffer = "";
          if (stdoutClosed) return 0;
        }
        if (progress && written % PROGRESS_EVERY === 0 && performance.now() - lastReport >= PROGRESS_SECONDS * 1000) {
          lastReport = performance.now();
          err.write(`synth: ${written.toLocaleString("en-US")} of ${options.records.toLocaleString("en-US")} records (${Math.floor((100 * written) / options.records)}%), ${((lastReport - started) / 1000).toFixed(1)} s\n`);
        }
      }
      if (buffer) await write(buffer);
      if (stream) {
        stream.end();
        await once(stream, "finish");
        if (streamError) throw streamError;
      }
    } catch (error) {
      stream?.destroy();
      if (temporary) rmSync(temporary, { force: true });
      if (error instanceof SynthError) throw error;
      // A reader that stopped early (`| head`): not an error of ours.
      if (!stream && (error as NodeJS.ErrnoException).code === "EPIPE") return 0;
      throw new SynthError("SYNTH.WRITE", `Cannot write ${outPath ?? "stdout"}: ${causeOf(error)}.`, outPath ? fixFor(error, dirname(outPath)) : "Check that the reader of stdout is still there and its disk has room.", "--out");
    }
    // The tally is renamed into place first, then the records: a failure leaves neither (as well as two renames can).
    const text = `${JSON.stringify(tally, null, 2)}\n`;
    if (tallyPath !== undefined) {
      try {
        // Its own temporary (removed when this fails), then renamed into place.
        writeFileAtomically(tallyPath, text);
      } catch (error) {
        if (temporary) rmSync(temporary, { force: true });
        throw new SynthError("SYNTH.WRITE", `Cannot write the tally to ${tallyPath}: ${causeOf(error)}${outPath ? `; ${outPath} was not written either` : ""}.`, fixFor(error, dirname(tallyPath)), "--tally");
      }
    }
    if (temporary !== undefined) {
      try {
        renameSync(temporary, outPath!);
      } catch (error) {
        for (const file of [temporary, tallyPath]) if (file) rmSync(file, { force: true });
        throw new SynthError("SYNTH.WRITE", `Cannot write ${outPath}: ${causeOf(error)}${tallyPath ? `; the tally ${tallyPath} was removed` : ""}.`, fixFor(error, dirname(outPath!)), "--out");
      }
    }
    const seconds = (performance.now() - started) / 1000;
    if (!quiet && outPath !== undefined) err.write(`synth: wrote ${options.records.toLocaleString("en-US")} ${dataset.name} records to ${outPath} in ${seconds.toFixed(1)} s\n`);
    if (tallyPath === undefined) err.write(text);
    return 0;
  } finally {
    release?.();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.dirname, "cli.ts")) {
  process.exitCode = await main(process.argv.slice(2));
}
