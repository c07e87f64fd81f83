"""Test harness: puts the Terraform-described stack on an AWS emulator and observes it."""
