"""The state machine definitions as Terraform renders them for a variable file, without a
deploy: `terraform test` plans the root module with the shared mock provider
(tests/terraform/mocks, `override_during = plan`), so every ARN the definitions name is
known at plan, and `-verbose -json` hands back that plan. Nothing is applied, no endpoint
or credentials are needed; the templatefile() call is the root module's own.

Measured on the 2-core machine: about 12-15 s, nearly all of it Terraform planning the
whole root module (`terraform console` evaluates the definition variables in 2 s, but
leaves every ARN unknown).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.deploy.terraform import ROOT, TerraformError, Workspace, state_machine_definitions

MOCKS = ROOT / "tests" / "terraform" / "mocks"
TESTS_DIR = "rendering"  # a test directory of its own, so the root module's own tests do not run
RUN = f"""# Written by harness/deploy/rendering.py: one plan of the root module, every ARN mocked.
mock_provider "aws" {{
  source          = "{MOCKS}"
  override_during = plan
}}

run "render" {{
  command = plan
}}
"""


def rendered_definitions(workdir: Path, var_file: Path) -> dict[str, dict[str, Any]]:
    """{"notification": definition, "order": definition}, rendered by Terraform for `var_file`."""
    workspace = Workspace(workdir, None, var_file=var_file).prepare()
    tests = workspace.workdir / TESTS_DIR
    tests.mkdir(exist_ok=True)
    (tests / "render.tftest.hcl").write_text(RUN)
    run = workspace.run("test", f"-test-directory={TESTS_DIR}", *workspace.var_args, "-verbose", "-json", check=False)
    plan = _planned(run.stdout)
    if run.returncode != 0 or plan is None:
        raise TerraformError(f"terraform test could not plan the root module ({run.returncode})\n{run.stdout[-4000:]}")
    return state_machine_definitions(plan)


def _planned(json_lines: str) -> dict[str, Any] | None:
    """The run's plan as `terraform show -json` lays it out (planned values by module)."""
    for line in json_lines.splitlines():
        if '"test_plan"' not in line:
            continue
        message = json.loads(line)
        if message.get("type") != "test_plan":
            continue
        changes = message["test_plan"].get("resource_changes", [])
        resources = [
            {"address": c["address"], "type": c["type"], "values": c["change"]["after"]}
            for c in changes
            if c["change"].get("after") is not None
        ]
        return {"planned_values": {"root_module": {"resources": resources}}}
    return None
