# The root module's variables, offline (the AWS provider is mocked: nothing is
# created, no credentials are read). tests/terraform/test_terraform_native.py
# runs every *.tftest.hcl of this folder (in `make test`); by hand, from the
# repository root:
#
#   python3 scripts/package_lambdas.py   # build/lambdas/orders.zip, hashed at plan
#   terraform init -backend=false        # offline: TF_CLI_CONFIG_FILE naming a provider mirror
#   terraform test -test-directory=tests/terraform
#
# Every validation block of variables.tf, and each clause of it, is broken by a
# run below that lists the variable in `expect_failures`: a value just below
# the minimum, just above the maximum, a fraction where a whole number is
# required, or outside the allowed set or format. Terraform checks each
# variable's validation on its own, so one run can break many variables; if a
# validation is removed or weakened, its variable no longer fails and the run
# fails with "missing expected failure" naming it. The edge runs plan with
# every variable at the edge it accepts. To cover a new variable: add its
# just-outside value to the matching run and to that run's expect_failures,
# and its edge value to the edge runs.

mock_provider "aws" {
  source = "./tests/terraform/mocks"
}

# Accepted at the edges ------------------------------------------------------------

run "every_variable_at_its_lower_edge" {
  command = plan
  variables {
    name_prefix                        = "ab"
    sender_email                       = "a@b.c"
    task_timeout_seconds               = 1
    retry_interval_seconds             = 1
    retry_backoff_rate                 = 1
    retry_max_delay_seconds            = 1
    sms_max_attempts                   = 0
    email_max_attempts                 = 0
    service_max_attempts               = 0
    record_ttl_days                    = 1
    log_retention_days                 = 1
    log_level                          = "OFF"
    kms_key_deletion_window_days       = 7
    approval_threshold_cents           = 1
    approval_timeout_seconds           = 2
    approval_heartbeat_seconds         = 1
    payment_max_attempts               = 0
    payment_retry_interval_seconds     = 1
    fraud_amount_limit_cents           = 1
    lambda_timeout_seconds             = 1
    lambda_reserved_concurrency        = 1
    order_notification_timeout_seconds = 1
  }

  assert {
    condition = (
      local.notification_definition_vars.task_timeout_seconds == 1 &&
      jsondecode(local.notification_definition_vars.service_retry) == {
        ErrorEquals     = ["States.ALL"]
        IntervalSeconds = 1
        BackoffRate     = 1
        MaxDelaySeconds = 1
        MaxAttempts     = 0
        JitterStrategy  = "FULL"
      } &&
      jsondecode(local.notification_definition_vars.sms_retry).MaxAttempts == 0 &&
      jsondecode(local.notification_definition_vars.email_retry).MaxAttempts == 0 &&
      local.notification_definition_vars.record_ttl_seconds == 86400 &&
      local.notification_definition_vars.sender_email == "a@b.c"
    )
    error_message = "The notification definition must get the edge values (the TTL in seconds, the retriers rendered from the retry variables)."
  }
  assert {
    condition = (
      local.order_definition_vars.approval_threshold_cents == 1 &&
      local.order_definition_vars.approval_timeout_seconds == 2 &&
      local.order_definition_vars.approval_heartbeat_seconds == 1 &&
      jsondecode(local.order_definition_vars.payment_retry) == {
        ErrorEquals     = ["PaymentTransientError", "Sandbox.Timedout", "States.Timeout"]
        IntervalSeconds = 1
        BackoffRate     = 1
        MaxDelaySeconds = 1
        MaxAttempts     = 0
        JitterStrategy  = "FULL"
      } &&
      jsondecode(local.order_definition_vars.lambda_retry).MaxAttempts == 0 &&
      local.order_definition_vars.lambda_task_timeout_seconds == 6 &&
      local.order_definition_vars.notification_timeout_seconds == 1
    )
    error_message = "The order definition must get the edge values (the Lambda Task waits 5 s longer than the function; the payment retrier has its own interval and attempts)."
  }
  assert {
    condition     = tostring(local.order_functions.check_fraud.environment.FRAUD_AMOUNT_LIMIT_CENTS) == "1"
    error_message = "The fraud function must get fraud_amount_limit_cents."
  }
  assert {
    condition     = output.status_table_name == "ab-notification-status"
    error_message = "A 2-character name_prefix must be accepted and used."
  }
}

run "every_variable_at_its_upper_edge" {
  command = plan
  variables {
    name_prefix                  = "a234567890123456789012345678901"
    sms_max_attempts             = 10
    email_max_attempts           = 10
    service_max_attempts         = 10
    payment_max_attempts         = 10
    record_ttl_days              = 365
    log_retention_days           = 3653
    kms_key_deletion_window_days = 30
    approval_timeout_seconds     = 1209600
    # The relations between variables at their edges too: the heartbeat just below
    # the timeout, the approval threshold equal to the fraud limit.
    approval_heartbeat_seconds = 1209599
    approval_threshold_cents   = 500000
    fraud_amount_limit_cents   = 500000
    lambda_timeout_seconds     = 900
    log_level                  = "ERROR"
  }

  assert {
    condition = (
      jsondecode(local.notification_definition_vars.sms_retry).MaxAttempts == 10 &&
      jsondecode(local.notification_definition_vars.email_retry).MaxAttempts == 10 &&
      jsondecode(local.notification_definition_vars.service_retry).MaxAttempts == 10 &&
      local.notification_definition_vars.record_ttl_seconds == 31536000
    )
    error_message = "The notification definition must get the edge values."
  }
  assert {
    condition = (
      local.order_definition_vars.approval_timeout_seconds == 1209600 &&
      local.order_definition_vars.approval_heartbeat_seconds == 1209599 &&
      jsondecode(local.order_definition_vars.payment_retry).MaxAttempts == 10 &&
      jsondecode(local.order_definition_vars.execution_limit_retry).MaxAttempts == 10 &&
      local.order_definition_vars.lambda_task_timeout_seconds == 905
    )
    error_message = "The order definition must get the edge values."
  }
  assert {
    condition     = output.status_table_name == "a234567890123456789012345678901-notification-status"
    error_message = "A 31-character name_prefix must be accepted and used."
  }
}

# Relations between variables (validations that refer to another variable) --------

run "approval_heartbeat_must_be_below_the_timeout" {
  command = plan
  variables {
    approval_timeout_seconds   = 3600
    approval_heartbeat_seconds = 3600
  }
  expect_failures = [var.approval_heartbeat_seconds]
}

run "approval_threshold_must_not_exceed_the_fraud_limit" {
  command = plan
  variables {
    approval_threshold_cents = 500001
    fraud_amount_limit_cents = 500000
  }
  expect_failures = [var.approval_threshold_cents]
}

# Their own rules: a variable whose validation refers to another variable is
# checked only once that variable is valid, so these two are broken with the
# others at their defaults (not in the runs below).
run "approval_values_below_their_minimum_are_rejected" {
  command = plan
  variables {
    approval_threshold_cents   = 0
    approval_heartbeat_seconds = 0
  }
  expect_failures = [
    var.approval_threshold_cents,
    var.approval_heartbeat_seconds,
  ]
}

run "approval_fractions_are_rejected" {
  command = plan
  variables {
    approval_threshold_cents   = 1.5
    approval_heartbeat_seconds = 1.5
  }
  expect_failures = [
    var.approval_threshold_cents,
    var.approval_heartbeat_seconds,
  ]
}

# Rejected just outside -------------------------------------------------------------

run "values_below_their_minimum_are_rejected" {
  # Just below each minimum.
  command = plan
  variables {
    name_prefix                        = "a"
    task_timeout_seconds               = 0
    retry_interval_seconds             = 0
    retry_backoff_rate                 = 0.99
    retry_max_delay_seconds            = 0
    sms_max_attempts                   = -1
    email_max_attempts                 = -1
    service_max_attempts               = -1
    record_ttl_days                    = 0
    log_retention_days                 = 0
    kms_key_deletion_window_days       = 6
    approval_timeout_seconds           = 1
    payment_max_attempts               = -1
    payment_retry_interval_seconds     = 0
    fraud_amount_limit_cents           = 0
    lambda_timeout_seconds             = 0
    lambda_reserved_concurrency        = 0
    order_notification_timeout_seconds = 0
  }
  expect_failures = [
    var.name_prefix,
    var.task_timeout_seconds,
    var.retry_interval_seconds,
    var.retry_backoff_rate,
    var.retry_max_delay_seconds,
    var.sms_max_attempts,
    var.email_max_attempts,
    var.service_max_attempts,
    var.record_ttl_days,
    var.log_retention_days,
    var.kms_key_deletion_window_days,
    var.approval_timeout_seconds,
    var.payment_max_attempts,
    var.payment_retry_interval_seconds,
    var.fraud_amount_limit_cents,
    var.lambda_timeout_seconds,
    var.lambda_reserved_concurrency,
    var.order_notification_timeout_seconds,
  ]
}

run "values_above_their_maximum_are_rejected" {
  # Just above each maximum.
  command = plan
  variables {
    name_prefix                  = "a2345678901234567890123456789012"
    sms_max_attempts             = 11
    email_max_attempts           = 11
    service_max_attempts         = 11
    record_ttl_days              = 366
    log_retention_days           = 3654
    kms_key_deletion_window_days = 31
    approval_timeout_seconds     = 1209601
    payment_max_attempts         = 11
    lambda_timeout_seconds       = 901
  }
  expect_failures = [
    var.name_prefix,
    var.sms_max_attempts,
    var.email_max_attempts,
    var.service_max_attempts,
    var.record_ttl_days,
    var.log_retention_days,
    var.kms_key_deletion_window_days,
    var.approval_timeout_seconds,
    var.payment_max_attempts,
    var.lambda_timeout_seconds,
  ]
}

run "fractions_are_rejected" {
  # Within range, but not whole numbers.
  command = plan
  variables {
    task_timeout_seconds               = 1.5
    retry_interval_seconds             = 1.5
    retry_max_delay_seconds            = 1.5
    sms_max_attempts                   = 1.5
    email_max_attempts                 = 1.5
    service_max_attempts               = 1.5
    record_ttl_days                    = 1.5
    log_retention_days                 = 1.5
    kms_key_deletion_window_days       = 7.5
    approval_timeout_seconds           = 2.5
    payment_max_attempts               = 1.5
    payment_retry_interval_seconds     = 1.5
    fraud_amount_limit_cents           = 1.5
    lambda_timeout_seconds             = 1.5
    lambda_reserved_concurrency        = 1.5
    order_notification_timeout_seconds = 1.5
  }
  expect_failures = [
    var.task_timeout_seconds,
    var.retry_interval_seconds,
    var.retry_max_delay_seconds,
    var.sms_max_attempts,
    var.email_max_attempts,
    var.service_max_attempts,
    var.record_ttl_days,
    var.log_retention_days,
    var.kms_key_deletion_window_days,
    var.approval_timeout_seconds,
    var.payment_max_attempts,
    var.payment_retry_interval_seconds,
    var.fraud_amount_limit_cents,
    var.lambda_timeout_seconds,
    var.lambda_reserved_concurrency,
    var.order_notification_timeout_seconds,
  ]
}

run "values_outside_their_set_are_rejected" {
  # Not one of the allowed values (the root module's type is upper case only).
  command = plan
  variables {
    state_machine_type = "express"
    log_level          = "DEBUG"
    log_retention_days = 2
  }
  expect_failures = [
    var.state_machine_type,
    var.log_level,
    var.log_retention_days,
  ]
}

run "malformed_names_and_addresses_are_rejected" {
  # An upper-case prefix; an address without an at sign.
  command = plan
  variables {
    name_prefix  = "Sfn-refactor"
    sender_email = "notifications.example.com"
  }
  expect_failures = [
    var.name_prefix,
    var.sender_email,
  ]
}

run "a_leading_digit_and_a_dotless_domain_are_rejected" {
  # A prefix starting with a digit; a domain without a dot.
  command = plan
  variables {
    name_prefix  = "1sfn"
    sender_email = "notifications@example"
  }
  expect_failures = [
    var.name_prefix,
    var.sender_email,
  ]
}

run "underscores_and_spaces_are_rejected" {
  # An underscore in the prefix; a space in the address.
  command = plan
  variables {
    name_prefix  = "sfn_refactor"
    sender_email = "noti fications@example.com"
  }
  expect_failures = [
    var.name_prefix,
    var.sender_email,
  ]
}
