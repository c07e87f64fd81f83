output "arn" {
  description = "ARN of the function (unqualified)."
  value       = aws_lambda_function.this.arn
}
