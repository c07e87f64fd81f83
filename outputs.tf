output "notification_state_machine_arn" {
  description = "ARN of the notification state machine: start executions here."
  value       = module.notification_workflow.arn
}

output "status_table_name" {
  description = "DynamoDB table holding one status record per notification."
  value       = module.status_table.name
}

output "events_topic_arn" {
  description = "SNS topic that receives an event for every finished notification."
  value       = module.events_topic.arn
}

output "sender_email" {
  description = "Address notification emails are sent from (must be verified in SES)."
  value       = module.email_identity.email
}

output "region" {
  description = "AWS region the stack is deployed in."
  value       = var.region
}
