# The entry point: an API Gateway REST API whose routes start the workflows
# through API Gateway's own Step Functions integration, with no Lambda in
# between (modules/ingress, docs/ingress.md).
module "ingress" {
  source = "./modules/ingress"
  count  = var.ingress_enabled ? 1 : 0

  name       = local.names.api
  stage_name = var.ingress_stage_name
  routes = {
    notifications = {
      state_machine_arn = module.notification_workflow.arn
      id_field          = "notification_id"
      request_schema    = file("${path.module}/definitions/notification_request.schema.json")
      model_name        = "NotificationRequest"
    }
    orders = {
      state_machine_arn = module.order_workflow.arn
      id_field          = "order_id"
      request_schema    = file("${path.module}/definitions/order_request.schema.json")
      model_name        = "OrderRequest"
    }
  }
  role_name                    = local.names.api_role
  access_log_group_name        = local.names.api_access_log_group
  log_retention_days           = var.log_retention_days
  kms_key_alias                = local.names.api_kms_key_alias
  kms_key_deletion_window_days = var.kms_key_deletion_window_days
  throttling_burst_limit       = var.ingress_throttling_burst_limit
  throttling_rate_limit        = var.ingress_throttling_rate_limit
  manage_account_logging_role  = var.ingress_manage_account_logging_role
  account_logging_role_name    = local.names.api_account_logging_role
}
