"""Least privilege: each state machine's role grants exactly what its definition
and its configuration need (harness/iam_derivation.py), no more, no less.

The grants are read from the Terraform: the caller's `local.<x>_policy_statements`
and modules/state_machine's own statements, evaluated with harness/expressions.py
and stand-ins for the module outputs, named as `local.names` names the real ones.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from harness import modules as tf_modules
from harness import terraform
from harness.definition_rules import iter_states
from harness.expressions import Scope, evaluate
from harness.iam_derivation import (
    WILDCARD_ONLY, Account, Underivable, compare, configuration_needs, definition_needs,
)
from harness.stack import stack_variables, variables_for_tests

ACCOUNT_ID = "123456789012"
_TEMPLATE = re.compile(r"definitions/(?P<name>[a-z_]+)\.asl\.json")
_LOCAL = re.compile(r"^\$\{local\.(?P<name>[a-z_]+)\}$")


def fake_modules(variables: dict) -> dict[str, Any]:
    """What the root module's modules would output, named from local.names as Terraform names them."""
    names = terraform.resource_names(variables)
    region = variables["region"]

    def arn(service: str, resource: str) -> str:
        return f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{resource}"

    def table(name: str) -> dict:
        return {"name": name, "arn": arn("dynamodb", f"table/{name}")}

    functions = {key: {"arn": arn("lambda", f"function:{names[f'{key}_function']}")}
                 for key in ("validate_order", "check_fraud", "reserve_inventory", "release_inventory",
                             "charge_payment", "refund_payment")}
    return {
        "kms_key": {"arn": arn("kms", "key/00000000-0000-0000-0000-000000000000")},
        "orders_kms_key": {"arn": arn("kms", "key/11111111-1111-1111-1111-111111111111")},
        "status_table": table(names["status_table"]),
        "orders_table": table(names["orders_table"]),
        "stock_table": table(names["stock_table"]),
        "payments_table": table(names["payments_table"]),
        "events_topic": {"name": names["events_topic"], "arn": arn("sns", names["events_topic"])},
        "email_identity": {"arn": arn("ses", f"identity/{variables['sender_email']}")},
        "approval_queue": {"url": f"https://sqs.{region}.amazonaws.com/{ACCOUNT_ID}/{names['approval_queue']}",
                           "arn": arn("sqs", names["approval_queue"])},
        "notification_workflow": {"arn": arn("states", f"stateMachine:{names['notification_state_machine']}")},
        "order_workflow": {"arn": arn("states", f"stateMachine:{names['order_state_machine']}")},
        "order_function": functions,
    }


def root_module_calls() -> dict[str, dict]:
    calls = {}
    for path in sorted(terraform.ROOT.glob("*.tf")):
        for block in terraform.parse(path).get("module", []):
            for label, body in block.items():
                calls[tf_modules.literal(label)] = body
    return calls


class Stack:
    """The root module, evaluated for `variables` with the stand-in module outputs."""

    def __init__(self, variables: dict) -> None:
        self.variables = variables
        self.modules = fake_modules(variables)
        self.scope = Scope(variables, self.modules, {"names": terraform.resource_names(variables),
                                                     "account_id": ACCOUNT_ID, "partition": "aws"})
        self.calls = root_module_calls()
        self.account = Account(region=variables["region"], account_id=ACCOUNT_ID, encryption=self.encryption())

    def encryption(self) -> dict[str, str]:
        """Resource ARN -> the customer managed key each module call encrypts it with."""
        keys = {}
        for call, body in self.calls.items():
            output = self.modules.get(call, {})
            if "kms_key_arn" in body and "arn" in output:
                keys[output["arn"]] = evaluate(body["kms_key_arn"], self.scope)
        return keys

    def state_machines(self) -> dict[str, str]:
        """definition name -> module call, for every call of modules/state_machine."""
        found = {}
        for call, body in self.calls.items():
            if tf_modules.literal(body["source"]) == "./modules/state_machine":
                found[_TEMPLATE.search(json.dumps(body["definition"]))["name"]] = call
        return found

    def definition(self, name: str) -> dict:
        values = evaluate(terraform.local_value(f"{name}_definition_vars"), self.scope)
        return json.loads(terraform.render_definition(name, values))

    def caller_statements(self, call: str) -> list[dict]:
        local = _LOCAL.match(tf_modules.literal(self.calls[call]["policy_statements"]))["name"]
        return [{"conditions": [], **s} for s in evaluate(terraform.local_value(local), self.scope)]

    def role(self, call: str) -> dict[str, Any]:
        """The role's statements as Terraform builds them, and what the derivation needs to know."""
        body = self.calls[call]
        name = evaluate(body["name"], self.scope)
        kms_key_arn = evaluate(body["kms_key_arn"], self.scope)
        log_group_arn = self.account.arn("logs", f"log-group:{evaluate(body['log_group_name'], self.scope)}")
        module_scope = tf_modules.state_machine_scope(call, self.scope, name=name, kms_key_arn=kms_key_arn,
                                                      account_id=ACCOUNT_ID, region=self.variables["region"])
        settings = tf_modules.state_machine_settings(call, self.scope)
        caller = self.caller_statements(call)
        statements = tf_modules.policy_statements(call, "this", module_scope, {
            "${var.policy_statements}": caller,
            '${local.type == "EXPRESS" ? [aws_cloudwatch_log_group.this.arn] : []}': [{
                "sid": "WriteExecutionLogs", "actions": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "resources": [f"{log_group_arn}:*"], "conditions": []}] if settings["type"] == "EXPRESS" else [],
        })
        return {"statements": statements, "caller": caller, "settings": settings, "kms_key_arn": kms_key_arn,
                "log_group_arn": log_group_arn, "arn": module_scope.lookup("local", ".state_machine_arn")}

    def needs(self, name: str, call: str, role: dict) -> list:
        return definition_needs(self.definition(name), self.account) + configuration_needs(
            role["settings"], state_machine_arn=role["arn"], kms_key_arn=role["kms_key_arn"],
            log_group_arn=role["log_group_arn"], account=self.account)


VARIABLE_SETS = {
    "defaults": stack_variables(),
    "test-sized": stack_variables(variables_for_tests()),
    "express": stack_variables({"state_machine_type": "EXPRESS"}),
    "other-region-and-sender": stack_variables({"region": "eu-west-1", "sender_email": "alerts@example.org",
                                                "metric_namespace": "Other/Namespace"}),
}
STATE_MACHINES = sorted(Stack(VARIABLE_SETS["defaults"]).state_machines().items())


def test_every_definition_has_a_state_machine_and_a_role():
    assert [name for name, _ in STATE_MACHINES] == sorted(
        p.name.removesuffix(".asl.json") for p in terraform.DEFINITIONS.glob("*.asl.json"))


@pytest.mark.parametrize("variable_set", VARIABLE_SETS)
@pytest.mark.parametrize("name,call", STATE_MACHINES, ids=[name for name, _ in STATE_MACHINES])
def test_the_role_grants_exactly_what_the_state_machine_needs(name, call, variable_set):
    stack = Stack(VARIABLE_SETS[variable_set])
    role = stack.role(call)

    comparison = compare(stack.needs(name, call, role), role["statements"])

    assert comparison.clean, f"{call} ({variable_set}):\n{comparison.report()}"


@pytest.mark.parametrize("name,call", STATE_MACHINES, ids=[name for name, _ in STATE_MACHINES])
def test_the_only_wildcard_resources_are_those_aws_offers_nothing_narrower_for(name, call):
    statements = Stack(VARIABLE_SETS["defaults"]).role(call)["statements"]
    wildcards = {(action, bool(s["conditions"])) for s in statements if "*" in s["resources"] for action in s["actions"]}
    # cloudwatch:PutMetricData only with its namespace condition; the rest take no resource narrower than "*"
    allowed = {("cloudwatch:PutMetricData", True)} | {(action, False) for action in WILDCARD_ONLY
                                                     if action != "cloudwatch:PutMetricData"}
    assert wildcards <= allowed, wildcards - allowed


def test_a_planted_gap_or_excess_is_reported():
    stack = Stack(VARIABLE_SETS["defaults"])
    role = stack.role("notification_workflow")
    needs = stack.needs("notification", "notification_workflow", role)
    statements = copy.deepcopy(role["statements"])
    by_sid = {s["sid"]: s for s in statements}
    by_sid["RecordStatus"]["actions"] = ["dynamodb:PutItem"]                       # UpdateItem dropped
    by_sid["PublishOutcomeEvents"]["resources"] = ["*"]                            # topic widened
    by_sid["SendEmail"]["actions"].append("ses:SendRawEmail")                      # never called
    by_sid["PutOutcomeMetric"]["conditions"] = []                                  # namespace unbounded

    report = compare(needs, statements).report()

    assert "missing: dynamodb:UpdateItem on arn:aws:dynamodb:us-east-1:123456789012:table/" in report
    assert "RecordOutcome" in report
    assert "not needed: ses:SendRawEmail" in report
    assert "missing: cloudwatch:PutMetricData on * if StringEquals cloudwatch:namespace" in report
    assert "not needed: cloudwatch:PutMetricData on *\n" in report + "\n"
    assert "not needed: sns:Publish on *" not in report  # SMS needs it: the widened topic grant adds nothing new
    assert "missing: sns:Publish on arn:aws:sns:" in report


def test_the_derivation_follows_each_integration():
    account = Account(region="us-east-1", account_id=ACCOUNT_ID,
                      encryption={f"arn:aws:sqs:us-east-1:{ACCOUNT_ID}:q": "arn:aws:kms:us-east-1:1:key/k"})
    definition = {"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
              "Parameters": {"QueueUrl": f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT_ID}/q", "MessageBody.$": "$"},
              "Next": "B"},
        "B": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
              "Parameters": {"FunctionName": "worker"}, "Next": "C"},
        "C": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution",
              "Parameters": {"StateMachineArn": f"arn:aws:states:us-east-1:{ACCOUNT_ID}:stateMachine:child"},
              "Next": "D"},
        "D": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:deleteItem",
              "Parameters": {"TableName": "t", "Key": {}}, "End": True},
    }}

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


@pytest.mark.parametrize("task,problem", [
    ({"Resource": "arn:aws:states:::dynamodb:putItem", "Parameters": {"TableName.$": "$.table"}}, "run time"),
    ({"Resource": "arn:aws:states:::sns:publish", "Parameters": {"TopicArn.$": "$.topic", "Message": "m"}}, "run time"),
    ({"Resource": "arn:aws:states:::aws-sdk:s3:getObject", "Parameters": {"Bucket": "b", "Key": "k"}}, "does not know"),
    ({"Resource": "arn:aws:states:::ses:sendEmail", "Parameters": {}}, "does not know"),
])
def test_what_cannot_be_derived_is_refused_not_guessed(task, problem):
    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "End": True, **task}}}
    with pytest.raises(Underivable, match=problem):
        definition_needs(definition, Account(region="us-east-1", account_id=ACCOUNT_ID))


def test_every_task_in_the_definitions_is_covered():
    """A Task the derivation silently skipped would escape the comparison."""
    stack = Stack(VARIABLE_SETS["defaults"])
    for name, _ in STATE_MACHINES:
        definition = stack.definition(name)
        tasks = [where for where, _, state, _ in iter_states(definition) if state.get("Type") == "Task"]
        whys = " ".join(n.why for n in definition_needs(definition, stack.account))
        assert all(where in whys for where in tasks), name
