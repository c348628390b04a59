terraform {
  required_version = ">= 1.5.0"

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
