# modules/alarms, offline: `terraform -chdir=modules/alarms test` (after
# `terraform init -backend=false`). The AWS provider is mocked: nothing is
# created and no credentials are read. docs/ingress.md lists the alarms.

# The mocked provider's answers are the root module's (tests/terraform/mocks):
# account 123456789012, us-east-1.
mock_provider "aws" {
  source = "../../tests/terraform/mocks"
}

override_resource {
  target          = aws_sns_topic.alarms
  override_during = plan
  values = {
    arn = "arn:aws:sns:us-east-1:123456789012:demo-alarms"
  }
}

override_resource {
  target          = module.kms_key.aws_kms_key.this
  override_during = plan
  values = {
    arn = "arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222"
  }
}

variables {
  topic_name    = "demo-alarms"
  kms_key_alias = "alias/demo-alarms"
  name_prefix   = "demo"
  state_machines = {
    notification = "arn:aws:states:us-east-1:123456789012:stateMachine:demo-notification"
    order        = "arn:aws:states:us-east-1:123456789012:stateMachine:demo-order"
  }
  functions = {
    charge_payment = "demo-charge-payment"
    check_fraud    = "demo-check-fraud"
  }
  reserved_concurrency = 10
  dead_letter_queues = {
    approvals = "demo-order-approvals-dlq"
  }
  notification_metric = {
    namespace      = "Demo/Notifications"
    delivery_modes = ["text", "mail", "dual"]
  }
  period_seconds     = 300
  evaluation_periods = 2
  thresholds = {
    executions_failed    = 5
    executions_timed_out = 1
    executions_throttled = 2
    function_errors      = 7
    function_throttles   = 3
    concurrency_percent  = 80
    notifications_failed = 4
  }
}

run "every_alarm_has_its_documented_name" {
  command = plan

  assert {
    condition = sort(keys(aws_cloudwatch_metric_alarm.this)) == sort([
      "demo-notification-executions-failed", "demo-notification-executions-timed-out", "demo-notification-executions-throttled",
      "demo-order-executions-failed", "demo-order-executions-timed-out", "demo-order-executions-throttled",
      "demo-charge-payment-errors", "demo-charge-payment-throttles", "demo-charge-payment-concurrency",
      "demo-check-fraud-errors", "demo-check-fraud-throttles", "demo-check-fraud-concurrency",
      "demo-order-approvals-dlq-not-empty",
    ])
    error_message = "Alarm names: ${jsonencode(keys(aws_cloudwatch_metric_alarm.this))}"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.notifications_failed.alarm_name == "demo-notifications-failed"
    error_message = "The FAILED notifications alarm must be <name_prefix>-notifications-failed."
  }
}

run "state_machine_alarms_watch_each_machine_with_its_threshold" {
  command = plan

  assert {
    condition = alltrue([
      for key, arn in var.state_machines : (
        aws_cloudwatch_metric_alarm.this["demo-${key}-executions-failed"].metric_name == "ExecutionsFailed" &&
        aws_cloudwatch_metric_alarm.this["demo-${key}-executions-failed"].threshold == 5 &&
        aws_cloudwatch_metric_alarm.this["demo-${key}-executions-timed-out"].metric_name == "ExecutionsTimedOut" &&
        aws_cloudwatch_metric_alarm.this["demo-${key}-executions-timed-out"].threshold == 1 &&
        aws_cloudwatch_metric_alarm.this["demo-${key}-executions-throttled"].metric_name == "ExecutionThrottled" &&
        aws_cloudwatch_metric_alarm.this["demo-${key}-executions-throttled"].threshold == 2 &&
        alltrue([for suffix in ["executions-failed", "executions-timed-out", "executions-throttled"] : (
          aws_cloudwatch_metric_alarm.this["demo-${key}-${suffix}"].namespace == "AWS/States" &&
          aws_cloudwatch_metric_alarm.this["demo-${key}-${suffix}"].dimensions == tomap({ StateMachineArn = arn }) &&
          aws_cloudwatch_metric_alarm.this["demo-${key}-${suffix}"].statistic == "Sum" &&
          aws_cloudwatch_metric_alarm.this["demo-${key}-${suffix}"].comparison_operator == "GreaterThanOrEqualToThreshold"
        )])
      )
    ])
    error_message = "Each state machine needs ExecutionsFailed, ExecutionsTimedOut and ExecutionThrottled alarms on its ARN, with their thresholds."
  }
}

run "function_alarms_fire_near_the_reserved_concurrency" {
  command = plan

  assert {
    condition = alltrue([
      for key, name in var.functions : (
        aws_cloudwatch_metric_alarm.this["${name}-errors"].metric_name == "Errors" &&
        aws_cloudwatch_metric_alarm.this["${name}-errors"].threshold == 7 &&
        aws_cloudwatch_metric_alarm.this["${name}-throttles"].metric_name == "Throttles" &&
        aws_cloudwatch_metric_alarm.this["${name}-throttles"].threshold == 3 &&
        aws_cloudwatch_metric_alarm.this["${name}-concurrency"].metric_name == "ConcurrentExecutions" &&
        aws_cloudwatch_metric_alarm.this["${name}-concurrency"].statistic == "Maximum" &&
        aws_cloudwatch_metric_alarm.this["${name}-concurrency"].threshold == 8 &&
        aws_cloudwatch_metric_alarm.this["${name}-errors"].dimensions == tomap({ FunctionName = name })
      )
    ])
    error_message = "Each function needs Errors, Throttles and ConcurrentExecutions alarms; 80% of 10 reserved is 8."
  }
}

run "the_concurrency_threshold_is_rounded_up" {
  command = plan
  variables {
    reserved_concurrency = 3
    thresholds = {
      executions_failed    = 5
      executions_timed_out = 1
      executions_throttled = 1
      function_errors      = 5
      function_throttles   = 1
      concurrency_percent  = 50
      notifications_failed = 5
    }
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["demo-check-fraud-concurrency"].threshold == 2
    error_message = "50% of 3 is 1.5: the alarm fires at 2."
  }
}

run "the_dead_letter_queue_alarm_fires_on_one_message" {
  command = plan

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.this["demo-order-approvals-dlq-not-empty"].namespace == "AWS/SQS" &&
      aws_cloudwatch_metric_alarm.this["demo-order-approvals-dlq-not-empty"].metric_name == "ApproximateNumberOfMessagesVisible" &&
      aws_cloudwatch_metric_alarm.this["demo-order-approvals-dlq-not-empty"].dimensions == tomap({ QueueName = "demo-order-approvals-dlq" }) &&
      aws_cloudwatch_metric_alarm.this["demo-order-approvals-dlq-not-empty"].comparison_operator == "GreaterThanThreshold" &&
      aws_cloudwatch_metric_alarm.this["demo-order-approvals-dlq-not-empty"].threshold == 0
    )
    error_message = "The dead-letter queue alarm must fire when the queue holds a message."
  }
}

run "failed_notifications_are_summed_over_every_delivery_mode" {
  command = plan

  assert {
    condition = (
      length([for query in aws_cloudwatch_metric_alarm.notifications_failed.metric_query : query if length(query.metric) == 1]) == 3 &&
      alltrue([for query in aws_cloudwatch_metric_alarm.notifications_failed.metric_query : (
        query.metric[0].namespace == "Demo/Notifications" && query.metric[0].metric_name == "Notifications" &&
        query.metric[0].dimensions["Status"] == "FAILED" && query.return_data == false
      ) if length(query.metric) == 1]) &&
      sort([for query in aws_cloudwatch_metric_alarm.notifications_failed.metric_query : query.metric[0].dimensions["DeliveryMode"] if length(query.metric) == 1]) == tolist(["dual", "mail", "text"]) &&
      one([for query in aws_cloudwatch_metric_alarm.notifications_failed.metric_query : query.expression if query.return_data]) == "FILL(failed_text, 0) + FILL(failed_mail, 0) + FILL(failed_dual, 0)" &&
      aws_cloudwatch_metric_alarm.notifications_failed.threshold == 4
    )
    error_message = "The FAILED alarm must add up Notifications{Status=FAILED, DeliveryMode=m} for every delivery mode."
  }
}

run "every_alarm_notifies_the_encrypted_topic" {
  command = plan

  assert {
    condition = alltrue(concat(
      [for alarm in aws_cloudwatch_metric_alarm.this : (
        alarm.alarm_actions == toset(["arn:aws:sns:us-east-1:123456789012:demo-alarms"]) &&
        alarm.ok_actions == toset(["arn:aws:sns:us-east-1:123456789012:demo-alarms"]) &&
        alarm.treat_missing_data == "notBreaching" && alarm.period == 300 && alarm.evaluation_periods == 2
      )],
      [aws_cloudwatch_metric_alarm.notifications_failed.alarm_actions == toset(["arn:aws:sns:us-east-1:123456789012:demo-alarms"])],
    ))
    error_message = "Every alarm must notify the alarm topic when it fires and when it recovers."
  }
  assert {
    condition     = aws_sns_topic.alarms.kms_master_key_id == "arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222"
    error_message = "The alarm topic must be encrypted with the module's own key."
  }
  assert {
    condition     = output.topic_arn == "arn:aws:sns:us-east-1:123456789012:demo-alarms"
    error_message = "Output topic_arn must be the alarm topic's ARN."
  }
}
