# Each state machine role grants exactly the statements of its integration
# table (local.notification_policy_statements in notification.tf,
# local.order_policy_statements in orders.tf), on the ARNs of this stack; each
# order function's role exactly what its code calls. modules/state_machine and
# modules/lambda_function's own tests prove that a role's statements are the
# ones it is given, unchanged, plus only the module's logging, tracing and key
# statements; modules/policy_document's, that each statement is rendered as given.
#
# The ARNs come from tests/terraform/mocks (account 123456789012, us-east-1,
# name_prefix "sfn-refactor"). A new integration in a definition fails
# "each_role_grants_exactly_its_table" until the table and this file both
# list it.

mock_provider "aws" {
  source = "./tests/terraform/mocks"
  # Computed attributes (ARNs) get the mocked values at plan already.
  override_during = plan
}

run "each_role_grants_exactly_its_table" {
  command = plan

  # The integrations the definitions call (as notification.tf and orders.tf render
  # them): each has its statements in a table below.
  assert {
    condition = toset(flatten(regexall("\"Resource\":\\s*\"(arn:aws:states:::[^\"]+)\"", templatefile("definitions/notification.asl.json", local.notification_definition_vars)))) == toset([
      "arn:aws:states:::dynamodb:putItem",                 # RecordStatus
      "arn:aws:states:::dynamodb:updateItem",              # RecordStatus
      "arn:aws:states:::sns:publish",                      # SendSms (PhoneNumber), PublishOutcomeEvents (TopicArn)
      "arn:aws:states:::aws-sdk:sesv2:sendEmail",          # SendEmail
      "arn:aws:states:::aws-sdk:cloudwatch:putMetricData", # PutOutcomeMetric
    ])
    error_message = "definitions/notification.asl.json calls an integration the notification table does not cover (or no longer calls one): update notification.tf and this test together."
  }
  assert {
    condition = toset(flatten(regexall("\"Resource\":\\s*\"(arn:aws:states:::[^\"]+)\"", templatefile("definitions/order.asl.json", local.order_definition_vars)))) == toset([
      "arn:aws:states:::lambda:invoke",                    # InvokeOrderFunctions
      "arn:aws:states:::dynamodb:putItem",                 # RecordOrders
      "arn:aws:states:::dynamodb:updateItem",              # RecordOrders
      "arn:aws:states:::sqs:sendMessage.waitForTaskToken", # RequestApproval
      "arn:aws:states:::states:startExecution.sync:2",     # StartNotifications, FollowNotifications, ManageSyncRule
    ])
    error_message = "definitions/order.asl.json calls an integration the order table does not cover (or no longer calls one): update orders.tf and this test together."
  }


  assert {
    condition = jsonencode(local.notification_policy_statements) == jsonencode([
      {
        sid       = "RecordStatus"
        actions   = ["dynamodb:PutItem", "dynamodb:UpdateItem"]
        resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/sfn-refactor-notification-status"]
      },
      {
        # Publishing to a phone number has no narrower resource.
        sid       = "SendSms"
        actions   = ["sns:Publish"]
        resources = ["*"]
      },
      {
        sid       = "PublishOutcomeEvents"
        actions   = ["sns:Publish"]
        resources = ["arn:aws:sns:us-east-1:123456789012:sfn-refactor-notification-events"]
      },
      {
        sid       = "SendEmail"
        actions   = ["ses:SendEmail"]
        resources = ["arn:aws:ses:us-east-1:123456789012:identity/notifications@example.com"]
      },
      {
        # PutMetricData takes no resource: the namespace condition limits it.
        sid       = "PutOutcomeMetric"
        actions   = ["cloudwatch:PutMetricData"]
        resources = ["*"]
        conditions = [{
          test     = "StringEquals"
          variable = "cloudwatch:namespace"
          values   = ["SfnRefactor/Notifications"]
        }]
      },
      {
        sid       = "UseStackKey"
        actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
        resources = ["arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111"]
        conditions = [{
          test     = "StringEquals"
          variable = "kms:ViaService"
          values   = ["sns.us-east-1.amazonaws.com", "dynamodb.us-east-1.amazonaws.com"]
        }]
      },
    ])
    error_message = "The notification role's statements differ from its integration table: ${jsonencode(local.notification_policy_statements)}"
  }


  assert {
    condition = jsonencode(local.order_policy_statements) == jsonencode([
      {
        sid     = "InvokeOrderFunctions"
        actions = ["lambda:InvokeFunction"]
        resources = [
          "arn:aws:lambda:us-east-1:123456789012:function:sfn-refactor-validate-order",
          "arn:aws:lambda:us-east-1:123456789012:function:sfn-refactor-validate-order:*",
          "arn:aws:lambda:us-east-1:123456789012:function:sfn-refactor-check-fraud",
          "arn:aws:lambda:us-east-1:123456789012:function:sfn-refactor-check-fraud:*",
          "arn:aws:lambda:us-east-1:123456789012:function:sfn-refactor-reserve-inventory",
          "arn:aws:lambda:us-east-1:123456789012:function:sfn-refactor-reserve-inventory:*",
          "arn:aws:lambda:us-east-1:123456789012:function:sfn-refactor-release-inventory",
          "arn:aws:lambda:us-east-1:123456789012:function:sfn-refactor-release-inventory:*",
          "arn:aws:lambda:us-east-1:123456789012:function:sfn-refactor-charge-payment",
          "arn:aws:lambda:us-east-1:123456789012:function:sfn-refactor-charge-payment:*",
          "arn:aws:lambda:us-east-1:123456789012:function:sfn-refactor-refund-payment",
          "arn:aws:lambda:us-east-1:123456789012:function:sfn-refactor-refund-payment:*",
        ]
      },
      {
        sid       = "RecordOrders"
        actions   = ["dynamodb:PutItem", "dynamodb:UpdateItem"]
        resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/sfn-refactor-orders"]
      },
      {
        sid       = "RequestApproval"
        actions   = ["sqs:SendMessage"]
        resources = ["arn:aws:sqs:us-east-1:123456789012:sfn-refactor-order-approvals"]
      },
      {
        sid       = "StartNotifications"
        actions   = ["states:StartExecution"]
        resources = ["arn:aws:states:us-east-1:123456789012:stateMachine:sfn-refactor-notification"]
      },
      {
        sid       = "FollowNotifications"
        actions   = ["states:DescribeExecution", "states:StopExecution"]
        resources = ["arn:aws:states:us-east-1:123456789012:execution:sfn-refactor-notification:*"]
      },
      {
        sid       = "ManageSyncRule"
        actions   = ["events:PutTargets", "events:PutRule", "events:DescribeRule"]
        resources = ["arn:aws:events:us-east-1:123456789012:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule"]
      },
      {
        sid       = "UseOrderKey"
        actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
        resources = ["arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222"]
        conditions = [{
          test     = "StringEquals"
          variable = "kms:ViaService"
          values   = ["dynamodb.us-east-1.amazonaws.com", "sqs.us-east-1.amazonaws.com"]
        }]
      },
      {
        sid       = "UseNotificationKey"
        actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
        resources = ["arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111"]
        conditions = [{
          test     = "StringEquals"
          variable = "kms:EncryptionContext:aws:states:stateMachineArn"
          values   = ["arn:aws:states:us-east-1:123456789012:stateMachine:sfn-refactor-notification"]
        }]
      },
    ])
    error_message = "The order role's statements differ from its integration table: ${jsonencode(local.order_policy_statements)}"
  }


  assert {
    condition = jsonencode({ for name, function in local.order_functions : name => function.policy_statements }) == jsonencode({
      validate_order = []
      check_fraud    = []
      reserve_inventory = [
        {
          sid     = "ReserveStock"
          actions = ["dynamodb:UpdateItem"]
          resources = [
            "arn:aws:dynamodb:us-east-1:123456789012:table/sfn-refactor-stock",
            "arn:aws:dynamodb:us-east-1:123456789012:table/sfn-refactor-orders",
          ]
        },
        {
          sid        = "UseTableKey"
          actions    = ["kms:Decrypt", "kms:GenerateDataKey"]
          resources  = ["arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222"]
          conditions = [{ test = "StringEquals", variable = "kms:ViaService", values = ["dynamodb.us-east-1.amazonaws.com"] }]
        },
      ]
      release_inventory = [
        {
          sid     = "ReleaseStock"
          actions = ["dynamodb:UpdateItem"]
          resources = [
            "arn:aws:dynamodb:us-east-1:123456789012:table/sfn-refactor-stock",
            "arn:aws:dynamodb:us-east-1:123456789012:table/sfn-refactor-orders",
          ]
        },
        {
          sid        = "UseTableKey"
          actions    = ["kms:Decrypt", "kms:GenerateDataKey"]
          resources  = ["arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222"]
          conditions = [{ test = "StringEquals", variable = "kms:ViaService", values = ["dynamodb.us-east-1.amazonaws.com"] }]
        },
      ]
      charge_payment = [
        {
          sid       = "RecordCharges"
          actions   = ["dynamodb:UpdateItem"]
          resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/sfn-refactor-payments"]
        },
        {
          sid        = "UseTableKey"
          actions    = ["kms:Decrypt", "kms:GenerateDataKey"]
          resources  = ["arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222"]
          conditions = [{ test = "StringEquals", variable = "kms:ViaService", values = ["dynamodb.us-east-1.amazonaws.com"] }]
        },
      ]
      refund_payment = [
        {
          sid       = "RecordRefunds"
          actions   = ["dynamodb:UpdateItem"]
          resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/sfn-refactor-payments"]
        },
        {
          sid        = "UseTableKey"
          actions    = ["kms:Decrypt", "kms:GenerateDataKey"]
          resources  = ["arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222"]
          conditions = [{ test = "StringEquals", variable = "kms:ViaService", values = ["dynamodb.us-east-1.amazonaws.com"] }]
        },
      ]
    })
    error_message = "An order function's statements differ from what its code calls: ${jsonencode({ for name, function in local.order_functions : name => function.policy_statements })}"
  }
}

# The ARNs the root module builds itself follow the region and the prefix.
run "built_arns_follow_region_and_prefix" {
  command = plan
  variables {
    region      = "eu-west-1"
    name_prefix = "acme"
  }

  assert {
    condition = (
      local.order_policy_statements[4].resources == ["arn:aws:states:eu-west-1:123456789012:execution:acme-notification:*"] &&
      local.order_policy_statements[5].resources == ["arn:aws:events:eu-west-1:123456789012:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule"]
    )
    error_message = "FollowNotifications and ManageSyncRule must name this region's and this prefix's resources: ${jsonencode(slice(local.order_policy_statements, 4, 6))}"
  }
  assert {
    condition = (
      local.notification_policy_statements[5].conditions[0].values == ["sns.eu-west-1.amazonaws.com", "dynamodb.eu-west-1.amazonaws.com"] &&
      local.order_policy_statements[6].conditions[0].values == ["dynamodb.eu-west-1.amazonaws.com", "sqs.eu-west-1.amazonaws.com"] &&
      local.order_functions.charge_payment.policy_statements[1].conditions[0].values == ["dynamodb.eu-west-1.amazonaws.com"]
    )
    error_message = "Key statements must be limited to this region's services."
  }
}
