"""What the Terraform AWS provider calls that moto does not answer as AWS does.

`terraform plan`, `apply`, a refresh and `destroy` of this stack against the
embedded emulator need each of these; without them the provider stops with a
500 or waits on an attribute until its timeout (../README: "The embedded
emulator"). Each correction is small, idempotent, and covered by
tests/emulator/test_provider_api.py, which fails if a moto upgrade moves the code
it relies on. They are written so they could be offered to moto as they are.
"""

from __future__ import annotations

import datetime
import functools
import json
import re

from moto.awslambda.models import LambdaFunction
from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.iam.models import AWSManagedPolicy, IAMBackend
from moto.sqs.models import Queue
from moto.stepfunctions.parser.asl.static_analyser.express_static_analyser import ExpressStaticAnalyser
from moto.stepfunctions.parser.asl.static_analyser.static_analyser import StaticAnalyser
from moto.stepfunctions.responses import StepFunctionResponse

from harness.analysis import definition_rules
from harness.emulator.jsonata_evaluation import unparsable_expressions


def validation_diagnostics(definition: str, machine_type: str = "STANDARD") -> list[dict[str, str]]:
    """AWS's diagnostics for a definition: ERRORs fail validation, WARNINGs do not.

    ERROR: what ASL's grammar (moto's parser, the one AWS's emulator shares with
    LocalStack) or AWS's semantic checks refuse. WARNING: the project's own rules
    (definition_rules), which AWS accepts but which mark a definition that fails
    silently at run time (e.g. an ErrorEquals wildcard that matches nothing).
    """
    analyser = ExpressStaticAnalyser() if machine_type == "EXPRESS" else StaticAnalyser()
    diagnostics = []
    try:
        analyser.analyse(definition)
    except Exception as error:  # the parser raises its own types and plain ones alike
        detail = getattr(error, "message", None) or repr(error)
        diagnostics.append({"severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED", "message": str(detail)[:1000]})
    diagnostics += [
        {"severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED", "message": problem}
        for problem in unparsable_expressions(definition)
    ]
    try:
        parsed = json.loads(definition)
    except ValueError:
        return diagnostics
    for finding in definition_rules.violations(parsed) if isinstance(parsed, dict) else []:
        if definition_rules.aws_rejects(finding):
            diagnostics.append({"severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED", "message": finding})
        else:
            diagnostics.append({"severity": "WARNING", "code": "PROJECT_RULE", "message": finding})
    return diagnostics


def answer_validate_state_machine_definition() -> None:
    """moto's responses never route ValidateStateMachineDefinition (HTTP 500); the
    provider (>= 5.67) calls it when it plans every aws_sfn_state_machine."""
    if hasattr(StepFunctionResponse, "validate_state_machine_definition"):
        return

    def validate_state_machine_definition(self):
        diagnostics = validation_diagnostics(self._get_param("definition"), self._get_param("type") or "STANDARD")
        failed = any(d["severity"] == "ERROR" for d in diagnostics)
        return json.dumps({"result": "FAIL" if failed else "OK", "diagnostics": diagnostics, "truncated": False})

    StepFunctionResponse.validate_state_machine_definition = validate_state_machine_definition


def _epoch_seconds(moment):
    return moment.timestamp() if isinstance(moment, datetime.datetime) else moment


def answer_list_state_machine_versions() -> None:
    """Not in any moto release; the provider (>= 5.11) reads versions on every refresh."""
    if hasattr(StepFunctionResponse, "list_state_machine_versions"):
        return

    def list_state_machine_versions(self):
        machine = self.stepfunction_backend.describe_state_machine(self._get_param("stateMachineArn"))
        # creationDate is a timestamp: epoch seconds in AWS's JSON protocol.
        versions = [
            {"stateMachineVersionArn": v.arn, "creationDate": _epoch_seconds(v.creation_date)}
            for v in sorted(machine.versions.values(), key=lambda v: -v.version)
        ]
        return json.dumps({"stateMachineVersions": versions})

    StepFunctionResponse.list_state_machine_versions = list_state_machine_versions


def queue_redrive_attributes_as_aws_returns_them() -> None:
    """moto stores RedriveAllowPolicy but GetQueueAttributes leaves it out, so the
    provider's wait for "attributes as set" on the dead-letter queue never ends;
    and it renders RedrivePolicy with spaces, where AWS's compact JSON is what a
    second plan compares with (a whitespace-only diff on every plan)."""
    if "RedriveAllowPolicy" in Queue.BASE_ATTRIBUTES:
        return
    Queue.BASE_ATTRIBUTES.append("RedriveAllowPolicy")
    Queue.redrive_allow_policy = None  # set per queue by _set_attributes when given
    attributes = Queue.attributes

    def with_redrive_allow_policy(self):
        result = attributes.fget(self)
        policy = getattr(self, "redrive_allow_policy", None)
        if policy:
            result["RedriveAllowPolicy"] = policy if isinstance(policy, str) else json.dumps(policy)
        else:
            result.pop("RedriveAllowPolicy", None)
        if self.redrive_policy:
            result["RedrivePolicy"] = json.dumps(self.redrive_policy, separators=(",", ":"))
        return result

    Queue.attributes = property(with_redrive_allow_policy)


def set_queue_attributes_keeps_the_policy() -> None:
    """moto resets a queue's Policy on every SetQueueAttributes that does not name
    it (another attribute changed in place wipes the queue policy); AWS keeps it."""
    set_attributes = Queue._set_attributes
    if getattr(set_attributes, "keeps_policy", False):
        return

    @functools.wraps(set_attributes)
    def set_keeping_policy(self, attributes, now=None):
        policy = getattr(self, "policy", None)
        set_attributes(self, attributes, now)
        if "Policy" not in attributes:
            self.policy = policy

    set_keeping_policy.keeps_policy = True
    Queue._set_attributes = set_keeping_policy


def lambda_functions_keep_their_logging_config() -> None:
    """moto drops a function's LoggingConfig (log format and group), so every plan
    wants to add it again. AWS returns it, defaulting to Text and /aws/lambda/<name>."""
    if getattr(LambdaFunction.get_configuration, "has_logging_config", False):
        return
    create, describe, update = (
        LambdaFunction.__init__,
        LambdaFunction.get_configuration,
        LambdaFunction.update_configuration,
    )

    @functools.wraps(create)
    def create_with_logging(self, account_id, spec, *args, **kwargs):
        create(self, account_id, spec, *args, **kwargs)
        self.logging_config = {
            "LogFormat": "Text",
            "LogGroup": f"/aws/lambda/{self.function_name}",
            **(spec.get("LoggingConfig") or {}),
        }

    @functools.wraps(describe)
    def describe_with_logging(self, *args, **kwargs):
        config = describe(self, *args, **kwargs)
        config["LoggingConfig"] = getattr(self, "logging_config", None) or {
            "LogFormat": "Text",
            "LogGroup": f"/aws/lambda/{self.function_name}",
        }
        return config

    @functools.wraps(update)
    def update_with_logging(self, config_updates):
        if config_updates.get("LoggingConfig"):
            self.logging_config = {**getattr(self, "logging_config", {}), **config_updates["LoggingConfig"]}
        return update(self, config_updates)

    describe_with_logging.has_logging_config = True
    LambdaFunction.__init__ = create_with_logging
    LambdaFunction.get_configuration = describe_with_logging
    LambdaFunction.update_configuration = update_with_logging


_AWS_MANAGED_POLICY = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(?:.*/)?(?P<name>[^/]+)$")


def aws_managed_policies_on_demand() -> None:
    """AWS managed policies exist in every account (the API Gateway logging role
    attaches AmazonAPIGatewayPushToCloudWatchLogs); moto creates them only with
    MOTO_IAM_LOAD_MANAGED_POLICIES, all 1,500 of them (0.7 s per account). The
    one asked for is created from moto's own copy of AWS's data on first use."""
    if getattr(IAMBackend.attach_role_policy, "loads_managed_policies", False):
        return
    catalogue: dict = {}

    def ensure(backend: IAMBackend, policy_arn: str) -> None:
        match = _AWS_MANAGED_POLICY.match(policy_arn or "")
        if not match or policy_arn in backend.managed_policies:
            return
        if not catalogue:
            catalogue.update(json.loads(aws_managed_policies_data))
        data = catalogue.get(match["name"])
        if data is None:
            return
        policy = AWSManagedPolicy.from_data(match["name"], backend.account_id, backend.region_name, data)
        if policy.arn == policy_arn:
            backend.managed_policies[policy.arn] = policy

    def loading(method):
        def with_policy(self, policy_arn, *args, **kwargs):
            ensure(self, policy_arn)
            return method(self, policy_arn, *args, **kwargs)

        with_policy.loads_managed_policies = True
        return with_policy

    for name in ("attach_role_policy", "get_policy", "get_policy_version", "list_policy_versions"):
        setattr(IAMBackend, name, loading(getattr(IAMBackend, name)))


def apply_all() -> None:
    answer_validate_state_machine_definition()
    answer_list_state_machine_versions()
    queue_redrive_attributes_as_aws_returns_them()
    lambda_functions_keep_their_logging_config()
    set_queue_attributes_keeps_the_policy()
    aws_managed_policies_on_demand()
