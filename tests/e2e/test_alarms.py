"""The alarms, read back from the deployed stack (docs/ingress.md, "Alarms"):
each has its documented name, watches its metric with its variable's
threshold, and notifies the encrypted alarm topic."""

from __future__ import annotations

import json
import math
import re

import pytest

from harness.deploy.terraform import ROOT
from tests.support import console

FUNCTIONS = [
    "validate_order",
    "check_fraud",
    "reserve_inventory",
    "release_inventory",
    "charge_payment",
    "refund_payment",
]
STATE_MACHINE_ALARMS = {  # name suffix -> (metric, threshold variable)
    "executions-failed": ("ExecutionsFailed", "alarm_executions_failed_threshold"),
    "executions-timed-out": ("ExecutionsTimedOut", "alarm_executions_timed_out_threshold"),
    "executions-throttled": ("ExecutionThrottled", "alarm_executions_throttled_threshold"),
}
# The delivery modes the notification workflow puts its metric with (CheckCommonFields).
DELIVERY_MODES = ["text", "mail", "dual"]


@pytest.fixture(scope="module")
def names(deployment) -> dict[str, str]:
    """`local.names` as Terraform evaluates it for this deployment."""
    return console(deployment.workspace, "local.names")


@pytest.fixture(scope="module")
def alarms(observer, variables) -> dict[str, dict]:
    """Every alarm of this stack, by name (metric alarms, math included)."""
    cloudwatch = observer._client("cloudwatch")
    found = {}
    for page in cloudwatch.get_paginator("describe_alarms").paginate(AlarmNamePrefix=variables["name_prefix"]):
        found.update({alarm["AlarmName"]: alarm for alarm in page["MetricAlarms"]})
    return found


def expected_names(variables, names) -> set[str]:
    prefix = variables["name_prefix"]
    return (
        {f"{prefix}-{machine}-{suffix}" for machine in ("notification", "order") for suffix in STATE_MACHINE_ALARMS}
        | {
            f"{names[f'{function}_function']}-{suffix}"
            for function in FUNCTIONS
            for suffix in ("errors", "throttles", "concurrency")
        }
        | {f"{names['approval_dead_letter_queue']}-not-empty", f"{prefix}-notifications-failed"}
    )


def dimensions(alarm: dict) -> dict[str, str]:
    return {d["Name"]: d["Value"] for d in alarm["Dimensions"]}


def assert_notifies_the_alarm_topic(alarm: dict, stack) -> None:
    assert alarm["AlarmActions"] == [stack.alarm_topic_arn], alarm["AlarmName"]
    assert alarm["OKActions"] == [stack.alarm_topic_arn], alarm["AlarmName"]
    assert alarm["ActionsEnabled"] is True
    assert alarm["TreatMissingData"] == "notBreaching"


def test_every_alarm_exists_with_its_documented_name(alarms, variables, names):
    assert set(alarms) == expected_names(variables, names)


@pytest.mark.parametrize("machine", ["notification", "order"])
@pytest.mark.parametrize("suffix", sorted(STATE_MACHINE_ALARMS))
def test_each_state_machine_alarm_watches_its_machine(alarms, stack, variables, machine, suffix):
    alarm = alarms[f"{variables['name_prefix']}-{machine}-{suffix}"]
    metric, threshold = STATE_MACHINE_ALARMS[suffix]
    arn = stack.notification_state_machine_arn if machine == "notification" else stack.order_state_machine_arn

    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == ("AWS/States", metric, "Sum")
    assert dimensions(alarm) == {"StateMachineArn": arn}
    assert alarm["Threshold"] == variables[threshold]
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["Period"] == variables["alarm_period_seconds"]
    assert alarm["EvaluationPeriods"] == variables["alarm_evaluation_periods"]
    assert_notifies_the_alarm_topic(alarm, stack)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_function_has_error_throttle_and_runaway_alarms(alarms, stack, variables, names, function):
    name = names[f"{function}_function"]
    concurrency = math.ceil(
        variables["lambda_reserved_concurrency"] * variables["alarm_function_concurrency_percent"] / 100
    )
    expected = {
        "errors": ("Errors", "Sum", variables["alarm_function_errors_threshold"]),
        "throttles": ("Throttles", "Sum", variables["alarm_function_throttles_threshold"]),
        "concurrency": ("ConcurrentExecutions", "Maximum", concurrency),
    }
    for suffix, (metric, statistic, threshold) in expected.items():
        alarm = alarms[f"{name}-{suffix}"]
        assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == ("AWS/Lambda", metric, statistic)
        assert dimensions(alarm) == {"FunctionName": name}
        assert alarm["Threshold"] == threshold
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert_notifies_the_alarm_topic(alarm, stack)
    # The runaway guard fires below the reserved concurrency, where throttling starts.
    assert concurrency <= variables["lambda_reserved_concurrency"]


def test_the_approval_dead_letter_queue_alarm_fires_on_one_message(alarms, stack, names):
    alarm = alarms[f"{names['approval_dead_letter_queue']}-not-empty"]

    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert dimensions(alarm) == {"QueueName": names["approval_dead_letter_queue"]}
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)
    assert_notifies_the_alarm_topic(alarm, stack)


def test_the_failed_notifications_alarm_sums_the_metric_of_every_delivery_mode(alarms, stack, variables):
    """The workflow puts Notifications with Status AND DeliveryMode: an alarm on
    Status=FAILED alone would watch a metric nobody puts."""
    alarm = alarms[f"{variables['name_prefix']}-notifications-failed"]
    queries = {query["Id"]: query for query in alarm["Metrics"]}
    watched = {}
    for query in queries.values():
        if "MetricStat" in query:
            metric = query["MetricStat"]["Metric"]
            assert (metric["Namespace"], metric["MetricName"]) == (variables["metric_namespace"], "Notifications")
            assert query["MetricStat"]["Stat"] == "Sum"
            assert query["ReturnData"] is False
            watched[query["Id"]] = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
    [result] = [query for query in queries.values() if query.get("ReturnData")]

    assert sorted(watched.values(), key=lambda d: d["DeliveryMode"]) == sorted(
        ({"Status": "FAILED", "DeliveryMode": mode} for mode in DELIVERY_MODES), key=lambda d: d["DeliveryMode"]
    )
    assert all(f"FILL({query_id}, 0)" in result["Expression"] for query_id in watched)
    assert alarm["Threshold"] == variables["alarm_notifications_failed_threshold"]
    assert_notifies_the_alarm_topic(alarm, stack)


def test_the_delivery_modes_are_those_the_workflow_accepts(deployment):
    """The alarm's modes follow the definition: a new mode without an alarm metric fails here."""
    definition = deployment.definitions["notification"]
    choices = definition["States"]["CheckCommonFields"]["Choices"]
    [condition] = [c["Condition"] for c in choices if c["Next"] == "RejectDeliveryMode"]
    [listed] = re.findall(r"\$states\.input\.delivery_mode in \[([^\]]*)\]", condition)
    accepted = set(re.findall(r"'(\w+)'", listed))
    assert accepted == set(DELIVERY_MODES), json.dumps(choices)[:2000]
    # and the API's model accepts exactly these (definitions/notification_request.schema.json)
    schema = json.loads((ROOT / "definitions" / "notification_request.schema.json").read_text())
    assert set(schema["properties"]["delivery_mode"]["enum"]) == accepted


def test_the_alarm_topic_is_encrypted_with_a_key_cloudwatch_may_use(observer, stack):
    attributes = observer._client("sns").get_topic_attributes(TopicArn=stack.alarm_topic_arn)["Attributes"]
    kms = observer._client("kms")
    key_id = kms.describe_key(KeyId=attributes["KmsMasterKeyId"])["KeyMetadata"]["KeyId"]
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])

    [statement] = [
        s
        for s in policy["Statement"]
        if s.get("Principal", {}).get("Service") in ("cloudwatch.amazonaws.com", ["cloudwatch.amazonaws.com"])
    ]
    assert set(statement["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
