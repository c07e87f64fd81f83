locals {
  # Every resource name in one place. The embedded emulator's deployer reads this
  # block too (harness/terraform.py), so both deploy paths name things alike.
  names = {
    kms_key_alias              = "alias/${var.name_prefix}"
    status_table               = "${var.name_prefix}-notification-status"
    events_topic               = "${var.name_prefix}-notification-events"
    notification_state_machine = "${var.name_prefix}-notification"
    notification_role          = "${var.name_prefix}-notification-sfn"
    notification_log_group     = "/aws/vendedlogs/states/${var.name_prefix}-notification"
  }
}
