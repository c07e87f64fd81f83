"""The Terraform tier's own machinery, proven where Terraform runs but no
provider can be installed: a stand-in root module without providers goes
through the same TerraformDeployment (copy, tftest init/apply with the var
files, outputs into StackOutputs, destroy, scratch removed)."""

from __future__ import annotations

import dataclasses

import pytest

from harness.stack import StackOutputs
from harness.tfdeploy import TerraformDeployment, terraform_binary

pytestmark = pytest.mark.skipif(terraform_binary() is None, reason="no terraform binary on PATH")


@pytest.fixture
def stand_in_root(tmp_path):
    """variables.tf accepting the test and backend variables; one output per StackOutputs field."""
    fields = [f.name for f in dataclasses.fields(StackOutputs) if f.name != "endpoint_url"]
    variables = ["name_prefix", "aws_endpoints"]
    (tmp_path / "variables.tf").write_text("".join(
        f'variable "{name}" {{\n  type = any\n}}\n' for name in variables))
    (tmp_path / "outputs.tf").write_text("".join(
        f'output "{name}" {{\n  value = "${{var.name_prefix}}:{name}:${{length(var.aws_endpoints)}}"\n}}\n'
        for name in fields))
    return tmp_path


def test_a_deployment_applies_reads_outputs_and_destroys(stand_in_root):
    deployment = TerraformDeployment("localstack", {"aws_endpoints": {"sfn": "http://127.0.0.1:4566"}}, {},
                                     "http://127.0.0.1:4566", [])
    deployment.root = stand_in_root

    try:
        outputs = deployment.apply()
        workdir = deployment.workdir
        assert (workdir / "terraform.tfstate").exists()
    finally:
        deployment.destroy()

    assert outputs.endpoint_url == "http://127.0.0.1:4566"
    assert outputs.status_table_name == "sfn-refactor-test:status_table_name:1"  # tests/test.tfvars.json prefix
    assert not workdir.exists()


def test_destroy_without_apply_is_harmless():
    deployment = TerraformDeployment("localstack", {}, {}, None, [])

    deployment.destroy()
