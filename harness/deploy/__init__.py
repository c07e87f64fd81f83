"""Deploying: `terraform apply` of the root module in a working directory of its own, and what it deployed."""
