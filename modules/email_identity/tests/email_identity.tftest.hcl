# modules/email_identity, offline: `terraform -chdir=modules/email_identity test`
# (after `terraform init -backend=false`). The AWS provider is mocked: nothing
# is created, no credentials are read and no verification email is sent.

mock_provider "aws" {}

override_resource {
  target = aws_sesv2_email_identity.this
  values = {
    arn = "arn:aws:ses:us-east-1:123456789012:identity/sender@example.com"
  }
}

variables {
  email = "sender@example.com"
}

run "identity" {
  assert {
    condition     = aws_sesv2_email_identity.this.email_identity == "sender@example.com"
    error_message = "The identity must be the email address itself."
  }
  assert {
    condition     = output.email == "sender@example.com" && output.arn == "arn:aws:ses:us-east-1:123456789012:identity/sender@example.com"
    error_message = "Outputs email and arn must be the identity's (arn is the resource of ses:SendEmail)."
  }
}
