output "url" {
  description = "URL of the approval queue (what SendMessage and ReceiveMessage take)."
  value       = aws_sqs_queue.this.url
}

output "arn" {
  description = "ARN of the approval queue."
  value       = aws_sqs_queue.this.arn
}

output "dead_letter_queue_name" {
  description = "Name of the dead-letter queue (the QueueName dimension of its metrics)."
  value       = aws_sqs_queue.dead_letter.name
}
