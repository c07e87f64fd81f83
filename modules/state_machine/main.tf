data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.id
  type       = upper(var.type)

  # Built from the name so the role's policy can refer to the state machine
  # without depending on it (the state machine depends on the role).
  state_machine_arn = "arn:${local.partition}:states:${local.region}:${local.account_id}:stateMachine:${var.name}"
}

data "aws_iam_policy_document" "assume_role" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }

    # Confused-deputy guard: only Step Functions acting for this account.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = var.role_name
  assume_role_policy = data.aws_iam_policy_document.assume_role.json
}

# The role's statements: what the definition calls (the caller's), then what
# the module's own logging, tracing and encryption settings need.
locals {
  policy_statements = concat(
    var.policy_statements,
    [
      {
        # logging_configuration: Step Functions sets up vended-log delivery as
        # the role. These actions support no resource narrower than "*".
        # https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html
        sid = "ManageLogDelivery"
        actions = [
          "logs:CreateLogDelivery",
          "logs:GetLogDelivery",
          "logs:UpdateLogDelivery",
          "logs:DeleteLogDelivery",
          "logs:ListLogDeliveries",
          "logs:PutResourcePolicy",
          "logs:DescribeResourcePolicies",
          "logs:DescribeLogGroups",
        ]
        resources = ["*"]
      },
    ],
    # EXPRESS workflows have no execution history; their events are written
    # straight to the log group.
    local.type == "EXPRESS" ? [
      {
        sid       = "WriteExecutionLogs"
        actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
      },
    ] : [],
    [
      {
        # tracing_configuration: X-Ray actions support no resource narrower than "*".
        # https://docs.aws.amazon.com/step-functions/latest/dg/xray-iam.html
        sid = "SendTraces"
        actions = [
          "xray:PutTraceSegments",
          "xray:PutTelemetryRecords",
          "xray:GetSamplingRules",
          "xray:GetSamplingTargets",
        ]
        resources = ["*"]
      },
      {
        # encryption_configuration: executions read and write their state and
        # history under the key, for this state machine only.
        # https://docs.aws.amazon.com/step-functions/latest/dg/encryption-at-rest.html
        sid       = "UseStateMachineKey"
        actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
        resources = [var.kms_key_arn]
        conditions = [{
          test     = "StringEquals"
          variable = "kms:EncryptionContext:aws:states:stateMachineArn"
          values   = [local.state_machine_arn]
        }]
      },
      {
        # An encrypted state machine with logging on also needs a data key for
        # the log delivery (same page as above).
        sid       = "EncryptLogDelivery"
        actions   = ["kms:GenerateDataKey"]
        resources = [var.kms_key_arn]
        conditions = [{
          test     = "ArnLike"
          variable = "kms:EncryptionContext:SourceArn"
          values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:*"]
        }]
      },
    ],
  )
}

module "policy" {
  source = "../policy_document"

  statements = local.policy_statements
}

# Inline, so the role's permissions live and die with the role (an
# aws_iam_policy_attachment would be exclusive across the whole account).
resource "aws_iam_role_policy" "this" {
  name   = var.name
  role   = aws_iam_role.this.id
  policy = module.policy.json
}

resource "aws_cloudwatch_log_group" "this" {
  name              = var.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_sfn_state_machine" "this" {
  # checkov:skip=CKV_AWS_285:Execution data is left out of the logs on purpose: inputs and outputs hold phone numbers and email addresses. Events, states and errors are still logged.
  name       = var.name
  type       = local.type
  role_arn   = aws_iam_role.this.arn
  definition = var.definition

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.this.arn}:*"
    include_execution_data = false
    level                  = var.log_level
  }

  tracing_configuration {
    enabled = true
  }

  encryption_configuration {
    type                              = "CUSTOMER_MANAGED_KMS_KEY"
    kms_key_id                        = var.kms_key_arn
    kms_data_key_reuse_period_seconds = var.kms_data_key_reuse_period_seconds
  }


  # Step Functions checks the role's logging permissions when the state
  # machine is created, so the policy must be in place first.
  depends_on = [aws_iam_role_policy.this]
}
