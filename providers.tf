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
