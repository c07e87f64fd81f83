"""The order definition's promises that a glance at the JSON cannot check: every
failure is compensated in reverse order, every error it catches is one the
functions raise, and its error names are the documented ones."""

from __future__ import annotations

import json
import re

import pytest

from harness import approvals, terraform
from harness.definition_rules import iter_states
from harness.stack import stack_variables
from tests.support import definition_values
from tests.unit.order_lambdas import HANDLERS, handler_module

DEFINITION = json.loads(terraform.render_definition("order", definition_values("order", stack_variables())))
STATES = {name: state for _, name, state, _ in iter_states(DEFINITION)}
TOP = DEFINITION["States"]
DOCS = (terraform.ROOT / "docs" / "orders.md").read_text()

ERROR_NAMES = {"InvalidOrder", "OutOfStock", "FraudSuspected", "ApprovalRejected", "ApprovalTimedOut",
               "PaymentDeclined", "PaymentUnavailable", "OrderFailed", "CompensationFailed"}
# Errors the definition may catch that no function of ours raises.
PLATFORM_ERRORS = re.compile(r"^(States|Lambda|DynamoDB|StepFunctions)\.|^Sandbox\.Timedout$")


def transitions(state: dict) -> list[str]:
    targets = [state.get("Next"), state.get("Default")]
    targets += [c["Next"] for c in state.get("Choices", [])] + [c["Next"] for c in state.get("Catch", [])]
    return [t for t in targets if t]


def reachable(start: str, *, without: set[str] = frozenset()) -> set[str]:
    seen, pending = set(), [start]
    while pending:
        name = pending.pop()
        if name in seen or name in without:
            continue
        seen.add(name)
        pending += transitions(TOP[name])
    return seen


def test_fail_states_use_only_the_documented_error_names():
    assert {s["Error"] for s in STATES.values() if s["Type"] == "Fail"} == ERROR_NAMES


def test_the_docs_table_lists_every_error_name():
    documented = set(re.findall(r"^\| `(\w+)` \|", DOCS, re.MULTILINE))
    assert ERROR_NAMES <= documented


def test_every_error_the_definition_names_is_raised_by_a_function_or_the_approver():
    named = {e for s in STATES.values() for entry in s.get("Retry", []) + s.get("Catch", [])
             for e in entry["ErrorEquals"] if not PLATFORM_ERRORS.match(e)}
    raised = {name for module in (*HANDLERS, "payment_provider")
              for name, value in vars(handler_module(module)).items()
              if isinstance(value, type) and issubclass(value, Exception)}
    assert named <= raised | {approvals.REJECTED}, named - raised


def test_every_function_task_uses_the_lambda_integration_and_a_known_function():
    functions = {s["Parameters"]["FunctionName"] for s in STATES.values()
                 if s.get("Resource") == "arn:aws:states:::lambda:invoke"}
    values = definition_values("order", stack_variables())
    assert functions == {values[f"{name}_function_arn"] for name in HANDLERS}
    assert not [s for s in STATES.values() if s.get("Resource", "").startswith("arn:aws:lambda:")]


def outcomes() -> dict[str, dict]:
    """The states that decide a failed order's outcome (status, reason)."""
    return {name: s for name, s in TOP.items() if s.get("ResultPath") == "$.outcome"}


def test_every_failure_after_the_order_is_recorded_releases_then_records_before_failing():
    fails_after_recording = {n for n, s in TOP.items() if s["Type"] == "Fail"} - {"RejectInvalidOrder",
                                                                                 "FailBeforeRecording"}
    for name in outcomes():
        assert reachable(name) & fails_after_recording, name
        assert not reachable(name, without={"ReleaseInventory"}) & fails_after_recording, name
        assert not reachable(name, without={"RecordFailure"}) & fails_after_recording, name


def test_every_failure_after_a_charge_was_attempted_refunds_before_releasing():
    after_charge = {c["Next"] for state in ("ChargePayment", "ConfirmOrder") for c in TOP[state]["Catch"]}
    for name in after_charge - {"PaymentWasDeclined"}:  # a declined card took no money
        assert TOP[name]["Next"] == "RefundPayment", name
    assert TOP["RefundPayment"]["Next"] == TOP["RefundFailed"]["Next"] == "ReleaseInventory"
    assert [c["Next"] for c in TOP["RefundPayment"]["Catch"]] == ["RefundFailed"]
    assert TOP["ReleaseInventory"]["Next"] == TOP["ReleaseFailed"]["Next"] == "RecordFailure"


def test_a_failure_outcome_says_whether_it_was_cancelled_or_failed():
    for name, state in outcomes().items():
        parameters = state["Parameters"]
        assert parameters["status"] in {"CANCELLED", "FAILED"}, name
        assert parameters["reason"] in ERROR_NAMES, name
        business = parameters["reason"] not in {"OrderFailed", "PaymentUnavailable"}
        assert (parameters["status"] == "CANCELLED") == business, name


@pytest.mark.parametrize("state", ["ChargePayment", "RefundPayment"])
def test_payment_retries_use_the_payment_variables(state):
    values = definition_values("order", stack_variables())
    [retrier] = [r for r in TOP[state]["Retry"] if "PaymentTransientError" in r["ErrorEquals"]]
    assert retrier["MaxAttempts"] == values["payment_max_attempts"]
    assert retrier["IntervalSeconds"] == values["payment_retry_interval_seconds"]
    assert retrier["JitterStrategy"] == "FULL" and "MaxDelaySeconds" in retrier


def test_the_approval_waits_with_a_heartbeat_and_an_overall_timeout():
    request = TOP["RequestApproval"]
    values = definition_values("order", stack_variables())
    assert request["Resource"] == "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
    assert request["Parameters"]["MessageBody"]["task_token.$"] == "$$.Task.Token"
    assert request["TimeoutSeconds"] == values["approval_timeout_seconds"]
    assert request["HeartbeatSeconds"] == values["approval_heartbeat_seconds"] < request["TimeoutSeconds"]


def test_the_customer_is_notified_through_the_notification_workflow_only():
    notify = [s for s in STATES.values() if s.get("Resource", "").startswith("arn:aws:states:::states:")]
    assert [s["Resource"] for s in notify] == ["arn:aws:states:::states:startExecution.sync:2"]
    assert notify[0]["Parameters"]["StateMachineArn"] == definition_values("order", stack_variables())[
        "notification_state_machine_arn"]
    assert not [s for s in STATES.values() if re.search(r":::(sns|ses|aws-sdk:ses)", s.get("Resource", ""))]
