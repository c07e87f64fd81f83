data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account_id     = data.aws_caller_identity.current.account_id
  partition      = data.aws_partition.current.partition
  region         = data.aws_region.current.id
  log_group_name = "/aws/lambda/${var.name}"

  # Built from the name, as modules/state_machine builds its ARN: the policy
  # then names the log group without depending on it.
  log_group_arn = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group_name}"
}

data "aws_iam_policy_document" "assume_role" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = var.name
  assume_role_policy = data.aws_iam_policy_document.assume_role.json
}

# The role's statements: what the function's code calls (the caller's), then
# what the module's own logging and tracing settings need.
locals {
  policy_statements = concat(var.policy_statements, [
    {
      # The function's own log group, created below (not by Lambda), so the
      # role needs no logs:CreateLogGroup.
      sid       = "WriteLogs"
      actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      resources = ["${local.log_group_arn}:*"]
    },
    {
      # tracing_config Active: X-Ray actions support no resource narrower than "*".
      # https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html
      sid       = "SendTraces"
      actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      resources = ["*"]
    },
  ])
}

module "policy" {
  source = "../policy_document"

  statements = local.policy_statements
}

# Inline, so the role's permissions live and die with the role.
resource "aws_iam_role_policy" "this" {
  name   = var.name
  role   = aws_iam_role.this.id
  policy = module.policy.json
}

resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_lambda_function" "this" {
  # checkov:skip=CKV_AWS_116:Invoked synchronously by Step Functions only: a failure returns to the state machine, which retries it or compensates. A dead-letter queue only receives failed asynchronous invocations, which never happen here.
  # checkov:skip=CKV_AWS_117:The function reaches only DynamoDB's regional endpoint, with IAM. No VPC resource to reach, so a VPC would add NAT or endpoint cost and no isolation; add vpc_config where policy requires it.
  # checkov:skip=CKV_AWS_272:Deployed from a zip the project builds reproducibly (scripts/package_lambdas.py); code signing needs an AWS Signer profile and a signed S3 artifact pipeline, outside this reference stack.
  function_name                  = var.name
  description                    = var.description
  role                           = aws_iam_role.this.arn
  handler                        = var.handler
  runtime                        = var.runtime
  filename                       = var.package_file
  source_code_hash               = filebase64sha256(var.package_file)
  timeout                        = var.timeout_seconds
  memory_size                    = var.memory_size
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = var.kms_key_arn

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.this.name
  }

  dynamic "environment" {
    for_each = length(var.environment) > 0 ? [var.environment] : []

    content {
      variables = environment.value
    }
  }

  # Lambda checks the role when the function is created, and the first
  # invocation writes to the log group.
  depends_on = [aws_iam_role_policy.this, aws_cloudwatch_log_group.this]
}
