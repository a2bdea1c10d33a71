/**
 * Contract-review rules, as data (buf's `{ id, purpose, categories, check }`). Each rule classifies change events
 * from `diff.ts` into findings with a severity per consumer and the version bump it requires.
 *
 * Severity: S safe (or fixed by generated additive DDL/tests); M needs a migration step (drop+add, backfill, rewrite,
 * new dbt model version) and breaks nothing silently once applied; B breaks a consumer or silently returns wrong
 * data. Bump: any B → major; M → minor plus the migration in the pull request; additive → minor; docs → patch.
 * Sources for each row: the rule table in the README and the schema-evolution research it cites.
 */
import {
  at,
  columnsNote,
  constraintCheck,
  enumCheck,
  fieldName,
  isNumericWidening,
  isPathMove,
  keyCheck,
  list,
  pathOf,
  q,
  stored,
  TIME_NORMALIZATIONS,
  typeCheck,
} from "./rule-checks.js";
import { CONSUMERS, type Consumer, type Rule, type Severities, type Severity } from "./rule-types.js";
import type { ModelColumn, ModelDataset } from "./model.js";
import { stagingModelName } from "../targets/dbt/emit.js";
import { piiTagName, stagingColumnName, stringMaskingPolicyName, valueMaskingPolicyName } from "../targets/protection.js";
import { externalTableName } from "../targets/snowflake/emit.js";
import { lowersPiiClass } from "../ir/withheld.js";

export * from "./rule-types.js";
export { constraintDirection, typeChangeRule } from "./rule-checks.js";

const sev = (RAW: Severity, PQ: Severity, SF: Severity, DBT: Severity, MART: Severity): Severities => ({ RAW, PQ, SF, DBT, MART });
const categoriesOf = (s: Severities): Consumer[] => CONSUMERS.filter((c) => s[c] !== "S");
type RuleSpec = Omit<Rule, "categories" | "reachable" | "check"> & { reachable?: boolean; check?: Rule["check"] };
function rule(spec: RuleSpec): Rule {
  return { ...spec, categories: categoriesOf(spec.severity), reachable: spec.reachable ?? true, check: spec.check ?? (() => undefined) };
}


const KEY_DERIVATION_CONSEQUENCE =
  "A key column computed differently gives every row whose value changes a new identity: Parquet already written keeps the old keys, so history and new rows disagree, the unique test can fail across them, and rows of other datasets referencing the old values no longer match.";

export const RULES: readonly Rule[] = [
  rule({
    id: "CE001",
    name: "field-added-optional",
    purpose: "A field or column was added that producers may leave out.",
    severity: sev("M", "S", "S", "S", "S"),
    bump: "minor",
    consequence:
      "Additive. Old Parquet files read NULL for it; the external table needs ADD COLUMN. The raw record is open (unknown keys are stripped, not rejected), so old raw files may already carry the key with another type: scan a sample before reprocessing history.",
    check: (c) => {
      if (c.kind === "field_added" && !(c.added.field.required && !c.added.field.nullable)) {
        const { field, columns, tables } = c.added;
        return { dataset: field.dataset, subject: fieldName(field), message: `Optional field ${q(fieldName(field))} was added, ${stored(columns, tables)}.`, where: field.where, columnsAdded: columns, tablesAdded: tables.map((t) => t.name) };
      }
      if (c.kind === "column_added") {
        const col = c.after;
        const nonNull = !col.nullable;
        return {
          dataset: col.dataset,
          subject: col.id,
          message: `Column ${q(col.id)} (${col.typeText}${nonNull ? ", not null" : ""}) was added, read from an existing field.`,
          where: col.where,
          // Producers send nothing new; a non-null column is NULL in every file written before it existed.
          severity: { RAW: "S", ...(nonNull ? { PQ: "M", DBT: "M" } : {}) },
          columnsAdded: [col],
        };
      }
      return undefined;
    },
  }),
  rule({
    id: "CE002",
    name: "field-added-required-defaulted",
    purpose: "A required field with a default was added.",
    severity: sev("S", "S", "S", "S", "S"),
    bump: "minor",
    consequence: "Not raised: contracts describe the raw record as sent, and the contract kit refuses defaults.",
    reachable: false,
    note: "Contracts cannot declare defaults: `.default()` is refused with CONTRACT.UNSUPPORTED_ZOD_KIND, so this change cannot be expressed.",
  }),
  rule({
    id: "CE003",
    name: "field-added-required",
    purpose: "A field was added that producers must send.",
    severity: sev("B", "M", "S", "S", "S"),
    bump: "major",
    consequence: "Every record from a producer that does not send the new key is quarantined. Parquet written before the change has no value for it.",
    backfill: "Parquet written before this change has no value for the new columns: backfill them, or document that history is NULL and keep the column nullable in dbt.",
    check: (c) => {
      if (c.kind !== "field_added" || !c.added.field.required || c.added.field.nullable) return undefined;
      const { field, columns, tables } = c.added;
      return { dataset: field.dataset, subject: fieldName(field), message: `Required field ${q(fieldName(field))} was added, ${stored(columns, tables)}: producers must now send ${q(field.path)}.`, where: field.where, columnsAdded: columns, tablesAdded: tables.map((t) => t.name) };
    },
  }),
  rule({
    id: "CE004",
    name: "field-removed",
    purpose: "A field or column that consumers read was deleted.",
    severity: sev("S", "S", "M", "B", "B"),
    bump: "major",
    consequence: "dbt models and marts selecting the column fail (dbt `columns_removed`). Parquet already written keeps the data; the external table column must be dropped or kept reading NULL.",
    check: (c) => {
      if (c.kind === "field_removed") {
        const { field, columns, tables } = c.removed;
        const closed = c.anchor.closedness === "closed";
        return {
          dataset: field.dataset,
          subject: fieldName(field),
          message: `Previously present field ${q(fieldName(field))} (${at(field.where)} before) was deleted${columns.length || tables.length ? `, and with it ${columnsNote(columns, tables)}` : "; no column is deleted with it"}.`,
          where: c.anchor.where,
          // A closed record rejects producers still sending the key.
          severity: { RAW: closed ? "B" : "S", ...(columns.length === 0 && tables.length === 0 ? { SF: "S", DBT: "S", MART: "S" } : {}) },
          columnsRemoved: columns,
          tablesRemoved: tables.map((t) => t.name),
        };
      }
      if (c.kind === "column_removed") {
        const col = c.before;
        return { dataset: col.dataset, subject: col.id, message: `Previously present column ${q(col.id)} (${at(col.where)} before) was deleted.`, where: c.anchor.where, columnsRemoved: [col] };
      }
      return undefined;
    },
  }),
  rule({
    id: "CE005",
    name: "field-renamed-declared",
    purpose: "A field was renamed and the contract says so with renamedFrom.",
    severity: sev("B", "M", "M", "B", "B"),
    bump: "major",
    consequence:
      "Producers must switch to the new key when the contract does: the cleaning job reads only the new key, so a record still sending the old one is quarantined when the field is required, and stored with NULL when it is optional. Spark matches Parquet columns by name, so old files read NULL under a new column name unless rewritten or read with COALESCE; dbt and marts selecting the old name fail.",
    backfill: "Old Parquet files carry the old column name: rewrite them, or read COALESCE(new, old) until they expire.",
    check: (c) => {
      if (c.kind !== "field_renamed") return undefined;
      const renamedColumns = c.pairs.filter(([b, a]) => b.id !== a.id);
      const columnsText = renamedColumns.length ? `; columns ${renamedColumns.map(([b, a]) => `${q(b.id)} → ${q(a.id)}`).join(", ")}` : "; column names unchanged";
      // Nothing generated reads the old key (renamedFrom reaches only the review and Snowflake's ADD COLUMN).
      const oldKeyText = c.after.required
        ? `a record still sending only ${q(c.before.path)} is quarantined (the key is required)`
        : `a record still sending only ${q(c.before.path)} loses its value (the column is NULL)`;
      return {
        dataset: c.after.dataset,
        subject: fieldName(c.after),
        message: `Field ${q(fieldName(c.before))} was renamed to ${q(fieldName(c.after))} (declared with renamedFrom${columnsText}): producers must send ${q(c.after.path)}; ${oldKeyText}.`,
        where: c.after.where,
        severity: {
          RAW: c.after.required ? "B" : "M",
          // When every column keeps its name, only producers see the rename.
          ...(renamedColumns.length === 0 ? { PQ: "S", SF: "S", DBT: "S", MART: "S" } : {}),
        },
        columnsRenamed: renamedColumns,
      };
    },
  }),
  rule({
    id: "CE006",
    name: "field-renamed-suspected",
    purpose: "A deleted and an added field look alike: probably a rename that was not declared.",
    severity: sev("S", "S", "M", "B", "B"),
    bump: "major",
    consequence: "Reported as the deletion and the addition above. If it is a rename, declare it so reviewers and the migration hints treat it as one.",
    check: (c) => {
      if (c.kind !== "field_rename_suspected") return undefined;
      const a = c.added.field;
      return {
        dataset: a.dataset,
        subject: fieldName(a),
        message: `Field ${q(fieldName(c.removed.field))} was deleted and ${q(fieldName(a))} was added with the same shape: if this is a rename, declare renamedFrom: ${q(c.removed.field.path)} on ${q(a.path)}.`,
        where: a.where,
      };
    },
  }),
  rule({
    id: "CE007",
    name: "int-widened",
    purpose: "An integer column was widened (int32 → int64).",
    severity: sev("S", "M", "M", "M", "S"),
    bump: "minor",
    consequence:
      "Values still fit. The external table column is NUMBER(10,0) for int32 and NUMBER(19,0) for int64: it must be dropped and added (no in-place retype). The staging model's enforced contract changes data_type from integer to bigint: dbt counts a column type change of a contracted model as breaking (`column_type_changes`), so consumers get a new model version. Spark 3.x (Glue 4/5) fails to read or merge INT32 files as bigint: read old files with an explicit schema or rewrite them.",
    backfill: "Spark 3.x cannot read INT32 Parquet as bigint: rewrite the old partitions, or read them with the old schema and cast.",
    check: (c) => typeCheck(c, "CE007", "widened"),
  }),
  rule({
    id: "CE008",
    name: "float-widened",
    purpose: "A floating-point column was widened (float → double).",
    severity: sev("S", "M", "S", "S", "S"),
    bump: "minor",
    consequence: "Not raised: the IR has one floating-point kind (float64).",
    reachable: false,
    note: "The IR's logical kinds have no 32-bit float, so there is nothing to widen from.",
  }),
  rule({
    id: "CE009",
    name: "decimal-precision-widened",
    purpose: "A decimal column gained precision at the same scale.",
    severity: sev("S", "M", "M", "M", "S"),
    bump: "minor",
    consequence: "Values still fit. Spark schema merging fails across the two precisions; the external table column must be dropped and added (no in-place retype); dbt sees `column_type_changes`.",
    backfill: "Old Parquet files keep the narrower decimal: read them with an explicit wider schema, or rewrite them.",
    check: (c) => typeCheck(c, "CE009", "widened"),
  }),
  rule({
    id: "CE010",
    name: "decimal-scale-changed-or-narrowed",
    purpose: "A decimal column changed scale or lost precision.",
    severity: sev("B", "B", "M", "B", "B"),
    bump: "major",
    consequence: "Values may no longer fit or change meaning; old files cannot be read as the new type.",
    backfill: "Rewrite every Parquet partition with the new decimal type before readers switch.",
    check: (c) => typeCheck(c, "CE010", "changed"),
  }),
  rule({
    id: "CE011",
    name: "string-to-time",
    purpose: "A text column became a date or timestamp.",
    severity: sev("M", "B", "M", "B", "B"),
    bump: "major",
    consequence: "Old files hold text (BINARY) where new ones hold INT32/INT64: one reader schema cannot cover both; the external table needs a dual-type expression.",
    backfill: "Rewrite old partitions with the parsed value (unparseable values become NULL and should be counted).",
    check: (c) => typeCheck(c, "CE011", "changed"),
  }),
  rule({
    id: "CE012",
    name: "time-semantics-changed",
    purpose: "A date/timestamp column changed meaning (date ↔ timestamp, or a different time conversion).",
    severity: sev("M", "M", "M", "B", "B"),
    bump: "major",
    consequence: "The same value means another instant or day: joins and filters on it silently change results.",
    backfill: "Recompute the column in every partition written before the change.",
    check: (c) => {
      const typed = typeCheck(c, "CE012", "changed");
      if (typed) return typed;
      if (c.kind === "column_changed" && c.aspect === "normalize" && c.before.typeText === c.after.typeText) {
        const timeSteps = (steps: readonly string[]) => steps.filter((s) => TIME_NORMALIZATIONS.has(s)).join(",");
        if (timeSteps(c.before.normalize) !== timeSteps(c.after.normalize)) {
          return { dataset: c.after.dataset, subject: c.after.id, message: `Column ${q(c.after.id)} changed its time conversion from [${c.before.normalize.join(", ")}] to [${c.after.normalize.join(", ")}].`, where: c.after.where };
        }
      }
      return undefined;
    },
  }),
  rule({
    id: "CE013",
    name: "type-narrowed",
    purpose: "A column's type was narrowed (int64 → int32, decimal/float64 → integer, float64 → decimal).",
    severity: sev("B", "B", "M", "B", "M"),
    bump: "major",
    consequence: "Values that fitted before can overflow or lose digits; old files cannot be read as the new type.",
    backfill: "Rewrite old partitions with the narrower type after checking every value fits.",
    check: (c) => typeCheck(c, "CE013", "narrowed"),
  }),
  rule({
    id: "CE014",
    name: "type-changed",
    purpose: "A column's or raw field's type changed in a way no other rule covers.",
    severity: sev("B", "B", "M", "B", "B"),
    bump: "major",
    consequence: "Readers of the old type fail or silently get NULLs (Glue casts un-castable values to null); the external table column must be dropped and re-added.",
    backfill: "Rewrite every Parquet partition with the new type, or keep the old column beside the new one.",
    check: (c) => {
      const typed = typeCheck(c, "CE014", "changed");
      if (typed) return typed;
      if (c.kind === "column_changed" && c.aspect === "native") {
        return {
          dataset: c.after.dataset,
          subject: c.after.id,
          message: `Native type override of column ${q(c.after.id)} changed from [${c.before.native.join(", ")}] to [${c.after.native.join(", ")}].`,
          where: c.after.where,
          severity: { RAW: "S", PQ: "S", SF: "M", DBT: "M", MART: "S" },
          columnsRetyped: [[c.before, c.after]],
        };
      }
      if (c.kind === "raw_changed" && c.aspect === "kind" && !isNumericWidening(c.before, c.after) && !isNumericWidening(c.after, c.before)) {
        return {
          dataset: c.after.dataset,
          subject: fieldName(c.after),
          message: `Field ${q(fieldName(c.after))} changed type from ${c.before.kind} to ${c.after.kind}.`,
          where: c.after.where,
          // The producer side; column types are reported separately.
          severity: { PQ: "S", SF: "S", DBT: "S", MART: "S" },
        };
      }
      return undefined;
    },
  }),
  rule({
    id: "CE015",
    name: "nullability-relaxed",
    purpose: "A column became nullable, or a raw field optional / nullable.",
    severity: sev("S", "S", "S", "M", "M"),
    bump: "minor",
    consequence: "dbt drops the not_null test (an enforced constraint removal on contracted models); marts that assumed a value (joins, counts) must handle NULL.",
    check: (c) => {
      if (c.kind === "column_changed" && c.aspect === "nullable" && c.after.nullable) {
        return { dataset: c.after.dataset, subject: c.after.id, message: `Column ${q(c.after.id)} became nullable.`, where: c.after.where };
      }
      if (c.kind === "raw_changed" && ((c.aspect === "required" && !c.after.required) || (c.aspect === "nullable" && c.after.nullable))) {
        const what = c.aspect === "required" ? "optional (producers may leave it out)" : "nullable (producers may send null)";
        return {
          dataset: c.after.dataset,
          subject: fieldName(c.after),
          message: `Field ${q(fieldName(c.after))} became ${what}.`,
          where: c.after.where,
          severity: { DBT: "S", MART: "S" },
          consequence: "Producers may now leave the value out; the cleaning job accepts more records. Columns read from the field report their own nullability change, if any.",
        };
      }
      return undefined;
    },
  }),
  rule({
    id: "CE016",
    name: "nullability-tightened",
    purpose: "A column became non-null, or a raw field required / non-null.",
    severity: sev("B", "M", "S", "M", "S"),
    bump: "major",
    consequence: "Producers that leave the key out (or send null) are quarantined. History may hold NULLs that the new not_null test rejects.",
    backfill: "Prove Parquet already written has no NULL in the column (or backfill it) before the not_null test runs on history.",
    check: (c) => {
      if (c.kind === "column_changed" && c.aspect === "nullable" && !c.after.nullable) {
        return { dataset: c.after.dataset, subject: c.after.id, message: `Column ${q(c.after.id)} became non-null.`, where: c.after.where, severity: { RAW: "S" } };
      }
      if (c.kind === "raw_changed" && ((c.aspect === "required" && c.after.required) || (c.aspect === "nullable" && !c.after.nullable))) {
        const what = c.aspect === "required" ? "required (producers must send it)" : "non-null (producers may no longer send null)";
        return {
          dataset: c.after.dataset,
          subject: fieldName(c.after),
          message: `Field ${q(fieldName(c.after))} became ${what}.`,
          where: c.after.where,
          severity: { PQ: "S", DBT: "S" },
          consequence: "Every record from a producer that leaves the value out (or sends null) is now quarantined.",
        };
      }
      return undefined;
    },
  }),
  rule({
    id: "CE017",
    name: "enum-value-added",
    purpose: "A value was added to a field's or column's allowed values.",
    severity: sev("S", "S", "S", "S", "M"),
    bump: "minor",
    consequence: "The regenerated accepted_values test passes; marts with CASE expressions or pivots over the values need the new one.",
    check: (c) => enumCheck(c, "added"),
  }),
  rule({
    id: "CE018",
    name: "enum-value-removed",
    purpose: "A value was removed from a field's or column's allowed values.",
    severity: sev("B", "M", "S", "M", "S"),
    bump: "major",
    consequence: "Producers still sending the value are quarantined; history holds it, so the accepted_values test fails on old partitions.",
    backfill: "Old partitions still hold the removed value: map it to a remaining value, or scope the accepted_values test to new data.",
    check: (c) => enumCheck(c, "removed"),
  }),
  rule({
    id: "CE019",
    name: "constraint-tightened",
    purpose: "A field accepts fewer values (min up, max down, length down, pattern or format added/changed, number → integer, a union option removed) or a relationship was added.",
    severity: sev("B", "M", "S", "M", "S"),
    bump: "major",
    consequence: "Records valid before are now quarantined; history may violate the new rule, so the regenerated tests can fail on old partitions.",
    backfill: "Check Parquet already written against the new rule before the regenerated tests run on it.",
    check: (c) => constraintCheck(c, "tightened"),
  }),
  rule({
    id: "CE020",
    name: "constraint-relaxed",
    purpose: "A field accepts more values (the reverse of CE019, a union option added) or a relationship was removed.",
    severity: sev("S", "S", "S", "S", "M"),
    bump: "minor",
    consequence: "Nothing is rejected that was accepted; marts relying on the old range (buckets, casts) may see new values.",
    check: (c) => constraintCheck(c, "relaxed"),
  }),
  rule({
    id: "CE021",
    name: "uniqueness-removed",
    purpose: "A column left a table's key.",
    severity: sev("S", "S", "S", "M", "B"),
    bump: "major",
    consequence: "The unique test goes away; marts joining on the old key fan out (duplicate rows) without an error.",
    check: (c) => keyCheck(c, "removed"),
  }),
  rule({
    id: "CE022",
    name: "uniqueness-added",
    purpose: "A column joined a table's key.",
    severity: sev("S", "M", "S", "M", "S"),
    bump: "minor",
    consequence: "The new unique test runs on history, which may hold duplicates.",
    backfill: "Deduplicate Parquet already written on the new key before the unique test runs on it.",
    check: (c) => keyCheck(c, "added"),
  }),
  rule({
    id: "CE023",
    name: "path-moved",
    purpose: "A column is read from the same key at another nesting level.",
    severity: sev("M", "M", "M", "B", "B"),
    bump: "major",
    consequence: "Producers must send the key at its new place; old raw files have it at the old place, so reprocessing history reads NULL.",
    backfill: "Reprocess or rewrite history with the old path mapped to the new one.",
    check: (c) => {
      if (c.kind !== "column_changed" || c.aspect !== "source") return undefined;
      if (!isPathMove(c.before, c.after)) return undefined;
      return { dataset: c.after.dataset, subject: c.after.id, message: `Column ${q(c.after.id)} moved from ${q(pathOf(c.before)!)} to ${q(pathOf(c.after)!)}.`, where: c.after.where };
    },
  }),
  rule({
    id: "CE024",
    name: "default-changed",
    purpose: "The default for absent values changed.",
    severity: sev("M", "B", "M", "S", "M"),
    bump: "major",
    consequence: "Not raised: the contract kit refuses defaults.",
    reachable: false,
    note: "Contracts cannot declare defaults (CONTRACT.UNSUPPORTED_ZOD_KIND), so a default cannot change.",
  }),
  rule({
    id: "CE025",
    name: "closedness-changed",
    purpose: "The raw record started or stopped rejecting unknown keys (a base's z.strictObject; a contract can no longer be closed: CONTRACT.UNCHECKED_RULE).",
    severity: sev("B", "S", "S", "S", "S"),
    bump: "major",
    consequence:
      "Producers that validate with the JSON Schema or Zod see it (additionalProperties); the cleaning jobs read the declared fields and ignore the rest either way, so a contract is refused closed and only a base can have been.",
    check: (c) => {
      if (c.kind !== "dataset_changed" || c.aspect !== "closedness") return undefined;
      const closed = c.after.closedness === "closed";
      return {
        dataset: c.after.name,
        subject: c.after.name,
        message: closed ? `Raw record of ${q(c.after.name)} became closed: unknown keys are now rejected.` : `Raw record of ${q(c.after.name)} became open: unknown keys are no longer rejected.`,
        where: c.after.where,
        ...(closed ? {} : { severity: { RAW: "S" } }),
      };
    },
  }),
  rule({
    id: "CE026",
    name: "partition-layout-changed",
    purpose: "A table's partition columns (added, removed or changed) or a dataset's S3 location changed.",
    severity: sev("S", "M", "B", "B", "B"),
    bump: "major",
    // The external tables read a partition column only from the file path (`/<column>=<value>/`,
    // dialects/external-table.ts), and the writers put it nowhere else.
    consequence:
      "The external table reads a partition column only from the file path (/<column>=<value>/), and the writers put it nowhere else. Files written before a partition column was added have no such folder: DuckDB fails every query of the table (Conversion Error: invalid date field format: \"\" for a date; an integer fails the same way, a string reads an empty string), and Snowflake converts the same empty text (TO_DATE, TO_NUMBER). A partition column removed is read from inside the files, where it was never written: NULL on every old row. dbt staging and the marts read those rows. Rewrite the files under the table's processed location in the new layout before applying the change.",
    backfill: "Move or rewrite Parquet already written into the new layout (a changed partitioning: before the change is applied); for a new location, a second external table over the old one can serve it until it expires.",
    check: (c) => {
      if (c.kind === "table_changed" && c.aspect === "partition") {
        return {
          dataset: c.dataset.name,
          subject: c.after.name,
          message: `Partitioning of ${q(c.after.name)} changed from [${list(c.before.partitionBy)}] to [${list(c.after.partitionBy)}]: the files under ${q(c.after.location)} must be rewritten in the new layout before the change is applied.`,
          where: c.dataset.where,
        };
      }
      if (c.kind === "dataset_changed" && c.aspect === "location") {
        const zone = c.zone as keyof ModelDataset["locations"];
        return {
          dataset: c.after.name,
          subject: c.after.name,
          message: `The ${zone} location of ${q(c.after.name)} changed from ${q(c.before.locations[zone])} to ${q(c.after.locations[zone])}.`,
          where: c.after.where,
          // The layout under the location stays: the files must be moved or covered, nothing reads them wrongly.
          severity: { SF: "M", DBT: "S", MART: "S" },
          consequence: "Files already written keep the old location: the external table's location must cover both (or the files be moved), then refresh.",
        };
      }
      return undefined;
    },
  }),
  rule({
    id: "CE027",
    name: "dataset-removed",
    purpose: "A dataset (a contract, or a child dataset) was deleted.",
    severity: sev("B", "M", "B", "B", "B"),
    bump: "major",
    consequence: "Producers have nowhere to send; the external table, dbt models and marts over it fail.",
    check: (c) => {
      if (c.kind === "dataset_removed") {
        return { dataset: c.before.name, subject: c.before.name, message: `Previously present dataset ${q(c.before.name)} (${c.before.file}, tables ${list(c.before.tables)}) was deleted.`, where: c.before.where, tablesRemoved: c.before.tables };
      }
      if (c.kind === "table_removed") {
        return { dataset: c.dataset.name, subject: c.before.name, message: `Previously present child dataset ${q(c.before.name)} of ${q(c.dataset.name)} was deleted.`, where: c.dataset.where, tablesRemoved: [c.before.name] };
      }
      return undefined;
    },
  }),
  rule({
    id: "CE028",
    name: "classification-changed",
    purpose: "A column's PII class changed: its protection in every system changes with it.",
    severity: sev("S", "S", "M", "B", "M"),
    bump: "major",
    consequence:
      "The column's protection changes everywhere: a personal column is pseudonymised in dbt staging (the clear column is replaced by <name>_hash), tagged and masked in Snowflake; a sensitive one leaves every processed table. Readers of the staging view and the marts see a different column: a mart selecting the staging column's old name fails to build (MART B).",
    check: (c) => {
      if (c.kind !== "column_changed" || c.aspect !== "pii") return undefined;
      const { before, after } = c;
      const lowered = lowersPiiClass(before.pii, after.pii);
      const touched = protectionTouched(before, after);
      const note = lowered
        ? after.piiReview
          ? ` Reviewer's note (piiReview): ${q(after.piiReview)}.`
          : " Lowering a class needs a reviewer's note: add piiReview to the column's metadata (why it is safe, who approved)."
        : "";
      return {
        dataset: after.dataset,
        subject: after.id,
        // Compared per raw field as well: the column may have another name (or have been withheld) on the base.
        message: `PII classification of column ${q(after.id)}${before.id !== after.id ? ` (${q(before.id)} before, read from the same raw field)` : ""} changed from ${q(before.pii)} to ${q(after.pii)}${lowered ? " (lowered)" : ""}. It touches ${touched.join("; ")}.${note}`,
        where: after.where,
        // Into the cleaned zone: the column leaves Parquet and the external table; out of it: it is added to them.
        // A staging column renamed by the class (reviewer_name ↔ reviewer_name_hash) is gone under its old name:
        // a mart selecting it fails to build.
        ...(after.pii === "sensitive"
          ? { severity: { PQ: "B", SF: "B", MART: "B" } }
          : before.pii === "sensitive"
            ? { severity: { PQ: "M" } }
            : stagingColumnName(before) !== stagingColumnName(after)
              ? { severity: { MART: "B" } }
              : {}),
        ...(lowered ? { reviewerNote: { note: after.piiReview ?? null } } : {}),
      };
    },
  }),
  rule({
    id: "CE029",
    name: "docs-only",
    purpose: "A description or owner changed.",
    severity: sev("S", "S", "S", "S", "S"),
    bump: "patch",
    consequence: "Documentation only: data dictionary, dbt docs and comments change.",
    check: (c) => {
      if (c.kind === "dataset_changed" && (c.aspect === "description" || c.aspect === "owner")) {
        return { dataset: c.after.name, subject: c.after.name, message: `The ${c.aspect} of dataset ${q(c.after.name)} changed.`, where: c.after.where };
      }
      if (c.kind === "table_changed" && c.aspect === "description") {
        return { dataset: c.dataset.name, subject: c.after.name, message: `The description of child dataset ${q(c.after.name)} changed.`, where: c.dataset.where };
      }
      if (c.kind === "column_changed" && c.aspect === "description") {
        return { dataset: c.after.dataset, subject: c.after.id, message: `The description of column ${q(c.after.id)} changed.`, where: c.after.where };
      }
      return undefined;
    },
  }),
  rule({
    id: "CE030",
    name: "dataset-added",
    purpose: "A dataset (a contract, or a child dataset of an existing field) was added.",
    severity: sev("S", "S", "S", "S", "S"),
    bump: "minor",
    consequence: "Additive: a new external table, staging model and tests are generated.",
    check: (c) => {
      if (c.kind === "dataset_added") {
        return { dataset: c.after.name, subject: c.after.name, message: `Dataset ${q(c.after.name)} was added (tables ${list(c.after.tables)}).`, where: c.after.where, tablesAdded: c.after.tables };
      }
      if (c.kind === "table_added") {
        return { dataset: c.dataset.name, subject: c.after.name, message: `Child dataset ${q(c.after.name)} of ${q(c.dataset.name)} was added.`, where: c.dataset.where, tablesAdded: [c.after.name] };
      }
      return undefined;
    },
  }),
  rule({
    id: "CE031",
    name: "derivation-changed",
    purpose: "An existing column is computed differently (another source field or key recipe, other normalisations).",
    severity: sev("S", "M", "S", "S", "M"),
    bump: "minor",
    consequence: "New rows are computed the new way while Parquet already written keeps the old values: history and new data disagree until backfilled.",
    backfill: "Recompute the column over Parquet already written, or note in the docs from which date the new derivation applies.",
    check: (c) => {
      if (c.kind !== "column_changed") return undefined;
      if (c.aspect === "source" && !isPathMove(c.before, c.after)) {
        const keyChanged = c.after.key;
        return {
          dataset: c.after.dataset,
          subject: c.after.id,
          message: `Column ${q(c.after.id)} is now read from ${c.after.sourceText} (was ${c.before.sourceText}).`,
          where: c.after.where,
          // A key computed differently gives every row a new identity: joins to history break.
          ...(keyChanged ? { severity: { PQ: "B", MART: "B" }, consequence: KEY_DERIVATION_CONSEQUENCE } : {}),
        };
      }
      if (c.aspect === "normalize") {
        const timeSteps = (steps: readonly string[]) => steps.filter((s) => TIME_NORMALIZATIONS.has(s)).join(",");
        if (c.before.typeText === c.after.typeText && timeSteps(c.before.normalize) !== timeSteps(c.after.normalize)) return undefined; // CE012
        const key = c.after.key;
        return {
          dataset: c.after.dataset,
          subject: c.after.id,
          message: `Normalisations of ${key ? "key column" : "column"} ${q(c.after.id)} changed from [${c.before.normalize.join(", ")}] to [${c.after.normalize.join(", ")}].`,
          where: c.after.where,
          // As a changed key source: every value the new steps change is a new identity. (A surrogate key hashes the
          // raw values, so its inputs' normalisations do not reach it.)
          ...(key ? { severity: { PQ: "B", MART: "B" }, consequence: KEY_DERIVATION_CONSEQUENCE } : {}),
        };
      }
      return undefined;
    },
  }),
];


/** The policies, tags, tables and views a change of a column's PII class touches, by name. */
function protectionTouched(before: ModelColumn, after: ModelColumn): string[] {
  const table = { name: after.table };
  const staging = stagingModelName(table);
  const stagingColumn = (c: ModelColumn) => stagingColumnName(c) ?? "(absent)";
  const touched: string[] = [];
  if (before.pii === "sensitive" || after.pii === "sensitive") {
    touched.push(`the processed table ${after.table}, the Parquet schema and external table ${externalTableName(table)} (the column ${after.pii === "sensitive" ? "leaves them: sensitive data stays in the cleaned zone" : "is added to them"})`);
  }
  if (before.pii === "personal" || after.pii === "personal") {
    touched.push(`the tag ${piiTagName()} on ${externalTableName(table)} and the masking policy ${valueMaskingPolicyName(table)} on its VALUE (which ${after.pii === "personal" ? "now removes" : "no longer removes"} ${after.name})`);
    touched.push(`the tag-based masking policy ${stringMaskingPolicyName()}`);
  }
  touched.push(`the staging view ${staging} (${stagingColumn(before)} → ${stagingColumn(after)})`);
  touched.push("every mart and QuickSight data set built from that staging column");
  return touched;
}
