"""The anti-pattern baseline's handlers (lambdas/baseline/), without the emulator:
the coordinator against a stubbed Lambda client (what it invokes, and how), the
workers against moto's in-process mock (what they send, and that they let errors
through)."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import botocore.exceptions
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

SOURCE = Path(__file__).resolve().parents[2] / "lambdas" / "baseline"
REQUEST = {
    "delivery_mode": "dual",
    "message_content": "Your parcel has left.",
    "user_phone": "+14155550100",
    "user_email": "ada@example.com",
}
QUEUED = {"statusCode": 202, "body": json.dumps({"status": "Notification request queued"})}


# What Lambda's runtime gives a function, as far as its module-scope clients need it.
RUNTIME_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}


def baseline_module(name: str):
    """lambdas/baseline/<name>.py, loaded on its own, its clients made as in Lambda."""
    spec = importlib.util.spec_from_file_location(f"baseline_{name}", SOURCE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    previous = {key: os.environ.get(key) for key in RUNTIME_ENVIRONMENT}
    os.environ.update(RUNTIME_ENVIRONMENT)
    try:
        spec.loader.exec_module(module)
    finally:
        for key, value in previous.items():
            if value is None:
                del os.environ[key]
            else:
                os.environ[key] = value
    return module


coordinator = baseline_module("coordinator")
sms_sender = baseline_module("sms_sender")
email_dispatcher = baseline_module("email_dispatcher")


@pytest.fixture
def lambda_stub():
    """The coordinator's Lambda client, stubbed: each expected Invoke must happen, in order."""
    with Stubber(coordinator.aws_lambda) as stub:
        yield stub
        stub.assert_no_pending_responses()


def expect_event_invoke(stub: Stubber, function: str, payload: dict) -> None:
    stub.add_response(
        "invoke",
        {"StatusCode": 202},
        {"FunctionName": function, "InvocationType": "Event", "Payload": json.dumps(payload)},
    )


def api_event(body) -> dict:
    return {"body": body if isinstance(body, str) else json.dumps(body)}


# The coordinator ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mode,workers",
    [
        ("dual", ["sms-sender", "email-dispatcher"]),
        ("text", ["sms-sender"]),
        ("mail", ["email-dispatcher"]),
    ],
)
def test_each_mode_fires_its_hard_coded_workers_fire_and_forget(lambda_stub, mode, workers):
    request = {**REQUEST, "delivery_mode": mode}
    for worker in workers:
        expect_event_invoke(lambda_stub, worker, request)

    assert coordinator.handler(api_event(request), None) == QUEUED


def test_an_sns_event_carries_the_request_in_its_message(lambda_stub):
    expect_event_invoke(lambda_stub, "sms-sender", {**REQUEST, "delivery_mode": "text"})
    event = {
        "Records": [{"EventSource": "aws:sns", "Sns": {"Message": json.dumps({**REQUEST, "delivery_mode": "text"})}}]
    }

    assert coordinator.handler(event, None) == QUEUED


def test_a_worker_that_cannot_be_invoked_is_silently_ignored(lambda_stub):
    # The seed's `except ClientError: pass`: the caller hears "queued" although nothing was.
    lambda_stub.add_client_error("invoke", "ResourceNotFoundException", http_status_code=404)
    expect_event_invoke(lambda_stub, "email-dispatcher", REQUEST)

    assert coordinator.handler(api_event(REQUEST), None) == QUEUED


def test_the_coordinator_does_not_look_at_the_fields_its_workers_need(lambda_stub):
    # No validation: a request without a phone number is "queued", and the worker will fail on it.
    request = {"delivery_mode": "text", "message_content": "hi"}
    expect_event_invoke(lambda_stub, "sms-sender", request)

    assert coordinator.handler(api_event(request), None) == QUEUED


@pytest.mark.parametrize("body", [{"delivery_mode": "pigeon"}, {"message_content": "no mode"}, {}])
def test_an_unknown_or_missing_mode_is_refused_and_nothing_is_invoked(lambda_stub, body):
    answer = coordinator.handler(api_event(body), None)

    assert answer == {"statusCode": 400, "body": json.dumps({"error": "Unrecognized delivery mode"})}


@pytest.mark.parametrize("event", [api_event("{not json"), {"Records": [{"Sns": {}}]}])
def test_a_malformed_event_is_refused(lambda_stub, event):
    assert coordinator.handler(event, None) == {
        "statusCode": 400,
        "body": json.dumps({"error": "Malformed request payload"}),
    }


@pytest.mark.parametrize("event", [api_event("[1, 2]"), {"Records": []}], ids=["body-not-an-object", "no-records"])
def test_any_other_error_is_a_server_failure(lambda_stub, event):
    # Only JSONDecodeError and KeyError count as malformed: AttributeError, IndexError... are 500s.
    assert coordinator.handler(event, None) == {
        "statusCode": 500,
        "body": json.dumps({"error": "Server-side processing failure"}),
    }


def test_an_event_without_a_body_has_no_mode(lambda_stub):
    assert coordinator.handler({}, None)["statusCode"] == 400


# The workers ----------------------------------------------------------------------------------------


@pytest.fixture
def aws():
    """moto's in-process mock, shared with any embedded emulator in this process (no reset)."""
    mock = mock_aws()
    mock.start(reset=False)
    try:
        yield
    finally:
        mock.stop(remove_data=False)


def test_the_sms_sender_publishes_the_message_to_the_phone_number(aws):
    phone = "+14155550177"

    result = sms_sender.handler(REQUEST | {"user_phone": phone}, None)

    sent = sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages
    assert sent[result["MessageId"]] == (phone, REQUEST["message_content"])


def test_the_sms_sender_lets_an_error_through(aws):
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        sms_sender.handler(REQUEST | {"user_phone": "not-a-number"}, None)
    assert refused.value.response["Error"]["Code"] == "InvalidParameter"


def test_the_sms_sender_fails_on_a_request_without_a_phone(aws):
    with pytest.raises(KeyError):
        sms_sender.handler({"delivery_mode": "text", "message_content": "hi"}, None)


def test_the_email_dispatcher_sends_with_sesv2_from_its_sender(aws, monkeypatch):
    sender = "baseline-unit@example.com"
    email_dispatcher.sesv2.create_email_identity(EmailIdentity=sender)
    monkeypatch.setattr(email_dispatcher, "SENDER", sender)
    calls = []
    email_dispatcher.sesv2.meta.events.register(
        "provide-client-params.sesv2.*", lambda model, **_: calls.append(model.name)
    )

    result = email_dispatcher.handler(REQUEST | {"user_email": "grace@example.com"}, None)

    # The same API as the workflow's SendEmail state (aws-sdk:sesv2:sendEmail): one fault rule hits both.
    assert calls == ["SendEmail"]
    [message] = [m for m in ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages if m.id == result["MessageId"]]
    assert (message.source, message.destinations["ToAddresses"]) == (sender, ["grace@example.com"])
    assert (message.subject, message.body) == ("Your Requested Notification", REQUEST["message_content"])


def test_the_email_dispatcher_lets_an_error_through(aws, monkeypatch):
    monkeypatch.setattr(email_dispatcher, "SENDER", "never-verified@example.org")

    with pytest.raises(botocore.exceptions.ClientError) as refused:
        email_dispatcher.handler(REQUEST, None)
    assert refused.value.response["Error"]["Code"] == "MessageRejected"


def test_the_email_dispatcher_sends_from_the_seeds_address_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv("SENDER_EMAIL", raising=False)
    assert baseline_module("email_dispatcher").SENDER == "notifications@example.com"
    monkeypatch.setenv("SENDER_EMAIL", "alerts@example.org")
    assert baseline_module("email_dispatcher").SENDER == "alerts@example.org"


def test_every_baseline_module_says_it_is_not_to_be_deployed():
    for path in sorted(SOURCE.glob("*.py")) + [SOURCE / "README.md"]:
        assert "DO NOT DEPLOY" in path.read_text(), path
