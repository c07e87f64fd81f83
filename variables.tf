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
  description = "Subject used when a request carries no subject of its own."
  type        = string
  default     = "Your notification"
}

variable "state_machine_type" {
  description = "STANDARD (exactly-once, execution history, up to a year) or EXPRESS (cheaper at volume, history only in CloudWatch Logs)."
  type        = string
  default     = "STANDARD"

  validation {
    condition     = contains(["STANDARD", "EXPRESS"], var.state_machine_type)
    error_message = "state_machine_type must be STANDARD or EXPRESS."
  }
}

variable "task_timeout_seconds" {
  description = "TimeoutSeconds of every service-call Task in the notification workflow."
  type        = number
  default     = 10

  validation {
    condition     = var.task_timeout_seconds >= 1 && floor(var.task_timeout_seconds) == var.task_timeout_seconds
    error_message = "task_timeout_seconds must be a whole number of seconds, at least 1."
  }
}

variable "retry_interval_seconds" {
  description = "IntervalSeconds of every transient-error retrier (the wait before the first retry)."
  type        = number
  default     = 2

  validation {
    condition     = var.retry_interval_seconds >= 1 && floor(var.retry_interval_seconds) == var.retry_interval_seconds
    error_message = "retry_interval_seconds must be a whole number, at least 1 (an ASL rule)."
  }
}

variable "retry_backoff_rate" {
  description = "BackoffRate of every transient-error retrier: each wait is the previous one times this."
  type        = number
  default     = 2

  validation {
    condition     = var.retry_backoff_rate >= 1
    error_message = "retry_backoff_rate must be at least 1."
  }
}

variable "retry_max_delay_seconds" {
  description = "MaxDelaySeconds of every transient-error retrier: the cap on one wait."
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
  description = "CloudWatch namespace of the workflow's outcome metric."
  type        = string
  default     = "SfnRefactor/Notifications"
}

variable "log_retention_days" {
  description = "Retention of the state machine's CloudWatch log group."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention period CloudWatch Logs accepts."
  }
}

variable "log_level" {
  description = "Step Functions log level: ALL, ERROR, FATAL or OFF. Execution data is never logged (it holds phone numbers and email addresses)."
  type        = string
  default     = "ALL"

  validation {
    condition     = contains(["ALL", "ERROR", "FATAL", "OFF"], var.log_level)
    error_message = "log_level must be ALL, ERROR, FATAL or OFF."
  }
}

variable "aws_endpoints" {
  description = "Service endpoint overrides, e.g. { sfn = \"http://localhost:4566\" }, to point the stack at an emulator. Empty for real AWS."
  type        = map(string)
  default     = {}
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "service_max_attempts" {
  description = "How many times a transient failure of a bookkeeping call (status table write, outcome event, metric) is retried."
  type        = number
  default     = 3

  validation {
    condition     = var.service_max_attempts >= 0 && var.service_max_attempts <= 10 && floor(var.service_max_attempts) == var.service_max_attempts
    error_message = "service_max_attempts must be a whole number from 0 to 10."
  }
}

variable "deletion_protection" {
  description = "Protect the status table from deletion. Off by default so the demo stack destroys cleanly; turn it on for anything holding real records."
  type        = bool
  default     = false
}

variable "kms_key_deletion_window_days" {
  description = "Days KMS waits before deleting the stack's key after terraform destroy (7-30); data encrypted with it is unreadable once it is gone."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_key_deletion_window_days >= 7 && var.kms_key_deletion_window_days <= 30 && floor(var.kms_key_deletion_window_days) == var.kms_key_deletion_window_days
    error_message = "kms_key_deletion_window_days must be a whole number from 7 to 30."
  }
}
