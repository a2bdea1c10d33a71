/**
 * Checks of a contract as a whole, beyond what building its columns checks: version and locations, names
 * (identifiers, reserved words, collisions), portable regexes, control characters, and what holds across datasets
 * (global dataset names, references to existing columns).
 */
import type { Contract } from "../contract-kit/index.js";
import { diagnostic, type Diagnostic } from "../lib/errors.js";
import type { DatasetContext } from "./dataset-context.js";
import { isSystemColumn } from "./derived.js";
import { IDENTIFIER, MAX_IDENTIFIER_LENGTH, pluralName, RESERVED_WORDS, shortenName, SNAKE_CASE, snakeCase } from "./names.js";
import { unportableRegexReason } from "./regex.js";
import { findRawField, innerFields } from "./raw-fields.js";
import { lowersPiiClass } from "./withheld.js";
import type { ChildTableIR, ColumnIR, DatasetIR, RawField, SourceLocation, TableIR } from "./types.js";

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$/;
/** A prefix segment holds letters, digits, `.`, `_` and `-` only: a `*` would widen every IAM resource and S3 event
 * pattern built from it to other datasets' objects, and a quote would end the SQL literal of a stage URL. */
const S3_LOCATION = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/([A-Za-z0-9_.-]+\/)*$/;

/** Longest dataset name: AWS names built from it must fit, the longest being the EventBridge rule
 * `<dataset>-raw-object-created` (64 characters at most). */
export const MAX_DATASET_NAME_LENGTH = 43;

export function checkVersion(version: string, ctx: DatasetContext): void {
  if (!SEMVER.test(version)) {
    ctx.diagnostics.push(
      diagnostic("CONTRACT.INVALID_VERSION", `Version "${version}" is not MAJOR.MINOR.PATCH.`, ctx.whereProperty(["version"], "version"), 'Write e.g. version: "1.0.0".'),
    );
  }
}

export function checkLocations(locations: Contract["locations"], ctx: DatasetContext): void {
  for (const [zone, location] of Object.entries(locations)) {
    // "." and ".." segments would lead every local path built from the location out of its folder. Any segment
    // starting with "." or "_" is hidden: Spark and Hadoop skip such names when they list a folder, the pipeline's
    // readers skip them, and the external tables' PATTERN leaves out files under them.
    const hidden = location.split("/").slice(3).find((segment) => segment.startsWith(".") || segment.startsWith("_"));
    if (!S3_LOCATION.test(location) || hidden !== undefined) {
      ctx.diagnostics.push(
        diagnostic(
          "CONTRACT.INVALID_LOCATION",
          hidden !== undefined
            ? `Location ${zone} "${location}" has a segment starting with "." or "_" ("${hidden}"): such names are hidden to Spark, to the pipeline's readers and to the external tables' PATTERN.`
            : `Location ${zone} "${location}" is not s3://bucket/prefix/.`,
          ctx.whereProperty(["locations", zone], `locations.${zone}`),
          "Use a lowercase bucket name, prefix segments of letters, digits, '.', '_' and '-' that do not start with '.' or '_', and end the prefix with /.",
        ),
      );
    }
  }
}

export function checkName(name: string, what: string, where: SourceLocation, ctx: DatasetContext): void {
  if (what === "dataset" && SNAKE_CASE.test(name) && name.length > MAX_DATASET_NAME_LENGTH) {
    ctx.diagnostics.push(
      diagnostic(
        "CONTRACT.INVALID_IDENTIFIER",
        `The dataset name "${name}" has ${name.length} characters; AWS names built from it must fit (the EventBridge rule "${name}-raw-object-created" may have at most 64).`,
        where,
        `Use at most ${MAX_DATASET_NAME_LENGTH} characters, e.g. "${shortenName(name, MAX_DATASET_NAME_LENGTH)}".`,
      ),
    );
  } else if (SNAKE_CASE.test(name) && name.length > MAX_IDENTIFIER_LENGTH) {
    // Snake_case but too long: saying it is not snake_case, and suggesting the same name, would not help.
    ctx.diagnostics.push(
      diagnostic(
        "CONTRACT.INVALID_IDENTIFIER",
        `The ${what} name "${name}" is too long: ${name.length} characters, at most ${MAX_IDENTIFIER_LENGTH} (the product's limit on column and dataset names, ^[a-z][a-z0-9_]{0,62}$).`,
        where,
        `Use at most ${MAX_IDENTIFIER_LENGTH} characters, e.g. "${shortenName(name, MAX_IDENTIFIER_LENGTH)}", with column(..., { name }).`,
      ),
    );
  } else if (!IDENTIFIER.test(name)) {
    ctx.diagnostics.push(
      diagnostic(
        "CONTRACT.INVALID_IDENTIFIER",
        `The ${what} name "${name}" is not lowercase snake_case.`,
        where,
        `Use ^[a-z][a-z0-9_]{0,62}$, e.g. "${shortenName(snakeCase(name), MAX_IDENTIFIER_LENGTH) || "field"}".`,
      ),
    );
  } else if (RESERVED_WORDS.has(name)) {
    ctx.diagnostics.push(
      diagnostic("CONTRACT.RESERVED_WORD", `The ${what} name "${name}" is a reserved word in Snowflake or Spark SQL.`, where, `Choose another name, e.g. "${name}_value", with column(..., { name }).`),
    );
  }
}

export function checkColumnNames(table: TableIR, ctx: DatasetContext): void {
  const seen = new Map<string, ColumnIR>();
  for (const column of table.columns) {
    // The pipeline's own columns use names reserved for them.
    if (!isSystemColumn(column)) checkName(column.name, `column (${table.name})`, column.where, ctx);
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
  // The external tables read a renamed column under its previous name too: that name must not be a column again.
  for (const column of table.columns) {
    const other = column.previousName === undefined ? undefined : seen.get(column.previousName);
    if (other) {
      ctx.diagnostics.push(
        diagnostic(
          "CONTRACT.NAME_COLLISION",
          `Column "${column.name}" of ${table.name} was "${column.previousName}" before its field was renamed (renamedFrom), and "${column.previousName}" is a column again, from ${describeSource(other)}: the files written before the rename could not be told from the new ones.`,
          column.where,
          `Give ${describeSource(other)} another name with column(..., { name }), or remove renamedFrom once no file written before the rename is left.`,
        ),
      );
    }
  }
}

function describeSource(column: ColumnIR): string {
  const s = column.source;
  return "path" in s ? `"${s.path}"` : s.kind;
}

export function checkRegexes(fields: readonly RawField[], ctx: DatasetContext): void {
  for (const field of fields) {
    const pattern = field.constraints.pattern;
    const reason = pattern === undefined ? undefined : unportableRegexReason(pattern);
    if (reason) {
      ctx.diagnostics.push(
        diagnostic("CONTRACT.UNPORTABLE_REGEX", `Regex /${pattern}/ of "${field.path}" uses ${reason}.`, field.where, "Rewrite it with the portable subset listed in generators/ir/regex.ts."),
      );
    }
    checkRegexes(innerFields(field), ctx);
  }
}

/** C0 control characters but tab and line feed, DEL, the C1 controls and the Unicode line breaks and noncharacters:
 * no target can carry them safely (a NUL ends C strings and makes Python source unparsable, CR breaks LF-only files,
 * ESC sequences reach terminals, YAML readers refuse C1 controls, U+FFFE and U+FFFF, and take U+0085, U+2028 and
 * U+2029 for line breaks). */
const CONTROL_CHARACTER = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u2028\u2029\uFFFE\uFFFF]/;

/** Invisible and bidirectional formatting characters, by name: carried byte for byte into the generated TypeScript,
 * dbt YAML, JSON Schema and docs, they make text read otherwise than it is (GitHub flags "hidden bidirectional
 * Unicode"; CVE-2021-42574, https://trojansource.codes) and two accepted values that look the same differ. */
const INVISIBLE_CHARACTERS: Readonly<Record<string, string>> = {
  "\u061C": "ARABIC LETTER MARK",
  "\u200B": "ZERO WIDTH SPACE",
  "\u200C": "ZERO WIDTH NON-JOINER",
  "\u200D": "ZERO WIDTH JOINER",
  "\u200E": "LEFT-TO-RIGHT MARK",
  "\u200F": "RIGHT-TO-LEFT MARK",
  "\u202A": "LEFT-TO-RIGHT EMBEDDING",
  "\u202B": "RIGHT-TO-LEFT EMBEDDING",
  "\u202C": "POP DIRECTIONAL FORMATTING",
  "\u202D": "LEFT-TO-RIGHT OVERRIDE",
  "\u202E": "RIGHT-TO-LEFT OVERRIDE",
  "\u2066": "LEFT-TO-RIGHT ISOLATE",
  "\u2067": "RIGHT-TO-LEFT ISOLATE",
  "\u2068": "FIRST STRONG ISOLATE",
  "\u2069": "POP DIRECTIONAL ISOLATE",
  "\uFEFF": "ZERO WIDTH NO-BREAK SPACE (byte order mark)",
};
const INVISIBLE_CHARACTER = new RegExp(`[${Object.keys(INVISIBLE_CHARACTERS).join("")}]`);

/** A surrogate code unit that is not half of a pair: in Unicode mode a pair is one code point and never matches, so
 * this tests what String.prototype.isWellFormed does (ES2024, beyond the ES2022 library this project compiles to). */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

const codePoint = (char: string) => `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;

/** What is wrong with a text no generated file can carry, or undefined when it is fine. */
function unsafeText(text: string): { code: "CONTRACT.CONTROL_CHARACTER" | "CONTRACT.LONE_SURROGATE"; what: string; fix: string } | undefined {
  // Not well-formed UTF-16: a high surrogate without its low half, or a low one alone ("x\ud800"). It is no character:
  // UTF-8 cannot encode it, so each engine writes something else (Spark fails on it, DuckDB turns it into U+FFFD).
  const lone = LONE_SURROGATE.exec(text)?.[0];
  if (lone !== undefined) {
    return {
      code: "CONTRACT.LONE_SURROGATE",
      what: `a lone UTF-16 surrogate (${codePoint(lone)}, half of a pair, no character), which UTF-8 and so no generated file or engine can carry`,
      fix: 'Write the character itself ("😀", not "\\ud83d" alone), or both halves of its surrogate pair; remove a stray half.',
    };
  }
  const control = CONTROL_CHARACTER.exec(text)?.[0];
  if (control !== undefined) {
    return {
      code: "CONTRACT.CONTROL_CHARACTER",
      what: `the control character ${codePoint(control)}, which no generated file can carry safely`,
      fix: "Remove it (tabs and line breaks are allowed; write other characters as visible text).",
    };
  }
  const invisible = INVISIBLE_CHARACTER.exec(text)?.[0];
  if (invisible !== undefined) {
    return {
      code: "CONTRACT.CONTROL_CHARACTER",
      what: `the invisible character ${codePoint(invisible)} (${INVISIBLE_CHARACTERS[invisible]}), which would reach every generated file unseen`,
      fix: "Remove it: contract text is written with visible characters only (no zero-width or bidirectional controls).",
    };
  }
  return undefined;
}

/** Every text of a dataset's IR (descriptions, owner, names, keys, accepted values, reasons) is well-formed UTF-16
 * and free of control, invisible and bidirectional formatting characters. */
export function checkControlCharacters(dataset: DatasetIR, diagnostics: Diagnostic[]): void {
  // One report per offending text, at the most precise place it appears (a column's line rather than the file).
  const found = new Map<string, { path: string; where: Diagnostic["where"] }>();
  const walk = (value: unknown, path: string, where: Diagnostic["where"]) => {
    if (typeof value === "string") {
      if (!unsafeText(value)) return;
      const seen = found.get(value);
      if (!seen || (seen.where?.line === undefined && where?.line !== undefined)) found.set(value, { path, where });
      return;
    }
    if (Array.isArray(value)) return value.forEach((item, i) => walk(item, `${path}[${i}]`, where));
    if (value && typeof value === "object") {
      const node = value as Record<string, unknown>;
      const here = node.where && typeof node.where === "object" && "file" in (node.where as object) ? (node.where as Diagnostic["where"]) : where;
      // A field or column is named by its own path (`review.style.format`), not by where it sits in the IR.
      const named = here !== where && here?.path ? here.path : path;
      for (const [key, child] of Object.entries(node)) if (key !== "where") walk(child, named ? `${named}.${key}` : key, here);
    }
  };
  walk(dataset, dataset.name, { file: dataset.contract.file });
  for (const [text, { path, where }] of found) {
    // A text the IR builds around a contract's text (a rule's description quoting an enum's values) is not reported
    // again: the contract's own text is, at its field.
    if ([...found.keys()].some((other) => other !== text && text.includes(other))) continue;
    const problem = unsafeText(text)!;
    diagnostics.push(diagnostic(problem.code, `${path} holds ${problem.what}.`, where, problem.fix));
  }
}

/**
 * Accepted values (an enum, a literal or `acceptedValues`) become SQL string literals in dbt's `accepted_values`
 * test, which DuckDB and Snowflake read alike except for a backslash (an escape on Snowflake, a character on
 * DuckDB): a value with one would pass the test on one engine and fail it on the other. Two values that are the same
 * text after Unicode NFC normalisation ("e\u0301" and "\u00e9") look the same in every generated file and in the
 * catalog while every engine compares them as different, so a reader cannot tell which one the data must hold.
 */
export function checkAcceptedValues(dataset: DatasetIR, diagnostics: Diagnostic[]): void {
  for (const table of [dataset.table, ...dataset.children]) {
    for (const column of table.columns) {
      const value = column.acceptedValues?.find((v) => typeof v === "string" && v.includes("\\"));
      if (value === undefined) continue;
      diagnostics.push(
        diagnostic(
          "CONTRACT.INVALID_ACCEPTED_VALUE",
          `Column "${table.name}.${column.name}" accepts the value ${JSON.stringify(value)}, which holds a backslash: Snowflake reads it as an escape in SQL string literals and DuckDB does not, so the dbt accepted_values test would differ between them.`,
          column.where ?? { file: dataset.contract.file },
          "Remove the backslash from the enum, literal or acceptedValues value (normalise the raw value first if the data holds one).",
        ),
      );
    }
  }
  checkCanonicallyEqualValues(dataset, diagnostics);
}

/** Each value with the code points of its non-ASCII characters, which tell apart what the eye does not. */
function showValue(value: string): string {
  const codes = [...value].filter((c) => c > "\u007f").map(codePoint);
  return codes.length ? `${JSON.stringify(value)} (${codes.join(" ")})` : JSON.stringify(value);
}

/** Accepted values of one column or raw field equal after NFC: one report per pair, at the column if it has them. */
function checkCanonicallyEqualValues(dataset: DatasetIR, diagnostics: Diagnostic[]): void {
  const holders: { name: string; values: readonly (string | number)[]; where: Diagnostic["where"] }[] = [];
  for (const table of [dataset.table, ...dataset.children]) {
    for (const column of table.columns) {
      if (column.acceptedValues) holders.push({ name: `Column "${table.name}.${column.name}"`, values: column.acceptedValues, where: column.where ?? { file: dataset.contract.file } });
    }
  }
  const walk = (fields: readonly RawField[]) => {
    for (const field of fields) {
      if (field.constraints.enum) holders.push({ name: `Field "${field.path}"`, values: field.constraints.enum, where: field.where });
      walk(innerFields(field));
    }
  };
  walk(dataset.raw.fields);
  const reported = new Set<string>();
  for (const { name, values, where } of holders) {
    const byForm = new Map<string, string>();
    for (const value of values) {
      if (typeof value !== "string") continue;
      const form = value.normalize("NFC");
      const first = byForm.get(form);
      if (first === undefined) {
        byForm.set(form, value);
        continue;
      }
      if (first === value) continue;
      const pair = `${first}\u0000${value}`;
      if (reported.has(pair)) continue;
      reported.add(pair);
      diagnostics.push(
        diagnostic(
          "CONTRACT.INVALID_ACCEPTED_VALUE",
          `${name} accepts both ${showValue(first)} and ${showValue(value)}, the same text after Unicode NFC normalisation: they look the same in every generated file and in the catalog, but every engine compares them as different values.`,
          where,
          `Keep one of them, written in NFC (${showValue(form)}); normalise the raw data to it upstream if the producer sends both.`,
        ),
      );
    }
  }
}

export function checkAcrossDatasets(datasets: readonly DatasetIR[], contracts: readonly { readonly file: string }[], diagnostics: Diagnostic[]): void {
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
        // A sensitive target is withheld from its table: it exists, and must not be copied.
        const targetColumn = target && [...target.columns, ...target.withheld].find((c) => c.name === ref.column);
        if (targetColumn && lowersPiiClass(targetColumn.pii, column.pii)) {
          diagnostics.push(
            diagnostic(
              "CONTRACT.PII_LEAK",
              `Column "${table.name}.${column.name}" (class ${column.pii}) references "${ref.dataset}.${ref.column}", which is ${targetColumn.pii}: it holds the same values, and would carry them past the protection of "${ref.dataset}.${ref.column}" (${targetColumn.pii === "sensitive" ? "kept in the cleaned zone only" : "pseudonymised in dbt staging, masked and tagged in Snowflake"}).`,
              column.where ?? { file: contracts[i]!.file },
              `Declare pii: "${targetColumn.pii}" on "${table.name}.${column.name}" (at least the class of what it references), or lower the class of "${ref.dataset}.${ref.column}" with a reviewer's note (piiReview).`,
            ),
          );
        } else if (!target || !target.columns.some((c) => c.name === ref.column)) {
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

/**
 * Sibling raw keys that differ only in case (`code` and `Code`, `info.size` and `info.SIZE`) name two fields the
 * engines cannot tell apart: Spark resolves JSON fields case-insensitively by default (spark.sql.caseSensitive,
 * https://spark.apache.org/docs/latest/sql-ref-identifier.html), so the Glue jobs fail every object with
 * AMBIGUOUS_REFERENCE_TO_FIELDS, and DuckDB's names are case-insensitive
 * (https://duckdb.org/docs/stable/sql/dialect/keywords_and_identifiers), so the local pipeline loads one field's
 * value into both columns or fails to bind. A map's keys are data, read by value, and may differ only in case.
 */
export function checkSiblingKeyCase(dataset: DatasetIR, diagnostics: Diagnostic[]): void {
  const walk = (siblings: readonly RawField[], parent: string): void => {
    const seen = new Map<string, RawField>();
    for (const field of siblings) {
      const folded = field.key.toLowerCase();
      const previous = seen.get(folded);
      if (previous && previous.key !== field.key) {
        diagnostics.push(
          diagnostic(
            "CONTRACT.NAME_COLLISION",
            `Raw keys ${JSON.stringify(previous.key)} and ${JSON.stringify(field.key)} ${parent ? `of "${parent}"` : "of the record"} differ only in case: Spark and DuckDB read JSON keys case-insensitively, so the jobs could not tell the two fields apart (Spark fails every record, DuckDB loads one value into both columns).`,
            field.where,
            `Keep one of the two fields (have the producer send one key, or rename one so that they differ in more than case)${parent ? `, or declare "${parent}" as a map, z.record(z.string(), …), whose keys are data` : ""}.`,
          ),
        );
      } else if (!previous) seen.set(folded, field);
    }
    for (const field of siblings) visit(field);
  };
  // An object's members are siblings; so are those of an object inside an array, a map or a union.
  const visit = (field: RawField): void => {
    if (field.fields) walk(field.fields, field.path);
    for (const inner of [...(field.element ? [field.element] : []), ...(field.options ?? [])]) visit(inner);
  };
  walk(dataset.raw.fields, "");
}

/**
 * dbt names a table's staging model after the table's plural (`pluralName`): two tables whose names differ but whose
 * plurals are equal (datasets `widget` and `widgets`; a dataset `review_image` beside the child table
 * `review_images` of `review`) would have one staging model between them. Reported at the later table: a dataset's
 * line, or the array field of a child table. `whereDataset` gives the line of a contract's `dataset:`.
 */
export function checkPluralNames(datasets: readonly DatasetIR[], whereDataset: (index: number) => SourceLocation, diagnostics: Diagnostic[]): void {
  const seen = new Map<string, { table: TableIR; dataset: DatasetIR }>();
  const describe = (table: TableIR, dataset: DatasetIR) =>
    table === dataset.table ? `dataset "${table.name}" (${dataset.contract.file})` : `child table "${table.name}" of dataset "${dataset.name}" (${dataset.contract.file})`;
  for (const [i, dataset] of datasets.entries()) {
    for (const table of [dataset.table, ...dataset.children]) {
      const plural = pluralName(table.name);
      const previous = seen.get(plural);
      if (!previous) {
        seen.set(plural, { table, dataset });
        continue;
      }
      // Equal names are CONTRACT.DUPLICATE_DATASET or CONTRACT.NAME_COLLISION already (`checkAcrossDatasets`).
      if (previous.table.name === table.name) continue;
      const child = table === dataset.table ? undefined : (table as ChildTableIR);
      const suggestion = shortenName(`${table.name.replace(/s$/, "")}_entries`, child ? MAX_IDENTIFIER_LENGTH : MAX_DATASET_NAME_LENGTH);
      diagnostics.push(
        diagnostic(
          "CONTRACT.NAME_COLLISION",
          `${capitalise(describe(table, dataset))} and ${describe(previous.table, previous.dataset)} have the same plural, "${plural}", which names their dbt staging model (stg_<source>__${plural}): the two would have one model.`,
          child ? (findRawField(dataset.raw.fields, child.arrayPath)?.where ?? whereDataset(i)) : whereDataset(i),
          child
            ? `Rename the child table with column(..., { array: { child: { dataset } } }), e.g. "${suggestion}", so that its plural differs from "${plural}".`
            : `Rename the dataset (defineContract({ dataset })), e.g. "${suggestion}", so that its plural differs from "${plural}".`,
        ),
      );
    }
  }
}

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
