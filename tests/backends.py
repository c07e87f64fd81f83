"""Where the suite deploys the stack, chosen with `pytest --backend NAME` or
STACK_BACKEND=NAME:

  embedded    (default) `terraform apply` of the root module to moto in this process
  localstack  `terraform apply` of the root module to LocalStack
              (LOCALSTACK_HOST, default localhost:4566), observed through its
              /_aws/ses and /_aws/sns/sms-messages endpoints
  ministack   `terraform apply` of the root module to the pinned MiniStack
              (harness/engines/ministack.py), started for the session with the
              project's start-up extensions and stopped after it, observed
              through its /_ministack/ses/messages and /_ministack/sns/sms-messages
  aws         `terraform apply` to the account of the ambient AWS credentials;
              emails to the SES mailbox simulator, observed through delivery
              notifications on an SQS queue; SMS cannot be observed

`--stack build/outputs.json` runs the end-to-end tests against the stack `make up`
serves instead (no deploy, no destroy): the engine and the deployed variables come
from the deployment.json `make up` writes beside the outputs (harness/deploy/stack.py:
ServedStack), the definitions from Terraform's state. Only end-to-end tests on the
session's stack run; a test that needs a stack of its own, or the emulator's
internals, skips with the reason. Every test uses ids of its own, so a rerun gives
the same verdict on the same stack.

A test that asks for no engine (no `backend` fixture, directly or through
`deployment`, `emulator`, ...) runs in the embedded session only: elsewhere it
would check the same thing again. A backend lacking what a test needs skips
that test, with the reason:
`@pytest.mark.backends("embedded")` on the test, or the fixture it uses
(`emulator`, `faults`) skipping by itself. A test that meets a gap of the
engine (harness/engines/gaps.py) is a strict xfail there, naming the gap.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from harness.deploy.stack import TEST_VARIABLES_FILE, Deployment, ServedStack, StackOutputs, deploy
from harness.deploy.terraform import load_var_file, state_as_plan
from harness.engines import localstack, ministack
from harness.observe.observer import MINISTACK_INSPECTION, Observer, SesNotificationMailbox

BACKENDS = ("embedded", "localstack", "ministack", "aws")
DEFAULT_SESSION = "embedded"  # what `make test` runs
DEFAULT_BACKEND = os.environ.get("STACK_BACKEND", DEFAULT_SESSION)

EMBEDDED_ONLY = {
    "emulator": "needs the embedded emulator itself (moto internals)",
    "faults": "fault injection is embedded-only (LocalStack's and MiniStack's native way is SFN_MOCK_CONFIG "
    "mock responses, which this suite does not use)",
}
AWS_SMS_PHONE = "STACK_AWS_SMS_PHONE"


def add_option(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        choices=BACKENDS,
        default=DEFAULT_BACKEND,
        help="where to deploy the stack: embedded (moto, default), localstack, ministack or aws "
        "(terraform apply); also STACK_BACKEND",
    )
    parser.addoption(
        "--stack",
        type=Path,
        default=None,
        metavar="OUTPUTS_JSON",
        help="run the end-to-end tests against the stack `make up` serves (its build/outputs.json): "
        "no deploy, no destroy",
    )


def served_stack(config: pytest.Config) -> ServedStack | None:
    """The stack `make up` serves, for a `--stack` run (its engine becomes the run's backend)."""
    outputs = config.getoption("--stack")
    if outputs is None:
        return None
    if not ServedStack.path_beside(outputs).exists():
        raise pytest.UsageError(f"--stack {outputs}: no stack served there (no deployment.json beside it): `make up`")
    served = ServedStack.read(outputs)
    config.option.backend = served.engine
    return served


def skip_outside_the_served_stack(item: pytest.Item) -> None:
    if item.get_closest_marker("e2e") is None or "deployment" not in item.fixturenames:
        pytest.skip("--stack: runs the end-to-end tests on the served stack; this one needs a stack of its own or none")
    if item.get_closest_marker("load") is not None:
        pytest.skip("--stack: the load test runs on a stack of its own (make test)")


def served_deployment(outputs_path: Path, served: ServedStack) -> Deployment:
    """The served stack as a Deployment: its outputs, and its state in a plan's shape (as deployed)."""
    expected = load_var_file(TEST_VARIABLES_FILE)
    differing = {
        name: served.variables.get(name) for name, value in expected.items() if served.variables.get(name) != value
    }
    if differing:
        pytest.skip(
            f"--stack: the served stack has other values than {TEST_VARIABLES_FILE.name} ({differing}), "
            "which the tests' timings assume: serve it with `make up VAR_FILE=tests/test.tfvars.json`"
        )
    outputs = StackOutputs.from_terraform(json.loads(Path(outputs_path).read_text()), endpoint_url=served.endpoint_url)
    workspace = served.workspace()
    return Deployment(workspace, outputs, state_as_plan(workspace.state(), served.variables), "served by make up")


def skip_unless_supported(item: pytest.Item, backend: str) -> None:
    if backend != DEFAULT_SESSION and "backend" not in item.fixturenames:
        # Every fixture that reaches an engine (deployment, emulator, ...) asks for `backend`:
        # a test that does not gives the same answer on every engine, so it runs once.
        pytest.skip(f"does not use the engine: runs in the {DEFAULT_SESSION} session (make test) only")
    marker = item.get_closest_marker("backends")
    if marker and backend not in marker.args:
        reason = marker.kwargs.get("reason", "")
        pytest.skip(
            f"runs on the {'/'.join(marker.args)} backend only, not {backend}" + (f": {reason}" if reason else "")
        )


def require_embedded(backend: str, fixture: str) -> None:
    if backend != "embedded":
        pytest.skip(f"{fixture} on {backend}: {EMBEDDED_ONLY[fixture]}")


def cannot_run(backend: str, missing: list[str]) -> None:
    """Skip (or fail, with STACK_BACKEND_REQUIRED=1) a session whose backend is missing something."""
    reason = f"Terraform tier ({backend}) cannot run here: {'; '.join(missing)}"
    if os.environ.get("STACK_BACKEND_REQUIRED") == "1":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@contextlib.contextmanager
def ministack_server() -> Iterator[ministack.MiniStack]:
    """The pinned MiniStack with the project's extensions, for the session; stopped after it."""
    problem = ministack.why_unavailable()
    if problem:
        cannot_run("ministack", [problem])
    with ministack.MiniStack() as server:
        yield server


def _target(backend: str, endpoint_url: str | None) -> tuple[str | None, dict[str, Any], list[str]]:
    """(endpoint, extra variables, what is missing) for a backend."""
    if backend in ("embedded", "ministack"):
        return endpoint_url, {}, []
    if backend == "localstack":
        url = localstack.endpoint_url()
        problem = localstack.why_unusable(url)
        return url, {}, [problem] if problem else []
    missing = []
    sender = os.environ.get("STACK_AWS_SENDER_EMAIL")
    if not sender:
        missing.append("STACK_AWS_SENDER_EMAIL is not set (an address verified in SES)")
    try:
        boto3.client("sts").get_caller_identity()
    except Exception as error:  # noqa: BLE001 - any failure means no usable credentials
        missing.append(f"no usable AWS credentials ({type(error).__name__})")
    variables = {
        "name_prefix": f"sfn-refactor-test-{uuid.uuid4().hex[:6]}",
        "sender_email": sender or "",
        "kms_key_deletion_window_days": 7,
    }
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region:
        variables["region"] = region
    return None, variables, missing


@contextlib.contextmanager
def terraform_stack(
    backend: str, workdir, endpoint_url: str | None = None, say: Callable[[str], None] = print
) -> Iterator[Deployment]:
    """`terraform apply` to `backend`, yield the deployment, ALWAYS destroy after.
    LocalStack, MiniStack or AWS missing skips (one line); on the embedded emulator nothing may be missing."""
    endpoint, variables, missing = _target(backend, endpoint_url)
    if missing:
        cannot_run(backend, missing)
    say(f"terraform apply of the root module to {endpoint or 'AWS'} in {workdir} ...")
    deployed = deploy(workdir, endpoint, variables=variables)
    say(f"terraform apply: {deployed.apply_summary}")
    try:
        yield deployed
    finally:
        say(f"terraform destroy: {deployed.destroy()}")


def observer_for(backend: str, outputs: StackOutputs) -> Observer:
    if backend == "ministack":
        return Observer(outputs, on_unobservable=pytest.skip, inspection=MINISTACK_INSPECTION)
    if backend != "aws":
        return Observer(outputs, on_unobservable=pytest.skip)

    def client(service: str) -> Any:
        return boto3.client(service, region_name=outputs.region)

    mailbox = SesNotificationMailbox(client, outputs.sender_email, name=f"ses-deliveries-{uuid.uuid4().hex[:8]}")
    return AwsObserver(outputs, client_factory=client, mailbox=mailbox, on_unobservable=pytest.skip)


class AwsObserver(Observer):
    """In the SMS sandbox AWS refuses SMS to numbers not verified in it: a
    request that asks for an SMS skips unless STACK_AWS_SMS_PHONE names one."""

    def start(self, request: Any, **kwargs: Any) -> str:
        if isinstance(request, dict) and "user_phone" in request and not os.environ.get(AWS_SMS_PHONE):
            self.on_unobservable(f"SMS on AWS needs a number verified in the SMS sandbox: set {AWS_SMS_PHONE}")
        return super().start(request, **kwargs)


def recipient_for(backend: str) -> dict[str, str]:
    """A phone number, an email address and a notification id no other test uses."""
    digits = uuid.uuid4().int % 10**9
    tag = uuid.uuid4().hex[:12]
    if backend == "aws":  # the mailbox simulator accepts labels: success+label@...
        email, phone = f"success+{tag}@simulator.amazonses.com", os.environ.get(AWS_SMS_PHONE, "+14155550100")
    else:
        email, phone = f"user-{tag}@example.com", f"+1415{digits:09d}"[:12]
    return {"notification_id": f"n-{uuid.uuid4()}", "user_phone": phone, "user_email": email}
