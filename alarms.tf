# Alarms on both workflows, the order functions, the approval dead-letter
# queue and the notification outcome metric, into an encrypted topic
# (modules/alarms, docs/ingress.md lists each alarm).
module "alarms" {
  source = "./modules/alarms"

  topic_name                   = local.names.alarm_topic
  kms_key_alias                = local.names.alarms_kms_key_alias
  kms_key_deletion_window_days = var.kms_key_deletion_window_days
  name_prefix                  = var.name_prefix
  state_machines = {
    notification = module.notification_workflow.arn
    order        = module.order_workflow.arn
  }
  functions            = { for key, function in local.order_functions : key => function.name }
  reserved_concurrency = var.lambda_reserved_concurrency
  dead_letter_queues = {
    approvals = module.approval_queue.dead_letter_queue_name
  }
  notification_metric = {
    namespace = var.metric_namespace
    # The DeliveryMode values the notification workflow accepts, and so puts
    # its metric with (definitions/notification.asl.json, CheckCommonFields).
    delivery_modes = ["text", "mail", "dual"]
  }
  period_seconds     = var.alarm_period_seconds
  evaluation_periods = var.alarm_evaluation_periods
  thresholds = {
    executions_failed    = var.alarm_executions_failed_threshold
    executions_timed_out = var.alarm_executions_timed_out_threshold
    executions_throttled = var.alarm_executions_throttled_threshold
    function_errors      = var.alarm_function_errors_threshold
    function_throttles   = var.alarm_function_throttles_threshold
    concurrency_percent  = var.alarm_function_concurrency_percent
    notifications_failed = var.alarm_notifications_failed_threshold
  }
}
