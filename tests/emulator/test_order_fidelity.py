"""The emulator corrections the order saga depends on (harness/fidelity.py):
nested executions through the states:startExecution integration, and the cause
of SendTaskFailure. A moto upgrade that breaks either fails here."""

from __future__ import annotations

import json
import uuid

from harness.observe import Observer
from harness.waiting import poll


def machine(emulator, definition: dict) -> str:
    return emulator.client("stepfunctions").create_state_machine(
        name=f"probe-{uuid.uuid4().hex[:8]}", definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/probe")["stateMachineArn"]


def test_a_nested_execution_runs_and_reports_in_the_integrations_case(emulator, stack):
    child = machine(emulator, {"StartAt": "Echo", "States": {"Echo": {
        "Type": "Pass", "Parameters": {"got.$": "$.value"}, "End": True}}})
    parent = machine(emulator, {"StartAt": "Nest", "States": {"Nest": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2", "TimeoutSeconds": 30,
        "Parameters": {"StateMachineArn": child, "Name": "nested-1", "Input": {"value": 7}}, "End": True}}})

    execution = Observer(stack).run({}, state_machine_arn=parent)

    assert execution.status == "SUCCEEDED", execution.describe()
    output = execution.output
    assert output["Status"] == "SUCCEEDED"
    assert output["ExecutionArn"] == child.replace(":stateMachine:", ":execution:") + ":nested-1"
    assert output["Input"] == {"value": 7} and output["Output"] == {"got": 7}  # .sync:2: JSON, not strings
    assert isinstance(output["StartDate"], int) and output["StopDate"] >= output["StartDate"]


def test_a_failed_nested_execution_fails_the_task(emulator, stack):
    child = machine(emulator, {"StartAt": "No", "States": {"No": {"Type": "Fail", "Error": "Nope"}}})
    parent = machine(emulator, {"StartAt": "Nest", "States": {
        "Nest": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2", "TimeoutSeconds": 30,
                 "Parameters": {"StateMachineArn": child, "Input": {}},
                 "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}], "End": True},
        "Caught": {"Type": "Pass", "End": True}}})

    execution = Observer(stack).run({}, state_machine_arn=parent)

    assert execution.path == ["Nest", "Caught"], execution.describe()
    assert execution.output["Error"] == "States.TaskFailed"


def test_send_task_failure_delivers_its_error_and_cause(emulator, stack):
    queue = emulator.client("sqs").create_queue(QueueName=f"probe-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = machine(emulator, {"StartAt": "Wait", "States": {
        "Wait": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                 "TimeoutSeconds": 30, "HeartbeatSeconds": 20,
                 "Parameters": {"QueueUrl": queue, "MessageBody": {"token.$": "$$.Task.Token"}},
                 "Catch": [{"ErrorEquals": ["ApprovalRejected"], "Next": "Rejected"}], "End": True},
        "Rejected": {"Type": "Pass", "End": True}}})
    observer = Observer(stack)
    started = observer.start({}, state_machine_arn=arn)
    sqs = emulator.client("sqs")
    [message] = poll(lambda: sqs.receive_message(QueueUrl=queue).get("Messages"), timeout=10)

    emulator.client("stepfunctions").send_task_failure(
        taskToken=json.loads(message["Body"])["token"], error="ApprovalRejected", cause="too expensive")
    execution = observer.wait(started)

    assert execution.path == ["Wait", "Rejected"], execution.describe()
    assert execution.output == {"Error": "ApprovalRejected", "Cause": "too expensive"}
