"""The Terraform configuration, checked by Terraform itself: `terraform fmt`
finds nothing to change, `terraform validate` accepts the root module against
the AWS provider's own schema, and rejects mistakes planted in a copy of it.

The copy is initialised like a deployment's working directory (harness/deploy/terraform.py):
the provider from $TF_PROVIDER_MIRROR when it is set, the registry otherwise.
Nothing here deploys, and nothing skips: no Terraform or no provider fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.deploy.terraform import ROOT, Workspace, terraform_binary

MODULE = ["*.tf", "modules", "definitions"]  # what the root module is made of
EXAMPLE = ROOT / "examples" / "aws.tfvars.example"
COLOUR = re.compile(r"\x1b\[[0-9;]*m")  # `terraform console` has no -no-color


def terraform(workdir: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """terraform in `workdir`, with the CLI configuration a deployment would use."""
    env = {**os.environ, **Workspace(workdir, None).env}
    return subprocess.run(
        [terraform_binary(), *args], cwd=workdir, env=env, input=stdin, capture_output=True, text=True, timeout=600
    )


def validate(workdir: Path) -> dict:
    run = terraform(workdir, "validate", "-json", "-no-color")
    return json.loads(run.stdout)


@pytest.fixture(scope="module")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the root module after `terraform init -backend=false`."""
    workdir = tmp_path_factory.mktemp("root-module")
    for pattern in MODULE:
        for source in ROOT.glob(pattern):
            if not source.name.endswith("_override.tf"):
                (shutil.copytree if source.is_dir() else shutil.copy2)(source, workdir / source.name)
    run = terraform(workdir, "init", "-backend=false", "-input=false", "-no-color")
    assert run.returncode == 0, run.stdout + run.stderr
    return workdir


@pytest.fixture
def configuration(initialised: Path, tmp_path: Path) -> Path:
    """An initialised copy of the root module to break (the provider stays a link into the plugin cache)."""
    return Path(shutil.copytree(initialised, tmp_path / "root-module", symlinks=True))


def plant(configuration: Path, file: str, old: str, new: str) -> None:
    path = configuration / file
    text = path.read_text()
    assert old in text, f"{old!r} is no longer in {file}: update this test"
    path.write_text(text.replace(old, new, 1))


# terraform fmt ---------------------------------------------------------------------------------------


def fmt_check(directory: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [terraform_binary(), "fmt", "-check", "-recursive", "-diff", "-no-color"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "CHECKPOINT_DISABLE": "1"},
    )


def test_terraform_fmt_finds_nothing_to_change():
    run = fmt_check(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr


def test_terraform_fmt_reports_a_misformatted_file(tmp_path):
    shutil.copytree(ROOT / "modules", tmp_path / "modules")
    plant(tmp_path, "modules/table/main.tf", "  billing_mode                = ", "  billing_mode =   ")

    run = fmt_check(tmp_path)

    assert run.returncode != 0 and "modules/table/main.tf" in run.stdout, run.stdout + run.stderr


# terraform validate ----------------------------------------------------------------------------------


def test_terraform_validate_accepts_the_root_module(initialised):
    result = validate(initialised)
    assert result["valid"] and result["error_count"] == 0, json.dumps(result["diagnostics"], indent=2)
    assert result["warning_count"] == 0, json.dumps(result["diagnostics"], indent=2)


PLANTED = [
    pytest.param(
        "modules/approval_queue/main.tf",
        "  visibility_timeout_seconds        = var.visibility_timeout_seconds\n",
        "  visibility_timeout_seconds        = var.visibility_timeout_seconds\n  not_an_argument = 1\n",
        'An argument named "not_an_argument" is not expected here',
        id="wrong-argument-name",
    ),
    pytest.param(
        "modules/approval_queue/main.tf",
        "  kms_data_key_reuse_period_seconds = 300\n\n  # Only",
        "  kms_data_key_reuse_period_seconds = 30\n\n  # Only",
        "expected kms_data_key_reuse_period_seconds to be in the range (60 - 86400), got 30",
        id="value-the-provider-refuses",
    ),
    pytest.param(
        "modules/table/main.tf",
        "  point_in_time_recovery {",
        "  point_in_time_restore {",
        'Blocks of type "point_in_time_restore" are not expected here',
        id="wrong-block-name",
    ),
    pytest.param(
        "modules/state_machine/main.tf",
        "  role_arn   = aws_iam_role.this.arn\n",
        "",
        'The argument "role_arn" is required',
        id="required-argument-dropped",
    ),
    pytest.param(
        "modules/kms_key/outputs.tf",
        "aws_kms_key.this.arn",
        "aws_kms_key.this.arnn",
        'named "arnn"',
        id="wrong-attribute-reference",
    ),
    pytest.param(
        "notification.tf",
        "kms_key_arn         = module.kms_key.arn",
        "kms_key_arn         = var.kms_key",
        'An input variable with the name "kms_key" has not been declared',
        id="undeclared-variable",
    ),
    pytest.param(
        "notification.tf",
        "module.status_table.arn",
        "module.status_table.table_arn",
        'does not have an attribute named "table_arn"',
        id="missing-module-output",
    ),
    pytest.param(
        "notification.tf",
        "  deletion_protection = var.deletion_protection\n",
        "  deletion_protection = var.deletion_protection\n  read_capacity       = 5\n",
        'An argument named "read_capacity" is not expected here',
        id="unknown-module-argument",
    ),
]


@pytest.mark.parametrize("file,old,new,expected", PLANTED)
def test_terraform_validate_rejects_a_planted_mistake(configuration, file, old, new, expected):
    plant(configuration, file, old, new)

    result = validate(configuration)

    found = [
        d
        for d in result["diagnostics"]
        if d["severity"] == "error" and expected in f"{d['summary']} {d.get('detail', '')}"
    ]
    assert not result["valid"] and found, json.dumps(result["diagnostics"], indent=2)
    assert {d["range"]["filename"] for d in found} == {file}


# The example variable file ---------------------------------------------------------------------------


def console_with(workdir: Path, var_file: Path) -> tuple[int, str]:
    """Terraform reads the variable file (every variable's validation runs) and evaluates
    var.region: (exit code, everything it printed, warnings included)."""
    run = terraform(workdir, "console", f"-var-file={var_file}", stdin="jsonencode(var.region)\n")
    return run.returncode, COLOUR.sub("", run.stdout + run.stderr)


def test_the_aws_example_sets_only_root_variables_and_valid_values(initialised):
    code, output = console_with(initialised, EXAMPLE)

    assert code == 0 and "Warning" not in output and "Error" not in output, output
    assert json.loads(json.loads(output)) == "eu-west-1"


def test_an_unknown_or_invalid_variable_in_a_variable_file_is_reported(initialised, tmp_path):
    unknown = tmp_path / "unknown.tfvars"
    unknown.write_text(EXAMPLE.read_text() + "\nnot_a_variable = 1\n")
    invalid = tmp_path / "invalid.tfvars"
    invalid.write_text(EXAMPLE.read_text().replace("log_retention_days = 90", "log_retention_days = 91"))
    assert invalid.read_text() != EXAMPLE.read_text()

    (_, warned), (_, refused) = console_with(initialised, unknown), console_with(initialised, invalid)

    assert "Warning: Value for undeclared variable" in warned and '"not_a_variable"' in warned, warned
    # The console reports the error and carries on (exit code 0); plan and apply stop there.
    assert "Error: Invalid value for variable" in refused, refused
    assert "log_retention_days must be a retention period" in refused, refused
