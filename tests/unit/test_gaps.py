"""The engine gaps table (harness/engines/gaps.py): declared once, shown in
docs/engines.md as declared, naming only tests that exist, and applied to
exactly the tests it names."""

from __future__ import annotations

import re

import pytest

from harness.deploy.terraform import ROOT
from harness.engines import gaps, ministack_extensions
from tests import backends

DOCS = ROOT / "docs" / "engines.md"


def test_docs_engines_shows_the_table_the_code_declares():
    assert gaps.markdown_tables() in DOCS.read_text(), (
        "regenerate docs/engines.md's tables from harness/engines/gaps.py"
    )


@pytest.mark.parametrize("gap", gaps.GAPS, ids=lambda gap: f"{gap.engine}-{gap.name}")
def test_a_gap_names_its_engine_its_evidence_and_tests_that_exist(gap: gaps.Gap):
    assert gap.engine in backends.BACKENDS
    assert gap.gap and gap.evidence and gap.tests
    for test in gap.tests:
        path, _, name = test.partition("::")
        base = name.split("[", 1)[0]
        assert (ROOT / path).is_file(), test
        assert re.search(rf"^def {re.escape(base)}\(", (ROOT / path).read_text(), re.MULTILINE), test


def test_gap_names_are_unique_per_engine():
    names = [(gap.engine, gap.name) for gap in gaps.GAPS]
    assert len(names) == len(set(names))


def closers(engine: str) -> set[str]:
    """The corrections the CLOSED entries of `engine` name (before the colon of `closed_by`)."""
    return {
        name
        for closed in gaps.CLOSED
        if closed.engine == engine
        for name in re.findall(r"`(\w+)`", closed.closed_by.split(":")[0])
    }


def test_a_closed_gap_names_the_correction_that_closes_it():
    assert closers("ministack") == {correction.__name__ for correction in ministack_extensions.CORRECTIONS}
    # The LocalStack extension imports LocalStack, which is not in this virtualenv: its names are read.
    extension = (ROOT / "localstack_extension" / "sfn_refactor_localstack" / "__init__.py").read_text()
    names = re.search(r"^NAMES = \((.*?)\)", extension, re.MULTILINE | re.DOTALL).group(1)
    assert closers("localstack") == set(re.findall(r'"(\w+)"', names))


def test_a_test_meets_a_gap_on_its_engine_only():
    if not gaps.GAPS:
        pytest.skip("no gap declared")
    gap = gaps.GAPS[0]
    test = gap.tests[0]
    assert gaps.gap_for(gap.engine, test) is gap
    assert gaps.gap_for(gap.engine, f"{test}[some-case]" if "[" not in test else test) is gap
    assert gaps.gap_for("embedded", test) is None
    assert gaps.gap_for(gap.engine, "tests/unit/test_gaps.py::test_a_test_meets_a_gap_on_its_engine_only") is None
    assert gap.reason.startswith(f"{gap.engine} gap '{gap.name}'")
