output "arn" {
  description = "ARN of the SES identity, the resource of ses:SendEmail."
  value       = aws_sesv2_email_identity.this.arn
}

output "email" {
  description = "The identity's email address."
  value       = aws_sesv2_email_identity.this.email_identity
}
