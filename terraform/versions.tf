terraform {
  # 1.10: the S3 backend locks the state with a lock file of its own (use_lockfile in
  # backend.hcl.example), with no DynamoDB table for it.
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0, < 7.0"
    }
  }

  # The state lives in S3. Where exactly is configured outside the code, so that this
  # directory names no bucket:
  #   cp backend.hcl.example backend.hcl   # and edit it
  #   terraform init -backend-config=backend.hcl
  backend "s3" {}
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = merge({ Project = "heartbeat" }, var.tags)
  }
}
