# modules/ingress, offline: `terraform -chdir=modules/ingress test` (after
# `terraform init -backend=false`). The AWS provider is mocked: nothing is
# created and no credentials are read. docs/ingress.md describes the API.

# The mocked provider's answers are the root module's (tests/terraform/mocks):
# account 123456789012, us-east-1.
mock_provider "aws" {
  source = "../../tests/terraform/mocks"
}

override_resource {
  target          = aws_iam_role.start_executions
  override_during = plan
  values = {
    arn = "arn:aws:iam::123456789012:role/demo-api-start-executions"
  }
}

override_resource {
  target          = aws_api_gateway_rest_api.this
  override_during = plan
  values = {
    id               = "a1b2c3d4e5"
    root_resource_id = "rootid0001"
  }
}

override_resource {
  target          = module.kms_key.aws_kms_key.this
  override_during = plan
  values = {
    arn = "arn:aws:kms:us-east-1:123456789012:key/33333333-3333-3333-3333-333333333333"
  }
}

variables {
  name       = "demo-api"
  stage_name = "v1"
  routes = {
    notifications = {
      state_machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:demo-notification"
      id_field          = "notification_id"
      request_schema    = "{\"type\": \"object\", \"required\": [\"notification_id\"]}"
      model_name        = "NotificationRequest"
    }
    orders = {
      state_machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:demo-order"
      id_field          = "order_id"
      request_schema    = "{\"type\": \"object\", \"required\": [\"order_id\"]}"
      model_name        = "OrderRequest"
    }
  }
  role_name                 = "demo-api-start-executions"
  access_log_group_name     = "/aws/apigateway/demo-api-access"
  log_retention_days        = 30
  kms_key_alias             = "alias/demo-api"
  throttling_burst_limit    = 40
  throttling_rate_limit     = 15
  account_logging_role_name = "demo-apigateway-cloudwatch-logs"
}

run "each_route_starts_its_workflow_through_step_functions_itself" {
  command = plan

  assert {
    condition = alltrue([for key, route in var.routes : (
      aws_api_gateway_resource.route[key].path_part == key &&
      aws_api_gateway_method.post[key].http_method == "POST" &&
      aws_api_gateway_integration.start_execution[key].type == "AWS" &&
      aws_api_gateway_integration.start_execution[key].integration_http_method == "POST" &&
      aws_api_gateway_integration.start_execution[key].uri == "arn:aws:apigateway:us-east-1:states:action/StartExecution" &&
      aws_api_gateway_integration.start_execution[key].credentials == "arn:aws:iam::123456789012:role/demo-api-start-executions" &&
      aws_api_gateway_integration.start_execution[key].passthrough_behavior == "NEVER"
    )])
    error_message = "Each route must be POST /<key>, an AWS integration calling states:StartExecution as the API's role."
  }
  assert {
    condition = alltrue([for key, route in var.routes : (
      strcontains(aws_api_gateway_integration.start_execution[key].request_templates["application/json"], "\"stateMachineArn\": \"${route.state_machine_arn}\"") &&
      strcontains(aws_api_gateway_integration.start_execution[key].request_templates["application/json"], "\"name\": \"$input.path('$.${route.id_field}')\"")
    )])
    error_message = "Each request template must start the route's state machine, named after the body's id field."
  }
}

run "each_body_is_validated_against_its_model_and_callers_sign" {
  command = plan

  assert {
    condition = alltrue([for key, route in var.routes : (
      aws_api_gateway_method.post[key].authorization == "AWS_IAM" &&
      aws_api_gateway_method.post[key].request_models["application/json"] == route.model_name &&
      aws_api_gateway_model.request[key].schema == route.request_schema &&
      aws_api_gateway_model.request[key].content_type == "application/json"
    )])
    error_message = "Each route must take SigV4-signed requests whose body its model checks."
  }
  assert {
    condition     = aws_api_gateway_request_validator.body.validate_request_body && !aws_api_gateway_request_validator.body.validate_request_parameters
    error_message = "The validator must check bodies."
  }
}

run "answers_202_and_tells_step_functions_errors_apart" {
  command = plan

  assert {
    condition     = sort(keys(aws_api_gateway_method_response.this)) == sort(flatten([for key in keys(var.routes) : [for status in ["202", "400", "409", "429", "500", "503"] : "${key} ${status}"]]))
    error_message = "Each route must declare 202, 400, 409, 429, 500 and 503."
  }
  assert {
    condition = alltrue([for key in keys(var.routes) : (
      aws_api_gateway_integration_response.this["${key} 202"].selection_pattern == null &&
      aws_api_gateway_integration_response.this["${key} 400"].selection_pattern == "4\\d{2}" &&
      aws_api_gateway_integration_response.this["${key} 503"].selection_pattern == "5\\d{2}" &&
      strcontains(aws_api_gateway_integration_response.this["${key} 400"].response_templates["application/json"], "#set($context.responseOverride.status = 409)")
    )])
    error_message = "StartExecution's success is 202 by default, its 4xx are told apart (409 for a reused id), its 5xx are 503."
  }
}

run "the_stage_logs_traces_and_throttles" {
  command = plan

  assert {
    condition     = aws_api_gateway_stage.this.stage_name == "v1" && aws_api_gateway_stage.this.xray_tracing_enabled
    error_message = "The stage must be traced with X-Ray."
  }
  assert {
    condition = (
      aws_api_gateway_method_settings.all.method_path == "*/*" &&
      aws_api_gateway_method_settings.all.settings[0].throttling_burst_limit == 40 &&
      aws_api_gateway_method_settings.all.settings[0].throttling_rate_limit == 15 &&
      aws_api_gateway_method_settings.all.settings[0].logging_level == "ERROR" &&
      !aws_api_gateway_method_settings.all.settings[0].data_trace_enabled &&
      !aws_api_gateway_method_settings.all.settings[0].caching_enabled
    )
    error_message = "Every method must be throttled as configured, log errors, and never log bodies or cache answers."
  }
  assert {
    condition = (
      aws_cloudwatch_log_group.access.name == "/aws/apigateway/demo-api-access" &&
      aws_cloudwatch_log_group.execution.name == "API-Gateway-Execution-Logs_a1b2c3d4e5/v1" &&
      aws_cloudwatch_log_group.access.retention_in_days == 30 &&
      aws_cloudwatch_log_group.execution.retention_in_days == 30 &&
      aws_cloudwatch_log_group.access.kms_key_id == "arn:aws:kms:us-east-1:123456789012:key/33333333-3333-3333-3333-333333333333" &&
      aws_cloudwatch_log_group.execution.kms_key_id == "arn:aws:kms:us-east-1:123456789012:key/33333333-3333-3333-3333-333333333333"
    )
    error_message = "Access and execution logs must go to groups with a retention, encrypted with the API's key."
  }
  assert {
    condition     = !strcontains(aws_api_gateway_stage.this.access_log_settings[0].format, "$input")
    error_message = "The access log must not hold request bodies."
  }
}

run "the_role_may_only_start_the_two_state_machines" {
  command = plan

  assert {
    condition = (
      length(data.aws_iam_policy_document.start_executions.statement) == 1 &&
      data.aws_iam_policy_document.start_executions.statement[0].actions == toset(["states:StartExecution"]) &&
      data.aws_iam_policy_document.start_executions.statement[0].resources == toset([
        "arn:aws:states:us-east-1:123456789012:stateMachine:demo-notification",
        "arn:aws:states:us-east-1:123456789012:stateMachine:demo-order",
      ])
    )
    error_message = "The API's role may only states:StartExecution the routes' state machines."
  }
}

run "the_account_logging_role_is_managed_by_default" {
  command = plan

  assert {
    condition     = length(aws_api_gateway_account.this) == 1 && aws_iam_role_policy_attachment.account_logging[0].policy_arn == "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
    error_message = "By default the module sets the account's logging role, with AWS's managed policy."
  }
}

run "an_account_with_a_logging_role_keeps_it" {
  command = plan
  variables {
    manage_account_logging_role = false
  }

  assert {
    condition     = length(aws_api_gateway_account.this) == 0 && length(aws_iam_role.account_logging) == 0
    error_message = "manage_account_logging_role = false must leave the account's settings alone."
  }
}

run "a_route_key_must_be_a_path_part" {
  command = plan
  variables {
    routes = {
      "Not A Path" = {
        state_machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:demo-notification"
        id_field          = "notification_id"
        request_schema    = "{}"
        model_name        = "NotificationRequest"
      }
    }
  }

  expect_failures = [var.routes]
}
