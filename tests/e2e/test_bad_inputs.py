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

from tests.e2e.test_notification import request_for

pytestmark = pytest.mark.e2e

CATALOGUE = Path(__file__).resolve().parent.parent / "catalogue"
EXPECTATIONS = {"start_error", "error", "cause", "record"}


def load(name: str) -> list[dict]:
    entries = yaml.safe_load((CATALOGUE / name).read_text(encoding="utf-8"))["entries"]
    for entry in entries:
        assert set(entry) <= {"id", "why", "request", "raw", "name", "expect"}, entry["id"]
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


def ids(entries: list[dict]) -> list[str]:
    assert len({e["id"] for e in entries}) == len(entries), "catalogue ids must be unique"
    return [e["id"] for e in entries]


# Notifications ------------------------------------------------------------------------------

NOTIFICATION_CATALOGUE = load("notification_bad_inputs.yaml")


def test_the_notification_catalogue_is_broad_enough():
    assert len(NOTIFICATION_CATALOGUE) >= 25
    kinds = {next(iter(k for k in e["expect"] if k in ("start_error", "error"))) + ":" +
             (e["expect"].get("start_error") or e["expect"]["error"]) for e in NOTIFICATION_CATALOGUE}
    assert kinds >= {"start_error:InvalidExecutionInput", "start_error:InvalidName", "start_error:ValidationException",
                     "error:InvalidDeliveryMode", "error:InvalidRequest", "error:DeliveryFailed"}


@pytest.mark.parametrize("entry", NOTIFICATION_CATALOGUE, ids=ids(NOTIFICATION_CATALOGUE))
def test_a_malformed_notification_request_is_refused_and_nothing_is_sent(observer, recipient, entry):
    # GIVEN a malformed request from the catalogue
    placeholders = {"id": recipient["notification_id"], "phone": recipient["user_phone"],
                    "email": recipient["user_email"]}
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

    # AND nothing was sent, to the request's recipients or to the test's own
    request = json.loads(body) if "start_error" not in expect else {}
    request = request if isinstance(request, dict) else {}
    phones = {recipient["user_phone"]} | ({request["user_phone"]} if isinstance(request.get("user_phone"), str) else set())
    emails = {recipient["user_email"]} | ({request["user_email"]} if isinstance(request.get("user_email"), str) else set())
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
    request = request_for("dual", recipient, status="FAILED", sms="NOT_REQUESTED", channels={"sms": "x"},
                          TopicArn="arn:aws:sns:us-east-1:123456789012:elsewhere", execution_arn="forged",
                          priority="high")

    execution = observer.run(request)

    assert execution.output == {"notification_id": recipient["notification_id"], "status": "DELIVERED",
                                "delivery_mode": "dual", "sms": "SENT", "email": "SENT"}, execution.describe()
    record = observer.record(recipient["notification_id"])
    assert record["execution_arn"] == execution.arn
    assert not {"priority", "TopicArn", "channels", "sms"} & set(record)
    assert len(observer.sms(recipient["user_phone"])) == 1 and len(observer.emails(recipient["user_email"])) == 1
    assert observer.wait_for_outcome_event(recipient["notification_id"])["status"] == "DELIVERED"


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
