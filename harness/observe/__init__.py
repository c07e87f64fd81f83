"""Observing a deployed stack: executions and their paths, records, deliveries, approvals, reports; bounded waits."""
