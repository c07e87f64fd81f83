"""The embedded deployer and the Terraform configuration describe the same stack.

The deployer reads names, definition values, policy statements and module
settings from the .tf files (harness/terraform.py, harness/modules.py); these
tests read the .tf files on their own and compare with what the embedded
deployment really created, so neither a reader bug nor a fact the deployer
still hard-codes goes unnoticed.
"""

from __future__ import annotations

import dataclasses
import json

import hcl2
import pytest

from harness import terraform
from harness.expressions import Scope, evaluate
from harness.stack import StackOutputs

ROOT = terraform.ROOT
embedded_only = pytest.mark.backends("embedded", reason="inspects the embedded emulator's resources")


def hcl(path: str) -> dict:
    with (ROOT / path).open() as handle:
        return hcl2.load(handle)


def unquote(value):
    return terraform._literal(value)


def only(body: dict, key: str) -> dict:
    [block] = body[key]
    return block


def resource(path: str, type_name: str, name: str = "this") -> dict:
    """The body of a resource or data source block of `path`."""
    parsed = hcl(path)
    for entry in parsed.get("resource", []) + parsed.get("data", []):
        for type_label, named in entry.items():
            if unquote(type_label) == type_name and f'"{name}"' in named:
                return named[f'"{name}"']
    raise KeyError(type_name)


def root_output_names() -> set[str]:
    """Every output of the root module (outputs.tf holds them; any other root file counts too)."""
    return {unquote(label) for path in sorted(ROOT.glob("*.tf")) for block in hcl(path.name).get("output", [])
            for label in block}


# Outputs ---------------------------------------------------------------------

def test_stack_outputs_has_a_field_for_each_root_output_and_the_endpoint():
    fields = {f.name for f in dataclasses.fields(StackOutputs)}

    assert fields == root_output_names() | {"endpoint_url"}


@embedded_only
def test_the_embedded_deployer_produces_every_root_output(stack):
    produced = {name: value for name, value in stack.to_dict().items() if value not in (None, "")}

    assert root_output_names() <= set(produced)


# Names -----------------------------------------------------------------------

NOTIFICATION_NAMES = ["kms_key_alias", "status_table", "events_topic", "notification_state_machine",
                      "notification_role", "notification_log_group"]


@embedded_only
def test_resources_carry_the_names_of_local_names(emulator, stack, variables):
    names = terraform.resource_names(variables)
    deployed = {
        "kms_key_alias": {a["AliasName"] for a in emulator.client("kms").list_aliases()["Aliases"]},
        "status_table": set(emulator.client("dynamodb").list_tables()["TableNames"]),
        "events_topic": {t["TopicArn"].split(":")[-1] for t in emulator.client("sns").list_topics()["Topics"]},
        "notification_state_machine": {m["name"] for m in
                                       emulator.client("stepfunctions").list_state_machines()["stateMachines"]},
        "notification_role": {r["RoleName"] for r in emulator.client("iam").list_roles()["Roles"]},
        "notification_log_group": {g["logGroupName"] for g in
                                   emulator.client("logs").describe_log_groups()["logGroups"]},
    }

    missing = {key: names[key] for key in NOTIFICATION_NAMES if names[key] not in deployed[key]}
    assert not missing
    assert stack.status_table_name == names["status_table"]


# DynamoDB --------------------------------------------------------------------

@embedded_only
def test_the_status_table_has_the_modules_key_schema_ttl_backups_and_encryption(emulator, stack):
    table = resource("modules/table/main.tf", "aws_dynamodb_table")
    call = hcl("main.tf")["module"]
    [status_call] = [body for block in call for name, body in block.items() if unquote(name) == "status_table"]
    dynamodb = emulator.client("dynamodb")

    described = dynamodb.describe_table(TableName=stack.status_table_name)["Table"]
    assert described["KeySchema"] == [{"AttributeName": unquote(status_call["hash_key"]), "KeyType": "HASH"}]
    assert described["AttributeDefinitions"] == [
        {"AttributeName": unquote(status_call["hash_key"]), "AttributeType": unquote(a["type"])}
        for a in table["attribute"]]
    assert described["BillingModeSummary"]["BillingMode"] == unquote(table["billing_mode"])
    assert described["SSEDescription"]["Status"] == ("ENABLED" if only(table, "server_side_encryption")["enabled"]
                                                     else "DISABLED")
    ttl = dynamodb.describe_time_to_live(TableName=stack.status_table_name)["TimeToLiveDescription"]
    assert ttl == {"AttributeName": unquote(status_call["ttl_attribute"]), "TimeToLiveStatus": "ENABLED"}
    backups = dynamodb.describe_continuous_backups(TableName=stack.status_table_name)["ContinuousBackupsDescription"]
    pitr = backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"]
    assert pitr == ("ENABLED" if only(table, "point_in_time_recovery")["enabled"] else "DISABLED")


# State machine ---------------------------------------------------------------

@embedded_only
def test_the_state_machine_runs_the_rendered_definition(emulator, stack, variables):
    modules = {"status_table": {"name": stack.status_table_name}, "events_topic": {"arn": stack.events_topic_arn}}
    values = evaluate(terraform.local_value("notification_definition_vars"), Scope(variables, modules))

    described = emulator.client("stepfunctions").describe_state_machine(
        stateMachineArn=stack.notification_state_machine_arn)

    assert described["definition"] == terraform.render_definition("notification", values)


@embedded_only
def test_the_state_machine_has_the_modules_logging_tracing_and_encryption(emulator, stack, variables):
    machine = resource("modules/state_machine/main.tf", "aws_sfn_state_machine")
    logging, tracing = only(machine, "logging_configuration"), only(machine, "tracing_configuration")
    encryption = only(machine, "encryption_configuration")
    call = next(b['"notification_workflow"'] for b in hcl("main.tf")["module"] if '"notification_workflow"' in b)
    assert call["log_level"] == "${var.log_level}" and logging["level"] == "${var.log_level}"

    described = emulator.client("stepfunctions").describe_state_machine(
        stateMachineArn=stack.notification_state_machine_arn)

    assert described["type"] == variables["state_machine_type"].upper()
    assert described["loggingConfiguration"]["level"] == variables["log_level"]
    assert described["loggingConfiguration"]["includeExecutionData"] is logging["include_execution_data"]
    assert described["tracingConfiguration"] == {"enabled": tracing["enabled"]}
    assert described["encryptionConfiguration"]["type"] == unquote(encryption["type"])


# IAM -------------------------------------------------------------------------

def module_statement_sids(variables: dict) -> set[str]:
    """Sids of the role's policy as modules/state_machine and the root module's statements make it."""
    document = resource("modules/state_machine/main.tf", "aws_iam_policy_document", "this")
    sids = {unquote(s["sid"]) for s in document["statement"]}
    caller = {unquote(s["sid"]) for s in terraform.local_value("notification_policy_statements")}
    for dynamic in document.get("dynamic", []):
        for spec in dynamic.values():
            [content] = spec["content"]
            if spec["for_each"] == "${var.policy_statements}":
                sids |= caller
            elif variables["state_machine_type"].upper() == "EXPRESS" or "EXPRESS" not in spec["for_each"]:
                sids.add(unquote(content["sid"]))
    return sids


@embedded_only
def test_the_role_has_exactly_the_statements_terraform_gives_it(emulator, variables):
    names = terraform.resource_names(variables)
    iam = emulator.client("iam")

    policy = iam.get_role_policy(RoleName=names["notification_role"], PolicyName=names["notification_state_machine"])
    statements = policy["PolicyDocument"]["Statement"]

    assert {s["Sid"] for s in statements} == module_statement_sids(variables)
    caller = {unquote(s["sid"]): s for s in terraform.local_value("notification_policy_statements")}
    for statement in statements:
        if statement["Sid"] in caller:
            assert statement["Action"] == sorted(unquote(caller[statement["Sid"]]["actions"]))


@embedded_only
def test_the_role_trusts_step_functions_for_this_account_only(emulator, variables):
    trust = emulator.client("iam").get_role(RoleName=terraform.resource_names(variables)["notification_role"])
    document = trust["Role"]["AssumeRolePolicyDocument"]
    statement = only(resource("modules/state_machine/main.tf", "aws_iam_policy_document", "assume_role"),
                     "statement")

    [granted] = document["Statement"]
    assert granted["Action"] == unquote(statement["actions"])
    assert granted["Principal"] == {"Service": unquote(only(statement, "principals")["identifiers"])}
    assert list(granted["Condition"]["StringEquals"]) == [unquote(only(statement, "condition")["variable"])]
    assert json.dumps(granted).count("sts:AssumeRole") == 1
