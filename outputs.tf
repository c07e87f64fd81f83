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
  value       = aws_sns_topic.events.arn
}

output "sender_email" {
  description = "Address notification emails are sent from (must be verified in SES)."
  value       = aws_sesv2_email_identity.sender.email_identity
}

output "region" {
  description = "AWS region the stack is deployed in."
  value       = var.region
}

output "order_state_machine_arn" {
  description = "ARN of the order state machine: start an execution per order here."
  value       = module.order_workflow.arn
}

output "approval_queue_url" {
  description = "SQS queue of approval requests (each carries the task token to answer with)."
  value       = module.approval_queue.url
}

output "orders_table_name" {
  description = "DynamoDB table holding one record per order: its status, reason and compensation outcomes."
  value       = module.orders_table.name
}

output "stock_table_name" {
  description = "DynamoDB table of stock levels, one item per sku with its `available` count."
  value       = module.stock_table.name
}

output "payments_table_name" {
  description = "DynamoDB table of the (fake) payment provider's ledger: charges and refunds per order."
  value       = module.payments_table.name
}

output "api_url" {
  description = "Base URL of the API's stage: POST <api_url>/notifications or <api_url>/orders (SigV4-signed). Null when ingress_enabled is false."
  value       = one(module.ingress[*].invoke_url)
}

output "alarm_topic_arn" {
  description = "SNS topic every alarm notifies, when it fires and when it recovers: subscribe operators to it."
  value       = module.alarms.topic_arn
}
