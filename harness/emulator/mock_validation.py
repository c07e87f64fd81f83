"""TestState's `fieldValidationMode`: a mocked result checked against the output shape of
the API the Task integrates, read from botocore's service model.

AWS's rules (API reference, MockInput; the developer guide's "Mock validation modes"):
STRICT checks that required fields are present and that present fields conform to the
model; PRESENT checks present fields only; NONE checks nothing. Fields the model does not
define are ignored in every mode. HTTP Tasks, API Gateway and EKS integrations are not
validated. The messages are AWS's own ("Mock result schema validation error: ...").
"""

from __future__ import annotations

import re
from typing import Any

import botocore.session
from botocore.model import ListShape, MapShape, OperationNotFoundError, Shape, StructureShape

# Optimized integrations (arn:aws:states:::<service>:<action>) whose answer has the shape of
# another operation than the one named: a .sync start answers what Step Functions polls.
_SYNC_POLLED = {("states", "startExecution"): "DescribeExecution"}
# Optimized integration service names that botocore spells differently.
_BOTOCORE_NAMES = {"states": "stepfunctions", "sfn": "stepfunctions", "apigateway": None, "eks": None, "http": None}
_RESOURCE = re.compile(
    r"^arn:aws[a-z-]*:states:::(?:aws-sdk:)?(?P<service>[a-z0-9-]+):(?P<action>[A-Za-z0-9]+)(?P<pattern>\..*)?$"
)
_session = botocore.session.get_session()


class MockValidationError(ValueError):
    """A mocked result that breaks the integrated API's output shape."""


def output_shape(resource: str) -> Shape | None:
    """The output shape a Task with this Resource answers, or None when AWS does not validate it."""
    match = _RESOURCE.match(resource or "")
    if not match:
        return None  # a Lambda function ARN or an activity: no API model
    service, action, pattern = match["service"], match["action"], match["pattern"] or ""
    if pattern.startswith(".waitForTaskToken"):
        return None  # the answer is whatever SendTaskSuccess sends
    operation = action[0].upper() + action[1:]
    if pattern.startswith(".sync"):
        operation = _SYNC_POLLED.get((service, action), operation)
    botocore_name = _BOTOCORE_NAMES.get(service, service)
    if botocore_name is None:
        return None
    try:
        model = _session.get_service_model(botocore_name)
        return model.operation_model(operation).output_shape
    except (botocore.exceptions.UnknownServiceError, OperationNotFoundError):
        return None


def validate(resource: str, result: Any, mode: str) -> None:
    """Raise MockValidationError if `result` breaks the integration's output shape under `mode`."""
    if mode == "NONE":
        return
    shape = output_shape(resource)
    if shape is not None:
        _check(shape, result, strict=mode == "STRICT", name=None, top=True)


def _fail(text: str) -> None:
    raise MockValidationError(f"Mock result schema validation error: {text}")


def _member(structure: StructureShape, name: str) -> tuple[str, Shape] | None:
    """A structure's member by its name as the integration writes it: Step Functions answers
    in PascalCase (ExecutionArn) what some models spell in camelCase (executionArn)."""
    for member, shape in structure.members.items():
        if member == name or member[:1].upper() + member[1:] == name:
            return member, shape
    return None


def _check(shape: Shape, value: Any, strict: bool, name: str | None, top: bool = False) -> None:
    if isinstance(shape, StructureShape):
        if not isinstance(value, dict):
            if name is not None:
                _fail(f"Field '{name}' must be an object")
            return
        if strict:
            for required in shape.required_members:
                written = required[:1].upper() + required[1:]
                if required not in value and written not in value:
                    _fail(f"Required field '{written if top else required}' is missing")
        payload = shape.serialization.get("payload")
        for key, item in value.items():
            found = _member(shape, key)
            if found is not None and not (found[0] == payload and found[1].type_name == "blob"):
                _check(found[1], item, strict, key)  # a blob payload (Lambda's) is the function's JSON answer
        return
    if isinstance(shape, ListShape):
        if not isinstance(value, list):
            _fail(f"Field '{name}' must be an array")
        for item in value:
            _check(shape.member, item, strict, name)
        return
    if isinstance(shape, MapShape):
        if not isinstance(value, dict):
            _fail(f"Field '{name}' must be an object")
        for item in value.values():
            _check(shape.value, item, strict, name)
        return
    _check_scalar(shape, value, name)


def _check_scalar(shape: Shape, value: Any, name: str | None) -> None:
    kind = shape.type_name
    if kind in ("string", "blob", "timestamp"):
        if not isinstance(value, str):
            _fail(f"Field '{name}' must be a string")
        if kind == "string" and shape.enum and value not in shape.enum:
            _fail(f"Field '{name}' is not an expected value")
        minimum = shape.metadata.get("min")
        if minimum is not None and len(value) < minimum:
            _fail(f"Field '{name}' is smaller than the minimum length")
    elif kind in ("integer", "long", "float", "double"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            _fail(f"Field '{name}' must be a number")
        if shape.metadata.get("min") is not None and value < shape.metadata["min"]:
            _fail(f"Field '{name}' is less than the minimum value")
        if shape.metadata.get("max") is not None and value > shape.metadata["max"]:
            _fail(f"Field '{name}' exceeds the maximum value")
    elif kind == "boolean" and not isinstance(value, bool):
        _fail(f"Field '{name}' must be a boolean")
