variable "name" {
  description = "Name of the table."
  type        = string
}

variable "hash_key" {
  description = "Name of the partition key, a string attribute."
  type        = string
}

variable "kms_key_arn" {
  description = "ARN of the customer managed KMS key that encrypts the table."
  type        = string
}

variable "deletion_protection" {
  description = "Refuse to delete the table (terraform destroy fails) until this is turned off."
  type        = bool
  default     = true
}

variable "ttl_attribute" {
  description = "Attribute holding each item's expiry time (epoch seconds) for DynamoDB's TTL; null for no TTL."
  type        = string
  default     = null
}
