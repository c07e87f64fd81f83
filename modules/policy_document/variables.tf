variable "statements" {
  description = "The policy's statements, in order: each an Allow of `actions` on `resources`, under every condition listed."
  type = list(object({
    sid       = string
    actions   = list(string)
    resources = list(string)
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))

  validation {
    condition     = alltrue([for s in var.statements : can(regex("^[A-Za-z0-9]+$", s.sid))])
    error_message = "Each sid must be letters and digits only (an IAM rule)."
  }
}
