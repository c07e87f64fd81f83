variable "email" {
  description = "Email address to send from."
  type        = string
}
