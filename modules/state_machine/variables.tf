variable "name" {
  description = "Name of the state machine."
  type        = string
}

variable "type" {
  description = "STANDARD or EXPRESS (any case). Cannot be changed once the state machine exists."
  type        = string
  default     = "STANDARD"

  validation {
    condition     = contains(["STANDARD", "EXPRESS"], upper(var.type))
    error_message = "type must be STANDARD or EXPRESS."
  }
}

variable "definition" {
  description = "Amazon States Language definition, already rendered (no placeholders left)."
  type        = string
}

variable "role_name" {
  description = "Name of the IAM role the state machine runs as."
  type        = string
}

variable "policy_statements" {
  description = "IAM statements for what the definition calls (service integrations), each {sid, actions, resources, conditions = [{test, variable, values}] (optional)}: modules/policy_document's type, which checks them. Logging, X-Ray and the state machine's own key use are added by the module."
  type        = any
  default     = []
}

variable "log_group_name" {
  description = "Name of the CloudWatch Logs log group the state machine logs to. Names under /aws/vendedlogs/ avoid the resource-policy size limit."
  type        = string
}

variable "log_retention_days" {
  description = "Days CloudWatch Logs keeps the state machine's log events."
  type        = number
  default     = 365
}

variable "log_level" {
  description = "Which execution events are logged: ALL, ERROR, FATAL or OFF."
  type        = string
  default     = "ALL"

  validation {
    condition     = contains(["ALL", "ERROR", "FATAL", "OFF"], var.log_level)
    error_message = "log_level must be ALL, ERROR, FATAL or OFF."
  }
}

variable "kms_key_arn" {
  description = "ARN of the customer managed KMS key that encrypts the state machine's data and its log group."
  type        = string
}

variable "kms_data_key_reuse_period_seconds" {
  description = "How long Step Functions reuses a data key before asking KMS for a new one."
  type        = number
  default     = 300

  validation {
    condition     = var.kms_data_key_reuse_period_seconds >= 60 && var.kms_data_key_reuse_period_seconds <= 900
    error_message = "kms_data_key_reuse_period_seconds must be from 60 to 900."
  }
}
