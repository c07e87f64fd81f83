"""Shared by the order handler tests: the handler modules, imported as Lambda
would (lambdas/orders on sys.path), and DynamoDB tables in moto's in-process
mock that record every call made to them."""

from __future__ import annotations

import importlib
import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

SOURCE = Path(__file__).resolve().parents[2] / "lambdas" / "orders"
HANDLERS = (
    "validate_order",
    "check_fraud",
    "reserve_inventory",
    "release_inventory",
    "charge_payment",
    "refund_payment",
)
TABLE_KEYS = {"STOCK_TABLE": "sku", "ORDERS_TABLE": "order_id", "PAYMENTS_TABLE": "order_id"}
# Transaction items are authorised as the single-item action they perform.
TRANSACT_ACTIONS = {
    "Update": "dynamodb:UpdateItem",
    "Put": "dynamodb:PutItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}


def handler_module(name: str):
    """lambdas/orders/<name>.py, imported as the Lambda runtime imports it."""
    if str(SOURCE) not in sys.path:
        sys.path.insert(0, str(SOURCE))
    previous = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = "us-east-1"  # the module-scope clients need a region
    try:
        return importlib.import_module(name)
    finally:
        if previous is None:
            del os.environ["AWS_DEFAULT_REGION"]
        else:
            os.environ["AWS_DEFAULT_REGION"] = previous


class Tables:
    """The three order tables, named uniquely, plus a log of the IAM actions used."""

    def __init__(self, client: Any) -> None:
        self.client = client
        suffix = uuid.uuid4().hex[:8]
        self.names = {env: f"unit-{env.lower().replace('_table', '')}-{suffix}" for env in TABLE_KEYS}
        for env, key in TABLE_KEYS.items():
            client.create_table(
                TableName=self.names[env],
                BillingMode="PAY_PER_REQUEST",
                KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
            )
        self.calls: list[tuple[str, str]] = []  # (IAM action, environment variable naming the table)
        client.meta.events.register("provide-client-params.dynamodb.*", self._record)

    def _record(self, model, params, **_: Any) -> None:
        by_name = {name: env for env, name in self.names.items()}
        if model.name == "TransactWriteItems":
            for item in params["TransactItems"]:
                ((kind, operation),) = item.items()
                self.calls.append((TRANSACT_ACTIONS[kind], by_name.get(operation["TableName"], "?")))
        elif "TableName" in params:
            self.calls.append((f"dynamodb:{model.name}", by_name.get(params["TableName"], "?")))

    @property
    def stock(self) -> str:
        return self.names["STOCK_TABLE"]

    @property
    def orders(self) -> str:
        return self.names["ORDERS_TABLE"]

    @property
    def payments(self) -> str:
        return self.names["PAYMENTS_TABLE"]

    def put_stock(self, **levels: int) -> None:
        for sku, available in levels.items():
            self.client.put_item(TableName=self.stock, Item={"sku": {"S": sku}, "available": {"N": str(available)}})

    def available(self, sku: str) -> int | None:
        item = self.client.get_item(TableName=self.stock, Key={"sku": {"S": sku}}).get("Item")
        return int(item["available"]["N"]) if item else None

    def record_order(self, order_id: str) -> None:
        self.client.put_item(TableName=self.orders, Item={"order_id": {"S": order_id}, "status": {"S": "PENDING"}})

    def item(self, table: str, key: str, value: str) -> dict | None:
        return self.client.get_item(TableName=table, Key={key: {"S": value}}).get("Item")

    def drop(self) -> None:
        for name in self.names.values():
            self.client.delete_table(TableName=name)


@contextmanager
def mocked_tables() -> Iterator[Tables]:
    """Tables in moto's in-process mock. The mock neither resets nor clears moto's
    state on the way in or out: an embedded emulator in the same process shares it."""
    mock = mock_aws()
    mock.start(reset=False)
    try:
        client = boto3.client(
            "dynamodb", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        tables = Tables(client)
        try:
            yield tables
        finally:
            tables.drop()
    finally:
        mock.stop(remove_data=False)
