# Renders IAM policy documents with the AWS provider's own aws_iam_policy_document, for
# tests/infra/iam-policies.test.ts: a plan leaves a document whose statements name resources still to be created
# unread, and gives its statements (the data source's arguments) instead of its JSON. The test writes them to
# documents.json, keyed by the document's address, and the provider pinned in versions.tf (written beside this file
# by the test, with infra/'s version) renders each: `terraform apply`, then `terraform output -json documents`.
# The provider makes no AWS call: placeholder credentials, no account lookup.

provider "aws" {
  region                      = "eu-west-1"
  access_key                  = "placeholder"
  secret_key                  = "placeholder"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

locals {
  documents = jsondecode(file("${path.module}/documents.json"))
}

data "aws_iam_policy_document" "this" {
  for_each = local.documents

  version   = each.value.version
  policy_id = each.value.policy_id

  dynamic "statement" {
    for_each = each.value.statement
    content {
      sid           = statement.value.sid
      effect        = statement.value.effect
      actions       = statement.value.actions
      not_actions   = statement.value.not_actions
      resources     = statement.value.resources
      not_resources = statement.value.not_resources

      dynamic "principals" {
        for_each = statement.value.principals
        content {
          type        = principals.value.type
          identifiers = principals.value.identifiers
        }
      }

      dynamic "not_principals" {
        for_each = statement.value.not_principals
        content {
          type        = not_principals.value.type
          identifiers = not_principals.value.identifiers
        }
      }

      dynamic "condition" {
        for_each = statement.value.condition
        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

output "documents" {
  value = { for address, document in data.aws_iam_policy_document.this : address => document.json }
}
