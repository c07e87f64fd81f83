"""The project's LocalStack extension (localstack_extension/), each part checked against the pinned
LocalStack on the host twice: with it, LocalStack behaves as AWS does; without it (as LocalStack
ships), the gap is still there. The day a LocalStack release closes a gap itself, its `plain` case
fails: drop that correction (the extension refuses a release it was not written for, so bump
PINNED_VERSION only after these tests pass on it).

They start LocalStacks of their own, so they run in the LocalStack tier only (make localstack-test,
where `make localstack` has built it).
"""

from __future__ import annotations

import io
import json
import subprocess
import threading
import uuid
import zipfile
from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config

from harness.engines import localstack, localstack_host
from harness.observe.waiting import poll
from tests.backends import cannot_run
from tests.e2e.test_notification import AWS_TIMESTAMP
from tests.ministack import test_extensions as ministack_checks
from tests.ministack.test_extensions import processes_in_group

pytestmark = pytest.mark.backends("localstack", reason="starts LocalStacks of its own on the host")

EXTENSION = Path(__file__).resolve().parents[2] / "localstack_extension" / "sfn_refactor_localstack"
# The MiniStack checks' handler (charge.handler: PaymentDeclined), and one that says when and where it ran.
HANDLER = (
    ministack_checks.HANDLER
    + """
import os, time


def timed(event, context):
    started = time.time()
    time.sleep(event.get("sleep", 0))
    return {"pid": os.getpid(), "started": started, "ended": time.time()}
"""
)
SENDER = "sender@example.com"


class Account:
    """Clients of one running LocalStack, and what a test creates in it."""

    def __init__(self, server: localstack_host.HostLocalStack) -> None:
        self.server = server
        self.url = server.endpoint_url
        self.extended = server.corrections == localstack_host.ALL_CORRECTIONS

    def client(self, service: str, **config):
        options = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "config": Config(**config)}
        return boto3.client(service, endpoint_url=self.url, region_name="us-east-1", **options)

    def role(self, service: str) -> str:
        trust = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": service}}],
        }
        return self.client("iam").create_role(
            RoleName=f"r-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(trust)
        )["Role"]["Arn"]

    def function(self, timeout: int = 10, handler: str = "charge.timed", **extra) -> str:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("charge.py", HANDLER)
        client = self.client("lambda")
        name = f"charge-{uuid.uuid4().hex[:8]}"
        client.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=self.role("lambda.amazonaws.com"),
            Handler=handler,
            Code={"ZipFile": buffer.getvalue()},
            Timeout=timeout,
            **extra,
        )
        client.get_waiter("function_active_v2").wait(FunctionName=name)
        return name

    def invoke(self, function: str, event: dict) -> tuple[str | None, dict]:
        answer = self.client("lambda").invoke(FunctionName=function, Payload=json.dumps(event))
        return answer.get("FunctionError"), json.loads(answer["Payload"].read() or b"null")


@pytest.fixture(scope="module", params=["extended", "plain"])
def account(request: pytest.FixtureRequest, backend: str):
    problem = localstack_host.why_unavailable()
    if problem:
        cannot_run(backend, [problem])
    corrections = localstack_host.ALL_CORRECTIONS if request.param == "extended" else "none"
    with localstack_host.HostLocalStack(corrections=corrections) as server:
        yield Account(server)


# lambda_process_executor ------------------------------------------------------------------
def test_a_function_runs_and_its_exception_is_named_by_its_class(account: Account):
    if not account.extended:
        # the gap: LocalStack's only executor is Docker's, and the function never becomes active
        with pytest.raises(Exception) as failed:
            account.function()
        assert "Docker" in str(failed.value) or "Failed" in str(failed.value) or "State" in str(failed.value)
        return
    function = account.function(handler="charge.handler")

    assert account.invoke(function, {}) == (None, {"charged": True})
    error, body = account.invoke(function, {"decline": True})
    assert error == "Unhandled" and (body["errorType"], body["errorMessage"]) == ("PaymentDeclined", "card declined")


def test_an_invocation_past_the_timeout_fails_and_the_next_one_runs(account: Account):
    if not account.extended:
        pytest.skip("without the extension no function runs at all (previous test)")
    function = account.function(timeout=1)

    error, body = account.invoke(function, {"sleep": 5})

    assert error == "Unhandled" and body["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in body["errorMessage"]
    assert account.invoke(function, {})[0] is None  # a fresh process took its place


def test_invocations_at_once_run_at_once_in_processes_of_their_own(account: Account):
    if not account.extended:
        pytest.skip("without the extension no function runs at all")
    function = account.function()
    results: list[dict] = []
    calls = [threading.Thread(target=lambda: results.append(account.invoke(function, {"sleep": 2})[1])) for _ in "ab"]

    for call in calls:
        call.start()
    for call in calls:
        call.join(60)

    first, second = sorted(results, key=lambda result: result["started"])
    assert first["pid"] != second["pid"]
    assert second["started"] < first["ended"], "the second invocation waited for the first"


# sesv2 --------------------------------------------------------------------------------------
def test_sesv2_reads_back_its_identities_and_lists_its_emails(account: Account):
    sesv2 = account.client("sesv2")
    if not account.extended:
        with pytest.raises(sesv2.exceptions.ClientError) as refused:  # the gap: not in the community runtime
            sesv2.create_email_identity(EmailIdentity=SENDER)
        assert refused.value.response["Error"]["Code"] == "InternalError" and "sesv2" in str(refused.value)
        return
    sesv2.create_email_identity(EmailIdentity=SENDER)
    to = f"user-{uuid.uuid4().hex[:8]}@example.com"

    assert sesv2.get_email_identity(EmailIdentity=SENDER)["IdentityType"] == "EMAIL_ADDRESS"
    sent = sesv2.send_email(
        FromEmailAddress=SENDER,
        Destination={"ToAddresses": [to]},
        Content={"Simple": {"Subject": {"Data": "Receipt"}, "Body": {"Text": {"Data": "Paid"}}}},
    )
    [email] = [
        m
        for m in requests.get(f"{account.url}/_aws/ses", timeout=10).json()["messages"]
        if m["Id"] == sent["MessageId"]
    ]
    assert (email["Source"], email["Destination"]["ToAddresses"], email["Subject"]) == (SENDER, [to], "Receipt")
    assert email["Body"]["text_part"] == "Paid"
    sesv2.delete_email_identity(EmailIdentity=SENDER)
    with pytest.raises(sesv2.exceptions.NotFoundException):
        sesv2.get_email_identity(EmailIdentity=SENDER)


# dynamodb_local -------------------------------------------------------------------------------
def test_dynamodb_serves_tables(account: Account):
    # One attempt: without the extension each call already retries LocalStack's failing start of DynamoDB.
    dynamodb = account.client("dynamodb", retries={"max_attempts": 1})
    table = f"t-{uuid.uuid4().hex[:8]}"
    create = lambda: dynamodb.create_table(  # noqa: E731
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    if not account.extended:
        with pytest.raises(dynamodb.exceptions.ClientError) as failed:  # the gap: Java and DynamoDB Local are downloads
            create()
        assert failed.value.response["Error"]["Code"] == "InternalError"
        return
    create()
    dynamodb.put_item(TableName=table, Item={"id": {"S": "a"}})
    assert dynamodb.get_item(TableName=table, Key={"id": {"S": "a"}})["Item"] == {"id": {"S": "a"}}


# jsonata_evaluator ------------------------------------------------------------------------------
def test_jsonata_states_are_evaluated(account: Account):
    sfn = account.client("stepfunctions")
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Remember",
        "States": {
            "Remember": {
                "Type": "Pass",
                "Assign": {"name": "{% $states.input.name %}"},
                "Next": "Greet",
            },
            "Greet": {
                "Type": "Pass",
                "Output": {
                    "greeting": "{% 'hello ' & $uppercase($name) %}",
                    "items": "{% $count($states.input.items[price > 2]) %}",
                    "started": "{% $toMillis($states.context.Execution.StartTime) > 0 %}",
                },
                "End": True,
            },
        },
    }
    machine = sfn.create_state_machine(
        name=f"sm-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(definition),
        roleArn=account.role("states.amazonaws.com"),
    )["stateMachineArn"]
    execution = {"name": "ada", "items": [{"price": 1}, {"price": 3}, {"price": 5}]}

    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps(execution))["executionArn"]
    described = poll(lambda: (d := sfn.describe_execution(executionArn=arn))["status"] != "RUNNING" and d, timeout=90)

    if not account.extended:  # the gap: the evaluator is Java 21 and Maven jars, downloaded at first use
        assert described["status"] == "FAILED", described
        assert "java" in described.get("cause", "").lower(), described
        return
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == {"greeting": "hello ADA", "items": 2, "started": True}


# state_machine_readback --------------------------------------------------------------------------
def test_describe_state_machine_reports_its_tracing_and_encryption(account: Account):
    sfn = account.client("stepfunctions")
    key = account.client("kms").create_key()["KeyMetadata"]["Arn"]
    encryption = {"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": key, "kmsDataKeyReusePeriodSeconds": 300}
    definition = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    role = account.role("states.amazonaws.com")
    traced = sfn.create_state_machine(
        name=f"sm-{uuid.uuid4().hex[:8]}",
        definition=definition,
        roleArn=role,
        tracingConfiguration={"enabled": True},
        encryptionConfiguration=encryption,
    )["stateMachineArn"]
    plain = sfn.create_state_machine(name=f"sm-{uuid.uuid4().hex[:8]}", definition=definition, roleArn=role)

    described = sfn.describe_state_machine(stateMachineArn=traced)
    if not account.extended:  # the gap: terraform plan then always finds both changed
        assert "tracingConfiguration" not in described and "encryptionConfiguration" not in described
        return
    assert (described["tracingConfiguration"], described["encryptionConfiguration"]) == ({"enabled": True}, encryption)
    described = sfn.describe_state_machine(stateMachineArn=plain["stateMachineArn"])
    assert described["tracingConfiguration"] == {"enabled": False}
    assert described["encryptionConfiguration"] == {"type": "AWS_OWNED_KEY"}
    sfn.update_state_machine(stateMachineArn=traced, tracingConfiguration={"enabled": False})  # alone, as AWS takes it
    assert sfn.describe_state_machine(stateMachineArn=traced)["tracingConfiguration"] == {"enabled": False}


# state_entered_time -----------------------------------------------------------------------------
def test_the_context_object_s_timestamps_are_written_as_aws_writes_them(account: Account):
    sfn = account.client("stepfunctions")
    stamps = {"entered.$": "$$.State.EnteredTime", "started.$": "$$.Execution.StartTime"}
    definition = {"StartAt": "Stamp", "States": {"Stamp": {"Type": "Pass", "Parameters": stamps, "End": True}}}
    machine = sfn.create_state_machine(
        name=f"sm-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(definition),
        roleArn=account.role("states.amazonaws.com"),
    )["stateMachineArn"]

    arn = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    described = poll(lambda: (d := sfn.describe_execution(executionArn=arn))["status"] != "RUNNING" and d, timeout=60)
    output = json.loads(described["output"])

    assert AWS_TIMESTAMP.fullmatch(output["started"]), output
    if not account.extended:  # the gap: Python's isoformat, microseconds and +00:00
        assert output["entered"].endswith("+00:00"), output
        return
    assert AWS_TIMESTAMP.fullmatch(output["entered"]), output
    assert output["entered"] >= output["started"]


# late_task_tokens -----------------------------------------------------------------------------------
def test_answering_a_token_after_its_task_timed_out_is_task_timed_out(account: Account):
    sqs, sfn = account.client("sqs"), account.client("stepfunctions")
    queue = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    wait = {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "TimeoutSeconds": 1,
        "Parameters": {"QueueUrl": queue, "MessageBody": {"token.$": "$$.Task.Token"}},
        "End": True,
    }
    machine = sfn.create_state_machine(
        name=f"sm-{uuid.uuid4().hex[:8]}",
        definition=json.dumps({"StartAt": "Wait", "States": {"Wait": wait}}),
        roleArn=account.role("states.amazonaws.com"),
    )["stateMachineArn"]

    arn = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    described = poll(lambda: (d := sfn.describe_execution(executionArn=arn))["status"] != "RUNNING" and d, timeout=60)
    [message] = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=1)["Messages"]
    token = json.loads(message["Body"])["token"]

    assert described["status"] == "FAILED" and described.get("error") == "States.Timeout", described
    answers = {
        "success": lambda: sfn.send_task_success(taskToken=token, output="{}"),
        "failure": lambda: sfn.send_task_failure(taskToken=token, error="Rejected"),
        "heartbeat": lambda: sfn.send_task_heartbeat(taskToken=token),
    }
    # the gap: InvalidToken, and a SendTaskFailure that answers 200
    plain = {"success": "InvalidToken", "failure": None, "heartbeat": "InvalidToken"}
    for name, answer in answers.items():
        expected = "TaskTimedOut" if account.extended else plain[name]
        if expected is None:
            answer()
            continue
        with pytest.raises(sfn.exceptions.ClientError) as refused:
            answer()
        assert refused.value.response["Error"]["Code"] == expected, name
    with pytest.raises(sfn.exceptions.ClientError) as unknown:  # a token no Task issued: unchanged
        sfn.send_task_success(taskToken="never-issued", output="{}")
    assert unknown.value.response["Error"]["Code"] == "InvalidToken"


# function_kms_key_readback -------------------------------------------------------------------------
def test_get_function_reports_its_kms_key(account: Account):
    if not account.extended:
        pytest.skip("without the extension no function can be created to read back (first test)")
    key = account.client("kms").create_key()["KeyMetadata"]["Arn"]
    function = account.function(KMSKeyArn=key)
    client = account.client("lambda")

    assert client.get_function(FunctionName=function)["Configuration"]["KMSKeyArn"] == key
    assert client.get_function_configuration(FunctionName=function)["KMSKeyArn"] == key
    client.update_function_configuration(FunctionName=function, KMSKeyArn="")
    client.get_waiter("function_updated_v2").wait(FunctionName=function)
    assert "KMSKeyArn" not in client.get_function_configuration(FunctionName=function)


# Starting and stopping --------------------------------------------------------------------------
def test_stopping_localstack_stops_its_lambda_processes(backend: str):
    problem = localstack_host.why_unavailable()
    if problem:
        cannot_run(backend, [problem])
    # GIVEN LocalStack after a Lambda invocation (its process is one of LocalStack's group)
    server = localstack_host.HostLocalStack().start()
    try:
        account = Account(server)
        assert account.invoke(account.function(), {})[0] is None
        group = processes_in_group(server.process.pid)
        assert len(group) >= 2, group
    finally:
        # WHEN it is stopped
        pgid = server.process.pid
        server.stop()

    # THEN nothing of its group is left, its files are gone, and its port is free again
    assert processes_in_group(pgid) == []
    assert not server.root.exists()
    assert localstack.health(server.endpoint_url, timeout=1) is None


# The extension itself ---------------------------------------------------------------------
def test_the_extension_is_pinned_to_the_installed_release():
    pinned = [
        line for line in (EXTENSION / "__init__.py").read_text().splitlines() if line.startswith("PINNED_VERSION")
    ]
    assert pinned == [f'PINNED_VERSION = "{localstack_host.pinned_version()}"']


def test_the_extension_refuses_another_release(backend: str):
    problem = localstack_host.why_unavailable()
    if problem:
        cannot_run(backend, [problem])
    probe = (
        "import localstack.version as v; v.__version__ = '0.0.1'; "
        "import sfn_refactor_localstack as x; x.check_version()"
    )
    run = subprocess.run([str(localstack_host.PYTHON), "-I", "-c", probe], capture_output=True, text=True, timeout=120)

    assert run.returncode != 0
    assert "ExtensionMismatch" in run.stderr and "re-check each correction" in run.stderr
