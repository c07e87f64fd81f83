# The root module's API and alarms (docs/ingress.md), offline:
#   terraform init -backend=false
#   terraform test -test-directory=tests/terraform -var=lambda_packages_dir=<folder of orders.zip>
# The AWS provider is mocked: nothing is created and no credentials are read.
# What each module builds is tested in modules/ingress/tests and modules/alarms/tests.

mock_provider "aws" {
  source = "./tests/terraform/mocks"
  # Computed attributes (the stage's URL, the alarm topic's ARN) get the mocked
  # values at plan already.
  override_during = plan
}

run "the_api_and_the_alarm_topic_are_outputs" {
  command = plan

  assert {
    condition     = output.api_url == "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/v1"
    error_message = "api_url must be the stage's invoke URL."
  }
  assert {
    condition     = output.alarm_topic_arn == "arn:aws:sns:us-east-1:123456789012:sfn-refactor-alarms"
    error_message = "alarm_topic_arn must be the alarm topic's ARN."
  }
  assert {
    condition = (
      local.names.api == "sfn-refactor-api" &&
      local.names.api_role == "sfn-refactor-api-start-executions" &&
      local.names.api_access_log_group == "/aws/apigateway/sfn-refactor-api-access" &&
      local.names.alarm_topic == "sfn-refactor-alarms"
    )
    error_message = "The API's and the alarms' names follow name_prefix: ${jsonencode(local.names)}"
  }
}

run "without_ingress_there_is_no_api" {
  command = plan
  variables {
    ingress_enabled = false
  }

  assert {
    condition     = length(module.ingress) == 0 && output.api_url == null
    error_message = "ingress_enabled = false must leave no API and a null api_url."
  }
}

# Every validation of the ingress and alarm variables refuses what AWS would.
run "a_stage_name_with_a_slash_is_refused" {
  command = plan
  variables {
    ingress_stage_name = "v1/beta"
  }
  expect_failures = [var.ingress_stage_name]
}

run "a_fractional_burst_limit_is_refused" {
  command = plan
  variables {
    ingress_throttling_burst_limit = 2.5
  }
  expect_failures = [var.ingress_throttling_burst_limit]
}

run "a_negative_rate_limit_is_refused" {
  command = plan
  variables {
    ingress_throttling_rate_limit = -1
  }
  expect_failures = [var.ingress_throttling_rate_limit]
}

run "a_period_cloudwatch_does_not_take_is_refused" {
  command = plan
  variables {
    alarm_period_seconds = 90
  }
  expect_failures = [var.alarm_period_seconds]
}

run "zero_evaluation_periods_are_refused" {
  command = plan
  variables {
    alarm_evaluation_periods = 0
  }
  expect_failures = [var.alarm_evaluation_periods]
}

run "zero_thresholds_are_refused" {
  command = plan
  variables {
    alarm_executions_failed_threshold    = 0
    alarm_executions_timed_out_threshold = 0
    alarm_executions_throttled_threshold = 0
    alarm_function_errors_threshold      = 0
    alarm_function_throttles_threshold   = 0
    alarm_notifications_failed_threshold = 0
  }
  expect_failures = [
    var.alarm_executions_failed_threshold,
    var.alarm_executions_timed_out_threshold,
    var.alarm_executions_throttled_threshold,
    var.alarm_function_errors_threshold,
    var.alarm_function_throttles_threshold,
    var.alarm_notifications_failed_threshold,
  ]
}

run "a_concurrency_percent_above_100_is_refused" {
  command = plan
  variables {
    alarm_function_concurrency_percent = 120
  }
  expect_failures = [var.alarm_function_concurrency_percent]
}
