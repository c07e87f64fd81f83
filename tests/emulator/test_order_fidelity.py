"""What the order saga needs of the emulator: the corrections it depends on
(harness/emulator/fidelity.py: nested executions through the states:startExecution
integration, the cause of SendTaskFailure, answers to a closed task), and a Fail
state that takes its error and cause from the state data (ErrorPath, CausePath),
which moto's interpreter does without a correction. A moto upgrade that breaks
any of them fails here."""

from __future__ import annotations

import json
import uuid

import pytest

from harness.observe.observer import Observer
from harness.observe.waiting import poll


def machine(emulator, definition: dict) -> str:
    return emulator.client("stepfunctions").create_state_machine(
        name=f"probe-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/probe",
    )["stateMachineArn"]


@pytest.mark.parametrize(
    "outcome",
    [
        {"reason": "PaymentDeclined", "cause": "the card was declined"},
        {"reason": "CompensationFailed", "cause": "refund failed"},
    ],
)
def test_a_fail_state_takes_its_error_and_cause_from_the_state_data(emulator, stack, outcome):
    """AWS: ErrorPath and CausePath name the error and the cause with a path into the
    state's input (the order definition's one Fail state reads $.outcome)."""
    arn = machine(
        emulator,
        {
            "StartAt": "Decide",
            "States": {
                "Decide": {
                    "Type": "Pass",
                    "Parameters": {"reason.$": "$.reason", "cause.$": "$.cause"},
                    "ResultPath": "$.outcome",
                    "Next": "FailOrder",
                },
                "FailOrder": {"Type": "Fail", "ErrorPath": "$.outcome.reason", "CausePath": "$.outcome.cause"},
            },
        },
    )

    execution = Observer(stack).run(outcome, state_machine_arn=arn)

    assert execution.path == ["Decide", "FailOrder"], execution.describe()
    assert (execution.status, execution.error, execution.cause) == ("FAILED", outcome["reason"], outcome["cause"])


def test_a_nested_execution_runs_and_reports_in_the_integrations_case(emulator, stack):
    child = machine(
        emulator,
        {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "Parameters": {"got.$": "$.value"}, "End": True}}},
    )
    parent = machine(
        emulator,
        {
            "StartAt": "Nest",
            "States": {
                "Nest": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::states:startExecution.sync:2",
                    "TimeoutSeconds": 30,
                    "Parameters": {"StateMachineArn": child, "Name": "nested-1", "Input": {"value": 7}},
                    "End": True,
                }
            },
        },
    )

    execution = Observer(stack).run({}, state_machine_arn=parent)

    assert execution.status == "SUCCEEDED", execution.describe()
    output = execution.output
    assert output["Status"] == "SUCCEEDED"
    assert output["ExecutionArn"] == child.replace(":stateMachine:", ":execution:") + ":nested-1"
    assert output["Input"] == {"value": 7} and output["Output"] == {"got": 7}  # .sync:2: JSON, not strings
    assert isinstance(output["StartDate"], int) and output["StopDate"] >= output["StartDate"]


def test_a_failed_nested_execution_fails_the_task(emulator, stack):
    child = machine(emulator, {"StartAt": "No", "States": {"No": {"Type": "Fail", "Error": "Nope"}}})
    parent = machine(
        emulator,
        {
            "StartAt": "Nest",
            "States": {
                "Nest": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::states:startExecution.sync:2",
                    "TimeoutSeconds": 30,
                    "Parameters": {"StateMachineArn": child, "Input": {}},
                    "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}],
                    "End": True,
                },
                "Caught": {"Type": "Pass", "End": True},
            },
        },
    )

    execution = Observer(stack).run({}, state_machine_arn=parent)

    assert execution.path == ["Nest", "Caught"], execution.describe()
    assert execution.output["Error"] == "States.TaskFailed"


def test_send_task_failure_delivers_its_error_and_cause(emulator, stack):
    queue = emulator.client("sqs").create_queue(QueueName=f"probe-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = machine(
        emulator,
        {
            "StartAt": "Wait",
            "States": {
                "Wait": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                    "TimeoutSeconds": 30,
                    "HeartbeatSeconds": 20,
                    "Parameters": {"QueueUrl": queue, "MessageBody": {"token.$": "$$.Task.Token"}},
                    "Catch": [{"ErrorEquals": ["ApprovalRejected"], "Next": "Rejected"}],
                    "End": True,
                },
                "Rejected": {"Type": "Pass", "End": True},
            },
        },
    )
    observer = Observer(stack)
    started = observer.start({}, state_machine_arn=arn)
    sqs = emulator.client("sqs")
    [message] = poll(lambda: sqs.receive_message(QueueUrl=queue).get("Messages"), timeout=10)

    emulator.client("stepfunctions").send_task_failure(
        taskToken=json.loads(message["Body"])["token"], error="ApprovalRejected", cause="too expensive"
    )
    execution = observer.wait(started)

    assert execution.path == ["Wait", "Rejected"], execution.describe()
    assert execution.output == {"Error": "ApprovalRejected", "Cause": "too expensive"}


def answer(sfn, how: str, token: str) -> str | None:
    """Answer a task token; the error code, or None when it was taken."""
    calls = {
        "success": lambda: sfn.send_task_success(taskToken=token, output="{}"),
        "failure": lambda: sfn.send_task_failure(taskToken=token, error="ApprovalRejected", cause="late"),
        "heartbeat": lambda: sfn.send_task_heartbeat(taskToken=token),
    }
    try:
        calls[how]()
    except sfn.exceptions.ClientError as error:
        return error.response["Error"]["Code"]
    return None


@pytest.mark.parametrize(
    "limits",
    [{"TimeoutSeconds": 1}, {"TimeoutSeconds": 30, "HeartbeatSeconds": 1}],
    ids=["timeout", "heartbeat-timeout"],
)
def test_answering_a_task_that_timed_out_is_task_timed_out_and_an_unknown_token_invalid_token(emulator, stack, limits):
    """AWS: TaskTimedOut when "the task token has either expired or the task associated
    with the token has already been closed"; InvalidToken for a token it never issued."""
    sqs, sfn = emulator.client("sqs"), emulator.client("stepfunctions")
    queue = sqs.create_queue(QueueName=f"probe-{uuid.uuid4().hex[:8]}")["QueueUrl"]

    def asks(step: str, then: dict) -> dict:
        return {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": queue, "MessageBody": {"step": step, "token.$": "$$.Task.Token"}},
            **then,
        }

    # GIVEN an approval that times out (caught), then a second one that keeps the execution running
    arn = machine(
        emulator,
        {
            "StartAt": "Approve",
            "States": {
                "Approve": asks(
                    "approve", {**limits, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Hold"}], "End": True}
                ),
                "Hold": asks("hold", {"TimeoutSeconds": 30, "End": True}),
            },
        },
    )
    observer = Observer(stack)
    started = observer.start({}, state_machine_arn=arn)
    tokens: dict[str, str] = {}

    def both_asked() -> bool:
        for message in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
            body = json.loads(message["Body"])
            tokens[body["step"]] = body["token"]
        return len(tokens) == 2

    poll(both_asked, timeout=15, describe=lambda: f"asked so far: {sorted(tokens)}")
    never_issued = str(uuid.uuid4())  # shaped like the emulator's tokens

    # WHEN the timed-out approval is answered while the execution still runs, and an unknown token is used
    # THEN the late answer is TaskTimedOut and the unknown token InvalidToken, for every kind of answer
    for how in ("success", "failure", "heartbeat"):
        assert answer(sfn, how, tokens["approve"]) == "TaskTimedOut", how
        assert answer(sfn, how, never_issued) == "InvalidToken", how
    assert sfn.describe_execution(executionArn=started)["status"] == "RUNNING"

    # AND once the execution has ended, the same holds (and for the token that was answered)
    assert answer(sfn, "success", tokens["hold"]) is None
    execution = observer.wait(started)
    assert execution.path == ["Approve", "Hold"], execution.describe()
    for how in ("success", "failure", "heartbeat"):
        assert answer(sfn, how, tokens["approve"]) == "TaskTimedOut", how
        assert answer(sfn, how, tokens["hold"]) == "TaskTimedOut", how
        assert answer(sfn, how, never_issued) == "InvalidToken", how
