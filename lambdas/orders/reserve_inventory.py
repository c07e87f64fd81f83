"""reserve_inventory: takes the order's items out of stock, all or none.

One DynamoDB transaction decrements each item's `available` count on condition
that enough is left (stock never goes negative) and marks the order
RESERVED on condition that it was not reserved before. A retry of the same
order therefore changes nothing and answers RESERVED again (idempotent per
order_id); an order with any item short changes nothing and fails OutOfStock.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from botocore.exceptions import ClientError
from order_common import items_of, log, now_iso, require, stock_updates

# IAM actions this code needs, by the environment variable naming the table.
# TransactWriteItems is authorised per item: Update items need dynamodb:UpdateItem.
PERMISSIONS = {"dynamodb:UpdateItem": ["STOCK_TABLE", "ORDERS_TABLE"]}

DYNAMODB = boto3.client("dynamodb")
STOCK_TABLE = os.environ.get("STOCK_TABLE", "")
ORDERS_TABLE = os.environ.get("ORDERS_TABLE", "")


class OutOfStock(Exception):
    """At least one item is short (or unknown): nothing was reserved."""


class OrderNotRecorded(Exception):
    """The order has no record to hold the reservation (a workflow bug)."""


class ReservationClosed(Exception):
    """The order's reservation was released already; it is not taken again."""


def reserve(
    dynamodb: Any, stock_table: str, orders_table: str, order_id: str, items: list[dict[str, Any]]
) -> dict[str, Any]:
    operations = stock_updates(
        stock_table,
        items,
        "SET available = available - :quantity",
        "available >= :quantity",  # stock never goes negative
        ReturnValuesOnConditionCheckFailure="ALL_OLD",  # tells how many are left
    )
    operations.append(
        {
            "Update": {
                "TableName": orders_table,
                "Key": {"order_id": {"S": order_id}},
                "UpdateExpression": "SET reservation_status = :reserved, reserved_at = :now",
                "ConditionExpression": "attribute_exists(order_id) AND attribute_not_exists(reservation_status)",
                "ExpressionAttributeValues": {":reserved": {"S": "RESERVED"}, ":now": {"S": now_iso()}},
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }
    )
    try:
        dynamodb.transact_write_items(TransactItems=operations)
    except ClientError as error:
        if error.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        reasons = error.response.get("CancellationReasons", [])
        order_reason = reasons[-1] if reasons else {}
        if order_reason.get("Code") == "ConditionalCheckFailed":
            previous = order_reason.get("Item", {}).get("reservation_status", {}).get("S")
            if previous == "RESERVED":
                log("INFO", "already reserved", order_id=order_id)
                return {"status": "RESERVED", "replayed": True}
            if previous is None and not order_reason.get("Item"):
                raise OrderNotRecorded(f"order {order_id} has no record") from None
            raise ReservationClosed(f"order {order_id}: its reservation was {previous}") from None
        short = []
        for item, reason in zip(items, reasons, strict=False):  # the last reason is the order record's
            if reason.get("Code") == "ConditionalCheckFailed":
                available = reason.get("Item", {}).get("available", {}).get("N")
                short.append(
                    f"{item['sku']} ({'unknown' if available is None else available + ' available'}, "
                    f"{item['quantity']} wanted)"
                )
        if short:
            raise OutOfStock(f"order {order_id}: not enough stock of " + ", ".join(short)) from None
        raise
    log("INFO", "reserved", order_id=order_id, items=items)
    return {"status": "RESERVED", "replayed": False}


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    order_id = require(event, "order_id", str)
    items = items_of(event)
    try:
        return reserve(DYNAMODB, STOCK_TABLE, ORDERS_TABLE, order_id, items)
    except OutOfStock as error:
        log("WARNING", "out of stock", order_id=order_id, reason=str(error))
        raise
