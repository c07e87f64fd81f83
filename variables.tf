variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-east-1"
}

variable "name_prefix" {
  description = "Prefix for every resource name, so several copies of the stack can share an account."
  type        = string
  default     = "sfn-refactor"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name_prefix))
    error_message = "name_prefix must be 2-31 characters: lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "sender_email" {
  description = "Address the notification emails are sent from. It becomes an SES email identity and must be verified before SES accepts mail from it."
  type        = string
  default     = "notifications@example.com"

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.sender_email))
    error_message = "sender_email must be an email address."
  }
}

variable "default_email_subject" {
  description = "Subject of a notification email whose request carries no subject of its own."
  type        = string
  default     = "Your notification"
}

variable "state_machine_type" {
  description = "Type of the notification state machine: STANDARD (exactly-once, execution history, up to a year) or EXPRESS (cheaper at volume, history only in CloudWatch Logs). The order state machine is always STANDARD: it waits for approvals and nested executions."
  type        = string
  default     = "STANDARD"

  validation {
    condition     = contains(["STANDARD", "EXPRESS"], var.state_machine_type)
    error_message = "state_machine_type must be STANDARD or EXPRESS."
  }
}

variable "task_timeout_seconds" {
  description = "TimeoutSeconds of every Task in both workflows that calls a service directly: the table writes, the SMS, the email, the outcome event and metric. Function, approval and nested-notification Tasks have their own: lambda_timeout_seconds + 5, approval_timeout_seconds, order_notification_timeout_seconds."
  type        = number
  default     = 10

  validation {
    condition     = var.task_timeout_seconds >= 1 && floor(var.task_timeout_seconds) == var.task_timeout_seconds
    error_message = "task_timeout_seconds must be a whole number of seconds, at least 1."
  }
}

variable "retry_interval_seconds" {
  description = "IntervalSeconds of every transient-error retrier in both workflows (the wait before the first retry); the payment retrier has payment_retry_interval_seconds instead."
  type        = number
  default     = 2

  validation {
    condition     = var.retry_interval_seconds >= 1 && floor(var.retry_interval_seconds) == var.retry_interval_seconds
    error_message = "retry_interval_seconds must be a whole number, at least 1 (an ASL rule)."
  }
}

variable "retry_backoff_rate" {
  description = "BackoffRate of every transient-error retrier in both workflows: each wait is the previous one times this."
  type        = number
  default     = 2

  validation {
    condition     = var.retry_backoff_rate >= 1
    error_message = "retry_backoff_rate must be at least 1."
  }
}

variable "retry_max_delay_seconds" {
  description = "MaxDelaySeconds of every transient-error retrier in both workflows: the cap on one wait."
  type        = number
  default     = 30

  validation {
    condition     = var.retry_max_delay_seconds >= 1 && floor(var.retry_max_delay_seconds) == var.retry_max_delay_seconds
    error_message = "retry_max_delay_seconds must be a whole number, at least 1."
  }
}

variable "sms_max_attempts" {
  description = "How many times a transient SMS failure is retried before the channel is marked FAILED."
  type        = number
  default     = 3

  validation {
    condition     = var.sms_max_attempts >= 0 && var.sms_max_attempts <= 10 && floor(var.sms_max_attempts) == var.sms_max_attempts
    error_message = "sms_max_attempts must be a whole number from 0 to 10."
  }
}

variable "email_max_attempts" {
  description = "How many times a transient email failure is retried before the channel is marked FAILED."
  type        = number
  default     = 3

  validation {
    condition     = var.email_max_attempts >= 0 && var.email_max_attempts <= 10 && floor(var.email_max_attempts) == var.email_max_attempts
    error_message = "email_max_attempts must be a whole number from 0 to 10."
  }
}

variable "record_ttl_days" {
  description = "Days a notification status record is kept before DynamoDB's TTL removes it."
  type        = number
  default     = 90

  validation {
    # The expiry is computed with States.MathAdd, which works on 32-bit integers.
    condition     = var.record_ttl_days >= 1 && var.record_ttl_days <= 365 && floor(var.record_ttl_days) == var.record_ttl_days
    error_message = "record_ttl_days must be a whole number from 1 to 365."
  }
}

variable "metric_namespace" {
  description = "CloudWatch namespace of the notification workflow's outcome metric, which the failed-notifications alarm watches."
  type        = string
  default     = "SfnRefactor/Notifications"
}

variable "log_retention_days" {
  description = "Days CloudWatch Logs keeps the stack's logs: both state machines', the order functions' and the API's (access and execution logs)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention period CloudWatch Logs accepts."
  }
}

variable "log_level" {
  description = "Step Functions log level of both state machines: ALL, ERROR, FATAL or OFF. Execution data is never logged (it holds phone numbers and email addresses)."
  type        = string
  default     = "ALL"

  validation {
    condition     = contains(["ALL", "ERROR", "FATAL", "OFF"], var.log_level)
    error_message = "log_level must be ALL, ERROR, FATAL or OFF."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "service_max_attempts" {
  description = "How many times a transient failure of a service call is retried, in both workflows: a table write, the outcome event or metric, Lambda's own errors when it invokes an order function, and a nested notification refused at the account's execution limit."
  type        = number
  default     = 3

  validation {
    condition     = var.service_max_attempts >= 0 && var.service_max_attempts <= 10 && floor(var.service_max_attempts) == var.service_max_attempts
    error_message = "service_max_attempts must be a whole number from 0 to 10."
  }
}

variable "deletion_protection" {
  description = "Protect every table (notification status, orders, stock, payments) from deletion. Off by default so the demo stack destroys cleanly; turn it on for anything holding real records."
  type        = bool
  default     = false
}

variable "kms_key_deletion_window_days" {
  description = "Days KMS waits before deleting each of the stack's keys (notification, order, API and alarms) after terraform destroy (7-30); data encrypted with a key is unreadable once it is gone."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_key_deletion_window_days >= 7 && var.kms_key_deletion_window_days <= 30 && floor(var.kms_key_deletion_window_days) == var.kms_key_deletion_window_days
    error_message = "kms_key_deletion_window_days must be a whole number from 7 to 30."
  }
}

# Order-processing saga (orders.tf, docs/orders.md) -----------------------------

variable "approval_threshold_cents" {
  description = "Orders of this amount or more (in the currency's minor unit, e.g. cents) wait for an operator's approval before they are charged."
  type        = number
  default     = 100000

  validation {
    condition     = var.approval_threshold_cents >= 1 && floor(var.approval_threshold_cents) == var.approval_threshold_cents
    error_message = "approval_threshold_cents must be a whole number, at least 1."
  }

  validation {
    condition     = var.approval_threshold_cents <= var.fraud_amount_limit_cents
    error_message = "approval_threshold_cents must not be above fraud_amount_limit_cents: such orders would be fraud suspects before anyone could approve them."
  }
}

variable "approval_timeout_seconds" {
  description = "How long an order waits for its approval in all; then it is cancelled with ApprovalTimedOut. At most 14 days, the longest SQS keeps the request."
  type        = number
  default     = 86400

  validation {
    condition     = var.approval_timeout_seconds >= 2 && var.approval_timeout_seconds <= 1209600 && floor(var.approval_timeout_seconds) == var.approval_timeout_seconds
    error_message = "approval_timeout_seconds must be a whole number from 2 to 1209600 (14 days)."
  }
}

variable "approval_heartbeat_seconds" {
  description = "How long an approval may go without a sign of life (the request being answered, or SendTaskHeartbeat from the reviewer); then it is cancelled with ApprovalTimedOut. Must be less than approval_timeout_seconds."
  type        = number
  default     = 14400

  validation {
    condition     = var.approval_heartbeat_seconds >= 1 && floor(var.approval_heartbeat_seconds) == var.approval_heartbeat_seconds
    error_message = "approval_heartbeat_seconds must be a whole number, at least 1."
  }

  validation {
    condition     = var.approval_heartbeat_seconds < var.approval_timeout_seconds
    error_message = "approval_heartbeat_seconds must be less than approval_timeout_seconds (an ASL rule)."
  }
}

variable "payment_max_attempts" {
  description = "How many times a charge or a refund that failed transiently is retried: then the order fails with PaymentUnavailable (a charge) or CompensationFailed (a refund)."
  type        = number
  default     = 3

  validation {
    condition     = var.payment_max_attempts >= 0 && var.payment_max_attempts <= 10 && floor(var.payment_max_attempts) == var.payment_max_attempts
    error_message = "payment_max_attempts must be a whole number from 0 to 10."
  }
}

variable "payment_retry_interval_seconds" {
  description = "IntervalSeconds of the payment retrier: the wait before the first retry of a charge or a refund; later waits grow by retry_backoff_rate up to retry_max_delay_seconds, with full jitter."
  type        = number
  default     = 2

  validation {
    condition     = var.payment_retry_interval_seconds >= 1 && floor(var.payment_retry_interval_seconds) == var.payment_retry_interval_seconds
    error_message = "payment_retry_interval_seconds must be a whole number, at least 1 (an ASL rule)."
  }
}

variable "fraud_amount_limit_cents" {
  description = "The fraud rule: an order above this amount (minor currency unit) is cancelled with FraudSuspected. Not below approval_threshold_cents."
  type        = number
  default     = 500000

  validation {
    condition     = var.fraud_amount_limit_cents >= 1 && floor(var.fraud_amount_limit_cents) == var.fraud_amount_limit_cents
    error_message = "fraud_amount_limit_cents must be a whole number, at least 1."
  }
}

variable "lambda_timeout_seconds" {
  description = "Timeout of each order function; the state machine's Task waits 5 seconds longer."
  type        = number
  default     = 10

  validation {
    condition     = var.lambda_timeout_seconds >= 1 && var.lambda_timeout_seconds <= 900 && floor(var.lambda_timeout_seconds) == var.lambda_timeout_seconds
    error_message = "lambda_timeout_seconds must be a whole number from 1 to 900."
  }
}

variable "lambda_reserved_concurrency" {
  description = "Reserved concurrency of each order function: what it is guaranteed, and the most it may use. An account's unreserved concurrency may not fall below 100."
  type        = number
  default     = 10

  validation {
    condition     = var.lambda_reserved_concurrency >= 1 && floor(var.lambda_reserved_concurrency) == var.lambda_reserved_concurrency
    error_message = "lambda_reserved_concurrency must be a whole number, at least 1."
  }
}

variable "order_notification_timeout_seconds" {
  description = "How long an order waits for its notification (a nested execution of the notification workflow, retries included) before recording it FAILED."
  type        = number
  default     = 300

  validation {
    condition     = var.order_notification_timeout_seconds >= 1 && floor(var.order_notification_timeout_seconds) == var.order_notification_timeout_seconds
    error_message = "order_notification_timeout_seconds must be a whole number, at least 1."
  }
}

variable "lambda_packages_dir" {
  description = "Directory holding the Lambda deployment packages (orders.zip) built by scripts/package_lambdas.py. Null means build/lambdas beside the root module."
  type        = string
  default     = null
}

# Ingress (ingress.tf, docs/ingress.md) ------------------------------------------

variable "ingress_enabled" {
  description = "Create the API Gateway REST API whose routes (POST /notifications, POST /orders) start the workflows. Off: start executions with StartExecution only."
  type        = bool
  default     = true
}

variable "ingress_stage_name" {
  description = "Stage of the API: the last part of api_url."
  type        = string
  default     = "v1"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,128}$", var.ingress_stage_name))
    error_message = "ingress_stage_name must be 1-128 letters, digits, hyphens or underscores."
  }
}

variable "ingress_throttling_burst_limit" {
  description = "Requests the API accepts at once (all routes together) before it answers 429."
  type        = number
  default     = 50

  validation {
    condition     = var.ingress_throttling_burst_limit >= 0 && floor(var.ingress_throttling_burst_limit) == var.ingress_throttling_burst_limit
    error_message = "ingress_throttling_burst_limit must be a whole number, at least 0."
  }
}

variable "ingress_throttling_rate_limit" {
  description = "Requests per second the API accepts in the long run (all routes together) before it answers 429."
  type        = number
  default     = 20

  validation {
    condition     = var.ingress_throttling_rate_limit >= 0
    error_message = "ingress_throttling_rate_limit must not be negative."
  }
}

variable "ingress_manage_account_logging_role" {
  description = "Create the role API Gateway logs to CloudWatch with and set it in the account's API Gateway settings (one per account and region). Turn it off where the account already has one."
  type        = bool
  default     = true
}

# Alarms (alarms.tf, docs/ingress.md) ----------------------------------------------

variable "alarm_period_seconds" {
  description = "Period of every alarm's statistic, in seconds."
  type        = number
  default     = 300

  validation {
    condition     = contains([10, 30], var.alarm_period_seconds) || (var.alarm_period_seconds >= 60 && var.alarm_period_seconds % 60 == 0)
    error_message = "alarm_period_seconds must be 10, 30 or a multiple of 60 (a CloudWatch rule)."
  }
}

variable "alarm_evaluation_periods" {
  description = "Consecutive periods an alarm's threshold must be crossed before it notifies."
  type        = number
  default     = 1

  validation {
    condition     = var.alarm_evaluation_periods >= 1 && floor(var.alarm_evaluation_periods) == var.alarm_evaluation_periods
    error_message = "alarm_evaluation_periods must be a whole number, at least 1."
  }
}

variable "alarm_executions_failed_threshold" {
  description = "Failed executions of one state machine per period that fire its alarm. Refusals count too (a declined card fails its order), hence more than 1."
  type        = number
  default     = 5

  validation {
    condition     = var.alarm_executions_failed_threshold >= 1
    error_message = "alarm_executions_failed_threshold must be at least 1."
  }
}

variable "alarm_executions_timed_out_threshold" {
  description = "Timed-out executions of one state machine per period that fire its alarm."
  type        = number
  default     = 1

  validation {
    condition     = var.alarm_executions_timed_out_threshold >= 1
    error_message = "alarm_executions_timed_out_threshold must be at least 1."
  }
}

variable "alarm_executions_throttled_threshold" {
  description = "Throttled state transitions of one state machine per period that fire its alarm."
  type        = number
  default     = 1

  validation {
    condition     = var.alarm_executions_throttled_threshold >= 1
    error_message = "alarm_executions_throttled_threshold must be at least 1."
  }
}

variable "alarm_function_errors_threshold" {
  description = "Errors of one order function per period that fire its alarm. Business refusals are function errors too (InvalidOrder, OutOfStock, PaymentDeclined), hence more than 1."
  type        = number
  default     = 5

  validation {
    condition     = var.alarm_function_errors_threshold >= 1
    error_message = "alarm_function_errors_threshold must be at least 1."
  }
}

variable "alarm_function_throttles_threshold" {
  description = "Throttled invocations of one order function per period that fire its alarm."
  type        = number
  default     = 1

  validation {
    condition     = var.alarm_function_throttles_threshold >= 1
    error_message = "alarm_function_throttles_threshold must be at least 1."
  }
}

variable "alarm_function_concurrency_percent" {
  description = "Concurrent executions of one order function, in percent of lambda_reserved_concurrency (rounded up), that fire its alarm: a runaway flow is about to be throttled."
  type        = number
  default     = 80

  validation {
    condition     = var.alarm_function_concurrency_percent > 0 && var.alarm_function_concurrency_percent <= 100
    error_message = "alarm_function_concurrency_percent must be above 0 and at most 100."
  }
}

variable "alarm_notifications_failed_threshold" {
  description = "Notifications that ended FAILED (nothing delivered) per period, all delivery modes together, that fire the alarm."
  type        = number
  default     = 5

  validation {
    condition     = var.alarm_notifications_failed_threshold >= 1
    error_message = "alarm_notifications_failed_threshold must be at least 1."
  }
}
