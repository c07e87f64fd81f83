"""The Lambda seam (harness/emulator/lambda_seam.py): functions run their real package in
a local process, and answer the way Lambda does. The last tests pin the moto
internals the seam replaces, so a moto upgrade that moves them fails here."""

from __future__ import annotations

import base64
import inspect
import io
import json
import time
import uuid
import zipfile

import pytest
from moto.awslambda import models as lambda_models

from harness.emulator import lambda_seam
from harness.observe.observer import Observer

HANDLER = """
import json, os, time
import boto3

sts = boto3.client("sts")  # module scope, as in a real function
INVOCATIONS = 0


class CardDeclined(Exception):
    pass


def lambda_handler(event, context):
    global INVOCATIONS
    INVOCATIONS += 1
    print(json.dumps({"level": "INFO", "message": "handling", "action": event.get("action")}))
    if event.get("action") == "decline":
        raise CardDeclined("card 4000 0000 0000 0002 was declined")
    if event.get("action") == "sleep":
        # The function under test is slow on purpose, so the seam's timeout fires;
        # the test itself waits on nothing.
        time.sleep(event["seconds"])
    if event.get("action") == "unserialisable":
        return {1, 2}
    return {
        "echo": event,
        "greeting": os.environ["GREETING"],
        "account": sts.get_caller_identity()["Account"],
        "invocations": INVOCATIONS,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "function_name": context.function_name,
    }
"""


def package(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def role_arn(emulator) -> str:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    return emulator.client("iam").create_role(
        RoleName=f"seam-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]["Arn"]


@pytest.fixture
def make_function(emulator, role_arn):
    client = emulator.client("lambda")
    created = []

    def make(code: str = HANDLER, *, timeout: int = 5, handler: str = "app.lambda_handler") -> str:
        name = f"seam-{uuid.uuid4().hex[:8]}"
        client.create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role=role_arn,
            Handler=handler,
            Timeout=timeout,
            Code={"ZipFile": package({"app.py": code})},
            Environment={"Variables": {"GREETING": "hello"}},
        )
        created.append(name)
        return name

    yield make
    for name in created:
        client.delete_function(FunctionName=name)


def invoke(emulator, name: str, event: dict) -> tuple[dict, str | None, str]:
    response = emulator.client("lambda").invoke(FunctionName=name, Payload=json.dumps(event), LogType="Tail")
    logs = base64.b64decode(response.get("LogResult", "")).decode()
    return json.loads(response["Payload"].read()), response.get("FunctionError"), logs


def test_a_handler_returns_its_payload_and_reaches_the_emulator(emulator, make_function):
    name = make_function()

    payload, error, _ = invoke(emulator, name, {"order": 7})

    assert error is None
    assert payload["echo"] == {"order": 7}
    assert payload["greeting"] == "hello"  # the function's own environment
    assert payload["account"] == emulator.client("sts").get_caller_identity()["Account"]  # AWS_ENDPOINT_URL
    assert payload["function_name"] == name
    assert 0 < payload["remaining_ms"] <= 5000


def test_a_named_exception_is_a_function_error_named_by_its_class(emulator, make_function):
    name = make_function()

    payload, error, _ = invoke(emulator, name, {"action": "decline"})

    assert error is not None
    assert payload["errorType"] == "CardDeclined"
    assert payload["errorMessage"] == "card 4000 0000 0000 0002 was declined"
    assert any("raise CardDeclined" in frame for frame in payload["stackTrace"])


def test_a_state_machine_catches_the_exception_by_its_class_name(emulator, stack, make_function):
    name = make_function()
    function_arn = emulator.client("lambda").get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    definition = {
        "StartAt": "Charge",
        "States": {
            "Charge": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "TimeoutSeconds": 10,
                "Parameters": {"FunctionName": function_arn, "Payload": {"action": "decline"}},
                "Catch": [{"ErrorEquals": ["CardDeclined"], "ResultPath": "$.failure", "Next": "Declined"}],
                "End": True,
            },
            "Declined": {"Type": "Pass", "End": True},
        },
    }
    machine = emulator.client("stepfunctions").create_state_machine(
        name=f"seam-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/probe",
    )["stateMachineArn"]

    execution = Observer(stack).run({}, state_machine_arn=machine)

    assert execution.status == "SUCCEEDED", execution.describe()
    assert execution.path == ["Charge", "Declined"]
    assert execution.output["failure"]["Error"] == "CardDeclined"
    assert execution.task_errors("Charge") == ["CardDeclined"]


def test_an_invocation_longer_than_the_timeout_fails_with_sandbox_timedout(emulator, make_function):
    name = make_function(timeout=1)

    started = time.monotonic()
    payload, error, _ = invoke(emulator, name, {"action": "sleep", "seconds": 30})
    took = time.monotonic() - started

    assert error is not None
    assert payload["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in payload["errorMessage"]
    assert took < 5
    # The stopped environment is replaced: the next invocation works.
    assert invoke(emulator, name, {"order": 1})[1] is None


def test_what_the_handler_prints_is_returned_and_kept_in_its_log_group(emulator, make_function):
    name = make_function()

    _, _, logs = invoke(emulator, name, {"action": "log-me"})

    assert '"action": "log-me"' in logs
    assert logs.startswith("START RequestId: ") and "\nEND RequestId: " in logs and "\nREPORT RequestId: " in logs
    events = emulator.client("logs").filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    assert any('"action": "log-me"' in event["message"] for event in events)


def test_an_environment_is_reused_between_invocations_like_a_warm_lambda(emulator, make_function):
    name = make_function()

    first = invoke(emulator, name, {})[0]["invocations"]
    second = invoke(emulator, name, {})[0]["invocations"]

    assert second == first + 1


@pytest.mark.parametrize(
    "code,handler,error_type",
    [
        ("import no_such_module\n", "app.lambda_handler", "Runtime.ImportModuleError"),
        ("def other(event, context):\n    return 1\n", "app.lambda_handler", "Runtime.HandlerNotFound"),
        (HANDLER, "app.lambda_handler", None),
    ],
)
def test_a_package_that_cannot_start_fails_like_lambda(emulator, make_function, code, handler, error_type):
    name = make_function(code, handler=handler)

    payload, error, _ = invoke(emulator, name, {"action": "unserialisable"})

    assert error is not None
    assert payload["errorType"] == (error_type or "Runtime.MarshalError")


# moto internals the seam depends on -----------------------------------------------------------


def test_moto_still_invokes_functions_through_the_replaced_method():
    invoke_source = inspect.getsource(lambda_seam._ORIGINAL_INVOKE.__globals__["LambdaFunction"].invoke)
    assert "res, errored, logs = self._invoke_lambda(event=body)" in invoke_source
    signature = inspect.signature(lambda_seam._ORIGINAL_INVOKE)
    assert list(signature.parameters) == ["self", "event"]
    assert signature.return_annotation in ("tuple[str, bool, str]", tuple[str, bool, str])


def test_moto_functions_still_carry_what_the_seam_reads(emulator):
    init_source = inspect.getsource(lambda_models.LambdaFunction.__init__)
    for attribute in (
        "self.function_arn",
        "self.function_name",
        "self.handler",
        "self.run_time",
        "self.timeout",
        "self.memory_size",
        "self.environment_vars",
        "self.region",
        "self.logs_group_name",
        "self.logs_backend",
        "self.version",
    ):
        assert f"{attribute} =" in init_source or f"{attribute}:" in init_source, attribute
    assert "self.code_bytes" in inspect.getsource(lambda_models.LambdaFunction._set_function_code)
    assert callable(lambda_models.LambdaFunction.save_logs)
    assert lambda_models.LambdaFunction._invoke_lambda is lambda_seam.invoke_in_process
