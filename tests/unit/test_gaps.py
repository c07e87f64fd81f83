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


def test_a_closed_gap_names_the_correction_that_closes_it():
    corrections = {correction.__name__ for correction in ministack_extensions.CORRECTIONS}
    closers = {re.search(r"`(\w+)`", closed.closed_by).group(1) for closed in gaps.CLOSED}
    assert closers == corrections


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
