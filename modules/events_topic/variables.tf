variable "name" {
  description = "Name of the topic."
  type        = string
}

variable "kms_key_arn" {
  description = "ARN (or alias) of the customer managed KMS key that encrypts messages at rest."
  type        = string
}
