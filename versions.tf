terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = "~> 2.4"
    }
  }
}

locals {
  # Any endpoint override means an emulator: it has no real credentials,
  # account or instance metadata for the provider to check.
  use_emulator = length(var.aws_endpoints) > 0
}

provider "aws" {
  region = var.region

  skip_credentials_validation = local.use_emulator
  skip_requesting_account_id  = local.use_emulator
  skip_metadata_api_check     = local.use_emulator

  default_tags {
    tags = var.tags
  }

  # Every service the stack (and its tests) touch; services missing from
  # var.aws_endpoints keep their AWS endpoint.
  dynamic "endpoints" {
    for_each = local.use_emulator ? [var.aws_endpoints] : []

    content {
      cloudwatch = lookup(endpoints.value, "cloudwatch", null)
      dynamodb   = lookup(endpoints.value, "dynamodb", null)
      iam        = lookup(endpoints.value, "iam", null)
      kms        = lookup(endpoints.value, "kms", null)
      lambda     = lookup(endpoints.value, "lambda", null)
      logs       = lookup(endpoints.value, "logs", null)
      ses        = lookup(endpoints.value, "ses", null)
      sesv2      = lookup(endpoints.value, "sesv2", null)
      sfn        = lookup(endpoints.value, "sfn", null)
      sns        = lookup(endpoints.value, "sns", null)
      sqs        = lookup(endpoints.value, "sqs", null)
      sts        = lookup(endpoints.value, "sts", null)
    }
  }
}
