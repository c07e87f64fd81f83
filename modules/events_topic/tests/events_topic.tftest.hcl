# modules/events_topic, offline: `terraform -chdir=modules/events_topic test`
# (after `terraform init -backend=false`). The AWS provider is mocked: nothing
# is created and no credentials are read.

mock_provider "aws" {}

override_resource {
  target = aws_sns_topic.this
  values = {
    arn = "arn:aws:sns:us-east-1:123456789012:demo-events"
  }
}

variables {
  name        = "demo-events"
  kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111"
}

run "topic" {
  assert {
    condition     = aws_sns_topic.this.name == "demo-events"
    error_message = "The topic must be named var.name."
  }
  assert {
    condition     = aws_sns_topic.this.kms_master_key_id == var.kms_key_arn
    error_message = "The topic must be encrypted with the given customer managed key."
  }
  assert {
    condition     = output.arn == "arn:aws:sns:us-east-1:123456789012:demo-events"
    error_message = "Output arn must be the topic's ARN."
  }
}
