locals {
  # Every resource name in one place; tests ask Terraform for it (terraform console)
  # and check the deployed resources carry these names.
  names = {
    kms_key_alias              = "alias/${var.name_prefix}"
    status_table               = "${var.name_prefix}-notification-status"
    events_topic               = "${var.name_prefix}-notification-events"
    notification_state_machine = "${var.name_prefix}-notification"
    notification_role          = "${var.name_prefix}-notification-sfn"
    notification_log_group     = "/aws/vendedlogs/states/${var.name_prefix}-notification"
    # Order saga (orders.tf). Each function's IAM role has the function's name.
    orders_kms_key_alias       = "alias/${var.name_prefix}-orders"
    orders_table               = "${var.name_prefix}-orders"
    stock_table                = "${var.name_prefix}-stock"
    payments_table             = "${var.name_prefix}-payments"
    approval_queue             = "${var.name_prefix}-order-approvals"
    approval_dead_letter_queue = "${var.name_prefix}-order-approvals-dlq"
    order_state_machine        = "${var.name_prefix}-order"
    order_role                 = "${var.name_prefix}-order-sfn"
    order_log_group            = "/aws/vendedlogs/states/${var.name_prefix}-order"
    validate_order_function    = "${var.name_prefix}-validate-order"
    check_fraud_function       = "${var.name_prefix}-check-fraud"
    reserve_inventory_function = "${var.name_prefix}-reserve-inventory"
    release_inventory_function = "${var.name_prefix}-release-inventory"
    charge_payment_function    = "${var.name_prefix}-charge-payment"
    refund_payment_function    = "${var.name_prefix}-refund-payment"
    # Ingress (ingress.tf) and alarms (alarms.tf).
    api                      = "${var.name_prefix}-api"
    api_role                 = "${var.name_prefix}-api-start-executions"
    api_access_log_group     = "/aws/apigateway/${var.name_prefix}-api-access"
    api_kms_key_alias        = "alias/${var.name_prefix}-api"
    api_account_logging_role = "${var.name_prefix}-apigateway-cloudwatch-logs"
    alarm_topic              = "${var.name_prefix}-alarms"
    alarms_kms_key_alias     = "alias/${var.name_prefix}-alarms"
  }
}

locals {
  # Zips built before plan by scripts/package_lambdas.py (`make package`).
  lambda_packages_dir = coalesce(var.lambda_packages_dir, "${path.root}/build/lambdas")
}

# Retriers both definitions repeat, rendered once here as JSON and inserted
# whole by templatefile() ("Retry": [${lambda_retry}]). Each one that retries
# backs off exponentially, capped, with full jitter (harness/analysis/definition_rules.py).
locals {
  retry_backoff = {
    IntervalSeconds = var.retry_interval_seconds
    BackoffRate     = var.retry_backoff_rate
    MaxDelaySeconds = var.retry_max_delay_seconds
    JitterStrategy  = "FULL"
  }
  # Any error of a bookkeeping call (a table write, an event, a metric), after
  # the errors a state names as permanent.
  service_retry = jsonencode(merge(local.retry_backoff, {
    ErrorEquals = ["States.ALL"]
    MaxAttempts = var.service_max_attempts
  }))
  # A table write that cannot succeed by trying again: the condition failed,
  # the table is missing or the write is denied.
  dynamodb_no_retry = jsonencode({
    ErrorEquals = ["DynamoDB.ConditionalCheckFailedException", "DynamoDB.ResourceNotFoundException", "DynamoDB.AccessDeniedException"]
    MaxAttempts = 0
  })
}
