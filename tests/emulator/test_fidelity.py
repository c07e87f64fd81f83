"""Each correction in harness/emulator/fidelity.py holds: the emulator answers as AWS does
where the stack depends on it. A moto upgrade that breaks a patch fails here."""

from __future__ import annotations

import inspect
import json
import re
import tempfile
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import botocore.exceptions
import pytest
from moto.awslambda.models import LambdaFunction

from harness.deploy.packages import package_bytes
from harness.emulator.faults import FaultRule
from harness.observe.observer import Observer


def probe_machine(emulator, definition: dict, prefix: str = "probe") -> str:
    """A throwaway state machine's ARN."""
    return emulator.client("stepfunctions").create_state_machine(
        name=f"{prefix}-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/probe",
    )["stateMachineArn"]


def run_machine(emulator, stack, definition: dict, request: dict | None = None):
    """Create a throwaway state machine and run it to the end."""
    return Observer(stack).run(request or {}, state_machine_arn=probe_machine(emulator, definition))


def test_execution_start_time_is_an_iso_8601_string(emulator, stack):
    execution = run_machine(
        emulator,
        stack,
        {
            "StartAt": "Stamp",
            "States": {"Stamp": {"Type": "Pass", "Parameters": {"start.$": "$$.Execution.StartTime"}, "End": True}},
        },
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", execution.output["start"]), execution.output


def test_state_entered_time_is_rendered_as_aws_renders_it(emulator, stack):
    """AWS renders $$.State.EnteredTime like $$.Execution.StartTime: milliseconds and Z."""
    execution = run_machine(
        emulator,
        stack,
        {
            "StartAt": "Stamp",
            "States": {
                "Stamp": {
                    "Type": "Pass",
                    "Next": "Branches",
                    "Parameters": {"start.$": "$$.Execution.StartTime", "entered.$": "$$.State.EnteredTime"},
                },
                "Branches": {
                    "Type": "Parallel",
                    "End": True,
                    "ResultPath": "$.branch",
                    "Branches": [
                        {
                            "StartAt": "Inner",
                            "States": {
                                "Inner": {
                                    "Type": "Pass",
                                    "Parameters": {"entered.$": "$$.State.EnteredTime"},
                                    "End": True,
                                }
                            },
                        }
                    ],
                },
            },
        },
    )
    stamps = [execution.output["start"], execution.output["entered"], execution.output["branch"][0]["entered"]]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", s) for s in stamps), stamps
    assert stamps[0] <= stamps[1] <= stamps[2]  # one format, so they also sort as times


def test_aws_sdk_errors_are_named_with_the_aws_service_prefix(emulator, stack):
    execution = run_machine(
        emulator,
        stack,
        {
            "StartAt": "Send",
            "States": {
                "Send": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::aws-sdk:sesv2:sendEmail",
                    "TimeoutSeconds": 5,
                    "Parameters": {
                        "FromEmailAddress": "never-verified@example.org",
                        "Destination": {"ToAddresses": ["someone@example.com"]},
                        "Content": {"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}},
                    },
                    "End": True,
                }
            },
        },
    )
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


# StartExecution refuses what AWS refuses, before anything runs --------------------

PASS_MACHINE = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}


@pytest.fixture(scope="module")
def pass_machine(emulator):
    return probe_machine(emulator, PASS_MACHINE, "probe-start")


def start_error(emulator, machine: str, *, name: str | None = None, body: str = "{}") -> str | None:
    """The StartExecution error code, or None if the execution started."""
    try:
        emulator.client("stepfunctions").start_execution(
            stateMachineArn=machine, name=name or f"probe-{uuid.uuid4()}", input=body
        )
    except botocore.exceptions.ClientError as error:
        return error.response["Error"]["Code"]
    return None


def padded_input(size: int, filler: str = "x") -> str:
    """A JSON object of exactly `size` bytes of UTF-8, padded with `filler` (1 or 2 bytes)."""
    skeleton = len(json.dumps({"pad": ""}).encode())
    width = len(filler.encode())
    return json.dumps(
        {"pad": filler * ((size - skeleton) // width) + "x" * ((size - skeleton) % width)}, ensure_ascii=False
    )


def test_an_input_of_exactly_256_kib_is_accepted(emulator, pass_machine):
    body = padded_input(262_144)
    assert len(body.encode()) == 262_144
    assert start_error(emulator, pass_machine, body=body) is None


@pytest.mark.parametrize("filler", ["x", "é"], ids=["ascii", "two-byte-utf8"])
def test_an_input_over_256_kib_of_utf8_is_refused(emulator, pass_machine, filler):
    body = padded_input(262_145, filler)
    assert len(body.encode()) == 262_145 and len(body) <= 262_145  # é: fewer characters than bytes
    assert start_error(emulator, pass_machine, body=body) == "ValidationException"


@pytest.mark.parametrize("body", ["{not json", "", "{'a': 1}", '{"a": 1,}', '{"a": NaN}', '{"a": Infinity}'])
def test_an_input_that_is_not_json_is_refused(emulator, pass_machine, body):
    assert start_error(emulator, pass_machine, body=body) == "InvalidExecutionInput"


@pytest.mark.parametrize("body", ["[]", '"text"', "42", "null", "true"])
def test_any_json_value_is_an_input(emulator, pass_machine, body):
    assert start_error(emulator, pass_machine, body=body) is None


@pytest.mark.parametrize(
    "name",
    [
        "a b",
        "a\tb",
        "a\u2003b",
        "a/b",
        "a:b",
        "a*",
        "a?",
        "<a>",
        "{a}",
        "[a]",
        'a"b',
        "a#b",
        "a%b",
        "a\\b",
        "a^b",
        "a|b",
        "a~b",
        "a`b",
        "a$b",
        "a&b",
        "a,b",
        "a;b",
        "a\u0000b",
        "a\u007fb",
        "a\u0085b",
    ],
)
def test_an_execution_name_with_a_forbidden_character_is_refused(emulator, pass_machine, name):
    assert start_error(emulator, pass_machine, name=name) == "InvalidName"


def test_an_execution_name_over_80_characters_is_refused(emulator, pass_machine):
    assert start_error(emulator, pass_machine, name="n" * 80) is None
    assert start_error(emulator, pass_machine, name="n" * 81) == "ValidationException"


@pytest.mark.parametrize("name", ["order-42_confirmed", "émile", "通知", "a\u200bb"])
def test_other_execution_names_are_accepted(emulator, pass_machine, name):
    assert start_error(emulator, pass_machine, name=f"{name}-{uuid.uuid4().hex[:6]}") is None


# SNS and SES refuse addresses they cannot deliver to -------------------------------


@pytest.mark.parametrize(
    "phone",
    ["+1415555\uff10\uff11\uff10\uff10", "+1\u0664\u0661\u0665\u0665\u0665\u0665\u0660\u0661\u0660\u0660"],
    ids=["fullwidth-digits", "arabic-indic-digits"],
)
def test_sms_to_digits_that_are_not_ascii_is_refused(emulator, phone):
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        emulator.client("sns").publish(PhoneNumber=phone, Message="x")
    assert refused.value.response["Error"]["Code"] == "InvalidParameter"


def send_email_to(emulator, stack, address: str) -> None:
    emulator.client("sesv2").send_email(
        FromEmailAddress=stack.sender_email,
        Destination={"ToAddresses": [address]},
        Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}},
    )


@pytest.mark.parametrize(
    "address",
    [
        "\U0001f642@example.com",
        "us\u202eer@example.com",
        "user\u0000@example.com",
        "user@\u200bexample.com",
        "user\u00a0@example.com",
        "us er@example.com",
        "user@",
    ],
)
def test_sesv2_refuses_an_address_it_cannot_send_to_as_a_bad_request(emulator, stack, address):
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        send_email_to(emulator, stack, address)
    assert refused.value.response["Error"]["Code"] == "BadRequestException"


def test_sesv2_still_sends_to_a_plain_address(emulator, stack):
    send_email_to(emulator, stack, f"plain-{uuid.uuid4().hex[:8]}@example.com")


# DynamoDB conditional writes are atomic ------------------------------------------


def test_of_concurrent_conditional_puts_of_one_key_exactly_one_succeeds(emulator, stack):
    key = f"race-{uuid.uuid4()}"
    dynamodb = emulator.client("dynamodb")

    def put(index: int) -> str:
        try:
            dynamodb.put_item(
                TableName=stack.status_table_name,
                ConditionExpression="attribute_not_exists(notification_id)",
                Item={"notification_id": {"S": key}, "writer": {"N": str(index)}},
            )
        except botocore.exceptions.ClientError as error:
            return error.response["Error"]["Code"]
        return "written"

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(put, range(48)))

    assert outcomes.count("written") == 1, outcomes
    assert set(outcomes) == {"written", "ConditionalCheckFailedException"}


def test_sns_errors_are_named_after_their_exception_not_their_code(emulator, stack, faults):
    # SNS answers ParameterValueInvalid for its InvalidParameterValueException
    faults.add(FaultRule(service="sns", operation="Publish", error_code="ParameterValueInvalid"))
    execution = run_machine(
        emulator,
        stack,
        {
            "StartAt": "Send",
            "States": {
                "Send": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sns:publish",
                    "TimeoutSeconds": 5,
                    "Parameters": {"PhoneNumber": "+14155550199", "Message": "x"},
                    "End": True,
                }
            },
        },
    )
    assert (execution.status, execution.error) == ("FAILED", "SNS.InvalidParameterValueException")


# Lambda retries a failed asynchronous invocation ------------------------------------

# Each invocation leaves a message on a queue (what the function did), then fails if asked to.
COUNTING_HANDLER = """
import json, os
import boto3

sqs = boto3.client("sqs")


class DownstreamUnavailable(Exception):
    pass


def handler(event, context):
    sqs.send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=json.dumps(event))
    if event.get("fail"):
        raise DownstreamUnavailable("the worker could not reach its dependency")
    return {"done": True}
"""


@pytest.fixture
def counting_function(emulator):
    """A function that records each invocation on its own queue: (name, invocations())."""
    sqs, lambda_client = emulator.client("sqs"), emulator.client("lambda")
    name = f"async-probe-{uuid.uuid4().hex[:8]}"
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    role = emulator.client("iam").create_role(
        RoleName=name,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}
                ],
            }
        ),
    )["Role"]["Arn"]
    with tempfile.TemporaryDirectory() as source:
        (Path(source) / "probe.py").write_text(COUNTING_HANDLER)
        code = package_bytes(Path(source))
    lambda_client.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=role,
        Handler="probe.handler",
        Timeout=10,
        Code={"ZipFile": code},
        Environment={"Variables": {"QUEUE_URL": queue_url}},
    )

    def invocations() -> int:
        attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])
        return int(attributes["Attributes"]["ApproximateNumberOfMessages"])

    yield name, invocations
    lambda_client.delete_function(FunctionName=name)
    sqs.delete_queue(QueueUrl=queue_url)


def invoke_event(emulator, name: str, event: dict) -> dict:
    return emulator.client("lambda").invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps(event))


def test_a_failed_async_invocation_is_retried_twice_by_default(emulator, counting_function):
    name, invocations = counting_function

    response = invoke_event(emulator, name, {"fail": True})

    # Answered as AWS answers an Event invocation: queued, whatever happens next.
    assert response["StatusCode"] == 202
    assert "FunctionError" not in response
    assert response["Payload"].read() == b""
    # Run once and retried twice (MaximumRetryAttempts defaults to 2), all before Invoke answered.
    assert invocations() == 3


def test_a_successful_async_invocation_runs_once(emulator, counting_function):
    name, invocations = counting_function

    assert invoke_event(emulator, name, {"fail": False})["StatusCode"] == 202
    assert invocations() == 1


@pytest.mark.parametrize("retries", [0, 1])
def test_async_retries_follow_the_functions_event_invoke_config(emulator, counting_function, retries):
    name, invocations = counting_function
    emulator.client("lambda").put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=retries)

    invoke_event(emulator, name, {"fail": True})

    assert invocations() == 1 + retries


def test_a_synchronous_invocation_is_never_retried(emulator, counting_function):
    name, invocations = counting_function

    response = emulator.client("lambda").invoke(FunctionName=name, Payload=json.dumps({"fail": True}))

    assert "FunctionError" in response
    assert json.loads(response["Payload"].read())["errorType"] == "DownstreamUnavailable"
    assert invocations() == 1


def test_moto_still_runs_event_invocations_through_the_patched_method():
    source = inspect.getsource(LambdaFunction.invoke)  # moto's, through functools.wraps
    assert "self._invoke_lambda(event=body)" in source
    assert 'response_headers["x-amz-function-error"]' in source
    assert list(inspect.signature(LambdaFunction.invoke).parameters) == [
        "self",
        "body",
        "request_headers",
        "response_headers",
    ]
    assert "self.event_invoke_config" in inspect.getsource(LambdaFunction.__init__)


def test_a_dynamodb_task_that_outlives_its_timeout_fails_with_states_timeout(emulator, stack, faults):
    faults.add(FaultRule(service="dynamodb", operation="GetItem", delay_seconds=2, times=1))
    execution = run_machine(
        emulator,
        stack,
        {
            "StartAt": "Read",
            "States": {
                "Read": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::dynamodb:getItem",
                    "TimeoutSeconds": 1,
                    "Parameters": {"TableName": stack.status_table_name, "Key": {"notification_id": {"S": "absent"}}},
                    "End": True,
                }
            },
        },
    )
    assert (execution.status, execution.error) == ("FAILED", "States.Timeout"), execution.describe()


def test_an_execution_started_without_a_name_gets_one(emulator, stack):
    """AWS names it with a UUID; the workflow then uses that name as notification_id."""
    sfn = emulator.client("stepfunctions")
    request = '{"delivery_mode": "text", "message_content": "unnamed", "user_phone": "+14155550177"}'
    first = sfn.start_execution(stateMachineArn=stack.notification_state_machine_arn, input=request)["executionArn"]
    second = sfn.start_execution(stateMachineArn=stack.notification_state_machine_arn, input=request)["executionArn"]

    assert first != second and not first.endswith(":None")
    execution = Observer(stack).wait(first)
    assert execution.status == "SUCCEEDED", execution.describe()
    assert execution.output["notification_id"] == first.rsplit(":", 1)[-1]


def test_moto_api_data_json_lists_the_models_once_lambda_functions_exist(emulator, stack):
    """moto's model dump (GET /moto-api/data.json) read each function's Docker client,
    which needs a Docker daemon: with the order functions deployed it answered 500."""
    with urllib.request.urlopen(f"{emulator.endpoint_url}/moto-api/data.json", timeout=60) as response:
        models = json.loads(response.read())

    functions = {function["function_name"] for function in models["awslambda"]["LambdaFunction"]}
    deployed = emulator.client("lambda").list_functions()["Functions"]  # the order functions
    assert deployed and {function["FunctionName"] for function in deployed} <= functions
    assert stack.order_state_machine_arn in {machine["arn"] for machine in models["stepfunctions"]["StateMachine"]}


# ListExecutions pages stay valid while executions end ------------------------------

WAIT_MACHINE = {"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 600, "End": True}}}


@pytest.fixture
def waiting_executions(emulator):
    sfn = emulator.client("stepfunctions")
    machine = probe_machine(emulator, WAIT_MACHINE, "probe-pages")
    arns = [sfn.start_execution(stateMachineArn=machine, name=f"hold-{i}")["executionArn"] for i in range(5)]
    yield machine, arns
    for arn in arns:
        if sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
            sfn.stop_execution(executionArn=arn)
    sfn.delete_state_machine(stateMachineArn=machine)


def running_page(sfn, machine: str, **token) -> dict:
    return sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING", maxResults=2, **token)


def test_a_running_executions_page_token_outlives_the_execution_it_names(emulator, waiting_executions):
    # GIVEN five running executions, listed two at a time
    sfn = emulator.client("stepfunctions")
    machine, _ = waiting_executions
    first = running_page(sfn, machine)
    listed = [e["executionArn"] for e in first["executions"]]
    following = [e["executionArn"] for e in sfn.list_executions(stateMachineArn=machine)["executions"]][2:]

    # WHEN the execution the next page would start with ends before it is asked for
    sfn.stop_execution(executionArn=following[0])

    # THEN the next pages go on after it, with what still runs, and end
    pages = [running_page(sfn, machine, nextToken=first["nextToken"])]
    while "nextToken" in pages[-1]:
        pages.append(running_page(sfn, machine, nextToken=pages[-1]["nextToken"]))
    rest = [e["executionArn"] for page in pages for e in page["executions"]]
    assert rest == following[1:] and not set(rest) & set(listed)
    assert all(e["status"] == "RUNNING" for page in pages for e in page["executions"])


def test_a_page_token_for_another_filter_is_still_refused(emulator, waiting_executions):
    sfn = emulator.client("stepfunctions")
    machine, _ = waiting_executions
    token = running_page(sfn, machine)["nextToken"]
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        sfn.list_executions(stateMachineArn=machine, statusFilter="SUCCEEDED", maxResults=2, nextToken=token)
    assert refused.value.response["Error"]["Code"] == "InvalidToken"
