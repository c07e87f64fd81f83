"""What every order function shares: structured JSON logs, input checks, record timestamps
and the stock updates of a reservation and its release.

Packaged with each function (see `local.order_functions` in orders.tf).
"""

from __future__ import annotations

import datetime
import json
import os
import sys
import time
from typing import Any

FUNCTION_NAME = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "local")

# The currencies the payment provider (payment_provider.py) takes, documented in
# docs/orders.md. Each has a minor unit of 1/100, which amount_cents and the
# display amount ("USD 24.00") assume. validate_order refuses any other code, so
# an order in a currency that cannot be charged is refused before stock is taken.
PAYMENT_CURRENCIES = frozenset({"AUD", "CAD", "CHF", "EUR", "GBP", "USD"})


def log(level: str, message: str, **fields: Any) -> None:
    """One JSON object per line on stdout, which Lambda sends to CloudWatch Logs."""
    record = {"timestamp": round(time.time(), 3), "level": level, "function": FUNCTION_NAME, "message": message}
    record.update(fields)
    print(json.dumps(record, default=str), file=sys.stdout, flush=True)


def require(event: Any, field: str, kind: type | tuple[type, ...]) -> Any:
    """event[field], which the state machine always passes: a missing or mistyped one is a bug upstream."""
    if not isinstance(event, dict) or field not in event or not isinstance(event[field], kind):
        raise ValueError(f"the state machine passed no valid {field!r}")
    value = event[field]
    if kind is int and isinstance(value, bool):
        raise ValueError(f"the state machine passed no valid {field!r}")
    return value


def items_of(event: Any) -> list[dict[str, Any]]:
    """The order's items as validate_order normalised them: [{"sku", "quantity"}, ...]."""
    items = require(event, "items", list)
    for item in items:
        if not (
            isinstance(item, dict)
            and isinstance(item.get("sku"), str)
            and isinstance(item.get("quantity"), int)
            and item["quantity"] > 0
        ):
            raise ValueError("the state machine passed a malformed item")
    return items


def now_iso() -> str:
    """Now, as the records hold times: ISO 8601 in UTC, to the millisecond, with a Z."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def stock_updates(stock_table: str, items: list[dict[str, Any]], change: str, condition: str, **extra: Any) -> list:
    """One TransactWriteItems Update per item: `change` applied to its stock record on
    `condition`, with the item's quantity as :quantity."""
    return [
        {
            "Update": {
                "TableName": stock_table,
                "Key": {"sku": {"S": item["sku"]}},
                "UpdateExpression": change,
                "ConditionExpression": condition,
                "ExpressionAttributeValues": {":quantity": {"N": str(item["quantity"])}},
                **extra,
            }
        }
        for item in items
    ]
