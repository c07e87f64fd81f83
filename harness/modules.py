"""What the child modules (modules/*/main.tf) and the root module's calls of
them say, read with python-hcl2, so the embedded deployer builds what
`terraform apply` builds: table key schema, TTL, backups, encryption, log
level, tracing, the role's trust and permission policies.

Only literal values and the expressions harness/expressions.py evaluates are
read; anything else raises, so a change in a module is noticed, not guessed.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from . import terraform
from .expressions import Scope, evaluate

MODULES = terraform.ROOT / "modules"


def literal(value: Any) -> Any:
    """A python-hcl2 value with string quotes removed and comments dropped."""
    return terraform._literal(value)


@lru_cache(maxsize=None)
def _parsed(path: Path) -> dict:
    return terraform.parse(path)


def _blocks(directory: Path, kind: str) -> list[dict]:
    found = []
    for path in sorted(directory.glob("*.tf")):
        found.extend(_parsed(path).get(kind, []))
    return found


def _strip(body: dict) -> dict:
    return {k: v for k, v in body.items() if not k.startswith("__")}


def module_call(name: str, root: Path = terraform.ROOT) -> dict:
    """The raw arguments of the root module's `module "<name>"` block."""
    for block in _blocks(root, "module"):
        for label, body in block.items():
            if literal(label) == name:
                return _strip(body)
    raise KeyError(f'no module "{name}" in {root}')


def module_directory(call: str) -> Path:
    return (terraform.ROOT / literal(module_call(call)["source"])).resolve()


def module_defaults(directory: Path) -> dict[str, Any]:
    """Each variable of a child module with its default (absent: no default)."""
    defaults = {}
    for block in _blocks(directory, "variable"):
        for label, body in block.items():
            if "default" in body:
                defaults[literal(label)] = literal(body["default"])
    return defaults


def call_variables(call: str, root_scope: Scope, names: list[str]) -> dict[str, Any]:
    """The child's variables `names` as the root module's call sets them (or their defaults)."""
    arguments = module_call(call)
    values = module_defaults(module_directory(call))
    for name in names:
        if name in arguments:
            values[name] = evaluate(arguments[name], root_scope)
        elif name not in values:
            raise KeyError(f"module {call}: variable {name} is neither set nor defaulted")
    return {name: values[name] for name in names}


def block(directory: Path, kind: str, type_name: str, name: str = "this") -> dict:
    """The raw body of `<kind> "<type_name>" "<name>"` (kind: resource or data)."""
    for entry in _blocks(directory, kind):
        for type_label, named in entry.items():
            if literal(type_label) != type_name:
                continue
            for name_label, body in named.items():
                if literal(name_label) == name:
                    return _strip(body)
    raise KeyError(f'no {kind} "{type_name}" "{name}" in {directory}')


def single(body: Mapping[str, Any], key: str) -> dict:
    """The one nested block `key` of a body."""
    [nested] = body[key]
    return _strip(nested)


# ---------------------------------------------------------------------------
# Facts per module


def table_settings(call: str, root_scope: Scope) -> dict[str, Any]:
    """aws_dynamodb_table.this of modules/table for one root module call, as DynamoDB API values."""
    variables = call_variables(call, root_scope, ["name", "hash_key", "ttl_attribute", "deletion_protection"])
    body = block(module_directory(call), "resource", "aws_dynamodb_table")
    inner = Scope(variables)
    [attribute] = body["attribute"]
    return {
        "name": variables["name"],
        "billing_mode": literal(body["billing_mode"]),
        "key_schema": [{"AttributeName": evaluate(body["hash_key"], inner), "KeyType": "HASH"}],
        "attribute_definitions": [{"AttributeName": evaluate(attribute["name"], inner),
                                   "AttributeType": literal(attribute["type"])}],
        "ttl_attribute": variables["ttl_attribute"],  # dynamic "ttl": present only when set
        "point_in_time_recovery": literal(single(body, "point_in_time_recovery")["enabled"]),
        "server_side_encryption": literal(single(body, "server_side_encryption")["enabled"]),
        "deletion_protection": bool(variables["deletion_protection"]),
    }


def state_machine_settings(call: str, root_scope: Scope) -> dict[str, Any]:
    """aws_sfn_state_machine.this of modules/state_machine for one root module call."""
    directory = module_directory(call)
    variables = call_variables(call, root_scope, ["type", "log_level", "log_retention_days",
                                                  "kms_data_key_reuse_period_seconds"])
    body = block(directory, "resource", "aws_sfn_state_machine")
    logging = single(body, "logging_configuration")
    encryption = single(body, "encryption_configuration")
    scope = Scope(variables)
    return {
        "type": variables["type"].upper(),  # local.type = upper(var.type)
        "log_level": evaluate(logging["level"], scope),
        "include_execution_data": literal(logging["include_execution_data"]),
        "log_retention_days": variables["log_retention_days"],
        "tracing": literal(single(body, "tracing_configuration")["enabled"]),
        "encryption_type": literal(encryption["type"]),
        "kms_data_key_reuse_period_seconds": evaluate(encryption["kms_data_key_reuse_period_seconds"], scope),
    }


def state_machine_scope(call: str, root_scope: Scope, *, name: str, kms_key_arn: str, account_id: str,
                        region: str, partition: str = "aws") -> Scope:
    """var.* and local.* of modules/state_machine as that call sees them."""
    variables = call_variables(call, root_scope, ["type"])
    variables.update(name=name, kms_key_arn=kms_key_arn)
    locals_ = {"account_id": account_id, "partition": partition, "region": region,
               "type": variables["type"].upper()}
    [raw_locals] = [b for b in _blocks(module_directory(call), "locals") if "state_machine_arn" in b]
    locals_["state_machine_arn"] = evaluate(raw_locals["state_machine_arn"], Scope(variables, locals_=locals_))
    return Scope(variables, locals_=locals_)


def policy_statements(call: str, document: str, scope: Scope,
                      dynamic: Mapping[str, list[dict]] | None = None) -> list[dict]:
    """The statements of `data "aws_iam_policy_document" "<document>"` in the module
    that `call` calls, in the shape of the module's `policy_statements` variable.

    Static `statement` blocks are evaluated with `scope`. `dynamic "statement"`
    blocks cannot be evaluated here: `dynamic` maps the `for_each` expression
    (as written) to the statements it yields; an unknown one raises.
    """
    body = block(module_directory(call), "data", "aws_iam_policy_document", document)
    statements = []
    for statement in body.get("statement", []):
        statement = _strip(statement)
        item = {
            "sid": evaluate(statement["sid"], scope) if "sid" in statement else None,
            "actions": evaluate(statement["actions"], scope),
            "resources": evaluate(statement.get("resources", []), scope),
            "conditions": [
                {key: evaluate(_strip(c)[key], scope) for key in ("test", "variable", "values")}
                for c in statement.get("condition", [])
            ],
        }
        if "principals" in statement:
            item["principals"] = [{key: evaluate(_strip(p)[key], scope) for key in ("type", "identifiers")}
                                  for p in statement["principals"]]
        statements.append(item)
    for entry in body.get("dynamic", []):
        for label, spec in entry.items():
            if label.startswith("__"):
                continue
            for_each = spec["for_each"]
            if dynamic is None or for_each not in dynamic:
                raise KeyError(f"dynamic {literal(label)} with for_each {for_each} is not known to the deployer")
            statements.extend(dynamic[for_each])
    return statements
