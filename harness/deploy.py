"""Deploy the stack to the embedded emulator the way the root module does.

Names come from `local.names`, the definition from `definitions/` rendered with
the root module's own `notification_definition_vars`, and the role's policy from
its `notification_policy_statements`, all evaluated from the .tf files
(harness/expressions.py). Key schema, TTL, backups, encryption, logging,
tracing and the role's trust and module-added statements come from the child
modules (harness/modules.py). What Terraform resources would compute (ARNs)
comes from the emulator's answers.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from . import modules as tf_modules
from . import terraform
from .emulator import EmbeddedEmulator
from .expressions import Scope, evaluate
from .stack import StackOutputs
from . import deploy_orders as orders_deployer  # a module: deploy_orders imports this one too

def policy_document(statements: list[Mapping[str, Any]]) -> dict[str, Any]:
    """IAM JSON for the module's `policy_statements` (what aws_iam_policy_document builds)."""
    rendered = []
    for statement in statements:
        item: dict[str, Any] = {"Effect": "Allow", "Action": sorted(statement["actions"])}
        if statement.get("sid"):
            item["Sid"] = statement["sid"]
        if statement.get("resources"):
            item["Resource"] = sorted(statement["resources"])
        for principal in statement.get("principals", []):
            item.setdefault("Principal", {})[principal["type"]] = principal["identifiers"]
        for condition in statement.get("conditions", []):
            item.setdefault("Condition", {}).setdefault(condition["test"], {})[condition["variable"]] = condition["values"]
        rendered.append(item)
    return {"Version": "2012-10-17", "Statement": rendered}


class EmbeddedDeployer:
    def __init__(self, emulator: EmbeddedEmulator, variables: Mapping[str, Any]) -> None:
        self.emulator = emulator
        self.variables = dict(variables)
        self.names = terraform.resource_names(self.variables)
        self.region = self.variables["region"]
        self.account_id = emulator.client("sts").get_caller_identity()["Account"]
        # What the root module's expressions see before any module exists.
        self.root_scope = Scope(self.variables, {}, {"names": self.names})

    def deploy(self) -> StackOutputs:
        modules = {
            "kms_key": self._kms_key(),
        }
        modules["status_table"] = self.table("status_table", self.root_scope, modules["kms_key"]["arn"])
        modules["events_topic"] = self._events_topic(modules["kms_key"]["arn"])
        modules["email_identity"] = self._email_identity()
        scope = Scope(self.variables, modules, {"names": self.names})

        definition = terraform.render_definition(
            "notification", evaluate(terraform.local_value("notification_definition_vars"), scope)
        )
        statements = evaluate(terraform.local_value("notification_policy_statements"), scope)
        state_machine_arn = self.state_machine(
            "notification_workflow", self.root_scope,
            name=self.names["notification_state_machine"],
            role_name=self.names["notification_role"],
            log_group_name=self.names["notification_log_group"],
            definition=definition,
            statements=statements,
            kms_key_arn=modules["kms_key"]["arn"],
        )
        modules["notification_workflow"] = {"arn": state_machine_arn}
        orders = orders_deployer.deploy_orders(self, modules)  # orders.tf: harness/deploy_orders.py
        return StackOutputs(
            notification_state_machine_arn=state_machine_arn,
            status_table_name=modules["status_table"]["name"],
            events_topic_arn=modules["events_topic"]["arn"],
            sender_email=self.variables["sender_email"],
            region=self.region,
            endpoint_url=self.emulator.endpoint_url,
            **orders,
        )

    def _kms_key(self) -> dict[str, str]:
        kms = self.emulator.client("kms")
        description = evaluate(tf_modules.module_call("kms_key")["description"], self.root_scope)
        key = kms.create_key(Description=description)["KeyMetadata"]
        kms.enable_key_rotation(KeyId=key["KeyId"])
        kms.create_alias(AliasName=self.names["kms_key_alias"], TargetKeyId=key["KeyId"])
        return {"arn": key["Arn"], "id": key["KeyId"], "alias": self.names["kms_key_alias"]}

    def table(self, call: str, scope: Scope, kms_key_arn: str) -> dict[str, str]:
        """One call of modules/table: the table, its TTL and its backups, as Terraform sets them."""
        spec = tf_modules.table_settings(call, scope)
        dynamodb = self.emulator.client("dynamodb")
        table = dynamodb.create_table(
            TableName=spec["name"],
            BillingMode=spec["billing_mode"],
            AttributeDefinitions=spec["attribute_definitions"],
            KeySchema=spec["key_schema"],
            SSESpecification={"Enabled": spec["server_side_encryption"], "SSEType": "KMS",
                              "KMSMasterKeyId": kms_key_arn},
            DeletionProtectionEnabled=spec["deletion_protection"],
        )["TableDescription"]
        if spec["ttl_attribute"]:
            dynamodb.update_time_to_live(
                TableName=spec["name"],
                TimeToLiveSpecification={"Enabled": True, "AttributeName": spec["ttl_attribute"]},
            )
        dynamodb.update_continuous_backups(
            TableName=spec["name"],
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": spec["point_in_time_recovery"]},
        )
        return {"name": spec["name"], "arn": table["TableArn"]}

    def _events_topic(self, kms_key_arn: str) -> dict[str, str]:
        topic = self.emulator.client("sns").create_topic(
            Name=self.names["events_topic"], Attributes={"KmsMasterKeyId": kms_key_arn}
        )
        return {"arn": topic["TopicArn"], "name": self.names["events_topic"]}

    def _email_identity(self) -> dict[str, str]:
        email = self.variables["sender_email"]
        self.emulator.client("sesv2").create_email_identity(EmailIdentity=email)
        return {"arn": f"arn:aws:ses:{self.region}:{self.account_id}:identity/{email}", "email": email}

    def state_machine(self, call: str, scope: Scope, *, name: str, role_name: str, log_group_name: str,
                      definition: str, statements: list[dict], kms_key_arn: str) -> str:
        """One call of modules/state_machine: role, policy, encrypted log group, state machine."""
        settings = tf_modules.state_machine_settings(call, scope)
        log_group_arn = f"arn:aws:logs:{self.region}:{self.account_id}:log-group:{log_group_name}"
        statements = self.role_statements(call, name=name, kms_key_arn=kms_key_arn, statements=statements,
                                          log_group_arn=log_group_arn)
        iam = self.emulator.client("iam")
        role_arn = iam.create_role(RoleName=role_name,
                                   AssumeRolePolicyDocument=json.dumps(policy_document(statements["trust"])))[
            "Role"
        ]["Arn"]
        # aws_iam_role_policy.this is named after the state machine.
        iam.put_role_policy(
            RoleName=role_name, PolicyName=name, PolicyDocument=json.dumps(policy_document(statements["permissions"]))
        )
        logs = self.emulator.client("logs")
        logs.create_log_group(logGroupName=log_group_name, kmsKeyId=kms_key_arn)
        logs.put_retention_policy(logGroupName=log_group_name, retentionInDays=settings["log_retention_days"])
        return self.emulator.client("stepfunctions").create_state_machine(
            name=name,
            definition=definition,
            roleArn=role_arn,
            type=settings["type"],
            loggingConfiguration={
                "level": settings["log_level"],
                "includeExecutionData": settings["include_execution_data"],
                "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": f"{log_group_arn}:*"}}],
            },
            tracingConfiguration={"enabled": settings["tracing"]},
            encryptionConfiguration={
                "type": settings["encryption_type"],
                "kmsKeyId": kms_key_arn,
                "kmsDataKeyReusePeriodSeconds": settings["kms_data_key_reuse_period_seconds"],
            },
        )["stateMachineArn"]

    def role_statements(self, call: str, *, name: str, kms_key_arn: str, statements: list[dict],
                        log_group_arn: str) -> dict[str, list[dict]]:
        """The role's trust and permission statements as modules/state_machine builds them."""
        scope = tf_modules.state_machine_scope(call, self.root_scope, name=name, kms_key_arn=kms_key_arn,
                                               account_id=self.account_id, region=self.region)
        express = scope.lookup("local", ".type") == "EXPRESS"
        dynamic = {
            # the caller's statements: for_each = var.policy_statements
            "${var.policy_statements}": [{"conditions": [], **s} for s in statements],
            # EXPRESS only: the log group written directly (aws_cloudwatch_log_group.this.arn)
            '${local.type == "EXPRESS" ? [aws_cloudwatch_log_group.this.arn] : []}': [{
                "sid": "WriteExecutionLogs", "actions": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "resources": [f"{log_group_arn}:*"], "conditions": [],
            }] if express else [],
        }
        return {
            "trust": tf_modules.policy_statements(call, "assume_role", scope),
            "permissions": tf_modules.policy_statements(call, "this", scope, dynamic),
        }
