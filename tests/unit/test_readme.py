"""The README's promises that can drift: variables, outputs, error names, make targets.
The root module's variables and outputs are those of the session's plan."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
README = (ROOT / "README.md").read_text()
MAKEFILE = (ROOT / "Makefile").read_text()


def test_every_variable_is_documented(deployment):
    declared = deployment.plan["configuration"]["root_module"]["variables"]
    assert "region" in declared
    missing = [name for name in declared if f"`{name}`" not in README]
    assert not missing, f"variables.tf has variables the README does not mention: {missing}"


def test_every_output_is_documented(deployment):
    outputs = deployment.plan["configuration"]["root_module"]["outputs"]
    assert "notification_state_machine_arn" in outputs
    missing = [name for name in outputs if f"`{name}`" not in README]
    assert not missing


def test_every_make_target_the_readme_names_exists():
    named = set(re.findall(r"make ([a-z][a-z0-9_-]*)", README))
    defined = set(re.findall(r"^([a-z][a-z0-9_-]*):", MAKEFILE, re.MULTILINE))
    assert named <= defined, named - defined


def test_make_help_says_what_the_targets_do_in_plain_words():
    listed = subprocess.run(
        ["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "$(" not in listed, listed  # the help lines are printed as written: no make variables
    [up] = [line for line in listed.splitlines() if line.split()[:2] == ["make", "up"]]
    port = re.search(r"^PORT\s*\?=\s*(\d+)", MAKEFILE, re.MULTILINE).group(1)
    assert f"127.0.0.1:{port}" in up, up
    [bench] = [line for line in listed.splitlines() if line.split()[:2] == ["make", "bench"]]
    assert "docs/benchmarks.md" in bench and "README" in bench, bench


def test_the_readmes_benchmark_tables_are_those_of_docs_benchmarks(tmp_path):
    """`make bench` writes both; a hand edit of either shows here."""
    from harness.bench.run import update_readme

    text = (ROOT / "docs" / "benchmarks.md").read_text().split("Regenerate with `make bench`.", 1)[1]
    copy = tmp_path / "README.md"
    copy.write_text(README)
    update_readme(text, copy)
    assert copy.read_text() == README


# Figures the bench measures, quoted outside the block it writes ----------------------------------------

BENCH_BLOCK = re.compile(r"<!-- bench:start -->(.*?)<!-- bench:end -->", re.DOTALL)
NUMBER = r"\d+(?:\.\d+)?"
SPEED_UP = re.compile(rf"({NUMBER})\s?[×x](?!\w)")  # 6.9×, 4.8x
# 2.7 exec/s, 12–22 executions/s, about 2–3 notification executions per second
THROUGHPUT = re.compile(rf"({NUMBER}(?:\s*[–-]\s*{NUMBER})?)(?:\s+[A-Za-z]+){{0,3}}\s*(?:/s\b|per second)")
BLOCK_THROUGHPUT = re.compile(rf"((?:{NUMBER}\s*/\s*)*{NUMBER})\s*exec/s")


def stale_bench_figures(readme: str) -> list[str]:
    """Speed-ups and throughputs quoted outside the bench block that the block does not hold."""
    block = BENCH_BLOCK.search(readme)
    assert block, "the README has no <!-- bench:start --> ... <!-- bench:end --> block"
    prose = readme[: block.start()] + readme[block.end() :]
    speed_ups = {float(n) for n in SPEED_UP.findall(block.group(1))}
    throughputs = {float(n) for cell in BLOCK_THROUGHPUT.findall(block.group(1)) for n in re.findall(NUMBER, cell)}
    stale = [match.group(0) for match in SPEED_UP.finditer(prose) if float(match.group(1)) not in speed_ups]
    stale += [
        match.group(0)
        for match in THROUGHPUT.finditer(prose)
        if not {float(n) for n in re.findall(NUMBER, match.group(1))} <= throughputs
    ]
    return stale


def test_the_readme_quotes_no_bench_figure_the_bench_did_not_write():
    """`make bench` rewrites only its block: a figure quoted elsewhere goes stale at the next run."""
    assert stale_bench_figures(README) == [], "quote the bench's figures only inside its block"


def test_a_stale_bench_figure_in_the_prose_is_found():
    block = (
        "<!-- bench:start -->\n| dual | 3.6 / 4.1 exec/s |\n| accelerated | 19.0 exec/s |\n"
        "Speed-up: 5.6x throughput, 3.6x latency.\n<!-- bench:end -->"
    )
    assert stale_bench_figures(f"Plain moto: 3.6 exec/s, a 5.6× speed-up.\n{block}") == []
    assert stale_bench_figures(
        f"The run gave **6.9×** the throughput, and 4.8× lower latency.\n{block}\n"
        "Plain moto completes about 2–3 notification executions per second."
    ) == ["6.9×", "4.8×", "2–3 notification executions per second"]
