# The notification workflow (README): validates a request, records it, sends
# the SMS and the email it asks for, records each channel's outcome and
# publishes it as an event and a metric.

module "kms_key" {
  source = "./modules/kms_key"

  alias                = local.names.kms_key_alias
  description          = "Encrypts the ${var.name_prefix} notification stack: status table, events topic, state machine and its logs."
  deletion_window_days = var.kms_key_deletion_window_days
  log_group_names      = [local.names.notification_log_group]
}

# Records hold phone numbers and email addresses: encrypted with the stack's key.
module "status_table" {
  source = "./modules/table"

  name                = local.names.status_table
  hash_key            = "notification_id"
  ttl_attribute       = "expires_at" # written by the workflow, record_ttl_days after the request
  kms_key_arn         = module.kms_key.arn
  deletion_protection = var.deletion_protection
}

# One event per finished notification, for subscribers (README, Outcomes).
resource "aws_sns_topic" "events" {
  name              = local.names.events_topic
  kms_master_key_id = module.kms_key.arn
}

# Creating the identity makes SES send a verification link to the address;
# SES refuses to send from it until someone follows that link.
resource "aws_sesv2_email_identity" "sender" {
  email_identity = var.sender_email
}

# Both were single-resource modules: a deployment made before keeps them.
moved {
  from = module.events_topic.aws_sns_topic.this
  to   = aws_sns_topic.events
}

moved {
  from = module.email_identity.aws_sesv2_email_identity.this
  to   = aws_sesv2_email_identity.sender
}

# Every placeholder of definitions/notification.asl.json, and nothing else.
# A harness test compares these keys with the template's placeholders.
locals {
  notification_definition_vars = {
    status_table_name     = module.status_table.name
    events_topic_arn      = aws_sns_topic.events.arn
    sender_email          = var.sender_email
    default_email_subject = var.default_email_subject
    metric_namespace      = var.metric_namespace
    task_timeout_seconds  = var.task_timeout_seconds
    record_ttl_seconds    = var.record_ttl_days * 86400
    # The retriers (locals.tf has the shared ones), each inserted whole.
    service_retry     = local.service_retry
    dynamodb_no_retry = local.dynamodb_no_retry
    # Each channel: any error its permanent ones leave, with the channel's attempts.
    sms_retry   = jsonencode(merge(local.retry_backoff, { ErrorEquals = ["States.ALL"], MaxAttempts = var.sms_max_attempts }))
    email_retry = jsonencode(merge(local.retry_backoff, { ErrorEquals = ["States.ALL"], MaxAttempts = var.email_max_attempts }))
  }
}

# What the notification definition calls, one statement per integration.
locals {
  notification_policy_statements = [
    {
      # dynamodb:putItem records the request; dynamodb:updateItem records
      # each channel's outcome.
      sid       = "RecordStatus"
      actions   = ["dynamodb:PutItem", "dynamodb:UpdateItem"]
      resources = [module.status_table.arn]
    },
    {
      # sns:publish with PhoneNumber (direct SMS). AWS offers no resource
      # narrower than "*" for publishing to a phone number; this is AWS's own
      # Step Functions template.
      sid       = "SendSms"
      actions   = ["sns:Publish"]
      resources = ["*"]
    },
    {
      # sns:publish with TopicArn: the outcome event for subscribers.
      sid       = "PublishOutcomeEvents"
      actions   = ["sns:Publish"]
      resources = [aws_sns_topic.events.arn]
    },
    {
      # aws-sdk:sesv2:sendEmail from the sender's identity (SES has no
      # optimized integration).
      sid       = "SendEmail"
      actions   = ["ses:SendEmail"]
      resources = [aws_sesv2_email_identity.sender.arn]
    },
    {
      # aws-sdk:cloudwatch:putMetricData: the action takes no resource, so
      # the namespace condition is what limits it.
      sid       = "PutOutcomeMetric"
      actions   = ["cloudwatch:PutMetricData"]
      resources = ["*"]
      conditions = [{
        test     = "StringEquals"
        variable = "cloudwatch:namespace"
        values   = [var.metric_namespace]
      }]
    },
    {
      # The topic and the table are encrypted with the stack's key: SNS and
      # DynamoDB use it on the role's behalf, and only they may.
      sid       = "UseStackKey"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [module.kms_key.arn]
      conditions = [{
        test     = "StringEquals"
        variable = "kms:ViaService"
        values = [
          "sns.${var.region}.amazonaws.com",
          "dynamodb.${var.region}.amazonaws.com",
        ]
      }]
    },
  ]
}

module "notification_workflow" {
  source = "./modules/state_machine"

  name               = local.names.notification_state_machine
  type               = var.state_machine_type
  role_name          = local.names.notification_role
  definition         = templatefile("${path.module}/definitions/notification.asl.json", local.notification_definition_vars)
  policy_statements  = local.notification_policy_statements
  log_group_name     = local.names.notification_log_group
  log_retention_days = var.log_retention_days
  log_level          = var.log_level
  kms_key_arn        = module.kms_key.arn
}
