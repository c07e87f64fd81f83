"""The order definition's promises that a glance at the JSON cannot check: every
failure is compensated in reverse order, every error it catches is one the
functions raise, and its error names are the documented ones. Read from the
definition as Terraform deployed it."""

from __future__ import annotations

import re

import pytest

from harness.analysis.definition_rules import iter_states
from harness.observe import approvals
from tests.support import ROOT, order_functions
from tests.unit.order_lambdas import HANDLERS, handler_module

DOCS = (ROOT / "docs" / "orders.md").read_text()

ERROR_NAMES = {
    "InvalidOrder",
    "OutOfStock",
    "FraudSuspected",
    "ApprovalRejected",
    "ApprovalTimedOut",
    "PaymentDeclined",
    "PaymentUnavailable",
    "OrderFailed",
    "CompensationFailed",
}
# Errors the definition may catch that no function of ours raises.
PLATFORM_ERRORS = re.compile(r"^(States|Lambda|DynamoDB|StepFunctions)\.|^Sandbox\.Timedout$")


@pytest.fixture(scope="module")
def definition(deployment) -> dict:
    return deployment.definitions["order"]


@pytest.fixture(scope="module")
def states(definition) -> dict[str, dict]:
    """Every state, nested ones included, by name."""
    return {name: state for _, name, state, _ in iter_states(definition)}


@pytest.fixture(scope="module")
def top(definition) -> dict[str, dict]:
    """The top-level states, by name."""
    return definition["States"]


def transitions(state: dict) -> list[str]:
    targets = [state.get("Next"), state.get("Default")]
    targets += [c["Next"] for c in state.get("Choices", [])] + [c["Next"] for c in state.get("Catch", [])]
    return [t for t in targets if t]


def reachable(top: dict, start: str, *, without: set[str] = frozenset()) -> set[str]:
    seen, pending = set(), [start]
    while pending:
        name = pending.pop()
        if name in seen or name in without:
            continue
        seen.add(name)
        pending += transitions(top[name])
    return seen


OUTCOME_REASON = "{% $outcome.reason %}"


def test_fail_states_use_only_the_documented_error_names(states):
    """A Fail state names its error, or reads it from the outcome ($outcome.reason): then the
    error names are the reasons the states before it assign to $outcome."""
    fails = [s for s in states.values() if s["Type"] == "Fail"]
    ends = {s["Error"] for s in fails if s["Error"] != OUTCOME_REASON}
    if any(s["Error"] == OUTCOME_REASON for s in fails):
        assigned = [s["Assign"]["outcome"] for s in states.values() if "outcome" in s.get("Assign", {})]
        ends |= {outcome["reason"] for outcome in assigned if isinstance(outcome, dict)}
        ends |= {m for o in assigned if isinstance(o, str) for m in re.findall(r"'reason': '(\w+)'", o)}
    assert ends == ERROR_NAMES


def test_the_docs_table_lists_every_error_name():
    documented = set(re.findall(r"^\| `(\w+)` \|", DOCS, re.MULTILINE))
    assert ERROR_NAMES <= documented


def test_every_error_the_definition_names_is_raised_by_a_function_or_the_approver(states):
    named = {
        e
        for s in states.values()
        for entry in s.get("Retry", []) + s.get("Catch", [])
        for e in entry["ErrorEquals"]
        if not PLATFORM_ERRORS.match(e)
    }
    raised = {
        name
        for module in (*HANDLERS, "payment_provider")
        for name, value in vars(handler_module(module)).items()
        if isinstance(value, type) and issubclass(value, Exception)
    }
    assert named <= raised | {approvals.REJECTED}, named - raised


def test_every_function_task_invokes_a_deployed_order_function_through_the_lambda_integration(deployment, states):
    functions = {
        s["Arguments"]["FunctionName"] for s in states.values() if s.get("Resource") == "arn:aws:states:::lambda:invoke"
    }
    deployed = order_functions(deployment.plan)
    assert sorted(deployed) == sorted(HANDLERS)
    assert functions == {function["arn"] for function in deployed.values()}
    assert not [s for s in states.values() if s.get("Resource", "").startswith("arn:aws:lambda:")]


def outcomes(top: dict) -> dict[str, dict]:
    """The states that decide a recorded order's failed outcome (status, reason)."""
    recorded = reachable(top, top["RecordOrder"]["Next"])
    decided = {name for name, s in top.items() if isinstance(s.get("Assign", {}).get("outcome"), dict)}
    return {name: top[name] for name in decided & recorded if "status" in top[name]["Assign"]["outcome"]}


def test_every_failure_after_the_order_is_recorded_releases_then_records_before_failing(top):
    recorded = reachable(top, top["RecordOrder"]["Next"])
    fails_after_recording = {n for n, s in top.items() if s["Type"] == "Fail"} & recorded
    assert outcomes(top) and fails_after_recording
    for name in outcomes(top):
        assert reachable(top, name) & fails_after_recording, name
        assert not reachable(top, name, without={"ReleaseInventory"}) & fails_after_recording, name
        assert not reachable(top, name, without={"RecordFailure"}) & fails_after_recording, name


def test_every_failure_after_a_charge_was_attempted_refunds_before_releasing(top):
    after_charge = {c["Next"] for state in ("ChargePayment", "ConfirmOrder") for c in top[state]["Catch"]}
    for name in after_charge - {"PaymentWasDeclined"}:  # a declined card took no money
        assert top[name]["Next"] == "RefundPayment", name
    assert top["RefundPayment"]["Next"] == top["RefundFailed"]["Next"] == "ReleaseInventory"
    assert [c["Next"] for c in top["RefundPayment"]["Catch"]] == ["RefundFailed"]
    assert top["ReleaseInventory"]["Next"] == top["ReleaseFailed"]["Next"] == "RecordFailure"


def test_a_failure_outcome_says_whether_it_was_cancelled_or_failed(top):
    for name, state in outcomes(top).items():
        parameters = state["Assign"]["outcome"]
        assert parameters["status"] in {"CANCELLED", "FAILED"}, name
        assert parameters["reason"] in ERROR_NAMES, name
        business = parameters["reason"] not in {"OrderFailed", "PaymentUnavailable"}
        assert (parameters["status"] == "CANCELLED") == business, name


@pytest.mark.parametrize("state", ["ChargePayment", "RefundPayment"])
def test_payment_retries_use_the_payment_variables(top, variables, state):
    [retrier] = [r for r in top[state]["Retry"] if "PaymentTransientError" in r["ErrorEquals"]]
    assert retrier["MaxAttempts"] == variables["payment_max_attempts"]
    assert retrier["IntervalSeconds"] == variables["payment_retry_interval_seconds"]
    assert retrier["BackoffRate"] == variables["retry_backoff_rate"]
    assert retrier["MaxDelaySeconds"] == variables["retry_max_delay_seconds"]
    assert retrier["JitterStrategy"] == "FULL"


def test_the_approval_waits_with_a_heartbeat_and_an_overall_timeout(top, variables, stack):
    request = top["RequestApproval"]
    assert request["Resource"] == "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
    assert request["Arguments"]["QueueUrl"] == stack.approval_queue_url
    assert request["Arguments"]["MessageBody"]["task_token"] == "{% $states.context.Task.Token %}"
    assert request["TimeoutSeconds"] == variables["approval_timeout_seconds"]
    assert request["HeartbeatSeconds"] == variables["approval_heartbeat_seconds"] < request["TimeoutSeconds"]


def test_the_customer_is_notified_through_the_notification_workflow_only(states, stack):
    notify = [s for s in states.values() if s.get("Resource", "").startswith("arn:aws:states:::states:")]
    assert [s["Resource"] for s in notify] == ["arn:aws:states:::states:startExecution.sync:2"]
    assert notify[0]["Arguments"]["StateMachineArn"] == stack.notification_state_machine_arn
    assert not [s for s in states.values() if re.search(r":::(sns|ses|aws-sdk:ses)", s.get("Resource", ""))]
