"""Each correction in harness/provider_api.py holds: the emulator answers what
the Terraform AWS provider calls as AWS does. A moto upgrade that moves the
code a correction relies on fails here, not in the middle of a `terraform apply`."""

from __future__ import annotations

import io
import json
import uuid
import zipfile

import botocore.exceptions
import pytest

PASS = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})
ASSUME = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# Step Functions ------------------------------------------------------------------

def test_validate_state_machine_definition_answers_ok_for_a_valid_definition(emulator):
    answer = emulator.client("stepfunctions").validate_state_machine_definition(definition=PASS, type="STANDARD")

    assert answer["result"] == "OK"
    assert [d for d in answer["diagnostics"] if d["severity"] == "ERROR"] == []


def test_validate_state_machine_definition_fails_a_definition_asl_refuses(emulator):
    broken = json.dumps({"StartAt": "Missing", "States": {"Done": {"Type": "Pass", "End": True}}})

    answer = emulator.client("stepfunctions").validate_state_machine_definition(definition=broken, type="STANDARD")

    assert answer["result"] == "FAIL"
    assert answer["diagnostics"][0]["severity"] == "ERROR"


def test_list_state_machine_versions_lists_published_versions_newest_first(emulator):
    sfn = emulator.client("stepfunctions")
    arn = sfn.create_state_machine(name=unique("versions"), definition=PASS, publish=True,
                                   roleArn="arn:aws:iam::123456789012:role/probe")["stateMachineArn"]
    sfn.update_state_machine(stateMachineArn=arn, definition=PASS.replace("Done", "Finished"), publish=True)

    versions = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]

    assert [v["stateMachineVersionArn"] for v in versions] == [f"{arn}:2", f"{arn}:1"]


# SQS --------------------------------------------------------------------------------

def test_a_queues_redrive_allow_policy_is_returned_and_its_redrive_policy_is_compact(emulator):
    sqs = emulator.client("sqs")
    allow = json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": ["arn:aws:sqs:us-east-1:123456789012:a"]})
    dead = sqs.create_queue(QueueName=unique("dlq"), Attributes={"RedriveAllowPolicy": allow})["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    source = sqs.create_queue(QueueName=unique("source"), Attributes={
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": 5})})["QueueUrl"]

    dead_attributes = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["All"])["Attributes"]
    source_attributes = sqs.get_queue_attributes(QueueUrl=source, AttributeNames=["All"])["Attributes"]

    assert json.loads(dead_attributes["RedriveAllowPolicy"]) == json.loads(allow)
    assert " " not in source_attributes["RedrivePolicy"]  # AWS's compact JSON, what a plan compares with


def test_setting_another_attribute_keeps_the_queue_policy(emulator):
    sqs = emulator.client("sqs")
    url = sqs.create_queue(QueueName=unique("policy"))["QueueUrl"]
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
         "Resource": "*"}]})
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})

    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "60"})

    kept = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"]
    assert json.loads(kept) == json.loads(policy)


# Lambda ---------------------------------------------------------------------------------

def test_a_function_reports_its_logging_config_as_aws_defaults_it(emulator):
    role = emulator.client("iam").create_role(RoleName=unique("fn"), AssumeRolePolicyDocument=ASSUME)["Role"]["Arn"]
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("handler.py", "def lambda_handler(event, context):\n    return event\n")
    name = unique("logging")
    emulator.client("lambda").create_function(FunctionName=name, Runtime="python3.11", Role=role,
                                              Handler="handler.lambda_handler", Code={"ZipFile": package.getvalue()})

    config = emulator.client("lambda").get_function_configuration(FunctionName=name)

    assert config["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}"}


# IAM ----------------------------------------------------------------------------------------

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
