"""JSONata for the embedded engine, as AWS evaluates it.

moto parses JSONata definitions ("QueryLanguage": "JSONata") but ships its
evaluator empty (`moto...jsonata.jsonata._eval_jsonata` is None), so every
expression failed. Here the evaluator is jsonata-python, and an expression is
evaluated the way AWS describes it:

- the expression is parsed once per expression string and its values come in as
  bindings ($states, the workflow variables). moto writes every value into the
  expression's text instead (`$states := {...}; expr`), which jsonata-python then
  parses again for every state, and which breaks on a string holding a quote;
- an expression that throws, or returns nothing, fails the state with
  States.QueryEvaluationError (catchable, like AWS's);
- a definition whose expression does not parse is refused when it is validated
  or created, naming the field (`unparsable_expressions`).
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterator
from typing import Any

import jsonata
from jsonata.jexception import JException
from jsonata.utils import Utils
from moto.core.exceptions import AWSError
from moto.stepfunctions.parser.api import EvaluationFailedEventDetails, HistoryEventType
from moto.stepfunctions.parser.api import InvalidDefinition as ParserInvalidDefinition
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import StatesErrorNameType
from moto.stepfunctions.parser.asl.component.common.string.string_expression import StringJSONata
from moto.stepfunctions.parser.asl.component.intrinsic.jsonata import get_intrinsic_functions_declarations
from moto.stepfunctions.parser.asl.component.state.exec.execute_state import ExecutionState
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_factory  # noqa: F401 (every integration's class)
from moto.stepfunctions.parser.asl.eval import states as states_module
from moto.stepfunctions.parser.asl.eval import variable_store
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

_OPEN, _CLOSE = "{%", "%}"


@functools.lru_cache(maxsize=4096)
def compiled(expression: str) -> jsonata.Jsonata:
    """The parsed expression (JException if it does not parse). Definitions are few
    and their expressions fixed, so the cache holds every one after its first run."""
    program = jsonata.Jsonata(expression)
    program.set_output_convert_nulls(False)  # so null and "nothing" stay apart
    return program


@functools.lru_cache(maxsize=4096)
def _program_text(expression: str) -> str:
    """The expression with AWS's own JSONata functions ($partition, $hash...) it calls declared first."""
    references = moto_jsonata.extract_jsonata_variable_references(expression)
    declarations = get_intrinsic_functions_declarations(variable_references=references)
    return f"({declarations}{expression})" if declarations else expression


class QueryEvaluationError(Exception):
    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause


def evaluate(expression: str, bindings: dict[str, Any]) -> Any:
    """The JSON value of `expression` with `bindings` as its variables (names without $)."""
    try:
        result = compiled(_program_text(expression)).evaluate(
            None, {name: Utils.NULL_VALUE if value is None else value for name, value in bindings.items()}
        )
    except JException as error:
        raise QueryEvaluationError(
            f"The JSONata expression '{expression}' threw an error during evaluation: {error}"
        ) from None
    if result is None:
        raise QueryEvaluationError(f"The JSONata expression '{expression}' returned nothing (undefined).")
    if callable(result) or isinstance(result, jsonata.Jsonata.JLambda | jsonata.Jsonata.JFunction):
        raise QueryEvaluationError(f"The JSONata expression '{expression}' returned an unsupported result type.")
    # A fresh value: the interpreter may change the state's output in place later.
    return copy.deepcopy(Utils.convert_nulls(result))


def _evaluate_text(rich_expression: str) -> Any:
    """moto's own path (expressions with their values written in), for the few places
    that still compose text, e.g. `$exists(...)` checks."""
    return Utils.convert_nulls(jsonata.Jsonata(rich_expression).evaluate(None))


def _failure(env, cause: str) -> FailureEventException:
    error_name = StatesErrorName(typ=StatesErrorNameType.StatesQueryEvaluationError)
    details = EvaluationFailedEventDetails(error=error_name.error_name, cause=cause)
    return FailureEventException(
        FailureEvent(
            env=env,
            error_name=error_name,
            event_type=HistoryEventType.EvaluationFailed,
            event_details=EventDetails(evaluationFailedEventDetails=details),
        )
    )


def _bindings(env) -> dict[str, Any]:
    store = env.variable_store
    bindings = {**store._outer_scope, **store._inner_scope}
    bindings["states"] = env.states._states_data
    return bindings


def evaluate_jsonata_with_bindings() -> None:
    """Install jsonata-python as moto's evaluator, and evaluate each JSONata field
    from its parsed program with its values bound."""
    moto_jsonata._eval_jsonata = _evaluate_text
    if getattr(StringJSONata._eval_body, "binds_values", False):
        return

    def eval_body(self, env) -> None:
        try:
            env.stack.append(evaluate(self.expression, _bindings(env)))
        except QueryEvaluationError as error:
            raise _failure(env, error.cause) from None

    eval_body.binds_values = True
    StringJSONata._eval_body = eval_body


# Parse checks, for ValidateStateMachineDefinition and CreateStateMachine -------------------


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


def _scopes(scope: dict, path: str, language: str) -> Iterator[tuple[str, dict, str]]:
    language = scope.get("QueryLanguage", language)
    for name, state in scope.get("States", {}).items():
        state_language = state.get("QueryLanguage", language)
        yield f"{path}/States/{name}", state, state_language
        for index, branch in enumerate(state.get("Branches", [])):
            yield from _scopes(branch, f"{path}/States/{name}/Branches[{index}]", state_language)
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from _scopes(processor, f"{path}/States/{name}/ItemProcessor", state_language)


_NOT_EXPRESSIONS = {"Type", "Comment", "Next", "End", "Default", "Resource", "Branches", "ItemProcessor", "Iterator"}


def unparsable_expressions(definition: str) -> list[str]:
    """Each JSONata expression of a definition that does not parse, as AWS names it:
    the expression, the field and where the state is."""
    try:
        parsed = json.loads(definition)
    except ValueError:
        return []
    if not isinstance(parsed, dict):
        return []
    problems = []
    for where, state, language in _scopes(parsed, "", "JSONPath"):
        if language != "JSONata":
            continue
        for field, value in state.items():
            if field in _NOT_EXPRESSIONS:
                continue
            for path, text in _strings(value, field):
                stripped = text.strip()
                if not (stripped.startswith(_OPEN) and stripped.endswith(_CLOSE)):
                    continue
                expression = stripped[len(_OPEN) : -len(_CLOSE)].strip()
                try:
                    compiled(_program_text(expression))
                except JException as error:
                    problems.append(
                        f"The JSONata expression '{expression}' specified for the field '{path}' is invalid "
                        f"({error}) at {where}"
                    )
    return problems


class InvalidDefinition(AWSError):
    TYPE = "InvalidDefinition"
    STATUS = 400


def refuse_unparsable_expressions() -> None:
    """AWS refuses a JSONata definition whose expression does not parse
    (InvalidDefinition, SCHEMA_VALIDATION_FAILED naming the field); moto's parser
    keeps expressions as text and accepted it. moto's own refusals came back with
    no error code (its parser's exception is not one its responses render)."""
    validate = StepFunctionsParserBackend._validate_definition
    if getattr(validate, "parses_expressions", False):
        return

    def validate_with_expressions(definition: str) -> None:
        try:
            validate(definition)
        except ParserInvalidDefinition as refused:
            raise InvalidDefinition(refused.message) from None
        problems = unparsable_expressions(definition)
        if problems:
            raise InvalidDefinition(f"Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: {problems[0]}'")

    validate_with_expressions.parses_expressions = True
    StepFunctionsParserBackend._validate_definition = staticmethod(validate_with_expressions)


def _every_subclass(cls: type) -> Iterator[type]:
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _every_subclass(subclass)


def query_errors_keep_their_name() -> None:
    """An expression that fails while a Task builds its Arguments fails with
    States.QueryEvaluationError on AWS; moto's service integrations named it after
    the service (DynamoDB.AmazonDynamoDBException), so no Catch or Retry on the
    documented name matched."""
    for cls in {ExecutionState, *_every_subclass(ExecutionState)}:
        from_error = cls.__dict__.get("_from_error")
        if from_error is None or getattr(from_error, "keeps_query_errors", False):
            continue

        def from_error_keeping_query_errors(self, env, ex, _from_error=from_error):
            if isinstance(ex, FailureEventException):
                return ex.failure_event
            return _from_error(self, env=env, ex=ex)

        from_error_keeping_query_errors.keeps_query_errors = True
        cls._from_error = from_error_keeping_query_errors


def _encode_bindings(bindings: dict) -> str:
    """`$name:=<JSON>;` for each binding. moto wrote a string value as `"<text>"` unescaped, so a
    quote, backslash or line break in a variable or in `$states.input` broke the expression."""
    return "".join(f"{name}:={to_json_str(value, separators=(',', ':'))};" for name, value in bindings.items())


def bindings_written_as_json() -> None:
    """The places that still compose an expression's text (`_evaluate_text`) write its values as JSON."""
    for module in (variable_store, states_module):
        module.encode_jsonata_variable_declarations = _encode_bindings


def apply_all() -> None:
    evaluate_jsonata_with_bindings()
    bindings_written_as_json()
    refuse_unparsable_expressions()
    query_errors_keep_their_name()
