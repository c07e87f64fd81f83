"""Every definition as Terraform deployed it passes a real ASL validator
(npm asl-validator, pinned in package-lock.json), which rejects the seed's."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path

import pytest

from harness.analysis.definition_rules import iter_states
from tests.security.tools import ROOT, tool
from tests.support import TEMPLATES, resource

FIXTURES = ROOT / "tests" / "fixtures"


def validate(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(tool("ASL_VALIDATOR_BIN")), "--json-path", str(path)], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("name", TEMPLATES)
def test_the_deployed_definition_is_valid_asl(tmp_path, deployment, name):
    path = tmp_path / f"{name}.asl.json"
    path.write_text(resource(deployment.plan, f"module.{name}_workflow.aws_sfn_state_machine.this")["definition"])

    run = validate(path)

    assert run.returncode == 0, run.stdout + run.stderr


def test_the_validator_rejects_the_seed_order_definition():
    run = validate(FIXTURES / "seed_002_order.asl.json")

    assert run.returncode != 0
    assert "MISSING_TRANSITION_TARGET" in run.stdout + run.stderr and "RefundAndNotify" in run.stdout + run.stderr


@pytest.mark.parametrize(
    "defect,finding",
    [
        (lambda states: states["SendEmail"].pop("Resource"), "SendEmail"),
        (lambda states: states["DecideOutcome"].update(Type="Decide"), "DecideOutcome"),
        (lambda states: states["RecordRequest"]["Retry"][1].update(MaxAttempts="three"), "RecordRequest"),
    ],
)
def test_the_validator_rejects_a_defect_planted_in_a_good_definition(tmp_path, deployment, defect, finding):
    definition = copy.deepcopy(deployment.definitions["notification"])
    defect({name: state for _, name, state, _ in iter_states(definition)})
    path = tmp_path / "planted.asl.json"
    path.write_text(json.dumps(definition))

    run = validate(path)

    assert run.returncode != 0 and finding in run.stdout + run.stderr, run.stdout + run.stderr
