"""The Terraform tier: the root module applied with `terraform apply`, then
checked end to end like the embedded stack.

With `--backend localstack|aws` this module checks the stack the whole suite
runs on. With the default embedded backend it applies the root module to
LocalStack itself, when LocalStack, Terraform and the AWS provider are all
at hand, and skips with one line naming what is missing otherwise.
"""

from __future__ import annotations

import pytest

from harness import terraform
from harness.observe import Observer
from harness.stack import StackOutputs
from tests import backends

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def tf_stack(request: pytest.FixtureRequest, backend: str, tmp_path_factory: pytest.TempPathFactory):
    if backend != "embedded":  # the session's stack is the Terraform-deployed one
        yield request.getfixturevalue("stack")
        return
    with backends.terraform_stack("localstack", tmp_path_factory.mktemp("terraform-localstack")) as deployed:
        yield deployed.outputs


@pytest.fixture(scope="module")
def tf_observer(backend: str, tf_stack: StackOutputs):
    watcher = backends.observer_for("localstack" if backend == "embedded" else backend, tf_stack)
    watcher.subscribe_to_events()
    yield watcher
    watcher.close()


def test_the_terraform_deployed_stack_delivers_records_and_rejects(tf_stack, tf_observer: Observer, backend):
    # GIVEN the stack as `terraform apply` built it
    prefix = tf_stack.status_table_name.removesuffix("-notification-status")
    names = terraform.resource_names({"name_prefix": prefix})
    assert tf_stack.notification_state_machine_arn.endswith(f":stateMachine:{names['notification_state_machine']}")
    assert tf_stack.events_topic_arn.endswith(f":{names['events_topic']}")
    recipient = backends.recipient_for("localstack" if backend == "embedded" else backend)

    # WHEN a dual request runs
    request = {"notification_id": recipient["notification_id"], "delivery_mode": "dual",
               "message_content": "Terraform-deployed", "subject": "Tier check",
               "user_phone": recipient["user_phone"], "user_email": recipient["user_email"]}
    execution = tf_observer.run(request, timeout=120)

    # THEN both channels delivered, and the record and the event say so
    assert execution.status == "SUCCEEDED", execution.describe()
    assert execution.output["status"] == "DELIVERED", execution.describe()
    [email] = tf_observer.emails(recipient["user_email"])
    assert email["Subject"] == "Tier check"
    assert tf_observer.record(recipient["notification_id"])["status"] == "DELIVERED"
    assert tf_observer.wait_for_outcome_event(recipient["notification_id"], timeout=60)["status"] == "DELIVERED"

    # AND a request with an unknown mode fails before anything is recorded
    rejected = tf_observer.run({"notification_id": f"{recipient['notification_id']}-bad", "delivery_mode": "fax",
                                "message_content": "x"}, timeout=120)
    assert rejected.status == "FAILED" and rejected.error == "InvalidDeliveryMode", rejected.describe()
    assert tf_observer.record(f"{recipient['notification_id']}-bad") is None

    # AND the SMS went out (last: on AWS it cannot be observed, and this skips)
    assert [m["Message"] for m in tf_observer.sms(recipient["user_phone"])] == ["Terraform-deployed"]
