output "json" {
  description = "The policy document, as IAM takes it."
  value       = data.aws_iam_policy_document.this.json
}
