"""Every state of both shipped definitions, as Terraform renders them for the test variables,
run one at a time through TestState with mocks (tables: notification.py, order.py).

A row states what one state does with one input: a Choice's branch, the request a Task sends
and what it keeps (Output, Assign), each retrier (RETRIABLE while retries remain, then caught
or failed) and each Catch (which errors, which next state, what output). A state no row
visits fails the coverage test.
"""

from __future__ import annotations

import json

import pytest

from tests.states.cases import UNSET, Case
from tests.states.notification import NOTIFICATION
from tests.states.order import ORDER_CASES as ORDER

TABLES = {"notification": NOTIFICATION, "order": ORDER}
ROWS = [(workflow, case) for workflow, table in TABLES.items() for case in table]


def state_names(definition: dict) -> set[str]:
    """Every state, those in Parallel branches and Map processors included."""
    names = set()
    for name, state in definition["States"].items():
        names.add(name)
        for branch in [*state.get("Branches", []), *filter(None, [state.get("ItemProcessor")])]:
            names |= state_names(branch)
    return names


def decoded(answer: dict) -> dict:
    """TestState's JSON fields are strings: decoded, to compare values."""
    inspection = answer.get("inspectionData") or {}
    return {
        **answer,
        "output": json.loads(answer["output"]) if "output" in answer else UNSET,
        "inspectionData": {k: json.loads(v) if isinstance(v, str) else v for k, v in inspection.items()},
    }


@pytest.mark.parametrize(("workflow", "case"), ROWS, ids=[f"{workflow}-{case.id}" for workflow, case in ROWS])
def test_a_state_does_what_its_row_says(sfn, definitions, workflow: str, case: Case):
    answer = decoded(sfn.test_state(**case.arguments(definitions[workflow])))
    seen = {key: answer.get(key) for key in ("status", "nextState", "error", "cause")}
    assert (answer["status"], answer.get("nextState")) == (case.status, case.next), seen
    assert answer.get("error") == case.error, seen
    if case.cause is not UNSET:
        assert answer.get("cause") == case.cause, seen
    if case.output is not UNSET:
        assert answer["output"] == case.output, seen
    inspection = answer["inspectionData"]
    if case.request is not UNSET:
        assert inspection.get("afterArguments") == case.request, inspection
    if case.assigned is not None:
        after = inspection.get("variables") or {}
        assert {name: after.get(name, "<unset>") for name in case.assigned} == case.assigned, after
    if case.details is not None:
        details = inspection.get("errorDetails") or {}
        assert {key: details.get(key) for key in case.details} == case.details, inspection


@pytest.mark.parametrize("workflow", TABLES)
def test_every_state_has_a_row(definitions, workflow: str):
    states = state_names(definitions[workflow])
    visited = {case.state for case in TABLES[workflow]}
    assert not states - visited, f"states of {workflow} no TestState case visits: {sorted(states - visited)}"
    assert not visited - states, f"cases of {workflow} name states it does not have: {sorted(visited - states)}"
