# The order-processing saga (docs/orders.md): six single-purpose functions
# hold the business rules, the order state machine orchestrates them, waits
# for an operator's approval on a queue, and notifies customers through the
# notification workflow (notification.tf) as nested executions.

# A key of its own: the order data, the approval queue, the functions'
# environment and all the order stack's logs. Separate from the notification
# key so each stack's access can be granted and revoked alone.
module "orders_kms_key" {
  source = "./modules/kms_key"

  alias                = local.names.orders_kms_key_alias
  description          = "Encrypts the ${var.name_prefix} order stack: orders, stock and payments tables, approval queue, functions, state machine and their logs."
  deletion_window_days = var.kms_key_deletion_window_days
  # From the names, not from local.order_functions: those depend on the tables,
  # which depend on this key.
  log_group_names = [
    local.names.order_log_group,
    "/aws/lambda/${local.names.validate_order_function}",
    "/aws/lambda/${local.names.check_fraud_function}",
    "/aws/lambda/${local.names.reserve_inventory_function}",
    "/aws/lambda/${local.names.release_inventory_function}",
    "/aws/lambda/${local.names.charge_payment_function}",
    "/aws/lambda/${local.names.refund_payment_function}",
  ]
}

module "orders_table" {
  source = "./modules/table"

  name                = local.names.orders_table
  hash_key            = "order_id"
  kms_key_arn         = module.orders_kms_key.arn
  deletion_protection = var.deletion_protection
}

# One item per sku: {sku, available}. Reservations decrement `available`
# on condition that enough is left. Loading the catalogue is the business's
# job (docs/orders.md), not Terraform's.
module "stock_table" {
  source = "./modules/table"

  name                = local.names.stock_table
  hash_key            = "sku"
  kms_key_arn         = module.orders_kms_key.arn
  deletion_protection = var.deletion_protection
}

# The fake payment provider's ledger (lambdas/orders/payment_provider.py).
module "payments_table" {
  source = "./modules/table"

  name                = local.names.payments_table
  hash_key            = "order_id"
  kms_key_arn         = module.orders_kms_key.arn
  deletion_protection = var.deletion_protection
}

module "approval_queue" {
  source = "./modules/approval_queue"

  name                   = local.names.approval_queue
  dead_letter_queue_name = local.names.approval_dead_letter_queue
  kms_key_arn            = module.orders_kms_key.arn
}

# The functions share one package (lambdas/orders, built by scripts/package_lambdas.py);
# each has its own handler, role and log group. Each statement lists
# exactly what the function's code calls: tests/unit/test_order_permissions.py
# compares them with the PERMISSIONS the handler modules declare.
locals {
  # DynamoDB encrypts the tables with the order key on the caller's behalf.
  use_table_key = {
    sid       = "UseTableKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [module.orders_kms_key.arn]
    conditions = [{
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["dynamodb.${var.region}.amazonaws.com"]
    }]
  }

  order_functions = {
    validate_order = {
      name              = local.names.validate_order_function
      description       = "Checks an order request and returns it normalised (business rules only, no AWS calls)."
      environment       = {}
      policy_statements = []
    }
    check_fraud = {
      name        = local.names.check_fraud_function
      description = "Applies the fraud rule to an order (no AWS calls)."
      environment = {
        FRAUD_AMOUNT_LIMIT_CENTS = var.fraud_amount_limit_cents
      }
      policy_statements = []
    }
    reserve_inventory = {
      name        = local.names.reserve_inventory_function
      description = "Takes an order's items out of stock, all or none, once per order."
      environment = {
        STOCK_TABLE  = module.stock_table.name
        ORDERS_TABLE = module.orders_table.name
      }
      policy_statements = [
        {
          # One TransactWriteItems of Update items (authorised per item).
          sid       = "ReserveStock"
          actions   = ["dynamodb:UpdateItem"]
          resources = [module.stock_table.arn, module.orders_table.arn]
        },
        local.use_table_key,
      ]
    }
    release_inventory = {
      name        = local.names.release_inventory_function
      description = "Compensation: puts an order's reserved items back, once per order."
      environment = {
        STOCK_TABLE  = module.stock_table.name
        ORDERS_TABLE = module.orders_table.name
      }
      policy_statements = [
        {
          # One TransactWriteItems of Update items (authorised per item).
          sid       = "ReleaseStock"
          actions   = ["dynamodb:UpdateItem"]
          resources = [module.stock_table.arn, module.orders_table.arn]
        },
        local.use_table_key,
      ]
    }
    charge_payment = {
      name        = local.names.charge_payment_function
      description = "Charges an order through the payment provider, once per order."
      environment = {
        PAYMENTS_TABLE = module.payments_table.name
      }
      policy_statements = [
        {
          sid       = "RecordCharges"
          actions   = ["dynamodb:UpdateItem"]
          resources = [module.payments_table.arn]
        },
        local.use_table_key,
      ]
    }
    refund_payment = {
      name        = local.names.refund_payment_function
      description = "Compensation: refunds an order's charge, once per order."
      environment = {
        PAYMENTS_TABLE = module.payments_table.name
      }
      policy_statements = [
        {
          sid       = "RecordRefunds"
          actions   = ["dynamodb:UpdateItem"]
          resources = [module.payments_table.arn]
        },
        local.use_table_key,
      ]
    }
  }
}

module "order_function" {
  source   = "./modules/lambda_function"
  for_each = local.order_functions

  name                 = each.value.name
  description          = each.value.description
  handler              = "${each.key}.lambda_handler"
  package_file         = "${local.lambda_packages_dir}/orders.zip"
  environment          = each.value.environment
  policy_statements    = each.value.policy_statements
  timeout_seconds      = var.lambda_timeout_seconds
  reserved_concurrency = var.lambda_reserved_concurrency
  kms_key_arn          = module.orders_kms_key.arn
  log_retention_days   = var.log_retention_days
}

# Every placeholder of definitions/order.asl.json, and nothing else.
# A harness test compares these keys with the template's placeholders.
locals {
  order_definition_vars = {
    validate_order_function_arn    = module.order_function["validate_order"].arn
    check_fraud_function_arn       = module.order_function["check_fraud"].arn
    reserve_inventory_function_arn = module.order_function["reserve_inventory"].arn
    release_inventory_function_arn = module.order_function["release_inventory"].arn
    charge_payment_function_arn    = module.order_function["charge_payment"].arn
    refund_payment_function_arn    = module.order_function["refund_payment"].arn
    orders_table_name              = module.orders_table.name
    approval_queue_url             = module.approval_queue.url
    notification_state_machine_arn = module.notification_workflow.arn
    approval_threshold_cents       = var.approval_threshold_cents
    approval_timeout_seconds       = var.approval_timeout_seconds
    approval_heartbeat_seconds     = var.approval_heartbeat_seconds
    task_timeout_seconds           = var.task_timeout_seconds
    # The Task waits a little longer than Lambda lets the function run, so a
    # slow function fails as Sandbox.Timedout (retried for the charge), not States.Timeout.
    lambda_task_timeout_seconds  = var.lambda_timeout_seconds + 5
    notification_timeout_seconds = var.order_notification_timeout_seconds
    # The retriers (locals.tf has the shared ones), each inserted whole.
    service_retry     = local.service_retry
    dynamodb_no_retry = local.dynamodb_no_retry
    # Every function Task: Lambda's own transient errors, not the function's.
    lambda_retry = jsonencode(merge(local.retry_backoff, {
      ErrorEquals = ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"]
      MaxAttempts = var.service_max_attempts
    }))
    # The charge and the refund: the provider's transient error, or a call
    # that timed out (idempotent per order, so a retry never charges twice).
    payment_retry = jsonencode(merge(local.retry_backoff, {
      ErrorEquals     = ["PaymentTransientError", "Sandbox.Timedout", "States.Timeout"]
      IntervalSeconds = var.payment_retry_interval_seconds
      MaxAttempts     = var.payment_max_attempts
    }))
    # The notice: only when the account's limit of running executions is reached.
    execution_limit_retry = jsonencode(merge(local.retry_backoff, {
      ErrorEquals = ["StepFunctions.ExecutionLimitExceededException"]
      MaxAttempts = var.service_max_attempts
    }))
  }
}

# What the order definition calls, one statement per integration.
locals {
  order_policy_statements = [
    {
      # lambda:invoke of the six functions (and their versions).
      sid     = "InvokeOrderFunctions"
      actions = ["lambda:InvokeFunction"]
      resources = [
        module.order_function["validate_order"].arn,
        "${module.order_function["validate_order"].arn}:*",
        module.order_function["check_fraud"].arn,
        "${module.order_function["check_fraud"].arn}:*",
        module.order_function["reserve_inventory"].arn,
        "${module.order_function["reserve_inventory"].arn}:*",
        module.order_function["release_inventory"].arn,
        "${module.order_function["release_inventory"].arn}:*",
        module.order_function["charge_payment"].arn,
        "${module.order_function["charge_payment"].arn}:*",
        module.order_function["refund_payment"].arn,
        "${module.order_function["refund_payment"].arn}:*",
      ]
    },
    {
      # dynamodb:putItem records the order; dynamodb:updateItem confirms it,
      # records a failure and the notification's outcome.
      sid       = "RecordOrders"
      actions   = ["dynamodb:PutItem", "dynamodb:UpdateItem"]
      resources = [module.orders_table.arn]
    },
    {
      # sqs:sendMessage.waitForTaskToken: the approval request.
      sid       = "RequestApproval"
      actions   = ["sqs:SendMessage"]
      resources = [module.approval_queue.arn]
    },
    {
      # states:startExecution.sync:2 of the notification workflow.
      sid       = "StartNotifications"
      actions   = ["states:StartExecution"]
      resources = [module.notification_workflow.arn]
    },
    {
      # .sync follows (and, if the order execution is stopped, stops) the
      # child executions.
      sid       = "FollowNotifications"
      actions   = ["states:DescribeExecution", "states:StopExecution"]
      resources = ["arn:${local.partition}:states:${var.region}:${local.account_id}:execution:${local.names.notification_state_machine}:*"]
    },
    {
      # .sync learns that a child execution ended through this managed rule.
      # https://docs.aws.amazon.com/step-functions/latest/dg/stepfunctions-iam.html
      sid       = "ManageSyncRule"
      actions   = ["events:PutTargets", "events:PutRule", "events:DescribeRule"]
      resources = ["arn:${local.partition}:events:${var.region}:${local.account_id}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule"]
    },
    {
      # The orders table and the approval queue are encrypted with the order
      # key: DynamoDB and SQS use it on the role's behalf, and only they may.
      sid       = "UseOrderKey"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [module.orders_kms_key.arn]
      conditions = [{
        test     = "StringEquals"
        variable = "kms:ViaService"
        values = [
          "dynamodb.${var.region}.amazonaws.com",
          "sqs.${var.region}.amazonaws.com",
        ]
      }]
    },
    {
      # The notification workflow's executions are encrypted with its key:
      # starting one needs a data key, describing one decrypts its data.
      # https://docs.aws.amazon.com/step-functions/latest/dg/encryption-at-rest.html
      sid       = "UseNotificationKey"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [module.kms_key.arn]
      conditions = [{
        test     = "StringEquals"
        variable = "kms:EncryptionContext:aws:states:stateMachineArn"
        values   = [module.notification_workflow.arn]
      }]
    },
  ]
}

module "order_workflow" {
  source = "./modules/state_machine"

  name = local.names.order_state_machine
  # .waitForTaskToken and .sync exist in STANDARD workflows only, and an order
  # may wait for its approval longer than EXPRESS's five minutes.
  type               = "STANDARD"
  role_name          = local.names.order_role
  definition         = templatefile("${path.module}/definitions/order.asl.json", local.order_definition_vars)
  policy_statements  = local.order_policy_statements
  log_group_name     = local.names.order_log_group
  log_retention_days = var.log_retention_days
  log_level          = var.log_level
  kms_key_arn        = module.orders_kms_key.arn
}
