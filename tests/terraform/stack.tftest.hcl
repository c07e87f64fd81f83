# The root module as a whole: the documented outputs, every resource name, the
# values the definitions are rendered with, and the EXPRESS choice. What each
# module does with its inputs (encryption, tracing, retention, PITR, logging)
# is tested in modules/*/tests.

mock_provider "aws" {
  source = "./tests/terraform/mocks"
  # Computed attributes (ARNs) get the mocked values at plan already.
  override_during = plan
}

# The outputs table of the README, name for name (endpoint_url is only in
# build/outputs.json, written by `make up`).
run "outputs_have_the_documented_names" {
  command = plan

  assert {
    condition     = output.notification_state_machine_arn == "arn:aws:states:us-east-1:123456789012:stateMachine:sfn-refactor-notification"
    error_message = "notification_state_machine_arn must be the notification state machine's ARN."
  }
  assert {
    condition     = output.status_table_name == "sfn-refactor-notification-status"
    error_message = "status_table_name must be the status table's name."
  }
  assert {
    condition     = output.events_topic_arn == "arn:aws:sns:us-east-1:123456789012:sfn-refactor-notification-events"
    error_message = "events_topic_arn must be the events topic's ARN."
  }
  assert {
    condition     = output.sender_email == "notifications@example.com"
    error_message = "sender_email must be the SES identity's address."
  }
  assert {
    condition     = output.region == "us-east-1"
    error_message = "region must be the region deployed to."
  }
  assert {
    condition     = output.order_state_machine_arn == "arn:aws:states:us-east-1:123456789012:stateMachine:sfn-refactor-order"
    error_message = "order_state_machine_arn must be the order state machine's ARN."
  }
  assert {
    condition     = output.approval_queue_url == "https://sqs.us-east-1.amazonaws.com/123456789012/sfn-refactor-order-approvals"
    error_message = "approval_queue_url must be the approval queue's URL (not the dead-letter queue's)."
  }
  assert {
    condition     = output.orders_table_name == "sfn-refactor-orders"
    error_message = "orders_table_name must be the orders table's name."
  }
  assert {
    condition     = output.stock_table_name == "sfn-refactor-stock"
    error_message = "stock_table_name must be the stock table's name."
  }
  assert {
    condition     = output.payments_table_name == "sfn-refactor-payments"
    error_message = "payments_table_name must be the payments table's name."
  }
}

# The notification stack's own topic and sender identity (notification.tf).
run "events_topic_and_sender_identity" {
  command = plan
  variables {
    sender_email = "orders@acme.example"
  }

  assert {
    condition = (
      aws_sns_topic.events.name == "sfn-refactor-notification-events" &&
      aws_sns_topic.events.kms_master_key_id == "arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111"
    )
    error_message = "The events topic must be named after name_prefix and encrypted with the notification stack's key."
  }
  assert {
    condition     = aws_sesv2_email_identity.sender.email_identity == "orders@acme.example" && output.sender_email == "orders@acme.example"
    error_message = "The SES identity must be sender_email itself, and output sender_email its address."
  }
}

# Every name comes from name_prefix, and the outputs follow.
run "every_name_follows_name_prefix" {
  command = plan
  variables {
    name_prefix  = "acme-prod"
    sender_email = "orders@acme.example"
    region       = "eu-west-1"
  }

  assert {
    condition = jsonencode(local.names) == jsonencode({
      kms_key_alias              = "alias/acme-prod"
      status_table               = "acme-prod-notification-status"
      events_topic               = "acme-prod-notification-events"
      notification_state_machine = "acme-prod-notification"
      notification_role          = "acme-prod-notification-sfn"
      notification_log_group     = "/aws/vendedlogs/states/acme-prod-notification"
      orders_kms_key_alias       = "alias/acme-prod-orders"
      orders_table               = "acme-prod-orders"
      stock_table                = "acme-prod-stock"
      payments_table             = "acme-prod-payments"
      approval_queue             = "acme-prod-order-approvals"
      approval_dead_letter_queue = "acme-prod-order-approvals-dlq"
      order_state_machine        = "acme-prod-order"
      order_role                 = "acme-prod-order-sfn"
      order_log_group            = "/aws/vendedlogs/states/acme-prod-order"
      validate_order_function    = "acme-prod-validate-order"
      check_fraud_function       = "acme-prod-check-fraud"
      reserve_inventory_function = "acme-prod-reserve-inventory"
      release_inventory_function = "acme-prod-release-inventory"
      charge_payment_function    = "acme-prod-charge-payment"
      refund_payment_function    = "acme-prod-refund-payment"
      api                        = "acme-prod-api"
      api_role                   = "acme-prod-api-start-executions"
      api_access_log_group       = "/aws/apigateway/acme-prod-api-access"
      api_kms_key_alias          = "alias/acme-prod-api"
      api_account_logging_role   = "acme-prod-apigateway-cloudwatch-logs"
      alarm_topic                = "acme-prod-alarms"
      alarms_kms_key_alias       = "alias/acme-prod-alarms"
    })
    error_message = "Resource names: ${jsonencode(local.names)}"
  }
  assert {
    condition = (
      output.status_table_name == "acme-prod-notification-status" &&
      output.orders_table_name == "acme-prod-orders" &&
      output.stock_table_name == "acme-prod-stock" &&
      output.payments_table_name == "acme-prod-payments" &&
      output.sender_email == "orders@acme.example" &&
      output.region == "eu-west-1"
    )
    error_message = "The outputs must follow name_prefix, sender_email and region."
  }
  assert {
    condition     = keys(local.order_functions) == ["charge_payment", "check_fraud", "refund_payment", "release_inventory", "reserve_inventory", "validate_order"]
    error_message = "The order stack must have exactly the six functions of lambdas/orders."
  }
  assert {
    condition     = alltrue([for key, function in local.order_functions : function.name == "acme-prod-${replace(key, "_", "-")}"])
    error_message = "Each order function must be named <prefix>-<handler module with hyphens>."
  }
}

# The definitions are rendered with this stack's resources and the variables.
run "definitions_are_rendered_with_the_stack" {
  command = plan
  variables {
    default_email_subject = "Hello"
    metric_namespace      = "Acme/Notifications"
    record_ttl_days       = 30
  }

  assert {
    condition = (
      local.notification_definition_vars.status_table_name == "sfn-refactor-notification-status" &&
      local.notification_definition_vars.events_topic_arn == "arn:aws:sns:us-east-1:123456789012:sfn-refactor-notification-events" &&
      local.notification_definition_vars.default_email_subject == "Hello" &&
      local.notification_definition_vars.metric_namespace == "Acme/Notifications" &&
      local.notification_definition_vars.record_ttl_seconds == 2592000
    )
    error_message = "The notification definition must name this stack's table and topic: ${jsonencode(local.notification_definition_vars)}"
  }
  assert {
    condition     = local.notification_policy_statements[4].conditions[0].values == ["Acme/Notifications"]
    error_message = "The metric statement must be limited to metric_namespace."
  }
  assert {
    condition = (
      local.order_definition_vars.validate_order_function_arn == "arn:aws:lambda:us-east-1:123456789012:function:sfn-refactor-validate-order" &&
      local.order_definition_vars.check_fraud_function_arn == "arn:aws:lambda:us-east-1:123456789012:function:sfn-refactor-check-fraud" &&
      local.order_definition_vars.reserve_inventory_function_arn == "arn:aws:lambda:us-east-1:123456789012:function:sfn-refactor-reserve-inventory" &&
      local.order_definition_vars.release_inventory_function_arn == "arn:aws:lambda:us-east-1:123456789012:function:sfn-refactor-release-inventory" &&
      local.order_definition_vars.charge_payment_function_arn == "arn:aws:lambda:us-east-1:123456789012:function:sfn-refactor-charge-payment" &&
      local.order_definition_vars.refund_payment_function_arn == "arn:aws:lambda:us-east-1:123456789012:function:sfn-refactor-refund-payment" &&
      local.order_definition_vars.orders_table_name == "sfn-refactor-orders" &&
      local.order_definition_vars.approval_queue_url == "https://sqs.us-east-1.amazonaws.com/123456789012/sfn-refactor-order-approvals" &&
      local.order_definition_vars.notification_state_machine_arn == "arn:aws:states:us-east-1:123456789012:stateMachine:sfn-refactor-notification"
    )
    error_message = "The order definition must name this stack's functions, table, queue and notification workflow: ${jsonencode(local.order_definition_vars)}"
  }
  assert {
    condition = alltrue([
      for definition in [
        templatefile("definitions/notification.asl.json", local.notification_definition_vars),
        templatefile("definitions/order.asl.json", local.order_definition_vars),
      ] : can(jsondecode(definition)) && !can(regex("[$][{]", definition))
    ])
    error_message = "Both definitions must render to JSON with no placeholder left."
  }
}

# EXPRESS: the whole stack plans with it. What an EXPRESS machine gets (its
# type, its logging level, destination and include_execution_data = false, and
# the role's right to write its log group) is asserted in
# modules/state_machine/tests, "express_machine_logs_what_it_needs".
run "express_notification_workflow" {
  command = plan
  variables {
    state_machine_type = "EXPRESS"
    log_level          = "FATAL"
  }

  assert {
    condition     = output.notification_state_machine_arn == "arn:aws:states:us-east-1:123456789012:stateMachine:sfn-refactor-notification"
    error_message = "An EXPRESS notification workflow must still be the output."
  }
}
