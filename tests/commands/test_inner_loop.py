"""The inner loop, run as a user runs it, on one served stack: `make watch` (which serves
it, as `make up VAR_FILE=tests/test.tfvars.json` would) in a copy of the tree, then a
definition and a handler edited there, `make apply` and `pytest --stack` against it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import pytest
import requests

from harness.bench.inner_loop import Watching, copy_tree, state_comment
from harness.observe.waiting import poll
from tests.commands.test_commands import ENV

WAIT = 600  # seconds for a line of the watch, on a loaded machine

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.backends("embedded", reason="the loop's hot reload and faults are the embedded engine's"),
    pytest.mark.xdist_group("inner-loop"),  # one watch, one served stack, for the whole module
    pytest.mark.timeout(WAIT + 300),  # past the waits below, so a timeout shows what the watch printed
]


@pytest.fixture(scope="module")
def watch(tmp_path_factory):
    """`make watch` serving its own stack, as a user runs it, in a copy of the tree."""
    tree = copy_tree(tmp_path_factory.mktemp("tree"))
    running = Watching(tree, "embedded")
    running.tree, running.outputs = tree, tree / "build" / "outputs.json"
    try:
        running.line(r"^make watch: embedded stack at .* \(hot reload on", timeout=WAIT)
        yield running
    finally:
        running.stop()


def run_in(tree: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """A command from the copy of the tree, as a user runs it there."""
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=tree,
        env={**ENV, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def client(outputs: dict, service: str):
    return boto3.client(
        service,
        endpoint_url=outputs["endpoint_url"],
        region_name=outputs["region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_make_apply_with_nothing_changed_applies_nothing(watch):
    run = run_in(watch.tree, "harness.apply")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "make apply on embedded: Apply complete! Resources: 0 added, 0 changed, 0 destroyed." in run.stdout


def test_a_saved_definition_is_applied_and_its_tests_give_their_verdict(watch):
    definition = watch.tree / "definitions" / "notification.asl.json"
    definition.write_text(state_comment(definition.read_text(), 7))

    line = watch.line(r"^definitions/notification\.asl\.json: ", timeout=WAIT)
    assert re.search(r": apply [\d.]+ s \(1 changed\) \| tests [1-9]\d* passed, 0 failed", line), line
    assert "tests/e2e/test_notification.py" in line
    deployed = client(json.loads(watch.outputs.read_text()), "stepfunctions").describe_state_machine(
        stateMachineArn=json.loads(watch.outputs.read_text())["notification_state_machine_arn"]
    )["definition"]
    assert "edit 7" in deployed


def test_a_saved_handler_is_what_the_next_execution_runs(watch):
    handler = watch.tree / "lambdas" / "orders" / "validate_order.py"
    shipped = handler.read_text()
    outputs = json.loads(watch.outputs.read_text())
    order = {
        "order_id": f"o-{uuid.uuid4().hex[:10]}",
        "customer": {"customer_id": "c-1", "email": "ada@example.com"},
        "items": [{"sku": "SKU-MUG", "quantity": 1}],
        "amount_cents": 1200,
        "currency": "USD",
        "payment_token": "tok_success",
    }
    handler.write_text(
        shipped + '\n\ndef lambda_handler(event, context):\n    raise InvalidOrder("refused by the edited handler")\n'
    )
    try:
        sfn = client(outputs, "stepfunctions")
        arn = sfn.start_execution(stateMachineArn=outputs["order_state_machine_arn"], input=json.dumps(order))[
            "executionArn"
        ]
        ended = poll(lambda: (d := sfn.describe_execution(executionArn=arn))["status"] != "RUNNING" and d, timeout=60)
        assert (ended["status"], ended.get("error")) == ("FAILED", "InvalidOrder")
        assert "refused by the edited handler" in ended["cause"]
        # The watch reran the order tests without an apply, and they saw the edit
        line = watch.line(r"^lambdas/orders/validate_order\.py: ", timeout=WAIT)
        assert re.search(r": no apply \(hot reload\) \| tests \d+ passed, [1-9]\d* failed", line), line
    finally:
        handler.write_text(shipped)
    line = watch.line(r"^lambdas/orders/validate_order\.py: ", timeout=WAIT)
    assert re.search(r"tests [1-9]\d* passed, 0 failed(, \d+ skipped)? \(tests/e2e/test_order\.py\)", line), line


def test_pytest_stack_runs_the_end_to_end_tests_against_the_served_stack(watch):
    run = run_in(
        watch.tree,
        *("pytest", "--stack", str(watch.outputs), "-p", "no:cacheprovider", "-rs"),
        *("tests/e2e/test_notification.py", "tests/e2e/test_baseline.py", "-k", "dual or baseline"),
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"engine embedded: [1-9]\d* passed", run.stdout), run.stdout
    assert "--stack: the emulator serving the stack runs in make up's process" in run.stdout  # the baseline skips
    assert "terraform apply" not in run.stdout + run.stderr  # nothing deployed, nothing destroyed


def test_ctrl_c_stops_the_watch_and_the_stack_it_served(watch):
    endpoint = json.loads(watch.outputs.read_text())["endpoint_url"]
    watch.stop()  # Ctrl-C
    watch.line(r"^make watch: stopped", timeout=30)
    assert watch.process.returncode == 0
    assert not watch.outputs.exists()
    with pytest.raises(requests.ConnectionError):
        requests.get(endpoint, timeout=5)
