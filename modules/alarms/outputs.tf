output "topic_arn" {
  description = "ARN of the SNS topic the alarms notify: subscribe operators to it."
  value       = aws_sns_topic.alarms.arn
}
