"""The order part of `make demo`: a large order through the operator's approval,
and a declined card that is compensated, with what happened to each
(docs/orders.md)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from harness.deploy.stack import StackOutputs
from harness.observe.approvals import Approvals
from harness.observe.observer import Execution, Observer
from harness.observe.order_saga import OrderObserver
from harness.observe.report import picture

CUSTOMER = {"customer_id": "c-demo", "email": "ada@example.com", "phone": "+14155550199"}


def order(order_id: str, amount_cents: int, token: str) -> dict:
    return {
        "order_id": order_id,
        "customer": CUSTOMER,
        "items": [{"sku": "SKU-LAPTOP", "quantity": 1}],
        "amount_cents": amount_cents,
        "currency": "USD",
        "payment_token": token,
    }


def message_of(cause: str | None) -> str | None:
    """A Lambda function's error as its type and message: its cause is the function's
    error payload, whose stack trace names the seam's temporary folders."""
    try:
        payload = json.loads(cause or "")
    except ValueError:
        return cause
    if isinstance(payload, dict) and "errorMessage" in payload:
        return f"{payload.get('errorType', 'Error')}: {payload['errorMessage']}"
    return cause


def heading(title: str, request: dict) -> None:
    print(f"\n=== order: {title}: {json.dumps(request)}")


def show(
    title: str, request: dict, execution: Execution, orders: OrderObserver, stock_before: dict, reports: Path
) -> None:
    print(f"execution : {execution.status}" + (f"  error={execution.error}" if execution.error else ""))
    if execution.cause:
        print(f"cause     : {message_of(execution.cause)}")
    print("path      : " + textwrap.fill(" -> ".join(execution.path), width=100, subsequent_indent=" " * 12))
    record = orders.order(request["order_id"])
    if record and record.get("failure_cause"):
        record["failure_cause"] = message_of(record["failure_cause"])
    print(f"record    : {json.dumps(record, default=str) if record else '(none)'}")
    print(f"payment   : {json.dumps(orders.payment(request['order_id']), default=str)}")
    print(f"stock     : {stock_before} -> {orders.stock(*stock_before)}")
    drawn = picture(orders.observer, execution, reports / f"{request['order_id']}.html", title)
    print(f"picture   : {drawn}")
    outcome = "confirmed" if execution.status == "SUCCEEDED" else "cancelled"
    nested = orders.notification_execution(f"order-{request['order_id']}-{outcome}")
    print(f"notified  : nested execution {nested.arn}: {nested.status} {json.dumps(nested.output)}")
    drawn = picture(
        orders.observer, nested, reports / f"{request['order_id']}-notification.html", f"{title}: the customer's notice"
    )
    print(f"picture   : {drawn}")


def run(outputs: StackOutputs, observer: Observer, reports: Path) -> None:
    orders, approvals = OrderObserver(observer), Approvals(outputs)

    large, title = order("demo-order-approved", 250000, "tok_success"), "large order, approved by an operator"
    heading(title, large)
    before = orders.stock("SKU-LAPTOP")
    arn = orders.start(large)
    request = approvals.wait_for_request(large["order_id"])
    print(f"operator  : reads {json.dumps({k: v for k, v in request.body.items() if k != 'task_token'})}")
    approvals.approve(request, {"approved_by": "ops@example.com"})
    print("operator  : approves it (SendTaskSuccess with the request's task token)")
    show(title, large, observer.wait(arn), orders, before, reports)

    declined, title = order("demo-order-declined", 4900, "tok_declined"), "declined card: stock released, customer told"
    heading(title, declined)
    before = orders.stock("SKU-LAPTOP")
    show(title, declined, orders.run(declined), orders, before, reports)
