variable "name" {
  description = "Name of the function; its IAM role and its log group (/aws/lambda/<name>) are named after it."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.name))
    error_message = "name must be 1-64 letters, digits, hyphens or underscores."
  }
}

variable "description" {
  description = "What the function does, shown in the Lambda console."
  type        = string
}

variable "package_file" {
  description = "Path of the deployment package (a zip with the handler's module at its root), built before plan by scripts/package_lambdas.py."
  type        = string

  validation {
    condition     = endswith(var.package_file, ".zip")
    error_message = "package_file must be the path of a .zip file."
  }
}

variable "handler" {
  description = "Entry point, module.function, e.g. validate_order.lambda_handler."
  type        = string
}

variable "runtime" {
  description = "Lambda runtime identifier."
  type        = string
  default     = "python3.11"
}

variable "timeout_seconds" {
  description = "Longest a single invocation may run before Lambda stops it (Sandbox.Timedout)."
  type        = number

  validation {
    condition     = var.timeout_seconds >= 1 && var.timeout_seconds <= 900 && floor(var.timeout_seconds) == var.timeout_seconds
    error_message = "timeout_seconds must be a whole number from 1 to 900."
  }
}

variable "memory_size" {
  description = "Memory in MB (CPU is allocated in proportion)."
  type        = number
  default     = 256
}

variable "reserved_concurrency" {
  description = "Concurrent executions reserved for (and the most allowed to) the function."
  type        = number

  validation {
    condition     = var.reserved_concurrency >= 0 && floor(var.reserved_concurrency) == var.reserved_concurrency
    error_message = "reserved_concurrency must be a whole number, at least 0 (0 stops the function)."
  }
}

variable "environment" {
  description = "Environment variables of the function."
  type        = map(string)
  default     = {}
}

variable "policy_statements" {
  description = "IAM statements for what the function's code calls, and nothing else, each {sid, actions, resources, conditions = [{test, variable, values}] (optional)}: modules/policy_document's type, which checks them. Writing its own logs and traces is added by the module."
  type        = any
  default     = []
}

variable "kms_key_arn" {
  description = "ARN of the customer managed KMS key that encrypts the function's environment variables and its log group."
  type        = string
}

variable "log_retention_days" {
  description = "Days CloudWatch Logs keeps the function's log events."
  type        = number
  default     = 365
}
