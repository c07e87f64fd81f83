"""The bad-input catalogues (tests/catalogue/*.yaml): every malformed request ends
in its expected error, and nothing was sent or recorded.

The catalogues are data, so a reviewer reads what is refused, and why, in one
place; docs/testing.md says how to extend them.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest
import yaml

from harness.observe.order_saga import OrderObserver, seed_stock
from tests.e2e.paths import ORDER_INVALID, assert_readable_cause
from tests.e2e.test_notification import request_for

pytestmark = pytest.mark.e2e

CATALOGUE = Path(__file__).resolve().parent.parent / "catalogue"
EXPECTATIONS = {"start_error", "error", "cause", "record"}


def load(name: str) -> list[dict]:
    entries = yaml.safe_load((CATALOGUE / name).read_text(encoding="utf-8"))["entries"]
    for entry in entries:
        assert set(entry) <= {"id", "why", "request", "raw", "name", "expect", "aws_check"}, entry["id"]
        assert ("request" in entry) != ("raw" in entry), f"{entry['id']}: give request or raw"
        assert set(entry["expect"]) <= EXPECTATIONS, entry["id"]
        assert ("start_error" in entry["expect"]) != ("error" in entry["expect"]), entry["id"]
        assert entry["why"].strip(), entry["id"]
    return entries


def expand(value: Any, placeholders: dict[str, str]) -> Any:
    """Fill "{phone}"-style placeholders and {"$repeat": [text, n]} in a catalogue value."""
    if isinstance(value, dict):
        if set(value) == {"$repeat"}:
            text, times = value["$repeat"]
            return text * times
        return {key: expand(item, placeholders) for key, item in value.items()}
    if isinstance(value, list):
        return [expand(item, placeholders) for item in value]
    if isinstance(value, str):
        for token, replacement in placeholders.items():
            value = value.replace("{" + token + "}", replacement)
    return value


def input_text(entry: dict, placeholders: dict[str, str]) -> str:
    """StartExecution's input as a client sends it: UTF-8 JSON, or the raw text."""
    if "raw" in entry:
        return expand(entry["raw"], placeholders)
    return json.dumps(expand(entry["request"], placeholders), ensure_ascii=False)


def start_error(call) -> str | None:
    try:
        call()
    except botocore.exceptions.ClientError as error:
        return error.response["Error"]["Code"]
    return None


def skip_unchecked_on(backend: str, entry: dict) -> None:
    if backend == "localstack" and entry.get("aws_check"):
        pytest.skip(f"{entry['id']} rests on a check LocalStack may not make: {entry['aws_check']}")


def ids(entries: list[dict]) -> list[str]:
    assert len({e["id"] for e in entries}) == len(entries), "catalogue ids must be unique"
    return [e["id"] for e in entries]


# Notifications ------------------------------------------------------------------------------

NOTIFICATION_CATALOGUE = load("notification_bad_inputs.yaml")


def test_the_notification_catalogue_is_broad_enough():
    assert len(NOTIFICATION_CATALOGUE) >= 25
    kinds = {
        next(iter(k for k in e["expect"] if k in ("start_error", "error")))
        + ":"
        + (e["expect"].get("start_error") or e["expect"]["error"])
        for e in NOTIFICATION_CATALOGUE
    }
    assert kinds >= {
        "start_error:InvalidExecutionInput",
        "start_error:InvalidName",
        "start_error:ValidationException",
        "error:InvalidDeliveryMode",
        "error:InvalidRequest",
        "error:DeliveryFailed",
    }


@pytest.mark.parametrize("entry", NOTIFICATION_CATALOGUE, ids=ids(NOTIFICATION_CATALOGUE))
def test_a_malformed_notification_request_is_refused_and_nothing_is_sent(observer, recipient, backend, entry):
    skip_unchecked_on(backend, entry)
    # GIVEN a malformed request from the catalogue
    placeholders = {
        "id": recipient["notification_id"],
        "phone": recipient["user_phone"],
        "email": recipient["user_email"],
    }
    body = input_text(entry, placeholders)
    name = expand(entry.get("name"), placeholders) or f"bad-{uuid.uuid4()}"
    expect = entry["expect"]

    # WHEN it is started
    arns: list[str] = []
    refused = start_error(lambda: arns.append(observer.start(body, name=name)))

    # THEN it ends in the expected error
    if "start_error" in expect:
        assert refused == expect["start_error"], f"{entry['id']}: {entry['why']}"
    else:
        assert refused is None, f"{entry['id']}: StartExecution refused it with {refused}"
        execution = observer.wait(arns[0])
        assert (execution.status, execution.error) == ("FAILED", expect["error"]), execution.describe()
        if "cause" in expect:
            assert expect["cause"] in execution.cause, execution.cause
        assert_readable_cause(execution)

    # AND nothing was sent, to the request's recipients or to the test's own
    request = json.loads(body) if "start_error" not in expect else {}
    request = request if isinstance(request, dict) else {}
    phones = {recipient["user_phone"]} | (
        {request["user_phone"]} if isinstance(request.get("user_phone"), str) else set()
    )
    emails = {recipient["user_email"]} | (
        {request["user_email"]} if isinstance(request.get("user_email"), str) else set()
    )
    assert [m for phone in phones for m in observer.sms(phone)] == []
    assert [m for email in emails for m in observer.emails(email)] == []

    # AND nothing was recorded, unless a service refused it after the request was recorded
    notification_id = request.get("notification_id")
    key = notification_id if isinstance(notification_id, str) and notification_id else name
    record = observer.record(key) if key else None
    if "record" in expect:
        assert record is not None, f"{entry['id']}: expected a record"
        assert {field: record.get(field) for field in expect["record"]} == expect["record"]
    else:
        assert record is None, record
        assert observer.record(recipient["notification_id"]) is None


def test_extra_fields_are_ignored(observer, recipient):
    """The contract: fields the workflow does not know are ignored, not echoed or stored."""
    request = request_for(
        "dual",
        recipient,
        status="FAILED",
        sms="NOT_REQUESTED",
        channels={"sms": "x"},
        TopicArn="arn:aws:sns:us-east-1:123456789012:elsewhere",
        execution_arn="forged",
        priority="high",
    )

    execution = observer.run(request)

    assert execution.output == {
        "notification_id": recipient["notification_id"],
        "status": "DELIVERED",
        "delivery_mode": "dual",
        "sms": "SENT",
        "email": "SENT",
    }, execution.describe()
    record = observer.record(recipient["notification_id"])
    assert record["execution_arn"] == execution.arn
    assert not {"priority", "TopicArn", "channels", "sms"} & set(record)
    assert len(observer.sms(recipient["user_phone"])) == 1 and len(observer.emails(recipient["user_email"])) == 1
    assert observer.wait_for_outcome_event(recipient["notification_id"])["status"] == "DELIVERED"


@pytest.mark.backends(
    "embedded", "aws", reason="SNS's 1,600-character SMS limit is moto's check; LocalStack's is unverified"
)
def test_a_message_too_long_for_sms_still_goes_out_by_email(observer, recipient):
    """SNS refuses over 1,600 characters; in dual the email channel is unaffected."""
    request = request_for("dual", recipient, message_content="x" * 1601)

    execution = observer.run(request)

    assert execution.output["status"] == "PARTIALLY_DELIVERED", execution.describe()
    assert execution.attempts("SendSms") == 1
    assert observer.record(recipient["notification_id"])["sms_detail"] == "SNS.InvalidParameterException"
    assert observer.sms(recipient["user_phone"]) == []
    [email] = observer.emails(recipient["user_email"])
    assert observer.email_text(email) == "x" * 1601


def test_a_message_of_exactly_1600_characters_is_sent_by_sms(observer, recipient):
    execution = observer.run(request_for("text", recipient, message_content="y" * 1600))

    assert execution.output["status"] == "DELIVERED", execution.describe()
    assert [m["Message"] for m in observer.sms(recipient["user_phone"])] == ["y" * 1600]


# Orders -------------------------------------------------------------------------------------

ORDER_CATALOGUE = load("order_bad_inputs.yaml")


@pytest.fixture(scope="module")
def orders(observer) -> OrderObserver:
    # The test catalogue's stock (Terraform leaves stock to the business; test_order.py seeds it too).
    seed_stock(observer.dynamodb, observer.outputs.stock_table_name)
    return OrderObserver(observer)


def test_the_order_catalogue_is_broad_enough():
    assert len(ORDER_CATALOGUE) >= 25
    assert {e["expect"].get("start_error") or e["expect"]["error"] for e in ORDER_CATALOGUE} >= {
        "InvalidExecutionInput",
        "InvalidName",
        "ValidationException",
        "InvalidOrder",
    }


def execution_exists(observer, state_machine_arn: str, name: str) -> bool:
    arn = state_machine_arn.replace(":stateMachine:", ":execution:") + f":{name}"
    return start_error(lambda: observer.sfn.describe_execution(executionArn=arn)) is None


@pytest.mark.parametrize("entry", ORDER_CATALOGUE, ids=ids(ORDER_CATALOGUE))
def test_a_malformed_order_is_refused_and_nothing_happens(orders, observer, recipient, backend, entry):
    skip_unchecked_on(backend, entry)
    # GIVEN a malformed order from the catalogue
    order_id = f"o-{uuid.uuid4().hex[:16]}"
    placeholders = {"id": order_id, "phone": recipient["user_phone"], "email": recipient["user_email"]}
    body = input_text(entry, placeholders)
    name = expand(entry.get("name"), placeholders) or f"bad-order-{uuid.uuid4()}"
    expect = entry["expect"]
    stock_before = orders.stock("SKU-MUG", "SKU-POSTER")

    # WHEN it is started
    arns: list[str] = []
    refused = start_error(
        lambda: arns.append(
            orders.observer.start(body, name=name, state_machine_arn=orders.outputs.order_state_machine_arn)
        )
    )

    # THEN it ends in the expected error, at the first state
    if "start_error" in expect:
        assert refused == expect["start_error"], f"{entry['id']}: {entry['why']}"
    else:
        assert refused is None, f"{entry['id']}: StartExecution refused it with {refused}"
        execution = observer.wait(arns[0])
        assert (execution.status, execution.error) == ("FAILED", expect["error"]), execution.describe()
        assert execution.path == ORDER_INVALID, execution.describe()
        if "cause" in expect:
            assert expect["cause"] in execution.cause, execution.cause
        assert_readable_cause(execution)

    # AND nothing happened: no record, no payment, no stock taken, no notice started or sent
    request = json.loads(body) if "start_error" not in expect else {}
    ids_to_check = {order_id} | (
        {request["order_id"]}
        if isinstance(request, dict) and isinstance(request.get("order_id"), str) and request["order_id"]
        else set()
    )
    for checked in ids_to_check:
        assert orders.order(checked) is None
        assert orders.payment(checked) is None
        for outcome in ("confirmed", "cancelled"):
            assert not execution_exists(
                observer, orders.outputs.notification_state_machine_arn, f"order-{checked}-{outcome}"
            )
    assert orders.stock("SKU-MUG", "SKU-POSTER") == stock_before
    assert observer.sms(recipient["user_phone"]) == [] and observer.emails(recipient["user_email"]) == []


def test_extra_order_fields_are_dropped(orders, observer, recipient):
    """ValidateOrder returns the order normalised: forged fields reach nothing downstream."""
    order = {
        "order_id": f"o-{uuid.uuid4().hex[:16]}",
        "customer": {"customer_id": "c-extra", "email": recipient["user_email"]},
        "items": [{"sku": "SKU-MUG", "quantity": 1}],
        "amount_cents": 1200,
        "currency": "USD",
        "payment_token": "tok_success",
        "status": "CANCELLED",
        "charge_id": "ch_forged",
        "contact": {"delivery_mode": "text", "user_phone": "+14155550100"},
    }

    execution = orders.run(order)

    assert execution.output["status"] == "CONFIRMED", execution.describe()
    assert execution.output["charge_id"] != "ch_forged"
    record = orders.order(order["order_id"])
    assert record["status"] == "CONFIRMED" and record["charge_id"] == orders.payment(order["order_id"])["charge_id"]
    assert record["delivery_mode"] == "mail"  # from the customer's contact fields, not the injected ones
    assert len(observer.emails(recipient["user_email"])) == 1 and observer.sms("+14155550100") == []
