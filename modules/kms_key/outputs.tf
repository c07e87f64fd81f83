output "arn" {
  description = "ARN of the key."
  value       = aws_kms_key.this.arn
}

output "id" {
  description = "ID of the key."
  value       = aws_kms_key.this.key_id
}

output "alias" {
  description = "Alias of the key, e.g. alias/sfn-refactor."
  value       = aws_kms_alias.this.name
}
