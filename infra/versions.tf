terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # One exact version: the hashes in .terraform.lock.hcl (infra/README, "Provider lock") are for it, and a range
      # would let a new init pick another release. 5.81 made thumbprint_list of the OIDC provider optional; releases
      # before 5.83 sent a data set's column descriptions empty, which QuickSight refuses (hashicorp/terraform-provider-aws#39912).
      version = "5.100.0"
    }
  }

  # Remote state in S3 with DynamoDB locking. The values live outside the code (no account ids here):
  #   terraform -chdir=infra init -backend-config=backend.hcl
  # with backend.hcl written from backend.hcl.example; the bucket and table come from infra/bootstrap/.
  backend "s3" {}
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = {
      project    = var.project
      managed_by = "terraform"
      repository = "${var.github_org}/${var.github_repo}"
    }
  }
}
