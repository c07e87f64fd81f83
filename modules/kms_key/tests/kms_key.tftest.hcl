# modules/kms_key, offline: `terraform -chdir=modules/kms_key test` (after
# `terraform init -backend=false`). The AWS provider is mocked: nothing is
# created and no credentials are read.

# The mocked provider's answers are the root module's (tests/terraform/mocks):
# account 123456789012, us-east-1.
mock_provider "aws" {
  source = "../../tests/terraform/mocks"
}

override_resource {
  target = aws_kms_key.this
  values = {
    arn    = "arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111"
    key_id = "11111111-1111-1111-1111-111111111111"
  }
}

# The key policy document: the key must carry exactly this JSON.
override_data {
  target = data.aws_iam_policy_document.this
  values = {
    json = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"RenderedByTheDocument\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::123456789012:root\"},\"Action\":\"kms:*\",\"Resource\":\"*\"}]}"
  }
}

variables {
  alias       = "alias/demo"
  description = "Encrypts the demo stack."
  log_group_names = [
    "/aws/vendedlogs/states/demo-notification",
    "/aws/lambda/demo-reserve",
  ]
}

run "key_and_alias" {
  assert {
    condition     = aws_kms_alias.this.name == "alias/demo" && aws_kms_alias.this.target_key_id == "11111111-1111-1111-1111-111111111111"
    error_message = "The alias must be var.alias and point at the key."
  }
  assert {
    condition     = aws_kms_key.this.enable_key_rotation == true
    error_message = "Automatic key rotation must be on."
  }
  assert {
    condition     = aws_kms_key.this.deletion_window_in_days == 30 && aws_kms_key.this.description == "Encrypts the demo stack."
    error_message = "The deletion window must default to 30 days, and the description must be var.description."
  }
  assert {
    condition     = jsondecode(aws_kms_key.this.policy).Statement[0].Sid == "RenderedByTheDocument"
    error_message = "The key's policy must be the rendered policy document."
  }
  assert {
    condition     = output.arn == "arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111"
    error_message = "Output arn must be the key's ARN."
  }
}

run "key_policy" {
  assert {
    condition     = [for s in data.aws_iam_policy_document.this.statement : s.sid] == ["EnableIamPolicies", "EncryptLogGroups", "DecryptForLogDelivery", "DescribeKeyForDynamoDb"]
    error_message = "Statements: ${jsonencode([for s in data.aws_iam_policy_document.this.statement : s.sid])}."
  }
  assert {
    condition = (
      jsonencode(data.aws_iam_policy_document.this.statement[0].principals) == jsonencode([{ type = "AWS", identifiers = ["arn:aws:iam::123456789012:root"] }]) &&
      toset(data.aws_iam_policy_document.this.statement[0].actions) == toset(["kms:*"])
    )
    error_message = "EnableIamPolicies must hand the key to this account's IAM (its root), and no one else."
  }
  assert {
    condition = (
      jsonencode(data.aws_iam_policy_document.this.statement[1].principals) == jsonencode([{ type = "Service", identifiers = ["logs.us-east-1.amazonaws.com"] }]) &&
      jsonencode(data.aws_iam_policy_document.this.statement[1].condition) == jsonencode([{
        test     = "ArnEquals"
        variable = "kms:EncryptionContext:aws:logs:arn"
        values = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/demo-notification",
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/demo-reserve",
        ]
      }])
    )
    error_message = "EncryptLogGroups must let CloudWatch Logs of this region use the key for the named log groups only: ${jsonencode(data.aws_iam_policy_document.this.statement[1])}."
  }
  assert {
    condition = (
      toset(data.aws_iam_policy_document.this.statement[2].actions) == toset(["kms:Decrypt"]) &&
      jsonencode(data.aws_iam_policy_document.this.statement[2].principals) == jsonencode([{ type = "Service", identifiers = ["delivery.logs.amazonaws.com"] }]) &&
      jsonencode(data.aws_iam_policy_document.this.statement[2].condition) == jsonencode([{ test = "StringEquals", variable = "aws:SourceAccount", values = ["123456789012"] }])
    )
    error_message = "DecryptForLogDelivery must let log delivery decrypt, for this account only."
  }
  assert {
    condition = (
      toset(data.aws_iam_policy_document.this.statement[3].actions) == toset(["kms:Describe*", "kms:Get*", "kms:List*"]) &&
      jsonencode(data.aws_iam_policy_document.this.statement[3].principals) == jsonencode([{ type = "Service", identifiers = ["dynamodb.amazonaws.com"] }])
    )
    error_message = "DescribeKeyForDynamoDb must let DynamoDB read the key's state, nothing more."
  }
}

run "no_log_groups_no_logs_statement" {
  command = plan
  variables {
    log_group_names = []
  }
  assert {
    condition     = [for s in data.aws_iam_policy_document.this.statement : s.sid] == ["EnableIamPolicies", "DecryptForLogDelivery", "DescribeKeyForDynamoDb"]
    error_message = "Without log groups, CloudWatch Logs must get no statement."
  }
}

# Variable validations ------------------------------------------------------------
#
# Each validation is broken by a run that lists its variable in expect_failures.
# Terraform checks each variable on its own, so one run breaks several; if a
# validation is removed or weakened, the run fails with "missing expected
# failure" naming the variable. The edge runs must plan.

run "an_alias_without_the_prefix_and_a_6_day_window_are_rejected" {
  command = plan
  variables {
    alias                = "demo"
    deletion_window_days = 6
  }
  expect_failures = [
    var.alias,
    var.deletion_window_days,
  ]
}

run "the_reserved_alias_prefix_and_a_31_day_window_are_rejected" {
  command = plan
  variables {
    alias                = "alias/aws/demo"
    deletion_window_days = 31
  }
  expect_failures = [
    var.alias,
    var.deletion_window_days,
  ]
}

run "a_fractional_window_is_rejected" {
  command = plan
  variables {
    deletion_window_days = 7.5
  }
  expect_failures = [var.deletion_window_days]
}

run "edges_are_accepted" {
  command = plan
  variables {
    # Starts like the reserved prefix, but is not under alias/aws/.
    alias                = "alias/awsome"
    deletion_window_days = 7
  }
  assert {
    condition     = aws_kms_alias.this.name == "alias/awsome" && aws_kms_key.this.deletion_window_in_days == 7
    error_message = "alias/awsome and a 7-day window must be accepted and used (30, the default, is the upper edge)."
  }
}
