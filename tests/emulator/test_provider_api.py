"""The corrections of harness/emulator/provider_api.py: what the Terraform AWS provider
calls, answered as AWS answers it. Each test would fail on moto as shipped."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import botocore.exceptions
import pytest

from harness.emulator.provider_api import validation_diagnostics

pytestmark = pytest.mark.backends("embedded", reason="checks the embedded emulator's answers")
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PASS = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}
ASSUME = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def test_a_valid_definition_is_ok(emulator):
    answer = emulator.client("stepfunctions").validate_state_machine_definition(definition=json.dumps(PASS))
    assert answer["result"] == "OK"
    assert answer["diagnostics"] == []


@pytest.mark.parametrize(
    "definition, expected",
    [
        ({"StartAt": "Nowhere", "States": {"Done": {"Type": "Succeed"}}}, "Nowhere"),
        ({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Gone"}}}, "Gone"),
        (
            {
                "StartAt": "A",
                "States": {
                    "A": {
                        "Type": "Task",
                        "Resource": "arn:aws:states:::ses:sendEmail",
                        "TimeoutSeconds": 5,
                        "End": True,
                    }
                },
            },
            "ses",
        ),
        ("{not json", "SCHEMA_VALIDATION_FAILED"),
    ],
    ids=["missing-start", "dangling-next", "no-such-integration", "not-json"],
)
def test_a_broken_definition_fails_with_an_error_diagnostic(emulator, definition, expected):
    text = definition if isinstance(definition, str) else json.dumps(definition)
    answer = emulator.client("stepfunctions").validate_state_machine_definition(definition=text)
    assert answer["result"] == "FAIL"
    assert any(d["severity"] == "ERROR" for d in answer["diagnostics"])
    assert expected in json.dumps(answer["diagnostics"])


def test_the_seed_definition_fails_for_its_ses_resource_and_warns_on_its_wildcards():
    # seed 000's definition: arn:aws:states:::ses:sendEmail does not exist (AWS refuses it);
    # "SNS.*" in ErrorEquals is accepted by AWS but matches nothing (a project rule: a warning)
    diagnostics = validation_diagnostics((FIXTURES / "seed_000_notification.asl.json").read_text())
    errors = [d["message"] for d in diagnostics if d["severity"] == "ERROR"]
    warnings = [d["message"] for d in diagnostics if d["severity"] == "WARNING"]
    assert any("ses:sendEmail" in m for m in errors), diagnostics
    assert any("wildcard" in m for m in warnings), diagnostics


def test_state_machine_versions_are_listed(emulator):
    sfn, iam = emulator.client("stepfunctions"), emulator.client("iam")
    role = iam.create_role(RoleName=unique("versions"), AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    arn = sfn.create_state_machine(name=unique("versions"), definition=json.dumps(PASS), roleArn=role, publish=True)[
        "stateMachineArn"
    ]
    try:
        versions = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
        assert [v["stateMachineVersionArn"] for v in versions] == [f"{arn}:1"]
    finally:
        sfn.delete_state_machine(stateMachineArn=arn)


def test_queue_attributes_come_back_as_set(emulator):
    sqs = emulator.client("sqs")
    dead = sqs.create_queue(QueueName=unique("dlq"))["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    allow = json.dumps({"redrivePermission": "allowAll"})
    sqs.set_queue_attributes(QueueUrl=dead, Attributes={"RedriveAllowPolicy": allow})
    source = sqs.create_queue(
        QueueName=unique("source"),
        Attributes={
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": 5}),
            "Policy": json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "sns.amazonaws.com"},
                            "Action": "sqs:SendMessage",
                            "Resource": "*",
                        }
                    ],
                }
            ),
        },
    )["QueueUrl"]
    # another attribute changed later must not wipe the queue policy
    sqs.set_queue_attributes(QueueUrl=source, Attributes={"VisibilityTimeout": "60"})

    dead_attributes = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["All"])["Attributes"]
    source_attributes = sqs.get_queue_attributes(QueueUrl=source, AttributeNames=["All"])["Attributes"]
    assert json.loads(dead_attributes["RedriveAllowPolicy"]) == {"redrivePermission": "allowAll"}
    assert source_attributes["RedrivePolicy"] == f'{{"deadLetterTargetArn":"{dead_arn}","maxReceiveCount":5}}'
    assert "Policy" in source_attributes


def test_lambda_functions_keep_their_logging_config(emulator):
    client, iam = emulator.client("lambda"), emulator.client("iam")
    role = iam.create_role(RoleName=unique("logging"), AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    name = unique("logging")
    client.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=role,
        Handler="x.handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
        LoggingConfig={"LogFormat": "JSON", "LogGroup": "/custom/group"},
    )
    try:
        assert client.get_function(FunctionName=name)["Configuration"]["LoggingConfig"] == {
            "LogFormat": "JSON",
            "LogGroup": "/custom/group",
        }
        client.update_function_configuration(FunctionName=name, LoggingConfig={"LogFormat": "Text"})
        assert client.get_function_configuration(FunctionName=name)["LoggingConfig"]["LogFormat"] == "Text"
    finally:
        client.delete_function(FunctionName=name)


def test_an_aws_managed_policy_can_be_attached_and_read(emulator):
    """The API Gateway logging role attaches AWS's AmazonAPIGatewayPushToCloudWatchLogs."""
    iam = emulator.client("iam")
    arn = "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
    role = unique("apigw-logs")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=ASSUME)

    iam.attach_role_policy(RoleName=role, PolicyArn=arn)

    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]] == [arn]
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    actions = document["Document"]["Statement"][0]["Action"]
    assert "logs:PutLogEvents" in actions


def test_a_policy_aws_does_not_have_is_still_no_such_entity(emulator):
    iam = emulator.client("iam")
    role = unique("nothing")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=ASSUME)

    with pytest.raises(botocore.exceptions.ClientError) as refused:
        iam.attach_role_policy(RoleName=role, PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicyAnywhere")

    assert refused.value.response["Error"]["Code"] == "NoSuchEntity"
