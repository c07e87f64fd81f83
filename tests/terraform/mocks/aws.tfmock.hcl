# What the mocked AWS provider answers in every `terraform test` of this
# repository: the root module's (tests/terraform/*.tftest.hcl,
# `source = "./tests/terraform/mocks"`) and each module's (modules/*/tests,
# `source = "../../tests/terraform/mocks"`, relative to the module).
#
# Without these, a mocked computed attribute is a random string: the provider's
# own checks then refuse it ("invalid ARN", "invalid JSON"), and a policy
# could not be compared with the ARNs it should name. Every value below exists
# in both the 5.x and the 6.x provider schemas.
#
# The data sources and resource types first, for every configuration. Then the
# root module's own resources, by address: a module's tests ignore an override
# whose target they do not have, and an override in a test file wins over one
# here. Their ARNs are those of the default deployment (name_prefix
# "sfn-refactor", us-east-1, account 123456789012). Runs that change
# name_prefix still get these ARNs: an override is a fixed value.

mock_data "aws_caller_identity" {
  defaults = {
    account_id = "123456789012"
    arn        = "arn:aws:iam::123456789012:user/terraform-test"
    user_id    = "AIDATERRAFORMTEST"
  }
}

mock_data "aws_partition" {
  defaults = {
    partition  = "aws"
    dns_suffix = "amazonaws.com"
  }
}

mock_data "aws_region" {
  defaults = {
    id = "us-east-1"
  }
}

# A policy document the provider accepts. What the documents contain is
# checked on their inputs, and the rendering by modules/policy_document's tests.
mock_data "aws_iam_policy_document" {
  defaults = {
    json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
  }
}

# Valid ARNs for every resource type whose ARN another resource checks; the
# resources whose ARN a policy names get their own below.
mock_resource "aws_iam_role" {
  defaults = {
    arn = "arn:aws:iam::123456789012:role/mock"
  }
}

mock_resource "aws_cloudwatch_log_group" {
  defaults = {
    arn = "arn:aws:logs:us-east-1:123456789012:log-group:mock"
  }
}

mock_resource "aws_kms_key" {
  defaults = {
    arn    = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"
    key_id = "00000000-0000-0000-0000-000000000000"
  }
}

# The notification stack ---------------------------------------------------------

override_resource {
  target = module.kms_key.aws_kms_key.this
  values = {
    arn    = "arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111"
    key_id = "11111111-1111-1111-1111-111111111111"
  }
}

override_resource {
  target = module.status_table.aws_dynamodb_table.this
  values = {
    arn = "arn:aws:dynamodb:us-east-1:123456789012:table/sfn-refactor-notification-status"
  }
}

override_resource {
  target = aws_sns_topic.events
  values = {
    arn = "arn:aws:sns:us-east-1:123456789012:sfn-refactor-notification-events"
  }
}

override_resource {
  target = aws_sesv2_email_identity.sender
  values = {
    arn = "arn:aws:ses:us-east-1:123456789012:identity/notifications@example.com"
  }
}

override_resource {
  target = module.notification_workflow.aws_cloudwatch_log_group.this
  values = {
    arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/sfn-refactor-notification"
  }
}

override_resource {
  target = module.notification_workflow.aws_sfn_state_machine.this
  values = {
    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:sfn-refactor-notification"
  }
}

# The order stack ------------------------------------------------------------------

override_resource {
  target = module.orders_kms_key.aws_kms_key.this
  values = {
    arn    = "arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222"
    key_id = "22222222-2222-2222-2222-222222222222"
  }
}

override_resource {
  target = module.orders_table.aws_dynamodb_table.this
  values = {
    arn = "arn:aws:dynamodb:us-east-1:123456789012:table/sfn-refactor-orders"
  }
}

override_resource {
  target = module.stock_table.aws_dynamodb_table.this
  values = {
    arn = "arn:aws:dynamodb:us-east-1:123456789012:table/sfn-refactor-stock"
  }
}

override_resource {
  target = module.payments_table.aws_dynamodb_table.this
  values = {
    arn = "arn:aws:dynamodb:us-east-1:123456789012:table/sfn-refactor-payments"
  }
}

override_resource {
  target = module.approval_queue.aws_sqs_queue.this
  values = {
    arn = "arn:aws:sqs:us-east-1:123456789012:sfn-refactor-order-approvals"
    url = "https://sqs.us-east-1.amazonaws.com/123456789012/sfn-refactor-order-approvals"
  }
}

override_resource {
  target = module.approval_queue.aws_sqs_queue.dead_letter
  values = {
    arn = "arn:aws:sqs:us-east-1:123456789012:sfn-refactor-order-approvals-dlq"
    url = "https://sqs.us-east-1.amazonaws.com/123456789012/sfn-refactor-order-approvals-dlq"
  }
}

override_resource {
  target = module.order_function["validate_order"].aws_lambda_function.this
  values = {
    arn = "arn:aws:lambda:us-east-1:123456789012:function:sfn-refactor-validate-order"
  }
}

override_resource {
  target = module.order_function["check_fraud"].aws_lambda_function.this
  values = {
    arn = "arn:aws:lambda:us-east-1:123456789012:function:sfn-refactor-check-fraud"
  }
}

override_resource {
  target = module.order_function["reserve_inventory"].aws_lambda_function.this
  values = {
    arn = "arn:aws:lambda:us-east-1:123456789012:function:sfn-refactor-reserve-inventory"
  }
}

override_resource {
  target = module.order_function["release_inventory"].aws_lambda_function.this
  values = {
    arn = "arn:aws:lambda:us-east-1:123456789012:function:sfn-refactor-release-inventory"
  }
}

override_resource {
  target = module.order_function["charge_payment"].aws_lambda_function.this
  values = {
    arn = "arn:aws:lambda:us-east-1:123456789012:function:sfn-refactor-charge-payment"
  }
}

override_resource {
  target = module.order_function["refund_payment"].aws_lambda_function.this
  values = {
    arn = "arn:aws:lambda:us-east-1:123456789012:function:sfn-refactor-refund-payment"
  }
}

override_resource {
  target = module.order_workflow.aws_cloudwatch_log_group.this
  values = {
    arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/sfn-refactor-order"
  }
}

override_resource {
  target = module.order_workflow.aws_sfn_state_machine.this
  values = {
    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:sfn-refactor-order"
  }
}

# The API and the alarms --------------------------------------------------------------

override_resource {
  target = module.ingress[0].aws_api_gateway_stage.this
  values = {
    invoke_url = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/v1"
  }
}

override_resource {
  target = module.alarms.aws_sns_topic.alarms
  values = {
    arn = "arn:aws:sns:us-east-1:123456789012:sfn-refactor-alarms"
  }
}
