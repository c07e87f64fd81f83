"""The order workflow's row of `make bench`: small orders (below the approval
threshold, so no one is waited for) paid with `tok_success`, from the test
catalogue of harness/observe/order_saga.py; each one is confirmed and notifies its
customer by SMS and email through a nested notification execution
(docs/orders.md)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from harness.bench.measure import billed_transitions, lambda_invocations, latency, throughput
from harness.observe.observer import Execution, Observer
from harness.observe.order_saga import OrderObserver, seed_stock

SKU = "SKU-MUG"  # the everyday item of the test catalogue
AMOUNT_CENTS = 2400  # USD 24.00: far below approval_threshold_cents
STOCK = 1_000_000  # enough for every order a bench run places


def order(index: int) -> dict:
    return {
        "order_id": f"bench-{uuid.uuid4().hex[:16]}",
        "customer": {"customer_id": f"c-bench-{index}", "email": "bench-orders@example.com", "phone": "+14155550100"},
        "items": [{"sku": SKU, "quantity": 1}],
        "amount_cents": AMOUNT_CENTS,
        "currency": "USD",
        "payment_token": "tok_success",
    }


def service_calls(execution: Execution, nested: Execution) -> int:
    """AWS calls other than function invocations (table writes, the notification's sends,
    records, event and metric), the nested execution counted by its own calls."""
    calls = [e["taskScheduledEventDetails"] for e in execution.history if e["type"] == "TaskScheduled"]
    own = sum(1 for c in calls if c["resourceType"] not in ("lambda", "states"))
    return own + sum(1 for e in nested.history if e["type"] == "TaskScheduled")


def order_figures(
    observer: Observer, variables: dict[str, Any], runs: int, total: int, levels: Iterable[int]
) -> dict[str, Any]:
    if AMOUNT_CENTS >= variables["approval_threshold_cents"]:
        raise ValueError("bench orders must stay below approval_threshold_cents: they would wait for an operator")
    seed_stock(observer.dynamodb, observer.outputs.stock_table_name, {SKU: STOCK})
    start = {"state_machine_arn": observer.outputs.order_state_machine_arn}
    sample = observer.wait(observer.start(order(0), **start), timeout=120)
    assert sample.status == "SUCCEEDED" and sample.output["status"] == "CONFIRMED", sample.describe()
    nested = OrderObserver(observer).notification_execution(f"order-{sample.input['order_id']}-confirmed")
    assert nested.status == "SUCCEEDED", nested.describe()
    return {
        "latency": latency(observer, order, runs, **start),
        "throughput": {
            level: throughput(observer, order, concurrency=level, total=max(total, level), **start) for level in levels
        },
        "order_transitions": billed_transitions(sample),
        "notification_transitions": billed_transitions(nested),
        "transitions": billed_transitions(sample) + billed_transitions(nested),
        "lambda_invocations": lambda_invocations(sample),
        "service_calls": service_calls(sample, nested),
    }
