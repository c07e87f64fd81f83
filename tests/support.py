"""What the session's deployment holds, read back from Terraform: resources of
the plan `terraform show -json` gave after the apply, and values of the root
module (locals, say) that `terraform console` evaluates against its state."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.analysis.iam_derivation import policy_statements
from harness.deploy.terraform import Workspace, plan_resources, terraform_binary

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted(p.name.removesuffix(".asl.json") for p in (ROOT / "definitions").glob("*.asl.json"))
ORDER_FUNCTION = 'module.order_function["{key}"]'


def resource(plan: Mapping[str, Any], address: str) -> dict[str, Any]:
    """The planned values of the resource at `address` (all known after an apply)."""
    found = [r["values"] for r in plan_resources(plan) if r["address"] == address]
    assert len(found) == 1, f"the plan has {len(found)} resources at {address}"
    return found[0]


def resources_of_type(plan: Mapping[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
    """address -> planned values, for every resource of one type."""
    return {r["address"]: r["values"] for r in plan_resources(plan) if r["type"] == type_name}


def order_functions(plan: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Each order function's aws_lambda_function, by its key in local.order_functions."""
    prefix, suffix = 'module.order_function["', '"].aws_lambda_function.this'
    return {
        address[len(prefix) : -len(suffix)]: values
        for address, values in resources_of_type(plan, "aws_lambda_function").items()
        if address.startswith(prefix) and address.endswith(suffix)
    }


def role_statements(plan: Mapping[str, Any], role_name: str) -> list[dict[str, Any]]:
    """Every statement the role's inline policies grant, as {sid, actions, resources, conditions}."""
    policies = [v for v in resources_of_type(plan, "aws_iam_role_policy").values() if v["role"] == role_name]
    assert policies, f"no aws_iam_role_policy for role {role_name}"
    return [statement for policy in policies for statement in policy_statements(policy["policy"])]


def console(workspace: Workspace, expression: str) -> Any:
    """`jsonencode(expression)` evaluated by `terraform console` in the deployment's
    working directory (its state and variables), decoded."""
    run = subprocess.run(
        [terraform_binary(), "console", *workspace.var_args],
        input=f"jsonencode({expression})\n",
        cwd=workspace.workdir,
        env={**os.environ, **workspace.env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, f"terraform console: {expression}\n{run.stderr}{run.stdout}"
    # The last line is the value (warnings come first): the JSON text, printed as an HCL string literal.
    return json.loads(json.loads(run.stdout.strip().splitlines()[-1]))


@functools.cache
def _rendered(path: str, values_json: str) -> str:
    with tempfile.TemporaryDirectory(prefix="templatefile-") as scratch:
        run = subprocess.run(
            [terraform_binary(), "console"],
            input=f"templatefile({json.dumps(path)}, jsondecode({json.dumps(values_json)}))\n",
            cwd=scratch,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "TF_CLI_CONFIG_FILE": ""},
        )
    assert run.returncode == 0, f"terraform console: templatefile({path})\n{run.stderr}{run.stdout}"
    out = run.stdout.strip()
    if out.startswith("<<EOT"):  # a multi-line string is printed as a heredoc
        return out.split("\n", 1)[1].rsplit("\nEOT", 1)[0] + "\n"
    return json.loads(out)


def render_template(path: Path, values: dict[str, Any]) -> str:
    """`templatefile(path, values)` as Terraform itself renders it (no provider, no state)."""
    return _rendered(str(path), json.dumps(values, sort_keys=True))
