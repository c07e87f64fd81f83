"""Fault injection answers real clients with real AWS errors, per protocol."""

from __future__ import annotations

import time
import uuid

import botocore.exceptions
import pytest
import requests

from harness.emulator.faults import FaultRule, OwnRules, RemoteFaultInjector, rules_from_json
from tests.support import order_functions


def error_code(call) -> str:
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"]


@pytest.mark.parametrize(
    "service,operation,call",
    [
        ("sns", "Publish", lambda c, s: c.publish(PhoneNumber="+14155550111", Message="x")),  # query
        (
            "dynamodb",
            "PutItem",
            lambda c, s: c.put_item(
                TableName=s.status_table_name,  # json
                Item={"notification_id": {"S": str(uuid.uuid4())}},
            ),
        ),
        (
            "sesv2",
            "SendEmail",
            lambda c, s: c.send_email(  # rest-json
                FromEmailAddress=s.sender_email,
                Destination={"ToAddresses": ["a@example.com"]},
                Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}},
            ),
        ),
        (
            "cloudwatch",
            "PutMetricData",
            lambda c, s: c.put_metric_data(  # cbor
                Namespace="Probe", MetricData=[{"MetricName": "m", "Value": 1}]
            ),
        ),
    ],
)
def test_a_rule_fails_the_named_operation_then_lets_it_through(emulator, stack, faults, service, operation, call):
    client = emulator.client(service)
    faults.add(FaultRule(service=service, operation=operation, error_code="ThrottlingException", status=400, times=2))

    assert error_code(lambda: call(client, stack)) == "ThrottlingException"
    assert error_code(lambda: call(client, stack)) == "ThrottlingException"
    call(client, stack)  # the third call is not affected
    assert faults.rules()[0]["hits"] == 2


def test_a_rule_can_require_a_parameter(emulator, stack, faults):
    sns = emulator.client("sns")
    faults.add(FaultRule(service="sns", operation="Publish", error_code="Throttled", when={"PhoneNumber": None}))

    sns.publish(TopicArn=stack.events_topic_arn, Message="{}")  # topic publish passes
    assert error_code(lambda: sns.publish(PhoneNumber="+14155550112", Message="x")) == "Throttled"


def test_rules_are_managed_over_http(emulator, stack, faults):
    url = f"{emulator.endpoint_url}/_harness/faults"
    rule = {"service": "sns", "operation": "Publish", "error_code": "InternalError", "status": 500, "times": 1}

    assert requests.post(url, json=rule, timeout=5).json()["rules"][0]["error_code"] == "InternalError"
    assert (
        error_code(lambda: emulator.client("sns").publish(PhoneNumber="+14155550113", Message="x")) == "InternalError"
    )
    assert requests.get(url, timeout=5).json()["rules"][0]["hits"] == 1
    assert requests.delete(url, timeout=5).json() == {"rules": []}


def test_each_view_removes_only_the_rules_added_through_it(emulator, stack):
    # GIVEN two tests' views of the rules served over HTTP, each with a rule of its own
    served = RemoteFaultInjector(emulator.endpoint_url)
    first, second = OwnRules(served), OwnRules(served)
    first.add(FaultRule(service="sns", operation="Publish", error_code="InternalError", status=500))
    kept = second.add(FaultRule(service="sesv2", operation="SendEmail", error_code="MessageRejected"))
    try:
        # WHEN the first test ends
        first.clear()

        # THEN its rule is gone (DELETE ?id=N), and the second test's still fires
        emulator.client("sns").publish(PhoneNumber="+14155550115", Message="x")
        assert [rule["id"] for rule in served.rules()] == [kept.id]
        assert [rule["id"] for rule in second.rules()] == [kept.id] and first.rules() == []
    finally:
        served.clear()


def test_a_nested_parameter_matches_as_a_whole_value(emulator, stack, faults):
    sesv2 = emulator.client("sesv2")
    faults.add(
        FaultRule(
            service="sesv2",
            operation="SendEmail",
            error_code="MessageRejected",
            when={"Destination": {"ToAddresses": ["refused@example.com"]}},
        )
    )

    def send(address: str):
        return lambda: sesv2.send_email(
            FromEmailAddress=stack.sender_email,
            Destination={"ToAddresses": [address]},
            Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}},
        )

    send("accepted@example.com")()
    assert error_code(send("refused@example.com")) == "MessageRejected"


@pytest.mark.parametrize(
    "bad",
    [
        {"service": "sns", "operation": "Publsh", "error_code": "X"},
        {"service": "s3", "operation": "PutObject", "error_code": "X"},
        {"service": "sns", "operation": "Publish", "error_code": "X", "times": 0},
        {"service": "sns", "operation": "Publish", "error_code": "X", "colour": "red"},
    ],
)
def test_malformed_rules_are_refused(bad):
    with pytest.raises((ValueError, TypeError)):
        rules_from_json([bad])


def test_a_delay_rule_slows_the_call_then_lets_it_through(emulator, stack, faults):
    sns = emulator.client("sns")
    faults.add(FaultRule(service="sns", operation="Publish", delay_seconds=0.3, times=1, when={"PhoneNumber": None}))

    started = time.monotonic()
    sns.publish(PhoneNumber="+14155550114", Message="slow")
    assert time.monotonic() - started >= 0.3
    assert faults.rules()[0]["hits"] == 1


def test_a_delay_rule_can_end_in_an_error(emulator, stack, faults):
    faults.add(FaultRule(service="sns", operation="Publish", error_code="Throttled", delay_seconds=0.1, times=1))

    assert error_code(lambda: emulator.client("sns").publish(PhoneNumber="+14155550115", Message="x")) == "Throttled"


@pytest.mark.parametrize(
    "bad",
    [
        {"service": "sns", "operation": "Publish"},
        {"service": "sns", "operation": "Publish", "delay_seconds": -1},
        {"service": "sns", "operation": "Publish", "delay_seconds": 61},
    ],
)
def test_a_rule_needs_an_error_or_a_sane_delay(bad):
    with pytest.raises(ValueError):
        rules_from_json([bad])


def test_an_after_rule_lets_the_call_do_its_work_then_answers_the_error(emulator, stack, faults):
    dynamodb = emulator.client("dynamodb")
    key = {"notification_id": {"S": f"after-{uuid.uuid4()}"}}
    faults.add(
        FaultRule(
            service="dynamodb", operation="PutItem", error_code="InternalServerError", status=500, after=True, times=1
        )
    )

    assert error_code(lambda: dynamodb.put_item(TableName=stack.status_table_name, Item=key)) == "InternalServerError"
    assert dynamodb.get_item(TableName=stack.status_table_name, Key=key, ConsistentRead=True)["Item"] == key


def test_a_rule_can_require_a_uri_label_of_a_rest_call(emulator, deployment, faults):
    # Lambda's Invoke names the function in its path: /2015-03-31/functions/{FunctionName}/invocations
    functions = order_functions(deployment.plan)
    target, other = functions["check_fraud"]["function_name"], functions["validate_order"]["function_name"]
    faults.add(
        FaultRule(
            service="lambda",
            operation="Invoke",
            error_code="ServiceException",
            status=500,
            when={"FunctionName": target},
        )
    )
    client = emulator.client("lambda")

    assert error_code(lambda: client.invoke(FunctionName=target, Payload=b"{}")) == "ServiceException"
    assert client.invoke(FunctionName=other, Payload=b"{}")["StatusCode"] == 200  # its own error, in the payload


def test_an_after_rule_needs_an_error():
    with pytest.raises(ValueError):
        rules_from_json([{"service": "sns", "operation": "Publish", "delay_seconds": 1, "after": True}])
