# A REST API (API Gateway v1: request models, validators and mapping templates)
# whose routes start Step Functions executions through API Gateway's own AWS
# integration: no Lambda in between. docs/ingress.md describes the contract.

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  partition = data.aws_partition.current.partition
  region    = data.aws_region.current.id

  # API Gateway writes execution logs to a log group of this name; it is
  # created below, encrypted and with a retention, before API Gateway would
  # create it without either.
  execution_log_group_name = "API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.this.id}/${var.stage_name}"

  # What each route answers. StartExecution's 4xx answers are told apart by the
  # refused.vtl template (409, 429, 400 or 500); its 5xx answers are 503.
  method_statuses = ["202", "400", "409", "429", "500", "503"]
  integration_responses = {
    "202" = { selection_pattern = null, template = "accepted.vtl" }
    "400" = { selection_pattern = "4\\d{2}", template = "refused.vtl" }
    "503" = { selection_pattern = "5\\d{2}", template = "unavailable.vtl" }
  }

  route_statuses = { for pair in setproduct(keys(var.routes), local.method_statuses) : "${pair[0]} ${pair[1]}" => {
    route  = pair[0]
    status = pair[1]
  } }
  route_integration_responses = { for pair in setproduct(keys(var.routes), keys(local.integration_responses)) :
    "${pair[0]} ${pair[1]}" => merge(local.integration_responses[pair[1]], { route = pair[0], status = pair[1] })
  }

  # One JSON line per request. The validation error and the integration's
  # status say why a request was refused; the body is not logged (it holds
  # phone numbers and email addresses).
  access_log_format = jsonencode({
    requestId          = "$context.requestId"
    requestTime        = "$context.requestTime"
    sourceIp           = "$context.identity.sourceIp"
    caller             = "$context.identity.caller"
    httpMethod         = "$context.httpMethod"
    resourcePath       = "$context.resourcePath"
    status             = "$context.status"
    responseLength     = "$context.responseLength"
    integrationStatus  = "$context.integration.status"
    validationError    = "$context.error.validationErrorString"
    errorMessage       = "$context.error.message"
    integrationLatency = "$context.integration.latency"
    xrayTraceId        = "$context.xrayTraceId"
  })
}

# -- the API and its routes -------------------------------------------------------

resource "aws_api_gateway_rest_api" "this" {
  name        = var.name
  description = "Starts the ${var.name} workflows: ${join(", ", [for key in sort(keys(var.routes)) : "POST /${key}"])}."

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  # A replacement API (and URL) exists before the old one goes.
  lifecycle {
    create_before_destroy = true
  }
}

# Only the body is validated: the routes take no parameters.
resource "aws_api_gateway_request_validator" "body" {
  name                        = "body"
  rest_api_id                 = aws_api_gateway_rest_api.this.id
  validate_request_body       = true
  validate_request_parameters = false
}

resource "aws_api_gateway_model" "request" {
  for_each = var.routes

  rest_api_id  = aws_api_gateway_rest_api.this.id
  name         = each.value.model_name
  description  = "The body of POST /${each.key}."
  content_type = "application/json"
  schema       = each.value.request_schema
}

resource "aws_api_gateway_resource" "route" {
  for_each = var.routes

  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = each.key
}

# Callers sign their requests (SigV4) as an IAM principal allowed
# execute-api:Invoke on the route: these routes send SMS and emails, and charge
# cards, so they are not open to the internet.
resource "aws_api_gateway_method" "post" {
  for_each = var.routes

  rest_api_id          = aws_api_gateway_rest_api.this.id
  resource_id          = aws_api_gateway_resource.route[each.key].id
  http_method          = "POST"
  authorization        = "AWS_IAM"
  request_validator_id = aws_api_gateway_request_validator.body.id
  request_models = {
    "application/json" = aws_api_gateway_model.request[each.key].name
  }
}

resource "aws_api_gateway_integration" "start_execution" {
  for_each = var.routes

  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = aws_api_gateway_resource.route[each.key].id
  http_method             = aws_api_gateway_method.post[each.key].http_method
  type                    = "AWS"
  integration_http_method = "POST"
  uri                     = "arn:${local.partition}:apigateway:${local.region}:states:action/StartExecution"
  credentials             = aws_iam_role.start_executions.arn
  # A body of another content type is refused (415), never passed through as it is.
  passthrough_behavior = "NEVER"
  request_templates = {
    "application/json" = templatefile("${path.module}/templates/start_execution.vtl", {
      state_machine_arn = each.value.state_machine_arn
      id_field          = each.value.id_field
    })
  }
}

resource "aws_api_gateway_method_response" "this" {
  for_each = local.route_statuses

  rest_api_id = aws_api_gateway_rest_api.this.id
  resource_id = aws_api_gateway_resource.route[each.value.route].id
  http_method = aws_api_gateway_method.post[each.value.route].http_method
  status_code = each.value.status
}

resource "aws_api_gateway_integration_response" "this" {
  for_each = local.route_integration_responses

  rest_api_id       = aws_api_gateway_rest_api.this.id
  resource_id       = aws_api_gateway_resource.route[each.value.route].id
  http_method       = aws_api_gateway_method.post[each.value.route].http_method
  status_code       = aws_api_gateway_method_response.this["${each.value.route} ${each.value.status}"].status_code
  selection_pattern = each.value.selection_pattern
  response_templates = {
    "application/json" = templatefile("${path.module}/templates/${each.value.template}", {
      id_field = var.routes[each.value.route].id_field
    })
  }

  depends_on = [aws_api_gateway_integration.start_execution]
}

# A body the model refuses: say why (API Gateway's default says only
# "Invalid request body").
resource "aws_api_gateway_gateway_response" "bad_request_body" {
  rest_api_id   = aws_api_gateway_rest_api.this.id
  response_type = "BAD_REQUEST_BODY"
  status_code   = "400"
  response_templates = {
    "application/json" = jsonencode({
      error   = "BadRequestBody"
      message = "$context.error.message"
      detail  = "$context.error.validationErrorString"
    })
  }
}

# -- deployment and stage -----------------------------------------------------

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  description = "The routes, models and templates of ${var.name}."

  # A stage serves a snapshot: a change to what is deployed (the routes'
  # inputs, this file, a template) makes a new one. Hashed from the
  # configuration, not from the resources as read back, so that a refresh
  # alone never redeploys.
  triggers = {
    redeployment = sha1(jsonencode({
      routes    = var.routes
      module    = filesha1("${path.module}/main.tf")
      templates = { for file in fileset("${path.module}/templates", "*.vtl") : file => filesha1("${path.module}/templates/${file}") }
    }))
  }

  # The first deployment needs every route's integration and answers in place.
  depends_on = [aws_api_gateway_integration_response.this, aws_api_gateway_gateway_response.bad_request_body]

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_stage" "this" {
  # checkov:skip=CKV_AWS_120:No response caching: every POST starts a workflow and its answer must never be replayed from a cache.
  # checkov:skip=CKV2_AWS_51:Client certificates authenticate API Gateway to an HTTP backend; this API's backend is Step Functions, reached with IAM.
  # checkov:skip=CKV2_AWS_29:A WAF web ACL is an account-level choice (priced per ACL and rule); attach one with aws_wafv2_web_acl_association to this stage's ARN.
  rest_api_id          = aws_api_gateway_rest_api.this.id
  deployment_id        = aws_api_gateway_deployment.this.id
  stage_name           = var.stage_name
  xray_tracing_enabled = true

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format          = local.access_log_format
  }

  # API Gateway refuses access-log settings until the account has its logging role.
  depends_on = [aws_api_gateway_account.this, aws_cloudwatch_log_group.execution]
}

resource "aws_api_gateway_method_settings" "all" {
  # checkov:skip=CKV_AWS_225:No response caching: every POST starts a workflow and its answer must never be replayed from a cache.
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"

  settings {
    throttling_burst_limit = var.throttling_burst_limit
    throttling_rate_limit  = var.throttling_rate_limit
    metrics_enabled        = true
    logging_level          = "ERROR"
    # Request and response bodies hold phone numbers and email addresses.
    data_trace_enabled = false
    caching_enabled    = false
  }
}

# -- logs ---------------------------------------------------------------------

module "kms_key" {
  source = "../kms_key"

  alias                = var.kms_key_alias
  description          = "Encrypts the ${var.name} API's access and execution logs."
  deletion_window_days = var.kms_key_deletion_window_days
  log_group_names      = [var.access_log_group_name, local.execution_log_group_name]
}

resource "aws_cloudwatch_log_group" "access" {
  name              = var.access_log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = module.kms_key.arn
}

resource "aws_cloudwatch_log_group" "execution" {
  name              = local.execution_log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = module.kms_key.arn
}

# -- who may do what ------------------------------------------------------------

data "aws_iam_policy_document" "assume_role" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
  }
}

# The integration's credentials: API Gateway starts executions as this role,
# of these state machines only, and may do nothing else.
resource "aws_iam_role" "start_executions" {
  name               = var.role_name
  assume_role_policy = data.aws_iam_policy_document.assume_role.json
}

data "aws_iam_policy_document" "start_executions" {
  statement {
    sid       = "StartWorkflows"
    actions   = ["states:StartExecution"]
    resources = sort(distinct([for route in var.routes : route.state_machine_arn]))
  }
}

resource "aws_iam_role_policy" "start_executions" {
  name   = var.role_name
  role   = aws_iam_role.start_executions.id
  policy = data.aws_iam_policy_document.start_executions.json
}

# API Gateway logs through one role per account and region. AWS's managed
# policy for it is the one AWS documents; it is scoped to log groups already.
resource "aws_iam_role" "account_logging" {
  count = var.manage_account_logging_role ? 1 : 0

  name               = var.account_logging_role_name
  assume_role_policy = data.aws_iam_policy_document.assume_role.json
}

resource "aws_iam_role_policy_attachment" "account_logging" {
  count = var.manage_account_logging_role ? 1 : 0

  role       = aws_iam_role.account_logging[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "this" {
  count = var.manage_account_logging_role ? 1 : 0

  cloudwatch_role_arn = aws_iam_role.account_logging[0].arn

  depends_on = [aws_iam_role_policy_attachment.account_logging]
}
