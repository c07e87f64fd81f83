"""Reading state machine definitions: the project's rules for them and the IAM permissions they need."""
