"""Deploy the stack to the embedded emulator the way the root module does.

Names come from `local.names`, the definition from `definitions/` rendered with
the root module's own `notification_definition_vars`, and the role's policy from
its `notification_policy_statements`, all evaluated from the .tf files
(harness/expressions.py). What Terraform resources would compute (ARNs) comes
from the emulator's answers.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from . import terraform
from .emulator import EmbeddedEmulator
from .expressions import Scope, evaluate
from .stack import StackOutputs

STATES_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def policy_document(statements: list[Mapping[str, Any]]) -> dict[str, Any]:
    """IAM JSON for the module's `policy_statements` (what aws_iam_policy_document builds)."""
    rendered = []
    for statement in statements:
        item: dict[str, Any] = {
            "Sid": statement["sid"],
            "Effect": "Allow",
            "Action": sorted(statement["actions"]),
            "Resource": sorted(statement["resources"]),
        }
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

    def deploy(self) -> StackOutputs:
        modules = {
            "kms_key": self._kms_key(),
        }
        modules["status_table"] = self._status_table(modules["kms_key"]["arn"])
        modules["events_topic"] = self._events_topic(modules["kms_key"]["arn"])
        modules["email_identity"] = self._email_identity()
        scope = Scope(self.variables, modules, {"names": self.names})

        definition = terraform.render_definition(
            "notification", evaluate(terraform.local_value("notification_definition_vars"), scope)
        )
        statements = evaluate(terraform.local_value("notification_policy_statements"), scope)
        state_machine_arn = self._state_machine(
            name=self.names["notification_state_machine"],
            role_name=self.names["notification_role"],
            log_group_name=self.names["notification_log_group"],
            definition=definition,
            statements=statements,
            kms_key_arn=modules["kms_key"]["arn"],
        )
        return StackOutputs(
            notification_state_machine_arn=state_machine_arn,
            status_table_name=modules["status_table"]["name"],
            events_topic_arn=modules["events_topic"]["arn"],
            sender_email=self.variables["sender_email"],
            region=self.region,
            endpoint_url=self.emulator.endpoint_url,
        )

    def _kms_key(self) -> dict[str, str]:
        kms = self.emulator.client("kms")
        key = kms.create_key(Description=f"{self.variables['name_prefix']} stack key")["KeyMetadata"]
        kms.enable_key_rotation(KeyId=key["KeyId"])
        kms.create_alias(AliasName=self.names["kms_key_alias"], TargetKeyId=key["KeyId"])
        return {"arn": key["Arn"], "id": key["KeyId"], "alias": self.names["kms_key_alias"]}

    def _status_table(self, kms_key_arn: str) -> dict[str, str]:
        dynamodb = self.emulator.client("dynamodb")
        name = self.names["status_table"]
        table = dynamodb.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "notification_id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "notification_id", "KeyType": "HASH"}],
            SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": kms_key_arn},
        )["TableDescription"]
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
        )
        dynamodb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
        return {"name": name, "arn": table["TableArn"]}

    def _events_topic(self, kms_key_arn: str) -> dict[str, str]:
        topic = self.emulator.client("sns").create_topic(
            Name=self.names["events_topic"], Attributes={"KmsMasterKeyId": kms_key_arn}
        )
        return {"arn": topic["TopicArn"], "name": self.names["events_topic"]}

    def _email_identity(self) -> dict[str, str]:
        email = self.variables["sender_email"]
        self.emulator.client("sesv2").create_email_identity(EmailIdentity=email)
        return {"arn": f"arn:aws:ses:{self.region}:{self.account_id}:identity/{email}", "email": email}

    def _state_machine(self, *, name: str, role_name: str, log_group_name: str, definition: str,
                       statements: list[dict], kms_key_arn: str) -> str:
        iam = self.emulator.client("iam")
        role_arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(STATES_TRUST_POLICY))[
            "Role"
        ]["Arn"]
        iam.put_role_policy(
            RoleName=role_name, PolicyName="integrations", PolicyDocument=json.dumps(policy_document(statements))
        )
        logs = self.emulator.client("logs")
        logs.create_log_group(logGroupName=log_group_name, kmsKeyId=kms_key_arn)
        logs.put_retention_policy(logGroupName=log_group_name, retentionInDays=self.variables["log_retention_days"])
        log_group_arn = f"arn:aws:logs:{self.region}:{self.account_id}:log-group:{log_group_name}:*"
        return self.emulator.client("stepfunctions").create_state_machine(
            name=name,
            definition=definition,
            roleArn=role_arn,
            type=self.variables["state_machine_type"],
            loggingConfiguration={
                "level": self.variables["log_level"],
                "includeExecutionData": False,
                "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": log_group_arn}}],
            },
            tracingConfiguration={"enabled": True},
        )["stateMachineArn"]
