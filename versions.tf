terraform {
  required_version = ">= 1.9"

  # 5.100 is the oldest release this stack is tested with; 6.x is what a new
  # `terraform init` installs. Nothing here uses an attribute only one of them has.
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 7.0"
    }
  }
}

# Credentials, account and endpoints come from the environment, as for any AWS
# provider. Emulators are reached the way LocalStack users reach theirs: an
# `*_override.tf` file in the working directory (written by the test harness, or
# by terraform-local), never by variables of this module.
provider "aws" {
  region = var.region

  default_tags {
    tags = var.tags
  }
}
