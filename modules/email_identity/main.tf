# Creating the identity makes SES send a verification link to the address;
# SES refuses to send from it until someone follows that link.
resource "aws_sesv2_email_identity" "this" {
  email_identity = var.email
}
