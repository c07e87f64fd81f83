"""One TestState case: a state of a rendered definition, what goes in (input, variables,
context, a mocked result or error, the retrier's count), and what AWS answers (status, next
state, output, error, the request the Task would send, the variables after it).

The tables (notification.py, order.py) read as the workflow's specification, one row a case.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

UNSET: Any = object()  # an expectation the case does not state


@dataclass(frozen=True)
class Case:
    id: str
    state: str
    input: Any = field(default_factory=dict)
    variables: dict[str, Any] | None = None
    mock: dict[str, Any] | None = None  # result(...) or error(...)
    retried: int | None = None  # stateConfiguration.retrierRetryCount: retries already taken
    caused_by: str | None = None  # stateConfiguration.errorCausedByState (a Parallel's error)
    context: dict[str, Any] | None = None
    validation: str | None = None  # mock.fieldValidationMode (AWS's default: STRICT)
    # What AWS answers.
    status: str = "SUCCEEDED"
    next: str | None = None  # None: an end state, or no next state (FAILED, RETRIABLE)
    output: Any = UNSET
    error: str | None = None
    cause: Any = UNSET
    request: Any = UNSET  # inspectionData.afterArguments: what the Task sends
    assigned: dict[str, Any] | None = None  # variables after the state (these keys)
    details: dict[str, Any] | None = None  # inspectionData.errorDetails (retryIndex, catchIndex)

    def arguments(self, definition: dict) -> dict[str, Any]:
        """TestState's parameters for this case."""
        arguments: dict[str, Any] = {
            "definition": json.dumps(definition),
            "stateName": self.state,
            "input": json.dumps(self.input),
            "inspectionLevel": "DEBUG",
        }
        if self.variables is not None:
            arguments["variables"] = json.dumps(self.variables)
        if self.mock is not None:
            arguments["mock"] = {**self.mock, **({"fieldValidationMode": self.validation} if self.validation else {})}
        if self.context is not None:
            arguments["context"] = json.dumps(self.context)
        configuration = {
            key: value
            for key, value in (("retrierRetryCount", self.retried), ("errorCausedByState", self.caused_by))
            if value is not None
        }
        if configuration:
            arguments["stateConfiguration"] = configuration
        return arguments


def context_object(execution: str, start: str, entered: str) -> dict[str, Any]:
    """A whole context object, as an execution has it: an engine may read any of its fields
    (LocalStack's TestState reads State.RetryCount and StateMachine whatever the state uses)."""
    machine = execution.replace(":execution:", ":stateMachine:").rsplit(":", 1)[0]
    return {
        "Execution": {"Id": execution, "Name": execution.rsplit(":", 1)[1], "StartTime": start},
        "State": {"EnteredTime": entered, "RetryCount": 0},
        "StateMachine": {"Id": machine, "Name": machine.rsplit(":", 1)[1]},
    }


def result(value: Any) -> dict[str, Any]:
    """The mocked service answer."""
    return {"result": json.dumps(value)}


def error(name: str, cause: str = "mocked") -> dict[str, Any]:
    """The mocked service failure."""
    return {"errorOutput": {"error": name, "cause": cause}}


def caught(name: str, cause: str = "mocked") -> dict[str, str]:
    """What a Catch without Output passes on: the error output."""
    return {"Error": name, "Cause": cause}


class Satisfies:
    """A value the case describes by a rule rather than spells out (the default context's time)."""

    def __init__(self, rule: Callable[[Any], bool], says: str) -> None:
        self.rule, self.says = rule, says

    def __eq__(self, other: object) -> bool:
        return self.rule(other)

    def __repr__(self) -> str:
        return f"<{self.says}>"


ANY_TEXT = Satisfies(lambda value: isinstance(value, str) and value != "", "a non-empty string")


def retry_cases(
    state: str,
    errors: list[str],
    attempts: int,
    then: str | None,
    *,
    retrier: int,
    variables: dict[str, Any] | None = None,
    input: Any = None,
    caught_output: Any = UNSET,
) -> list[Case]:
    """A retrier (the state's `retrier`th), row by row: each error is RETRIABLE while retries
    taken < MaxAttempts (`attempts`), then after the last one it is caught by `then` (a state
    name) or, with `then` None, FAILED."""
    rows = []
    for name in errors:
        short = name.rsplit(".", 1)[-1]
        given = {"input": {} if input is None else input, "variables": variables, "mock": error(name), "error": name}
        rows += [
            Case(
                f"{state}-{short}-retry-{taken + 1}",
                state,
                **given,
                retried=taken,
                status="RETRIABLE",
                details={"retryIndex": retrier},
            )
            for taken in range(attempts)
        ]
        rows.append(
            Case(
                f"{state}-{short}-after-{attempts}-retries",
                state,
                **given,
                retried=attempts,
                status="CAUGHT_ERROR" if then else "FAILED",
                next=then,
                output=(caught(name) if caught_output is UNSET else caught_output) if then else UNSET,
            )
        )
    return rows


def caught_cases(
    state: str, label: str, catches: dict[str, str], variables: dict[str, Any] | None = None
) -> list[Case]:
    """Errors no retrier retries (a permanent one, or one no retrier lists): caught at the first
    attempt by the Catch whose next state `catches` names, with the error output.
    `label` names each row, "{}" standing for the error's short name."""
    return [
        Case(
            label.format(name.rsplit(".", 1)[-1]),
            state,
            variables=variables,
            mock=error(name),
            retried=0,
            status="CAUGHT_ERROR",
            next=then,
            error=name,
            output=caught(name),
        )
        for name, then in catches.items()
    ]
