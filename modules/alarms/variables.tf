variable "topic_name" {
  description = "Name of the SNS topic every alarm notifies (when it fires and when it recovers)."
  type        = string
}

variable "kms_key_alias" {
  description = "Alias of the topic's own KMS key (CloudWatch may use it, so it encrypts nothing else)."
  type        = string
}

variable "kms_key_deletion_window_days" {
  description = "Days KMS waits before deleting the topic's key once it is scheduled for deletion."
  type        = number
  default     = 30
}

variable "name_prefix" {
  description = "Prefix of the state machine alarms' names: <name_prefix>-<state machine key>-executions-failed."
  type        = string
}

variable "state_machines" {
  description = "State machines to watch, by a short key used in alarm names (notification, order) => ARN."
  type        = map(string)
}

variable "functions" {
  description = "Lambda functions to watch, by key => function name; alarms are named <function name>-errors, -throttles, -concurrency."
  type        = map(string)
}

variable "reserved_concurrency" {
  description = "Reserved concurrency of each watched function: the concurrency alarm fires near it."
  type        = number
}

variable "dead_letter_queues" {
  description = "SQS queues that must stay empty, by key => queue name; alarms are named <queue name>-not-empty."
  type        = map(string)
}

variable "notification_metric" {
  description = "The notification workflow's outcome metric: its namespace and the delivery modes it is put for (its DeliveryMode dimension)."
  type = object({
    namespace      = string
    delivery_modes = list(string)
  })
}

variable "period_seconds" {
  description = "Period over which each alarm's statistic is computed."
  type        = number
}

variable "evaluation_periods" {
  description = "Consecutive periods an alarm's threshold must be crossed before it fires."
  type        = number
}

variable "thresholds" {
  description = "Each alarm's threshold: counts per period, and the concurrency alarm's percent of the reserved concurrency."
  type = object({
    executions_failed    = number
    executions_timed_out = number
    executions_throttled = number
    function_errors      = number
    function_throttles   = number
    concurrency_percent  = number
    notifications_failed = number
  })
}
