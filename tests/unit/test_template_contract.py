"""The definition template, Terraform's templatefile() call and the harness agree."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from harness import terraform
from harness.stack import stack_variables
from tests.support import definition_values

TEMPLATES = sorted(terraform.DEFINITIONS.glob("*.asl.json"))


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_terraform_passes_exactly_the_templates_placeholders(template):
    name = template.name.removesuffix(".asl.json")
    passed = set(terraform.local_value(f"{name}_definition_vars"))
    assert passed == terraform.placeholders(template.read_text())


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_templatefile_is_called_with_that_local(template):
    name = template.name.removesuffix(".asl.json")
    root_files = "".join(path.read_text() for path in sorted(terraform.ROOT.glob("*.tf")))
    call = f'templatefile("${{path.module}}/definitions/{template.name}", local.{name}_definition_vars)'
    assert call in root_files


def test_definition_vars_reference_only_declared_variables():
    declared = set(terraform.variable_defaults())
    for template in TEMPLATES:
        name = template.name.removesuffix(".asl.json")
        expressions = json.dumps(terraform.local_value(f"{name}_definition_vars"))
        assert set(re.findall(r"var\.(\w+)", expressions)) <= declared


def test_render_substitutes_like_templatefile():
    template = '{"a": "${name}", "n": ${count}, "r": ${rate}, "keep": "$$.Task.Token", "esc": "$${literal}"}'
    out = terraform.render(template, {"name": "x", "count": 3.0, "rate": 1.5})
    assert json.loads(out) == {"a": "x", "n": 3, "r": 1.5, "keep": "$$.Task.Token", "esc": "${literal}"}


def test_render_refuses_missing_values_and_directives():
    with pytest.raises(KeyError):
        terraform.render("${a} ${b}", {"a": "1"})
    with pytest.raises(ValueError):
        terraform.render("%{ if true }x%{ endif }", {})


@pytest.mark.skipif(shutil.which("terraform") is None, reason="no terraform binary on PATH")
@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_python_rendering_equals_terraform_templatefile(tmp_path, template):
    """Terraform itself renders the template (a provider-less module works offline)."""
    values = definition_values(template.name.removesuffix(".asl.json"), stack_variables({"retry_backoff_rate": 1.5}))
    (tmp_path / "main.tf").write_text(
        'variable "values" {\n  type = any\n}\n'
        f'output "rendered" {{\n  value = templatefile("{template}", var.values)\n}}\n'
    )
    (tmp_path / "values.auto.tfvars.json").write_text(json.dumps({"values": values}))
    env = {"TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", "PATH": "/usr/bin:/bin:/usr/local/bin"}
    run = lambda *args: subprocess.run(["terraform", *args], cwd=tmp_path, env=env, check=True,
                                       capture_output=True, text=True, timeout=120)
    run("init", "-input=false", "-backend=false")
    run("apply", "-auto-approve", "-input=false")
    by_terraform = run("output", "-raw", "rendered").stdout
    assert by_terraform == terraform.render(template.read_text(), values)


def test_unknown_variable_overrides_are_refused():
    with pytest.raises(KeyError):
        stack_variables({"retry_intervall_seconds": 1})
