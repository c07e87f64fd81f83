"""A whole Terraform lifecycle on the embedded emulator, apart from the session's
stack: apply, a plan that changes nothing, a plan that refuses a broken
definition (ValidateStateMachineDefinition, as on AWS), destroy, and then
nothing of the stack left in the emulator."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.deploy.stack import TEST_VARIABLES_FILE, deploy
from harness.deploy.terraform import ROOT, TerraformError, Workspace

pytestmark = [pytest.mark.e2e, pytest.mark.backends("embedded", reason="lists the emulator's resources")]

PREFIX = "sfn-refactor-life"
VARIABLES = {"name_prefix": PREFIX, "sender_email": "lifecycle@example.com"}


def leftovers(emulator) -> dict[str, list[str]]:
    """Everything in the emulator whose name carries the prefix, per service."""
    client = emulator.client
    found = {
        "dynamodb": client("dynamodb").list_tables()["TableNames"],
        "sqs": client("sqs").list_queues().get("QueueUrls", []),
        "sns": [t["TopicArn"] for t in client("sns").list_topics()["Topics"]],
        "lambda": [f["FunctionName"] for f in client("lambda").list_functions()["Functions"]],
        "stepfunctions": [m["name"] for m in client("stepfunctions").list_state_machines()["stateMachines"]],
        "iam": [r["RoleName"] for r in client("iam").list_roles()["Roles"]],
        "logs": [g["logGroupName"] for g in client("logs").describe_log_groups()["logGroups"]],
        "kms": [a["AliasName"] for a in client("kms").list_aliases()["Aliases"]],
        "sesv2": [i["IdentityName"] for i in client("sesv2").list_email_identities()["EmailIdentities"]],
    }
    marks = (PREFIX, VARIABLES["sender_email"])
    return {service: [n for n in names if any(m in n for m in marks)] for service, names in found.items()}


def with_broken_definition(workdir: Path, scratch: Path) -> Workspace:
    """A copy of the deployment's working directory (same state, variables and
    providers) whose order definition sends a state to one that does not exist."""
    broken = Path(shutil.copytree(workdir, scratch, symlinks=True))
    (broken / "definitions").unlink()
    shutil.copytree(ROOT / "definitions", broken / "definitions")
    order = broken / "definitions" / "order.asl.json"
    text = order.read_text()
    first_next = text.index('"Next": "') + len('"Next": "')
    order.write_text(text[:first_next] + "NoSuchState" + text[text.index('"', first_next) :])
    return Workspace(broken, None, var_file=None)


def test_apply_plan_refuse_destroy_and_nothing_left(emulator, tmp_path):
    # GIVEN a stack of its own applied to the session's emulator
    deployed = deploy(tmp_path / "terraform", emulator.endpoint_url, var_file=TEST_VARIABLES_FILE, variables=VARIABLES)
    try:
        resources = deployed.workspace.state_resources()
        assert len(resources) > 40, resources
        # THEN a plan right after it changes nothing
        assert deployed.pending_changes == []
        assert all(leftovers(emulator).values())  # each service holds something of it

        # AND a plan with a broken definition is refused by the emulator's ValidateStateMachineDefinition
        broken = with_broken_definition(deployed.workspace.workdir, tmp_path / "broken")
        with pytest.raises(TerraformError) as refused:
            broken.plan_changes()
        assert "NoSuchState" in str(refused.value), str(refused.value)[-2000:]
    finally:
        # WHEN it is destroyed
        deployed.destroy()

    # THEN nothing of it is left in the emulator, and Terraform's state is empty
    assert leftovers(emulator) == {service: [] for service in leftovers(emulator)}
    assert deployed.workspace.state_resources() == []
    assert json.loads((deployed.workspace.workdir / "terraform.tfstate").read_text())["resources"] == []
