"""check_fraud: the fraud rule, run in parallel with the inventory reservation.

Rule: an order whose amount_cents is above FRAUD_AMOUNT_LIMIT_CENTS (the
Terraform variable fraud_amount_limit_cents) is suspected of fraud. A stand-in
for a real fraud service: the point is where the check sits in the workflow and
what its failure leads to, not the rule itself.
"""

from __future__ import annotations

import os
from typing import Any

from order_common import log, require

# This function calls no AWS API.
PERMISSIONS: dict[str, list[str]] = {}

AMOUNT_LIMIT_CENTS = int(os.environ.get("FRAUD_AMOUNT_LIMIT_CENTS", "500000"))


class FraudSuspected(Exception):
    """The order matches the fraud rule: it is cancelled, nothing is charged."""


def assess(order_id: str, amount_cents: int, limit_cents: int) -> dict[str, Any]:
    if amount_cents > limit_cents:
        raise FraudSuspected(f"order {order_id}: amount {amount_cents} is above the limit of {limit_cents}")
    return {"status": "CLEAR", "rule": "amount_limit", "limit_cents": limit_cents}


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    order_id = require(event, "order_id", str)
    amount = require(event, "amount_cents", int)
    try:
        verdict = assess(order_id, amount, AMOUNT_LIMIT_CENTS)
    except FraudSuspected as suspicion:
        log("WARNING", "fraud suspected", order_id=order_id, reason=str(suspicion))
        raise
    log("INFO", "fraud check clear", order_id=order_id)
    return verdict
