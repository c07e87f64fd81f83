"""Where the suite deploys the stack, chosen with `pytest --backend NAME` or
STACK_BACKEND=NAME:

  embedded    (default) moto in this process, deployed by harness/deploy.py
  localstack  `terraform apply` of the root module to LocalStack
              (LOCALSTACK_HOST, default localhost:4566), observed through its
              /_aws/ses and /_aws/sns/sms-messages endpoints
  aws         `terraform apply` to the account of the ambient AWS credentials;
              emails to the SES mailbox simulator, observed through delivery
              notifications on an SQS queue; SMS cannot be observed

A backend lacking what a test needs skips that test, with the reason:
`@pytest.mark.backends("embedded")` on the test, or the fixture it uses
(`emulator`, `faults`) skipping by itself.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from typing import Any, Iterator

import boto3
import pytest

from harness.observe import Observer, SesNotificationMailbox
from harness.stack import StackOutputs
from harness.tfdeploy import TerraformDeployment

BACKENDS = ("embedded", "localstack", "aws")
DEFAULT_BACKEND = os.environ.get("STACK_BACKEND", "embedded")

EMBEDDED_ONLY = {
    "emulator": "needs the embedded emulator itself (moto internals)",
    "faults": "fault injection is embedded-only (LocalStack's native way is SFN_MOCK_CONFIG mock responses, "
              "which this suite does not use)",
}
AWS_SMS_PHONE = "STACK_AWS_SMS_PHONE"


def add_option(parser: pytest.Parser) -> None:
    parser.addoption("--backend", choices=BACKENDS, default=DEFAULT_BACKEND,
                     help="where to deploy the stack: embedded (moto, default), localstack or aws "
                          "(terraform apply); also STACK_BACKEND")


def skip_unless_supported(item: pytest.Item, backend: str) -> None:
    marker = item.get_closest_marker("backends")
    if marker and backend not in marker.args:
        reason = marker.kwargs.get("reason", "")
        pytest.skip(f"runs on the {'/'.join(marker.args)} backend only, not {backend}"
                    + (f": {reason}" if reason else ""))


def require_embedded(backend: str, fixture: str) -> None:
    if backend != "embedded":
        pytest.skip(f"{fixture} on {backend}: {EMBEDDED_ONLY[fixture]}")


@contextlib.contextmanager
def terraform_stack(backend: str) -> Iterator[StackOutputs]:
    """`terraform apply` to `backend`, yield its outputs, ALWAYS destroy after.
    Skips (one line) when something the Terraform tier needs is missing."""
    deployment = TerraformDeployment.for_backend(backend)
    if deployment.missing:
        reason = f"Terraform tier ({backend}) cannot run here: {deployment.missing}"
        if os.environ.get("STACK_BACKEND_REQUIRED") == "1":  # make localstack-test with a token: no quiet skips
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    try:
        yield deployment.apply()
    finally:
        deployment.destroy()


def observer_for(backend: str, outputs: StackOutputs) -> Observer:
    if backend != "aws":
        return Observer(outputs, on_unobservable=pytest.skip)

    def client(service: str) -> Any:
        return boto3.client(service, region_name=outputs.region)

    mailbox = SesNotificationMailbox(client, outputs.sender_email,
                                     name=f"ses-deliveries-{uuid.uuid4().hex[:8]}")
    return AwsObserver(outputs, client_factory=client, mailbox=mailbox, on_unobservable=pytest.skip)


class AwsObserver(Observer):
    """In the SMS sandbox AWS refuses SMS to numbers not verified in it: a
    request that asks for an SMS skips unless STACK_AWS_SMS_PHONE names one."""

    def start(self, request: Any, **kwargs: Any) -> str:
        if isinstance(request, dict) and "user_phone" in request and not os.environ.get(AWS_SMS_PHONE):
            self.on_unobservable(f"SMS on AWS needs a number verified in the SMS sandbox: set {AWS_SMS_PHONE}")
        return super().start(request, **kwargs)


def variable_overrides(backend: str) -> dict[str, Any]:
    """Variables a backend deploys with beyond tests/test.tfvars.json that tests read back."""
    if backend == "aws" and os.environ.get("STACK_AWS_SENDER_EMAIL"):
        return {"sender_email": os.environ["STACK_AWS_SENDER_EMAIL"]}
    return {}


def recipient_for(backend: str) -> dict[str, str]:
    """A phone number, an email address and a notification id no other test uses."""
    digits = uuid.uuid4().int % 10**9
    tag = uuid.uuid4().hex[:12]
    if backend == "aws":  # the mailbox simulator accepts labels: success+label@...
        email, phone = f"success+{tag}@simulator.amazonses.com", os.environ.get(AWS_SMS_PHONE, "+14155550100")
    else:
        email, phone = f"user-{tag}@example.com", f"+1415{digits:09d}"[:12]
    return {"notification_id": f"n-{uuid.uuid4()}", "user_phone": phone, "user_email": email}
