"""End to end: the order saga (docs/orders.md), on the deployed stack.

Each test places a real order and asserts what happened: the execution's status
and error, the states it passed through, the order record, the stock levels,
the payment ledger, and the customer's notification, sent through the
notification workflow as a nested execution and delivered by SMS or email.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid

import pytest

from harness.emulator.faults import FaultRule
from harness.observe.approvals import Approvals
from harness.observe.order_saga import TEST_CATALOGUE, OrderObserver, seed_stock
from harness.observe.waiting import poll
from tests.e2e.paths import (
    ORDER_DUPLICATE,
    ORDER_INVALID,
    ORDER_REFUND_FAILED,
    assert_order_path,
    assert_readable_cause,
)

pytestmark = pytest.mark.e2e

# How AWS renders $$.Execution.StartTime and $$.State.EnteredTime, and so every timestamp of a record.
AWS_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


@pytest.fixture(scope="module")
def orders(observer) -> OrderObserver:
    # The test catalogue, at its initial levels (Terraform leaves stock to the business).
    seed_stock(observer.dynamodb, observer.outputs.stock_table_name)
    return OrderObserver(observer)


@pytest.fixture(scope="module")
def approvals(observer, tmp_path_factory: pytest.TempPathFactory) -> Approvals:
    # The pytest-xdist workers of a run share the requests they drain from the queue.
    run = tmp_path_factory.getbasetemp()
    return Approvals.for_observer(
        observer, shared=(run.parent if "PYTEST_XDIST_WORKER" in os.environ else run) / "approvals"
    )


@pytest.fixture
def shelf(orders):
    """The test catalogue under skus of this test's own ("SKU-MUG" → "SKU-MUG-1a2b3c4d"):
    tests running side by side take and count stock of their own skus only."""
    suffix = uuid.uuid4().hex[:8]
    own = {sku: f"{sku}-{suffix}" for sku in TEST_CATALOGUE}
    seed_stock(orders.dynamodb, orders.outputs.stock_table_name, {own[sku]: n for sku, n in TEST_CATALOGUE.items()})
    yield own
    for sku in own.values():  # the shared stack as the test found it
        orders.dynamodb.delete_item(TableName=orders.outputs.stock_table_name, Key={"sku": {"S": sku}})


@pytest.fixture
def customer(recipient) -> dict:
    """A customer whose email address and phone number no other test uses."""
    return {
        "customer_id": f"c-{uuid.uuid4().hex[:8]}",
        "email": recipient["user_email"],
        "phone": recipient["user_phone"],
    }


def order_for(
    customer: dict,
    shelf: dict[str, str],
    *,
    amount_cents: int = 2400,
    token: str = "tok_success",
    items: list[dict] | None = None,
    contact: tuple[str, ...] = ("email", "phone"),
) -> dict:
    return {
        "order_id": f"o-{uuid.uuid4().hex[:16]}",
        "customer": {"customer_id": customer["customer_id"], **{k: customer[k] for k in contact}},
        "items": [
            {**item, "sku": shelf[item["sku"]]}
            for item in items or [{"sku": "SKU-MUG", "quantity": 2}, {"sku": "SKU-TEE", "quantity": 1}]
        ],
        "amount_cents": amount_cents,
        "currency": "USD",
        "payment_token": token,
    }


def skus(order: dict) -> list[str]:
    return [item["sku"] for item in order["items"]]


def assert_notified(
    orders, order: dict, customer: dict, outcome: str, *, says: str, channels: tuple[str, ...] = ("email", "phone")
) -> None:
    """One notice, through a nested notification execution, delivered on the order's channels."""
    notification_id = f"order-{order['order_id']}-{outcome}"
    nested = orders.notification_execution(notification_id)
    assert nested.status == "SUCCEEDED", nested.describe()
    assert nested.output["status"] == "DELIVERED"
    parent = orders.order(order["order_id"])["execution_arn"]
    assert nested.input["AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"] == parent
    sms = orders.observer.sms(customer["phone"])
    emails = orders.observer.emails(customer["email"])
    if "phone" in channels:
        assert [says in m["Message"] and order["order_id"] in m["Message"] for m in sms] == [True], sms
    else:
        assert sms == []
    if "email" in channels:
        assert len(emails) == 1, emails
        assert emails[0]["Subject"] == f"Order {order['order_id']} {outcome}"
        assert says in orders.observer.email_text(emails[0])
    else:
        assert emails == []
    assert orders.order(order["order_id"])["notification_status"] == "DELIVERED"


def place(orders, order: dict, **run) -> tuple:
    """Run the order; return the execution and the stock of its skus before and after."""
    before = orders.stock(*skus(order))
    execution = orders.run(order, **run)
    return execution, before, orders.stock(*skus(order))


def taken(order: dict, before: dict) -> dict:
    return {item["sku"]: before[item["sku"]] - item["quantity"] for item in order["items"]}


# Confirmed ----------------------------------------------------------------------------------------


def test_a_small_order_goes_straight_through(orders, customer, shelf):
    # GIVEN an order below the approval threshold, for a customer with email and phone
    order = order_for(customer, shelf, items=[{"sku": "SKU-MUG", "quantity": 2}, {"sku": "SKU-TEE", "quantity": 1}])

    # WHEN it is placed
    execution, before, after = place(orders, order)

    # THEN it is confirmed without approval
    assert execution.status == "SUCCEEDED", execution.describe()
    assert_order_path(execution, "confirmed")
    assert execution.output == {
        "order_id": order["order_id"],
        "status": "CONFIRMED",
        "charge_id": execution.output["charge_id"],
        "notification": "DELIVERED",
    }

    # AND recorded, reserved, charged once
    record = orders.order(order["order_id"])
    assert record["status"] == "CONFIRMED" and record["reservation_status"] == "RESERVED"
    assert record["charge_id"] == execution.output["charge_id"]
    assert record["amount_cents"] == 2400 and json.loads(record["approval"]) == {"required": False}
    assert record["execution_arn"] == execution.arn and record["confirmed_at"]
    stamps = {field: value for field, value in record.items() if field.endswith("_at")}
    assert {"created_at", "updated_at", "confirmed_at"} <= set(stamps)
    assert all(AWS_TIMESTAMP.fullmatch(stamp) for stamp in stamps.values()), stamps  # one format, AWS's
    assert after == taken(order, before)
    payment = orders.payment(order["order_id"])
    assert payment["status"] == "CHARGED" and payment["attempts"] == 1
    assert payment["charge_id"] == record["charge_id"] and payment["amount_cents"] == 2400

    # AND the customer is told on both channels, through the notification workflow
    assert_notified(orders, order, customer, "confirmed", says="is confirmed. We charged USD 24.00")


def test_a_large_order_waits_for_approval_and_is_confirmed_once_approved(orders, approvals, customer, shelf, variables):
    # GIVEN an order at the approval threshold, for a customer with an email only
    amount = variables["approval_threshold_cents"]
    order = order_for(
        customer, shelf, amount_cents=amount, items=[{"sku": "SKU-LAPTOP", "quantity": 1}], contact=("email",)
    )
    laptop = shelf["SKU-LAPTOP"]
    before = orders.stock(laptop)

    # WHEN it is placed, it waits for an approval with the stock already reserved
    arn = orders.start(order)
    request = approvals.wait_for_request(order["order_id"])
    assert orders.status(arn) == "RUNNING"
    assert request.body["amount_cents"] == amount and request.body["display_amount"] == "USD 1000.00"
    assert request.body["items"] == order["items"] and request.body["execution_arn"] == arn
    assert orders.order(order["order_id"])["status"] == "PENDING"
    assert orders.stock(laptop) == {laptop: before[laptop] - 1}
    assert orders.payment(order["order_id"]) is None

    # AND an operator approves it
    approvals.approve(request, {"approved_by": "ops@example.com"})
    execution = orders.observer.wait(arn)

    # THEN it is charged, confirmed and the approval recorded
    assert execution.status == "SUCCEEDED", execution.describe()
    assert_order_path(execution, "confirmed after approval")
    record = orders.order(order["order_id"])
    assert record["status"] == "CONFIRMED"
    assert json.loads(record["approval"]) == {"required": True, "decision": {"approved_by": "ops@example.com"}}
    assert orders.payment(order["order_id"])["status"] == "CHARGED"
    assert orders.stock(laptop) == {laptop: before[laptop] - 1}
    assert_notified(orders, order, customer, "confirmed", says="We charged USD 1000.00", channels=("email",))


@pytest.mark.waits
def test_a_transient_payment_failure_is_retried_until_the_charge_succeeds(orders, customer, shelf):
    # GIVEN a card the provider fails twice for this order, then accepts (tok_flaky)
    order = order_for(customer, shelf, token="tok_flaky")

    # WHEN it is placed
    execution, before, after = place(orders, order)

    # THEN the history shows the two retries, and the order is charged once
    assert execution.status == "SUCCEEDED", execution.describe()
    assert execution.attempts("ChargePayment") == 3
    assert execution.task_errors("ChargePayment") == ["PaymentTransientError", "PaymentTransientError"]
    payment = orders.payment(order["order_id"])
    assert payment["status"] == "CHARGED" and payment["attempts"] == 3
    assert orders.order(order["order_id"])["charge_id"] == payment["charge_id"] == execution.output["charge_id"]
    assert after == taken(order, before)
    assert_notified(orders, order, customer, "confirmed", says="is confirmed")


def test_a_confirmed_order_stays_confirmed_when_its_notification_fails(orders, faults, customer, shelf):
    # GIVEN SMS and email both refuse the message (so the notification workflow fails)
    faults.add(
        FaultRule(
            service="sns", operation="Publish", error_code="InvalidParameter", when={"PhoneNumber": customer["phone"]}
        )
    )
    faults.add(
        FaultRule(
            service="sesv2",
            operation="SendEmail",
            error_code="MessageRejected",
            when={"Destination": {"ToAddresses": [customer["email"]]}},
        )
    )
    order = order_for(customer, shelf)

    # WHEN an order is placed
    execution, before, after = place(orders, order)

    # THEN it is confirmed all the same (past the point of no return), and the failed notice is recorded
    assert execution.status == "SUCCEEDED", execution.describe()
    assert execution.output["status"] == "CONFIRMED" and execution.output["notification"] == "FAILED"
    assert_order_path(execution, "confirmed, notice failed")
    record = orders.order(order["order_id"])
    assert record["status"] == "CONFIRMED" and record["notification_status"] == "FAILED"
    nested = orders.notification_execution(f"order-{order['order_id']}-confirmed")
    assert nested.status == "FAILED" and nested.error == "DeliveryFailed"
    assert orders.payment(order["order_id"])["status"] == "CHARGED"
    assert after == taken(order, before)


def test_a_repeated_order_id_reserves_and_charges_nothing_more(orders, customer, shelf):
    # GIVEN a confirmed order
    order = order_for(customer, shelf)
    first, before, _ = place(orders, order)
    assert first.status == "SUCCEEDED", first.describe()

    # WHEN the same order comes again, under another execution name
    again = orders.run(order)

    # THEN it succeeds as a duplicate, and nothing more is reserved, charged or sent
    assert again.status == "SUCCEEDED", again.describe()
    assert again.output == {"order_id": order["order_id"], "status": "DUPLICATE"}
    assert again.path == ORDER_DUPLICATE
    assert orders.stock(*skus(order)) == taken(order, before)
    assert orders.payment(order["order_id"])["attempts"] == 1
    assert orders.order(order["order_id"])["execution_arn"] == first.arn
    assert len(orders.observer.sms(customer["phone"])) == 1


# Cancelled and failed -----------------------------------------------------------------------------


def assert_cancelled(orders, order: dict, execution, *, status: str, reason: str, refund: str, release: str) -> dict:
    assert execution.status == "FAILED", execution.describe()
    assert execution.error == (reason if refund != "FAILED" else "CompensationFailed")
    record = orders.order(order["order_id"])
    assert record["status"] == status
    assert record["reason"] == reason
    assert record["refund_status"] == refund and record["release_status"] == release
    assert record["completed_at"] and "confirmed_at" not in record
    return record


def test_a_rejected_approval_cancels_the_order_and_releases_its_stock(orders, approvals, customer, shelf, variables):
    # GIVEN a large order, for a customer with a phone only
    order = order_for(customer, shelf, amount_cents=variables["approval_threshold_cents"] + 1, contact=("phone",))
    before = orders.stock(*skus(order))
    arn = orders.start(order)

    # WHEN the operator rejects it
    approvals.reject(approvals.wait_for_request(order["order_id"]), "customer asked to cancel")
    execution = orders.observer.wait(arn)

    # THEN it ends in ApprovalRejected with the operator's reason, stock put back, nothing charged
    assert_order_path(execution, "approval rejected")
    record = assert_cancelled(
        orders,
        order,
        execution,
        status="CANCELLED",
        reason="ApprovalRejected",
        refund="NOT_CHARGED",
        release="RELEASED",
    )
    assert record["failure_cause"] == execution.cause == "customer asked to cancel"
    assert record["reservation_status"] == "RELEASED"
    assert orders.stock(*skus(order)) == before
    assert orders.payment(order["order_id"]) is None
    assert_notified(
        orders,
        order,
        customer,
        "cancelled",
        says="was cancelled because it was not approved. You have not been charged.",
        channels=("phone",),
    )


@pytest.mark.waits
def test_an_approval_nobody_answers_times_out(orders, approvals, customer, shelf, variables):
    # GIVEN a large order
    order = order_for(customer, shelf, amount_cents=variables["approval_threshold_cents"])
    before = orders.stock(*skus(order))

    # WHEN nobody answers its approval request
    started = time.monotonic()
    execution = orders.run(order)

    # THEN it ends in ApprovalTimedOut after the heartbeat interval, stock put back
    assert time.monotonic() - started >= variables["approval_heartbeat_seconds"]
    assert len(approvals.requests(order["order_id"])) == 1
    assert_order_path(execution, "approval timed out")
    record = assert_cancelled(
        orders,
        order,
        execution,
        status="CANCELLED",
        reason="ApprovalTimedOut",
        refund="NOT_CHARGED",
        release="RELEASED",
    )
    # AWS names a missed heartbeat States.HeartbeatTimeout; moto says States.Timeout. Both are caught.
    assert record["failure_error"] in {"States.HeartbeatTimeout", "States.Timeout"}
    assert orders.stock(*skus(order)) == before
    assert_notified(orders, order, customer, "cancelled", says="it was not approved in time")

    # AND answering it now fails with TaskTimedOut (docs/orders.md), however it is answered
    [request] = approvals.requests(order["order_id"])
    for answer in (approvals.approve, lambda r: approvals.reject(r, "too late"), approvals.heartbeat):
        with pytest.raises(approvals.sfn.exceptions.TaskTimedOut):
            answer(request)


@pytest.mark.waits
def test_heartbeats_keep_an_approval_open_until_the_overall_timeout(orders, approvals, customer, shelf, variables):
    # GIVEN a large order whose reviewer sends heartbeats but never decides
    order = order_for(customer, shelf, amount_cents=variables["approval_threshold_cents"])
    arn = orders.start(order)
    request = approvals.wait_for_request(order["order_id"])
    started = time.monotonic()

    # WHEN heartbeats come more often than approval_heartbeat_seconds, until the order ends
    def heartbeat_until_finished() -> bool:
        if orders.status(arn) != "RUNNING":
            return True
        try:
            approvals.heartbeat(request)
        except approvals.sfn.exceptions.TaskTimedOut:  # the approval timed out; the order runs on to cancel
            return True
        return False

    poll(
        heartbeat_until_finished,
        timeout=variables["approval_timeout_seconds"] + 5,
        interval=variables["approval_heartbeat_seconds"] / 4,
    )
    execution = orders.observer.wait(arn)

    # THEN the order waits past the heartbeat interval, until approval_timeout_seconds
    assert time.monotonic() - started > variables["approval_heartbeat_seconds"] + 1
    assert execution.error == "ApprovalTimedOut", execution.describe()
    assert orders.order(order["order_id"])["failure_error"] == "States.Timeout"


def test_a_declined_card_cancels_the_order_without_retrying(orders, customer, shelf):
    # GIVEN a card the provider declines
    order = order_for(customer, shelf, token="tok_declined")

    # WHEN it is placed
    execution, before, after = place(orders, order)

    # THEN it ends in PaymentDeclined after one attempt; stock put back; nothing to refund
    assert_order_path(execution, "payment declined")
    assert execution.attempts("ChargePayment") == 1
    assert_cancelled(
        orders, order, execution, status="CANCELLED", reason="PaymentDeclined", refund="NOT_CHARGED", release="RELEASED"
    )
    assert orders.payment(order["order_id"])["status"] == "DECLINED"
    assert after == before
    assert_notified(orders, order, customer, "cancelled", says="because the payment was declined")


@pytest.mark.waits
def test_an_unavailable_payment_provider_fails_the_order_after_the_retries(orders, customer, shelf, variables):
    # GIVEN a card the provider never answers for (tok_unavailable)
    order = order_for(customer, shelf, token="tok_unavailable")

    # WHEN it is placed
    execution, before, after = place(orders, order)

    # THEN every retry is used, then the order fails; the refund finds nothing charged
    assert execution.attempts("ChargePayment") == 1 + variables["payment_max_attempts"]
    assert_order_path(execution, "payment unavailable")
    assert_cancelled(
        orders, order, execution, status="FAILED", reason="PaymentUnavailable", refund="NOT_CHARGED", release="RELEASED"
    )
    assert after == before
    assert_notified(orders, order, customer, "cancelled", says="the payment service is unavailable")


def confirm_write(stack, emulator) -> FaultRule:
    """A fault on exactly the ConfirmOrder state's write (its UpdateExpression, as deployed)."""
    definition = json.loads(
        emulator.client("stepfunctions").describe_state_machine(stateMachineArn=stack.order_state_machine_arn)[
            "definition"
        ]
    )
    expression = definition["States"]["ConfirmOrder"]["Arguments"]["UpdateExpression"]
    return FaultRule(
        service="dynamodb",
        operation="UpdateItem",
        error_code="InternalServerError",
        status=500,
        when={"TableName": stack.orders_table_name, "UpdateExpression": expression},
    )


def test_a_failure_after_the_charge_refunds_then_releases(orders, faults, stack, emulator, customer, shelf, variables):
    # GIVEN the order table refuses the confirmation write (every attempt)
    faults.add(confirm_write(stack, emulator))
    order = order_for(customer, shelf)

    # WHEN an order is placed
    execution, before, after = place(orders, order)

    # THEN the charge is compensated: refund first, then release, then the record and the notice
    path = execution.path
    assert_order_path(execution, "confirmation failed")
    assert path.index("RefundPayment") < path.index("ReleaseInventory")
    assert execution.attempts("ConfirmOrder") == 1 + variables["service_max_attempts"]
    record = assert_cancelled(
        orders, order, execution, status="FAILED", reason="OrderFailed", refund="REFUNDED", release="RELEASED"
    )
    assert record["failure_error"] == execution.task_errors("ConfirmOrder")[-1]
    payment = orders.payment(order["order_id"])
    assert payment["status"] == "REFUNDED" and payment["refund_id"] and payment["charge_id"]
    assert payment["refunded_at"] < record["completed_at"]
    assert after == before
    assert_notified(orders, order, customer, "cancelled", says="Your payment of USD 24.00 has been refunded.")


def test_a_refund_that_fails_ends_in_compensation_failed(orders, faults, stack, emulator, customer, shelf):
    # GIVEN the confirmation write fails, and so does the refund's write to the ledger
    faults.add(confirm_write(stack, emulator))
    faults.add(
        FaultRule(
            service="dynamodb",
            operation="UpdateItem",
            error_code="InternalServerError",
            status=500,
            when={"TableName": stack.payments_table_name, "ConditionExpression": "#status = :charged"},
        )
    )
    order = order_for(customer, shelf)

    # WHEN an order is placed
    execution, before, after = place(orders, order)

    # THEN the release still runs, the record says the refund failed, and an operator must act
    assert_order_path(execution, "confirmation and refund failed")
    assert execution.path.index(ORDER_REFUND_FAILED) < execution.path.index("ReleaseInventory")
    assert_cancelled(
        orders, order, execution, status="FAILED", reason="OrderFailed", refund="FAILED", release="RELEASED"
    )
    assert orders.payment(order["order_id"])["status"] == "CHARGED"
    assert after == before
    assert_notified(orders, order, customer, "cancelled", says="Any payment taken will be refunded.")


def test_a_fraud_suspect_is_cancelled_before_any_approval_or_charge(orders, approvals, customer, shelf, variables):
    # GIVEN an order above the fraud limit (and so above the approval threshold too)
    order = order_for(customer, shelf, amount_cents=variables["fraud_amount_limit_cents"] + 1)

    # WHEN it is placed
    execution, before, after = place(orders, order)

    # THEN the reservation made in parallel with the check is released; no approval is asked
    assert_order_path(execution, "fraud suspected")
    record = assert_cancelled(
        orders, order, execution, status="CANCELLED", reason="FraudSuspected", refund="NOT_CHARGED", release="RELEASED"
    )
    assert record["reservation_status"] == "RELEASED"
    assert approvals.requests(order["order_id"]) == []
    assert orders.payment(order["order_id"]) is None
    assert after == before
    assert_notified(orders, order, customer, "cancelled", says="we could not verify the payment")


def test_an_order_with_an_item_out_of_stock_takes_nothing(orders, customer, shelf):
    # GIVEN an order for one item in stock and one sold out
    order = order_for(
        customer, shelf, items=[{"sku": "SKU-MUG", "quantity": 1}, {"sku": "SKU-SOLD-OUT", "quantity": 1}]
    )

    # WHEN it is placed
    execution, before, after = place(orders, order)

    # THEN nothing was reserved at all (all or none), and it ends in OutOfStock
    assert_order_path(execution, "out of stock")
    record = assert_cancelled(
        orders, order, execution, status="CANCELLED", reason="OutOfStock", refund="NOT_CHARGED", release="NOT_RESERVED"
    )
    assert f"{shelf['SKU-SOLD-OUT']} (0 available, 1 wanted)" in execution.cause
    assert_readable_cause(execution)
    assert "reservation_status" not in record
    assert after == before
    assert_notified(orders, order, customer, "cancelled", says="some items are out of stock")


@pytest.mark.parametrize(
    "change,field",
    [
        ({"amount_cents": 0}, "amount_cents"),
        ({"customer": {"customer_id": "c-1"}}, "an email or a phone"),
        ({"items": [{"sku": "SKU-MUG", "quantity": 1.5}]}, "items[0].quantity"),
    ],
)
def test_an_invalid_order_is_rejected_before_anything_happens(orders, customer, shelf, change, field):
    order = {**order_for(customer, shelf), **change}

    execution = orders.run(order)

    assert execution.status == "FAILED", execution.describe()
    assert execution.error == "InvalidOrder"
    assert field in execution.cause
    assert_readable_cause(execution)
    assert execution.path == ORDER_INVALID
    assert orders.order(order["order_id"]) is None
    assert orders.observer.sms(customer["phone"]) == [] and orders.observer.emails(customer["email"]) == []
