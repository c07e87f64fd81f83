"""The TestState API answers as AWS documents it (harness/emulator/test_state.py): one state
of a definition, run with an input, variables, a context and a mocked result or error,
answering its output, next state, or error, and what its Retry or Catch would do.

Expected answers are AWS's: the developer guide's examples ("Using TestState API to test a
state") and AWS's recorded answers in LocalStack's snapshot tests. Plain moto answers
TestState with 404, so every test here fails on it.
"""

from __future__ import annotations

import json
import uuid

import boto3
import botocore.exceptions
import pytest
import requests
from botocore.config import Config

from harness.emulator.embedded import CREDENTIALS

ROLE = "arn:aws:iam::123456789012:role/test-state"
PHONE = "+14155550100"


@pytest.fixture(scope="module")
def sfn(backend, request):
    """A Step Functions client for TestState: botocore prefixes its host with `sync-`,
    which a local endpoint does not answer."""
    engine = request.getfixturevalue("ministack_engine" if backend == "ministack" else "emulator")
    return boto3.client(
        "stepfunctions",
        endpoint_url=engine.endpoint_url,
        region_name="us-east-1",
        config=Config(inject_host_prefix=False, retries={"total_max_attempts": 1}),
        **CREDENTIALS,
    )


def test_state(sfn, definition: dict, **kwargs) -> dict:
    answer = sfn.test_state(definition=json.dumps(definition), **kwargs)
    answer.pop("ResponseMetadata")
    return answer


test_state.__test__ = False  # a helper, not a test


def mock_result(value) -> dict:
    return {"result": json.dumps(value)}


def mock_error(error: str, cause: str = "mocked") -> dict:
    return {"errorOutput": {"error": error, "cause": cause}}


def jsonata(state: dict) -> dict:
    return {"QueryLanguage": "JSONata", **state}


LAMBDA_TASK = {
    "Type": "Task",
    "Resource": "arn:aws:states:::lambda:invoke",
    "Parameters": {"FunctionName": "charge", "Payload.$": "$.order"},
    "ResultSelector": {"charged.$": "$.Payload.charged"},
    "ResultPath": "$.payment",
    "Next": "Confirm",
}
SNS_TASK_JSONATA = jsonata(
    {
        "Type": "Task",
        "Resource": "arn:aws:states:::sns:publish",
        "Arguments": {
            "PhoneNumber": "{% $states.input.phone %}",
            "Message": "{% $greeting & ' ' & $states.input.name %}",
        },
        "Assign": {"messageId": "{% $states.result.MessageId %}"},
        "Output": {"sent": "{% $states.result.MessageId %}"},
        "Next": "Done",
    }
)
PARALLEL = {
    "Type": "Parallel",
    "Branches": [
        {
            "StartAt": "Sms",
            "States": {"Sms": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "End": True}},
        },
        {"StartAt": "Mail", "States": {"Mail": {"Type": "Pass", "End": True}}},
    ],
    "ResultPath": "$.channels",
    "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.failure", "Next": "RecordFailure"}],
    "Next": "Decide",
}
MAP = {
    "Type": "Map",
    "ItemsPath": "$.items",
    "ToleratedFailureCount": 1,
    "ItemProcessor": {
        "ProcessorConfig": {"Mode": "INLINE"},
        "StartAt": "Double",
        "States": {"Double": {"Type": "Pass", "End": True}},
    },
    "Catch": [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "TooManyFailed"}],
    "End": True,
}

# (id, definition, TestState arguments, what the answer holds)
ANSWERS = [
    (
        "pass-jsonpath-debug",  # the developer guide's DEBUG example, field for field
        {
            "Type": "Pass",
            "InputPath": "$.payload",
            "Parameters": {"data": 1},
            "ResultPath": "$.result",
            "OutputPath": "$.result.data",
            "Next": "Another State",
        },
        {"input": json.dumps({"payload": {"foo": "bar"}}), "inspectionLevel": "DEBUG"},
        {
            "status": "SUCCEEDED",
            "output": 1,
            "nextState": "Another State",
            "inspectionData": {
                "input": {"payload": {"foo": "bar"}},
                "afterInputPath": {"foo": "bar"},
                "afterParameters": {"data": 1},
                "afterResultSelector": {"data": 1},
                "afterResultPath": {"payload": {"foo": "bar"}, "result": {"data": 1}},
            },
        },
    ),
    (
        "choice-jsonpath",  # the developer guide's INFO example
        {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.number", "NumericEquals": 1, "Next": "Equals 1"},
                {"Variable": "$.number", "NumericEquals": 2, "Next": "Equals 2"},
            ],
            "Default": "No Match",
        },
        {"input": json.dumps({"number": 2})},
        {"status": "SUCCEEDED", "output": {"number": 2}, "nextState": "Equals 2"},
    ),
    (
        "choice-jsonata-default",
        jsonata(
            {
                "Type": "Choice",
                "Choices": [{"Condition": "{% $states.input.mode = 'text' %}", "Next": "SendSms"}],
                "Default": "Reject",
            }
        ),
        {"input": json.dumps({"mode": "fax"})},
        {"status": "SUCCEEDED", "nextState": "Reject"},
    ),
    (
        "pass-jsonata-variables",
        jsonata(
            {
                "Type": "Pass",
                "Assign": {"total": "{% $base + $states.input.extra %}"},
                "Output": {"total": "{% $base + $states.input.extra %}"},
                "End": True,
            }
        ),
        {"input": json.dumps({"extra": 2}), "variables": json.dumps({"base": 40}), "inspectionLevel": "DEBUG"},
        {"status": "SUCCEEDED", "output": {"total": 42}, "inspectionData": {"variables": {"base": 40, "total": 42}}},
    ),
    (
        "pass-jsonata-quoted-strings",  # a quote, backslash or line break in a variable or the input
        jsonata({"Type": "Pass", "Output": {"both": "{% $greeting & ' / ' & $states.input.text %}"}, "End": True}),
        {"input": json.dumps({"text": 'a "quoted" \\ line\nnext'}), "variables": json.dumps({"greeting": 'say "hi"'})},
        {"status": "SUCCEEDED", "output": {"both": 'say "hi" / a "quoted" \\ line\nnext'}},
    ),
    (
        "wait",
        {"Type": "Wait", "Seconds": 1, "Next": "Later"},
        {"input": json.dumps({"a": 1})},
        {"status": "SUCCEEDED", "output": {"a": 1}, "nextState": "Later"},
    ),
    (
        "succeed-outputpath",
        {"Type": "Succeed", "OutputPath": "$.kept"},
        {"input": json.dumps({"kept": {"b": 2}, "dropped": 1})},
        {"status": "SUCCEEDED", "output": {"b": 2}},
    ),
    (
        "fail-jsonpath",
        {"Type": "Fail", "Error": "InvalidRequest", "Cause": "user_phone is missing"},
        {},
        {"status": "FAILED", "error": "InvalidRequest", "cause": "user_phone is missing"},
    ),
    (
        "fail-jsonata-expressions",
        jsonata(
            {
                "Type": "Fail",
                "Error": "{% 'Invalid' & $states.input.what %}",
                "Cause": "{% $states.input.field & ' is missing' %}",
            }
        ),
        {"input": json.dumps({"what": "Request", "field": "user_email"})},
        {"status": "FAILED", "error": "InvalidRequest", "cause": "user_email is missing"},
    ),
    (
        "task-mock-result-jsonpath",
        LAMBDA_TASK,
        {
            "input": json.dumps({"order": {"id": "o-1"}}),
            "mock": mock_result({"StatusCode": 200, "Payload": {"charged": True}}),
            "inspectionLevel": "DEBUG",
        },
        {
            "status": "SUCCEEDED",
            "nextState": "Confirm",
            "output": {"order": {"id": "o-1"}, "payment": {"charged": True}},
            "inspectionData": {
                "afterParameters": {"FunctionName": "charge", "Payload": {"id": "o-1"}},
                "result": {"StatusCode": 200, "Payload": {"charged": True}},
                "afterResultSelector": {"charged": True},
                "afterResultPath": {"order": {"id": "o-1"}, "payment": {"charged": True}},
            },
        },
    ),
    (
        "task-mock-result-jsonata",
        SNS_TASK_JSONATA,
        {
            "input": json.dumps({"phone": PHONE, "name": "Ann"}),
            "variables": json.dumps({"greeting": "Hello"}),
            "mock": mock_result({"MessageId": "m-1"}),
            "inspectionLevel": "DEBUG",
        },
        {
            "status": "SUCCEEDED",
            "nextState": "Done",
            "output": {"sent": "m-1"},
            "inspectionData": {
                "afterArguments": {"PhoneNumber": PHONE, "Message": "Hello Ann"},
                "result": {"MessageId": "m-1"},
                "variables": {"greeting": "Hello", "messageId": "m-1"},
            },
        },
    ),
    (
        "task-mock-context",  # the developer guide's context example
        {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {
                "FunctionName": "f",
                "Payload": {"executionId.$": "$$.Execution.Id", "enteredTime.$": "$$.State.EnteredTime"},
            },
            "End": True,
        },
        {
            "context": json.dumps(
                {
                    "Execution": {"Id": "arn:aws:states:us-east-1:123456789012:execution:M:test-exec-123"},
                    "State": {"Name": "ProcessData", "EnteredTime": "2024-01-01T10:00:05.000Z"},
                }
            ),
            "mock": mock_result({"StatusCode": 200, "Payload": "ok"}),
            "inspectionLevel": "DEBUG",
        },
        {
            "status": "SUCCEEDED",
            "inspectionData": {
                "afterParameters": {
                    "FunctionName": "f",
                    "Payload": {
                        "executionId": "arn:aws:states:us-east-1:123456789012:execution:M:test-exec-123",
                        "enteredTime": "2024-01-01T10:00:05.000Z",
                    },
                }
            },
        },
    ),
    (
        "parallel-mock-result",
        PARALLEL,
        {"input": json.dumps({"id": "n-1"}), "mock": mock_result([{"MessageId": "m"}, {"email": "SENT"}])},
        {
            "status": "SUCCEEDED",
            "nextState": "Decide",
            "output": {"id": "n-1", "channels": [{"MessageId": "m"}, {"email": "SENT"}]},
        },
    ),
    (
        "parallel-mock-error-caught",
        PARALLEL,
        {
            "input": json.dumps({"id": "n-1"}),
            "mock": mock_error("SNS.ThrottledException", "Rate exceeded"),
            "stateConfiguration": {"errorCausedByState": "Sms"},
        },
        {
            "status": "CAUGHT_ERROR",
            "nextState": "RecordFailure",
            "error": "SNS.ThrottledException",
            "output": {"id": "n-1", "failure": {"Error": "SNS.ThrottledException", "Cause": "Rate exceeded"}},
        },
    ),
    (
        "map-mock-within-tolerance",
        MAP,
        {
            "input": json.dumps({"items": [1, 2, 3]}),
            "mock": mock_result([2, 4, 6]),
            "stateConfiguration": {"mapIterationFailureCount": 1},
        },
        {"status": "SUCCEEDED", "output": [2, 4, 6]},
    ),
    (
        "map-mock-over-tolerance",
        MAP,
        {
            "input": json.dumps({"items": [1, 2, 3]}),
            "mock": mock_result([2, 4, 6]),
            "stateConfiguration": {"mapIterationFailureCount": 2},
        },
        {
            "status": "CAUGHT_ERROR",
            "nextState": "TooManyFailed",
            "error": "States.ExceedToleratedFailureThreshold",
            "cause": "The specified tolerated failure threshold was exceeded",
        },
    ),
]


def _decoded(answer: dict) -> dict:
    """TestState's JSON fields are strings: decode them to compare values, not spacing."""
    decoded = dict(answer)
    if "output" in decoded:
        decoded["output"] = json.loads(decoded["output"])
    inspection = {}
    for key, value in (answer.get("inspectionData") or {}).items():
        inspection[key] = json.loads(value) if isinstance(value, str) else value
    if inspection:
        decoded["inspectionData"] = inspection
    return decoded


def _holds(answer: dict, expected: dict) -> None:
    for key, value in expected.items():
        if key == "inspectionData":
            for field, field_value in value.items():
                assert answer["inspectionData"].get(field) == field_value, (field, answer)
        else:
            assert answer.get(key) == value, (key, answer)


@pytest.mark.parametrize(
    ("definition", "arguments", "expected"), [case[1:] for case in ANSWERS], ids=[case[0] for case in ANSWERS]
)
def test_a_state_answers_its_output_next_state_or_error(sfn, definition, arguments, expected):
    answer = _decoded(test_state(sfn, definition, **arguments))
    _holds(answer, expected)
    assert ("nextState" in answer) == ("nextState" in expected), answer  # an end state names none


def send_sms(query_language: str, where: str = "parallel-branch") -> dict:
    """The notification workflow's SMS channel: permanent errors go straight to the Catch,
    throttling is retried twice with backoff. `where`: a top-level state, or (as shipped)
    inside a Parallel branch."""
    if query_language == "JSONata":
        io = {
            "Arguments": {"PhoneNumber": "{% $states.input.phone %}", "Message": "{% $states.input.text %}"},
            "Output": "{% $states.result %}",
        }
        catch_io = {"Output": {"phone": "{% $states.input.phone %}", "error": "{% $states.errorOutput %}"}}
    else:
        io = {"Parameters": {"PhoneNumber.$": "$.phone", "Message.$": "$.text"}}
        catch_io = {"ResultPath": "$.error"}
    send = {
        "Type": "Task",
        "Resource": "arn:aws:states:::sns:publish",
        **io,
        "Retry": [
            {"ErrorEquals": ["SNS.InvalidParameterException"], "MaxAttempts": 0},
            {
                "ErrorEquals": ["SNS.ThrottledException", "States.Timeout"],
                "IntervalSeconds": 1,
                "BackoffRate": 2,
                "MaxAttempts": 2,
                "MaxDelaySeconds": 30,
            },
        ],
        "Catch": [{"ErrorEquals": ["States.ALL"], **catch_io, "Next": "SmsFailed"}],
        "Next": "SmsSent",
    }
    channel = {
        "StartAt": "SendSms",
        "States": {"SendSms": send, "SmsSent": {"Type": "Succeed"}, "SmsFailed": {"Type": "Succeed"}},
    }
    machine = (
        channel
        if where == "top-level"
        else {"StartAt": "Deliver", "States": {"Deliver": {"Type": "Parallel", "Branches": [channel], "End": True}}}
    )
    if query_language == "JSONata":
        machine = {"QueryLanguage": "JSONata", **machine}
    return machine


# (id, mocked error, retrierRetryCount, status, errorDetails)
ATTEMPTS = [
    ("throttled-1st", "SNS.ThrottledException", 0, "RETRIABLE", {"retryIndex": 1, "retryBackoffIntervalSeconds": 1}),
    ("throttled-2nd", "SNS.ThrottledException", 1, "RETRIABLE", {"retryIndex": 1, "retryBackoffIntervalSeconds": 2}),
    ("throttled-3rd-caught", "SNS.ThrottledException", 2, "CAUGHT_ERROR", {"catchIndex": 0}),
    ("timeout-retried", "States.Timeout", 0, "RETRIABLE", {"retryIndex": 1, "retryBackoffIntervalSeconds": 1}),
    ("permanent-not-retried", "SNS.InvalidParameterException", 0, "CAUGHT_ERROR", {"catchIndex": 0}),
    ("unlisted-caught", "SNS.AuthorizationErrorException", 0, "CAUGHT_ERROR", {"catchIndex": 0}),
]


@pytest.mark.parametrize("where", ["top-level", "parallel-branch"])
@pytest.mark.parametrize("query_language", ["JSONPath", "JSONata"])
@pytest.mark.parametrize(
    ("error", "retries", "status", "details"), [case[1:] for case in ATTEMPTS], ids=[case[0] for case in ATTEMPTS]
)
def test_a_mocked_error_is_retriable_or_caught_as_the_state_says(
    sfn, query_language, where, error, retries, status, details
):
    answer = test_state(
        sfn,
        send_sms(query_language, where),
        stateName="SendSms",
        input=json.dumps({"phone": PHONE, "text": "hi"}),
        mock=mock_error(error, "Rate exceeded"),
        stateConfiguration={"retrierRetryCount": retries},
        inspectionLevel="DEBUG",
    )
    assert (answer["status"], answer["error"], answer["cause"]) == (status, error, "Rate exceeded"), answer
    assert answer["inspectionData"]["errorDetails"] == details, answer
    if status == "RETRIABLE":
        assert "output" not in answer and "nextState" not in answer, answer
    else:
        assert answer["nextState"] == "SmsFailed", answer
        assert json.loads(answer["output"]) == {"phone": PHONE, "error": {"Error": error, "Cause": "Rate exceeded"}} | (
            {"text": "hi"} if query_language == "JSONPath" else {}
        )


def test_an_error_no_retry_or_catch_handles_fails_the_state(sfn):
    definition = {
        "Type": "Task",
        "Resource": "arn:aws:states:::sns:publish",
        "Retry": [{"ErrorEquals": ["SNS.ThrottledException"], "MaxAttempts": 1}],
        "End": True,
    }
    exhausted = test_state(
        sfn,
        definition,
        mock=mock_error("SNS.ThrottledException"),
        stateConfiguration={"retrierRetryCount": 1},
        inspectionLevel="DEBUG",
    )
    assert (exhausted["status"], exhausted["inspectionData"]["errorDetails"]) == ("FAILED", {"retryIndex": 0}), (
        exhausted
    )
    unmatched = test_state(sfn, definition, mock=mock_error("SNS.OptedOutException"))
    assert (unmatched["status"], unmatched["error"]) == ("FAILED", "SNS.OptedOutException"), unmatched


@pytest.mark.parametrize("query_language", ["JSONPath", "JSONata"])
def test_a_state_inside_a_map_gets_the_map_item_context(sfn, query_language):
    """Without a context, AWS fills $$.Map.Item with the first iteration: index 0, the input as value."""
    if query_language == "JSONata":
        inner = {
            "Type": "Pass",
            "Output": {
                "index": "{% $states.context.Map.Item.Index %}",
                "value": "{% $states.context.Map.Item.Value %}",
            },
            "End": True,
        }
    else:
        inner = {
            "Type": "Pass",
            "Parameters": {"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value"},
            "End": True,
        }
    machine = {
        "QueryLanguage": query_language,
        "StartAt": "Each",
        "States": {
            "Each": {"Type": "Map", "ItemProcessor": {"StartAt": "Item", "States": {"Item": inner}}, "End": True}
        },
    }
    answer = test_state(sfn, machine, stateName="Item", input=json.dumps({"sku": "a"}))
    assert json.loads(answer["output"]) == {"index": 0, "value": {"sku": "a"}}, answer


# (id, definition, TestState arguments, error code (None: AWS documents none), words of the message)
REFUSALS = [
    (
        "mock-on-pass",
        {"Type": "Pass", "End": True},
        {"mock": mock_result({})},
        "ValidationException",
        "State type 'Pass' is not supported when a mock is specified",
    ),
    (
        "mock-on-choice",
        {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": True, "Next": "X"}]},
        {"mock": mock_error("E")},
        "ValidationException",
        "State type 'Choice' is not supported",
    ),
    (
        "result-and-error",
        {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "End": True},
        {"mock": {**mock_result({}), **mock_error("E")}},
        "ValidationException",
        "only one of the following fields: [result, errorOutput]",
    ),
    (
        "reveal-secrets-with-mock",
        {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "End": True},
        {"mock": mock_result({}), "revealSecrets": True},
        "ValidationException",
        "does not support RevealSecrets when a mock is specified",
    ),
    ("map-without-mock", MAP, {"roleArn": ROLE}, "InvalidDefinition", "does not support Map or Parallel states"),
    (
        "parallel-without-mock",
        PARALLEL,
        {"roleArn": ROLE},
        "InvalidDefinition",
        "does not support Map or Parallel states",
    ),
    (
        "parallel-result-not-array",
        PARALLEL,
        {"mock": mock_result({"a": 1})},
        "ValidationException",
        "Mocked result must be an array.",
    ),
    (
        "parallel-result-wrong-size",
        PARALLEL,
        {"mock": mock_result([1])},
        "ValidationException",
        "same number of items as number of Parallel branches",
    ),
    (
        "map-result-not-array",
        MAP,
        {"mock": mock_result({"a": 1})},
        "ValidationException",
        "Mocked result must be an array.",
    ),
    ("parallel-error-without-source", PARALLEL, {"mock": mock_error("E")}, "ValidationException", "errorCausedByState"),
    (
        "callback-without-mock",
        {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": True},
        {"roleArn": ROLE},
        "ValidationException",
        "",
    ),
    (
        "task-without-role-or-mock",
        {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "End": True},
        {},
        None,
        "",
    ),
    ("context-without-mock", {"Type": "Pass", "End": True}, {"context": "{}"}, None, ""),
    (
        "state-name-missing",
        send_sms("JSONPath"),
        {"stateName": "Nowhere", "mock": mock_result({})},
        None,
        "'Nowhere'",
    ),
    ("not-a-state", {"Type": "Teleport", "End": True}, {}, "InvalidDefinition", ""),
    ("input-not-json", {"Type": "Pass", "End": True}, {"input": "{not json"}, "InvalidExecutionInput", ""),
]


@pytest.mark.parametrize(
    ("definition", "arguments", "code", "words"), [case[1:] for case in REFUSALS], ids=[case[0] for case in REFUSALS]
)
def test_what_aws_refuses_is_refused(sfn, definition, arguments, code, words):
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        test_state(sfn, definition, **arguments)
    error = refused.value.response["Error"]
    assert error["Code"] == (code or error["Code"]) and words in error["Message"], error


# (id, Resource, mocked result, fieldValidationMode, AWS's message, or None: accepted)
MOCK_SHAPES = [
    ("sns-strict-ok", "arn:aws:states:::sns:publish", {"MessageId": "m-1"}, "STRICT", None),
    (
        "sns-strict-wrong-type",
        "arn:aws:states:::sns:publish",
        {"MessageId": 12345},
        "STRICT",
        "Field 'MessageId' must be a string",
    ),
    (
        "sns-present-wrong-type",
        "arn:aws:states:::sns:publish",
        {"MessageId": 12345},
        "PRESENT",
        "Field 'MessageId' must be a string",
    ),
    ("sns-none-wrong-type", "arn:aws:states:::sns:publish", {"MessageId": 12345}, "NONE", None),
    ("sns-unknown-field-ignored", "arn:aws:states:::sns:publish", {"random": "json"}, "STRICT", None),
    (
        "sesv2-strict-wrong-type",
        "arn:aws:states:::aws-sdk:sesv2:sendEmail",
        {"MessageId": ["x"]},
        "STRICT",
        "Field 'MessageId' must be a string",
    ),
    (
        "lambda-status-code-string",
        "arn:aws:states:::lambda:invoke",
        {"StatusCode": "200", "Payload": {}},
        "STRICT",
        "Field 'StatusCode' must be a number",
    ),
    (
        "lambda-payload-any-json",
        "arn:aws:states:::lambda:invoke",
        {"StatusCode": 200, "Payload": {"ok": [1]}},
        "STRICT",
        None,
    ),
    (
        "dynamodb-nested-number",
        "arn:aws:states:::dynamodb:putItem",
        {"ConsumedCapacity": {"CapacityUnits": "1"}},
        "STRICT",
        "Field 'CapacityUnits' must be a number",
    ),
    (
        "sync-strict-required",
        "arn:aws:states:::states:startExecution.sync:2",
        {"Output": "{}"},
        "STRICT",
        "Required field 'ExecutionArn' is missing",
    ),
    (
        "sync-present-required-skipped",
        "arn:aws:states:::states:startExecution.sync:2",
        {"Output": "{}"},
        "PRESENT",
        None,
    ),
    (
        "sync-timestamp-not-string",
        "arn:aws:states:::states:startExecution.sync:2",
        {"ExecutionArn": "a", "StateMachineArn": "b", "Status": "SUCCEEDED", "StartDate": True},
        "STRICT",
        "Field 'StartDate' must be a string",
    ),
    (
        "sync-enum",
        "arn:aws:states:::states:startExecution.sync:2",
        {"ExecutionArn": "a", "StateMachineArn": "b", "Status": "DONE", "StartDate": "2026-01-01T00:00:00Z"},
        "STRICT",
        "Field 'Status' is not an expected value",
    ),
    (
        "kms-blob-under-minimum",
        "arn:aws:states:::aws-sdk:kms:encrypt",
        {"CiphertextBlob": ""},
        "STRICT",
        "Field 'CiphertextBlob' is smaller than the minimum length",
    ),
    (
        "lambda-sdk-memory-under-minimum",
        "arn:aws:states:::aws-sdk:lambda:getFunction",
        {"Configuration": {"MemorySize": 127}},
        "STRICT",
        "Field 'MemorySize' is less than the minimum value",
    ),
    ("callback-not-validated", "arn:aws:states:::sqs:sendMessage.waitForTaskToken", {"approved": 1}, "STRICT", None),
]


@pytest.mark.parametrize(
    ("resource", "result", "mode", "message"), [case[1:] for case in MOCK_SHAPES], ids=[case[0] for case in MOCK_SHAPES]
)
def test_a_mocked_result_is_checked_against_the_integrations_api_model(sfn, resource, result, mode, message):
    definition = {"Type": "Task", "Resource": resource, "End": True}
    mock = {"result": json.dumps(result), "fieldValidationMode": mode}
    if message is None:
        answer = test_state(sfn, definition, mock=mock)
        assert (answer["status"], json.loads(answer["output"])) == ("SUCCEEDED", result), answer
        return
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        test_state(sfn, definition, mock=mock)
    error = refused.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "ValidationException",
        f"Mock result schema validation error: {message}",
    )


@pytest.mark.parametrize("query_language", ["JSONPath", "JSONata"])
def test_without_a_mock_a_task_calls_the_emulators_service(emulator, sfn, query_language):
    """No mock: the Task really publishes, as in an execution, and the SMS is recorded."""
    phone = f"+1415555{uuid.uuid4().int % 10000:04d}"
    text = f"test-state {uuid.uuid4().hex[:8]}"
    if query_language == "JSONata":
        send = jsonata(
            {
                "Type": "Task",
                "Resource": "arn:aws:states:::sns:publish",
                "Arguments": {"PhoneNumber": phone, "Message": "{% $states.input.text %}"},
                "End": True,
            }
        )
    else:
        send = {
            "Type": "Task",
            "Resource": "arn:aws:states:::sns:publish",
            "Parameters": {"PhoneNumber": phone, "Message.$": "$.text"},
            "End": True,
        }
    answer = test_state(sfn, send, roleArn=ROLE, input=json.dumps({"text": text}))
    assert answer["status"] == "SUCCEEDED" and json.loads(answer["output"])["MessageId"], answer
    sent = requests.get(
        f"{emulator.endpoint_url}/_aws/sns/sms-messages", params={"phoneNumber": phone}, timeout=10
    ).json()
    assert [m["Message"] for m in sent["sms_messages"][phone]] == [text]


def test_without_a_mock_a_service_error_goes_to_the_states_catch(emulator, sfn):
    """A real refusal (a phone number SNS refuses) is handled by the state's own Catch."""
    definition = send_sms("JSONPath")
    answer = test_state(
        sfn, definition, stateName="SendSms", roleArn=ROLE, input=json.dumps({"phone": "+1-415-555-0100", "text": "hi"})
    )
    assert (answer["status"], answer["error"], answer["nextState"]) == (
        "CAUGHT_ERROR",
        "SNS.InvalidParameterException",
        "SmsFailed",
    ), answer
