# modules/table, offline: `terraform -chdir=modules/table test` (after
# `terraform init -backend=false`). The AWS provider is mocked: nothing is
# created and no credentials are read.

mock_provider "aws" {}

override_resource {
  target = aws_dynamodb_table.this
  values = {
    arn = "arn:aws:dynamodb:us-east-1:123456789012:table/demo-orders"
  }
}

variables {
  name        = "demo-orders"
  hash_key    = "order_id"
  kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222"
}

run "table" {
  assert {
    condition     = aws_dynamodb_table.this.name == "demo-orders" && aws_dynamodb_table.this.hash_key == "order_id"
    error_message = "The table must be named var.name and keyed by var.hash_key."
  }
  assert {
    condition     = jsonencode(aws_dynamodb_table.this.attribute) == jsonencode([{ name = "order_id", type = "S" }])
    error_message = "The only attribute declared must be the string hash key."
  }
  assert {
    condition     = aws_dynamodb_table.this.billing_mode == "PAY_PER_REQUEST"
    error_message = "The table must be on demand."
  }
  assert {
    condition     = one(aws_dynamodb_table.this.point_in_time_recovery).enabled == true
    error_message = "Point-in-time recovery must be on."
  }
  assert {
    condition     = one(aws_dynamodb_table.this.server_side_encryption).enabled == true && one(aws_dynamodb_table.this.server_side_encryption).kms_key_arn == var.kms_key_arn
    error_message = "The table must be encrypted with the given customer managed key."
  }
  assert {
    condition     = aws_dynamodb_table.this.deletion_protection_enabled == true
    error_message = "Deletion protection must be on by default."
  }
  assert {
    condition     = length(aws_dynamodb_table.this.ttl) == 0
    error_message = "Without ttl_attribute, no TTL must be configured."
  }
  assert {
    condition     = output.name == "demo-orders" && output.arn == "arn:aws:dynamodb:us-east-1:123456789012:table/demo-orders"
    error_message = "Outputs name and arn must be the table's."
  }
}

run "ttl_and_no_deletion_protection" {
  command = plan
  variables {
    ttl_attribute       = "expires_at"
    deletion_protection = false
  }
  assert {
    condition     = one(aws_dynamodb_table.this.ttl).attribute_name == "expires_at" && one(aws_dynamodb_table.this.ttl).enabled == true
    error_message = "ttl_attribute must turn DynamoDB's TTL on for that attribute."
  }
  assert {
    condition     = aws_dynamodb_table.this.deletion_protection_enabled == false
    error_message = "deletion_protection = false must turn deletion protection off."
  }
  assert {
    condition     = one(aws_dynamodb_table.this.point_in_time_recovery).enabled == true && one(aws_dynamodb_table.this.server_side_encryption).kms_key_arn == var.kms_key_arn
    error_message = "PITR and encryption must not depend on the other options."
  }
}
