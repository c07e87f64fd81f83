variable "email" {
  description = "Email address to send from."
  type        = string
}

variable "tags" {
  description = "Tags for the identity."
  type        = map(string)
  default     = {}
}
