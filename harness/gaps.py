"""Engine gaps, declared once: where an engine differs from AWS in a way a test
of this suite meets. docs/engines.md shows the same table (tests/unit/
test_gaps.py keeps the two equal).

On that engine each affected test is a strict xfail naming the gap (tests/
conftest.py applies it): the test still runs, its failure is expected, and it
turns red the day the engine behaves like AWS, so the entry gets removed. Any
other failure is a failure.

Gaps closed from this side are listed in CLOSED: a pinned, tested start-up
extension of the engine (harness/ministack_extensions.py) makes it behave as
AWS does, so no test is marked for them.

`tests` are pytest node ids relative to the repository (a parametrized test
may be named without its parameters: every case is affected).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Gap:
    engine: str
    name: str
    gap: str        # what the engine does differently from AWS
    evidence: str   # what was seen, on which release
    tests: tuple[str, ...]

    @property
    def reason(self) -> str:
        return f"{self.engine} gap '{self.name}' (harness/gaps.py): {self.gap}"


@dataclass(frozen=True)
class Closed:
    engine: str
    gap: str
    evidence: str
    closed_by: str


GAPS: tuple[Gap, ...] = ()

CLOSED: tuple[Closed, ...] = ()


def gap_for(engine: str, nodeid: str) -> Gap | None:
    """The declared gap a test meets on `engine`, if any."""
    base = nodeid.split("[", 1)[0]
    for gap in GAPS:
        if gap.engine == engine and (nodeid in gap.tests or base in gap.tests):
            return gap
    return None


def engines() -> list[str]:
    return sorted({gap.engine for gap in GAPS} | {closed.engine for closed in CLOSED})


def markdown_tables() -> str:
    """The two tables of docs/engines.md, as this module declares them."""
    lines = ["| engine | gap | evidence | affected tests (strict xfail) |", "|---|---|---|---|"]
    for gap in GAPS:
        tests = "<br>".join(f"`{test}`" for test in gap.tests)
        lines.append(f"| {gap.engine} | **{gap.name}**: {gap.gap} | {gap.evidence} | {tests} |")
    lines += ["", "| engine | gap | evidence | closed by |", "|---|---|---|---|"]
    for closed in CLOSED:
        lines.append(f"| {closed.engine} | {closed.gap} | {closed.evidence} | {closed.closed_by} |")
    return "\n".join(lines)
