"""Start-up extensions for MiniStack (PyPI `ministack`), pinned to one release.

Run *instead of* the `ministack` command, by MiniStack's own interpreter:

    GATEWAY_PORT=4566 BIND_HOST=127.0.0.1 .tools/ministack/bin/python -I harness/engines/ministack_extensions.py

It applies the corrections below to the MiniStack it imports, then starts it
exactly as `ministack` does (`ministack.app.main()`). Each correction closes a
gap between MiniStack and AWS that this stack depends on; each is small, checks
that the code it changes is still the code it was written against (and refuses
to start otherwise), and is written so it could be offered upstream as it
stands. docs/engines.md lists them with their evidence; tests/ministack/
checks each against a running MiniStack.

1. Lambda error names (`lambda_error_names`). AWS's Python runtime reports an
   exception a handler raises by its class name: `errorType` is
   `PaymentDeclined`, and Step Functions fails the Task with that error name,
   which `Retry`/`Catch` match. MiniStack 1.5.33's warm Python worker sends only
   the message, and every handler exception becomes `Runtime.HandlerError`; no
   named Catch of a saga ever matches. The worker now also sends the class
   name, and the executor reports it (`Runtime.HandlerError` stays for failures
   that carry none).

2. The SESv2 AWS SDK integration (`sesv2_sdk_integration`).
   `arn:aws:states:::aws-sdk:sesv2:<action>` fails with `States.Runtime`
   ("Service 'sesv2' is not supported in MiniStack aws-sdk integrations"),
   although MiniStack serves SESv2 itself. The call is now dispatched to
   MiniStack's SESv2 handler: the request URI and method come from botocore's
   SESv2 model (URI members filled from the Parameters, the rest is the JSON
   body, member names as on the wire), the result keys follow the SDK
   integration's naming, and an error is named as Step Functions names it,
   `SesV2.<Code>Exception` (`SesV2.MessageRejectedException`).

3. State machine tracing (`state_machine_tracing`). AWS's DescribeStateMachine
   returns the `tracingConfiguration` a machine was created or updated with
   (`{"enabled": false}` when none was given). MiniStack 1.5.33 drops it, so
   after `terraform apply` of a machine with tracing on, every `terraform plan`
   finds a change (`+ tracing_configuration { enabled = true }`): `make plan`
   never exits 0. The configuration is now kept on the machine's record and
   described with it.

4. Execution history (`execution_history`). On AWS the history records the
   states entered and exited inside Parallel branches (and Map iterations),
   a Parallel state's `ParallelStateStarted` and `ParallelStateSucceeded`/
   `ParallelStateFailed`, and every event but the first names the event
   before it in its own branch (`previousEventId`): that is how a reader
   tells which Task a `TaskFailed` belongs to when branches interleave, and
   counts the retries of one state. MiniStack 1.5.33 records only the
   top-level states, sets no `previousEventId`, and numbers events with
   `len(events) + 1` from every branch thread at once, so two events can
   share an id. Branch states are now recorded as top-level ones are,
   Parallel states get their start and end events, and events are numbered
   under a lock and chained per branch: each thread (Parallel branches and
   Map iterations run in threads that copy their parent's context) remembers
   the last event it added to the execution.

5. Late task tokens (`late_task_tokens`). On AWS, answering a task token whose
   Task has ended (timed out, or already answered) with SendTaskSuccess,
   SendTaskFailure or SendTaskHeartbeat fails with `TaskTimedOut`; the order
   saga's operators are told to expect it (docs/orders.md). MiniStack 1.5.33
   forgets a token when its wait ends and answers `TaskDoesNotExist`, so a
   reviewer's heartbeat that races the approval's timeout gets one error or the
   other depending on timing. Tokens a Task issued are now remembered after it
   ends, and answering one is `TaskTimedOut`; unknown tokens are answered as
   before.

6. JSONata Parallel results (`jsonata_parallel_results`). On AWS a JSONata
   Parallel state's `Assign` and `Output` see the branches' outputs as
   `$states.result` (an array, one item per branch). MiniStack 1.5.33 applies
   `Output` and `Assign` to Pass, Task, Choice, Wait and Map states but not to
   Parallel: its output is always the array and its `Assign` is never
   evaluated, so a variable it assigns is undefined in the next state (the
   notification's `$sms`, the order's `$fraud`). They are now evaluated, as for
   a Task, with MiniStack's own JSONata helpers.

Only the standard library and MiniStack are imported: this file runs in
MiniStack's virtualenv, not the project's.
"""

from __future__ import annotations

import contextvars
import json
import re
import threading
from importlib.metadata import version
from urllib.parse import quote

# The release these corrections were written against (requirements-ministack.txt pins it).
PINNED_VERSION = "1.5.33"


class ExtensionMismatch(RuntimeError):
    """The MiniStack code a correction changes is not what it was written against."""


def check_version() -> str:
    found = version("ministack")
    if found != PINNED_VERSION:
        raise ExtensionMismatch(
            f"harness/engines/ministack_extensions.py was written against ministack {PINNED_VERSION}, found {found}: "
            "re-check each correction against the new release (tests/ministack/), then update PINNED_VERSION"
        )
    return found


# 1. Lambda error names ---------------------------------------------------------
_WORKER_ERROR_LINE = '"trace": traceback.format_exc()})'
_WORKER_ERROR_LINE_NAMED = '"trace": traceback.format_exc(), "errorType": type(e).__name__})'
_error_type = threading.local()


def lambda_error_names() -> None:
    from ministack.core import lambda_runtime
    from ministack.services import lambda_svc

    script = lambda_runtime._PYTHON_WORKER_SCRIPT
    if script.count(_WORKER_ERROR_LINE) != 1:
        raise ExtensionMismatch("lambda_error_names: the Python worker's error line changed")
    lambda_runtime._PYTHON_WORKER_SCRIPT = script.replace(_WORKER_ERROR_LINE, _WORKER_ERROR_LINE_NAMED)

    invoke = lambda_runtime.Worker.invoke
    execute_warm = lambda_svc._execute_function_warm

    def invoke_keeping_error_type(self, *args, **kwargs):
        result = invoke(self, *args, **kwargs)
        _error_type.name = result.get("errorType") if result.get("status") == "error" else None
        return result

    def execute_warm_with_error_type(func, event, request_id):
        _error_type.name = None
        result = execute_warm(func, event, request_id)
        body = result.get("body") if result.get("error") else None
        name = getattr(_error_type, "name", None)
        if isinstance(body, dict) and body.get("errorType") == "Runtime.HandlerError" and name:
            result["body"] = {**body, "errorType": name}
        return result

    lambda_runtime.Worker.invoke = invoke_keeping_error_type
    lambda_svc._execute_function_warm = execute_warm_with_error_type


# 2. The SESv2 AWS SDK integration ----------------------------------------------
SESV2_ERROR_PREFIX = "SesV2"


def sdk_error_name(prefix: str, code: str) -> str:
    """An SDK integration's error name: the Java SDK v2 exception class, prefixed with the service
    (`MessageRejected` -> `SesV2.MessageRejectedException`)."""
    code = code.split(":", 1)[0].rsplit("#", 1)[-1]
    return f"{prefix}.{code if code.endswith('Exception') else code + 'Exception'}"


def sesv2_request(model, action: str, parameters: dict) -> tuple[str, str, dict, bytes]:
    """(method, path, query, body) of an SESv2 REST-JSON call, from botocore's model."""
    operation = model.operation_model(action[:1].upper() + action[1:])
    shape = operation.input_shape
    members = shape.members if shape is not None else {}
    path, query, body = operation.http["requestUri"], {}, {}
    for name, value in (parameters or {}).items():
        location = members[name].serialization.get("location") if name in members else None
        wire = members[name].serialization.get("name", name) if name in members else name
        if location == "uri":
            path = re.sub(r"\{" + re.escape(wire) + r"\+?\}", quote(str(value), safe=""), path)
        elif location == "querystring":
            query[wire] = [str(value)]
        elif location is None:
            body[name] = value
    path, _, literal_query = path.partition("?")
    for pair in filter(None, literal_query.split("&")):
        key, _, value = pair.partition("=")
        query[key] = [value]
    return operation.http["method"], path, query, json.dumps(body).encode() if body else b""


def sesv2_sdk_integration() -> None:
    from ministack import app
    from ministack.core.responses import _service_model
    from ministack.services import stepfunctions as sfn

    if "sesv2" in sfn._AWS_SDK_SERVICE_MAP:
        raise ExtensionMismatch("sesv2_sdk_integration: MiniStack now has an SESv2 SDK integration of its own")
    invoke_sdk = sfn._invoke_aws_sdk_integration

    def call_sesv2(action: str, parameters: dict):
        model = _service_model("sesv2")
        if model is None:
            raise sfn._ExecutionError("States.Runtime", "botocore has no SESv2 model")
        try:
            method, path, query, body = sesv2_request(model, action, parameters)
        except Exception as error:  # noqa: BLE001 - unknown operation: as AWS, a runtime error
            raise sfn._ExecutionError("States.Runtime", f"aws-sdk:sesv2:{action}: {error}") from None
        headers = {
            "content-type": "application/json",
            "host": f"email.{sfn.get_region()}.amazonaws.com",
            "authorization": f"AWS4-HMAC-SHA256 Credential=test/20260101/{sfn.get_region()}/ses/aws4_request",
        }
        handler = app._get_module("ses_v2").handle_request
        status, response_headers, response = app.call_service_handler_sync(handler, method, path, headers, body, query)
        text = response.decode("utf-8") if isinstance(response, bytes) else (response or "")
        data = json.loads(text) if text.strip().startswith("{") else {}
        if status >= 400:
            lowered = {key.lower(): value for key, value in (response_headers or {}).items()}
            code = (
                lowered.get("x-amzn-errortype")
                or data.get("name")
                or data.get("__type")
                or data.get("code")
                or "SesV2Exception"
            )
            raise sfn._ExecutionError(
                sdk_error_name(SESV2_ERROR_PREFIX, code), data.get("message") or data.get("Message") or text
            )
        return sfn._convert_keys_to_sfn_convention(data)

    def invoke_sdk_with_sesv2(resource, input_data):
        parts = resource.replace(".sync", "").replace(".waitForTaskToken", "").split(":")
        if len(parts) >= 8 and parts[5] == "aws-sdk" and parts[6].lower() == "sesv2":
            return call_sesv2(parts[7], input_data)
        return invoke_sdk(resource, input_data)

    sfn._invoke_aws_sdk_integration = invoke_sdk_with_sesv2


# 3. State machine tracing --------------------------------------------------------
def tracing_configuration(data: dict, current: dict | None = None) -> dict:
    """What DescribeStateMachine reports after a Create/Update carrying `data`."""
    given = data.get("tracingConfiguration")
    if isinstance(given, dict):
        return {"enabled": bool(given.get("enabled"))}
    return current or {"enabled": False}


def state_machine_tracing() -> None:
    from ministack.services import stepfunctions as sfn

    create, update = sfn._create_state_machine, sfn._update_state_machine
    if "tracingConfiguration" in inspect_source(create) or "tracingConfiguration" in inspect_source(update):
        raise ExtensionMismatch("state_machine_tracing: MiniStack now handles tracingConfiguration itself")

    def keep(arn: str | None, data: dict) -> None:
        machine = sfn._state_machines.get(arn) if arn else None
        if machine is not None:
            machine["tracingConfiguration"] = tracing_configuration(data, machine.get("tracingConfiguration"))

    def create_with_tracing(data):
        response = create(data)
        if response[0] < 300:
            keep(json.loads(response[2]).get("stateMachineArn"), data)
        return response

    def update_with_tracing(data):
        response = update(data)
        if response[0] < 300:
            keep(data.get("stateMachineArn"), data)
        return response

    sfn._create_state_machine = create_with_tracing
    sfn._update_state_machine = update_with_tracing


def inspect_source(function) -> str:
    import inspect

    return inspect.getsource(function)


# 4. Execution history ----------------------------------------------------------------
# (execution ARN, id of the last event this thread of that execution added)
_last_event: contextvars.ContextVar = contextvars.ContextVar("ministack_last_history_event", default=None)
_history_lock = threading.Lock()
# sha256 of the MiniStack 1.5.33 functions replaced or wrapped below: a release that changes
# them makes the extension refuse to start rather than guess.
_SUB_MACHINE_SHA256 = "f8d844168b1459f8d2f13b3fb93ee6cba425bbc57bd05e7cab3fe8f010853f29"
_PARALLEL_SHA256 = "b8c7f69152976e05aeea7823a4c9fd9a3c039fd117a94b38abb3f7bfd0b1bc4a"


def execution_history() -> None:
    from ministack.services import stepfunctions as sfn

    add_event = sfn._add_event
    if "previousEventId" in inspect_source(add_event):
        raise ExtensionMismatch("execution_history: MiniStack now chains history events itself")
    for function, digest in (
        (sfn._run_sub_machine, _SUB_MACHINE_SHA256),
        (sfn._run_parallel_branches, _PARALLEL_SHA256),
    ):
        if source_digest(function) != digest:
            raise ExtensionMismatch(f"execution_history: {function.__name__} changed")

    def add_chained_event(execution, event_type, details=None):
        arn = execution.get("executionArn")
        last = _last_event.get()
        with _history_lock:
            # A thread's first event of this execution follows the latest one (ExecutionStarted, or its parent's).
            previous = last[1] if last is not None and last[0] == arn else len(execution["events"])
            event = add_event(execution, event_type, details)
            event["previousEventId"] = previous
        _last_event.set((arn, event["id"]))
        return event

    def run_parallel_branches(state_def, raw_input, execution, ctx):
        add_chained_event(execution, "ParallelStateStarted")
        try:
            result = run_parallel(state_def, raw_input, execution, ctx)
        except sfn._ExecutionError:
            add_chained_event(execution, "ParallelStateFailed")
            raise
        add_chained_event(execution, "ParallelStateSucceeded")
        return result

    run_parallel = sfn._run_parallel_branches
    sfn._add_event = add_chained_event
    sfn._run_sub_machine = run_sub_machine_recorded
    sfn._run_parallel_branches = run_parallel_branches


# Copyright (c) 2026 MiniStack Contributors. SPDX-License-Identifier: MIT
# run_sub_machine_recorded is MiniStack 1.5.33's _run_sub_machine (services/stepfunctions.py),
# with the StateEntered/StateExited events its _run_execution records for top-level states.
def run_sub_machine_recorded(states, start_at, input_data, execution, ctx):
    import copy

    from ministack.services import stepfunctions as sfn

    current_name = start_at
    current_input = copy.deepcopy(input_data)

    while current_name:
        state_def = states.get(current_name)
        if not state_def:
            raise sfn._ExecutionError("States.Runtime", f"State '{current_name}' not found")

        state_type = state_def.get("Type")
        ctx["State"] = {"Name": current_name, "EnteredTime": sfn.now_iso(), "RetryCount": 0}
        sfn._add_event(
            execution,
            f"{state_type}StateEntered",
            {
                "stateEnteredEventDetails": {"name": current_name, "input": json.dumps(current_input)},
            },
        )

        if state_type == "Succeed":
            output = sfn._apply_output_path(state_def, sfn._apply_input_path(state_def, current_input, ctx), ctx)
            sfn._add_event(
                execution,
                "SucceedStateExited",
                {
                    "stateExitedEventDetails": {"name": current_name, "output": json.dumps(output)},
                },
            )
            return output
        if state_type == "Fail":
            raise sfn._ExecutionError(*sfn._fail_state_error(state_def, current_input, ctx))

        handler_fn = {
            "Pass": sfn._execute_pass,
            "Task": sfn._execute_task,
            "Choice": sfn._execute_choice,
            "Wait": sfn._execute_wait,
            "Parallel": sfn._execute_parallel,
            "Map": sfn._execute_map,
        }.get(state_type)

        if not handler_fn:
            raise sfn._ExecutionError("States.Runtime", f"Unknown state type: {state_type}")

        if state_type in ("Task", "Parallel", "Map"):
            current_input, next_name = handler_fn(state_def, current_input, execution, ctx)
        else:
            current_input, next_name = handler_fn(state_def, current_input, ctx)
        sfn._add_event(
            execution,
            f"{state_type}StateExited",
            {
                "stateExitedEventDetails": {"name": current_name, "output": json.dumps(current_input)},
            },
        )
        current_name = next_name

    return current_input


# 5. Late task tokens ------------------------------------------------------------------
_CALLBACK_SHA256 = {
    "_invoke_with_callback": "bbb38423156a0d3d46c6fe19292640055cfa72e929d2356153f3a8a6c2c023d9",
    "_send_task_success": "12eff48bce57f5abe0fe41ea2e0dcbee9b8df43acc2297f032b66b1f360b1f05",
    "_send_task_failure": "c2a489b4ed330840a447d69aa1188355ebb657f6679b8cb0e07869ec7b3d3c28",
    "_send_task_heartbeat": "56879a4655d159a255746e29496e73b0630c7b799b65dc31883df10cef00112d",
}
_ended_tokens: set[str] = set()


def late_task_tokens() -> None:
    from ministack.services import stepfunctions as sfn

    for name, digest in _CALLBACK_SHA256.items():
        if source_digest(getattr(sfn, name)) != digest:
            raise ExtensionMismatch(f"late_task_tokens: {name} changed")
    invoke_with_callback = sfn._invoke_with_callback

    def invoke_remembering_the_token(resource, input_data, token, state_def):
        try:
            return invoke_with_callback(resource, input_data, token, state_def)
        finally:
            _ended_tokens.add(token)

    def answering(send):
        def send_unless_ended(data):
            token = data.get("taskToken")
            if token in _ended_tokens and token not in sfn._task_tokens:
                return sfn.error_response_json(
                    "TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'", 400
                )
            return send(data)

        return send_unless_ended

    sfn._invoke_with_callback = invoke_remembering_the_token
    for name in ("_send_task_success", "_send_task_failure", "_send_task_heartbeat"):
        setattr(sfn, name, answering(getattr(sfn, name)))


# 6. JSONata Parallel results ---------------------------------------------------------
def jsonata_parallel_results() -> None:
    from ministack.services import stepfunctions as sfn

    if "Assign" in inspect_source(sfn._execute_parallel) + inspect_source(sfn._run_parallel_branches):
        raise ExtensionMismatch("jsonata_parallel_results: MiniStack now evaluates a Parallel state's Assign itself")
    run_parallel = sfn._run_parallel_branches

    def run_parallel_with_jsonata(state_def, raw_input, execution, ctx):
        output, following = run_parallel(state_def, raw_input, execution, ctx)
        if sfn._state_query_language(state_def, ctx) != "JSONata":
            return output, following
        # A JSONata Parallel has no ResultSelector, ResultPath or OutputPath: `output` is the branches' array.
        shaped = sfn._apply_jsonata_output(state_def, raw_input, ctx, result=output, default=output)
        sfn._apply_state_assign(state_def, raw_input, ctx, result=output)
        return shaped, following

    sfn._run_parallel_branches = run_parallel_with_jsonata


def source_digest(function) -> str:
    import hashlib

    return hashlib.sha256(inspect_source(function).encode()).hexdigest()


CORRECTIONS = (
    lambda_error_names,
    sesv2_sdk_integration,
    state_machine_tracing,
    execution_history,  # before jsonata_parallel_results: it checks the unwrapped Parallel
    late_task_tokens,
    jsonata_parallel_results,
)


def apply() -> None:
    check_version()
    for correction in CORRECTIONS:
        correction()


def main() -> None:
    apply()
    from ministack.app import main as ministack_main

    ministack_main()


if __name__ == "__main__":
    main()
