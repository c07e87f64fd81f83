# The one place a list of statements becomes an IAM policy: modules/state_machine
# and modules/lambda_function pass their callers' statements and their own.
# Rendered by the provider without calling AWS.
data "aws_iam_policy_document" "this" {
  dynamic "statement" {
    for_each = var.statements

    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources

      dynamic "condition" {
        for_each = statement.value.conditions

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}
