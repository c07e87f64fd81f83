"""Session fixtures: one emulator and one deployed stack for the whole run.

`--backend embedded|localstack|ministack|aws` (or STACK_BACKEND) picks where the stack
is deployed: see tests/backends.py.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from pathlib import Path

import boto3
import pytest

from harness.deploy.stack import Deployment, StackOutputs
from harness.emulator.faults import OwnRules, RemoteFaultInjector
from harness.engines import gaps
from harness.observe.observer import Observer
from harness.observe.order_saga import seed_stock
from harness.observe.report import GraphvizMissing, report_executions
from tests import backends


def pytest_addoption(parser: pytest.Parser) -> None:
    backends.add_option(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "backends(*names, reason=...): run only on these deploy backends")
    config.served_stack = backends.served_stack(config)  # --stack: the engine make up serves is the backend


# With pytest-xdist's `--dist loadgroup` (make test), the tests in this group run on
# one worker, which deploys the session's stack once; the others (unit tests, and
# those that deploy stacks of their own: make up, make demo, the lifecycle) run
# on the other worker meanwhile. The load test joins the group: its burst of
# executions stays apart from the end-to-end tests' short Task timeouts.
SESSION_STACK_GROUP = "session-stack"


def uses_the_session_stack(item: pytest.Item) -> bool:
    return "deployment" in item.fixturenames or item.get_closest_marker("load") is not None


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the xdist_group marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test meeting a declared gap of this run's engine (harness/engines/gaps.py) is a strict xfail there.
    In each module, the tests that wait out a timeout come first: on several workers
    (`make watch` runs two) the longest start first, and the others fill in around them."""
    modules = {item.path: index for index, item in reversed(list(enumerate(items)))}
    items.sort(key=lambda item: (modules[item.path], item.get_closest_marker("waits") is None))
    backend = config.getoption("--backend")
    for item in items:
        gap = gaps.gap_for(backend, item.nodeid)
        if gap is not None:
            item.add_marker(pytest.mark.xfail(strict=True, reason=gap.reason))
        if uses_the_session_stack(item):
            item.add_marker(pytest.mark.xdist_group(SESSION_STACK_GROUP))


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """One line per run: the engine, its counts, and the declared gaps its xfails met."""
    stats = terminalreporter.stats
    counts = {
        key: len([r for r in stats.get(key, []) if getattr(r, "when", "call") in ("call", "setup")])
        for key in ("passed", "failed", "error", "xfailed", "xpassed", "skipped")
    }
    met = sorted({r.wasxfail.split("'")[1] for r in stats.get("xfailed", []) if "gap '" in getattr(r, "wasxfail", "")})
    terminalreporter.write_line(
        f"engine {config.getoption('--backend')}: "
        + ", ".join(f"{n} {k}" for k, n in counts.items() if n)
        + (f"; xfails meet the declared gaps (harness/engines/gaps.py): {', '.join(met)}" if met else "")
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.config.served_stack is not None:
        backends.skip_outside_the_served_stack(item)
    backends.skip_unless_supported(item, item.config.getoption("--backend"))


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    """Where this run deploys the stack: embedded, localstack, ministack or aws."""
    return request.config.getoption("--backend")


@pytest.fixture(scope="session")
def emulator(request: pytest.FixtureRequest, backend: str):
    if request.config.served_stack is not None:
        pytest.skip("--stack: the emulator serving the stack runs in make up's process; its internals are not here")
    backends.require_embedded(backend, "emulator")
    from harness.emulator.embedded import EmbeddedEmulator  # moto takes seconds to import: only where it runs

    with EmbeddedEmulator() as running:
        yield running


@pytest.fixture(scope="session")
def ministack_engine(backend: str):
    """The pinned MiniStack (harness/engines/ministack.py) for a `--backend ministack` session."""
    if backend != "ministack":
        pytest.skip(f"MiniStack runs for --backend ministack only, not {backend}")
    with backends.ministack_server() as running:
        yield running


@pytest.fixture(scope="session")
def deployment(request: pytest.FixtureRequest, backend: str, tmp_path_factory: pytest.TempPathFactory):
    """`terraform apply` of the root module (tests/test.tfvars.json) to the backend,
    then a plan of it; `terraform destroy` always follows the session. With --stack: the stack
    `make up` serves, neither deployed nor destroyed here."""
    if request.config.served_stack is not None:
        yield backends.served_deployment(request.config.getoption("--stack"), request.config.served_stack)
        return
    engines = {"embedded": "emulator", "ministack": "ministack_engine"}
    endpoint = request.getfixturevalue(engines[backend]).endpoint_url if backend in engines else None
    report = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")

    # A pytest-xdist worker's terminal reporter writes nowhere; its stderr is the run's.
    if os.environ.get("PYTEST_XDIST_WORKER"):
        report = None

    def say(line: str) -> None:  # in the run's log, past pytest's output capture
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            if report is not None:
                report.write_line(f"[{backend}] {line}")
            else:
                print(f"\n[{backend}] {line}", file=sys.__stderr__, flush=True)

    with backends.terraform_stack(backend, tmp_path_factory.mktemp("terraform"), endpoint, say) as deployed:
        yield deployed


@pytest.fixture(scope="session")
def stack(deployment: Deployment) -> StackOutputs:
    """The deployment's outputs, its stock table loaded with the test catalogue
    (data, not infrastructure: loaded after apply, as `make up` does)."""
    outputs = deployment.outputs
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=outputs.endpoint_url,
        region_name=outputs.region,
        **({"aws_access_key_id": "testing", "aws_secret_access_key": "testing"} if outputs.endpoint_url else {}),
    )
    seed_stock(dynamodb, outputs.stock_table_name)
    return outputs


@pytest.fixture(scope="session")
def variables(deployment: Deployment) -> dict:
    """Every root variable as this session deployed it (from the plan: defaults included)."""
    return deployment.variables


@pytest.fixture(scope="session")
def observer(backend: str, stack: StackOutputs) -> Observer:
    watcher = backends.observer_for(backend, stack)
    watcher.subscribe_to_events()
    yield watcher
    watcher.close()


@pytest.fixture
def faults(request: pytest.FixtureRequest, backend: str):
    """The emulator's fault injector (with --stack: over HTTP, /_harness/faults); the test's
    rules are removed after it, and only those: others may be testing beside it."""
    backends.require_embedded(backend, "faults")
    if request.config.served_stack is not None:
        injector = RemoteFaultInjector(request.config.served_stack.endpoint_url)
    else:
        injector = request.getfixturevalue("emulator").faults
    own = OwnRules(injector)
    yield own
    own.clear()


@pytest.fixture
def recipient(backend: str) -> dict:
    """A phone number, an email address and a notification id no other test uses."""
    return backends.recipient_for(backend)


# Execution reports for failing tests -------------------------------------------
REPORTS = Path(__file__).resolve().parent.parent / "build" / "reports" / "failed-tests"


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def settle(observer: Observer, arns: list[str], timeout: float = 60) -> None:
    """Wait for executions a test started to end. A test that met a declared gap stops at its first
    failed assertion, but what the engine wrongly started (an order under a name AWS refuses) runs on:
    its effects (stock taken) must not reach the next test."""
    for arn in arns:
        try:
            observer.wait(arn, timeout=timeout, history=False)
        except Exception as error:  # noqa: BLE001 - best effort: the test's outcome is already known
            print(f"{arn} still running after the test: {type(error).__name__}")


@pytest.fixture(autouse=True)
def report_failed_executions(request: pytest.FixtureRequest):
    """When a test that ran executions fails, draw each of them (build/reports/failed-tests/)."""
    if "observer" not in request.fixturenames:
        yield
        return
    observer = request.getfixturevalue("observer")
    first = len(observer.started)
    yield
    call = getattr(request.node, "rep_call", None)
    started = observer.started[first:]
    if call is not None and hasattr(call, "wasxfail") and started:
        settle(observer, started)
    if call is None or not call.failed or not started:
        return
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid.split("::", 1)[-1])
    try:
        paths = report_executions(observer, started, REPORTS, name)
    except GraphvizMissing as missing:
        print(f"no execution report: {missing}")
        return
    except Exception as error:  # noqa: BLE001 - a picture must never turn a failure into an error
        print(f"no execution report: {type(error).__name__}: {error}")
        return
    print("execution reports:\n" + "\n".join(f"  {path}" for path in paths))
