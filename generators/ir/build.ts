/**
 * Contract → IR. Builds every dataset's raw fields, validation rules, processed columns and child tables, and
 * checks the contract as a whole: names, types against normalisations, keys, partitions and references.
 * All problems are collected and thrown together as one `ContractError`, each with file:line:column and a fix.
 */
import { createHash } from "node:crypto";
import type { ColumnMeta, Contract, DerivedColumn } from "../contract-kit/index.js";
import { ContractError, diagnostic, type Diagnostic } from "../lib/errors.js";
import { compareCodePoints } from "../lib/sort.js";
import { recordJsonSchema, walkRecord, type WalkedField } from "./from-zod.js";
import { IDENTIFIER, RESERVED_WORDS, snakeCase } from "./names.js";
import { unportableRegexReason } from "./regex.js";
import { rulesFor } from "./rules.js";
import { SourceIndex } from "./source-locations.js";
import {
  IR_VERSION,
  type ChildTableIR,
  type ColumnIR,
  type ContractIR,
  type DatasetIR,
  type LogicalType,
  type Normalization,
  type RawField,
  type SourceLocation,
  type TableIR,
} from "./types.js";

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
export function buildIR(contracts: readonly LoadedContract[]): ContractIR {
  const diagnostics: Diagnostic[] = [];
  const datasets = contracts.map((c) => buildDataset(c, diagnostics));
  checkAcrossDatasets(datasets, contracts, diagnostics);
  for (const dataset of datasets) checkControlCharacters(dataset, diagnostics);
  if (diagnostics.some((d) => d.severity === "error")) throw new ContractError(diagnostics);
  return { irVersion: IR_VERSION, datasets: [...datasets].sort((a, b) => compareCodePoints(a.name, b.name)) };
}

/** C0 control characters but tab and line feed, and DEL: no target can carry them safely (a NUL ends C strings and
 * makes Python source unparsable, CR breaks LF-only files, ESC sequences reach terminals). */
const CONTROL_CHARACTER = /[\u0000-\u0008\u000B-\u001F\u007F]/;

/** Every text of a dataset's IR (descriptions, owner, names, keys, reasons) is free of control characters. */
function checkControlCharacters(dataset: DatasetIR, diagnostics: Diagnostic[]): void {
  // One report per offending text, at the most precise place it appears (a column's line rather than the file).
  const found = new Map<string, { path: string; where: Diagnostic["where"] }>();
  const walk = (value: unknown, path: string, where: Diagnostic["where"]) => {
    if (typeof value === "string") {
      if (!CONTROL_CHARACTER.test(value)) return;
      const seen = found.get(value);
      if (!seen || (seen.where?.line === undefined && where?.line !== undefined)) found.set(value, { path, where });
      return;
    }
    if (Array.isArray(value)) return value.forEach((item, i) => walk(item, `${path}[${i}]`, where));
    if (value && typeof value === "object") {
      const node = value as Record<string, unknown>;
      const here = node.where && typeof node.where === "object" && "file" in (node.where as object) ? (node.where as Diagnostic["where"]) : where;
      for (const [key, child] of Object.entries(node)) if (key !== "where") walk(child, path ? `${path}.${key}` : key, here);
    }
  };
  walk(dataset, dataset.name, { file: dataset.contract.file });
  for (const [text, { path, where }] of found) {
    const code = CONTROL_CHARACTER.exec(text)![0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
    diagnostics.push(
      diagnostic(
        "CONTRACT.CONTROL_CHARACTER",
        `${path} holds the control character U+${code}, which no generated file can carry safely.`,
        where,
        "Remove it (tabs and line breaks are allowed; write other characters as visible text).",
      ),
    );
  }
}

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$/;
const S3_LOCATION = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/([A-Za-z0-9!_.*'()-]+\/)*$/;

/** Normalisations that may turn a present value into null. */
const MAY_YIELD_NULL: ReadonlySet<Normalization> = new Set(["empty_to_null", "parse_money", "parse_month_day_year"]);

/** What each normalisation takes and gives; `undefined` input means "any string". */
const NORMALIZATION_TYPES: Record<Normalization, { input: "string" | "integer"; output: LogicalType["kind"][] }> = {
  trim: { input: "string", output: ["string"] },
  empty_to_null: { input: "string", output: ["string"] },
  html_unescape: { input: "string", output: ["string"] },
  parse_integer: { input: "string", output: ["int32", "int64"] },
  parse_money: { input: "string", output: ["decimal"] },
  parse_month_day_year: { input: "string", output: ["date"] },
  epoch_seconds_to_timestamp: { input: "integer", output: ["timestamp"] },
  epoch_seconds_to_date: { input: "integer", output: ["date"] },
};

interface DatasetContext {
  readonly file: string;
  readonly dataset: string;
  readonly index: SourceIndex;
  readonly diagnostics: Diagnostic[];
  where(path: string): SourceLocation;
  whereProperty(segments: readonly string[], path: string): SourceLocation;
}

function buildDataset(loaded: LoadedContract, diagnostics: Diagnostic[]): DatasetIR {
  const { contract, file, source } = loaded;
  const index = new SourceIndex(source, file);
  const at = (position: { line: number; column: number } | undefined, path: string): SourceLocation => ({
    file,
    line: position?.line ?? 1,
    column: position?.column ?? 1,
    path,
  });
  const ctx: DatasetContext = {
    file,
    dataset: contract.dataset,
    index,
    diagnostics,
    where: (path) => at(index.findField(path.split(/\.|\[\]|\{\}|\|\d+/).filter(Boolean)), `${contract.dataset}.${path}`),
    whereProperty: (segments, path) => at(index.find(segments), `${contract.dataset}.${path}`),
  };
  const top = ctx.whereProperty(["dataset"], "dataset");

  checkName(contract.dataset, "dataset", top, ctx);
  if (!SEMVER.test(contract.version)) {
    diagnostics.push(
      diagnostic("CONTRACT.INVALID_VERSION", `Version "${contract.version}" is not MAJOR.MINOR.PATCH.`, ctx.whereProperty(["version"], "version"), 'Write e.g. version: "1.0.0".'),
    );
  }
  for (const [zone, location] of Object.entries(contract.locations)) {
    // "." and ".." segments would lead every local path built from the location out of its folder.
    const dotSegment = location.split("/").slice(3).some((segment) => segment === "." || segment === "..");
    if (!S3_LOCATION.test(location) || dotSegment) {
      diagnostics.push(
        diagnostic(
          "CONTRACT.INVALID_LOCATION",
          dotSegment
            ? `Location ${zone} "${location}" has a "." or ".." segment.`
            : `Location ${zone} "${location}" is not s3://bucket/prefix/.`,
          ctx.whereProperty(["locations", zone], `locations.${zone}`),
          "Use a lowercase bucket name, prefix segments other than . and .., and end the prefix with /.",
        ),
      );
    }
  }

  const walked = walkRecord(contract.schema, { diagnostics, where: ctx.where });
  checkRegexes(walked.map((w) => w.raw), ctx);
  const excluded: { path: string; reason: string }[] = [];
  const fieldColumns: ColumnIR[] = [];
  const children: ChildTableIR[] = [];
  for (const field of walked) collectColumns(field, "", ctx, fieldColumns, children, excluded);

  // Key
  const keyColumns: ColumnIR[] = [];
  let keyNames: string[] = [];
  if ("surrogate" in contract.key) {
    const spec = contract.key.surrogate;
    const where = ctx.whereProperty(["key", "surrogate", "name"], "key");
    for (const from of spec.from) {
      const field = walked.find((w) => w.raw.key === from)?.raw;
      if (!field || !field.required || field.nullable || !isScalar(field)) {
        diagnostics.push(
          diagnostic(
            "CONTRACT.BAD_REFERENCE",
            `Surrogate key part "${from}" is not a required, non-null scalar field of the record.`,
            ctx.whereProperty(["key", "surrogate", "from"], "key.from"),
            "List required top-level scalar fields only: a key part must never be missing.",
          ),
        );
      }
    }
    keyColumns.push({
      name: spec.name,
      description: spec.description,
      type: { kind: "string" },
      nullable: false,
      source: { kind: "surrogate_key", paths: [...spec.from] },
      normalize: [],
      pii: "none",
      partition: false,
      key: true,
      native: {},
      where,
    });
    keyNames = [spec.name];
  } else {
    const name = contract.key.column;
    const found = fieldColumns.findIndex((c) => c.name === name);
    const keyColumn = fieldColumns[found];
    if (!keyColumn || keyColumn.nullable) {
      diagnostics.push(
        diagnostic(
          "CONTRACT.BAD_REFERENCE",
          keyColumn ? `Key column "${name}" is nullable.` : `Key column "${name}" is not a column of the dataset.`,
          ctx.whereProperty(["key", "column"], "key"),
          "Name a processed column whose raw field is required and never null.",
        ),
      );
    } else {
      fieldColumns[found] = { ...keyColumn, key: true };
    }
    keyNames = [name];
  }

  const derived = (contract.derived ?? []).map((d) => derivedColumn(d, walked, ctx));
  const partitionBy = [...(contract.partitionBy ?? [])];
  let columns = [...keyColumns, ...fieldColumns, ...derived];
  for (const name of partitionBy) {
    const column = columns.find((c) => c.name === name);
    if (!column || column.nullable || !["date", "string", "int32", "int64"].includes(column.type.kind)) {
      diagnostics.push(
        diagnostic(
          "CONTRACT.BAD_REFERENCE",
          `Partition column "${name}" is ${column ? "nullable or not a date, string or integer" : "not a column of the dataset"}.`,
          ctx.whereProperty(["partitionBy"], "partitionBy"),
          "Partition by a non-null date, string or integer column (e.g. a derived review_date).",
        ),
      );
    }
  }
  const isPartition = (c: ColumnIR) => partitionBy.includes(c.name);
  const processedAt = processedAtColumn(top);
  columns = [
    ...columns.filter((c) => !isPartition(c)),
    processedAt,
    ...partitionBy.flatMap((name) => columns.filter((c) => c.name === name).map((c) => ({ ...c, partition: true }))),
  ];

  const tableLocation = (name: string) => `${contract.locations.processed}${name}/`;
  const table: TableIR = {
    name: contract.dataset,
    description: contract.description,
    columns,
    key: keyNames,
    partitionBy,
    location: tableLocation(contract.dataset),
  };
  const parentKey = columns.filter((c) => keyNames.includes(c.name));
  const partitionColumns = columns.filter((c) => c.partition);
  const finishedChildren = children.map((child) => ({
    ...finishChild(child, parentKey, [processedAt, ...partitionColumns]),
    location: tableLocation(child.name),
  }));
  for (const t of [table, ...finishedChildren]) checkColumnNames(t, ctx);

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

function isScalar(field: RawField): boolean {
  return field.kind === "string" || field.kind === "number" || field.kind === "integer" || field.kind === "boolean";
}

function inferredType(field: RawField): LogicalType {
  switch (field.kind) {
    case "integer":
      return { kind: "int64" };
    case "number":
      return { kind: "float64" };
    case "boolean":
      return { kind: "boolean" };
    default:
      return { kind: "string" };
  }
}

function collectColumns(
  field: WalkedField,
  prefix: string,
  ctx: DatasetContext,
  out: ColumnIR[],
  children: ChildTableIR[],
  excluded: { path: string; reason: string }[],
): void {
  const { raw, meta } = field;
  if (!meta) {
    ctx.diagnostics.push(
      diagnostic("CONTRACT.MISSING_METADATA", `Field "${raw.path}" has no column(...) metadata.`, raw.where, `Wrap it: ${raw.key}: column(z..., { description: "..." }).`),
    );
    return;
  }
  if (typeof meta.description !== "string" || meta.description.trim() === "") {
    ctx.diagnostics.push(
      diagnostic(
        "CONTRACT.MISSING_METADATA",
        `Field "${raw.path}" has ${typeof meta.description === "string" ? "an empty" : "no"} description.`,
        raw.where,
        `Say what the field means: ${raw.key}: column(z..., { description: "..." }).`,
      ),
    );
    return;
  }
  if (meta.exclude) {
    excluded.push({ path: raw.path, reason: meta.exclude.reason });
    return;
  }
  const name = meta.name ?? `${prefix}${snakeCase(raw.key)}`;
  const nullable = !raw.required || raw.nullable;
  const common = {
    description: meta.description,
    pii: meta.pii ?? "none",
    partition: false,
    key: false,
    native: { ...meta.native },
    ...(meta.references ? { references: { ...meta.references } } : {}),
    ...(meta.acceptedValues ? { acceptedValues: [...meta.acceptedValues] } : {}),
    ...(meta.renamedFrom ? { renamedFrom: meta.renamedFrom } : {}),
    where: raw.where,
  } as const;
  const normalize = [...(meta.normalize ?? [])];

  if (meta.type?.kind === "json" && !(raw.kind === "array" && meta.array && "child" in meta.array)) {
    out.push({ ...common, name, type: { kind: "json" }, nullable, source: { kind: "json", path: raw.path }, normalize: [] });
    return;
  }
  switch (raw.kind) {
    case "string":
    case "number":
    case "integer":
    case "boolean": {
      const type = meta.type ?? inferredType(raw);
      checkType(raw, type, normalize, ctx);
      const enumValues = raw.constraints.enum;
      out.push({
        ...common,
        ...(enumValues && !common.acceptedValues && normalize.length === 0 ? { acceptedValues: [...enumValues] } : {}),
        name,
        type,
        nullable: nullable || normalize.some((n) => MAY_YIELD_NULL.has(n)),
        source: { kind: "field", path: raw.path },
        normalize,
      });
      return;
    }
    case "object":
      for (const child of field.children) collectColumns(child, `${name}_`, ctx, out, children, excluded);
      return;
    case "record": {
      if (!meta.map) return undecided(raw, "map", ctx);
      const keyNormalize = [...(meta.map.keyNormalize ?? ["trim", "strip_trailing_colon"])];
      const value = raw.element;
      if (!value || !isScalar(value)) {
        ctx.diagnostics.push(
          diagnostic("CONTRACT.TYPE_MISMATCH", `Record "${raw.path}" must have scalar values to map keys to columns.`, raw.where, "Use z.record(z.string(), z.string()) or store it with type: types.json."),
        );
        return;
      }
      for (const [key, spec] of Object.entries(meta.map.keys)) {
        const type = inferredType(value);
        checkType(value, type, normalize, ctx);
        out.push({
          ...common,
          description: spec.description,
          name: spec.name,
          type,
          nullable: true,
          source: { kind: "map_key", path: raw.path, key, keyNormalize },
          normalize,
        });
      }
      out.push({
        ...common,
        description: meta.map.rest.description,
        name: meta.map.rest.name,
        type: { kind: "json" },
        nullable: true,
        source: { kind: "map_rest", path: raw.path, declaredKeys: Object.keys(meta.map.keys), keyNormalize },
        normalize: [],
      });
      return;
    }
    case "array": {
      if (!meta.array) return undecided(raw, "array", ctx);
      if ("json" in meta.array) {
        out.push({ ...common, name, type: { kind: "json" }, nullable, source: { kind: "json", path: raw.path }, normalize: [] });
        return;
      }
      const element = raw.element;
      if (!element || !isScalar(element)) {
        ctx.diagnostics.push(
          diagnostic("CONTRACT.TYPE_MISMATCH", `Array "${raw.path}" must hold scalars to become a child dataset.`, raw.where, "Store it with array: { json: true }."),
        );
        return;
      }
      const spec = meta.array.child;
      const type = meta.type ?? inferredType(element);
      checkType(element, type, normalize, ctx);
      children.push({
        name: spec.dataset,
        description: `${meta.description} One row per element of ${ctx.dataset}.${raw.path}.`,
        parent: ctx.dataset,
        arrayPath: raw.path,
        key: [],
        partitionBy: [],
        location: "",
        columns: [
          {
            ...common,
            description: spec.description,
            name: spec.column,
            type,
            nullable: element.nullable || normalize.some((n) => MAY_YIELD_NULL.has(n)),
            source: { kind: "array_element", path: raw.path },
            normalize,
          },
        ],
      });
      return;
    }
    case "union": {
      const options = raw.options ?? [];
      const first = options[0];
      if (first && options.every((o) => isScalar(o) && o.kind === first.kind)) {
        const type = meta.type ?? inferredType(first);
        out.push({ ...common, name, type, nullable, source: { kind: "field", path: raw.path }, normalize });
        return;
      }
      ctx.diagnostics.push(
        diagnostic(
          "CONTRACT.UNSTORABLE_UNION",
          `Union "${raw.path}" mixes ${options.map((o) => o.kind).join(" and ")}: no single column type holds it.`,
          raw.where,
          "Store it as JSON text with type: types.json, or make the producer send one type.",
        ),
      );
      return;
    }
  }
}

function undecided(raw: RawField, what: "map" | "array", ctx: DatasetContext): void {
  const example = what === "map" ? "map: { keys: {...}, rest: {...} }" : "array: { child: {...} } or array: { json: true }";
  ctx.diagnostics.push(
    diagnostic("CONTRACT.STORAGE_UNDECIDED", `Field "${raw.path}" is a${what === "array" ? "n array" : " record"} with no storage decision.`, raw.where, `Add ${example} to its column(...) metadata.`),
  );
}

function checkType(raw: RawField, type: LogicalType, normalize: readonly Normalization[], ctx: DatasetContext): void {
  if (type.kind === "decimal" && !(type.precision >= 1 && type.precision <= 38 && type.scale >= 0 && type.scale <= type.precision)) {
    ctx.diagnostics.push(
      diagnostic("CONTRACT.INVALID_DECIMAL", `decimal(${type.precision}, ${type.scale}) is not a valid decimal type.`, raw.where, "Use precision 1–38 and scale 0–precision."),
    );
  }
  // Walk the normalisations to find the value kind they produce.
  let current: string = raw.kind;
  for (const step of normalize) {
    const spec = NORMALIZATION_TYPES[step];
    const accepts = spec.input === "string" ? current === "string" : current === "integer";
    if (!accepts) {
      ctx.diagnostics.push(
        diagnostic("CONTRACT.TYPE_MISMATCH", `Normalisation "${step}" takes a ${spec.input} but "${raw.path}" is a ${current} at that step.`, raw.where, "Reorder or remove the normalisation, or change the raw type."),
      );
      return;
    }
    if (!(spec.output.length === 1 && spec.output[0] === "string")) {
      if (!spec.output.includes(type.kind)) {
        ctx.diagnostics.push(
          diagnostic("CONTRACT.TYPE_MISMATCH", `Normalisation "${step}" produces ${spec.output.join(" or ")}, but the column type is ${type.kind}.`, raw.where, `Declare type: types.${spec.output[0]}${spec.output[0] === "decimal" ? "(p, s)" : ""}.`),
        );
        return;
      }
      current = "converted";
    }
  }
  if (current === "converted") return;
  const compatible: Record<string, readonly LogicalType["kind"][]> = {
    string: ["string"],
    integer: ["int32", "int64", "decimal", "float64"],
    number: ["float64", "decimal"],
    boolean: ["boolean"],
  };
  if (!(compatible[current] ?? []).includes(type.kind)) {
    ctx.diagnostics.push(
      diagnostic("CONTRACT.TYPE_MISMATCH", `Raw ${current} "${raw.path}" cannot be stored as ${type.kind} without a normalisation.`, raw.where, "Add a parse_* normalisation, or change the column type."),
    );
  }
}

function derivedColumn(spec: DerivedColumn, walked: readonly WalkedField[], ctx: DatasetContext): ColumnIR {
  const where = ctx.whereProperty(["derived", "name"], `derived.${spec.name}`);
  const field = walked.find((w) => w.raw.key === spec.from)?.raw;
  if (!field) {
    ctx.diagnostics.push(
      diagnostic("CONTRACT.BAD_REFERENCE", `Derived column "${spec.name}" reads "${spec.from}", which is not a field of the record.`, where, "Name a top-level field of the raw record in from:."),
    );
  } else {
    checkType(field, spec.type, spec.normalize, ctx);
  }
  return {
    name: spec.name,
    description: spec.description,
    type: spec.type,
    nullable: !field || !field.required || field.nullable || spec.normalize.some((n) => MAY_YIELD_NULL.has(n)),
    source: { kind: "field", path: spec.from },
    normalize: [...spec.normalize],
    pii: spec.pii ?? "none",
    partition: false,
    key: false,
    native: {},
    where,
  };
}

/** The column every processed table gets from the flatten job (see `ColumnSource` "processed_at"). */
function processedAtColumn(where: SourceLocation): ColumnIR {
  return {
    name: "processed_at",
    description: "When the flatten job wrote this row (UTC, the run's start time); source freshness is measured on it.",
    type: { kind: "timestamp" },
    nullable: false,
    source: { kind: "processed_at" },
    normalize: [],
    pii: "none",
    partition: false,
    key: false,
    native: {},
    where,
  };
}

/** Child table columns: parent key, position, element, then the parent's trailing columns (processed_at, partitions). */
function finishChild(child: ChildTableIR, parentKey: readonly ColumnIR[], partitions: readonly ColumnIR[]): ChildTableIR {
  const keyColumns: ColumnIR[] = parentKey.map((k) => ({
    ...k,
    description: `Key of the parent ${child.parent} row.`,
    source: { kind: "parent_key", column: k.name },
    normalize: [],
    key: true,
    references: { dataset: child.parent, column: k.name },
  }));
  const element = child.columns[0]!;
  const position: ColumnIR = {
    name: "position",
    description: `0-based position of the element in ${child.parent}.${child.arrayPath}.`,
    type: { kind: "int32" },
    nullable: false,
    source: { kind: "array_position", path: child.arrayPath },
    normalize: [],
    pii: "none",
    partition: false,
    key: true,
    native: {},
    where: element.where,
  };
  return {
    ...child,
    columns: [...keyColumns, position, ...child.columns, ...partitions],
    key: [...keyColumns.map((k) => k.name), "position"],
    partitionBy: partitions.filter((p) => p.partition).map((p) => p.name),
  };
}

function checkName(name: string, what: string, where: SourceLocation, ctx: DatasetContext): void {
  if (!IDENTIFIER.test(name)) {
    ctx.diagnostics.push(
      diagnostic("CONTRACT.INVALID_IDENTIFIER", `The ${what} name "${name}" is not lowercase snake_case.`, where, `Use ^[a-z][a-z0-9_]{0,62}$, e.g. "${snakeCase(name) || "field"}".`),
    );
  } else if (RESERVED_WORDS.has(name)) {
    ctx.diagnostics.push(
      diagnostic("CONTRACT.RESERVED_WORD", `The ${what} name "${name}" is a reserved word in Snowflake or Spark SQL.`, where, `Choose another name, e.g. "${name}_value", with column(..., { name }).`),
    );
  }
}

function checkColumnNames(table: TableIR, ctx: DatasetContext): void {
  const seen = new Map<string, ColumnIR>();
  for (const column of table.columns) {
    // The pipeline's own columns use names reserved for them.
    if (column.source.kind !== "processed_at") checkName(column.name, `column (${table.name})`, column.where, ctx);
    const previous = seen.get(column.name);
    if (previous) {
      ctx.diagnostics.push(
        diagnostic(
          "CONTRACT.NAME_COLLISION",
          `Column "${column.name}" of ${table.name} comes from both ${describeSource(previous)} and ${describeSource(column)}.`,
          column.where,
          "Give one of them another name with column(..., { name }).",
        ),
      );
    }
    seen.set(column.name, column);
  }
}

function describeSource(column: ColumnIR): string {
  const s = column.source;
  return "path" in s ? `"${s.path}"` : s.kind;
}

function checkRegexes(fields: readonly RawField[], ctx: DatasetContext): void {
  for (const field of fields) {
    const pattern = field.constraints.pattern;
    const reason = pattern === undefined ? undefined : unportableRegexReason(pattern);
    if (reason) {
      ctx.diagnostics.push(
        diagnostic("CONTRACT.UNPORTABLE_REGEX", `Regex /${pattern}/ of "${field.path}" uses ${reason}.`, field.where, "Rewrite it with the portable subset listed in generators/ir/regex.ts."),
      );
    }
    checkRegexes([...(field.fields ?? []), ...(field.element ? [field.element] : []), ...(field.options ?? [])], ctx);
  }
}

function checkAcrossDatasets(datasets: readonly DatasetIR[], contracts: readonly LoadedContract[], diagnostics: Diagnostic[]): void {
  const tables = new Map<string, { table: TableIR; file: string }>();
  for (const [i, dataset] of datasets.entries()) {
    const file = contracts[i]!.file;
    for (const table of [dataset.table, ...dataset.children]) {
      const previous = tables.get(table.name);
      if (previous) {
        diagnostics.push(
          diagnostic(
            table === dataset.table ? "CONTRACT.DUPLICATE_DATASET" : "CONTRACT.NAME_COLLISION",
            `Dataset "${table.name}" is declared in both ${previous.file} and ${file}.`,
            { file, path: table.name },
            "Rename one of them: dataset names are global (they become S3 prefixes and warehouse tables).",
          ),
        );
      }
      tables.set(table.name, { table, file });
    }
  }
  for (const [i, dataset] of datasets.entries()) {
    for (const table of [dataset.table, ...dataset.children]) {
      for (const column of table.columns) {
        const ref = column.references;
        if (!ref) continue;
        const target = tables.get(ref.dataset)?.table;
        if (!target || !target.columns.some((c) => c.name === ref.column)) {
          diagnostics.push(
            diagnostic(
              "CONTRACT.BAD_REFERENCE",
              `Column "${table.name}.${column.name}" references "${ref.dataset}.${ref.column}", which does not exist.`,
              column.where ?? { file: contracts[i]!.file },
              "Name an existing dataset and column in references:, or remove it.",
            ),
          );
        }
      }
    }
  }
}

export type { ColumnMeta };
