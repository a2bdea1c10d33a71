/**
 * Diff of two flat models into typed change events (drizzle-kit's `diff.ts` → `JsonStatement`s). Rules then
 * classify events (`rules.ts`) and renderers print them (`format.ts`); nothing here decides severity.
 *
 * Existence changes are reported per raw field (what a producer adds, removes or renames), with the columns and
 * child tables it brings or takes along; a column is reported on its own only when its raw field stays (a new map
 * key, a derived column). Property changes are reported per column (warehouse side) and per raw field (producer
 * side).
 */
import { lowersPiiClass } from "../ir/withheld.js";
import { compareCodePoints } from "../lib/sort.js";
import type { FlatModel, ModelColumn, ModelDataset, ModelRawField, ModelTable } from "./model.js";
import { sortedKeys, sourceText } from "./model.js";
import { effectiveBound } from "./bounds.js";

export type ColumnAspect = "type" | "nullable" | "pii" | "description" | "source" | "normalize" | "native" | "acceptedValues" | "references";
export type RawAspect = "kind" | "required" | "nullable" | "enum" | "constraint";
/** A numeric range is compared as its effective bounds (`lowerBound`, `upperBound`), not keyword by keyword. */
export type ConstraintName = "lowerBound" | "upperBound" | "minLength" | "maxLength" | "pattern" | "format" | "minItems" | "maxItems";

export interface FieldSet {
  readonly dataset: string;
  readonly field: ModelRawField;
  /** Columns that exist only on this side because of the field. */
  readonly columns: readonly ModelColumn[];
  /** Child tables that exist only on this side because of the field. */
  readonly tables: readonly ModelTable[];
}

export type Change =
  | { readonly kind: "dataset_added"; readonly after: ModelDataset; readonly tables: readonly ModelTable[] }
  | { readonly kind: "dataset_removed"; readonly before: ModelDataset; readonly tables: readonly ModelTable[] }
  | { readonly kind: "dataset_changed"; readonly aspect: "description" | "owner" | "closedness" | "location"; readonly zone?: string; readonly before: ModelDataset; readonly after: ModelDataset }
  | { readonly kind: "table_added"; readonly after: ModelTable; readonly dataset: ModelDataset }
  | { readonly kind: "table_removed"; readonly before: ModelTable; readonly dataset: ModelDataset }
  | { readonly kind: "table_changed"; readonly aspect: "description" | "key" | "partition"; readonly before: ModelTable; readonly after: ModelTable; readonly dataset: ModelDataset }
  | { readonly kind: "field_added"; readonly added: FieldSet; readonly anchor: ModelDataset }
  | { readonly kind: "field_removed"; readonly removed: FieldSet; readonly anchor: ModelDataset }
  | { readonly kind: "field_renamed"; readonly before: ModelRawField; readonly after: ModelRawField; readonly pairs: readonly (readonly [ModelColumn, ModelColumn])[] }
  | { readonly kind: "field_rename_suspected"; readonly removed: FieldSet; readonly added: FieldSet }
  /** A union field (on both sides) lost or gained an option: a JSON type the cleaning job accepts for it. */
  | { readonly kind: "union_option_removed"; readonly union: ModelRawField; readonly option: ModelRawField }
  | { readonly kind: "union_option_added"; readonly union: ModelRawField; readonly option: ModelRawField }
  | { readonly kind: "column_added"; readonly after: ModelColumn }
  | { readonly kind: "column_removed"; readonly before: ModelColumn; readonly anchor: ModelDataset }
  | { readonly kind: "column_changed"; readonly aspect: ColumnAspect; readonly before: ModelColumn; readonly after: ModelColumn }
  | { readonly kind: "raw_changed"; readonly aspect: RawAspect; readonly constraint?: ConstraintName; readonly before: ModelRawField; readonly after: ModelRawField };

const CONSTRAINTS: readonly ConstraintName[] = ["lowerBound", "upperBound", "minLength", "maxLength", "minItems", "maxItems", "pattern", "format"];

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** The raw path a column reads, when it reads one (`style`, `image`). */
function columnPath(column: ModelColumn): string | undefined {
  return "path" in column.source ? column.source.path : undefined;
}

/** `inner` is `outer` or nested in it (`style{}` in `style`, `a.b` in `a`). */
function within(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(`${outer}.`) || inner.startsWith(`${outer}[`) || inner.startsWith(`${outer}{`) || inner.startsWith(`${outer}|`);
}

function parentPath(path: string): string | undefined {
  const match = /^(.*?)(?:\.[^.[{|]+|\[\]|\{\}|\|[a-z]+\d*)$/.exec(path);
  return match?.[1];
}

/** A union option's path (`rank|array`), as `model.ts` names it. */
const isUnionOption = (path: string): boolean => /\|[a-z]+\d*$/.test(path);

export function diffModels(base: FlatModel, head: FlatModel): Change[] {
  const changes: Change[] = [];
  for (const name of sortedKeys(base.datasets)) {
    if (!head.datasets.has(name)) {
      const before = base.datasets.get(name)!;
      changes.push({ kind: "dataset_removed", before, tables: before.tables.map((t) => base.tables.get(t)!) });
    }
  }
  for (const name of sortedKeys(head.datasets)) {
    const after = head.datasets.get(name)!;
    const before = base.datasets.get(name);
    if (!before) changes.push({ kind: "dataset_added", after, tables: after.tables.map((t) => head.tables.get(t)!) });
    else diffDataset(before, after, base, head, changes);
  }
  return changes;
}

function diffDataset(before: ModelDataset, after: ModelDataset, base: FlatModel, head: FlatModel, changes: Change[]): void {
  for (const aspect of ["description", "owner"] as const) {
    if (before[aspect] !== after[aspect]) changes.push({ kind: "dataset_changed", aspect, before, after });
  }
  if (before.closedness !== after.closedness) changes.push({ kind: "dataset_changed", aspect: "closedness", before, after });
  for (const zone of Object.keys(after.locations).sort(compareCodePoints) as (keyof ModelDataset["locations"])[]) {
    if (before.locations[zone] !== after.locations[zone]) changes.push({ kind: "dataset_changed", aspect: "location", zone, before, after });
  }

  const of = <V extends { dataset: string }>(map: ReadonlyMap<string, V>, dataset: string) =>
    new Map([...map].filter(([, v]) => v.dataset === dataset));
  const baseFields = of(base.rawFields, before.name);
  const headFields = of(head.rawFields, after.name);
  const baseColumns = of(base.columns, before.name);
  const headColumns = of(head.columns, after.name);
  const baseTables = of(base.tables, before.name);
  const headTables = of(head.tables, after.name);

  // Declared renames: a head column says which raw key it used to be read from.
  const renames = new Map<string, string>(); // base top-level key → head top-level key
  for (const id of sortedKeys(headColumns)) {
    const column = headColumns.get(id)!;
    const from = column.renamedFrom;
    const to = column.rawRoot;
    if (from === undefined || to === undefined || from === to) continue;
    if (baseFields.has(`${before.name}.${from}`) && !headFields.has(`${after.name}.${from}`) && !baseFields.has(`${before.name}.${to}`)) {
      renames.set(from, to);
    }
  }
  const renamedPath = (path: string): string => {
    for (const [from, to] of renames) if (within(path, from)) return to + path.slice(from.length);
    return path;
  };

  // Raw fields: added / removed at the outermost path whose parent exists on both sides.
  const headPaths = new Set([...headFields.values()].map((f) => f.path));
  const basePathsRenamed = new Set([...baseFields.values()].map((f) => renamedPath(f.path)));
  const explainedBaseColumns = new Set<string>();
  const explainedHeadColumns = new Set<string>();
  const explainedBaseTables = new Set<string>();
  const explainedHeadTables = new Set<string>();
  const removed: FieldSet[] = [];
  const added: FieldSet[] = [];
  const optionsAdded: Change[] = [];
  const headByPath = new Map([...headFields.values()].map((f) => [f.path, f]));
  const baseByPath = new Map([...baseFields.values()].map((f) => [f.path, f]));
  for (const id of sortedKeys(baseFields)) {
    const field = baseFields.get(id)!;
    const mapped = renamedPath(field.path);
    const parent = parentPath(field.path);
    if (headPaths.has(mapped) || (parent !== undefined && !headPaths.has(renamedPath(parent)))) continue;
    if (isUnionOption(field.path)) {
      // Reported as an option of a union that stays one; a union that became another kind is a type change.
      const union = headByPath.get(renamedPath(parent!));
      if (union?.kind === "union" && baseByPath.get(parent!)?.kind === "union") changes.push({ kind: "union_option_removed", union, option: field });
      continue;
    }
    const columns = [...baseColumns.values()].filter((c) => columnPath(c) !== undefined && within(columnPath(c)!, field.path) && !headColumns.has(c.id));
    const tables = [...baseTables.values()].filter((t) => t.arrayPath !== undefined && within(t.arrayPath, field.path) && !headTables.has(t.name));
    columns.forEach((c) => explainedBaseColumns.add(c.id));
    tables.forEach((t) => explainedBaseTables.add(t.name));
    removed.push({ dataset: before.name, field, columns, tables });
  }
  for (const id of sortedKeys(headFields)) {
    const field = headFields.get(id)!;
    const parent = parentPath(field.path);
    if (basePathsRenamed.has(field.path) || (parent !== undefined && !basePathsRenamed.has(parent))) continue;
    if (isUnionOption(field.path)) {
      const union = headByPath.get(parent!)!;
      const baseUnion = [...baseFields.values()].find((f) => renamedPath(f.path) === parent);
      if (union.kind === "union" && baseUnion?.kind === "union") optionsAdded.push({ kind: "union_option_added", union, option: field });
      continue;
    }
    const columns = [...headColumns.values()].filter((c) => columnPath(c) !== undefined && within(columnPath(c)!, field.path) && !baseColumns.has(c.id));
    const tables = [...headTables.values()].filter((t) => t.arrayPath !== undefined && within(t.arrayPath, field.path) && !baseTables.has(t.name));
    columns.forEach((c) => explainedHeadColumns.add(c.id));
    tables.forEach((t) => explainedHeadTables.add(t.name));
    added.push({ dataset: after.name, field, columns, tables });
  }
  for (const set of removed) changes.push({ kind: "field_removed", removed: set, anchor: after });
  for (const set of added) changes.push({ kind: "field_added", added: set, anchor: after });
  changes.push(...optionsAdded);
  // Only an unambiguous pair is suggested: one look-alike on each side.
  for (const set of removed) {
    const twins = added.filter((candidate) => looksAlike(set, candidate));
    if (twins.length === 1 && removed.filter((other) => looksAlike(other, twins[0]!)).length === 1) {
      changes.push({ kind: "field_rename_suspected", removed: set, added: twins[0]! });
    }
  }

  // Declared renames, with the columns they carry.
  for (const [from, to] of [...renames].sort(([a], [b]) => compareCodePoints(a, b))) {
    const pairs: (readonly [ModelColumn, ModelColumn])[] = [];
    for (const id of sortedKeys(headColumns)) {
      const after = headColumns.get(id)!;
      const path = columnPath(after);
      if (path === undefined || !within(path, to)) continue;
      const beforeColumn =
        baseColumns.get(id) ??
        [...baseColumns.values()].find((c) => c.rawRoot === from && c.sourceText.replace(`:${from}`, `:${to}`) === after.sourceText && !headColumns.has(c.id));
      if (!beforeColumn) continue;
      pairs.push([beforeColumn, after]);
      explainedBaseColumns.add(beforeColumn.id);
      explainedHeadColumns.add(after.id);
    }
    changes.push({
      kind: "field_renamed",
      before: baseFields.get(`${before.name}.${from}`)!,
      after: headFields.get(`${after.name}.${to}`)!,
      pairs,
    });
    for (const [b, a] of pairs) diffColumn(b, a, changes);
  }

  // Tables not explained by a raw field.
  for (const name of sortedKeys(baseTables)) {
    if (!headTables.has(name) && !explainedBaseTables.has(name)) changes.push({ kind: "table_removed", before: baseTables.get(name)!, dataset: after });
  }
  for (const name of sortedKeys(headTables)) {
    const afterTable = headTables.get(name)!;
    const beforeTable = baseTables.get(name);
    if (!beforeTable) {
      if (!explainedHeadTables.has(name)) changes.push({ kind: "table_added", after: afterTable, dataset: after });
      continue;
    }
    // The main table's description is the dataset's: reported once, as the dataset's.
    if (afterTable.parent !== undefined && beforeTable.description !== afterTable.description) changes.push({ kind: "table_changed", aspect: "description", before: beforeTable, after: afterTable, dataset: after });
    if (!same(beforeTable.key, afterTable.key)) changes.push({ kind: "table_changed", aspect: "key", before: beforeTable, after: afterTable, dataset: after });
    if (!same(beforeTable.partitionBy, afterTable.partitionBy)) changes.push({ kind: "table_changed", aspect: "partition", before: beforeTable, after: afterTable, dataset: after });
  }

  // Columns not explained by a raw field or a rename.
  const tableGone = (table: string) => !headTables.has(table);
  for (const id of sortedKeys(baseColumns)) {
    const column = baseColumns.get(id)!;
    if (!headColumns.has(id) && !explainedBaseColumns.has(id) && !tableGone(column.table)) changes.push({ kind: "column_removed", before: column, anchor: after });
  }
  for (const id of sortedKeys(headColumns)) {
    const afterColumn = headColumns.get(id)!;
    const beforeColumn = baseColumns.get(id);
    if (!beforeColumn) {
      if (!explainedHeadColumns.has(id) && baseTables.has(afterColumn.table)) changes.push({ kind: "column_added", after: afterColumn });
    } else if (!explainedHeadColumns.has(id)) {
      diffColumn(beforeColumn, afterColumn, changes, baseFields, headFields, renamedPath);
    }
  }

  // A column moving into or out of the cleaned zone (to or from `sensitive`): its removal or addition is reported
  // above; its class change is reported too, so the review says why and what protection it touches.
  const baseWithheld = of(base.withheld, before.name);
  const headWithheld = of(head.withheld, after.name);
  for (const id of [...new Set([...baseWithheld.keys(), ...headWithheld.keys()])].sort(compareCodePoints)) {
    const beforeColumn = baseColumns.get(id) ?? baseWithheld.get(id);
    const afterColumn = headColumns.get(id) ?? headWithheld.get(id);
    if (beforeColumn && afterColumn && beforeColumn.pii !== afterColumn.pii) changes.push({ kind: "column_changed", aspect: "pii", before: beforeColumn, after: afterColumn });
  }
  diffPiiPerSource([...baseColumns.values(), ...baseWithheld.values()], [...headColumns.values(), ...headWithheld.values()], renamedPath, changes);

  // Raw fields present on both sides (renamed paths mapped).
  for (const id of sortedKeys(baseFields)) {
    const beforeField = baseFields.get(id)!;
    const afterField = headByPath.get(renamedPath(beforeField.path));
    if (afterField) diffRawField(beforeField, afterField, changes);
  }
}

/**
 * The raw values a column holds, by their path on the head's side (a declared rename mapped): a field's path, a map
 * key as `path["key"]`, a surrogate key's inputs. A PII class is a property of these values, not of a column's name.
 */
function rawSources(column: ModelColumn, renamedPath: (path: string) => string = (path) => path): string[] {
  const source = column.source;
  switch (source.kind) {
    case "map_key":
      return [`${renamedPath(source.path)}[${JSON.stringify(source.key)}]`];
    case "surrogate_key":
      return source.paths.map(renamedPath);
    case "parent_key":
    case "array_position":
    case "processed_at":
    case "raw_modified_at":
    case "raw_object":
      return [];
    default:
      return [renamedPath(source.path)];
  }
}

/** For each raw source, the column of the highest PII class reading it (of equals, the first by id). */
function highestClass(columns: readonly ModelColumn[], renamedPath?: (path: string) => string): Map<string, ModelColumn> {
  const out = new Map<string, ModelColumn>();
  for (const column of [...columns].sort((a, b) => compareCodePoints(a.id, b.id))) {
    for (const source of rawSources(column, renamedPath)) {
      const held = out.get(source);
      if (!held || lowersPiiClass(column.pii, held.pii)) out.set(source, column);
    }
  }
  return out;
}

/**
 * A PII class lowered on a raw source, whatever its columns are called on each side: a column renamed together with
 * its class lowered, or a sensitive field (withheld, in no processed table) brought out under another column name,
 * is a removal and an addition by column id, and would pass unreviewed. Each raw source whose highest class goes
 * down is reported as a class change from the base's column to the head's, unless a column pair already said so.
 */
function diffPiiPerSource(baseColumns: readonly ModelColumn[], headColumns: readonly ModelColumn[], renamedPath: (path: string) => string, changes: Change[]): void {
  const before = highestClass(baseColumns, renamedPath);
  const after = highestClass(headColumns);
  const reported = changes.flatMap((c) => (c.kind === "column_changed" && c.aspect === "pii" ? [c] : []));
  for (const source of [...before.keys()].sort(compareCodePoints)) {
    const from = before.get(source)!;
    const to = after.get(source);
    // A source no head column reads any more carries its value nowhere: nothing is exposed.
    if (!to || !lowersPiiClass(from.pii, to.pii)) continue;
    const said = reported.some(
      (c) => c.before.pii === from.pii && c.after.pii === to.pii && rawSources(c.before, renamedPath).includes(source) && rawSources(c.after).includes(source),
    );
    if (!said) changes.push({ kind: "column_changed", aspect: "pii", before: from, after: to });
  }
}

/** A removed and an added field that are probably one field renamed: same shape, same storage, same text. */
function looksAlike(removed: FieldSet, added: FieldSet): boolean {
  const a = removed.field;
  const b = added.field;
  if (a.kind !== b.kind || a.required !== b.required || a.nullable !== b.nullable) return false;
  if (removed.columns.length !== added.columns.length || removed.tables.length !== added.tables.length) return false;
  const typesMatch = removed.columns.every((c, i) => c.typeText === added.columns[i]!.typeText);
  const textMatches = removed.columns.every((c, i) => c.description === added.columns[i]!.description) && removed.columns.length > 0;
  // Equal constraints say something only when there are some: two bare optional strings are not a pair.
  const constraintsMatch = Object.keys(a.constraints).length > 0 && same(a.constraints, b.constraints);
  return typesMatch && (textMatches || constraintsMatch);
}

function diffColumn(
  before: ModelColumn,
  after: ModelColumn,
  changes: Change[],
  baseFields?: ReadonlyMap<string, ModelRawField>,
  headFields?: ReadonlyMap<string, ModelRawField>,
  renamedPath: (path: string) => string = (path) => path,
): void {
  const push = (aspect: ColumnAspect) => changes.push({ kind: "column_changed", aspect, before, after });
  if (before.typeText !== after.typeText) push("type");
  if (before.nullable !== after.nullable) push("nullable");
  if (before.pii !== after.pii) push("pii");
  if (before.description !== after.description) push("description");
  // A surrogate key hashes its inputs' values, not their names: a declared rename of an input keeps every key.
  const beforeSource = before.source.kind === "surrogate_key" ? sourceText({ ...before.source, paths: before.source.paths.map(renamedPath) }) : before.sourceText;
  if (beforeSource !== after.sourceText && !(after.renamedFrom !== undefined && renamedOnly(before, after))) push("source");
  // A new type comes with its own normalisations (parse_*): the type change says it.
  if (!same(before.normalize, after.normalize) && before.typeText === after.typeText) push("normalize");
  if (!same(before.native, after.native)) push("native");
  if (!same(before.references ?? null, after.references ?? null)) push("references");
  if (!same(before.acceptedValues ?? null, after.acceptedValues ?? null)) {
    // The raw field's enum change already says this, to the producer; say it once.
    const path = columnPath(after);
    const rawBefore = path && baseFields?.get(`${before.dataset}.${path}`);
    const rawAfter = path && headFields?.get(`${after.dataset}.${path}`);
    const explained = rawBefore && rawAfter && !same(rawBefore.constraints.enum ?? null, rawAfter.constraints.enum ?? null);
    if (!explained) push("acceptedValues");
  }
}

/** The source differs only by the declared rename of its raw key. */
function renamedOnly(before: ModelColumn, after: ModelColumn): boolean {
  const from = after.renamedFrom!;
  const to = after.rawRoot;
  return to !== undefined && before.rawRoot === from && before.sourceText.replace(`:${from}`, `:${to}`) === after.sourceText;
}

/** A constraint's value on a field, the range as its effective bounds. */
export function constraintValue(field: Pick<ModelRawField, "kind" | "constraints">, name: ConstraintName): unknown {
  return name === "lowerBound" || name === "upperBound" ? effectiveBound(field, name) : field.constraints[name];
}

function diffRawField(before: ModelRawField, after: ModelRawField, changes: Change[]): void {
  const push = (aspect: RawAspect, constraint?: ConstraintName) =>
    changes.push({ kind: "raw_changed", aspect, ...(constraint ? { constraint } : {}), before, after });
  if (before.required !== after.required) push("required");
  if (before.nullable !== after.nullable) push("nullable");
  if (before.kind !== after.kind) {
    // Constraints of another kind are not comparable (an integer's implicit bounds, a string's pattern): the type
    // change is the finding.
    push("kind");
    return;
  }
  if (!same(before.constraints.enum ?? null, after.constraints.enum ?? null)) push("enum");
  for (const name of CONSTRAINTS) {
    if (!same(constraintValue(before, name) ?? null, constraintValue(after, name) ?? null)) push("constraint", name);
  }
}
