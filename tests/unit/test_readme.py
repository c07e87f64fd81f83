"""The README's promises that can drift: variables, outputs, error names, make targets."""

from __future__ import annotations

import re

from harness import terraform

README = (terraform.ROOT / "README.md").read_text()
MAKEFILE = (terraform.ROOT / "Makefile").read_text()


def test_every_variable_is_documented():
    missing = [name for name in terraform.variable_defaults() if f"`{name}`" not in README]
    assert not missing, f"variables.tf has variables the README does not mention: {missing}"


def test_every_output_is_documented():
    outputs = [name for block in terraform.parse(terraform.ROOT / "outputs.tf").get("output", []) for name in block]
    missing = [terraform._literal(name) for name in outputs if f"`{terraform._literal(name)}`" not in README]
    assert not missing


def test_every_make_target_the_readme_names_exists():
    named = set(re.findall(r"make ([a-z][a-z0-9_-]*)", README))
    defined = set(re.findall(r"^([a-z][a-z0-9_-]*):", MAKEFILE, re.MULTILINE))
    assert named <= defined, named - defined
