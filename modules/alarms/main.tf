# CloudWatch alarms that tell operators when the workflows fail, and the
# encrypted SNS topic they notify. docs/ingress.md lists every alarm.

locals {
  state_machine_metrics = {
    "executions-failed"    = { metric = "ExecutionsFailed", threshold = var.thresholds.executions_failed, what = "executions failed" }
    "executions-timed-out" = { metric = "ExecutionsTimedOut", threshold = var.thresholds.executions_timed_out, what = "executions timed out" }
    "executions-throttled" = { metric = "ExecutionThrottled", threshold = var.thresholds.executions_throttled, what = "state transitions were throttled" }
  }

  # ConcurrentExecutions near the reserved concurrency: a runaway flow (or a
  # surge) is about to be throttled.
  concurrency_threshold = ceil(var.reserved_concurrency * var.thresholds.concurrency_percent / 100)

  function_metrics = {
    "errors"      = { metric = "Errors", statistic = "Sum", threshold = var.thresholds.function_errors, what = "invocations failed" }
    "throttles"   = { metric = "Throttles", statistic = "Sum", threshold = var.thresholds.function_throttles, what = "invocations were throttled" }
    "concurrency" = { metric = "ConcurrentExecutions", statistic = "Maximum", threshold = local.concurrency_threshold, what = "concurrent executions (reserved: ${var.reserved_concurrency})" }
  }

  # Every alarm on one AWS metric, by its name.
  metric_alarms = merge(
    merge([for key, arn in var.state_machines : {
      for suffix, alarm in local.state_machine_metrics : "${var.name_prefix}-${key}-${suffix}" => {
        namespace   = "AWS/States"
        metric      = alarm.metric
        dimensions  = { StateMachineArn = arn }
        statistic   = "Sum"
        comparison  = "GreaterThanOrEqualToThreshold"
        threshold   = alarm.threshold
        description = "The ${key} state machine: ${alarm.threshold} or more ${alarm.what} in ${var.period_seconds} s. Its execution history says why."
      }
    }]...),
    merge([for key, function_name in var.functions : {
      for suffix, alarm in local.function_metrics : "${function_name}-${suffix}" => {
        namespace   = "AWS/Lambda"
        metric      = alarm.metric
        dimensions  = { FunctionName = function_name }
        statistic   = alarm.statistic
        comparison  = "GreaterThanOrEqualToThreshold"
        threshold   = alarm.threshold
        description = "The ${function_name} function: ${alarm.threshold} or more ${alarm.what} in ${var.period_seconds} s."
      }
    }]...),
    { for key, queue_name in var.dead_letter_queues : "${queue_name}-not-empty" => {
      namespace   = "AWS/SQS"
      metric      = "ApproximateNumberOfMessagesVisible"
      dimensions  = { QueueName = queue_name }
      statistic   = "Maximum"
      comparison  = "GreaterThanThreshold"
      threshold   = 0
      description = "The ${queue_name} dead-letter queue holds a message: a request nobody answered (docs/orders.md tells how to answer it)."
    } },
  )
}

module "kms_key" {
  source = "../kms_key"

  alias                = var.kms_key_alias
  description          = "Encrypts the ${var.topic_name} alarm topic; CloudWatch may use it to publish there."
  deletion_window_days = var.kms_key_deletion_window_days
  publishing_services  = ["cloudwatch.amazonaws.com"]
}

resource "aws_sns_topic" "alarms" {
  name              = var.topic_name
  kms_master_key_id = module.kms_key.arn
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.metric_alarms

  alarm_name          = each.key
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = var.period_seconds
  evaluation_periods  = var.evaluation_periods
  comparison_operator = each.value.comparison
  threshold           = each.value.threshold
  # No data is no failure: an idle stack stays OK.
  treat_missing_data = "notBreaching"
  alarm_actions      = [aws_sns_topic.alarms.arn]
  ok_actions         = [aws_sns_topic.alarms.arn]
}

# The notification workflow puts Notifications with two dimensions, Status and
# DeliveryMode (definitions/notification.asl.json, PutOutcomeMetric). An alarm
# watches one exact set of dimensions, so the FAILED count is the sum of one
# metric per delivery mode.
resource "aws_cloudwatch_metric_alarm" "notifications_failed" {
  alarm_name          = "${var.name_prefix}-notifications-failed"
  alarm_description   = "${var.thresholds.notifications_failed} or more notifications FAILED (nothing delivered) in ${var.period_seconds} s, all delivery modes together."
  evaluation_periods  = var.evaluation_periods
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = var.thresholds.notifications_failed
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  dynamic "metric_query" {
    for_each = var.notification_metric.delivery_modes

    content {
      id          = "failed_${metric_query.value}"
      return_data = false

      metric {
        namespace   = var.notification_metric.namespace
        metric_name = "Notifications"
        dimensions = {
          Status       = "FAILED"
          DeliveryMode = metric_query.value
        }
        stat   = "Sum"
        period = var.period_seconds
      }
    }
  }

  metric_query {
    id          = "failed"
    label       = "Notifications FAILED"
    expression  = join(" + ", [for mode in var.notification_metric.delivery_modes : "FILL(failed_${mode}, 0)"])
    return_data = true
  }
}
