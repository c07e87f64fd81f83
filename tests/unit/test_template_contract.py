"""Each definition template and the root module's templatefile() call agree:
Terraform passes exactly the template's placeholders, and what it deployed has
none left. The keys are read from Terraform itself (`terraform console` in the
session's working directory), not from the .tf text."""

from __future__ import annotations

import re

import pytest

from tests.support import ROOT, TEMPLATES, console, resource

# A templatefile() interpolation `${name}`; `$${` is the escape for a literal `${`.
PLACEHOLDER = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def placeholders(template: str) -> set[str]:
    return set(PLACEHOLDER.findall(template))


def test_placeholders_are_found_and_escapes_are_not():
    assert placeholders('{"a": "${name}", "n": ${count}, "keep": "$$.Task.Token", "esc": "$${literal}"}') == {
        "name",
        "count",
    }


@pytest.mark.parametrize("name", TEMPLATES)
def test_terraform_passes_exactly_the_templates_placeholders(deployment, name):
    passed = console(deployment.workspace, f"keys(local.{name}_definition_vars)")
    template = (ROOT / "definitions" / f"{name}.asl.json").read_text()
    assert set(passed) == placeholders(template)


@pytest.mark.parametrize("name", TEMPLATES)
def test_templatefile_is_called_with_that_local(name):
    root_files = "".join(path.read_text() for path in sorted(ROOT.glob("*.tf")))
    call = f'templatefile("${{path.module}}/definitions/{name}.asl.json", local.{name}_definition_vars)'
    assert call in root_files


@pytest.mark.parametrize("name", TEMPLATES)
def test_the_deployed_definition_has_no_placeholder_or_directive_left(deployment, name):
    deployed = resource(deployment.plan, f"module.{name}_workflow.aws_sfn_state_machine.this")["definition"]
    assert "${" not in deployed and "%{" not in deployed
