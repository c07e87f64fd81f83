"""Shared test data: stand-ins for what Terraform modules would output."""

from __future__ import annotations

from typing import Any

from harness import terraform
from harness.expressions import Scope, evaluate

FAKE_MODULES = {
    "kms_key": {"arn": "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"},
    "status_table": {"name": "status", "arn": "arn:aws:dynamodb:us-east-1:123456789012:table/status"},
    "events_topic": {"name": "events", "arn": "arn:aws:sns:us-east-1:123456789012:events"},
    "email_identity": {"arn": "arn:aws:ses:us-east-1:123456789012:identity/a@example.com"},
    # orders.tf
    "notification_workflow": {"arn": "arn:aws:states:us-east-1:123456789012:stateMachine:notification"},
    "orders_kms_key": {"arn": "arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111"},
    "orders_table": {"name": "orders", "arn": "arn:aws:dynamodb:us-east-1:123456789012:table/orders"},
    "stock_table": {"name": "stock", "arn": "arn:aws:dynamodb:us-east-1:123456789012:table/stock"},
    "payments_table": {"name": "payments", "arn": "arn:aws:dynamodb:us-east-1:123456789012:table/payments"},
    "approval_queue": {"url": "https://sqs.us-east-1.amazonaws.com/123456789012/approvals",
                       "arn": "arn:aws:sqs:us-east-1:123456789012:approvals"},
    "order_function": {
        key: {"arn": f"arn:aws:lambda:us-east-1:123456789012:function:{key.replace('_', '-')}"}
        for key in ("validate_order", "check_fraud", "reserve_inventory", "release_inventory", "charge_payment",
                    "refund_payment")
    },
}


def definition_values(name: str, variables: dict[str, Any]) -> dict[str, Any]:
    """What the root module passes to templatefile() for definitions/<name>.asl.json."""
    return evaluate(terraform.local_value(f"{name}_definition_vars"), Scope(variables, FAKE_MODULES))
