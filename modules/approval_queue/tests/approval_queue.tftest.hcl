# modules/approval_queue, offline: `terraform -chdir=modules/approval_queue test`
# (after `terraform init -backend=false`). The AWS provider is mocked: nothing
# is created and no credentials are read.

# The mocked provider's answers are the root module's (tests/terraform/mocks):
# account 123456789012, us-east-1.
mock_provider "aws" {
  source = "../../tests/terraform/mocks"
}

override_resource {
  target = aws_sqs_queue.this
  values = {
    arn = "arn:aws:sqs:us-east-1:123456789012:demo-approvals"
    url = "https://sqs.us-east-1.amazonaws.com/123456789012/demo-approvals"
  }
}

override_resource {
  target = aws_sqs_queue.dead_letter
  values = {
    arn = "arn:aws:sqs:us-east-1:123456789012:demo-approvals-dlq"
    url = "https://sqs.us-east-1.amazonaws.com/123456789012/demo-approvals-dlq"
  }
}

variables {
  name                   = "demo-approvals"
  dead_letter_queue_name = "demo-approvals-dlq"
  kms_key_arn            = "arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222"
}

run "queues" {
  assert {
    condition     = aws_sqs_queue.this.name == "demo-approvals" && aws_sqs_queue.dead_letter.name == "demo-approvals-dlq"
    error_message = "The queues must be named name and dead_letter_queue_name."
  }
  assert {
    condition     = aws_sqs_queue.this.kms_master_key_id == var.kms_key_arn && aws_sqs_queue.dead_letter.kms_master_key_id == var.kms_key_arn
    error_message = "Both queues must be encrypted with the given customer managed key."
  }
  assert {
    condition     = aws_sqs_queue.this.message_retention_seconds == 1209600 && aws_sqs_queue.dead_letter.message_retention_seconds == 1209600
    error_message = "Both queues must keep a request 14 days, the longest an approval may wait."
  }
  assert {
    condition     = aws_sqs_queue.this.visibility_timeout_seconds == 300
    error_message = "visibility_timeout_seconds must default to 300."
  }
  assert {
    condition = aws_sqs_queue_redrive_policy.this.queue_url == aws_sqs_queue.this.id && jsondecode(aws_sqs_queue_redrive_policy.this.redrive_policy) == {
      deadLetterTargetArn = "arn:aws:sqs:us-east-1:123456789012:demo-approvals-dlq"
      maxReceiveCount     = 5
    }
    error_message = "A request received max_receive_count (5) times must move to the dead-letter queue: ${aws_sqs_queue_redrive_policy.this.redrive_policy}."
  }
  assert {
    condition = jsondecode(aws_sqs_queue.dead_letter.redrive_allow_policy) == {
      redrivePermission = "byQueue"
      sourceQueueArns   = ["arn:aws:sqs:us-east-1:123456789012:demo-approvals"]
    }
    error_message = "Only the approval queue may move messages to the dead-letter queue: ${aws_sqs_queue.dead_letter.redrive_allow_policy}."
  }
  assert {
    condition     = output.url == "https://sqs.us-east-1.amazonaws.com/123456789012/demo-approvals" && output.arn == "arn:aws:sqs:us-east-1:123456789012:demo-approvals"
    error_message = "Outputs url and arn must be the approval queue's (not the dead-letter queue's)."
  }
}

# Variable validations ------------------------------------------------------------
#
# Each validation is broken by a run that lists its variable in expect_failures.
# Terraform checks each variable on its own, so one run breaks several; if a
# validation is removed or weakened, the run fails with "missing expected
# failure" naming the variable. The edge runs must plan.

run "values_below_their_minimum_are_rejected" {
  command = plan
  variables {
    visibility_timeout_seconds = -1
    max_receive_count          = 0
  }
  expect_failures = [
    var.visibility_timeout_seconds,
    var.max_receive_count,
  ]
}

run "values_above_their_maximum_are_rejected" {
  command = plan
  variables {
    visibility_timeout_seconds = 43201
    max_receive_count          = 1001
  }
  expect_failures = [
    var.visibility_timeout_seconds,
    var.max_receive_count,
  ]
}

run "lower_edges_are_accepted" {
  command = plan
  variables {
    visibility_timeout_seconds = 0
    max_receive_count          = 1
  }
  assert {
    condition     = aws_sqs_queue.this.visibility_timeout_seconds == 0
    error_message = "A visibility timeout of 0 and one receive must be accepted."
  }
}

run "upper_edges_are_accepted" {
  command = plan
  variables {
    visibility_timeout_seconds = 43200
    max_receive_count          = 1000
  }
  assert {
    condition     = aws_sqs_queue.this.visibility_timeout_seconds == 43200
    error_message = "A visibility timeout of 12 hours and 1000 receives must be accepted."
  }
}
