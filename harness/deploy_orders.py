"""Deploy the order saga (orders.tf) to the embedded emulator, the way the root
module does, after the notification stack (harness/deploy.py).

As for the notification workflow, every name comes from `local.names`, each
function's files, environment and IAM statements from `local.order_functions`,
the definition from definitions/order.asl.json rendered with
`local.order_definition_vars`, the state machine's policy from
`local.order_policy_statements`, and module settings from the modules'
.tf files (harness/modules.py). Deployment packages are zipped from the same
directory and file lists as the `archive_file` of modules/lambda_function.
ARNs and URLs come from the emulator's answers.

The stock table is seeded with TEST_CATALOGUE; Terraform leaves stock to the
business (docs/orders.md).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

from . import deploy, terraform
from . import modules as tf_modules
from .expressions import Scope, evaluate

# The test catalogue: every sku the tests and the demo order, with its stock.
# Tests read levels before and after an order, so they do not depend on these
# numbers; SKU-SOLD-OUT is the one that must stay at 0.
TEST_CATALOGUE = {
    "SKU-MUG": 1000,        # a mug: the everyday item
    "SKU-TEE": 1000,        # a T-shirt
    "SKU-POSTER": 1000,     # a poster
    "SKU-LAPTOP": 1000,     # a laptop: large orders that need approval
    "SKU-SOLD-OUT": 0,      # never in stock: orders for it fail with OutOfStock
}

TABLES = ("orders_table", "stock_table", "payments_table")  # module calls of modules/table


def seed_stock(dynamodb: Any, table: str, catalogue: dict[str, int] = TEST_CATALOGUE) -> None:
    """Set the stock of each sku of the catalogue (any deployment: the tests load it on Terraform-built stacks)."""
    for sku, available in catalogue.items():
        dynamodb.put_item(TableName=table, Item={"sku": {"S": sku}, "available": {"N": str(available)}})


def build_package(source_dir: Path, files: list[str]) -> bytes:
    """The zip archive_file builds: each file at the root, mode 0644, fixed dates."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(set(files)):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, (source_dir / name).read_bytes())
    return buffer.getvalue()


def module_local(directory: Path, name: str) -> Any:
    """The raw expression of `local.<name>` in a child module's .tf files."""
    for path in sorted(directory.glob("*.tf")):
        for block in terraform.parse(path).get("locals", []):
            if name in block:
                return block[name]
    raise KeyError(f"no local.{name} in {directory}")


def function_source_dir() -> Path:
    """`source_dir` of the root module's order_function call (`${path.module}` is the root)."""
    raw = tf_modules.literal(tf_modules.module_call("order_function")["source_dir"])
    return Path(raw.replace("${path.module}", str(terraform.ROOT)))


class OrderDeployer:
    def __init__(self, base: "deploy.EmbeddedDeployer", modules: dict[str, dict[str, Any]]) -> None:
        """`modules`: outputs of the modules already deployed (kms_key, notification_workflow, ...)."""
        self.base = base
        self.emulator = base.emulator
        self.variables = base.variables
        self.names = base.names
        self.region = base.region
        self.account_id = base.account_id
        self.modules = dict(modules)
        # local.account_id and local.partition come from data sources in orders.tf.
        self.locals: dict[str, Any] = {"names": self.names, "account_id": self.account_id, "partition": "aws"}

    @property
    def scope(self) -> Scope:
        return Scope(self.variables, self.modules, self.locals)

    def _local(self, name: str) -> Any:
        value = evaluate(terraform.local_value(name), self.scope)
        self.locals[name] = value
        return value

    def deploy(self) -> dict[str, str]:
        self.modules["orders_kms_key"] = self._kms_key()
        for call in TABLES:
            self.modules[call] = self._table(call)
        self.modules["approval_queue"] = self._approval_queue()
        self._local("use_table_key")
        functions = self._local("order_functions")
        self.modules["order_function"] = {key: self._function(key, spec) for key, spec in functions.items()}
        self._seed_stock()
        state_machine_arn = self._state_machine()
        return {
            "order_state_machine_arn": state_machine_arn,
            "approval_queue_url": self.modules["approval_queue"]["url"],
            "orders_table_name": self.modules["orders_table"]["name"],
            "stock_table_name": self.modules["stock_table"]["name"],
            "payments_table_name": self.modules["payments_table"]["name"],
        }

    # Modules ----------------------------------------------------------------------
    def _kms_key(self) -> dict[str, str]:
        kms = self.emulator.client("kms")
        description = evaluate(tf_modules.module_call("orders_kms_key")["description"], self.scope)
        key = kms.create_key(Description=description)["KeyMetadata"]
        kms.enable_key_rotation(KeyId=key["KeyId"])
        kms.create_alias(AliasName=self.names["orders_kms_key_alias"], TargetKeyId=key["KeyId"])
        return {"arn": key["Arn"]}

    def _table(self, call: str) -> dict[str, str]:
        return self.base.table(call, self.scope, self.modules["orders_kms_key"]["arn"])

    def _approval_queue(self) -> dict[str, str]:
        """modules/approval_queue: the queue and its dead-letter queue."""
        call = "approval_queue"
        variables = tf_modules.call_variables(call, self.scope, ["name", "dead_letter_queue_name", "kms_key_arn",
                                                                 "visibility_timeout_seconds", "max_receive_count"])
        retention = str(tf_modules.literal(module_local(tf_modules.module_directory(call), "retention_seconds")))
        sqs = self.emulator.client("sqs")
        encryption = {"KmsMasterKeyId": variables["kms_key_arn"], "KmsDataKeyReusePeriodSeconds": "300"}
        dead_letter_url = sqs.create_queue(QueueName=variables["dead_letter_queue_name"], Attributes={
            "MessageRetentionPeriod": retention, **encryption})["QueueUrl"]
        dead_letter_arn = sqs.get_queue_attributes(QueueUrl=dead_letter_url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        url = sqs.create_queue(QueueName=variables["name"], Attributes={
            "MessageRetentionPeriod": retention,
            "VisibilityTimeout": str(variables["visibility_timeout_seconds"]),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dead_letter_arn,
                                         "maxReceiveCount": variables["max_receive_count"]}),
            **encryption,
        })["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sqs.set_queue_attributes(QueueUrl=dead_letter_url, Attributes={"RedriveAllowPolicy": json.dumps(
            {"redrivePermission": "byQueue", "sourceQueueArns": [arn]})})
        return {"url": url, "arn": arn}

    def _function(self, key: str, spec: dict[str, Any]) -> dict[str, str]:
        """modules/lambda_function for one entry of local.order_functions."""
        call = "order_function"
        arguments = tf_modules.module_call(call)
        directory = tf_modules.module_directory(call)
        defaults = tf_modules.module_defaults(directory)
        name = spec["name"]
        root = self.scope
        timeout = evaluate(arguments["timeout_seconds"], root)
        concurrency = evaluate(arguments["reserved_concurrency"], root)
        handler = tf_modules.literal(arguments["handler"]).replace("${each.key}", key)
        kms_key_arn = evaluate(arguments["kms_key_arn"], root)
        retention = evaluate(arguments["log_retention_days"], root)

        # The module's own locals and policy documents, as this call sees them.
        module_scope = Scope({"name": name, "policy_statements": spec["policy_statements"]},
                             locals_={"account_id": self.account_id, "partition": "aws", "region": self.region})
        for local in ("log_group_name", "log_group_arn"):  # in order: the ARN uses the name
            module_scope.roots["local"][local] = evaluate(module_local(directory, local), module_scope)
        log_group_name = module_scope.roots["local"]["log_group_name"]
        trust = tf_modules.policy_statements(call, "assume_role", module_scope)
        permissions = tf_modules.policy_statements(call, "this", module_scope, {
            "${var.policy_statements}": [{"conditions": [], **s} for s in spec["policy_statements"]]})

        iam = self.emulator.client("iam")
        role_arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(
            deploy.policy_document(trust)))["Role"]["Arn"]
        iam.put_role_policy(RoleName=name, PolicyName=name,
                            PolicyDocument=json.dumps(deploy.policy_document(permissions)))
        logs = self.emulator.client("logs")
        logs.create_log_group(logGroupName=log_group_name, kmsKeyId=kms_key_arn)
        logs.put_retention_policy(logGroupName=log_group_name, retentionInDays=retention)

        lambda_client = self.emulator.client("lambda")
        function = lambda_client.create_function(
            FunctionName=name,
            Description=spec["description"],
            Runtime=defaults["runtime"],
            Role=role_arn,
            Handler=handler,
            Code={"ZipFile": build_package(function_source_dir(), spec["files"])},
            Timeout=timeout,
            MemorySize=defaults["memory_size"],
            KMSKeyArn=kms_key_arn,
            TracingConfig={"Mode": "Active"},
            LoggingConfig={"LogFormat": "JSON", "LogGroup": log_group_name},
            Environment={"Variables": {k: str(v) for k, v in spec["environment"].items()}},
        )
        lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=concurrency)
        return {"arn": function["FunctionArn"]}

    def _seed_stock(self) -> None:
        seed_stock(self.emulator.client("dynamodb"), self.modules["stock_table"]["name"])

    def _state_machine(self) -> str:
        call = "order_workflow"
        name = self.names["order_state_machine"]
        kms_key_arn = self.modules["orders_kms_key"]["arn"]
        definition = terraform.render_definition("order", self._local("order_definition_vars"))
        statements = self._local("order_policy_statements")
        return self.base.state_machine(
            call, self.scope, name=name, role_name=self.names["order_role"],
            log_group_name=self.names["order_log_group"], definition=definition, statements=statements,
            kms_key_arn=kms_key_arn,
        )


def deploy_orders(base: "deploy.EmbeddedDeployer", modules: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Deploy orders.tf; returns the root module's order outputs (StackOutputs fields)."""
    return OrderDeployer(base, modules).deploy()
