# The plan-time guard that no member of the generated QuickSight files is dropped. The provider's blocks take only
# the members this module maps (main.tf, analysis.tf); a member the generator starts to emit would otherwise vanish
# without a word. The data sets' and the analysis' preconditions fail the plan on any member path of the generated
# files that is not in local.mapped_members, naming it.
#
# Member paths are written in the API's names from the file's root: lists are transparent, the keys of the id-keyed
# maps are "*", and the "//" header line is a comment:
#   AnalysisDefinition.Sheets.Visuals.KPIVisual.VisualId, DataSet.PhysicalTableMap.*.RelationalTable.Name
# tests/infra/quicksight.test.ts checks mapped_member_leaves against what the blocks really map, and the blocks
# against QuickSight's API model (botocore).

locals {
  # Every member path the blocks map, leaves only (their prefixes are added below).
  mapped_member_leaves = [
    # analysis.json
    "AnalysisDefinition.AnalysisDefaults.DefaultNewSheetConfiguration.SheetContentType",
    "AnalysisDefinition.DataSetIdentifierDeclarations.Identifier",
    "AnalysisDefinition.FilterGroups.CrossDataset",
    "AnalysisDefinition.FilterGroups.FilterGroupId",
    "AnalysisDefinition.FilterGroups.Filters.NumericRangeFilter.Column.ColumnName",
    "AnalysisDefinition.FilterGroups.Filters.NumericRangeFilter.Column.DataSetIdentifier",
    "AnalysisDefinition.FilterGroups.Filters.NumericRangeFilter.FilterId",
    "AnalysisDefinition.FilterGroups.Filters.NumericRangeFilter.IncludeMinimum",
    "AnalysisDefinition.FilterGroups.Filters.NumericRangeFilter.NullOption",
    "AnalysisDefinition.FilterGroups.Filters.NumericRangeFilter.RangeMinimum.StaticValue",
    "AnalysisDefinition.FilterGroups.ScopeConfiguration.SelectedSheets.SheetVisualScopingConfigurations.Scope",
    "AnalysisDefinition.FilterGroups.ScopeConfiguration.SelectedSheets.SheetVisualScopingConfigurations.SheetId",
    "AnalysisDefinition.FilterGroups.ScopeConfiguration.SelectedSheets.SheetVisualScopingConfigurations.VisualIds",
    "AnalysisDefinition.FilterGroups.Status",
    "AnalysisDefinition.Sheets.Name",
    "AnalysisDefinition.Sheets.SheetId",
    # analysis.json, visuals: BarChartVisual
    "AnalysisDefinition.Sheets.Visuals.BarChartVisual.ChartConfiguration.BarsArrangement",
    "AnalysisDefinition.Sheets.Visuals.BarChartVisual.ChartConfiguration.FieldWells.BarChartAggregatedFieldWells.Category.CategoricalDimensionField.Column.ColumnName",
    "AnalysisDefinition.Sheets.Visuals.BarChartVisual.ChartConfiguration.FieldWells.BarChartAggregatedFieldWells.Category.CategoricalDimensionField.Column.DataSetIdentifier",
    "AnalysisDefinition.Sheets.Visuals.BarChartVisual.ChartConfiguration.FieldWells.BarChartAggregatedFieldWells.Category.CategoricalDimensionField.FieldId",
    "AnalysisDefinition.Sheets.Visuals.BarChartVisual.ChartConfiguration.FieldWells.BarChartAggregatedFieldWells.Category.DateDimensionField.Column.ColumnName",
    "AnalysisDefinition.Sheets.Visuals.BarChartVisual.ChartConfiguration.FieldWells.BarChartAggregatedFieldWells.Category.DateDimensionField.Column.DataSetIdentifier",
    "AnalysisDefinition.Sheets.Visuals.BarChartVisual.ChartConfiguration.FieldWells.BarChartAggregatedFieldWells.Category.DateDimensionField.DateGranularity",
    "AnalysisDefinition.Sheets.Visuals.BarChartVisual.ChartConfiguration.FieldWells.BarChartAggregatedFieldWells.Category.DateDimensionField.FieldId",
    "AnalysisDefinition.Sheets.Visuals.BarChartVisual.ChartConfiguration.FieldWells.BarChartAggregatedFieldWells.Category.NumericalDimensionField.Column.ColumnName",
    "AnalysisDefinition.Sheets.Visuals.BarChartVisual.ChartConfiguration.FieldWells.BarChartAggregatedFieldWells.Category.NumericalDimensionField.Column.DataSetIdentifier",
    "AnalysisDefinition.Sheets.Visuals.BarChartVisual.ChartConfiguration.FieldWells.BarChartAggregatedFieldWells.Category.NumericalDimensionField.FieldId",
    "AnalysisDefinition.Sheets.Visuals.BarChartVisual.ChartConfiguration.FieldWells.BarChartAggregatedFieldWells.Values.CategoricalMeasureField.AggregationFunction",
    "AnalysisDefinition.Sheets.Visuals.BarChartVisual.ChartConfiguration.FieldWells.BarChartAggregatedFieldWells.Values.CategoricalMeasureField.Column.ColumnName",
    "AnalysisDefinition.Sheets.Visuals.BarChartVisual.ChartConfiguration.FieldWells.BarChartAggregatedFieldWells.Values.CategoricalMeasureField.Column.DataSetIdentifier",
    "AnalysisDefinition.Sheets.Visuals.BarChartVisual.ChartConfiguration.FieldWells.BarChartAggregatedFieldWells.Values.CategoricalMeasureField.FieldId",
    "AnalysisDefinition.Sheets.Visuals.BarChartVisual.ChartConfiguration.FieldWells.BarChartAggregatedFieldWells.Values.NumericalMeasureField.AggregationFunction.SimpleNumericalAggregation",
    "AnalysisDefinition.Sheets.Visuals.BarChartVisual.ChartConfiguration.FieldWells.BarChartAggregatedFieldWells.Values.NumericalMeasureField.Column.ColumnName",
    "AnalysisDefinition.Sheets.Visuals.BarChartVisual.ChartConfiguration.FieldWells.BarChartAggregatedFieldWells.Values.NumericalMeasureField.Column.DataSetIdentifier",
    "AnalysisDefinition.Sheets.Visuals.BarChartVisual.ChartConfiguration.FieldWells.BarChartAggregatedFieldWells.Values.NumericalMeasureField.FieldId",
    "AnalysisDefinition.Sheets.Visuals.BarChartVisual.ChartConfiguration.Orientation",
    "AnalysisDefinition.Sheets.Visuals.BarChartVisual.ChartConfiguration.SortConfiguration.CategoryItemsLimit.ItemsLimit",
    "AnalysisDefinition.Sheets.Visuals.BarChartVisual.ChartConfiguration.SortConfiguration.CategoryItemsLimit.OtherCategories",
    "AnalysisDefinition.Sheets.Visuals.BarChartVisual.ChartConfiguration.SortConfiguration.CategorySort.FieldSort.Direction",
    "AnalysisDefinition.Sheets.Visuals.BarChartVisual.ChartConfiguration.SortConfiguration.CategorySort.FieldSort.FieldId",
    "AnalysisDefinition.Sheets.Visuals.BarChartVisual.Title.FormatText.PlainText",
    "AnalysisDefinition.Sheets.Visuals.BarChartVisual.Title.Visibility",
    "AnalysisDefinition.Sheets.Visuals.BarChartVisual.VisualId",
    # analysis.json, visuals: KPIVisual
    "AnalysisDefinition.Sheets.Visuals.KPIVisual.ChartConfiguration.FieldWells.Values.CategoricalMeasureField.AggregationFunction",
    "AnalysisDefinition.Sheets.Visuals.KPIVisual.ChartConfiguration.FieldWells.Values.CategoricalMeasureField.Column.ColumnName",
    "AnalysisDefinition.Sheets.Visuals.KPIVisual.ChartConfiguration.FieldWells.Values.CategoricalMeasureField.Column.DataSetIdentifier",
    "AnalysisDefinition.Sheets.Visuals.KPIVisual.ChartConfiguration.FieldWells.Values.CategoricalMeasureField.FieldId",
    "AnalysisDefinition.Sheets.Visuals.KPIVisual.ChartConfiguration.FieldWells.Values.NumericalMeasureField.AggregationFunction.SimpleNumericalAggregation",
    "AnalysisDefinition.Sheets.Visuals.KPIVisual.ChartConfiguration.FieldWells.Values.NumericalMeasureField.Column.ColumnName",
    "AnalysisDefinition.Sheets.Visuals.KPIVisual.ChartConfiguration.FieldWells.Values.NumericalMeasureField.Column.DataSetIdentifier",
    "AnalysisDefinition.Sheets.Visuals.KPIVisual.ChartConfiguration.FieldWells.Values.NumericalMeasureField.FieldId",
    "AnalysisDefinition.Sheets.Visuals.KPIVisual.Title.FormatText.PlainText",
    "AnalysisDefinition.Sheets.Visuals.KPIVisual.Title.Visibility",
    "AnalysisDefinition.Sheets.Visuals.KPIVisual.VisualId",
    # analysis.json, visuals: LineChartVisual
    "AnalysisDefinition.Sheets.Visuals.LineChartVisual.ChartConfiguration.FieldWells.LineChartAggregatedFieldWells.Category.CategoricalDimensionField.Column.ColumnName",
    "AnalysisDefinition.Sheets.Visuals.LineChartVisual.ChartConfiguration.FieldWells.LineChartAggregatedFieldWells.Category.CategoricalDimensionField.Column.DataSetIdentifier",
    "AnalysisDefinition.Sheets.Visuals.LineChartVisual.ChartConfiguration.FieldWells.LineChartAggregatedFieldWells.Category.CategoricalDimensionField.FieldId",
    "AnalysisDefinition.Sheets.Visuals.LineChartVisual.ChartConfiguration.FieldWells.LineChartAggregatedFieldWells.Category.DateDimensionField.Column.ColumnName",
    "AnalysisDefinition.Sheets.Visuals.LineChartVisual.ChartConfiguration.FieldWells.LineChartAggregatedFieldWells.Category.DateDimensionField.Column.DataSetIdentifier",
    "AnalysisDefinition.Sheets.Visuals.LineChartVisual.ChartConfiguration.FieldWells.LineChartAggregatedFieldWells.Category.DateDimensionField.DateGranularity",
    "AnalysisDefinition.Sheets.Visuals.LineChartVisual.ChartConfiguration.FieldWells.LineChartAggregatedFieldWells.Category.DateDimensionField.FieldId",
    "AnalysisDefinition.Sheets.Visuals.LineChartVisual.ChartConfiguration.FieldWells.LineChartAggregatedFieldWells.Category.NumericalDimensionField.Column.ColumnName",
    "AnalysisDefinition.Sheets.Visuals.LineChartVisual.ChartConfiguration.FieldWells.LineChartAggregatedFieldWells.Category.NumericalDimensionField.Column.DataSetIdentifier",
    "AnalysisDefinition.Sheets.Visuals.LineChartVisual.ChartConfiguration.FieldWells.LineChartAggregatedFieldWells.Category.NumericalDimensionField.FieldId",
    "AnalysisDefinition.Sheets.Visuals.LineChartVisual.ChartConfiguration.FieldWells.LineChartAggregatedFieldWells.Values.CategoricalMeasureField.AggregationFunction",
    "AnalysisDefinition.Sheets.Visuals.LineChartVisual.ChartConfiguration.FieldWells.LineChartAggregatedFieldWells.Values.CategoricalMeasureField.Column.ColumnName",
    "AnalysisDefinition.Sheets.Visuals.LineChartVisual.ChartConfiguration.FieldWells.LineChartAggregatedFieldWells.Values.CategoricalMeasureField.Column.DataSetIdentifier",
    "AnalysisDefinition.Sheets.Visuals.LineChartVisual.ChartConfiguration.FieldWells.LineChartAggregatedFieldWells.Values.CategoricalMeasureField.FieldId",
    "AnalysisDefinition.Sheets.Visuals.LineChartVisual.ChartConfiguration.FieldWells.LineChartAggregatedFieldWells.Values.NumericalMeasureField.AggregationFunction.SimpleNumericalAggregation",
    "AnalysisDefinition.Sheets.Visuals.LineChartVisual.ChartConfiguration.FieldWells.LineChartAggregatedFieldWells.Values.NumericalMeasureField.Column.ColumnName",
    "AnalysisDefinition.Sheets.Visuals.LineChartVisual.ChartConfiguration.FieldWells.LineChartAggregatedFieldWells.Values.NumericalMeasureField.Column.DataSetIdentifier",
    "AnalysisDefinition.Sheets.Visuals.LineChartVisual.ChartConfiguration.FieldWells.LineChartAggregatedFieldWells.Values.NumericalMeasureField.FieldId",
    "AnalysisDefinition.Sheets.Visuals.LineChartVisual.ChartConfiguration.SortConfiguration.CategorySort.FieldSort.Direction",
    "AnalysisDefinition.Sheets.Visuals.LineChartVisual.ChartConfiguration.SortConfiguration.CategorySort.FieldSort.FieldId",
    "AnalysisDefinition.Sheets.Visuals.LineChartVisual.ChartConfiguration.Type",
    "AnalysisDefinition.Sheets.Visuals.LineChartVisual.Title.FormatText.PlainText",
    "AnalysisDefinition.Sheets.Visuals.LineChartVisual.Title.Visibility",
    "AnalysisDefinition.Sheets.Visuals.LineChartVisual.VisualId",
    # analysis.json, visuals: TableVisual
    "AnalysisDefinition.Sheets.Visuals.TableVisual.ChartConfiguration.FieldWells.TableAggregatedFieldWells.GroupBy.CategoricalDimensionField.Column.ColumnName",
    "AnalysisDefinition.Sheets.Visuals.TableVisual.ChartConfiguration.FieldWells.TableAggregatedFieldWells.GroupBy.CategoricalDimensionField.Column.DataSetIdentifier",
    "AnalysisDefinition.Sheets.Visuals.TableVisual.ChartConfiguration.FieldWells.TableAggregatedFieldWells.GroupBy.CategoricalDimensionField.FieldId",
    "AnalysisDefinition.Sheets.Visuals.TableVisual.ChartConfiguration.FieldWells.TableAggregatedFieldWells.GroupBy.DateDimensionField.Column.ColumnName",
    "AnalysisDefinition.Sheets.Visuals.TableVisual.ChartConfiguration.FieldWells.TableAggregatedFieldWells.GroupBy.DateDimensionField.Column.DataSetIdentifier",
    "AnalysisDefinition.Sheets.Visuals.TableVisual.ChartConfiguration.FieldWells.TableAggregatedFieldWells.GroupBy.DateDimensionField.DateGranularity",
    "AnalysisDefinition.Sheets.Visuals.TableVisual.ChartConfiguration.FieldWells.TableAggregatedFieldWells.GroupBy.DateDimensionField.FieldId",
    "AnalysisDefinition.Sheets.Visuals.TableVisual.ChartConfiguration.FieldWells.TableAggregatedFieldWells.GroupBy.NumericalDimensionField.Column.ColumnName",
    "AnalysisDefinition.Sheets.Visuals.TableVisual.ChartConfiguration.FieldWells.TableAggregatedFieldWells.GroupBy.NumericalDimensionField.Column.DataSetIdentifier",
    "AnalysisDefinition.Sheets.Visuals.TableVisual.ChartConfiguration.FieldWells.TableAggregatedFieldWells.GroupBy.NumericalDimensionField.FieldId",
    "AnalysisDefinition.Sheets.Visuals.TableVisual.ChartConfiguration.FieldWells.TableAggregatedFieldWells.Values.CategoricalMeasureField.AggregationFunction",
    "AnalysisDefinition.Sheets.Visuals.TableVisual.ChartConfiguration.FieldWells.TableAggregatedFieldWells.Values.CategoricalMeasureField.Column.ColumnName",
    "AnalysisDefinition.Sheets.Visuals.TableVisual.ChartConfiguration.FieldWells.TableAggregatedFieldWells.Values.CategoricalMeasureField.Column.DataSetIdentifier",
    "AnalysisDefinition.Sheets.Visuals.TableVisual.ChartConfiguration.FieldWells.TableAggregatedFieldWells.Values.CategoricalMeasureField.FieldId",
    "AnalysisDefinition.Sheets.Visuals.TableVisual.ChartConfiguration.FieldWells.TableAggregatedFieldWells.Values.NumericalMeasureField.AggregationFunction.SimpleNumericalAggregation",
    "AnalysisDefinition.Sheets.Visuals.TableVisual.ChartConfiguration.FieldWells.TableAggregatedFieldWells.Values.NumericalMeasureField.Column.ColumnName",
    "AnalysisDefinition.Sheets.Visuals.TableVisual.ChartConfiguration.FieldWells.TableAggregatedFieldWells.Values.NumericalMeasureField.Column.DataSetIdentifier",
    "AnalysisDefinition.Sheets.Visuals.TableVisual.ChartConfiguration.FieldWells.TableAggregatedFieldWells.Values.NumericalMeasureField.FieldId",
    "AnalysisDefinition.Sheets.Visuals.TableVisual.ChartConfiguration.SortConfiguration.PaginationConfiguration.PageNumber",
    "AnalysisDefinition.Sheets.Visuals.TableVisual.ChartConfiguration.SortConfiguration.PaginationConfiguration.PageSize",
    "AnalysisDefinition.Sheets.Visuals.TableVisual.ChartConfiguration.SortConfiguration.RowSort.FieldSort.Direction",
    "AnalysisDefinition.Sheets.Visuals.TableVisual.ChartConfiguration.SortConfiguration.RowSort.FieldSort.FieldId",
    "AnalysisDefinition.Sheets.Visuals.TableVisual.Title.FormatText.PlainText",
    "AnalysisDefinition.Sheets.Visuals.TableVisual.Title.Visibility",
    "AnalysisDefinition.Sheets.Visuals.TableVisual.VisualId",
    # data sets (datasets/<mart>.json)
    "DataSet.DataSetId",
    "DataSet.ImportMode",
    "DataSet.LogicalTableMap.*.Alias",
    "DataSet.LogicalTableMap.*.DataTransforms.CastColumnTypeOperation.ColumnName",
    "DataSet.LogicalTableMap.*.DataTransforms.CastColumnTypeOperation.Format",
    "DataSet.LogicalTableMap.*.DataTransforms.CastColumnTypeOperation.NewColumnType",
    "DataSet.LogicalTableMap.*.DataTransforms.RenameColumnOperation.ColumnName",
    "DataSet.LogicalTableMap.*.DataTransforms.RenameColumnOperation.NewColumnName",
    "DataSet.LogicalTableMap.*.DataTransforms.TagColumnOperation.ColumnName",
    "DataSet.LogicalTableMap.*.DataTransforms.TagColumnOperation.Tags.ColumnDescription.Text",
    "DataSet.LogicalTableMap.*.Source.PhysicalTableId",
    "DataSet.Name",
    "DataSet.PhysicalTableMap.*.RelationalTable.Catalog",
    "DataSet.PhysicalTableMap.*.RelationalTable.InputColumns.Name",
    "DataSet.PhysicalTableMap.*.RelationalTable.InputColumns.Type",
    "DataSet.PhysicalTableMap.*.RelationalTable.Name",
    "DataSet.PhysicalTableMap.*.RelationalTable.Schema",
  ]
  mapped_members = toset(flatten([
    for leaf in local.mapped_member_leaves : [
      for end in range(2, length(split(".", leaf)) + 1) : join(".", slice(split(".", leaf), 0, end))
    ]
  ]))

  # Maps keyed by table id (their keys are not members).
  keyed_members = ["DataSet.LogicalTableMap", "DataSet.PhysicalTableMap"]

  # Every member path present in the generated files. Terraform has no recursion: one level per local, each node an
  # object JSON-encoded (so that all nodes have one type) with its path; lists are unrolled into their elements.
  member_nodes_00 = concat(
    [{ path = "AnalysisDefinition", json = jsonencode(local.analysis) }],
    [for data_set in values(local.data_sets) : { path = "DataSet", json = jsonencode(data_set.body) }],
  )
  member_nodes_01 = flatten([for node in local.member_nodes_00 : [for key, value in jsondecode(node.json) : [
    for element in flatten([can(keys(value)) ? [jsonencode(value)] : try([for item in value : jsonencode(item) if can(keys(item))], [])]) :
    { path = "${node.path}.${contains(local.keyed_members, node.path) ? "*" : key}", json = element }
  ] if key != "//"]])
  member_nodes_02 = flatten([for node in local.member_nodes_01 : [for key, value in jsondecode(node.json) : [
    for element in flatten([can(keys(value)) ? [jsonencode(value)] : try([for item in value : jsonencode(item) if can(keys(item))], [])]) :
    { path = "${node.path}.${contains(local.keyed_members, node.path) ? "*" : key}", json = element }
  ] if key != "//"]])
  member_nodes_03 = flatten([for node in local.member_nodes_02 : [for key, value in jsondecode(node.json) : [
    for element in flatten([can(keys(value)) ? [jsonencode(value)] : try([for item in value : jsonencode(item) if can(keys(item))], [])]) :
    { path = "${node.path}.${contains(local.keyed_members, node.path) ? "*" : key}", json = element }
  ] if key != "//"]])
  member_nodes_04 = flatten([for node in local.member_nodes_03 : [for key, value in jsondecode(node.json) : [
    for element in flatten([can(keys(value)) ? [jsonencode(value)] : try([for item in value : jsonencode(item) if can(keys(item))], [])]) :
    { path = "${node.path}.${contains(local.keyed_members, node.path) ? "*" : key}", json = element }
  ] if key != "//"]])
  member_nodes_05 = flatten([for node in local.member_nodes_04 : [for key, value in jsondecode(node.json) : [
    for element in flatten([can(keys(value)) ? [jsonencode(value)] : try([for item in value : jsonencode(item) if can(keys(item))], [])]) :
    { path = "${node.path}.${contains(local.keyed_members, node.path) ? "*" : key}", json = element }
  ] if key != "//"]])
  member_nodes_06 = flatten([for node in local.member_nodes_05 : [for key, value in jsondecode(node.json) : [
    for element in flatten([can(keys(value)) ? [jsonencode(value)] : try([for item in value : jsonencode(item) if can(keys(item))], [])]) :
    { path = "${node.path}.${contains(local.keyed_members, node.path) ? "*" : key}", json = element }
  ] if key != "//"]])
  member_nodes_07 = flatten([for node in local.member_nodes_06 : [for key, value in jsondecode(node.json) : [
    for element in flatten([can(keys(value)) ? [jsonencode(value)] : try([for item in value : jsonencode(item) if can(keys(item))], [])]) :
    { path = "${node.path}.${contains(local.keyed_members, node.path) ? "*" : key}", json = element }
  ] if key != "//"]])
  member_nodes_08 = flatten([for node in local.member_nodes_07 : [for key, value in jsondecode(node.json) : [
    for element in flatten([can(keys(value)) ? [jsonencode(value)] : try([for item in value : jsonencode(item) if can(keys(item))], [])]) :
    { path = "${node.path}.${contains(local.keyed_members, node.path) ? "*" : key}", json = element }
  ] if key != "//"]])
  member_nodes_09 = flatten([for node in local.member_nodes_08 : [for key, value in jsondecode(node.json) : [
    for element in flatten([can(keys(value)) ? [jsonencode(value)] : try([for item in value : jsonencode(item) if can(keys(item))], [])]) :
    { path = "${node.path}.${contains(local.keyed_members, node.path) ? "*" : key}", json = element }
  ] if key != "//"]])
  member_nodes_10 = flatten([for node in local.member_nodes_09 : [for key, value in jsondecode(node.json) : [
    for element in flatten([can(keys(value)) ? [jsonencode(value)] : try([for item in value : jsonencode(item) if can(keys(item))], [])]) :
    { path = "${node.path}.${contains(local.keyed_members, node.path) ? "*" : key}", json = element }
  ] if key != "//"]])
  member_nodes_11 = flatten([for node in local.member_nodes_10 : [for key, value in jsondecode(node.json) : [
    for element in flatten([can(keys(value)) ? [jsonencode(value)] : try([for item in value : jsonencode(item) if can(keys(item))], [])]) :
    { path = "${node.path}.${contains(local.keyed_members, node.path) ? "*" : key}", json = element }
  ] if key != "//"]])
  member_levels = [
    local.member_nodes_00, local.member_nodes_01, local.member_nodes_02, local.member_nodes_03, local.member_nodes_04,
    local.member_nodes_05, local.member_nodes_06, local.member_nodes_07, local.member_nodes_08, local.member_nodes_09,
    local.member_nodes_10,
  ]
  json_member_paths = distinct(flatten([
    for nodes in local.member_levels : [
      for node in nodes : [
        for key in keys(jsondecode(node.json)) : "${node.path}.${contains(local.keyed_members, node.path) ? "*" : key}" if key != "//"
      ]
    ]
  ]))
  # Objects nested deeper than member_levels reaches would go unchecked: the preconditions require none.
  member_check_complete = length(local.member_nodes_11) == 0

  unmapped_members          = sort(setsubtract(local.json_member_paths, local.mapped_members))
  unmapped_analysis_members = [for path in local.unmapped_members : path if startswith(path, "AnalysisDefinition.")]
  unmapped_data_set_members = [for path in local.unmapped_members : path if startswith(path, "DataSet.")]
}
