"""Observe what the order saga did: its executions, the order records, stock
levels, the payment provider's ledger, and the notifications it sent through
the notification workflow (nested executions).

Also the test catalogue (`seed_stock`): Terraform creates the stock table
empty, since loading the catalogue is the business's job (docs/orders.md), so
the tests, the demo and the benchmark load theirs after `terraform apply`.
"""

from __future__ import annotations

import uuid
from typing import Any

from harness.observe.observer import Execution, Observer, item_to_dict

# The test catalogue: every sku the tests and the demo order, with its stock.
# Tests read levels before and after an order, so they do not depend on these
# numbers; SKU-SOLD-OUT is the one that must stay at 0.
TEST_CATALOGUE = {
    "SKU-MUG": 1000,  # a mug: the everyday item
    "SKU-TEE": 1000,  # a T-shirt
    "SKU-POSTER": 1000,  # a poster
    "SKU-LAPTOP": 1000,  # a laptop: large orders that need approval
    "SKU-SOLD-OUT": 0,  # never in stock: orders for it fail with OutOfStock
}


def seed_stock(dynamodb: Any, table: str, catalogue: dict[str, int] = TEST_CATALOGUE) -> None:
    """Set the stock of each sku of the catalogue in the deployed stock table."""
    for sku, available in catalogue.items():
        dynamodb.put_item(TableName=table, Item={"sku": {"S": sku}, "available": {"N": str(available)}})


class OrderObserver:
    """Order-side views next to an Observer (which sees executions and deliveries)."""

    def __init__(self, observer: Observer) -> None:
        self.observer = observer
        self.outputs = observer.outputs
        self.dynamodb = observer.dynamodb

    # Executions -------------------------------------------------------------------
    def start(self, order: Any, *, name: str | None = None) -> str:
        return self.observer.start(
            order, name=name or f"order-{uuid.uuid4()}", state_machine_arn=self.outputs.order_state_machine_arn
        )

    def run(self, order: Any, *, name: str | None = None, timeout: float = 30) -> Execution:
        return self.observer.wait(self.start(order, name=name), timeout=timeout)

    def status(self, execution_arn: str) -> str:
        return self.observer.sfn.describe_execution(executionArn=execution_arn)["status"]

    def notification_execution(self, notification_id: str) -> Execution:
        """The nested notification execution, which the order names after its notification_id."""
        arn = self.outputs.notification_state_machine_arn.replace(":stateMachine:", ":execution:")
        return self.observer.execution(f"{arn}:{notification_id}")

    # Records ----------------------------------------------------------------------
    def _item(self, table: str | None, key: dict[str, str]) -> dict | None:
        item = self.dynamodb.get_item(
            TableName=table, Key={k: {"S": v} for k, v in key.items()}, ConsistentRead=True
        ).get("Item")
        return item_to_dict(item) if item else None

    def order(self, order_id: str) -> dict | None:
        """The order's record in the orders table."""
        return self._item(self.outputs.orders_table_name, {"order_id": order_id})

    def payment(self, order_id: str) -> dict | None:
        """The payment provider's ledger entry for the order (charge, refund, attempts)."""
        return self._item(self.outputs.payments_table_name, {"order_id": order_id})

    def stock(self, *skus: str) -> dict[str, int | None]:
        """`available` per sku (None for a sku the catalogue does not have)."""
        levels = {}
        for sku in skus:
            item = self._item(self.outputs.stock_table_name, {"sku": sku})
            levels[sku] = item["available"] if item else None
        return levels
