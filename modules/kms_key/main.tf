data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.id

  # Built from names, not from the log group resources, because those are
  # encrypted with this key and would otherwise depend on it in a cycle.
  log_group_arns = [
    for name in var.log_group_names :
    "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${name}"
  ]
}

# A key policy, not an IAM policy: its "Resource": "*" means this key and
# nothing else, so the IAM checks below misread it.
data "aws_iam_policy_document" "this" {
  # checkov:skip=CKV_AWS_356:Key policy: "*" is the only Resource KMS documents for a key policy and means this key alone.
  # checkov:skip=CKV_AWS_109:Key policy: kms:* for the account root is AWS's default statement that lets IAM policies govern the key; without it the key can become unmanageable.
  # checkov:skip=CKV_AWS_111:Key policy: the writes are kms:* on this key for the account root (AWS's default statement); the service statements are limited by log-group and source-account conditions.
  # Hands access control to IAM: the state machine role, the deployer and
  # anything else in the account get the key only through their IAM policies.
  statement {
    sid       = "EnableIamPolicies"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  # CloudWatch Logs encrypts the stack's log groups, and only those.
  # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
  dynamic "statement" {
    for_each = length(local.log_group_arns) > 0 ? [local.log_group_arns] : []

    content {
      sid = "EncryptLogGroups"
      actions = [
        "kms:Encrypt*",
        "kms:Decrypt*",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:Describe*",
      ]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["logs.${local.region}.amazonaws.com"]
      }

      condition {
        test     = "ArnEquals"
        variable = "kms:EncryptionContext:aws:logs:arn"
        values   = statement.value
      }
    }
  }

  # A state machine encrypted with this key delivers its logs through the
  # vended-logs service, which must decrypt the state machine's data.
  # https://docs.aws.amazon.com/step-functions/latest/dg/encryption-at-rest.html
  statement {
    sid       = "DecryptForLogDelivery"
    actions   = ["kms:Decrypt"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["delivery.logs.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  # DynamoDB checks the state of a table's customer managed key on its own
  # behalf. Reads and writes still need IAM permission on the caller's side.
  # https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html
  statement {
    sid       = "DescribeKeyForDynamoDb"
    actions   = ["kms:Describe*", "kms:Get*", "kms:List*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["dynamodb.amazonaws.com"]
    }
  }

  # SNS needs no statement here: the topic's publisher (the state machine
  # role) is in this account and gets kms:GenerateDataKey/Decrypt from IAM.

  # An AWS service that publishes to a topic this key encrypts (CloudWatch
  # alarms) is no IAM principal of the account: the key policy names it, as
  # AWS documents, without conditions the service does not send. Give such a
  # service a key of its own, so this is all it can use it for.
  # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
  dynamic "statement" {
    for_each = length(var.publishing_services) > 0 ? [var.publishing_services] : []

    content {
      sid       = "PublishToEncryptedTopics"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = statement.value
      }
    }
  }
}

resource "aws_kms_key" "this" {
  description             = var.description
  deletion_window_in_days = var.deletion_window_days
  enable_key_rotation     = true
  policy                  = data.aws_iam_policy_document.this.json
}

resource "aws_kms_alias" "this" {
  name          = var.alias
  target_key_id = aws_kms_key.this.key_id
}
