"""A deployment's cleanup destroy when an interrupted apply still holds the state.

pytest-timeout interrupts tftest without stopping its terraform child, so the
apply goes on holding the state lock while `deploy()` destroys what it made. The
destroy must wait for that lock (harness/deploy/terraform.py), not fail and leave
the stack behind. Terraform itself is run on a configuration of one
`terraform_data` resource: no provider, no endpoint. The apply that holds the
lock is played by `terraform console`, which holds it until its input ends.
"""

from __future__ import annotations

import logging
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from harness.deploy.terraform import Workspace, terraform_binary
from harness.observe.waiting import poll

# Terraform prints this when a lock has not been granted within 400 ms, and only
# while it is still waiting for it: a destroy without -lock-timeout fails at once.
WAITING_FOR_THE_LOCK = "Acquiring state lock"


@pytest.fixture
def applied(tmp_path: Path) -> Workspace:
    (tmp_path / "main.tf").write_text('resource "terraform_data" "stack" {\n  input = "deployed"\n}\n')
    workspace = Workspace(tmp_path, None)
    (tmp_path / "deploy.tfvars.json").write_text("{}\n")  # what Workspace.prepare() would write
    workspace.run("init", "-input=false", "-no-color")
    workspace.run("apply", "-auto-approve", "-input=false", "-no-color")
    assert workspace.state_resources() == ["terraform_data.stack"]
    return workspace


def test_a_destroy_waits_for_the_apply_that_holds_the_state_lock(applied: Workspace, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.INFO, logger="tftest")  # tftest logs each line of terraform's output as it comes
    with ThreadPoolExecutor(max_workers=1) as pool:
        # GIVEN another terraform holding the state's lock, as an interrupted apply does
        holder = subprocess.Popen(
            [terraform_binary(), "console"],
            cwd=applied.workdir,
            env={**os.environ, **applied.env},
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            poll(
                lambda: (applied.workdir / ".terraform.tfstate.lock.info").exists(),
                timeout=60,
                describe=lambda: "terraform console never locked the state",
            )
            # WHEN the cleanup destroys the deployment meanwhile
            destroying = pool.submit(applied.destroy)
            poll(
                lambda: destroying.done() or any(WAITING_FOR_THE_LOCK in line for line in caplog.messages),
                timeout=60,
                describe=lambda: f"terraform destroy neither waited for the lock nor ended: {caplog.messages}",
            )
            assert not destroying.done(), f"the destroy did not wait for the lock: {destroying.exception()}"
        finally:
            # AND the lock's holder ends
            holder.communicate(timeout=60)
        # THEN the destroy goes on and removes everything
        assert destroying.result(timeout=120).startswith("Destroy complete"), caplog.messages
    assert applied.state_resources() == []
