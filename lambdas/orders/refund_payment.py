"""refund_payment: compensation for charge_payment, refunds the order's charge.

Idempotent per order_id: refunding twice refunds once, and an order that was
never charged (declined, or failed before the charge) answers NOT_CHARGED.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
import payment_provider
from order_common import log, require

# IAM actions this code needs, by the environment variable naming the table.
PERMISSIONS = {"dynamodb:UpdateItem": ["PAYMENTS_TABLE"]}

DYNAMODB = boto3.client("dynamodb")
PAYMENTS_TABLE = os.environ.get("PAYMENTS_TABLE", "")


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    order_id = require(event, "order_id", str)
    result = payment_provider.refund(DYNAMODB, PAYMENTS_TABLE, order_id)
    log("INFO", "refund", order_id=order_id, **result)
    return result
