"""JSONata definitions run on the embedded engine as on AWS (harness/emulator/jsonata_evaluation.py):
expressions are evaluated, an expression that fails fails its state with
States.QueryEvaluationError, and a definition whose expression does not parse is refused."""

from __future__ import annotations

import json
import uuid

import botocore.exceptions
import pytest

from harness.emulator import jsonata_evaluation
from harness.observe.waiting import poll

ROLE = "arn:aws:iam::123456789012:role/probe"


def jsonata_machine(states: dict, start: str) -> dict:
    return {"QueryLanguage": "JSONata", "StartAt": start, "States": states}


def run(emulator, definition: dict, request: dict) -> dict:
    """Create the machine, run it to its end; DescribeExecution's answer."""
    sfn = emulator.client("stepfunctions")
    machine = sfn.create_state_machine(
        name=f"jsonata-{uuid.uuid4().hex[:8]}", definition=json.dumps(definition), roleArn=ROLE
    )["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps(request))["executionArn"]

    def ended():
        described = sfn.describe_execution(executionArn=arn)
        return described if described["status"] != "RUNNING" else None

    return poll(ended, timeout=20, describe=lambda: f"{arn} still running")


@pytest.fixture(scope="module")
def table(emulator) -> str:
    name = f"jsonata-{uuid.uuid4().hex[:8]}"
    emulator.client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def recording_machine(table: str) -> dict:
    """Assign, Arguments to dynamodb:putItem, a Choice Condition, Output, $states.context,
    $toMillis and a Fail Cause expression: what the project's definitions use."""
    return jsonata_machine(
        {
            "Remember": {
                "Type": "Pass",
                "Assign": {
                    "id": "{% $states.input.id %}",
                    "expires_at": "{% $floor($toMillis($states.context.Execution.StartTime) / 1000) + 86400 %}",
                },
                "Next": "Record",
            },
            "Record": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:putItem",
                "TimeoutSeconds": 5,
                "Arguments": {
                    "TableName": table,
                    "Item": {"id": {"S": "{% $id %}"}, "expires_at": {"N": "{% $string($expires_at) %}"}},
                },
                "Output": {"id": "{% $id %}", "kind": "{% $states.input.kind %}"},
                "Next": "Route",
            },
            "Route": {
                "Type": "Choice",
                "Choices": [{"Condition": "{% $states.input.kind = 'good' %}", "Next": "Done"}],
                "Default": "Refuse",
            },
            "Done": {
                "Type": "Pass",
                "Output": {"recorded": "{% $id %}", "expires_at": "{% $expires_at %}"},
                "End": True,
            },
            "Refuse": {"Type": "Fail", "Error": "Refused", "Cause": "{% 'kind ' & $states.input.kind & ' refused' %}"},
        },
        "Remember",
    )


def test_a_jsonata_definition_runs_its_expressions(emulator, table):
    ended = run(emulator, recording_machine(table), {"id": "a-1", "kind": "good"})
    assert ended["status"] == "SUCCEEDED", ended
    output = json.loads(ended["output"])
    started = int(ended["startDate"].timestamp())
    assert output == {"recorded": "a-1", "expires_at": output["expires_at"]}
    assert started <= output["expires_at"] - 86400 <= started + 1
    item = emulator.client("dynamodb").get_item(TableName=table, Key={"id": {"S": "a-1"}})["Item"]
    assert item["expires_at"] == {"N": str(output["expires_at"])}


def test_a_fail_state_computes_its_cause(emulator, table):
    ended = run(emulator, recording_machine(table), {"id": "a-2", "kind": "odd"})
    assert (ended["status"], ended["error"], ended["cause"]) == ("FAILED", "Refused", "kind odd refused")


def test_a_string_holding_quotes_reaches_the_next_state_intact(emulator):
    """moto wrote each variable into the expression's text between bare quotes, so a
    value holding a quote (a Lambda error's JSON cause) broke the next expression."""
    cause = '{"errorMessage": "card \\"4242\\" declined"}'
    definition = jsonata_machine(
        {
            "Keep": {"Type": "Pass", "Assign": {"cause": "{% $states.input.cause %}"}, "Next": "Show"},
            "Show": {"Type": "Pass", "Output": {"cause": "{% $cause %}"}, "End": True},
        },
        "Keep",
    )
    ended = run(emulator, definition, {"cause": cause})
    assert ended["status"] == "SUCCEEDED", ended
    assert json.loads(ended["output"]) == {"cause": cause}


COMPUTE = {"Type": "Pass", "Output": {"total": "{% $states.input.amount + 1 %}"}, "End": True}


@pytest.mark.parametrize(
    "request_, error",
    [({"amount": "ten"}, "evaluation"), ({}, "returned nothing")],
    ids=["throws", "undefined"],
)
def test_an_expression_that_fails_fails_its_state_with_query_evaluation_error(emulator, request_, error):
    ended = run(emulator, jsonata_machine({"Compute": COMPUTE}, "Compute"), request_)
    assert (ended["status"], ended["error"]) == ("FAILED", "States.QueryEvaluationError"), ended
    assert error in ended["cause"]


def test_a_query_evaluation_error_is_caught_by_states_all(emulator, table):
    lookup = {
        "Type": "Task",
        "Resource": "arn:aws:states:::dynamodb:getItem",
        "TimeoutSeconds": 5,
        "Arguments": {"TableName": table, "Key": {"id": {"S": "{% $string($states.input.amount + 1) %}"}}},
        "Catch": [{"ErrorEquals": ["States.ALL"], "Output": "{% $states.errorOutput %}", "Next": "Caught"}],
        "End": True,
    }
    definition = jsonata_machine({"Lookup": lookup, "Caught": {"Type": "Pass", "End": True}}, "Lookup")
    ended = run(emulator, definition, {"amount": "ten"})
    assert ended["status"] == "SUCCEEDED", ended
    assert json.loads(ended["output"])["Error"] == "States.QueryEvaluationError"


UNPARSABLE = jsonata_machine(
    {"Broken": {"Type": "Pass", "Output": {"total": "{% $states.input.amount + %}"}, "End": True}}, "Broken"
)


def test_validation_fails_a_definition_whose_expression_does_not_parse_naming_the_field(emulator):
    answer = emulator.client("stepfunctions").validate_state_machine_definition(definition=json.dumps(UNPARSABLE))
    assert answer["result"] == "FAIL"
    [message] = [d["message"] for d in answer["diagnostics"] if d["severity"] == "ERROR"]
    assert "'Output/total'" in message and "/States/Broken" in message


def test_create_state_machine_refuses_a_definition_whose_expression_does_not_parse(emulator):
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        emulator.client("stepfunctions").create_state_machine(
            name=f"jsonata-{uuid.uuid4().hex[:8]}", definition=json.dumps(UNPARSABLE), roleArn=ROLE
        )
    assert refused.value.response["Error"]["Code"] == "InvalidDefinition"
    assert "'Output/total'" in refused.value.response["Error"]["Message"]


def test_each_expression_is_parsed_once(emulator, table):
    jsonata_evaluation.compiled.cache_clear()
    for name in ("b-1", "b-2"):
        assert run(emulator, recording_machine(table), {"id": name, "kind": "good"})["status"] == "SUCCEEDED"
    parsed = jsonata_evaluation.compiled.cache_info()
    assert parsed.currsize == parsed.misses and parsed.hits >= parsed.misses
