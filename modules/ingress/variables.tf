variable "name" {
  description = "Name of the REST API."
  type        = string
}

variable "stage_name" {
  description = "Name of the stage the API is deployed to; the last part of its URL."
  type        = string
}

variable "routes" {
  description = <<-EOT
    One POST route per workflow, keyed by its path part (POST /<key>). Each starts
    an execution of state_machine_arn through API Gateway's Step Functions
    integration, named after the body's id_field, once the body passes
    request_schema (JSON Schema draft 4, API Gateway's dialect).
  EOT
  type = map(object({
    state_machine_arn = string
    id_field          = string
    request_schema    = string
    model_name        = string
  }))

  validation {
    condition     = alltrue([for key, route in var.routes : can(regex("^[a-z][a-z0-9-]*$", key)) && can(regex("^[A-Za-z0-9]+$", route.model_name))])
    error_message = "Route keys are path parts (lower-case letters, digits, hyphens); model names are letters and digits (an API Gateway rule)."
  }
}

variable "role_name" {
  description = "Name of the IAM role API Gateway assumes to start executions."
  type        = string
}

variable "access_log_group_name" {
  description = "Name of the CloudWatch Logs log group of the stage's access logs."
  type        = string
}

variable "log_retention_days" {
  description = "Days CloudWatch Logs keeps the access and execution logs."
  type        = number
}

variable "kms_key_alias" {
  description = "Alias of the API's own KMS key, which encrypts its access and execution logs."
  type        = string
}

variable "kms_key_deletion_window_days" {
  description = "Days KMS waits before deleting the API's key once it is scheduled for deletion."
  type        = number
  default     = 30
}

variable "throttling_burst_limit" {
  description = "Stage-wide burst limit: requests API Gateway accepts at once before answering 429."
  type        = number
}

variable "throttling_rate_limit" {
  description = "Stage-wide steady-state limit, requests per second, before API Gateway answers 429."
  type        = number
}

variable "manage_account_logging_role" {
  description = "Whether to create the account's (per region) API Gateway CloudWatch Logs role and set it; API Gateway writes no logs without one."
  type        = bool
  default     = true
}

variable "account_logging_role_name" {
  description = "Name of that role, when it is managed here."
  type        = string
}
