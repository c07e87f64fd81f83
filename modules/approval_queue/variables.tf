variable "name" {
  description = "Name of the queue approval requests are sent to."
  type        = string
}

variable "dead_letter_queue_name" {
  description = "Name of the queue that keeps requests received max_receive_count times without being deleted."
  type        = string
}

variable "kms_key_arn" {
  description = "ARN of the customer managed KMS key that encrypts both queues."
  type        = string
}

variable "visibility_timeout_seconds" {
  description = "How long a received request stays hidden from other reviewers before it reappears."
  type        = number
  default     = 300

  validation {
    condition     = var.visibility_timeout_seconds >= 0 && var.visibility_timeout_seconds <= 43200
    error_message = "visibility_timeout_seconds must be from 0 to 43200 (12 hours)."
  }
}

variable "max_receive_count" {
  description = "Receives after which a request moves to the dead-letter queue."
  type        = number
  default     = 5

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000
    error_message = "max_receive_count must be from 1 to 1000."
  }
}
