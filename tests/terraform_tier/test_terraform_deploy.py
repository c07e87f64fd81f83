"""The Terraform tier: every session's stack is `terraform apply` of the root
module (tests/backends.py), on the embedded emulator, LocalStack or AWS. These
tests check the apply itself: a plan made right after it changes nothing,
resources are named as `local.names` names them, the service holds what
Terraform planned, and the stack delivers a notification end to end.
"""

from __future__ import annotations

import json

import pytest

from harness.deploy.stack import Deployment, StackOutputs
from harness.observe.observer import Observer
from tests.support import TEMPLATES, console, resource

pytestmark = pytest.mark.e2e


def test_a_plan_right_after_the_apply_changes_nothing(deployment: Deployment):
    assert deployment.plan["resource_changes"], "the plan lists no resources at all"
    assert deployment.pending_changes == []


def test_resources_are_named_as_local_names_says(deployment: Deployment, stack: StackOutputs):
    names = console(deployment.workspace, "local.names")

    assert names["notification_state_machine"] == f"{deployment.variables['name_prefix']}-notification"
    assert stack.notification_state_machine_arn.endswith(f":stateMachine:{names['notification_state_machine']}")
    assert stack.order_state_machine_arn.endswith(f":stateMachine:{names['order_state_machine']}")
    assert stack.events_topic_arn.endswith(f":{names['events_topic']}")
    assert stack.approval_queue_url.endswith(f"/{names['approval_queue']}")
    assert (stack.status_table_name, stack.orders_table_name, stack.stock_table_name, stack.payments_table_name) == (
        names["status_table"],
        names["orders_table"],
        names["stock_table"],
        names["payments_table"],
    )


@pytest.mark.parametrize("name", TEMPLATES)
def test_the_service_holds_the_state_machine_terraform_planned(deployment: Deployment, observer: Observer, name):
    planned = resource(deployment.plan, f"module.{name}_workflow.aws_sfn_state_machine.this")

    described = observer.sfn.describe_state_machine(stateMachineArn=planned["arn"])

    assert json.loads(described["definition"]) == deployment.definitions[name]
    assert (described["roleArn"], described["type"]) == (planned["role_arn"], planned["type"])
    assert described["loggingConfiguration"]["level"] == planned["logging_configuration"][0]["level"]


def test_the_terraform_deployed_stack_delivers_records_and_rejects(observer: Observer, recipient: dict):
    # GIVEN the stack as `terraform apply` built it
    # WHEN a dual request runs
    request = {
        "notification_id": recipient["notification_id"],
        "delivery_mode": "dual",
        "message_content": "Terraform-deployed",
        "subject": "Tier check",
        "user_phone": recipient["user_phone"],
        "user_email": recipient["user_email"],
    }
    execution = observer.run(request, timeout=120)

    # THEN both channels delivered, and the record and the event say so
    assert execution.status == "SUCCEEDED", execution.describe()
    assert execution.output["status"] == "DELIVERED", execution.describe()
    [email] = observer.emails(recipient["user_email"])
    assert email["Subject"] == "Tier check"
    assert observer.record(recipient["notification_id"])["status"] == "DELIVERED"
    assert observer.wait_for_outcome_event(recipient["notification_id"], timeout=60)["status"] == "DELIVERED"

    # AND a request with an unknown mode fails before anything is recorded
    rejected = observer.run(
        {"notification_id": f"{recipient['notification_id']}-bad", "delivery_mode": "fax", "message_content": "x"},
        timeout=120,
    )
    assert rejected.status == "FAILED" and rejected.error == "InvalidDeliveryMode", rejected.describe()
    assert observer.record(f"{recipient['notification_id']}-bad") is None

    # AND the SMS went out (last: on AWS it cannot be observed, and this skips)
    assert [m["Message"] for m in observer.sms(recipient["user_phone"])] == ["Terraform-deployed"]
