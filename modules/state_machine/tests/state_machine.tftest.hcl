# modules/state_machine, offline: `terraform -chdir=modules/state_machine test`
# (after `terraform init -backend=false`). The AWS provider is mocked: nothing is
# created and no credentials are read. The runs that check ARNs apply (a
# mocked apply gives computed attributes their values; a plan leaves them
# unknown); the validation runs only plan.

# The mocked provider's answers are the root module's (tests/terraform/mocks):
# account 123456789012, us-east-1, so the ARNs the module builds itself (the
# state machine's, for the key condition) can be compared.
mock_provider "aws" {
  source = "../../tests/terraform/mocks"
}

override_resource {
  target = aws_cloudwatch_log_group.this
  values = {
    arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/demo"
  }
}

override_resource {
  target = aws_sfn_state_machine.this
  values = {
    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:demo"
  }
}

# The role's policy, as modules/policy_document renders it (its own tests
# check the rendering): the role policy must carry exactly this JSON.
override_module {
  target = module.policy
  outputs = {
    json = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"RenderedByTheDocument\",\"Effect\":\"Allow\",\"Action\":\"states:StartExecution\",\"Resource\":\"*\"}]}"
  }
}

variables {
  name           = "demo"
  role_name      = "demo-sfn"
  log_group_name = "/aws/vendedlogs/states/demo"
  kms_key_arn    = "arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111"
  definition     = "{\"StartAt\":\"Done\",\"States\":{\"Done\":{\"Type\":\"Succeed\"}}}"
  policy_statements = [
    {
      sid       = "RecordStatus"
      actions   = ["dynamodb:PutItem", "dynamodb:UpdateItem"]
      resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/demo-status"]
    },
    {
      sid       = "PutMetric"
      actions   = ["cloudwatch:PutMetricData"]
      resources = ["*"]
      conditions = [{
        test     = "StringEquals"
        variable = "cloudwatch:namespace"
        values   = ["Demo/Metrics"]
      }]
    },
  ]
}

# Naming, encryption, tracing, logging and retention of a STANDARD machine ------

run "standard_machine" {

  assert {
    condition     = aws_sfn_state_machine.this.name == "demo" && aws_sfn_state_machine.this.type == "STANDARD"
    error_message = "The state machine must be named after var.name and default to STANDARD."
  }
  assert {
    condition     = aws_sfn_state_machine.this.definition == var.definition
    error_message = "The state machine must run the definition it is given, unchanged."
  }
  assert {
    condition     = aws_iam_role.this.name == "demo-sfn" && aws_sfn_state_machine.this.role_arn == aws_iam_role.this.arn
    error_message = "The state machine must run as its own role, named role_name."
  }
  assert {
    condition     = aws_iam_role_policy.this.name == "demo" && aws_iam_role_policy.this.role == aws_iam_role.this.id
    error_message = "The inline policy must be named after the state machine and attached to its role."
  }
  assert {
    condition     = aws_cloudwatch_log_group.this.name == "/aws/vendedlogs/states/demo"
    error_message = "The log group must be named log_group_name."
  }
  assert {
    condition     = aws_cloudwatch_log_group.this.retention_in_days == 365
    error_message = "The log group must keep logs log_retention_days (365 by default)."
  }
  assert {
    condition     = aws_cloudwatch_log_group.this.kms_key_id == var.kms_key_arn
    error_message = "The log group must be encrypted with the given key."
  }
  assert {
    condition = (
      one(aws_sfn_state_machine.this.encryption_configuration).type == "CUSTOMER_MANAGED_KMS_KEY" &&
      one(aws_sfn_state_machine.this.encryption_configuration).kms_key_id == var.kms_key_arn &&
      one(aws_sfn_state_machine.this.encryption_configuration).kms_data_key_reuse_period_seconds == 300
    )
    error_message = "The state machine must be encrypted with the given customer managed key."
  }
  assert {
    condition     = one(aws_sfn_state_machine.this.tracing_configuration).enabled == true
    error_message = "X-Ray tracing must be on."
  }
  assert {
    condition = (
      one(aws_sfn_state_machine.this.logging_configuration).level == "ALL" &&
      one(aws_sfn_state_machine.this.logging_configuration).include_execution_data == false &&
      one(aws_sfn_state_machine.this.logging_configuration).log_destination == "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/demo:*"
    )
    error_message = "Logging must go to the module's log group at log_level, without execution data."
  }
  assert {
    condition     = output.arn == "arn:aws:states:us-east-1:123456789012:stateMachine:demo"
    error_message = "Output arn must be the state machine's ARN."
  }
}

# The role: the caller's statements, unchanged and first, then the module's own

run "policy_grants_the_statements_given_then_its_own" {

  assert {
    condition = [for s in local.policy_statements : s.sid] == [
      "RecordStatus", "PutMetric", "ManageLogDelivery", "SendTraces", "UseStateMachineKey", "EncryptLogDelivery",
    ]
    error_message = "Statements: ${jsonencode([for s in local.policy_statements : s.sid])}."
  }
  assert {
    condition     = jsonencode(slice(local.policy_statements, 0, 2)) == jsonencode(var.policy_statements)
    error_message = "The statements given must come first, unchanged: ${jsonencode(local.policy_statements)}."
  }
  assert {
    condition = jsonencode(local.policy_statements[4]) == jsonencode({
      sid       = "UseStateMachineKey"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [var.kms_key_arn]
      conditions = [{
        test     = "StringEquals"
        variable = "kms:EncryptionContext:aws:states:stateMachineArn"
        values   = ["arn:aws:states:us-east-1:123456789012:stateMachine:demo"]
      }]
    })
    error_message = "UseStateMachineKey must grant the key for this state machine's encryption context only."
  }
  assert {
    condition = jsonencode(local.policy_statements[5]) == jsonencode({
      sid       = "EncryptLogDelivery"
      actions   = ["kms:GenerateDataKey"]
      resources = [var.kms_key_arn]
      conditions = [{
        test     = "ArnLike"
        variable = "kms:EncryptionContext:SourceArn"
        values   = ["arn:aws:logs:us-east-1:123456789012:*"]
      }]
    })
    error_message = "EncryptLogDelivery must grant a data key for this account's log delivery only."
  }
  assert {
    condition = (
      local.policy_statements[3].actions == ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"] &&
      local.policy_statements[2].actions == ["logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"] &&
      local.policy_statements[2].resources == ["*"] && local.policy_statements[3].resources == ["*"]
    )
    error_message = "ManageLogDelivery and SendTraces must grant the vended-log and X-Ray actions, no more."
  }
  assert {
    condition     = jsondecode(aws_iam_role_policy.this.policy).Statement[0].Sid == "RenderedByTheDocument"
    error_message = "The role's policy must be the rendered policy document."
  }
  assert {
    condition = (
      one(data.aws_iam_policy_document.assume_role.statement[0].principals).identifiers == toset(["states.amazonaws.com"]) &&
      jsonencode(data.aws_iam_policy_document.assume_role.statement[0].condition) == jsonencode([{
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = ["123456789012"]
      }])
    )
    error_message = "Only Step Functions, acting for this account, may assume the role."
  }
}

# EXPRESS: no execution history, so events go to the log group, and the role may write there

run "express_machine_logs_what_it_needs" {

  variables {
    type               = "express"
    log_level          = "ERROR"
    log_retention_days = 30
  }

  assert {
    condition     = aws_sfn_state_machine.this.type == "EXPRESS"
    error_message = "type = \"express\" (any case) must give an EXPRESS state machine."
  }
  assert {
    condition = (
      one(aws_sfn_state_machine.this.logging_configuration).level == "ERROR" &&
      one(aws_sfn_state_machine.this.logging_configuration).include_execution_data == false &&
      one(aws_sfn_state_machine.this.logging_configuration).log_destination == "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/demo:*"
    )
    error_message = "An EXPRESS machine must log at log_level, to its log group, without execution data."
  }
  assert {
    condition     = aws_cloudwatch_log_group.this.retention_in_days == 30
    error_message = "log_retention_days must set the log group's retention."
  }
  assert {
    condition = [for s in local.policy_statements : s.sid] == [
      "RecordStatus", "PutMetric", "ManageLogDelivery", "WriteExecutionLogs", "SendTraces", "UseStateMachineKey", "EncryptLogDelivery",
    ]
    error_message = "Statements: ${jsonencode([for s in local.policy_statements : s.sid])}."
  }
  assert {
    condition = (
      local.policy_statements[3].actions == ["logs:CreateLogStream", "logs:PutLogEvents"] &&
      local.policy_statements[3].resources == ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/demo:*"]
    )
    error_message = "WriteExecutionLogs must grant writing to the state machine's own log group only."
  }
  assert {
    condition     = one(aws_sfn_state_machine.this.tracing_configuration).enabled && one(aws_sfn_state_machine.this.encryption_configuration).kms_key_id == var.kms_key_arn
    error_message = "An EXPRESS machine must be traced and encrypted like a STANDARD one."
  }
}

# Variable validations ------------------------------------------------------------
#
# Each validation is broken by a run that lists its variable in expect_failures.
# Terraform checks each variable on its own, so one run breaks several; if a
# validation is removed or weakened, the run fails with "missing expected
# failure" naming the variable. The edge runs must plan.

run "values_outside_their_rules_are_rejected" {
  command = plan
  variables {
    type                              = "SYNC"
    log_level                         = "DEBUG"
    kms_data_key_reuse_period_seconds = 59
  }
  expect_failures = [
    var.type,
    var.log_level,
    var.kms_data_key_reuse_period_seconds,
  ]
}

run "a_reuse_period_above_900_is_rejected" {
  command = plan
  variables {
    kms_data_key_reuse_period_seconds = 901
  }
  expect_failures = [var.kms_data_key_reuse_period_seconds]
}

run "lower_edges_are_accepted" {
  command = plan
  variables {
    log_level                         = "OFF"
    kms_data_key_reuse_period_seconds = 60
  }
  assert {
    condition = (
      one(aws_sfn_state_machine.this.logging_configuration).level == "OFF" &&
      one(aws_sfn_state_machine.this.encryption_configuration).kms_data_key_reuse_period_seconds == 60
    )
    error_message = "log_level OFF and a 60 s reuse period must be accepted and used."
  }
}

run "upper_edges_are_accepted" {
  command = plan
  variables {
    kms_data_key_reuse_period_seconds = 900
    log_level                         = "FATAL"
  }
  assert {
    condition     = one(aws_sfn_state_machine.this.encryption_configuration).kms_data_key_reuse_period_seconds == 900
    error_message = "A 900 s reuse period must be accepted and used."
  }
}
