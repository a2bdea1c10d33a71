# QuickSight on the Snowflake marts. Everything that comes from a contract is read from the generator's QuickSight
# layer (generated/quicksight/): the index quicksight.json (data source, reader group, analysis, data sets), one
# CreateDataSet request body per mart (datasets/<mart>.json) and the analysis definition (analysis.json), all in the
# QuickSight API's shapes. This module maps those shapes onto the provider's blocks, member by member: a member it
# does not map stops the plan (members.tf) instead of being dropped.
#
# Access: one QuickSight group, and only read-only action sets on every resource. Credentials: a Secrets Manager
# secret named by ARN, so no user name or password is in the code or the state. Refresh: no schedule; the Airflow
# DAG reloads SPICE after each successful dbt build, with the IAM policy at the end of this file.

locals {
  generated_dir = "${var.repository_root}/generated/quicksight"
  index         = jsondecode(file("${local.generated_dir}/quicksight.json"))
  analysis      = jsondecode(file("${local.generated_dir}/${local.index.analysis.file}"))

  # mart => its index entry plus `body`, the CreateDataSet request of datasets/<mart>.json.
  data_sets = {
    for data_set in local.index.dataSets : data_set.mart => merge(data_set, {
      body = jsondecode(file("${local.generated_dir}/${data_set.file}"))
    })
  }

  reader_group_name = coalesce(var.reader_group_name, local.index.readerGroup)

  # The read-only ("viewer") action sets QuickSight grants per resource type: see, use in an analysis, no change.
  # https://docs.aws.amazon.com/quicksight/latest/APIReference/API_ResourcePermission.html
  # https://docs.aws.amazon.com/quicksight/latest/user/sharing-data-sets.html (Viewer)
  read_only_actions = {
    data_source = ["quicksight:DescribeDataSource", "quicksight:DescribeDataSourcePermissions", "quicksight:PassDataSource"]
    data_set    = ["quicksight:DescribeDataSet", "quicksight:DescribeDataSetPermissions", "quicksight:DescribeIngestion", "quicksight:ListIngestions", "quicksight:PassDataSet"]
    analysis    = ["quicksight:DescribeAnalysis", "quicksight:DescribeAnalysisPermissions", "quicksight:QueryAnalysis"]
  }
}

resource "aws_quicksight_group" "readers" {
  group_name  = local.reader_group_name
  namespace   = "default"
  description = "Read-only access to the ${local.index.analysis.name} data sets and analysis (managed by Terraform)."
}

resource "aws_quicksight_data_source" "this" {
  data_source_id = local.index.dataSource.id
  name           = "${local.index.dataSource.database} (Snowflake)"
  type           = "SNOWFLAKE"

  # The provider's snowflake block has no role (QuickSight's API has DatabaseAccessControlRole, which the pinned
  # provider does not map): the reporter user's DEFAULT_ROLE must be the generator's dataSource.role, the role the dbt
  # project grants SELECT on the marts.
  parameters {
    snowflake {
      host      = var.snowflake_host
      database  = local.index.dataSource.database
      warehouse = local.index.dataSource.warehouse
    }
  }

  # Only the secret's ARN: QuickSight reads the secret itself (its Secrets Manager role must be allowed to, see
  # infra/README.md). https://docs.aws.amazon.com/quicksight/latest/user/secrets-manager-integration.html
  credentials {
    secret_arn = var.snowflake_secret_arn
  }

  ssl_properties {
    disable_ssl = false
  }

  dynamic "vpc_connection_properties" {
    for_each = var.vpc_connection_arn == null ? [] : [var.vpc_connection_arn]
    content {
      vpc_connection_arn = vpc_connection_properties.value
    }
  }

  permission {
    principal = aws_quicksight_group.readers.arn
    actions   = local.read_only_actions.data_source
  }
}

resource "aws_quicksight_data_set" "this" {
  for_each = local.data_sets

  data_set_id = each.value.body.DataSetId
  name        = each.value.body.Name
  import_mode = each.value.body.ImportMode

  # PhysicalTableMap: table id => PhysicalTable; the provider makes the map key an attribute.
  dynamic "physical_table_map" {
    for_each = each.value.body.PhysicalTableMap
    iterator = table
    content {
      physical_table_map_id = table.key

      dynamic "relational_table" {
        for_each = try([table.value.RelationalTable], [])
        iterator = relational
        content {
          data_source_arn = aws_quicksight_data_source.this.arn
          catalog         = try(relational.value.Catalog, null)
          schema          = try(relational.value.Schema, null)
          name            = relational.value.Name

          dynamic "input_columns" {
            for_each = relational.value.InputColumns
            iterator = column
            content {
              name = column.value.Name
              type = column.value.Type
            }
          }
        }
      }
    }
  }

  dynamic "logical_table_map" {
    for_each = each.value.body.LogicalTableMap
    iterator = table
    content {
      logical_table_map_id = table.key
      alias                = table.value.Alias

      dynamic "source" {
        for_each = [table.value.Source]
        iterator = source
        content {
          physical_table_id = try(source.value.PhysicalTableId, null)
        }
      }

      # Order matters (a rename comes before the tags and casts that use the new name): a list, kept as generated.
      dynamic "data_transforms" {
        for_each = try(table.value.DataTransforms, [])
        iterator = transform
        content {
          dynamic "rename_column_operation" {
            for_each = try([transform.value.RenameColumnOperation], [])
            iterator = operation
            content {
              column_name     = operation.value.ColumnName
              new_column_name = operation.value.NewColumnName
            }
          }

          dynamic "cast_column_type_operation" {
            for_each = try([transform.value.CastColumnTypeOperation], [])
            iterator = operation
            content {
              column_name     = operation.value.ColumnName
              new_column_type = operation.value.NewColumnType
              format          = try(operation.value.Format, null)
            }
          }

          dynamic "tag_column_operation" {
            for_each = try([transform.value.TagColumnOperation], [])
            iterator = operation
            content {
              column_name = operation.value.ColumnName

              dynamic "tags" {
                for_each = operation.value.Tags
                iterator = tag
                content {
                  dynamic "column_description" {
                    for_each = try([tag.value.ColumnDescription], [])
                    iterator = description
                    content {
                      text = try(description.value.Text, null)
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

  permissions {
    principal = aws_quicksight_group.readers.arn
    actions   = local.read_only_actions.data_set
  }

  lifecycle {
    precondition {
      condition     = each.value.body.DataSetId == each.value.id
      error_message = "generated/quicksight/${each.value.file}: DataSetId ${each.value.body.DataSetId} differs from the index's id ${each.value.id}; run `npm run generate`."
    }
    precondition {
      condition     = each.value.body.ImportMode == "SPICE"
      error_message = "generated/quicksight/${each.value.file}: ImportMode ${each.value.body.ImportMode} is not SPICE; the Airflow DAG's refresh (CreateIngestion) only applies to SPICE data sets."
    }
    precondition {
      condition     = length(local.unmapped_data_set_members) == 0
      error_message = "The generated data sets use API members this module does not map (they would be dropped): ${join(", ", local.unmapped_data_set_members)}. Add the blocks to infra/modules/quicksight/main.tf and the paths to local.mapped_member_leaves (members.tf)."
    }
    precondition {
      condition     = local.member_check_complete
      error_message = "generated/quicksight/ nests deeper than the member check of infra/modules/quicksight/members.tf reaches: add a level there."
    }
  }
}

# SPICE is reloaded by the Airflow DAG (generated/airflow/dags/amazon_reviews_dbt.py, task refresh_quicksight) after
# each successful dbt build, never by a clock: a mart rebuilt by a build whose tests failed, or one still running, never
# reaches the dashboards. The DAG's AWS role needs this policy: start, follow and cancel the ingestions of exactly these
# data sets (resource types dataset and ingestion: dataset/<id>/ingestion/<ingestion id>). The DAG's default account
# comes from sts:GetCallerIdentity, which needs no permission.
# https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonquicksight.html
data "aws_iam_policy_document" "refresh" {
  statement {
    sid     = "RefreshDataSets"
    actions = ["quicksight:CancelIngestion", "quicksight:CreateIngestion", "quicksight:DescribeIngestion"]
    resources = concat(
      [for data_set in aws_quicksight_data_set.this : data_set.arn],
      [for data_set in aws_quicksight_data_set.this : "${data_set.arn}/ingestion/*"],
    )
  }
}

resource "aws_iam_policy" "refresh" {
  name        = var.refresh_policy_name
  description = "Reload the SPICE data sets of the ${local.index.analysis.name} analysis (CreateIngestion, DescribeIngestion, CancelIngestion): for the Airflow DAG's role."
  policy      = data.aws_iam_policy_document.refresh.json
}

# Attached to the Airflow deployment's role by the root module (airflow_role_name), with the DAG's other policy.
