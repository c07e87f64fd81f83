"""The IAM permissions a state machine's role needs, derived from what it does.

A role's policy is right when it grants exactly what the state machine uses:
nothing missing (an execution would fail with States.Permissions or an
AccessDenied error) and nothing more (least privilege). This module derives
the needed permissions from two sources, with no reference to the policy:

- the rendered definition: every Task's integration and its parameters
  (`definition_needs`; Arguments in JSONata, Parameters in JSONPath). sns:publish with PhoneNumber needs sns:Publish on "*",
  with TopicArn on that topic; dynamodb:putItem needs dynamodb:PutItem on the
  table named by TableName; aws-sdk:sesv2:sendEmail needs ses:SendEmail on the
  sender's identity; states:startExecution.sync:2 needs StartExecution on the
  child, Describe/StopExecution on its executions and the managed EventBridge
  rule; and so on (AWS's Step Functions guide lists the IAM policy of each
  service integration). A
  resource encrypted with a customer managed key adds kms:GenerateDataKey and
  kms:Decrypt on that key, limited to the service that uses it;
- the state machine's own configuration (`configuration_needs`, from the
  aws_sfn_state_machine's attributes as Terraform plans them): log delivery,
  X-Ray tracing, encryption of its data with a customer managed key.

`compare(needs, statements)` matches them against IAM statements in the shape
of modules/state_machine's `policy_statements` ({sid, actions, resources,
conditions}); `policy_statements(document)` reads a policy document's JSON (as
the deployed aws_iam_role_policy holds it) into that shape. Statements are
compared as (action, resource, conditions) triples, so how they are grouped
into statements does not matter.

A Task whose target is computed at run time (`TableName.$`, `"FunctionName": "{% ... %}"`)
cannot be derived, and an integration this module does not know raises: both
are the point where a human must decide, not a place to guess "*".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.analysis.definition_rules import computed, iter_states, task_arguments

# Actions AWS offers no resource narrower than "*" for (the Service Authorization
# Reference gives them no resource type, or none these calls can name).
WILDCARD_ONLY = {
    "sns:Publish": "publishing to a phone number has no resource ARN",
    "cloudwatch:PutMetricData": "takes no resource; the cloudwatch:namespace condition limits it",
    "logs:CreateLogDelivery": "vended log delivery",
    "logs:GetLogDelivery": "vended log delivery",
    "logs:UpdateLogDelivery": "vended log delivery",
    "logs:DeleteLogDelivery": "vended log delivery",
    "logs:ListLogDeliveries": "vended log delivery",
    "logs:PutResourcePolicy": "vended log delivery",
    "logs:DescribeResourcePolicies": "vended log delivery",
    "logs:DescribeLogGroups": "vended log delivery",
    "xray:PutTraceSegments": "X-Ray",
    "xray:PutTelemetryRecords": "X-Ray",
    "xray:GetSamplingRules": "X-Ray",
    "xray:GetSamplingTargets": "X-Ray",
}
LOG_DELIVERY_ACTIONS = [a for a in WILDCARD_ONLY if a.startswith("logs:")]
XRAY_ACTIONS = [a for a in WILDCARD_ONLY if a.startswith("xray:")]
SYNC_RULE = "StepFunctionsGetEventsForStepFunctionsExecutionRule"
# aws-sdk:<service> names whose IAM prefix differs.
IAM_PREFIX = {"sesv2": "ses", "sfn": "states", "stepfunctions": "states"}
_OPTIMIZED = re.compile(
    r"^arn:aws:states:::(?P<service>[a-z0-9-]+):(?P<action>[a-zA-Z]+)(?P<suffix>\.[a-zA-Z]+(:2)?)?$"
)
_AWS_SDK = re.compile(
    r"^arn:aws:states:::aws-sdk:(?P<service>[a-z0-9]+):(?P<action>[a-zA-Z0-9]+)(\.waitForTaskToken)?$"
)
_LAMBDA_ARN = re.compile(
    r"^arn:(?P<partition>[^:]+):lambda:(?P<region>[^:]+):(?P<account>\d{12}):function:(?P<name>[^:]+)(:[^:]+)?$"
)
_QUEUE_URL = re.compile(r"^https?://(?P<host>[^/]+)/(?P<account>\d{12})/(?P<name>[^/]+)$")
_SQS_HOST = re.compile(r"^sqs\.(?P<region>[a-z0-9-]+)\.amazonaws\.com$")
_STATE_MACHINE_ARN = re.compile(
    r"^arn:(?P<partition>[^:]+):states:(?P<region>[^:]+):(?P<account>\d{12}):stateMachine:(?P<name>[^:]+)$"
)


class Underivable(ValueError):
    """A Task whose permissions cannot be derived: a run-time target, or an unknown integration."""


Condition = tuple[str, str, frozenset]  # (test, variable, values)


@dataclass(frozen=True)
class Permission:
    action: str
    resource: str
    conditions: frozenset[Condition] = frozenset()

    def __str__(self) -> str:
        text = f"{self.action} on {self.resource}"
        for test, variable, values in sorted(self.conditions):
            text += f" if {test} {variable} in {sorted(values)}"
        return text


@dataclass(frozen=True)
class Need:
    permission: Permission
    why: str


@dataclass
class Account:
    """Where the state machine runs, and which customer managed key encrypts which resource."""

    region: str
    account_id: str
    partition: str = "aws"
    encryption: Mapping[str, str] = field(default_factory=dict)  # resource ARN -> KMS key ARN

    def arn(self, service: str, resource: str, region: bool = True) -> str:
        return f"arn:{self.partition}:{service}:{self.region if region else ''}:{self.account_id}:{resource}"


def _literal(parameters: Mapping[str, Any], name: str, where: str) -> Any:
    if computed(parameters, name):
        raise Underivable(f"{where}: {name} is computed at run time, so its resource cannot be derived")
    if name not in parameters:
        raise Underivable(f"{where}: no {name}")
    return parameters[name]


def _pascal(action: str) -> str:
    return action[0].upper() + action[1:]


# From the definition ------------------------------------------------------------------


def definition_needs(definition: dict, account: Account) -> list[Need]:
    """What every Task of `definition` (rendered) calls, as IAM permissions."""
    needs: list[Need] = []
    for where, _, state, _ in iter_states(definition):
        if state.get("Type") == "Task":
            arguments = task_arguments(state)
            if isinstance(arguments, str):
                raise Underivable(f"{where}: its Arguments are computed at run time, so no resource can be derived")
            needs.extend(_task_needs(where, state["Resource"], arguments, account))
    return _merge_kms(needs)


def _task_needs(where: str, resource: str, parameters: Mapping[str, Any], account: Account) -> list[Need]:
    if _LAMBDA_ARN.match(resource):  # the legacy Lambda Resource form
        return _lambda(where, resource)
    sdk = _AWS_SDK.match(resource)
    if sdk:
        return _aws_sdk(where, sdk["service"], sdk["action"], parameters, account)
    optimized = _OPTIMIZED.match(resource)
    if not optimized:
        raise Underivable(f"{where}: unknown Task resource {resource}")
    service, action, suffix = optimized["service"], optimized["action"], optimized["suffix"] or ""
    if service == "sns" and action == "publish":
        return _sns_publish(where, parameters, account)
    if service == "dynamodb" and action in ("getItem", "putItem", "updateItem", "deleteItem"):
        table = account.arn("dynamodb", f"table/{_literal(parameters, 'TableName', where)}")
        return [
            Need(Permission(f"dynamodb:{_pascal(action)}", table), f"{where}: {resource}"),
            *_key_use(where, table, "dynamodb", account),
        ]
    if service == "sqs" and action == "sendMessage":
        queue = _queue_arn(where, _literal(parameters, "QueueUrl", where), account)
        return [
            Need(Permission("sqs:SendMessage", queue), f"{where}: {resource}"),
            *_key_use(where, queue, "sqs", account),
        ]
    if service == "lambda" and action == "invoke":
        return _lambda(where, _function_arn(_literal(parameters, "FunctionName", where), account))
    if service == "states" and action == "startExecution":
        return _start_execution(where, _literal(parameters, "StateMachineArn", where), suffix, account)
    raise Underivable(f"{where}: the derivation does not know {resource}; add it to harness/analysis/iam_derivation.py")


def _sns_publish(where: str, parameters: Mapping[str, Any], account: Account) -> list[Need]:
    if "PhoneNumber" in parameters or "PhoneNumber.$" in parameters:
        return [Need(Permission("sns:Publish", "*"), f"{where}: sns:publish to a phone number")]
    target = "TopicArn" if ("TopicArn" in parameters or "TopicArn.$" in parameters) else "TargetArn"
    arn = _literal(parameters, target, where)
    return [
        Need(Permission("sns:Publish", arn), f"{where}: sns:publish to {target}"),
        *_key_use(where, arn, "sns", account),
    ]


def _queue_arn(where: str, queue_url: str, account: Account) -> str:
    url = _QUEUE_URL.match(queue_url)
    if not url:
        raise Underivable(f"{where}: QueueUrl {queue_url} is not a queue URL")
    aws = _SQS_HOST.match(url["host"])
    region = aws["region"] if aws else account.region  # an emulator's endpoint: the queue is in the stack's region
    return f"arn:{account.partition}:sqs:{region}:{url['account']}:{url['name']}"


def _function_arn(name: str, account: Account) -> str:
    if _LAMBDA_ARN.match(name):
        return re.sub(r"(:function:[^:]+):[^:]+$", r"\1", name)  # unqualified
    if ":" in name:
        raise Underivable(f"partial Lambda ARN {name}: give the function's full ARN")
    return account.arn("lambda", f"function:{name}")


def _lambda(where: str, function_arn: str) -> list[Need]:
    return [
        Need(Permission("lambda:InvokeFunction", arn), f"{where}: lambda:invoke")
        for arn in (function_arn, f"{function_arn}:*")
    ]  # the function, and its versions and aliases


def _start_execution(where: str, state_machine_arn: str, suffix: str, account: Account) -> list[Need]:
    child = _STATE_MACHINE_ARN.match(state_machine_arn)
    if not child:
        raise Underivable(f"{where}: StateMachineArn {state_machine_arn} is not a state machine ARN")
    needs = [Need(Permission("states:StartExecution", state_machine_arn), f"{where}: states:startExecution")]
    if suffix in (".sync", ".sync:2"):
        executions = f"arn:{child['partition']}:states:{child['region']}:{child['account']}:execution:{child['name']}:*"
        rule = account.arn("events", f"rule/{SYNC_RULE}")
        needs += [
            Need(Permission(action, executions), f"{where}: {suffix} follows and stops the child")
            for action in ("states:DescribeExecution", "states:StopExecution")
        ]
        needs += [
            Need(Permission(action, rule), f"{where}: {suffix} learns of the end through a managed rule")
            for action in ("events:PutTargets", "events:PutRule", "events:DescribeRule")
        ]
    key = account.encryption.get(state_machine_arn)
    if key:
        condition = frozenset(
            {("StringEquals", "kms:EncryptionContext:aws:states:stateMachineArn", frozenset({state_machine_arn}))}
        )
        needs += [
            Need(Permission(action, key, condition), f"{where}: the child's executions are encrypted")
            for action in ("kms:GenerateDataKey", "kms:Decrypt")
        ]
    return needs


def _aws_sdk(where: str, service: str, action: str, parameters: Mapping[str, Any], account: Account) -> list[Need]:
    iam_action = f"{IAM_PREFIX.get(service, service)}:{_pascal(action)}"
    if iam_action == "ses:SendEmail":
        sender = _literal(parameters, "FromEmailAddress" if service == "sesv2" else "Source", where)
        identity = account.arn("ses", f"identity/{sender.rsplit('<', 1)[-1].rstrip('>')}")
        return [Need(Permission(iam_action, identity), f"{where}: aws-sdk:{service}:{action} from {sender}")]
    if iam_action == "cloudwatch:PutMetricData":
        namespace = _literal(parameters, "Namespace", where)
        condition = frozenset({("StringEquals", "cloudwatch:namespace", frozenset({namespace}))})
        return [Need(Permission(iam_action, "*", condition), f"{where}: metrics in {namespace}")]
    raise Underivable(
        f"{where}: the derivation does not know aws-sdk:{service}:{action}; "
        "add its resource to harness/analysis/iam_derivation.py"
    )


def _key_use(where: str, resource: str, service: str, account: Account) -> list[Need]:
    """A resource encrypted with a customer managed key: the service uses the key as the caller."""
    key = account.encryption.get(resource)
    if not key:
        return []
    via = frozenset({("StringEquals", "kms:ViaService", frozenset({f"{service}.{account.region}.amazonaws.com"}))})
    return [
        Need(Permission(action, key, via), f"{where}: {resource} is encrypted with {key}")
        for action in ("kms:GenerateDataKey", "kms:Decrypt")
    ]


def _merge_kms(needs: list[Need]) -> list[Need]:
    """One kms:ViaService condition per key and action, listing every service that uses the key."""
    merged: dict[tuple[str, str], set[str]] = {}
    whys: dict[tuple[str, str], list[str]] = {}
    rest = []
    for need in needs:
        [condition] = need.permission.conditions or [(None, None, None)]
        if condition[1] == "kms:ViaService":
            key = (need.permission.action, need.permission.resource)
            merged.setdefault(key, set()).update(condition[2])
            whys.setdefault(key, []).append(need.why)
        else:
            rest.append(need)
    for (action, resource), services in merged.items():
        condition = frozenset({("StringEquals", "kms:ViaService", frozenset(services))})
        rest.append(Need(Permission(action, resource, condition), "; ".join(sorted(set(whys[(action, resource)])))))
    return rest


# From the state machine's configuration -----------------------------------------------


def configuration_needs(state_machine: Mapping[str, Any], account: Account) -> list[Need]:
    """Log delivery, tracing and encryption, from an aws_sfn_state_machine's attributes
    as `terraform show -json` gives them (arn, type, and each nested block as a list)."""
    arn = state_machine["arn"]
    [logging] = state_machine.get("logging_configuration") or [{}]
    [tracing] = state_machine.get("tracing_configuration") or [{}]
    [encryption] = state_machine.get("encryption_configuration") or [{}]
    destination = logging.get("log_destination") or ""
    log_group_arn = destination.removesuffix(":*") or None
    kms_key_arn = encryption.get("kms_key_id") or None
    needs: list[Need] = []
    if log_group_arn:
        needs += [
            Need(Permission(action, "*"), "logging_configuration: vended log delivery")
            for action in LOG_DELIVERY_ACTIONS
        ]
        if state_machine["type"] == "EXPRESS":  # no execution history: events go straight to the group
            needs += [
                Need(Permission(action, f"{log_group_arn}:*"), "EXPRESS logging")
                for action in ("logs:CreateLogStream", "logs:PutLogEvents")
            ]
    if tracing.get("enabled"):
        needs += [Need(Permission(action, "*"), "tracing_configuration") for action in XRAY_ACTIONS]
    if encryption.get("type") == "CUSTOMER_MANAGED_KMS_KEY" and kms_key_arn:
        context = frozenset({("StringEquals", "kms:EncryptionContext:aws:states:stateMachineArn", frozenset({arn}))})
        needs += [
            Need(Permission(action, kms_key_arn, context), "encryption_configuration")
            for action in ("kms:Decrypt", "kms:GenerateDataKey")
        ]
        if log_group_arn:
            source = frozenset({("ArnLike", "kms:EncryptionContext:SourceArn", frozenset({account.arn("logs", "*")}))})
            needs.append(
                Need(
                    Permission("kms:GenerateDataKey", kms_key_arn, source),
                    "encrypted state machine with logging: log delivery's data key",
                )
            )
    return needs


# Comparison ------------------------------------------------------------------------------


def policy_statements(document: str | Mapping[str, Any]) -> list[dict[str, Any]]:
    """An IAM policy document (its JSON, as an aws_iam_role_policy holds it) as
    statements {sid, actions, resources, conditions}. Only Allow statements of
    Action and Resource are understood: anything else (Deny, NotAction,
    NotResource, Principal) raises rather than being compared wrongly."""
    parsed = json.loads(document) if isinstance(document, str) else document

    def listed(value: Any) -> list:
        return [value] if isinstance(value, str) else list(value)

    raw = parsed["Statement"]
    statements = []
    for statement in [raw] if isinstance(raw, dict) else raw:  # one statement may stand alone
        unknown = set(statement) - {"Sid", "Effect", "Action", "Resource", "Condition"}
        if statement.get("Effect") != "Allow" or unknown:
            raise ValueError(f"only Allow statements of Action and Resource are compared: {statement}")
        statements.append(
            {
                "sid": statement.get("Sid"),
                "actions": listed(statement["Action"]),
                "resources": listed(statement["Resource"]),
                "conditions": [
                    {"test": test, "variable": variable, "values": listed(values)}
                    for test, variables in statement.get("Condition", {}).items()
                    for variable, values in variables.items()
                ],
            }
        )
    return statements


def granted(statements: Iterable[Mapping[str, Any]]) -> set[Permission]:
    """Allow statements ({sid, actions, resources, conditions}) as permissions."""
    permissions = set()
    for statement in statements:
        conditions = frozenset(
            (c["test"], c["variable"], frozenset(c["values"])) for c in statement.get("conditions") or []
        )
        for action in statement["actions"]:
            for resource in statement["resources"]:
                permissions.add(Permission(action, resource, conditions))
    return permissions


@dataclass
class Comparison:
    missing: list[Need]
    extra: list[Permission]
    wildcards: list[Permission]  # "*" resources on actions that have something narrower

    @property
    def clean(self) -> bool:
        return not (self.missing or self.extra or self.wildcards)

    def report(self) -> str:
        lines = [f"missing: {n.permission}  ({n.why})" for n in self.missing]
        lines += [f"not needed: {p}" for p in self.extra]
        lines += [f"'*' where AWS offers a narrower resource: {p}" for p in self.wildcards]
        return "\n".join(lines) or "the policy grants exactly what is needed"


def compare(needs: Iterable[Need], statements: Iterable[Mapping[str, Any]]) -> Comparison:
    needs = list(needs)
    have = granted(statements)
    need_set = {n.permission for n in needs}
    missing = {}
    for need in needs:
        if need.permission not in have:
            missing.setdefault(need.permission, need)  # the first state that needs it
    return Comparison(
        missing=sorted(missing.values(), key=lambda n: str(n.permission)),
        extra=sorted(have - need_set, key=str),
        wildcards=sorted((p for p in have if p.resource == "*" and p.action not in WILDCARD_ONLY), key=str),
    )
