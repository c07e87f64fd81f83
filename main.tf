# What both workflows share: the account and partition the stack is deployed
# to. Each workflow has a file of its own (notification.tf, orders.tf);
# docs/terraform.md lists the root module's files.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
}
