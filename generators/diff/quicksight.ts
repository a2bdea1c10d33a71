/**
 * QuickSight as a consumer in contract review: which QuickSight data sets and visuals a change reaches.
 * - A mart column removed, renamed (same upstream, new name) or retyped between the two sides' marts contracts.
 * - A staging column changed by a contract change (removed — alone, with its raw field, its table or its dataset —,
 *   renamed, retyped, made nullable, …) that a mart column
 *   QuickSight reads is computed from, following the marts' declared lineage (`config.meta.upstream`) transitively.
 * Pure: works on the two IRs and the contract changes.
 */
import type { ContractIR, MartColumnIR, MartIR } from "../ir/types.js";
import { compareCodePoints } from "../lib/sort.js";
import { stagingModelName } from "../targets/dbt/emit.js";
import { stagingColumnName } from "../targets/protection.js";
import { dataSetId, fieldType, quicksightType, visualColumns } from "../targets/quicksight/emit.js";
import type { Change } from "./diff.js";
import { buildModel, type ModelColumn } from "./model.js";

export interface QuickSightImpact {
  readonly mart: string;
  readonly column: string;
  /** removed / renamed / retyped: the mart column itself; upstream: a staging column it is computed from. */
  readonly change: "removed" | "renamed" | "retyped" | "upstream";
  readonly detail: string;
  /** The QuickSight data set reading the mart. */
  readonly dataSet: string;
  /** Visuals reading the column (empty: only the data set carries it). */
  readonly visuals: readonly string[];
  /** The data set or a visual stops working until the QuickSight layer is redeployed (or cannot be). */
  readonly breaking: boolean;
}

const key = (mart: string, column: string) => `${mart}.${column}`;

function visualsOf(mart: string, column: string): string[] {
  return [...new Set(visualColumns().filter((r) => r.mart === mart && r.column === column).map((r) => r.visual))].sort(compareCodePoints);
}

function martChanges(base: readonly MartIR[], head: readonly MartIR[]): QuickSightImpact[] {
  const impacts: QuickSightImpact[] = [];
  for (const before of base) {
    const after = head.find((m) => m.name === before.name);
    const removed = before.columns.filter((c) => !after?.columns.some((x) => x.name === c.name));
    const added = after ? after.columns.filter((c) => !before.columns.some((x) => x.name === c.name)) : [];
    for (const column of removed) {
      const twin = added.find((a) => a.upstream.length > 0 && a.upstream.join() === column.upstream.join() && a.dataType === column.dataType);
      const visuals = visualsOf(before.name, column.name);
      impacts.push({
        mart: before.name,
        column: column.name,
        change: twin ? "renamed" : "removed",
        detail: !after ? `the mart ${before.name} is removed` : twin ? `renamed to ${twin.name}` : "removed from the mart",
        dataSet: dataSetId(before.name),
        visuals,
        breaking: true,
      });
    }
    for (const column of after?.columns ?? []) {
      const old = before.columns.find((c) => c.name === column.name);
      if (!old || old.dataType === column.dataType) continue;
      const from = quicksightType(old.dataType);
      const to = quicksightType(column.dataType);
      const fieldChanged = !from || !to || fieldType(from) !== fieldType(to);
      impacts.push({
        mart: before.name,
        column: column.name,
        change: "retyped",
        detail: `${old.dataType} → ${column.dataType} (QuickSight ${from ?? "—"} → ${to ?? "unsupported"})`,
        dataSet: dataSetId(before.name),
        visuals: visualsOf(before.name, column.name),
        breaking: fieldChanged,
      });
    }
  }
  return impacts;
}

/** The staging column a contract column becomes (`reviewer_name` → `reviewer_name_hash`; sensitive: none). */
function stagingColumn(column: ModelColumn): string | undefined {
  const name = stagingColumnName(column);
  return name === undefined ? undefined : key(stagingModelName({ name: column.table }), name);
}

/** The contract columns a change removes, renames or changes, with what happens to each; `base` is the base's columns. */
function describe(change: Change, base: () => readonly ModelColumn[]): [ModelColumn, string][] {
  const inTables = (tables: readonly { readonly name: string }[]) => base().filter((c) => tables.some((t) => t.name === c.table));
  switch (change.kind) {
    case "column_removed":
      return [[change.before, "removed from the contract"]];
    case "field_removed":
      return [...change.removed.columns, ...inTables(change.removed.tables)].map((c) => [c, `removed with its raw field ${change.removed.field.path}`]);
    case "field_rename_suspected":
      return [...change.removed.columns, ...inTables(change.removed.tables)].map((c) => [c, `removed with its raw field ${change.removed.field.path} (a rename to ${change.added.field.path} is suspected)`]);
    case "table_removed":
      return inTables([change.before]).map((c) => [c, `removed with its table ${change.before.name}`]);
    case "dataset_removed":
      return inTables(change.tables).map((c) => [c, `removed with its dataset ${change.before.name}`]);
    case "column_changed": {
      // A new PII class can rename the staging column (review_text → review_text_hash): the old one is gone.
      const renamed = stagingColumnName(change.before) !== stagingColumnName(change.after);
      return [[change.before, renamed ? `${change.aspect} changed: it becomes ${stagingColumnName(change.after) ?? "no staging column"}` : `${change.aspect} changed`]];
    }
    case "field_renamed":
      // A raw key renamed under a kept column name leaves the staging column, and every mart reading it, as it was.
      return change.pairs.filter(([b, a]) => stagingColumn(b) !== stagingColumn(a)).map(([b, a]) => [b, `renamed to ${a.name}`] as [ModelColumn, string]);
    default:
      return [];
  }
}

/** Every mart column whose lineage reaches `upstream` (`<model>.<column>`), through marts built on marts. */
function reachedBy(marts: readonly MartIR[], upstream: string): { mart: MartIR; column: MartColumnIR; path: string[] }[] {
  const out: { mart: MartIR; column: MartColumnIR; path: string[] }[] = [];
  const visit = (target: string, path: string[]) => {
    for (const mart of marts) {
      for (const column of mart.columns) {
        if (!column.upstream.includes(target)) continue;
        const here = key(mart.name, column.name);
        if (path.includes(here)) continue;
        out.push({ mart, column, path: [...path, here] });
        visit(here, [...path, here]);
      }
    }
  };
  visit(upstream, [upstream]);
  return out;
}

export function quicksightImpact(baseIR: ContractIR, headIR: ContractIR, changes: readonly Change[]): QuickSightImpact[] {
  const baseMarts = baseIR.marts ?? [];
  const head = headIR.marts ?? [];
  const impacts = martChanges(baseMarts, head);
  const marts = head.length ? head : baseMarts;
  let baseColumns: ModelColumn[] | undefined;
  const base = () => (baseColumns ??= [...buildModel(baseIR).columns.values()]);
  for (const change of changes) {
    for (const [column, what] of describe(change, base)) {
      const staging = stagingColumn(column);
      if (!staging) continue;
      for (const reached of reachedBy(marts, staging)) {
        impacts.push({
          mart: reached.mart.name,
          column: reached.column.name,
          change: "upstream",
          detail: `${staging} ${what} (contract column ${column.table}.${column.name}); reaches it through ${reached.path.join(" → ")}`,
          dataSet: dataSetId(reached.mart.name),
          visuals: visualsOf(reached.mart.name, reached.column.name),
          breaking: change.kind !== "column_changed" || stagingColumnName(change.before) !== stagingColumnName(change.after),
        });
      }
    }
  }
  const seen = new Set<string>();
  return impacts
    .filter((i) => {
      const id = `${i.mart}|${i.column}|${i.change}|${i.detail}`;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    })
    .sort((a, b) => compareCodePoints(a.mart, b.mart) || compareCodePoints(a.column, b.column) || compareCodePoints(a.change, b.change) || compareCodePoints(a.detail, b.detail));
}
