/**
 * The QuickSight layer on the marts, from the marts' enforced dbt contracts (`ir.marts`) and the analysis views
 * (`views.ts`), in the QuickSight API's own shapes so that AWS's service model can check them:
 * - `generated/quicksight/datasets/<mart>.json`: one SPICE data set per mart (CreateDataSet's `PhysicalTableMap`,
 *   `LogicalTableMap`, `ImportMode`): the Snowflake table `AMAZON_REVIEWS.<schema>_MARTS.<MART>` with its columns
 *   typed from the contract, renamed to the mart's lower-case names, booleans cast to integers (QuickSight fields have
 *   no boolean type; the average of 0/1 is a share), and each column's description from the dbt YAML;
 * - `generated/quicksight/analysis.json`: the analysis definition (CreateAnalysis' `Definition`);
 * - `generated/quicksight/quicksight.json`: what Terraform and contract review need: data source, reader group,
 *   analysis, data sets, and which visual reads which mart column. No refresh schedule: the Airflow DAG reloads the
 *   data sets after each successful dbt build (`refresh_quicksight`, generators/targets/airflow).
 * ARNs (data source, data sets) are left out: Terraform supplies them (`infra/modules/quicksight`).
 */
import { diagnostic, type Diagnostic } from "../../lib/errors.js";
import { combinedHeaderLines, jsonText } from "../../lib/header.js";
import type { ContractIR, MartColumnIR, MartIR } from "../../ir/types.js";
import { PLATFORM } from "../../platform.js";
import { canonicalDataType } from "../dbt/types.js";
import type { EmitResult, GeneratedFile, Target } from "../types.js";
import { SHEETS, type DimensionSpec, type MeasureSpec, type VisualSpec } from "./views.js";

const QS = PLATFORM.quicksight;
export const QUICKSIGHT_DIR = "generated/quicksight";
export const MARTS_SCHEMA = `${PLATFORM.dbt.schema}_MARTS`;

export type InputColumnType = "STRING" | "INTEGER" | "DECIMAL" | "DATETIME" | "BOOLEAN";

/**
 * A mart column's QuickSight input type: what the Snowflake driver returns for the contract's data_type, read with
 * Snowflake's synonyms (https://docs.snowflake.com/en/sql-reference/intro-summary-data-types): NUMBER, DECIMAL and
 * NUMERIC default to scale 0 (`number` and `number(10)` are whole numbers, as `number(38, 0)`), INT and its kin are
 * NUMBER(38,0), every FLOAT spelling is a double, timestamps take a fractional-seconds precision.
 */
export function quicksightType(dataType: string): InputColumnType | undefined {
  const t = canonicalDataType(dataType);
  if (/^(varchar|text|string|char|character|nchar|nvarchar|nvarchar2|char varying|nchar varying)(\(\d+\))?$/.test(t)) return "STRING";
  if (/^(bigint|integer|int|smallint|tinyint|byteint)$/.test(t)) return "INTEGER";
  const fixed = /^(?:decimal|numeric|number)(?:\((\d+)(?:,(\d+))?\))?$/.exec(t);
  if (fixed) return Number(fixed[2] ?? 0) === 0 ? "INTEGER" : "DECIMAL";
  if (/^(double|double precision|float|float4|float8|real)$/.test(t)) return "DECIMAL";
  if (/^(date|datetime(\(\d\))?|timestamp(\(\d\))?( with(out)?( local)? time zone)?|timestamp_(tz|ntz|ltz)(\(\d\))?)$/.test(t)) return "DATETIME";
  if (t === "boolean") return "BOOLEAN";
  return undefined;
}

/**
 * QuickSight's length limits on what the data sets carry from the marts' contracts, in characters (botocore's
 * QuickSight model: LogicalTableAlias and PhysicalTableId 64, ResourceName and ColumnName 128, ColumnDescriptiveText
 * 500). A longer text is refused by the API when Terraform applies the data set.
 */
export const QUICKSIGHT_LIMITS = { martName: 64, columnName: 128, description: 500 } as const;

/** The QuickSight field type a column has in analyses (after the logical table's casts). */
export function fieldType(type: InputColumnType): "STRING" | "INTEGER" | "DECIMAL" | "DATETIME" {
  return type === "BOOLEAN" ? "INTEGER" : type;
}

/** Physical and logical table ids: letters, digits and dashes only (the API's pattern). */
export function tableId(mart: string): string {
  return mart.replace(/_/g, "-");
}

export function dataSetId(mart: string): string {
  return `${QS.idPrefix}-${mart.replace(/_/g, "-")}`;
}

function dataSet(mart: MartIR, types: ReadonlyMap<string, InputColumnType>): unknown {
  const upper = (name: string) => name.toUpperCase();
  const transforms: unknown[] = [];
  for (const c of mart.columns) transforms.push({ RenameColumnOperation: { ColumnName: upper(c.name), NewColumnName: c.name } });
  for (const c of mart.columns) {
    if (types.get(c.name) === "BOOLEAN") transforms.push({ CastColumnTypeOperation: { ColumnName: c.name, NewColumnType: "INTEGER" } });
  }
  for (const c of mart.columns) {
    if (c.description) transforms.push({ TagColumnOperation: { ColumnName: c.name, Tags: [{ ColumnDescription: { Text: c.description } }] } });
  }
  return {
    DataSetId: dataSetId(mart.name),
    Name: mart.name,
    ImportMode: "SPICE",
    PhysicalTableMap: {
      [tableId(mart.name)]: {
        RelationalTable: {
          Catalog: PLATFORM.snowflake.database,
          Schema: MARTS_SCHEMA,
          Name: upper(mart.name),
          InputColumns: mart.columns.map((c) => ({ Name: upper(c.name), Type: types.get(c.name)! })),
        },
      },
    },
    LogicalTableMap: { [tableId(mart.name)]: { Alias: mart.name, Source: { PhysicalTableId: tableId(mart.name) }, DataTransforms: transforms } },
  };
}

interface FieldRef {
  readonly visual: string;
  readonly mart: string;
  readonly column: string;
}

function column(dataSet: string, name: string) {
  return { DataSetIdentifier: dataSet, ColumnName: name };
}

function dimensionField(visual: VisualSpec, d: DimensionSpec) {
  const FieldId = `${visual.id}.${d.column}`;
  const Column = column(visual.mart, d.column);
  if (d.kind === "date") return { DateDimensionField: { FieldId, Column, DateGranularity: d.granularity ?? "DAY" } };
  if (d.kind === "numerical") return { NumericalDimensionField: { FieldId, Column } };
  return { CategoricalDimensionField: { FieldId, Column } };
}

function measureField(visual: VisualSpec, m: MeasureSpec, type: string) {
  const FieldId = `${visual.id}.${m.column}.${m.aggregation.toLowerCase()}`;
  const Column = column(visual.mart, m.column);
  if (type === "STRING" || type === "DATETIME") {
    return { CategoricalMeasureField: { FieldId, Column, AggregationFunction: m.aggregation === "COUNT" ? "COUNT" : "DISTINCT_COUNT" } };
  }
  return { NumericalMeasureField: { FieldId, Column, AggregationFunction: { SimpleNumericalAggregation: m.aggregation } } };
}

function visualDefinition(visual: VisualSpec, typeOf: (mart: string, column: string) => string): unknown {
  const Title = { Visibility: "VISIBLE", FormatText: { PlainText: visual.title } };
  const dims = visual.dimensions.map((d) => dimensionField(visual, d));
  const measures = visual.measures.map((m) => measureField(visual, m, typeOf(visual.mart, m.column)));
  const firstMeasure = `${visual.id}.${visual.measures[0]!.column}.${visual.measures[0]!.aggregation.toLowerCase()}`;
  const firstDimension = visual.dimensions[0] ? `${visual.id}.${visual.dimensions[0].column}` : undefined;
  switch (visual.kind) {
    case "line":
      return {
        LineChartVisual: {
          VisualId: visual.id,
          Title,
          ChartConfiguration: {
            FieldWells: { LineChartAggregatedFieldWells: { Category: dims, Values: measures } },
            SortConfiguration: { CategorySort: [{ FieldSort: { FieldId: firstDimension!, Direction: "ASC" } }] },
            Type: "LINE",
          },
        },
      };
    case "bar":
    case "horizontal_bar":
      return {
        BarChartVisual: {
          VisualId: visual.id,
          Title,
          ChartConfiguration: {
            FieldWells: { BarChartAggregatedFieldWells: { Category: dims, Values: measures } },
            SortConfiguration: visual.top
              ? { CategorySort: [{ FieldSort: { FieldId: firstMeasure, Direction: "DESC" } }], CategoryItemsLimit: { ItemsLimit: visual.top, OtherCategories: "EXCLUDE" } }
              : { CategorySort: [{ FieldSort: { FieldId: firstDimension!, Direction: "ASC" } }] },
            Orientation: visual.kind === "bar" ? "VERTICAL" : "HORIZONTAL",
            BarsArrangement: "CLUSTERED",
          },
        },
      };
    case "kpi":
      return { KPIVisual: { VisualId: visual.id, Title, ChartConfiguration: { FieldWells: { Values: measures } } } };
    case "table":
      return {
        TableVisual: {
          VisualId: visual.id,
          Title,
          ChartConfiguration: {
            FieldWells: { TableAggregatedFieldWells: { GroupBy: dims, Values: measures } },
            SortConfiguration: {
              RowSort: [{ FieldSort: { FieldId: firstMeasure, Direction: "DESC" } }],
              ...(visual.top ? { PaginationConfiguration: { PageSize: visual.top, PageNumber: 1 } } : {}),
            },
          },
        },
      };
  }
}

function analysis(marts: readonly MartIR[], typeOf: (mart: string, column: string) => string): unknown {
  const used = [...new Set(SHEETS.flatMap((s) => s.visuals.map((v) => v.mart)))].sort();
  const filterGroups = SHEETS.flatMap((sheet) =>
    sheet.visuals
      .filter((v) => v.atLeast)
      .map((v) => ({
        FilterGroupId: `${v.id}-minimum`,
        CrossDataset: "SINGLE_DATASET",
        Status: "ENABLED",
        Filters: [
          {
            NumericRangeFilter: {
              FilterId: `${v.id}-minimum-${v.atLeast!.column.replace(/_/g, "-")}`,
              Column: column(v.mart, v.atLeast!.column),
              RangeMinimum: { StaticValue: v.atLeast!.minimum },
              IncludeMinimum: true,
              NullOption: "NON_NULLS_ONLY",
            },
          },
        ],
        ScopeConfiguration: { SelectedSheets: { SheetVisualScopingConfigurations: [{ SheetId: sheet.id, Scope: "SELECTED_VISUALS", VisualIds: [v.id] }] } },
      })),
  );
  return {
    DataSetIdentifierDeclarations: used.filter((m) => marts.some((x) => x.name === m)).map((m) => ({ Identifier: m })),
    Sheets: SHEETS.map((sheet) => ({ SheetId: sheet.id, Name: sheet.name, Visuals: sheet.visuals.map((v) => visualDefinition(v, typeOf)) })),
    FilterGroups: filterGroups,
    AnalysisDefaults: { DefaultNewSheetConfiguration: { SheetContentType: "INTERACTIVE" } },
  };
}

/** The columns each visual reads (dimensions, measures, filters): contract review's map of dashboard impact. */
export function visualColumns(): FieldRef[] {
  const refs: FieldRef[] = [];
  for (const sheet of SHEETS) {
    for (const v of sheet.visuals) {
      const columns = [...v.dimensions.map((d) => d.column), ...v.measures.map((m) => m.column), ...(v.atLeast ? [v.atLeast.column] : [])];
      for (const c of [...new Set(columns)]) refs.push({ visual: v.id, mart: v.mart, column: c });
    }
  }
  return refs;
}

function validate(marts: readonly MartIR[]): { diagnostics: Diagnostic[]; types: Map<string, Map<string, InputColumnType>> } {
  const diagnostics: Diagnostic[] = [];
  const types = new Map<string, Map<string, InputColumnType>>();
  const characters = (text: string) => [...text].length;
  for (const mart of marts) {
    const tooLong = (path: string, what: string, text: string, limit: number, fix: string) => {
      if (characters(text) <= limit) return;
      diagnostics.push(diagnostic("QUICKSIGHT.LIMIT_EXCEEDED", `${what} is ${characters(text)} characters long; QuickSight takes at most ${limit}.`, { file: mart.file, path }, fix));
    };
    tooLong(mart.name, `Mart name "${mart.name}" (the data set's table id and alias)`, mart.name, QUICKSIGHT_LIMITS.martName, "Shorten the mart's name (its SQL file and YAML entry).");
    const byColumn = new Map<string, InputColumnType>();
    for (const c of mart.columns) {
      const path = `${mart.name}.${c.name}`;
      tooLong(path, `The name of mart column ${path}`, c.name, QUICKSIGHT_LIMITS.columnName, "Shorten the column's name in the mart.");
      tooLong(
        path,
        `The description of mart column ${path} (the data set field's description)`,
        c.description,
        QUICKSIGHT_LIMITS.description,
        `Shorten the column's description in ${mart.file} to at most ${QUICKSIGHT_LIMITS.description} characters (the model's own description has no such limit).`,
      );
      const t = quicksightType(c.dataType);
      if (!t) {
        diagnostics.push(
          diagnostic("QUICKSIGHT.UNSUPPORTED_TYPE", `Mart column ${mart.name}.${c.name} has data_type "${c.dataType}", which QuickSight cannot read as a field.`, { file: mart.file, path: `${mart.name}.${c.name}` }, "Cast it in the mart to text, a number, a date or a boolean (e.g. extract what dashboards need from a JSON column)."),
        );
        continue;
      }
      byColumn.set(c.name, t);
    }
    types.set(mart.name, byColumn);
  }
  for (const ref of visualColumns()) {
    const mart = marts.find((m) => m.name === ref.mart);
    const known = mart?.columns.some((c: MartColumnIR) => c.name === ref.column);
    if (!known) {
      diagnostics.push(
        diagnostic(
          "QUICKSIGHT.UNKNOWN_COLUMN",
          `QuickSight visual "${ref.visual}" reads ${ref.mart}.${ref.column}, which ${mart ? "the mart's contract does not declare" : "is not a mart"}.`,
          { file: mart?.file ?? "dbt-out/models/marts", path: `${ref.mart}.${ref.column}` },
          "Keep the column in the mart (with its data_type), or change the visual in generators/targets/quicksight/views.ts.",
        ),
      );
    }
  }
  return { diagnostics, types };
}

export const quicksightTarget: Target = {
  id: "quicksight",
  description: "QuickSight data sets (one per mart) and the analysis, from the marts' enforced contracts",
  emit(ir: ContractIR): EmitResult {
    const marts = ir.marts ?? [];
    if (marts.length === 0) return { files: [], diagnostics: [] };
    const { diagnostics, types } = validate(marts);
    if (diagnostics.length) return { files: [], diagnostics };
    const typeOf = (mart: string, column: string) => fieldType(types.get(mart)!.get(column)!);
    // The marker the writer recognises its files by, as a "//" member (Terraform's comment convention) that
    // readers of the request bodies drop.
    const [generated, doNotEdit] = combinedHeaderLines(ir.datasets);
    const comment = `${generated!.replace(/\.$/, "")} and ${[...new Set(marts.map((m) => m.file))].join(", ")}. ${doNotEdit!.replace("change the contracts", "change the contracts or the marts' YAML")}`;
    const withComment = (body: unknown) => jsonText({ "//": comment, ...(body as object) });
    const files: GeneratedFile[] = marts.map((m) => ({ path: `${QUICKSIGHT_DIR}/datasets/${m.name}.json`, contents: withComment(dataSet(m, types.get(m.name)!)) }));
    files.push({ path: `${QUICKSIGHT_DIR}/analysis.json`, contents: withComment(analysis(marts, typeOf)) });
    files.push({
      path: `${QUICKSIGHT_DIR}/quicksight.json`,
      contents: withComment({
        dataSource: { id: QS.dataSourceId, database: PLATFORM.snowflake.database, warehouse: PLATFORM.snowflake.warehouse, role: PLATFORM.snowflake.roles.reporter },
        readerGroup: QS.readerGroup,
        analysis: { id: QS.analysisId, name: QS.analysisName, file: "analysis.json" },
        dataSets: marts.map((m) => ({
          mart: m.name,
          id: dataSetId(m.name),
          file: `datasets/${m.name}.json`,
          table: `${PLATFORM.snowflake.database}.${MARTS_SCHEMA}.${m.name.toUpperCase()}`,
          columns: m.columns.map((c) => ({ name: c.name, dataType: c.dataType, quicksight: types.get(m.name)!.get(c.name)! })),
        })),
        visuals: SHEETS.flatMap((s) => s.visuals.map((v) => ({ id: v.id, sheet: s.id, title: v.title, mart: v.mart, columns: visualColumns().filter((r) => r.visual === v.id).map((r) => r.column) }))),
      }),
    });
    return { files, diagnostics: [] };
  },
};
