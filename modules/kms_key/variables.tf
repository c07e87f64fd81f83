variable "alias" {
  description = "Alias of the key, including the \"alias/\" prefix."
  type        = string

  validation {
    condition     = startswith(var.alias, "alias/") && !startswith(var.alias, "alias/aws/")
    error_message = "alias must start with \"alias/\" and must not use the reserved \"alias/aws/\" prefix."
  }
}

variable "description" {
  description = "What the key protects, shown in the KMS console."
  type        = string
}

variable "deletion_window_days" {
  description = "Days KMS waits before deleting the key once it is scheduled for deletion."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_days >= 7 && var.deletion_window_days <= 30 && floor(var.deletion_window_days) == var.deletion_window_days
    error_message = "deletion_window_days must be a whole number from 7 to 30."
  }
}

variable "log_group_names" {
  description = "CloudWatch Logs log groups allowed to be encrypted with the key."
  type        = list(string)
  default     = []
}

variable "publishing_services" {
  description = "AWS service principals (e.g. cloudwatch.amazonaws.com) that publish to an SNS topic the key encrypts."
  type        = list(string)
  default     = []
}
