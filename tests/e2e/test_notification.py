"""End to end: every row of the README's outcome table, on a deployed stack.

Each test starts a real execution and asserts on what happened: the execution's
status and error, the states it passed through, what the emulator delivered,
the status record, and the outcome event.
"""

from __future__ import annotations

import calendar
import datetime
import re

import pytest

from harness.emulator.faults import FaultRule

# The expected state paths (tests/e2e/paths.py), under this file's short names.
from tests.e2e.paths import NOTIFICATION_BRANCHES as SENT_BRANCHES
from tests.e2e.paths import NOTIFICATION_DUPLICATE, NOTIFICATION_INVALID_MODE
from tests.e2e.paths import NOTIFICATION_OUTCOME as OUTCOME
from tests.e2e.paths import NOTIFICATION_RECORD as RECORD
from tests.e2e.paths import NOTIFICATION_REPORT as REPORT
from tests.e2e.paths import NOTIFICATION_VALIDATION as VALIDATION
from tests.e2e.paths import assert_notification_path as assert_path

pytestmark = pytest.mark.e2e

CHANNELS = {"text": {"sms"}, "mail": {"email"}, "dual": {"sms", "email"}}
# How AWS renders $$.Execution.StartTime and $$.State.EnteredTime, and so every timestamp of a record.
AWS_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def request_for(mode: str, recipient: dict, **extra) -> dict:
    request = {
        "notification_id": recipient["notification_id"],
        "delivery_mode": mode,
        "message_content": f"Your order {recipient['notification_id']} has shipped",
    }
    if "sms" in CHANNELS[mode]:
        request["user_phone"] = recipient["user_phone"]
    if "email" in CHANNELS[mode]:
        request["user_email"] = recipient["user_email"]
    request.update(extra)
    return request


def assert_nothing_sent(observer, recipient: dict) -> None:
    assert observer.sms(recipient["user_phone"]) == []
    assert observer.emails(recipient["user_email"]) == []


@pytest.mark.parametrize("mode", ["text", "mail", "dual"])
def test_every_requested_channel_is_delivered(observer, recipient, variables, mode):
    # GIVEN a valid request for the mode
    request = request_for(mode, recipient, subject="Shipping update")

    # WHEN it runs
    execution = observer.run(request)

    # THEN it succeeds through the mode's path
    assert execution.status == "SUCCEEDED", execution.describe()
    assert_path(
        execution,
        before=VALIDATION[mode] + RECORD,
        branches=SENT_BRANCHES[mode],
        after=OUTCOME["DELIVERED"],
    )
    expected = {
        "sms": "SENT" if "sms" in CHANNELS[mode] else "NOT_REQUESTED",
        "email": "SENT" if "email" in CHANNELS[mode] else "NOT_REQUESTED",
    }
    assert execution.output == {
        "notification_id": recipient["notification_id"],
        "status": "DELIVERED",
        "delivery_mode": mode,
        **expected,
    }
    failed_calls = {state: execution.task_errors(state) for state in ["RecordRequest", "SendSms", "SendEmail", *REPORT]}
    assert not any(failed_calls.values()), failed_calls

    # AND exactly the requested messages were delivered, once each
    sms = observer.sms(recipient["user_phone"])
    emails = observer.emails(recipient["user_email"])
    assert [m["Message"] for m in sms] == ([request["message_content"]] if "sms" in CHANNELS[mode] else [])
    if "email" in CHANNELS[mode]:
        assert len(emails) == 1
        assert emails[0]["Source"] == variables["sender_email"]
        assert emails[0]["Subject"] == "Shipping update"
        assert observer.email_text(emails[0]) == request["message_content"]
    else:
        assert emails == []

    # AND the record holds the outcome, timestamps and the TTL
    record = observer.record(recipient["notification_id"])
    assert record["status"] == "DELIVERED"
    assert record["delivery_mode"] == mode
    assert {record["sms_status"], record["email_status"]} <= {"SENT", "NOT_REQUESTED"}
    assert record["sms_status"] == expected["sms"] and record["email_status"] == expected["email"]
    assert record["execution_arn"] == execution.arn
    assert record["created_at"] and record["completed_at"]
    stamps = {field: record[field] for field in ("created_at", "updated_at", "completed_at")}
    assert all(AWS_TIMESTAMP.fullmatch(stamp) for stamp in stamps.values()), stamps  # one format, AWS's
    created = datetime.datetime.fromisoformat(record["created_at"].replace("Z", "+00:00"))
    midnight = calendar.timegm(created.date().timetuple())
    assert record["expires_at"] == midnight + variables["record_ttl_days"] * 86400

    # AND one outcome event was published
    event = observer.wait_for_outcome_event(recipient["notification_id"])
    assert event["status"] == "DELIVERED" and event["delivery_mode"] == mode


def test_a_request_without_subject_gets_the_default_subject(observer, recipient, variables):
    execution = observer.run(request_for("mail", recipient))

    assert execution.status == "SUCCEEDED", execution.describe()
    [email] = observer.emails(recipient["user_email"])
    assert email["Subject"] == variables["default_email_subject"]


def test_notification_id_defaults_to_the_execution_name(observer, recipient):
    request = request_for("text", recipient)
    del request["notification_id"]

    execution = observer.run(request, name=recipient["notification_id"])

    assert execution.status == "SUCCEEDED", execution.describe()
    assert execution.output["notification_id"] == recipient["notification_id"]
    assert observer.record(recipient["notification_id"])["status"] == "DELIVERED"


# A channel fails: the SMS one through the emulator's own E.164 check (ASL cannot
# check digits, SNS does), the email one through an injected SES rejection.
FAILURES = {
    "sms": {"user_phone": "+1-415-555-0100"},
    "email": {},
}


def to(address: str) -> dict:
    """A rule's `when` for the emails to one address: other tests' emails go through."""
    return {"Destination": {"ToAddresses": [address]}}


def ses_rejects(address: str) -> FaultRule:
    return FaultRule(service="sesv2", operation="SendEmail", error_code="MessageRejected", when=to(address))


@pytest.mark.parametrize("failing", ["sms", "email"])
def test_dual_with_one_failed_channel_is_partially_delivered(observer, recipient, faults, failing):
    # GIVEN a dual request whose `failing` channel will be refused
    if failing == "email":
        faults.add(ses_rejects(recipient["user_email"]))
    request = request_for("dual", recipient, **FAILURES[failing])

    # WHEN it runs
    execution = observer.run(request)

    # THEN it succeeds, the other channel delivered and the failed one recorded
    working = "email" if failing == "sms" else "sms"
    assert execution.status == "SUCCEEDED", execution.describe()
    assert execution.output["status"] == "PARTIALLY_DELIVERED"
    assert execution.output[failing] == "FAILED" and execution.output[working] == "SENT"
    mark_failed = "MarkSmsFailed" if failing == "sms" else "MarkEmailFailed"
    assert_path(
        execution,
        before=VALIDATION["dual"] + RECORD,
        branches=SENT_BRANCHES["dual"] | {mark_failed},
        after=OUTCOME["PARTIALLY_DELIVERED"],
    )
    send_state = "SendSms" if failing == "sms" else "SendEmail"
    assert execution.attempts(send_state) == 1, "a permanent error must not be retried"

    record = observer.record(recipient["notification_id"])
    assert record["status"] == "PARTIALLY_DELIVERED"
    assert record[f"{failing}_status"] == "FAILED" and record[f"{working}_status"] == "SENT"
    assert record[f"{failing}_detail"] in {"SNS.InvalidParameterException", "SesV2.MessageRejectedException"}
    if failing == "sms":
        assert observer.sms(request["user_phone"]) == []
        assert len(observer.emails(recipient["user_email"])) == 1
    else:
        assert observer.emails(recipient["user_email"]) == []
        assert len(observer.sms(recipient["user_phone"])) == 1
    assert observer.wait_for_outcome_event(recipient["notification_id"])["status"] == "PARTIALLY_DELIVERED"


@pytest.mark.parametrize("mode", ["text", "mail", "dual"])
def test_nothing_delivered_fails_with_delivery_failed(observer, recipient, faults, mode):
    # GIVEN every requested channel refuses the message
    faults.add(ses_rejects(recipient["user_email"]))
    request = request_for(mode, recipient, **({"user_phone": "+1-415-555-0100"} if "sms" in CHANNELS[mode] else {}))

    # WHEN it runs
    execution = observer.run(request)

    # THEN the execution fails with DeliveryFailed, after recording and announcing it
    assert execution.status == "FAILED", execution.describe()
    assert execution.error == "DeliveryFailed"
    assert execution.path[-len(OUTCOME["FAILED"]) :] == OUTCOME["FAILED"]
    record = observer.record(recipient["notification_id"])
    assert record["status"] == "FAILED"
    for channel in CHANNELS[mode]:
        assert record[f"{channel}_status"] == "FAILED"
    assert observer.sms(request.get("user_phone", recipient["user_phone"])) == []
    assert observer.emails(recipient["user_email"]) == []
    assert observer.wait_for_outcome_event(recipient["notification_id"])["status"] == "FAILED"


@pytest.mark.parametrize(
    "mode_field",
    [
        pytest.param({}, id="missing"),
        pytest.param({"delivery_mode": "fax"}, id="unknown"),
        pytest.param({"delivery_mode": "TEXT"}, id="wrong-case"),
        pytest.param({"delivery_mode": ""}, id="empty"),
        pytest.param({"delivery_mode": 1}, id="number"),
        pytest.param({"delivery_mode": None}, id="null"),
    ],
)
def test_unknown_or_missing_mode_fails_with_invalid_delivery_mode(observer, recipient, mode_field):
    request = {
        "notification_id": recipient["notification_id"],
        "message_content": "hello",
        "user_phone": recipient["user_phone"],
        "user_email": recipient["user_email"],
        **mode_field,
    }

    execution = observer.run(request)

    assert execution.status == "FAILED", execution.describe()
    assert execution.error == "InvalidDeliveryMode"
    assert execution.path == NOTIFICATION_INVALID_MODE
    assert observer.record(recipient["notification_id"]) is None
    assert_nothing_sent(observer, recipient)


INVALID_REQUESTS = [
    ("text", {"message_content": None}, "message_content"),
    ("text", {"message_content": ""}, "message_content"),
    ("mail", {"message_content": 42}, "message_content"),
    ("text", {"user_phone": None}, "user_phone"),
    ("dual", {"user_phone": "14155550100"}, "user_phone"),
    ("text", {"user_phone": "+"}, "user_phone"),
    ("text", {"user_phone": "+1 415 555 0100"}, "user_phone"),
    ("text", {"user_phone": 14155550100}, "user_phone"),
    ("mail", {"user_email": None}, "user_email"),
    ("mail", {"user_email": "user.example.com"}, "user_email"),
    ("dual", {"user_email": "user@"}, "user_email"),
    ("mail", {"user_email": "@example.com"}, "user_email"),
    ("mail", {"user_email": "user@localhost"}, "user_email"),
    ("mail", {"notification_id": ""}, "notification_id"),
    ("text", {"notification_id": 7}, "notification_id"),
    ("mail", {"subject": ""}, "subject"),
    ("mail", {"subject": ["a"]}, "subject"),
]


@pytest.mark.parametrize(
    "mode,change,field", INVALID_REQUESTS, ids=[f"{m}-{f}={c[f]!r}" for m, c, f in INVALID_REQUESTS]
)
def test_a_missing_or_misshaped_field_fails_with_invalid_request(observer, recipient, mode, change, field):
    request = request_for(mode, recipient)
    for key, value in change.items():
        if value is None:
            request.pop(key, None)
        else:
            request[key] = value

    execution = observer.run(request)

    assert execution.status == "FAILED", execution.describe()
    assert execution.error == "InvalidRequest"
    assert field in execution.cause
    assert "RecordRequest" not in execution.path
    assert observer.record(recipient["notification_id"]) is None
    assert_nothing_sent(observer, recipient)


def test_a_repeated_notification_id_sends_nothing_more(observer, recipient):
    # GIVEN a delivered notification
    first = observer.run(request_for("dual", recipient))
    assert first.output["status"] == "DELIVERED", first.describe()
    record_before = observer.record(recipient["notification_id"])

    # WHEN the same notification_id comes again, under another execution name
    again = observer.run(request_for("dual", recipient, message_content="a second copy"))

    # THEN it succeeds as a duplicate, sends nothing and leaves the record alone
    assert again.status == "SUCCEEDED", again.describe()
    assert again.output == {"notification_id": recipient["notification_id"], "status": "DUPLICATE"}
    assert again.path[-2:] == NOTIFICATION_DUPLICATE
    assert len(observer.sms(recipient["user_phone"])) == 1
    assert len(observer.emails(recipient["user_email"])) == 1
    assert observer.record(recipient["notification_id"]) == record_before


@pytest.mark.parametrize(
    "channel,rule,state",
    [
        (
            "sms",
            lambda recipient: dict(
                service="sns",
                operation="Publish",
                error_code="Throttled",
                when={"PhoneNumber": recipient["user_phone"]},
            ),
            "SendSms",
        ),
        (
            "email",
            lambda recipient: dict(
                service="sesv2",
                operation="SendEmail",
                error_code="TooManyRequestsException",
                status=429,
                when=to(recipient["user_email"]),
            ),
            "SendEmail",
        ),
    ],
    ids=["sms", "email"],
)
def test_a_transient_failure_is_retried_then_delivered(observer, recipient, faults, variables, channel, rule, state):
    # GIVEN the channel's service fails once with a throttling error
    faults.add(FaultRule(**rule(recipient), times=1))

    # WHEN a dual request runs
    execution = observer.run(request_for("dual", recipient))

    # THEN the history shows the retry, and the message went out once
    assert execution.output["status"] == "DELIVERED", execution.describe()
    assert execution.attempts(state) == 2
    assert len(execution.task_errors(state)) == 1
    assert len(observer.sms(recipient["user_phone"])) == 1
    assert len(observer.emails(recipient["user_email"])) == 1
