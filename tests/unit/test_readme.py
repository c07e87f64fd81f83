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


def test_the_readmes_benchmark_tables_are_those_of_docs_benchmarks(tmp_path):
    """`make bench` writes both; a hand edit of either shows here."""
    from harness.bench.run import update_readme

    text = (terraform.ROOT / "docs" / "benchmarks.md").read_text().split("Regenerate with `make bench`.", 1)[1]
    copy = tmp_path / "README.md"
    copy.write_text(README)
    update_readme(text, copy)
    assert copy.read_text() == README
