/**
 * The runners read the generated IR the manifest lists, never a stray or stale `*.ir.json` beside it (the
 * generator leaves such a file alone; `generate --check` fails on it).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadDatasetIR } from "../synth/cli.js";
import { loadGeneratedIR } from "./generated-ir.js";

const REPO = join(import.meta.dirname, "..", "..");
const work = mkdtempSync(join(tmpdir(), "generated-ir-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A root holding the repository's generated IR and manifest, and a stray IR file of a dataset no contract has. */
function rootWithStray(): string {
  const root = mkdtempSync(join(work, "root-"));
  cpSync(join(REPO, "generated/ir"), join(root, "generated/ir"), { recursive: true });
  cpSync(join(REPO, "generated/manifest.json"), join(root, "generated/manifest.json"));
  const stray = JSON.parse(readFileSync(join(REPO, "generated/ir/review.ir.json"), "utf8")) as { dataset: { name: string } };
  stray.dataset.name = "old_review";
  writeFileSync(join(root, "generated/ir/old_review.ir.json"), JSON.stringify(stray));
  return root;
}

describe("the generated IR the runners read", () => {
  it("is the files the manifest lists: a stray *.ir.json in generated/ir/ is not read as a dataset", () => {
    const root = rootWithStray();
    // The datasets whose IR the manifest lists: the shipped two, and any dataset added beside them.
    const manifest = JSON.parse(readFileSync(join(REPO, "generated/manifest.json"), "utf8")) as { files: { path: string }[] };
    const listed = manifest.files.map((f) => /^generated\/ir\/(.+)\.ir\.json$/.exec(f.path)?.[1]).filter((name) => name !== undefined);
    expect(listed).toEqual(expect.arrayContaining(["product", "review"]));
    expect(loadGeneratedIR(root).map((d) => d.name)).toEqual(listed);
    expect(() => loadDatasetIR(root, "old_review")).toThrow('No generated IR for dataset "old_review"');
    expect(() => loadDatasetIR(root, "old_review")).toThrow(`Known: ${listed.join(", ")}.`);
    expect(loadDatasetIR(root, "review").name).toBe("review");
  });

  it("is none without a manifest, whatever generated/ir/ holds: the fix is to generate", () => {
    const root = rootWithStray();
    rmSync(join(root, "generated/manifest.json"));
    expect(() => loadGeneratedIR(root)).toThrow(expect.objectContaining({ message: `No generated IR in ${join(root, "generated", "ir")}: there is no generated/manifest.json listing it.`, fix: "run `npm run generate` first." }));
    expect(() => loadDatasetIR(root, "review")).toThrow("there is no generated/manifest.json listing it");
    writeFileSync(join(root, "generated/manifest.json"), "<<<<<<< HEAD\n");
    expect(() => loadGeneratedIR(root)).toThrow("generated/manifest.json cannot be read as the generator's manifest");
  });
});
