"""A fake payment provider, inside the project, that behaves like a real one
for the cases the workflow must handle. Its ledger is the payments table: one
item per order_id with the charge, the refund and the number of charge attempts.

Test tokens (like a card network's test card numbers):

| token             | charge                                                          |
|-------------------|-----------------------------------------------------------------|
| `tok_success`     | charged                                                         |
| `tok_declined`    | PaymentDeclined (the ledger records DECLINED)                  |
| `tok_flaky`       | PaymentTransientError on the first FLAKY_FAILURES (2) attempts  |
|                   | for an order, then charged; the count survives invocations      |
| `tok_unavailable` | PaymentTransientError on every attempt                          |
| any other `tok_*` | PaymentDeclined (unknown token)                                 |

A currency the provider does not take (order_common.PAYMENT_CURRENCIES) is
declined whatever the token; validate_order refuses such orders first.

Charges and refunds are idempotent per order_id: charging a charged order
returns the same charge, refunding a refunded order returns the same refund,
refunding an order that was never charged refunds nothing (NOT_CHARGED).
"""

from __future__ import annotations

import uuid
from typing import Any, NoReturn

from botocore.exceptions import ClientError
from order_common import PAYMENT_CURRENCIES, now_iso

FLAKY_FAILURES = 2


class PaymentDeclined(Exception):
    """The provider refused the payment: retrying will not help."""


class PaymentTransientError(Exception):
    """The provider could not answer: the same request may succeed later."""


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, typed in item.items():
        ((kind, value),) = typed.items()
        out[name] = int(value) if kind == "N" else value
    return out


def charge(dynamodb: Any, table: str, order_id: str, amount_cents: int, currency: str, token: str) -> dict[str, Any]:
    """Charge the order once; a repeated call for the same order returns the first charge."""
    attempt = _plain(
        dynamodb.update_item(
            TableName=table,
            Key={"order_id": {"S": order_id}},
            UpdateExpression="SET payment_token = :token, amount_cents = :amount, currency = :currency, "
            "updated_at = :now ADD attempts :one",
            ExpressionAttributeValues={
                ":token": {"S": token},
                ":amount": {"N": str(amount_cents)},
                ":currency": {"S": currency},
                ":now": {"S": now_iso()},
                ":one": {"N": "1"},
            },
            ReturnValues="ALL_NEW",
        )["Attributes"]
    )
    status = attempt.get("status")
    if status == "CHARGED":
        return _charge_result(attempt)
    if status == "REFUNDED":
        raise PaymentDeclined(f"order {order_id} was refunded; a refunded order is not charged again")

    if currency not in PAYMENT_CURRENCIES:
        _decline(dynamodb, table, order_id, f"currency {currency} is not taken")
    if token == "tok_success" or (token == "tok_flaky" and attempt["attempts"] > FLAKY_FAILURES):
        return _capture(dynamodb, table, order_id)
    if token == "tok_flaky":
        raise PaymentTransientError(
            f"provider unavailable (tok_flaky attempt {attempt['attempts']} of {FLAKY_FAILURES} failing ones)"
        )
    if token == "tok_unavailable":
        raise PaymentTransientError("provider unavailable (tok_unavailable)")
    reason = "card declined (tok_declined)" if token == "tok_declined" else f"unknown payment token {token}"
    _decline(dynamodb, table, order_id, reason)


def _decline(dynamodb: Any, table: str, order_id: str, reason: str) -> NoReturn:
    dynamodb.update_item(
        TableName=table,
        Key={"order_id": {"S": order_id}},
        UpdateExpression="SET #status = :declined, decline_reason = :reason",
        ConditionExpression="attribute_not_exists(charge_id)",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":declined": {"S": "DECLINED"}, ":reason": {"S": reason}},
    )
    raise PaymentDeclined(reason)


def _capture(dynamodb: Any, table: str, order_id: str) -> dict[str, Any]:
    try:
        captured = dynamodb.update_item(
            TableName=table,
            Key={"order_id": {"S": order_id}},
            UpdateExpression="SET #status = :charged, charge_id = :charge_id, charged_at = :now",
            ConditionExpression="attribute_not_exists(charge_id)",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":charged": {"S": "CHARGED"},
                ":charge_id": {"S": f"ch_{uuid.uuid4().hex}"},
                ":now": {"S": now_iso()},
            },
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )["Attributes"]
    except ClientError as error:  # a concurrent attempt charged first: that charge stands
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        captured = error.response["Item"]
    return _charge_result(_plain(captured))


def _charge_result(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": "CHARGED",
        "charge_id": item["charge_id"],
        "amount_cents": item["amount_cents"],
        "currency": item["currency"],
        "attempts": item["attempts"],
    }


def refund(dynamodb: Any, table: str, order_id: str) -> dict[str, Any]:
    """Refund the order's charge in full, once; NOT_CHARGED when there is none."""
    try:
        refunded = _plain(
            dynamodb.update_item(
                TableName=table,
                Key={"order_id": {"S": order_id}},
                UpdateExpression="SET #status = :refunded, refund_id = :refund_id, refunded_at = :now",
                ConditionExpression="#status = :charged",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":refunded": {"S": "REFUNDED"},
                    ":charged": {"S": "CHARGED"},
                    ":refund_id": {"S": f"re_{uuid.uuid4().hex}"},
                    ":now": {"S": now_iso()},
                },
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )["Attributes"]
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        previous = _plain(error.response.get("Item", {}))
        if previous.get("status") == "REFUNDED":
            return {"status": "REFUNDED", "refund_id": previous["refund_id"], "replayed": True}
        return {"status": "NOT_CHARGED", "replayed": False}
    return {
        "status": "REFUNDED",
        "refund_id": refunded["refund_id"],
        "amount_cents": refunded["amount_cents"],
        "replayed": False,
    }
