"""release_inventory: compensation for reserve_inventory, puts the items back.

One DynamoDB transaction adds each item's quantity back and marks the order
RELEASED on condition that it is RESERVED. Releasing twice, or releasing an
order that was never reserved, changes nothing (idempotent per order_id): the
answer says which (RELEASED, or NOT_RESERVED).
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from botocore.exceptions import ClientError
from order_common import items_of, log, now_iso, require, stock_updates

# IAM actions this code needs, by the environment variable naming the table.
PERMISSIONS = {"dynamodb:UpdateItem": ["STOCK_TABLE", "ORDERS_TABLE"]}

DYNAMODB = boto3.client("dynamodb")
STOCK_TABLE = os.environ.get("STOCK_TABLE", "")
ORDERS_TABLE = os.environ.get("ORDERS_TABLE", "")


def release(
    dynamodb: Any, stock_table: str, orders_table: str, order_id: str, items: list[dict[str, Any]]
) -> dict[str, Any]:
    operations = stock_updates(stock_table, items, "SET available = available + :quantity", "attribute_exists(sku)")
    operations.append(
        {
            "Update": {
                "TableName": orders_table,
                "Key": {"order_id": {"S": order_id}},
                "UpdateExpression": "SET reservation_status = :released, released_at = :now",
                "ConditionExpression": "reservation_status = :reserved",
                "ExpressionAttributeValues": {
                    ":released": {"S": "RELEASED"},
                    ":reserved": {"S": "RESERVED"},
                    ":now": {"S": now_iso()},
                },
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }
    )
    try:
        dynamodb.transact_write_items(TransactItems=operations)
    except ClientError as error:
        reasons = error.response.get("CancellationReasons", [])
        order_reason = reasons[-1] if reasons else {}
        if (
            error.response["Error"]["Code"] != "TransactionCanceledException"
            or order_reason.get("Code") != "ConditionalCheckFailed"
        ):
            raise
        previous = order_reason.get("Item", {}).get("reservation_status", {}).get("S")
        status = "RELEASED" if previous == "RELEASED" else "NOT_RESERVED"
        log("INFO", "nothing to release", order_id=order_id, status=status)
        return {"status": status, "replayed": previous == "RELEASED"}
    log("INFO", "released", order_id=order_id, items=items)
    return {"status": "RELEASED", "replayed": False}


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    return release(DYNAMODB, STOCK_TABLE, ORDERS_TABLE, require(event, "order_id", str), items_of(event))
