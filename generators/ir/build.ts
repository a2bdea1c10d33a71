/**
 * Contract → IR. Builds every dataset's raw fields, validation rules, processed columns and child tables, and
 * checks the contract as a whole: names, types against normalisations, keys, partitions and references.
 * All problems are collected and thrown together as one `ContractError`, each with file:line:column and a fix.
 *
 * This file orders the steps; each step lives in a file named after what it builds or checks: `columns.ts`,
 * `keys.ts`, `derived.ts`, `partitions.ts`, `children.ts`, `checks.ts`.
 */
import { createHash } from "node:crypto";
import type { ColumnMeta, Contract } from "../contract-kit/index.js";
import { ContractError, diagnostic, type Diagnostic } from "../lib/errors.js";
import { compareCodePoints } from "../lib/sort.js";
import { checkAcceptedValues, checkAcrossDatasets, checkColumnNames, checkControlCharacters, checkLocations, checkName, checkPluralNames, checkRegexes, checkSiblingKeyCase, checkVersion } from "./checks.js";
import { finishChild } from "./children.js";
import { collectColumns } from "./columns.js";
import { checkNativeWidths } from "./native.js";
import { withholdSensitive } from "./withheld.js";
import { datasetContext, type DatasetContext } from "./dataset-context.js";
import { derivedColumn, systemColumns } from "./derived.js";
import { recordJsonSchema, walkRecord } from "./from-zod.js";
import { datasetKey } from "./keys.js";
import { checkPartitionColumns, partitionsLast } from "./partitions.js";
import { rulesFor } from "./rules.js";
import { contractSpecProblems, shapeDiagnostic } from "./spec-shape.js";
import { IR_VERSION, type ChildTableIR, type ColumnIR, type ContractIR, type DatasetIR, type TableIR } from "./types.js";

/** A contract module as imported, with its source text (for the hash and for locations). */
export interface LoadedContract {
  /** Repository-relative path with `/` separators. */
  readonly file: string;
  readonly source: string;
  readonly contract: Contract;
}

export function contractHash(source: string): string {
  return `sha256:${createHash("sha256").update(source.replace(/\r\n?/g, "\n"), "utf8").digest("hex")}`;
}

/** Builds the IR of all contracts, or throws a `ContractError` listing every problem. */
/**
 * Checks of what the generated jobs can run, not of what the contract says: a contract of the past (a review's base,
 * the catalog's history) is compared, never generated, so these do not stop it from loading, and its IR is the same
 * with or without them. A newer generator may add such checks; the contracts they refuse must still be comparable.
 */
const GENERATION_ONLY: ReadonlySet<string> = new Set(["CONTRACT.RANGE_EXCEEDS_TYPE", "CONTRACT.UNCHECKED_RULE", "CONTRACT.UNSUPPORTED_RAW_KEY", "CONTRACT.RESERVED_WORD"]);

export interface BuildOptions {
  /** The contracts of a past commit or a base folder: generation-only checks do not stop the build. */
  readonly past?: boolean;
}

export function buildIR(contracts: readonly LoadedContract[], options: BuildOptions = {}): ContractIR {
  const diagnostics: Diagnostic[] = [];
  // A contract whose defineContract({...}) is not the kit's shape cannot be built: report every such problem first.
  for (const { contract, file, source } of contracts) {
    const ctx = datasetContext(file, source, typeof contract.dataset === "string" ? contract.dataset : "?", diagnostics);
    for (const problem of contractSpecProblems(contract)) {
      const keys = problem.path.filter((p): p is string => typeof p === "string");
      const at = problem.unknownKeys ? [...keys, problem.unknownKeys[0]!] : keys;
      diagnostics.push(shapeDiagnostic("defineContract({...})", problem, ctx.whereProperty(at, keys.join(".") || "contract")));
    }
  }
  if (diagnostics.length) throw new ContractError(diagnostics);
  const datasets = contracts.map((c) => buildDataset(c, diagnostics));
  checkAcrossDatasets(datasets, contracts, diagnostics);
  checkPluralNames(datasets, (i) => datasetContext(contracts[i]!.file, contracts[i]!.source, datasets[i]!.name, diagnostics).whereProperty(["dataset"], "dataset"), diagnostics);
  for (const dataset of datasets) checkControlCharacters(dataset, diagnostics);
  for (const dataset of datasets) checkAcceptedValues(dataset, diagnostics);
  // What the engines cannot read, not what the contract says (as GENERATION_ONLY): a contract of the past with such
  // keys builds an IR all the same and is still compared.
  if (!options.past) for (const dataset of datasets) checkSiblingKeyCase(dataset, diagnostics);
  const blocking = options.past ? diagnostics.filter((d) => !GENERATION_ONLY.has(d.code)) : diagnostics;
  if (blocking.some((d) => d.severity === "error")) throw new ContractError(blocking);
  return { irVersion: IR_VERSION, datasets: [...datasets].sort((a, b) => compareCodePoints(a.name, b.name)) };
}

function buildDataset(loaded: LoadedContract, diagnostics: Diagnostic[]): DatasetIR {
  const { contract, file, source } = loaded;
  const ctx = datasetContext(file, source, contract.dataset, diagnostics);
  const top = ctx.whereProperty(["dataset"], "dataset");

  checkName(contract.dataset, "dataset", top, ctx);
  checkVersion(contract.version, ctx);
  checkLocations(contract.locations, ctx);

  const walked = walkRecord(contract.schema, { diagnostics, where: ctx.where, whereField: ctx.whereField });
  checkRegexes(walked.map((w) => w.raw), ctx);
  const excluded: { path: string; reason: string }[] = [];
  const fieldColumns: ColumnIR[] = [];
  const children: ChildTableIR[] = [];
  for (const field of walked) collectColumns(field, "", ctx, fieldColumns, children, excluded);

  const key = datasetKey(contract.key, walked, fieldColumns, ctx);
  const derived = (contract.derived ?? []).map((d) => derivedColumn(d, walked, ctx));
  const partitionBy = [...(contract.partitionBy ?? [])];
  const unordered = [...key.keyColumns, ...key.fieldColumns, ...derived];
  checkPartitionColumns(unordered, partitionBy, ctx);
  const system = systemColumns(top);
  // Sensitive columns stay in the cleaned zone: they are moved out of the processed table (`withheld.ts`).
  const { columns, withheld } = withholdSensitive(partitionsLast(unordered, system, partitionBy), children, walked, ctx);

  const tableLocation = (name: string) => `${contract.locations.processed}${name}/`;
  const table: TableIR = {
    name: contract.dataset,
    description: contract.description,
    columns,
    withheld,
    key: key.keyNames,
    partitionBy,
    location: tableLocation(contract.dataset),
  };
  const parentKey = columns.filter((c) => key.keyNames.includes(c.name));
  const partitionColumns = columns.filter((c) => c.partition);
  const finishedChildren = children.map((child) => ({
    ...finishChild(child, parentKey, [...system, ...partitionColumns]),
    location: tableLocation(child.name),
  }));
  for (const t of [table, ...finishedChildren]) checkColumnNames(t, ctx);
  checkNativeWidths([table, ...finishedChildren], walked.map((w) => w.raw), ctx);

  return {
    name: contract.dataset,
    description: contract.description,
    contract: { file, hash: contractHash(source), version: contract.version, owner: contract.owner },
    locations: { ...contract.locations },
    raw: {
      fields: walked.map((w) => w.raw),
      jsonSchema: safeJsonSchema(loaded, ctx),
    },
    rules: rulesFor(walked.map((w) => w.raw)),
    table,
    children: finishedChildren,
    excluded,
  };
}

function safeJsonSchema(loaded: LoadedContract, ctx: DatasetContext) {
  try {
    return recordJsonSchema(loaded.contract.schema, `${loaded.contract.dataset} raw record (contract ${loaded.contract.version})`, `urn:amazon-reviews:raw:${loaded.contract.dataset}`);
  } catch (error) {
    // The walker has already reported the unrepresentable kind with its location; this only adds Zod's words.
    ctx.diagnostics.push(
      diagnostic("CONTRACT.UNSUPPORTED_ZOD_KIND", `Zod cannot express the record as JSON Schema: ${(error as Error).message}`, { file: ctx.file }, "Remove the kind named above."),
    );
    return null;
  }
}

export type { ColumnMeta };
