"""The Terraform configuration, verified without a provider registry:
it parses, its references resolve, nothing is unused, and every argument
and block exists in the AWS provider's schema (harness/tfcheck.py).

The checker is proven able to fail: planted mistakes in a copy of the
configuration must each be reported.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import hcl2
import pytest

from harness import terraform, tfcheck
from harness.tfdeploy import terraform_binary, why_no_provider

ROOT = terraform.ROOT
TF_FILES = sorted(p for p in ROOT.rglob("*.tf") if not {".terraform", ".venv", "node_modules"} & set(p.parts))
SCHEMA = tfcheck.load_schema()


@pytest.mark.parametrize("path", TF_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_tf_file_parses(path):
    with path.open() as handle:
        hcl2.load(handle)


def test_the_configuration_has_no_findings():
    findings = tfcheck.check(ROOT, SCHEMA)
    assert not findings, "\n".join(map(str, findings))


def test_the_schema_records_where_it_comes_from():
    source = SCHEMA["source"]
    assert source["package"] == "@cdktn/provider-aws" and source["version"]
    assert source["provider"] == "hashicorp/aws" and source["provider_version"].startswith("6.")
    pinned = next(line for line in (ROOT / "versions.tf").read_text().splitlines() if "version" in line
                  and "~>" in line)
    assert '"~> 6.' in pinned, "the schema is for provider 6.x: regenerate it when versions.tf moves"


def test_the_schema_knows_the_provider_endpoints_versions_tf_sets():
    endpoints = SCHEMA["provider"]["blocks"]["endpoints"]["arguments"]
    assert {"sfn", "sesv2", "logs", "cloudwatch", "sts"} <= set(endpoints)


@pytest.mark.skipif(terraform_binary() is None, reason="no terraform binary on PATH")
def test_terraform_fmt_finds_nothing_to_change():
    run = subprocess.run([terraform_binary(), "fmt", "-check", "-recursive", "-diff", "-no-color"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, env={**os.environ, "CHECKPOINT_DISABLE": "1"})
    assert run.returncode == 0, run.stdout + run.stderr


def test_terraform_validate_accepts_the_configuration(tmp_path):
    """The provider's own check, where the provider can be installed (CI's Terraform job)."""
    problem = why_no_provider()
    if problem:
        pytest.skip(f"terraform validate: {problem}")
    for pattern in ("*.tf", "modules", "definitions", "lambdas"):
        for source in ROOT.glob(pattern):
            (shutil.copytree if source.is_dir() else shutil.copy2)(source, tmp_path / source.name)
    env = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}
    for args in (["init", "-backend=false", "-input=false", "-no-color"], ["validate", "-no-color"]):
        run = subprocess.run([terraform_binary(), *args], cwd=tmp_path, capture_output=True, text=True,
                             timeout=600, env=env)
        assert run.returncode == 0, run.stdout + run.stderr


# ---------------------------------------------------------------------------
# The checker can fail


@pytest.fixture
def configuration(tmp_path) -> Path:
    """A copy of the whole configuration to break."""
    for pattern in ("*.tf", "modules", "definitions"):
        for source in ROOT.glob(pattern):
            (shutil.copytree if source.is_dir() else shutil.copy2)(source, tmp_path / source.name)
    assert tfcheck.check(tmp_path, SCHEMA) == []
    return tmp_path


def plant(configuration: Path, file: str, old: str, new: str) -> list[str]:
    path = configuration / file
    text = path.read_text()
    assert old in text, f"{old!r} is no longer in {file}: update this test"
    path.write_text(text.replace(old, new, 1))
    return [str(f) for f in tfcheck.check(configuration, SCHEMA)]


PLANTED = [
    pytest.param("modules/state_machine/main.tf", "  kms_key_id        = var.kms_key_arn",
                 "  kms_key_idd       = var.kms_key_arn",
                 "resource aws_cloudwatch_log_group.this: argument kms_key_idd: no such argument",
                 id="wrong-argument-name"),
    pytest.param("modules/state_machine/main.tf", "  role_arn   = aws_iam_role.this.arn\n", "",
                 "resource aws_sfn_state_machine.this: required argument role_arn is not set",
                 id="required-argument-dropped"),
    pytest.param("modules/table/main.tf", "  point_in_time_recovery {", "  point_in_time_restore {",
                 "resource aws_dynamodb_table.this: block point_in_time_restore: no such block",
                 id="wrong-block-name"),
    pytest.param("modules/table/main.tf", '    type = "S"\n', "",
                 "resource aws_dynamodb_table.this > attribute: required argument type is not set",
                 id="required-nested-argument-dropped"),
    pytest.param("modules/state_machine/main.tf", "      variable = condition.value.variable",
                 "      variabel = condition.value.variable",
                 "data aws_iam_policy_document.this > statement > condition: argument variabel: no such argument",
                 id="wrong-argument-in-dynamic-block"),
    pytest.param("versions.tf", "      sfn        = lookup", "      stepfunctionz = lookup",
                 "provider aws > endpoints: argument stepfunctionz: no such argument",
                 id="wrong-provider-endpoint"),
    pytest.param("modules/kms_key/outputs.tf", "aws_kms_key.this.arn", "aws_kms_key.this.arnn",
                 "aws_kms_key.this.arnn: aws_kms_key has no attribute arnn",
                 id="wrong-attribute-reference"),
    pytest.param("main.tf", "kms_key_arn         = module.kms_key.arn", "kms_key_arn         = var.kms_key",
                 "var.kms_key is not declared", id="undeclared-variable"),
    pytest.param("main.tf", "module.status_table.arn", "module.status_table.table_arn",
                 "modules/table has no output table_arn", id="missing-module-output"),
    pytest.param("main.tf", "  deletion_protection = var.deletion_protection\n",
                 "  deletion_protection = var.deletion_protection\n  read_capacity       = 5\n",
                 "module status_table: modules/table has no variable read_capacity",
                 id="unknown-module-argument"),
    pytest.param("main.tf", "  email = var.sender_email\n", "",
                 "module email_identity: required variable email of modules/email_identity is not set",
                 id="required-module-variable-not-set"),
    pytest.param("variables.tf", 'variable "tags" {', 'variable "unused_knob" {\n  type = string\n  default = ""\n}\n\n'
                 'variable "tags" {', "variable unused_knob: declared but never used", id="unused-variable"),
    pytest.param("modules/events_topic/outputs.tf", 'output "arn" {',
                 'output "name" {\n  value = aws_sns_topic.this.name\n}\n\noutput "arn" {',
                 "output name: no caller reads this output", id="output-no-caller-reads"),
    pytest.param("locals.tf", "locals {", "locals {\n  forgotten = 1\n",
                 "local.forgotten: declared but never used", id="unused-local"),
]


@pytest.mark.parametrize("file,old,new,expected", PLANTED)
def test_a_planted_mistake_is_reported(configuration, file, old, new, expected):
    findings = plant(configuration, file, old, new)

    assert any(expected in finding for finding in findings), "\n".join(findings) or "(no findings)"


def test_a_file_that_does_not_parse_is_reported(configuration):
    findings = plant(configuration, "modules/events_topic/main.tf", 'resource "aws_sns_topic" "this" {',
                     'resource "aws_sns_topic" "this" {{')

    assert any("modules/events_topic/main.tf: parse:" in finding for finding in findings), findings


def test_a_module_directory_nobody_calls_is_reported(configuration):
    shutil.copytree(configuration / "modules" / "events_topic", configuration / "modules" / "orphan")

    assert any("modules/orphan: module: no module block calls it" in f for f in plant(configuration, "main.tf", "", ""))


def test_the_aws_example_sets_only_root_variables():
    with (ROOT / "examples" / "aws.tfvars.example").open() as handle:
        example = hcl2.load(handle)

    assert set(example) - {"__comments__", "__inline_comments__"} <= set(terraform.variable_defaults())
    assert "aws_endpoints" not in example, "real AWS takes no endpoint overrides"
