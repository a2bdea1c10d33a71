/**
 * The command line the toolchain's installers share (`npm run python:setup`, `npm run go:setup`): `--help`,
 * `--version`, a usage error for an unknown option or name (with the one meant, when a typo away), then each named
 * tool, or all, set up in turn. Exit 0 when all are ready, 2 on the first failure.
 */
import path from "node:path";
import { typoOf, versionLine } from "../generators/lib/cli-args.js";

export interface SetupCommand {
  /** The npm script (`python:setup`). */
  command: string;
  /** What a name is (`Python environment`). */
  kind: string;
  names: readonly string[];
  /** The usage's lines after its first: what the command does. */
  description: string;
  /** Sets up the tool `name`; returns its line (`python env "lint": <folder>`), with the folder absolute. */
  setup: (name: string) => Promise<{ label: string; folder: string }>;
}

/** Where the command writes its lines (process.stdout and process.stderr, or a test's sink). */
export interface LineSink {
  write(text: string): unknown;
}

export async function setupMain(args: readonly string[], spec: SetupCommand, out: LineSink = process.stdout, err: LineSink = process.stderr): Promise<number> {
  const usage = `npm run ${spec.command} -- --help`;
  if (args.includes("--version")) {
    out.write(`${versionLine()}\n`);
    return 0;
  }
  if (args.includes("--help") || args.includes("-h")) {
    out.write(`Usage: npm run ${spec.command} [-- name ...]\n\n${spec.description}\nNames: ${spec.names.join(", ")} (default: all). Exit 0 on success, 2 on failure.\n--version prints the name and version of the tool.\n`);
    return 0;
  }
  const option = args.find((arg) => arg.startsWith("-"));
  if (option !== undefined) {
    err.write(`error CLI.USAGE: Unknown option '${option}'.\n  fix: ${nearby(option, ["--help", "--version"])}run ${usage} for the usage.\n`);
    return 2;
  }
  const unknown = args.find((arg) => !spec.names.includes(arg));
  if (unknown !== undefined) {
    err.write(`error CLI.USAGE: "${unknown}" is not a ${spec.kind} of the project.\n  fix: ${nearby(unknown, spec.names)}name one or more of ${spec.names.join(", ")}, or none for all.\n`);
    return 2;
  }
  for (const name of args.length > 0 ? args : spec.names) {
    try {
      const { label, folder } = await spec.setup(name);
      out.write(`${label}: ${path.relative(process.cwd(), folder) || "."}\n`);
    } catch (error) {
      err.write(`error: ${(error as Error).message}\n`);
      return 2;
    }
  }
  return 0;
}

/** `did you mean <name>? ` when `given` is a typo of one of `known` (`typoOf`), else nothing. */
function nearby(given: string, known: readonly string[]): string {
  const near = typoOf(given, known);
  return near === undefined ? "" : `did you mean ${near}? Or `;
}
