"""Each correction in harness/fidelity.py holds: the emulator answers as AWS does
where the stack depends on it. A moto upgrade that breaks a patch fails here."""

from __future__ import annotations

import json
import re
import uuid

import botocore.exceptions
import pytest

from harness.observe import Observer


def run_machine(emulator, stack, definition: dict, request: dict | None = None):
    """Create a throwaway state machine and run it to the end."""
    sfn = emulator.client("stepfunctions")
    arn = sfn.create_state_machine(
        name=f"probe-{uuid.uuid4().hex[:8]}", definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/probe",
    )["stateMachineArn"]
    return Observer(stack).run(request or {}, state_machine_arn=arn)


def test_execution_start_time_is_an_iso_8601_string(emulator, stack):
    execution = run_machine(emulator, stack, {
        "StartAt": "Stamp",
        "States": {"Stamp": {"Type": "Pass", "Parameters": {"start.$": "$$.Execution.StartTime"}, "End": True}},
    })
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", execution.output["start"]), execution.output


def test_aws_sdk_errors_are_named_with_the_aws_service_prefix(emulator, stack):
    execution = run_machine(emulator, stack, {
        "StartAt": "Send",
        "States": {"Send": {
            "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sesv2:sendEmail", "TimeoutSeconds": 5,
            "Parameters": {
                "FromEmailAddress": "never-verified@example.org",
                "Destination": {"ToAddresses": ["someone@example.com"]},
                "Content": {"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}},
            },
            "End": True,
        }},
    })
    assert execution.status == "FAILED"
    assert execution.error == "SesV2.MessageRejectedException"


def test_publish_to_a_topic_and_a_phone_at_once_is_refused(emulator, stack):
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        emulator.client("sns").publish(TopicArn=stack.events_topic_arn, PhoneNumber="+14155550100", Message="x")
    assert refused.value.response["Error"]["Code"] == "InvalidParameter"


def test_publish_to_a_phone_still_works(emulator, stack):
    phone = "+14155559876"
    emulator.client("sns").publish(PhoneNumber=phone, Message="direct")
    assert [m["Message"] for m in Observer(stack).sms(phone)] == ["direct"]
