"""The project's own rules for state machine definitions, beyond what ASL requires.

`violations(definition)` returns readable findings; an empty list means the
definition follows every rule. Each rule comes from a failure seen in the seed
designs or from the AWS facts in the README.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

import botocore.session

MAX_RETRY_ATTEMPTS = 10
STATES_ERRORS = {
    "States.ALL",
    "States.TaskFailed",
    "States.Timeout",
    "States.HeartbeatTimeout",
    "States.Permissions",
    "States.ResultPathMatchFailure",
    "States.ParameterPathFailure",
    "States.BranchFailed",
    "States.NoChoiceMatched",
    "States.IntrinsicFailure",
    "States.ExceedToleratedFailureThreshold",
    "States.ItemReaderFailed",
    "States.ResultWriterFailed",
    "States.QueryEvaluationError",
}
UNCATCHABLE = {"States.Runtime", "States.DataLimitExceeded"}
# Step Functions' optimized integrations this project may use, with the suffixes each accepts.
OPTIMIZED = {
    "dynamodb:getItem": {""},
    "dynamodb:putItem": {""},
    "dynamodb:updateItem": {""},
    "dynamodb:deleteItem": {""},
    "sns:publish": {"", ".waitForTaskToken"},
    "sqs:sendMessage": {"", ".waitForTaskToken"},
    "lambda:invoke": {"", ".waitForTaskToken"},
    "states:startExecution": {"", ".sync", ".sync:2", ".waitForTaskToken"},
    "events:putEvents": {"", ".waitForTaskToken"},
}
AWS_SDK_SERVICE_NAMES = {"sfn": "stepfunctions"}  # aws-sdk:<name> that botocore spells differently
_ERROR_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$")
_TASK_RESOURCE = re.compile(
    r"^arn:aws:states:::(?P<integration>[a-zA-Z0-9-]+:[a-zA-Z0-9]+)(?P<suffix>\.[a-zA-Z]+(:2)?)?$"
)
_AWS_SDK = re.compile(
    r"^arn:aws:states:::aws-sdk:(?P<service>[a-z0-9]+):(?P<action>[a-zA-Z0-9]+)(\.waitForTaskToken)?$"
)
_LAMBDA_ARN = re.compile(r"^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9-_]+(:[A-Za-z0-9-_$]+)?$")


def iter_states(scope: dict, path: str = "") -> Iterator[tuple[str, str, dict, dict]]:
    """(location, name, state, enclosing States map) for every state, branches included."""
    for name, state in scope.get("States", {}).items():
        yield f"{path}{name}", name, state, scope["States"]
        for index, branch in enumerate(state.get("Branches", [])):
            yield from iter_states(branch, f"{path}{name}/branch{index}/")
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from iter_states(processor, f"{path}{name}/items/")


def task_arguments(state: dict) -> dict | str:
    """What a Task hands its integration: Arguments in JSONata, Parameters in JSONPath
    (a JSONata expression string when all of it is computed at run time)."""
    return state.get("Arguments", state.get("Parameters", {}))


def computed(arguments: dict | str, name: str) -> bool:
    """Whether the argument `name` is computed at run time: a JSONPath `name.$` or a JSONata `{% ... %}`."""
    if isinstance(arguments, str):
        return True
    value = arguments.get(name)
    return f"{name}.$" in arguments or (isinstance(value, str) and value.lstrip().startswith("{%"))


def violations(definition: dict) -> list[str]:
    found: list[str] = []
    names: dict[str, str] = {}
    for where, name, state, scope in iter_states(definition):
        if name in names:
            found.append(f"{where}: state name also used at {names[name]} (names must be unique)")
        names[name] = where
        found += [f"{where}: {problem}" for problem in _state_problems(state, scope)]
    found += _reachability(definition, "")
    return found


def _state_problems(state: dict, scope: dict) -> Iterator[str]:
    for target in _transitions(state):
        if target not in scope:
            yield f"goes to {target!r}, which does not exist"
    if state.get("Type") == "Task":
        yield from _task_problems(state)
    for kind in ("Retry", "Catch"):
        yield from _error_list_problems(state.get(kind, []), kind)
    for retrier in state.get("Retry", []):
        yield from _retrier_problems(retrier)


def _transitions(state: dict) -> Iterator[str]:
    if "Next" in state:
        yield state["Next"]
    if "Default" in state:
        yield state["Default"]
    for choice in state.get("Choices", []):
        yield choice["Next"]
    for catcher in state.get("Catch", []):
        yield catcher["Next"]


def _task_problems(state: dict) -> Iterator[str]:
    timeout = state.get("TimeoutSeconds")
    if not state.get("TimeoutSecondsPath") and not (isinstance(timeout, int) and timeout >= 1):
        yield "Task without TimeoutSeconds (a stuck call would wait up to a year)"
    resource = state.get("Resource", "")
    if resource.endswith(".waitForTaskToken"):
        heartbeat = state.get("HeartbeatSeconds")
        if not isinstance(heartbeat, int) or not isinstance(timeout, int) or heartbeat >= timeout:
            yield "callback Task needs HeartbeatSeconds below TimeoutSeconds"
    problem = resource_problem(resource)
    if problem:
        yield problem
    if resource.startswith("arn:aws:states:::sns:publish"):
        arguments = task_arguments(state)
        named = arguments if isinstance(arguments, dict) else {}
        targets = [t for t in ("TopicArn", "TargetArn", "PhoneNumber") if t in named or f"{t}.$" in named]
        if len(targets) != 1:
            yield f"sns:publish needs exactly one of TopicArn, TargetArn, PhoneNumber (has {targets or 'none'})"


def resource_problem(resource: str) -> str | None:
    """Why AWS would not know this Task resource, or None."""
    sdk = _AWS_SDK.match(resource)
    if sdk:
        service = AWS_SDK_SERVICE_NAMES.get(sdk["service"], sdk["service"])
        operation = sdk["action"][0].upper() + sdk["action"][1:]
        if operation not in _operations(service):
            return f"{resource}: {sdk['service']} has no API action {sdk['action']}"
        return None
    optimized = _TASK_RESOURCE.match(resource)
    if optimized:
        suffixes = OPTIMIZED.get(optimized["integration"])
        if suffixes is None:
            return f"{resource}: no optimized integration {optimized['integration']} (use aws-sdk:…)"
        if (optimized["suffix"] or "") not in suffixes:
            return f"{resource}: {optimized['integration']} does not support {optimized['suffix']}"
        return None
    if _LAMBDA_ARN.match(resource):
        return None
    return f"{resource!r} is not a Task resource AWS knows"


@cache
def _operations(service: str) -> frozenset[str]:
    session = botocore.session.get_session()
    if service not in session.get_available_services():
        return frozenset()
    return frozenset(session.get_service_model(service).operation_names)


def _error_list_problems(entries: list[dict], kind: str) -> Iterator[str]:
    for position, entry in enumerate(entries):
        errors = entry.get("ErrorEquals", [])
        for error in errors:
            if "*" in error:
                yield f"{kind} names {error!r}: ErrorEquals has no wildcards (only States.ALL)"
            elif error in UNCATCHABLE:
                yield f"{kind} names {error}, which no Retry or Catch can match"
            elif error.startswith("States.") and error not in STATES_ERRORS:
                yield f"{kind} names unknown {error}"
            elif not _ERROR_NAME.match(error):
                yield f"{kind} names {error!r}, not an error name"
        if "States.ALL" in errors and (len(errors) > 1 or position != len(entries) - 1):
            yield f"{kind}: States.ALL must stand alone in the last entry"


def _retrier_problems(retrier: dict) -> Iterator[str]:
    attempts = retrier.get("MaxAttempts")
    if not isinstance(attempts, int) or not 0 <= attempts <= MAX_RETRY_ATTEMPTS:
        yield f"Retry {retrier['ErrorEquals']} needs an explicit MaxAttempts from 0 to {MAX_RETRY_ATTEMPTS}"
        return
    if attempts == 0:
        return
    if not isinstance(retrier.get("IntervalSeconds"), int):
        yield f"Retry {retrier['ErrorEquals']} needs an explicit IntervalSeconds"
    if retrier.get("JitterStrategy") != "FULL":
        yield f"Retry {retrier['ErrorEquals']} needs JitterStrategy FULL (retries in step hammer a struggling service)"
    if retrier.get("BackoffRate", 2.0) > 1 and "MaxDelaySeconds" not in retrier:
        yield f"Retry {retrier['ErrorEquals']} backs off without MaxDelaySeconds"


def _reachability(scope: dict, path: str) -> list[str]:
    states = scope.get("States", {})
    if scope.get("StartAt") not in states:
        return [f"{path}StartAt {scope.get('StartAt')!r} does not exist"]
    seen, queue = set(), [scope["StartAt"]]
    while queue:
        name = queue.pop()
        if name in seen or name not in states:
            continue
        seen.add(name)
        queue.extend(_transitions(states[name]))
    problems = [f"{path}{name}: unreachable" for name in states if name not in seen]
    for name, state in states.items():
        for index, branch in enumerate(state.get("Branches", [])):
            problems += _reachability(branch, f"{path}{name}/branch{index}/")
    return problems


# Findings AWS's own validation refuses too (ValidateStateMachineDefinition
# answers FAIL, CreateStateMachine InvalidDefinition); the rest are this
# project's rules, which AWS accepts.
_AWS_REJECTS = (
    "does not exist",
    "state name also used",
    "is not a Task resource AWS knows",
    "no optimized integration",
    "does not support",
    "has no API action",
    "States.ALL must stand alone",
    "not an error name",
    ": unreachable",
)


def aws_rejects(finding: str) -> bool:
    return any(marker in finding for marker in _AWS_REJECTS)
