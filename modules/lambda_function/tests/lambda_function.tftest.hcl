# modules/lambda_function, offline: the AWS provider is mocked, nothing is
# created and no credentials are read. The package must exist (its hash is
# computed at plan), so build it first and pass its path:
#
#   python3 scripts/package_lambdas.py --out build/lambdas
#   terraform -chdir=modules/lambda_function init -backend=false
#   terraform -chdir=modules/lambda_function test -var="package_file=$PWD/build/lambdas/orders.zip"
#
# tests/terraform/test_terraform_native.py does all three.

# The mocked provider's answers are the root module's (tests/terraform/mocks):
# account 123456789012, us-east-1.
mock_provider "aws" {
  source = "../../tests/terraform/mocks"
}

override_resource {
  target = aws_lambda_function.this
  values = {
    arn = "arn:aws:lambda:us-east-1:123456789012:function:demo-reserve"
  }
}

# The role's policy, as modules/policy_document renders it (its own tests
# check the rendering): the role policy must carry exactly this JSON.
override_module {
  target = module.policy
  outputs = {
    json = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"RenderedByTheDocument\",\"Effect\":\"Allow\",\"Action\":\"dynamodb:UpdateItem\",\"Resource\":\"*\"}]}"
  }
}

variables {
  name                 = "demo-reserve"
  description          = "Reserves stock."
  handler              = "reserve_inventory.lambda_handler"
  timeout_seconds      = 10
  reserved_concurrency = 5
  kms_key_arn          = "arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222"
  log_retention_days   = 90
  environment = {
    STOCK_TABLE = "demo-stock"
  }
  policy_statements = [
    {
      sid       = "ReserveStock"
      actions   = ["dynamodb:UpdateItem"]
      resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/demo-stock"]
    },
    {
      sid       = "UseTableKey"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = ["arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222"]
      conditions = [{
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["dynamodb.us-east-1.amazonaws.com"]
      }]
    },
  ]
}

# Naming, package, encryption, tracing, logging ---------------------------------

run "function" {
  assert {
    condition     = aws_lambda_function.this.function_name == "demo-reserve" && aws_lambda_function.this.handler == "reserve_inventory.lambda_handler"
    error_message = "The function must be named var.name and run var.handler."
  }
  assert {
    condition     = aws_iam_role.this.name == "demo-reserve" && aws_lambda_function.this.role == aws_iam_role.this.arn
    error_message = "The function must run as a role of its own, named after it."
  }
  assert {
    condition     = aws_iam_role_policy.this.name == "demo-reserve" && aws_iam_role_policy.this.role == aws_iam_role.this.id
    error_message = "The inline policy must be named after the function and attached to its role."
  }
  assert {
    condition     = aws_lambda_function.this.filename == var.package_file && aws_lambda_function.this.source_code_hash == filebase64sha256(var.package_file)
    error_message = "The function must deploy package_file, with its hash so a new package redeploys."
  }
  assert {
    condition = (
      aws_lambda_function.this.timeout == 10 &&
      aws_lambda_function.this.reserved_concurrent_executions == 5 &&
      aws_lambda_function.this.runtime == "python3.11" &&
      aws_lambda_function.this.memory_size == 256
    )
    error_message = "timeout_seconds, reserved_concurrency and the runtime and memory defaults must reach the function."
  }
  assert {
    condition     = aws_lambda_function.this.kms_key_arn == var.kms_key_arn
    error_message = "The function's environment must be encrypted with the given key."
  }
  assert {
    condition     = one(aws_lambda_function.this.tracing_config).mode == "Active"
    error_message = "X-Ray tracing must be Active."
  }
  assert {
    condition = (
      aws_cloudwatch_log_group.this.name == "/aws/lambda/demo-reserve" &&
      aws_cloudwatch_log_group.this.retention_in_days == 90 &&
      aws_cloudwatch_log_group.this.kms_key_id == var.kms_key_arn
    )
    error_message = "The log group must be /aws/lambda/<name>, kept log_retention_days and encrypted with the key."
  }
  assert {
    condition = (
      one(aws_lambda_function.this.logging_config).log_group == "/aws/lambda/demo-reserve" &&
      one(aws_lambda_function.this.logging_config).log_format == "JSON"
    )
    error_message = "The function must log JSON to its own log group."
  }
  assert {
    condition     = one(aws_lambda_function.this.environment).variables == tomap({ STOCK_TABLE = "demo-stock" })
    error_message = "The environment must be exactly var.environment."
  }
  assert {
    condition     = output.arn == "arn:aws:lambda:us-east-1:123456789012:function:demo-reserve"
    error_message = "Output arn must be the function's ARN."
  }
}

run "no_environment_block_without_variables" {
  command = plan
  variables {
    environment = {}
  }
  assert {
    condition     = length(aws_lambda_function.this.environment) == 0
    error_message = "An empty environment must leave out the environment block."
  }
}

# The role: the caller's statements, unchanged and first, then its own logs and traces

run "policy_grants_the_statements_given_then_logs_and_traces" {
  assert {
    condition     = [for s in local.policy_statements : s.sid] == ["ReserveStock", "UseTableKey", "WriteLogs", "SendTraces"]
    error_message = "Statements: ${jsonencode([for s in local.policy_statements : s.sid])}."
  }
  assert {
    condition     = jsonencode(slice(local.policy_statements, 0, 2)) == jsonencode(var.policy_statements)
    error_message = "The statements given must come first, unchanged: ${jsonencode(local.policy_statements)}."
  }
  assert {
    condition = (
      local.policy_statements[2].actions == ["logs:CreateLogStream", "logs:PutLogEvents"] &&
      local.policy_statements[2].resources == ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/demo-reserve:*"]
    )
    error_message = "WriteLogs must grant writing to the function's own log group only (it is created by Terraform, so no CreateLogGroup)."
  }
  assert {
    condition = (
      local.policy_statements[3].actions == ["xray:PutTraceSegments", "xray:PutTelemetryRecords"] &&
      local.policy_statements[3].resources == ["*"]
    )
    error_message = "SendTraces must grant the two X-Ray write actions only."
  }
  assert {
    condition     = jsondecode(aws_iam_role_policy.this.policy).Statement[0].Sid == "RenderedByTheDocument"
    error_message = "The role's policy must be the rendered policy document."
  }
  assert {
    condition     = one(data.aws_iam_policy_document.assume_role.statement[0].principals).identifiers == toset(["lambda.amazonaws.com"])
    error_message = "Only Lambda may assume the function's role."
  }
}

# Variable validations ------------------------------------------------------------
#
# Each validation is broken by a run that lists its variable in expect_failures.
# Terraform checks each variable on its own, so one run breaks several; if a
# validation is removed or weakened, the run fails with "missing expected
# failure" naming the variable. The edge runs must plan.

run "values_below_or_outside_their_rules_are_rejected" {
  command = plan
  variables {
    name                 = "demo.reserve"
    package_file         = "main.tf" # exists, so only the validation can fail
    timeout_seconds      = 0
    reserved_concurrency = -1
  }
  expect_failures = [
    var.name,
    var.package_file,
    var.timeout_seconds,
    var.reserved_concurrency,
  ]
}

run "values_above_their_maximum_are_rejected" {
  command = plan
  variables {
    name            = "a234567890123456789012345678901234567890123456789012345678901234x"
    timeout_seconds = 901
  }
  expect_failures = [
    var.name,
    var.timeout_seconds,
  ]
}

run "fractions_are_rejected" {
  command = plan
  variables {
    timeout_seconds      = 1.5
    reserved_concurrency = 0.5
  }
  expect_failures = [
    var.timeout_seconds,
    var.reserved_concurrency,
  ]
}

run "lower_edges_are_accepted" {
  command = plan
  variables {
    name                 = "a"
    timeout_seconds      = 1
    reserved_concurrency = 0
  }
  assert {
    condition = (
      aws_lambda_function.this.function_name == "a" &&
      aws_lambda_function.this.timeout == 1 &&
      aws_lambda_function.this.reserved_concurrent_executions == 0
    )
    error_message = "A 1-character name, a 1 s timeout and reserved concurrency 0 must be accepted and used."
  }
}

run "upper_edges_are_accepted" {
  command = plan
  variables {
    name            = "A_-4567890123456789012345678901234567890123456789012345678901234"
    timeout_seconds = 900
  }
  assert {
    condition     = aws_lambda_function.this.function_name == "A_-4567890123456789012345678901234567890123456789012345678901234" && aws_lambda_function.this.timeout == 900
    error_message = "A 64-character name of letters, digits, hyphens and underscores, and a 900 s timeout, must be accepted and used."
  }
}
