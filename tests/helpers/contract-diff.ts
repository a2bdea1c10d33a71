/** Helpers shared by the contract-review tests: run the CLI in-process and capture what it prints. */
import { join } from "node:path";
import { main } from "../../generators/contract-diff-cli.js";
import { REPO_ROOT } from "./data.js";

/** One previous/current contract pair per rule: `generators/diff/testdata/{previous,current}/<RULE_ID>/`. */
export const TESTDATA = join(REPO_ROOT, "generators", "diff", "testdata");

export function capture(): { stream: NodeJS.WritableStream; text: () => string } {
  let buffer = "";
  const stream = { write: (chunk: string) => ((buffer += chunk), true) } as unknown as NodeJS.WritableStream;
  return { stream, text: () => buffer };
}

export async function runFixture(id: string, extra: readonly string[] = []) {
  const out = capture();
  const err = capture();
  const code = await main(["--base-dir", join(TESTDATA, "previous", id), "--root", join(TESTDATA, "current"), "--contracts", id, ...extra], out.stream, err.stream);
  return { code, stdout: out.text(), stderr: err.text() };
}

export async function run(args: readonly string[]) {
  const out = capture();
  const err = capture();
  const code = await main(args, out.stream, err.stream);
  return { code, stdout: out.text(), stderr: err.text() };
}
