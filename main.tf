# The root module, one file per part:
#   main.tf          what both workflows share: the account and partition deployed to
#   notification.tf  the notification workflow, its key, table, topic and sender identity
#   orders.tf        the order saga, its key, tables, approval queue and functions
#   ingress.tf       the API that starts both workflows
#   alarms.tf        the alarms on both, and their topic
#   locals.tf        every resource name, and the retriers both definitions share
#   providers.tf, versions.tf, variables.tf, outputs.tf

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
}
