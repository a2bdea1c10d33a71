/**
 * Which generated files a contract change touches, and by how many lines: both sides' file sets are built in memory
 * by the same `buildFileSet` that `generate` uses (with the working tree's emitters), then compared line by line.
 */
import { diffLines } from "diff";
import type { ContractIR } from "../ir/types.js";
import { buildFileSet } from "../assemble/file-set.js";
import { compareCodePoints } from "../lib/sort.js";
import type { GeneratedFileChange } from "./report.js";

/**
 * Contract hashes (in every header) and the manifest's checksums change with any byte of a contract, comments
 * included; they would make every file look changed, so they are masked before counting. So is the version beside
 * a hash in a header (`(contract 3.0.1, sha256:…)`, `(3.0.1, sha256:…)`): a file built from every contract names
 * every contract's version there, and a one-dataset bump would list it as changed when nothing else in it is.
 * A version written anywhere else (a description, a job's CONTRACT constant) still counts.
 */
export function maskHashes(text: string): string {
  return text
    .replace(/sha256:[0-9a-f]{12,64}/g, "sha256:…")
    .replace(/\((contract )?[0-9A-Za-z.+-]+, sha256:…/g, "($1…, sha256:…")
    .replace(/"sha256": "[0-9a-f]{64}"/g, '"sha256": "…"');
}

function countLines(value: string): number {
  return value === "" ? 0 : value.split("\n").length - (value.endsWith("\n") ? 1 : 0);
}

export function compareFileSets(
  base: readonly { path: string; contents: string }[],
  head: readonly { path: string; contents: string }[],
): GeneratedFileChange[] {
  const before = new Map(base.map((f) => [f.path, maskHashes(f.contents)]));
  const after = new Map(head.map((f) => [f.path, maskHashes(f.contents)]));
  const paths = [...new Set([...before.keys(), ...after.keys()])].sort(compareCodePoints);
  const changes: GeneratedFileChange[] = [];
  for (const path of paths) {
    const a = before.get(path);
    const b = after.get(path);
    if (a === b) continue;
    if (a === undefined) changes.push({ path, status: "added", linesAdded: countLines(b!), linesRemoved: 0 });
    else if (b === undefined) changes.push({ path, status: "removed", linesAdded: 0, linesRemoved: countLines(a) });
    else {
      let linesAdded = 0;
      let linesRemoved = 0;
      for (const part of diffLines(a, b)) {
        if (part.added) linesAdded += part.count ?? countLines(part.value);
        else if (part.removed) linesRemoved += part.count ?? countLines(part.value);
      }
      changes.push({ path, status: "changed", linesAdded, linesRemoved });
    }
  }
  return changes;
}

export async function generatedChanges(baseIR: ContractIR, headIR: ContractIR): Promise<GeneratedFileChange[]> {
  const [base, head] = await Promise.all([buildFileSet(baseIR), buildFileSet(headIR)]);
  return compareFileSets(base.files, head.files);
}
