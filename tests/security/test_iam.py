"""Least privilege: each state machine's role grants exactly what its definition
and its configuration need (harness/analysis/iam_derivation.py), no more, no less.

Both sides come from the session's deployment, as Terraform planned it right
after the apply: the needs from each deployed definition and the attributes of
its aws_sfn_state_machine (logging, tracing, encryption), the grants from the
aws_iam_role_policy documents of its role, where the caller's
`policy_statements` and modules/state_machine's own statements (log delivery,
X-Ray, the state machine's key) are one policy, as IAM receives it.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

import pytest

from harness.analysis.definition_rules import iter_states
from harness.analysis.iam_derivation import (
    WILDCARD_ONLY,
    Account,
    Underivable,
    compare,
    configuration_needs,
    definition_needs,
    policy_statements,
)
from harness.deploy.terraform import plan_resources
from tests.support import TEMPLATES, resource, resources_of_type, role_statements

ACCOUNT_ID = "123456789012"  # the derivation's own tests


@dataclass
class Workflow:
    """One state machine as deployed, and what its role is granted."""

    definition: dict
    state_machine: dict[str, Any]  # the aws_sfn_state_machine's attributes
    statements: list[dict[str, Any]]

    def needs(self, account: Account) -> list:
        return definition_needs(self.definition, account) + configuration_needs(self.state_machine, account)


def role_name(state_machine: dict[str, Any]) -> str:
    return state_machine["role_arn"].rsplit("/", 1)[1]


def encryption(plan: dict) -> dict[str, str]:
    """Resource ARN -> the customer managed key that encrypts it, for what a definition can call."""
    keys = {}
    for planned in plan_resources(plan):
        values = planned["values"]
        if planned["type"] == "aws_dynamodb_table":
            [sse] = values["server_side_encryption"] or [{}]
            key = sse.get("kms_key_arn") if sse.get("enabled") else None
        elif planned["type"] in ("aws_sns_topic", "aws_sqs_queue"):
            key = values.get("kms_master_key_id")
        elif planned["type"] == "aws_sfn_state_machine":
            [configuration] = values["encryption_configuration"] or [{}]
            key = configuration.get("kms_key_id") if configuration.get("type") == "CUSTOMER_MANAGED_KMS_KEY" else None
        else:
            continue
        if key:
            keys[values["arn"]] = key
    return keys


@pytest.fixture(scope="module")
def account(deployment, stack) -> Account:
    return Account(
        region=deployment.variables["region"],
        account_id=stack.notification_state_machine_arn.split(":")[4],
        encryption=encryption(deployment.plan),
    )


@pytest.fixture(scope="module")
def workflows(deployment) -> dict[str, Workflow]:
    found = {}
    for name, definition in deployment.definitions.items():
        state_machine = resource(deployment.plan, f"module.{name}_workflow.aws_sfn_state_machine.this")
        found[name] = Workflow(definition, state_machine, role_statements(deployment.plan, role_name(state_machine)))
    return found


def test_every_definition_has_a_state_machine_and_a_role_with_inline_policies_only(deployment, workflows):
    assert sorted(workflows) == TEMPLATES
    attached = {v["role"] for v in resources_of_type(deployment.plan, "aws_iam_role_policy_attachment").values()}
    for name, workflow in workflows.items():
        role = resource(deployment.plan, f"module.{name}_workflow.aws_iam_role.this")
        assert role["arn"] == workflow.state_machine["role_arn"], name
        # A managed policy would grant what this comparison never sees.
        assert not role.get("managed_policy_arns") and role["name"] not in attached, name


@pytest.mark.parametrize("name", TEMPLATES)
def test_the_role_grants_exactly_what_the_state_machine_needs(workflows, account, name):
    workflow = workflows[name]

    comparison = compare(workflow.needs(account), workflow.statements)

    assert comparison.clean, f"{name}:\n{comparison.report()}"


def test_an_express_deployment_would_grant_what_express_logging_needs(deployment, account):
    """The one variable whose value changes what a role needs: a plan (not applied) of
    state_machine_type = EXPRESS against the deployed state."""
    plan_file = deployment.workspace.workdir / "express.tfplan"
    deployment.workspace.run(
        "plan",
        "-input=false",
        "-no-color",
        "-refresh=false",
        f"-out={plan_file}",
        *deployment.workspace.var_args,
        "-var=state_machine_type=EXPRESS",
    )
    plan = json.loads(deployment.workspace.run("show", "-json", str(plan_file)).stdout)
    address = "module.notification_workflow.aws_sfn_state_machine.this"
    deployed = resource(deployment.plan, address)
    # The type cannot change in place: the plan replaces the state machine, whose ARN (built from its name) is
    # known only after the apply.
    planned = {"arn": deployed["arn"], **resource(plan, address)}
    workflow = Workflow(json.loads(planned["definition"]), planned, role_statements(plan, role_name(planned)))
    assert planned["type"] == "EXPRESS"

    comparison = compare(workflow.needs(account), workflow.statements)

    assert comparison.clean, comparison.report()
    log_group = planned["logging_configuration"][0]["log_destination"]
    assert {
        "sid": "WriteExecutionLogs",
        "actions": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "resources": [log_group],
        "conditions": [],
    } in [{**s, "actions": sorted(s["actions"])} for s in workflow.statements]


@pytest.mark.parametrize("name", TEMPLATES)
def test_the_only_wildcard_resources_are_those_aws_offers_nothing_narrower_for(workflows, name):
    statements = workflows[name].statements
    wildcards = {
        (action, bool(s["conditions"])) for s in statements if "*" in s["resources"] for action in s["actions"]
    }
    # cloudwatch:PutMetricData only with its namespace condition; the rest take no resource narrower than "*"
    allowed = {("cloudwatch:PutMetricData", True)} | {
        (action, False) for action in WILDCARD_ONLY if action != "cloudwatch:PutMetricData"
    }
    assert wildcards
    assert wildcards <= allowed, wildcards - allowed


def test_a_planted_gap_or_excess_is_reported(workflows, account):
    workflow = workflows["notification"]
    statements = copy.deepcopy(workflow.statements)
    by_sid = {s["sid"]: s for s in statements}
    by_sid["RecordStatus"]["actions"] = ["dynamodb:PutItem"]  # UpdateItem dropped
    by_sid["PublishOutcomeEvents"]["resources"] = ["*"]  # topic widened
    by_sid["SendEmail"]["actions"].append("ses:SendRawEmail")  # never called
    by_sid["PutOutcomeMetric"]["conditions"] = []  # namespace unbounded
    by_sid["SendTraces"]["actions"].remove("xray:PutTraceSegments")  # a module statement cut short

    report = compare(workflow.needs(account), statements).report()

    assert f"missing: dynamodb:UpdateItem on arn:aws:dynamodb:{account.region}:{account.account_id}:table/" in report
    assert "RecordOutcome" in report
    assert "not needed: ses:SendRawEmail" in report
    assert "missing: cloudwatch:PutMetricData on * if StringEquals cloudwatch:namespace" in report
    assert "not needed: cloudwatch:PutMetricData on *\n" in report + "\n"
    assert "not needed: sns:Publish on *" not in report  # SMS needs it: the widened topic grant adds nothing new
    assert "missing: sns:Publish on arn:aws:sns:" in report
    assert "missing: xray:PutTraceSegments on *  (tracing_configuration)" in report


def test_policy_documents_are_read_statement_by_statement():
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "A", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": ["arn:q1", "arn:q2"]},
            {
                "Effect": "Allow",
                "Action": ["kms:Decrypt"],
                "Resource": "arn:k",
                "Condition": {"StringEquals": {"kms:ViaService": "sqs.us-east-1.amazonaws.com"}},
            },
        ],
    }

    assert policy_statements(json.dumps(document)) == [
        {"sid": "A", "actions": ["sqs:SendMessage"], "resources": ["arn:q1", "arn:q2"], "conditions": []},
        {
            "sid": None,
            "actions": ["kms:Decrypt"],
            "resources": ["arn:k"],
            "conditions": [
                {"test": "StringEquals", "variable": "kms:ViaService", "values": ["sqs.us-east-1.amazonaws.com"]}
            ],
        },
    ]


@pytest.mark.parametrize(
    "statement",
    [
        {"Effect": "Deny", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
        {"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::private/*"},
    ],
)
def test_a_statement_the_comparison_cannot_judge_is_refused(statement):
    with pytest.raises(ValueError, match="only Allow statements"):
        policy_statements({"Statement": [statement]})


def test_the_derivation_follows_each_integration():
    account = Account(
        region="us-east-1",
        account_id=ACCOUNT_ID,
        encryption={f"arn:aws:sqs:us-east-1:{ACCOUNT_ID}:q": "arn:aws:kms:us-east-1:1:key/k"},
    )
    definition = {
        "StartAt": "A",
        "States": {
            "A": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT_ID}/q", "MessageBody.$": "$"},
                "Next": "B",
            },
            "B": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "worker"},
                "Next": "C",
            },
            "C": {
                "Type": "Task",
                "Resource": "arn:aws:states:::states:startExecution",
                "Parameters": {"StateMachineArn": f"arn:aws:states:us-east-1:{ACCOUNT_ID}:stateMachine:child"},
                "Next": "D",
            },
            "D": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:deleteItem",
                "Parameters": {"TableName": "t", "Key": {}},
                "End": True,
            },
        },
    }

    derived = {str(n.permission) for n in definition_needs(definition, account)}

    assert derived == {
        f"sqs:SendMessage on arn:aws:sqs:us-east-1:{ACCOUNT_ID}:q",
        "kms:GenerateDataKey on arn:aws:kms:us-east-1:1:key/k if StringEquals kms:ViaService in "
        "['sqs.us-east-1.amazonaws.com']",
        "kms:Decrypt on arn:aws:kms:us-east-1:1:key/k if StringEquals kms:ViaService in ['sqs.us-east-1.amazonaws.com']",
        f"lambda:InvokeFunction on arn:aws:lambda:us-east-1:{ACCOUNT_ID}:function:worker",
        f"lambda:InvokeFunction on arn:aws:lambda:us-east-1:{ACCOUNT_ID}:function:worker:*",
        f"states:StartExecution on arn:aws:states:us-east-1:{ACCOUNT_ID}:stateMachine:child",  # no .sync: start only
        f"dynamodb:DeleteItem on arn:aws:dynamodb:us-east-1:{ACCOUNT_ID}:table/t",
    }


@pytest.mark.parametrize(
    "task,problem",
    [
        ({"Resource": "arn:aws:states:::dynamodb:putItem", "Parameters": {"TableName.$": "$.table"}}, "run time"),
        (
            {"Resource": "arn:aws:states:::sns:publish", "Parameters": {"TopicArn.$": "$.topic", "Message": "m"}},
            "run time",
        ),
        (
            {"Resource": "arn:aws:states:::aws-sdk:s3:getObject", "Parameters": {"Bucket": "b", "Key": "k"}},
            "does not know",
        ),
        ({"Resource": "arn:aws:states:::ses:sendEmail", "Parameters": {}}, "does not know"),
        # JSONata: Arguments computed at run time, whole or one field
        ({"Resource": "arn:aws:states:::dynamodb:putItem", "Arguments": {"TableName": "{% $table %}"}}, "run time"),
        ({"Resource": "arn:aws:states:::lambda:invoke", "Arguments": "{% $states.input %}"}, "run time"),
    ],
    ids=["jsonpath-table", "jsonpath-topic", "unknown-sdk", "no-such-integration", "jsonata-table", "jsonata-all"],
)
def test_what_cannot_be_derived_is_refused_not_guessed(task, problem):
    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "End": True, **task}}}
    with pytest.raises(Underivable, match=problem):
        definition_needs(definition, Account(region="us-east-1", account_id=ACCOUNT_ID))


def test_every_task_in_the_definitions_is_covered(workflows, account):
    """A Task the derivation silently skipped would escape the comparison."""
    for name, workflow in workflows.items():
        tasks = [where for where, _, state, _ in iter_states(workflow.definition) if state.get("Type") == "Task"]
        whys = " ".join(n.why for n in definition_needs(workflow.definition, account))
        assert tasks and all(where in whys for where in tasks), name
