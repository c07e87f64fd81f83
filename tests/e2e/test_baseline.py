"""End to end: the anti-pattern baseline (lambdas/baseline/, seed 000's coordinator)
next to the notification workflow, on the same emulator, under the same fault.

The coordinator runs with its workers in local processes (harness/emulator/lambda_seam.py),
and Lambda's asynchronous retries are emulated (harness/emulator/fidelity.py,
async_invocations_retry_function_errors): when the coordinator has answered,
its workers have finished, so nothing here waits for them.
"""

from __future__ import annotations

import pytest

from harness.deploy.baseline import deploy_baseline
from harness.emulator.faults import FaultRule

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.backends("embedded", reason="the baseline is deployed to the embedded emulator only"),
]

QUEUED = 202


@pytest.fixture(scope="module")
def baseline(emulator, stack):
    return deploy_baseline(emulator, sender_email=stack.sender_email)


@pytest.fixture
def email_outage(faults) -> FaultRule:
    """SES refuses every email, for both designs: the same API, the same rule."""
    return faults.add(FaultRule(service="sesv2", operation="SendEmail", error_code="MessageRejected"))


def dual_request(recipient: dict) -> dict:
    return {
        "delivery_mode": "dual",
        "message_content": "Your parcel has left.",
        "user_phone": recipient["user_phone"],
        "user_email": recipient["user_email"],
    }


def records_mentioning(observer, address: str) -> list[dict]:
    scan = observer.dynamodb.scan(TableName=observer.outputs.status_table_name, ConsistentRead=True)
    return [item for item in scan["Items"] if address in str(item)]


def test_the_coordinator_has_delivered_when_it_answers(baseline, observer, recipient):
    answer = baseline.invoke(dual_request(recipient))

    assert answer["statusCode"] == QUEUED
    # Read at once, no polling: the Event invocations ran inside the coordinator's call.
    assert len(observer.sms(recipient["user_phone"])) == 1
    assert len(observer.emails(recipient["user_email"])) == 1


def test_the_coordinator_reads_the_sns_event_shape_too(baseline, observer, recipient):
    request = dual_request(recipient) | {"delivery_mode": "text"}

    assert baseline.invoke(request, via="sns")["statusCode"] == QUEUED
    assert len(observer.sms(recipient["user_phone"])) == 1


def test_an_email_outage_is_lost_silently_by_the_coordinator(baseline, observer, recipient, email_outage):
    # WHEN the coordinator is asked for SMS and email while SES refuses every email
    answer = baseline.invoke(dual_request(recipient))

    # THEN it still answers "queued"
    assert answer["statusCode"] == QUEUED
    assert "queued" in answer["body"]
    # the SMS went, the email never did, although it was sent three times: Lambda
    # retried the failed event twice, blind to the error being permanent
    assert len(observer.sms(recipient["user_phone"])) == 1
    assert observer.emails(recipient["user_email"]) == []
    assert email_outage.hits == 3
    # and nothing records it (on AWS, the only trace is an error line in the worker's log group)
    assert records_mentioning(observer, recipient["user_email"]) == []


def test_the_same_outage_is_recorded_by_the_workflow(observer, recipient, email_outage):
    # WHEN the workflow is asked for the same, under the same fault
    execution = observer.run({**dual_request(recipient), "notification_id": recipient["notification_id"]})

    # THEN the SMS is delivered, the email failure is recorded for this request, once, not retried
    assert execution.status == "SUCCEEDED", execution.describe()
    assert execution.output["status"] == "PARTIALLY_DELIVERED"
    assert len(observer.sms(recipient["user_phone"])) == 1
    assert observer.emails(recipient["user_email"]) == []
    assert email_outage.hits == 1
    record = observer.record(recipient["notification_id"])
    assert (record["status"], record["sms_status"], record["email_status"]) == ("PARTIALLY_DELIVERED", "SENT", "FAILED")
    assert record["email_detail"] == "SesV2.MessageRejectedException"


def test_an_email_only_request_in_the_outage(baseline, observer, recipient, email_outage):
    request = {
        "delivery_mode": "mail",
        "message_content": "Your invoice is ready.",
        "user_email": recipient["user_email"],
    }

    # The coordinator: "queued", nothing sent, nothing recorded.
    assert baseline.invoke(request)["statusCode"] == QUEUED
    assert observer.emails(recipient["user_email"]) == []
    assert records_mentioning(observer, recipient["user_email"]) == []

    # The workflow: the execution fails with DeliveryFailed and the record says FAILED.
    execution = observer.run({**request, "notification_id": recipient["notification_id"]})
    assert (execution.status, execution.error) == ("FAILED", "DeliveryFailed"), execution.describe()
    assert observer.record(recipient["notification_id"])["status"] == "FAILED"
