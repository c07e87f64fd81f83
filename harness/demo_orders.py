"""The order part of `make demo`: a large order through the operator's approval,
and a declined card that is compensated, with what happened to each
(docs/orders.md)."""

from __future__ import annotations

import json
import textwrap

from .approvals import Approvals
from .observe import Execution, Observer
from .orders import OrderObserver
from .stack import StackOutputs

CUSTOMER = {"customer_id": "c-demo", "email": "ada@example.com", "phone": "+14155550199"}


def order(order_id: str, amount_cents: int, token: str) -> dict:
    return {"order_id": order_id, "customer": CUSTOMER, "items": [{"sku": "SKU-LAPTOP", "quantity": 1}],
            "amount_cents": amount_cents, "currency": "USD", "payment_token": token}


def show(title: str, request: dict, execution: Execution, orders: OrderObserver, stock_before: dict) -> None:
    print(f"\n=== order: {title}: {json.dumps(request)}")
    print(f"execution : {execution.status}" + (f"  error={execution.error}" if execution.error else ""))
    if execution.cause:
        print(f"cause     : {execution.cause}")
    print("path      : " + textwrap.fill(" -> ".join(execution.path), width=100, subsequent_indent=" " * 12))
    record = orders.order(request["order_id"])
    print(f"record    : {json.dumps(record, default=str) if record else '(none)'}")
    print(f"payment   : {json.dumps(orders.payment(request['order_id']), default=str)}")
    print(f"stock     : {stock_before} -> {orders.stock(*stock_before)}")
    outcome = "confirmed" if execution.status == "SUCCEEDED" else "cancelled"
    nested = orders.notification_execution(f"order-{request['order_id']}-{outcome}")
    print(f"notified  : nested execution {nested.arn}: {nested.status} {json.dumps(nested.output)}")


def run(outputs: StackOutputs, observer: Observer) -> None:
    orders, approvals = OrderObserver(observer), Approvals(outputs)

    large = order("demo-order-approved", 250000, "tok_success")
    before = orders.stock("SKU-LAPTOP")
    arn = orders.start(large)
    request = approvals.wait_for_request(large["order_id"])
    print(f"\n=== order: waiting for approval; the operator reads: "
          f"{json.dumps({k: v for k, v in request.body.items() if k != 'task_token'})}")
    approvals.approve(request, {"approved_by": "ops@example.com"})
    show("large order, approved by an operator", large, observer.wait(arn), orders, before)

    declined = order("demo-order-declined", 4900, "tok_declined")
    before = orders.stock("SKU-LAPTOP")
    show("declined card: stock released, customer told", declined, orders.run(declined), orders, before)
