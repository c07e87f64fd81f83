"""charge_payment: charges the order's amount through the payment provider.

Errors: PaymentDeclined (the card was refused: no retry) and
PaymentTransientError (the provider did not answer: the state machine retries
with backoff). Charging is idempotent per order_id, so a retry never charges twice.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
import payment_provider
from order_common import log, require
from payment_provider import PaymentDeclined, PaymentTransientError  # noqa: F401  (the errors this function raises)

# IAM actions this code needs, by the environment variable naming the table.
PERMISSIONS = {"dynamodb:UpdateItem": ["PAYMENTS_TABLE"]}

DYNAMODB = boto3.client("dynamodb")
PAYMENTS_TABLE = os.environ.get("PAYMENTS_TABLE", "")


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    order_id = require(event, "order_id", str)
    try:
        result = payment_provider.charge(
            DYNAMODB,
            PAYMENTS_TABLE,
            order_id,
            require(event, "amount_cents", int),
            require(event, "currency", str),
            require(event, "payment_token", str),
        )
    except (PaymentDeclined, PaymentTransientError) as error:
        log("WARNING", "charge failed", order_id=order_id, error=type(error).__name__, reason=str(error))
        raise
    log("INFO", "charged", order_id=order_id, charge_id=result["charge_id"], attempts=result["attempts"])
    return result
