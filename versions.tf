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
