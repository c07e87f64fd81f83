data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  # SQS keeps a message 14 days at most: an approval request must outlive the
  # wait for it (approval_timeout_seconds is validated against this).
  retention_seconds = 1209600

  # Built from the name: the dead-letter queue's redrive-allow policy names the
  # source queue, whose redrive policy names the dead-letter queue.
  queue_arn = "arn:${data.aws_partition.current.partition}:sqs:${data.aws_region.current.id}:${data.aws_caller_identity.current.account_id}:${var.name}"
}

resource "aws_sqs_queue" "dead_letter" {
  name                              = var.dead_letter_queue_name
  message_retention_seconds         = local.retention_seconds
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300

  # Only the approval queue may move messages here.
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [local.queue_arn]
  })
}

resource "aws_sqs_queue" "this" {
  name                              = var.name
  message_retention_seconds         = local.retention_seconds
  visibility_timeout_seconds        = var.visibility_timeout_seconds
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300
}

# Its own resource, not the queue's redrive_policy argument: the provider waits
# about 25 s after creating a queue for its attributes to settle, and a queue
# that named the dead-letter queue would wait for that queue's 25 s first. So
# both queues are created together, and whatever needs the approval queue (the
# order workflow, its role) does not wait for the redrive policy either.
resource "aws_sqs_queue_redrive_policy" "this" {
  queue_url = aws_sqs_queue.this.id
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dead_letter.arn
    maxReceiveCount     = var.max_receive_count
  })
}
