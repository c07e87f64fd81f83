"""The Step Functions TestState API on the embedded engine, as AWS documents it.

moto ships the interpreter's TestState program but its server answers TestState with 404,
and its provider takes no `mock`, `stateName`, `context` or `stateConfiguration`. This
module answers the whole request: it picks the state (a single state, or `stateName` in a
whole definition, nested in Parallel branches and Map processors too), runs it with moto's
interpreter (the same paths, intrinsics, JSONata and service calls as an execution), and
answers as AWS does: a mocked result or error instead of the service call, one attempt
only (a Retry that applies is RETRIABLE for `retrierRetryCount`, a Catch that applies is
CAUGHT_ERROR with its output and next state), and the inspection data of the level asked.

Sources for the rules: the TestState API reference and botocore's model of it; the
developer guide's "Using TestState API to test a state"; and AWS's own answers recorded
by LocalStack's snapshot tests (tests/aws/services/stepfunctions/v2/test_state/), whose
error messages are used here word for word. docs/testing.md lists what is not covered.
"""

from __future__ import annotations

import copy
import datetime
import functools
import json
from dataclasses import dataclass, field
from typing import Any

from moto.core.exceptions import AWSError
from moto.stepfunctions.exceptions import ValidationException
from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.catch.catch_outcome import CatchOutcome
from moto.stepfunctions.parser.asl.component.common.catch.catcher_outcome import CatcherOutcomeCaught
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.error_name import ErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import StatesErrorNameType
from moto.stepfunctions.parser.asl.component.common.parargs import Arguments
from moto.stepfunctions.parser.asl.component.state.exec.execute_state import ExecutionState
from moto.stepfunctions.parser.asl.eval.evaluation_details import AWSExecutionDetails
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventHistoryContext
from moto.stepfunctions.parser.asl.eval.program_state import ProgramEnded, ProgramError, ProgramTimedOut
from moto.stepfunctions.parser.asl.eval.states import ContextObjectData, ExecutionData, StateMachineData
from moto.stepfunctions.parser.asl.eval.test_state.environment import TestStateEnvironment
from moto.stepfunctions.parser.asl.eval.test_state.program_state import ProgramChoiceSelected
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor
from moto.stepfunctions.parser.asl.parse.test_state import asl_parser as test_state_parser
from moto.stepfunctions.parser.asl.parse.test_state.asl_parser import TestStateAmazonStateLanguageParser
from moto.stepfunctions.parser.asl.parse.test_state.preprocessor import (
    InspectionDataKey,
    TestStatePreprocessor,
    _decorated_updates_inspection_data,
)
from moto.stepfunctions.parser.asl.static_analyser.static_analyser import StaticAnalyser
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str
from moto.stepfunctions.responses import StepFunctionResponse

from harness.emulator import mock_validation

MOCKABLE = {"Task", "Map", "Parallel"}
NEEDS_A_MOCK = {"Map", "Parallel"}
LEVELS = ("INFO", "DEBUG", "TRACE")
VALIDATION_MODES = ("STRICT", "PRESENT", "NONE")


class InvalidDefinition(AWSError):
    TYPE = "InvalidDefinition"


@dataclass
class Outcome:
    """What the tested state's one attempt came to, beyond what moto's program state says."""

    status: str | None = None  # RETRIABLE or CAUGHT_ERROR; None: read the program state
    error_details: dict = field(default_factory=dict)
    caught: dict = field(default_factory=dict)  # the caught error's {"Error", "Cause"}


def answer_test_state() -> None:
    if getattr(StepFunctionResponse, "test_state", None) is not None:
        return

    def test_state(self):
        request = json.loads(self.body or "{}")
        return json.dumps(run(request, self.current_account, self.region))

    StepFunctionResponse.test_state = test_state


class _OuterStatePreprocessor(TestStatePreprocessor):
    """Makes the outermost state the TestState program; states nested in its Parallel
    branches or Map processor stay plain states."""

    def __init__(self) -> None:
        super().__init__()
        self._outer_seen = False

    def visitState_decl_body(self, ctx):
        if self._outer_seen:
            return Preprocessor.visitState_decl_body(self, ctx)
        self._outer_seen = True
        return super().visitState_decl_body(ctx)


def parallel_and_map_states_parse() -> None:
    """moto's TestState preprocessor turns every state body it visits into a TestState
    program, nested ones too, so a Parallel or Map state failed to parse."""
    test_state_parser.TestStatePreprocessor = _OuterStatePreprocessor


def install() -> None:
    parallel_and_map_states_parse()
    answer_test_state()


# ---- the request -----------------------------------------------------------------------


def _json_field(request: dict, name: str, default: Any = None) -> Any:
    text = request.get(name)
    if text is None:
        return default
    try:
        return json.loads(text)
    except ValueError:
        if name == "input":
            raise AWSError(f"Invalid State Machine Execution Input: '{text}'", "InvalidExecutionInput") from None
        raise ValidationException(f"Invalid {name}: '{text}' is not valid JSON") from None


def _find_state(states: dict, name: str, in_map: bool = False) -> tuple[dict, bool] | None:
    """A state by name anywhere in a definition: top level, Parallel branches, Map processors."""
    for state_name, state in states.items():
        if state_name == name:
            return state, in_map
        for branch in state.get("Branches") or []:
            found = _find_state(branch.get("States") or {}, name, in_map)
            if found:
                return found
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            found = _find_state(processor.get("States") or {}, name, True)
            if found:
                return found
    return None


@functools.lru_cache(maxsize=16)
def _analysed(definition_text: str) -> None:
    """The whole definition passes moto's static analysis. Parsing it is 90% of a call's time
    (about 90 ms for the order saga), and a caller tests one definition state after state:
    a definition that passed is not parsed again (a refused one raises, and is not cached)."""
    try:
        StaticAnalyser().analyse(definition_text)
    except Exception as error:  # the parser raises its own types and plain ones alike
        raise InvalidDefinition(f"Invalid State Machine Definition: {getattr(error, 'message', error)}") from None


def _select_state(definition_text: str, state_name: str | None) -> tuple[dict, str, bool]:
    """The state under test, its name, and whether it runs inside a Map."""
    try:
        definition = json.loads(definition_text)
    except ValueError:
        raise InvalidDefinition(f"Invalid State Machine Definition: '{definition_text[:200]}' is not JSON") from None
    if not isinstance(definition, dict):
        raise InvalidDefinition("Invalid State Machine Definition: the definition must be a JSON object")
    if state_name is None:
        if "States" in definition:
            raise InvalidDefinition("Invalid State Machine Definition: a whole state machine needs a stateName")
        return definition, "TestState", False
    if "States" not in definition:
        raise InvalidDefinition("Invalid State Machine Definition: stateName needs a whole state machine definition")
    _analysed(definition_text)
    found = _find_state(definition["States"], state_name)
    if found is None:
        raise ValidationException(f"State '{state_name}' does not exist in the state machine definition")
    state, in_map = found
    state = copy.deepcopy(state)
    # A state takes the machine's query language unless it names its own.
    if "QueryLanguage" in definition and "QueryLanguage" not in state:
        state["QueryLanguage"] = definition["QueryLanguage"]
    return state, state_name, in_map


def _check_combination(state: dict, request: dict, mock: dict | None) -> None:
    """What AWS refuses before running anything (messages as AWS words them)."""
    state_type = state.get("Type")
    if mock is not None:
        if "result" in mock and "errorOutput" in mock:
            raise ValidationException(
                "A test mock should have only one of the following fields: [result, errorOutput]."
            )
        if state_type not in MOCKABLE:
            raise ValidationException(f"State type '{state_type}' is not supported when a mock is specified")
        if request.get("revealSecrets"):
            raise ValidationException("TestState does not support RevealSecrets when a mock is specified.")
        if mock.get("fieldValidationMode", "STRICT") not in VALIDATION_MODES:
            raise ValidationException(f"fieldValidationMode must be one of {list(VALIDATION_MODES)}")
        if state_type in NEEDS_A_MOCK and "errorOutput" in mock:
            source = (request.get("stateConfiguration") or {}).get("errorCausedByState")
            inner: dict = {}
            for branch in state.get("Branches") or [state.get("ItemProcessor") or state.get("Iterator") or {}]:
                inner.update(branch.get("States") or {})
            if not source or _find_state(inner, source) is None:
                raise ValidationException(
                    f"A mocked error for a {state_type} state needs stateConfiguration.errorCausedByState "
                    "naming the state inside it that raised the error"
                )
        return
    if state_type in NEEDS_A_MOCK:
        raise InvalidDefinition(
            "TestState API does not support Map or Parallel states. "
            "Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]"
        )
    if request.get("context") is not None:
        raise ValidationException("context may only be specified together with a mock")
    resource = state.get("Resource", "") if state_type == "Task" else ""
    if ":activity:" in resource or ".sync" in resource or ".waitForTaskToken" in resource:
        raise ValidationException(
            f"Resource '{resource}': activities, .sync and .waitForTaskToken integrations need a mock in TestState"
        )
    if state_type == "Task" and not request.get("roleArn"):
        raise ValidationException("roleArn is required to test a Task state without a mock")


def _check_mock_result(state: dict, result: Any, mode: str) -> None:
    state_type = state["Type"]
    if state_type == "Parallel":
        if not isinstance(result, list):
            raise ValidationException("Mocked result must be an array.")
        if len(result) != len(state.get("Branches") or []):
            raise ValidationException(
                "Mocked result must contain the same number of items as number of Parallel branches."
            )
    elif state_type == "Map":
        if "ResultWriter" in state and not isinstance(result, dict):
            raise ValidationException("Mocked result must be a JSON object.")
        if "ResultWriter" not in state and not isinstance(result, list):
            raise ValidationException("Mocked result must be an array.")
    else:
        try:
            mock_validation.validate(state.get("Resource", ""), result, mode)
        except mock_validation.MockValidationError as error:
            raise ValidationException(str(error)) from None


# ---- the run -----------------------------------------------------------------------------


def _error_name(name: str) -> ErrorName:
    """A mocked error as the interpreter names it: States.TaskFailed matches custom names only."""
    if name.startswith("States."):
        try:
            return StatesErrorName(typ=StatesErrorNameType.from_name(name))
        except ValueError:
            return _UnknownStatesError(name)
    return CustomErrorName(name)


class _UnknownStatesError(StatesErrorName):
    def __init__(self, name: str) -> None:  # a States.* name moto does not know
        self.error_name = name


def _mocked_failure(env, error: str, cause: str) -> FailureEventException:
    return FailureEventException(
        FailureEvent(
            env=env,
            error_name=_error_name(error),
            event_type=HistoryEventType.TaskFailed,
            event_details=EventDetails(taskFailedEventDetails=TaskFailedEventDetails(error=error, cause=cause)),
        )
    )


def _exceeds_tolerated_failures(state_json: dict, failures: int, items: int) -> bool:
    """A Map's mapIterationFailureCount against its ToleratedFailureCount/Percentage (default 0)."""
    if state_json.get("Type") != "Map" or not failures:
        return False
    count = state_json.get("ToleratedFailureCount")
    percentage = state_json.get("ToleratedFailurePercentage")
    if count is None and percentage is None:
        return True
    within_count = count is not None and failures <= count
    within_percentage = percentage is not None and items and failures * 100 / items <= percentage
    return not (within_count or within_percentage)


def _mock_the_work(state: ExecutionState, mock: dict, threshold_exceeded: bool) -> None:
    """The state's work (a service call, or a whole Map or Parallel) answers the mock."""

    def mocked(env) -> None:
        if getattr(state, "resource", None) is not None:
            state.resource.eval(env=env)
            env.stack.pop()
        if hasattr(state, "_eval_parameters"):
            state._eval_parameters(env=env)  # Parameters / Arguments are evaluated (and inspected)
        if "errorOutput" in mock:
            failure = mock["errorOutput"] or {}
            raise _mocked_failure(env, failure.get("error", ""), failure.get("cause", ""))
        if threshold_exceeded:
            raise _mocked_failure(
                env, "States.ExceedToleratedFailureThreshold", "The specified tolerated failure threshold was exceeded"
            )
        env.stack.append(copy.deepcopy(mock["_result"]))

    state._eval_execution = _decorated_updates_inspection_data(mocked, InspectionDataKey.RESULT)


def _backoff(retrier, retry_count: int) -> int | float:
    seconds = retrier.interval_seconds.seconds * retrier.backoff_rate.rate**retry_count
    seconds = min(seconds, retrier.max_delay_seconds.max_delays_seconds)
    return int(seconds) if float(seconds).is_integer() else seconds


def _one_attempt(state: ExecutionState, outcome: Outcome, retry_count: int) -> None:
    """Replace the state's retry loop with one attempt: TestState reports what the
    Retry or Catch that applies would do next instead of doing it."""

    def eval_state(env) -> None:
        env.states.context_object.context_object_data["State"]["RetryCount"] = retry_count
        try:
            state._evaluate_with_timeout(env)
            return
        except Exception as ex:
            failure = state._from_error(env=env, ex=ex)
        error_output = state._construct_error_output_value(failure_event=failure)
        env.states.set_error_output(error_output)
        env.states.set_result(error_output)
        for index, retrier in enumerate(state.retry.retriers if state.retry else []):
            env.stack.append(failure.error_name)
            retrier.error_equals.eval(env)
            if env.stack.pop():
                outcome.error_details["retryIndex"] = index
                if retry_count < retrier.max_attempts.attempts:
                    outcome.status = "RETRIABLE"
                    outcome.error_details["retryBackoffIntervalSeconds"] = _backoff(retrier, retry_count)
                    raise FailureEventException(failure)
                break
        if state.catch:
            env.stack.append(failure)
            for index, catcher in enumerate(state.catch.catchers):
                catcher.eval(env)
                if isinstance(env.stack.pop(), CatcherOutcomeCaught):
                    outcome.status = "CAUGHT_ERROR"
                    outcome.error_details = {"catchIndex": index}
                    outcome.caught = error_output
                    env.stack.append(CatchOutcome.Caught)
                    return
            env.stack.pop()
        raise FailureEventException(failure)

    state._eval_state = eval_state


def _inspect_arguments(state) -> None:
    """JSONata's Arguments, inspected as afterArguments (moto inspects Parameters only)."""
    parargs = getattr(state, "parargs", None)
    if isinstance(parargs, Arguments):
        original = parargs._eval_body

        def eval_arguments(env) -> None:
            original(env)
            env.inspection_data["afterArguments"] = to_json_str(env.stack[-1])

        parargs._eval_body = eval_arguments


def _given_context_wins(state, given: dict) -> None:
    """The state's context fields the caller gave (State.EnteredTime, ...) replace the ones
    moto writes as it enters the state."""
    state_fields = given.get("State") or {}
    if not state_fields:
        return
    original = state._eval_state_input

    def eval_state_input(env) -> None:
        env.states.context_object.context_object_data["State"].update(state_fields)
        original(env)

    state._eval_state_input = eval_state_input


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _context(given: dict, name: str, role_arn: str, account: str, region: str, input_value: Any, in_map: bool) -> dict:
    machine = f"TestStateMachine-{name}"
    context = {
        "Execution": {
            "Id": f"arn:aws:states:{region}:{account}:execution:{machine}:test-state",
            "Input": input_value,
            "Name": "test-state",
            "RoleArn": role_arn,
            "StartTime": _now(),
        },
        "StateMachine": {"Id": f"arn:aws:states:{region}:{account}:stateMachine:{machine}", "Name": machine},
    }
    if in_map and "Map" not in given:
        context["Map"] = {"Item": {"Index": 0, "Value": input_value}}
    for key, value in given.items():
        if isinstance(value, dict) and isinstance(context.get(key), dict):
            context[key] = {**context[key], **value}
        else:
            context[key] = value
    return context


def run(request: dict, account: str, region: str) -> dict:
    level = request.get("inspectionLevel") or "INFO"
    if level not in LEVELS:
        raise ValidationException(f"inspectionLevel must be one of {list(LEVELS)}")
    state_json, state_name, in_map = _select_state(request.get("definition") or "", request.get("stateName"))
    mock = request.get("mock")
    _check_combination(state_json, request, mock)
    input_value = _json_field(request, "input", {})
    variables = _json_field(request, "variables", {})
    given_context = _json_field(request, "context", {})
    if not isinstance(variables, dict):
        raise ValidationException("variables must be a JSON object")
    if mock is not None and "errorOutput" not in mock:
        mock = {**mock, "_result": _json_field(mock, "result")}
        _check_mock_result(state_json, mock["_result"], mock.get("fieldValidationMode", "STRICT"))
    configuration = request.get("stateConfiguration") or {}

    try:
        program, _ = TestStateAmazonStateLanguageParser.parse(json.dumps(state_json))
    except Exception as error:  # the parser raises its own types and plain ones alike
        raise InvalidDefinition(f"Invalid State Machine Definition: {getattr(error, 'message', error)}") from None
    state = program.test_state
    state.name = state_name
    outcome = Outcome()
    if isinstance(state, ExecutionState):
        if mock is not None:
            failures = int(configuration.get("mapIterationFailureCount") or 0)
            items = len(mock["_result"]) if isinstance(mock.get("_result"), list) else 0
            _mock_the_work(state, mock, _exceeds_tolerated_failures(state_json, failures, items))
        _one_attempt(state, outcome, int(configuration.get("retrierRetryCount") or 0))
    _inspect_arguments(state)
    _given_context_wins(state, given_context)

    role_arn = request.get("roleArn") or ""
    context = _context(given_context, state_name, role_arn, account, region, input_value, in_map)
    env = TestStateEnvironment(
        aws_execution_details=AWSExecutionDetails(account=account, region=region, role_arn=role_arn),
        execution_type="STANDARD",
        context=ContextObjectData(
            Execution=ExecutionData(**context["Execution"]),
            StateMachine=StateMachineData(**context["StateMachine"]),
        ),
        event_history_context=EventHistoryContext.of_program_start(),
        activity_store={},
    )
    for key, value in context.items():
        env.states.context_object.context_object_data[key] = value
    for name, value in variables.items():
        env.variable_store.set(name, value)
    program.eval(env)
    return _answer(env, outcome, level, variables)


def _answer(env: TestStateEnvironment, outcome: Outcome, level: str, variables: dict) -> dict:
    program_state = env.program_state()
    answer: dict[str, Any] = {}
    if isinstance(program_state, ProgramError):
        answer.update(status=outcome.status or "FAILED", error=program_state.error.get("error", ""))
        answer["cause"] = program_state.error.get("cause", "")
    elif isinstance(program_state, ProgramTimedOut):
        answer.update(status="FAILED", error="States.Timeout", cause="The state did not finish within 5 minutes")
    else:
        answer["status"] = outcome.status or "SUCCEEDED"
        answer["output"] = to_json_str(env.states.get_input())
        if outcome.status == "CAUGHT_ERROR":
            answer.update(error=outcome.caught["Error"], cause=outcome.caught["Cause"])
        if isinstance(program_state, ProgramChoiceSelected):
            answer["nextState"] = program_state.next_state_name
        elif not isinstance(program_state, ProgramEnded):
            answer["nextState"] = env.next_state_name
    if level != "INFO":
        inspection = dict(env.inspection_data)
        if "afterResultSelector" not in inspection and "afterResultPath" in inspection:
            # JSONPath: without a ResultSelector, AWS shows the result unchanged.
            unselected = inspection.get("result", inspection.get("afterParameters"))
            if unselected is not None:
                inspection["afterResultSelector"] = unselected
        assigned = {**variables, **_assigned(env)}
        if assigned:
            inspection["variables"] = to_json_str(assigned)
        if outcome.error_details:
            inspection["errorDetails"] = outcome.error_details
        answer["inspectionData"] = inspection
    return answer


def _assigned(env: TestStateEnvironment) -> dict:
    store = env.variable_store
    return {**store._outer_scope, **store._inner_scope}
