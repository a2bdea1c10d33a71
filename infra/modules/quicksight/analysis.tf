# The analysis: analysis.json is the CreateAnalysis `Definition` in the API's shapes; each member becomes the provider's
# block or attribute of the same name in snake_case (one exception, the provider's own spelling
# data_set_identifiers_declarations). A block for an optional or repeated member is a `dynamic` block over that
# member, so an absent member gives no block (a required single one, `column`, is written out); the members mapped
# here are listed in members.tf, which stops the plan on any other.
# https://docs.aws.amazon.com/quicksight/latest/APIReference/API_AnalysisDefinition.html
# Field wells: a dimension well takes the three dimension field kinds and a measure well the two measure kinds the
# generator emits, whatever visual they are in (the kind follows the column's type, not the visual).

resource "aws_quicksight_analysis" "this" {
  analysis_id = local.index.analysis.id
  name        = local.index.analysis.name

  definition {
    # The data set of each identifier is this module's data set of the mart of that name.
    dynamic "data_set_identifiers_declarations" {
      for_each = local.analysis.DataSetIdentifierDeclarations
      iterator = declaration
      content {
        identifier   = declaration.value.Identifier
        data_set_arn = aws_quicksight_data_set.this[declaration.value.Identifier].arn
      }
    }

    dynamic "sheets" {
      for_each = try(local.analysis.Sheets, [])
      iterator = sheet
      content {
        sheet_id = sheet.value.SheetId
        name     = try(sheet.value.Name, null)

        dynamic "visuals" {
          for_each = try(sheet.value.Visuals, [])
          iterator = visual
          content {
            dynamic "line_chart_visual" {
              for_each = try([visual.value.LineChartVisual], [])
              iterator = chart_visual
              content {
                visual_id = chart_visual.value.VisualId

                dynamic "title" {
                  for_each = try([chart_visual.value.Title], [])
                  content {
                    visibility = try(title.value.Visibility, null)

                    dynamic "format_text" {
                      for_each = try([title.value.FormatText], [])
                      content {
                        plain_text = try(format_text.value.PlainText, null)
                      }
                    }
                  }
                }

                dynamic "chart_configuration" {
                  for_each = try([chart_visual.value.ChartConfiguration], [])
                  iterator = chart
                  content {
                    type = try(chart.value.Type, null)

                    dynamic "field_wells" {
                      for_each = try([chart.value.FieldWells], [])
                      iterator = wells
                      content {
                        dynamic "line_chart_aggregated_field_wells" {
                          for_each = try([wells.value.LineChartAggregatedFieldWells], [])
                          iterator = aggregated
                          content {
                            dynamic "category" {
                              for_each = try(aggregated.value.Category, [])
                              iterator = dimension
                              content {
                                dynamic "categorical_dimension_field" {
                                  for_each = try([dimension.value.CategoricalDimensionField], [])
                                  iterator = field
                                  content {
                                    field_id = field.value.FieldId
                                    column {
                                      data_set_identifier = field.value.Column.DataSetIdentifier
                                      column_name         = field.value.Column.ColumnName
                                    }
                                  }
                                }
                                dynamic "numerical_dimension_field" {
                                  for_each = try([dimension.value.NumericalDimensionField], [])
                                  iterator = field
                                  content {
                                    field_id = field.value.FieldId
                                    column {
                                      data_set_identifier = field.value.Column.DataSetIdentifier
                                      column_name         = field.value.Column.ColumnName
                                    }
                                  }
                                }
                                dynamic "date_dimension_field" {
                                  for_each = try([dimension.value.DateDimensionField], [])
                                  iterator = field
                                  content {
                                    field_id         = field.value.FieldId
                                    date_granularity = try(field.value.DateGranularity, null)
                                    column {
                                      data_set_identifier = field.value.Column.DataSetIdentifier
                                      column_name         = field.value.Column.ColumnName
                                    }
                                  }
                                }
                              }
                            }
                            dynamic "values" {
                              for_each = try(aggregated.value.Values, [])
                              iterator = measure
                              content {
                                dynamic "numerical_measure_field" {
                                  for_each = try([measure.value.NumericalMeasureField], [])
                                  iterator = field
                                  content {
                                    field_id = field.value.FieldId
                                    column {
                                      data_set_identifier = field.value.Column.DataSetIdentifier
                                      column_name         = field.value.Column.ColumnName
                                    }

                                    dynamic "aggregation_function" {
                                      for_each = try([field.value.AggregationFunction], [])
                                      iterator = aggregation
                                      content {
                                        simple_numerical_aggregation = try(aggregation.value.SimpleNumericalAggregation, null)
                                      }
                                    }
                                  }
                                }
                                dynamic "categorical_measure_field" {
                                  for_each = try([measure.value.CategoricalMeasureField], [])
                                  iterator = field
                                  content {
                                    field_id             = field.value.FieldId
                                    aggregation_function = try(field.value.AggregationFunction, null)
                                    column {
                                      data_set_identifier = field.value.Column.DataSetIdentifier
                                      column_name         = field.value.Column.ColumnName
                                    }
                                  }
                                }
                              }
                            }
                          }
                        }
                      }
                    }

                    dynamic "sort_configuration" {
                      for_each = try([chart.value.SortConfiguration], [])
                      iterator = sorting
                      content {
                        dynamic "category_sort" {
                          for_each = try(sorting.value.CategorySort, [])
                          iterator = sort
                          content {
                            dynamic "field_sort" {
                              for_each = try([sort.value.FieldSort], [])
                              content {
                                field_id  = field_sort.value.FieldId
                                direction = field_sort.value.Direction
                              }
                            }
                          }
                        }
                      }
                    }
                  }
                }
              }
            }

            dynamic "bar_chart_visual" {
              for_each = try([visual.value.BarChartVisual], [])
              iterator = chart_visual
              content {
                visual_id = chart_visual.value.VisualId

                dynamic "title" {
                  for_each = try([chart_visual.value.Title], [])
                  content {
                    visibility = try(title.value.Visibility, null)

                    dynamic "format_text" {
                      for_each = try([title.value.FormatText], [])
                      content {
                        plain_text = try(format_text.value.PlainText, null)
                      }
                    }
                  }
                }

                dynamic "chart_configuration" {
                  for_each = try([chart_visual.value.ChartConfiguration], [])
                  iterator = chart
                  content {
                    orientation      = try(chart.value.Orientation, null)
                    bars_arrangement = try(chart.value.BarsArrangement, null)

                    dynamic "field_wells" {
                      for_each = try([chart.value.FieldWells], [])
                      iterator = wells
                      content {
                        dynamic "bar_chart_aggregated_field_wells" {
                          for_each = try([wells.value.BarChartAggregatedFieldWells], [])
                          iterator = aggregated
                          content {
                            dynamic "category" {
                              for_each = try(aggregated.value.Category, [])
                              iterator = dimension
                              content {
                                dynamic "categorical_dimension_field" {
                                  for_each = try([dimension.value.CategoricalDimensionField], [])
                                  iterator = field
                                  content {
                                    field_id = field.value.FieldId
                                    column {
                                      data_set_identifier = field.value.Column.DataSetIdentifier
                                      column_name         = field.value.Column.ColumnName
                                    }
                                  }
                                }
                                dynamic "numerical_dimension_field" {
                                  for_each = try([dimension.value.NumericalDimensionField], [])
                                  iterator = field
                                  content {
                                    field_id = field.value.FieldId
                                    column {
                                      data_set_identifier = field.value.Column.DataSetIdentifier
                                      column_name         = field.value.Column.ColumnName
                                    }
                                  }
                                }
                                dynamic "date_dimension_field" {
                                  for_each = try([dimension.value.DateDimensionField], [])
                                  iterator = field
                                  content {
                                    field_id         = field.value.FieldId
                                    date_granularity = try(field.value.DateGranularity, null)
                                    column {
                                      data_set_identifier = field.value.Column.DataSetIdentifier
                                      column_name         = field.value.Column.ColumnName
                                    }
                                  }
                                }
                              }
                            }
                            dynamic "values" {
                              for_each = try(aggregated.value.Values, [])
                              iterator = measure
                              content {
                                dynamic "numerical_measure_field" {
                                  for_each = try([measure.value.NumericalMeasureField], [])
                                  iterator = field
                                  content {
                                    field_id = field.value.FieldId
                                    column {
                                      data_set_identifier = field.value.Column.DataSetIdentifier
                                      column_name         = field.value.Column.ColumnName
                                    }

                                    dynamic "aggregation_function" {
                                      for_each = try([field.value.AggregationFunction], [])
                                      iterator = aggregation
                                      content {
                                        simple_numerical_aggregation = try(aggregation.value.SimpleNumericalAggregation, null)
                                      }
                                    }
                                  }
                                }
                                dynamic "categorical_measure_field" {
                                  for_each = try([measure.value.CategoricalMeasureField], [])
                                  iterator = field
                                  content {
                                    field_id             = field.value.FieldId
                                    aggregation_function = try(field.value.AggregationFunction, null)
                                    column {
                                      data_set_identifier = field.value.Column.DataSetIdentifier
                                      column_name         = field.value.Column.ColumnName
                                    }
                                  }
                                }
                              }
                            }
                          }
                        }
                      }
                    }

                    dynamic "sort_configuration" {
                      for_each = try([chart.value.SortConfiguration], [])
                      iterator = sorting
                      content {
                        dynamic "category_sort" {
                          for_each = try(sorting.value.CategorySort, [])
                          iterator = sort
                          content {
                            dynamic "field_sort" {
                              for_each = try([sort.value.FieldSort], [])
                              content {
                                field_id  = field_sort.value.FieldId
                                direction = field_sort.value.Direction
                              }
                            }
                          }
                        }

                        dynamic "category_items_limit" {
                          for_each = try([sorting.value.CategoryItemsLimit], [])
                          iterator = limit
                          content {
                            items_limit      = try(limit.value.ItemsLimit, null)
                            other_categories = limit.value.OtherCategories
                          }
                        }
                      }
                    }
                  }
                }
              }
            }

            dynamic "kpi_visual" {
              for_each = try([visual.value.KPIVisual], [])
              iterator = chart_visual
              content {
                visual_id = chart_visual.value.VisualId

                dynamic "title" {
                  for_each = try([chart_visual.value.Title], [])
                  content {
                    visibility = try(title.value.Visibility, null)

                    dynamic "format_text" {
                      for_each = try([title.value.FormatText], [])
                      content {
                        plain_text = try(format_text.value.PlainText, null)
                      }
                    }
                  }
                }

                dynamic "chart_configuration" {
                  for_each = try([chart_visual.value.ChartConfiguration], [])
                  iterator = chart
                  content {

                    dynamic "field_wells" {
                      for_each = try([chart.value.FieldWells], [])
                      iterator = wells
                      content {
                        dynamic "values" {
                          for_each = try(wells.value.Values, [])
                          iterator = measure
                          content {
                            dynamic "numerical_measure_field" {
                              for_each = try([measure.value.NumericalMeasureField], [])
                              iterator = field
                              content {
                                field_id = field.value.FieldId
                                column {
                                  data_set_identifier = field.value.Column.DataSetIdentifier
                                  column_name         = field.value.Column.ColumnName
                                }

                                dynamic "aggregation_function" {
                                  for_each = try([field.value.AggregationFunction], [])
                                  iterator = aggregation
                                  content {
                                    simple_numerical_aggregation = try(aggregation.value.SimpleNumericalAggregation, null)
                                  }
                                }
                              }
                            }
                            dynamic "categorical_measure_field" {
                              for_each = try([measure.value.CategoricalMeasureField], [])
                              iterator = field
                              content {
                                field_id             = field.value.FieldId
                                aggregation_function = try(field.value.AggregationFunction, null)
                                column {
                                  data_set_identifier = field.value.Column.DataSetIdentifier
                                  column_name         = field.value.Column.ColumnName
                                }
                              }
                            }
                          }
                        }
                      }
                    }
                  }
                }
              }
            }

            dynamic "table_visual" {
              for_each = try([visual.value.TableVisual], [])
              iterator = chart_visual
              content {
                visual_id = chart_visual.value.VisualId

                dynamic "title" {
                  for_each = try([chart_visual.value.Title], [])
                  content {
                    visibility = try(title.value.Visibility, null)

                    dynamic "format_text" {
                      for_each = try([title.value.FormatText], [])
                      content {
                        plain_text = try(format_text.value.PlainText, null)
                      }
                    }
                  }
                }

                dynamic "chart_configuration" {
                  for_each = try([chart_visual.value.ChartConfiguration], [])
                  iterator = chart
                  content {

                    dynamic "field_wells" {
                      for_each = try([chart.value.FieldWells], [])
                      iterator = wells
                      content {
                        dynamic "table_aggregated_field_wells" {
                          for_each = try([wells.value.TableAggregatedFieldWells], [])
                          iterator = aggregated
                          content {
                            dynamic "group_by" {
                              for_each = try(aggregated.value.GroupBy, [])
                              iterator = dimension
                              content {
                                dynamic "categorical_dimension_field" {
                                  for_each = try([dimension.value.CategoricalDimensionField], [])
                                  iterator = field
                                  content {
                                    field_id = field.value.FieldId
                                    column {
                                      data_set_identifier = field.value.Column.DataSetIdentifier
                                      column_name         = field.value.Column.ColumnName
                                    }
                                  }
                                }
                                dynamic "numerical_dimension_field" {
                                  for_each = try([dimension.value.NumericalDimensionField], [])
                                  iterator = field
                                  content {
                                    field_id = field.value.FieldId
                                    column {
                                      data_set_identifier = field.value.Column.DataSetIdentifier
                                      column_name         = field.value.Column.ColumnName
                                    }
                                  }
                                }
                                dynamic "date_dimension_field" {
                                  for_each = try([dimension.value.DateDimensionField], [])
                                  iterator = field
                                  content {
                                    field_id         = field.value.FieldId
                                    date_granularity = try(field.value.DateGranularity, null)
                                    column {
                                      data_set_identifier = field.value.Column.DataSetIdentifier
                                      column_name         = field.value.Column.ColumnName
                                    }
                                  }
                                }
                              }
                            }
                            dynamic "values" {
                              for_each = try(aggregated.value.Values, [])
                              iterator = measure
                              content {
                                dynamic "numerical_measure_field" {
                                  for_each = try([measure.value.NumericalMeasureField], [])
                                  iterator = field
                                  content {
                                    field_id = field.value.FieldId
                                    column {
                                      data_set_identifier = field.value.Column.DataSetIdentifier
                                      column_name         = field.value.Column.ColumnName
                                    }

                                    dynamic "aggregation_function" {
                                      for_each = try([field.value.AggregationFunction], [])
                                      iterator = aggregation
                                      content {
                                        simple_numerical_aggregation = try(aggregation.value.SimpleNumericalAggregation, null)
                                      }
                                    }
                                  }
                                }
                                dynamic "categorical_measure_field" {
                                  for_each = try([measure.value.CategoricalMeasureField], [])
                                  iterator = field
                                  content {
                                    field_id             = field.value.FieldId
                                    aggregation_function = try(field.value.AggregationFunction, null)
                                    column {
                                      data_set_identifier = field.value.Column.DataSetIdentifier
                                      column_name         = field.value.Column.ColumnName
                                    }
                                  }
                                }
                              }
                            }
                          }
                        }
                      }
                    }

                    dynamic "sort_configuration" {
                      for_each = try([chart.value.SortConfiguration], [])
                      iterator = sorting
                      content {
                        dynamic "row_sort" {
                          for_each = try(sorting.value.RowSort, [])
                          iterator = sort
                          content {
                            dynamic "field_sort" {
                              for_each = try([sort.value.FieldSort], [])
                              content {
                                field_id  = field_sort.value.FieldId
                                direction = field_sort.value.Direction
                              }
                            }
                          }
                        }

                        dynamic "pagination_configuration" {
                          for_each = try([sorting.value.PaginationConfiguration], [])
                          iterator = pagination
                          content {
                            page_size   = pagination.value.PageSize
                            page_number = pagination.value.PageNumber
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }

    dynamic "filter_groups" {
      for_each = try(local.analysis.FilterGroups, [])
      iterator = group
      content {
        filter_group_id = group.value.FilterGroupId
        cross_dataset   = group.value.CrossDataset
        status          = try(group.value.Status, null)

        dynamic "filters" {
          for_each = group.value.Filters
          iterator = filter
          content {
            dynamic "numeric_range_filter" {
              for_each = try([filter.value.NumericRangeFilter], [])
              iterator = range
              content {
                filter_id       = range.value.FilterId
                include_minimum = try(range.value.IncludeMinimum, null)
                null_option     = range.value.NullOption
                column {
                  data_set_identifier = range.value.Column.DataSetIdentifier
                  column_name         = range.value.Column.ColumnName
                }

                dynamic "range_minimum" {
                  for_each = try([range.value.RangeMinimum], [])
                  iterator = minimum
                  content {
                    static_value = try(minimum.value.StaticValue, null)
                  }
                }
              }
            }
          }
        }

        dynamic "scope_configuration" {
          for_each = [group.value.ScopeConfiguration]
          iterator = scope
          content {
            dynamic "selected_sheets" {
              for_each = try([scope.value.SelectedSheets], [])
              iterator = selected
              content {
                dynamic "sheet_visual_scoping_configurations" {
                  for_each = try(selected.value.SheetVisualScopingConfigurations, [])
                  iterator = scoping
                  content {
                    sheet_id   = scoping.value.SheetId
                    scope      = scoping.value.Scope
                    visual_ids = try(scoping.value.VisualIds, null)
                  }
                }
              }
            }
          }
        }
      }
    }

    dynamic "analysis_defaults" {
      for_each = try([local.analysis.AnalysisDefaults], [])
      iterator = defaults
      content {
        dynamic "default_new_sheet_configuration" {
          for_each = [defaults.value.DefaultNewSheetConfiguration]
          iterator = new_sheet
          content {
            sheet_content_type = try(new_sheet.value.SheetContentType, null)
          }
        }
      }
    }
  }

  permissions {
    principal = aws_quicksight_group.readers.arn
    actions   = local.read_only_actions.analysis
  }

  lifecycle {
    precondition {
      condition     = alltrue([for declaration in local.analysis.DataSetIdentifierDeclarations : contains(keys(local.data_sets), declaration.Identifier)])
      error_message = "generated/quicksight/${local.index.analysis.file}: every DataSetIdentifier must be a mart of the index's dataSets (${join(", ", keys(local.data_sets))})."
    }
    precondition {
      condition     = length(local.unmapped_analysis_members) == 0
      error_message = "generated/quicksight/${local.index.analysis.file} uses API members this module does not map (they would be dropped): ${join(", ", local.unmapped_analysis_members)}. Add the blocks to infra/modules/quicksight/analysis.tf and the paths to local.mapped_member_leaves (members.tf)."
    }
    precondition {
      condition     = local.member_check_complete
      error_message = "generated/quicksight/ nests deeper than the member check of infra/modules/quicksight/members.tf reaches: add a level there."
    }
  }
}
