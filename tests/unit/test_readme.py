"""The README's and docs' promises that can drift: variables, outputs, make targets, bench figures.
The root module's variables and outputs are those of the session's plan."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
README = (ROOT / "README.md").read_text()
CONFIGURATION = (ROOT / "docs" / "configuration.md").read_text()
CONTRACT = (ROOT / "docs" / "contract.md").read_text()
BENCHMARKS = (ROOT / "docs" / "benchmarks.md").read_text()
MAKEFILE = (ROOT / "Makefile").read_text()


def test_every_variable_is_documented(deployment):
    declared = deployment.plan["configuration"]["root_module"]["variables"]
    assert "region" in declared
    missing = [name for name in declared if f"`{name}`" not in CONFIGURATION]
    assert not missing, f"variables.tf has variables docs/configuration.md does not mention: {missing}"


def test_every_output_is_documented(deployment):
    outputs = deployment.plan["configuration"]["root_module"]["outputs"]
    assert "notification_state_machine_arn" in outputs
    missing = [name for name in outputs if f"`{name}`" not in CONTRACT]
    assert not missing, f"outputs.tf has outputs docs/contract.md does not mention: {missing}"


def test_the_resource_count_the_docs_quote_is_what_terraform_applies(deployment):
    if "Apply complete!" not in deployment.apply_summary:
        pytest.skip("this run applied nothing: the stack was served already (--stack)")
    added = re.search(r"Resources: (\d+) added", deployment.apply_summary).group(1)
    quoted = re.findall(r"\(\d+ → (\d+)\)", (ROOT / "docs" / "ingress.md").read_text())
    assert quoted == [added], f"docs/ingress.md quotes {quoted}; terraform apply: {deployment.apply_summary}"


def test_the_readme_fits_on_a_few_screens():
    assert len(README.splitlines()) <= 250, "README.md is for a first look: move detail to docs/"


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
    assert "docs/benchmarks.md" in bench, bench


def test_make_bench_rewrites_only_the_measured_part_of_its_page(tmp_path):
    """The findings around the measured block are written by hand: a new run keeps them."""
    from harness.bench.run import write_measured

    page = tmp_path / "benchmarks.md"
    page.write_text(BENCHMARKS)
    write_measured("| text | 1 ms |", page)
    written = page.read_text()
    assert "| text | 1 ms |" in BENCH_BLOCK.search(written).group(1)
    assert BENCH_BLOCK.sub("", written) == BENCH_BLOCK.sub("", BENCHMARKS)


# Figures the bench measures, quoted outside the block it writes ----------------------------------------

BENCH_BLOCK = re.compile(r"<!-- bench:start -->(.*?)<!-- bench:end -->", re.DOTALL)
MEASURED_BLOCK = re.compile(r"<!-- ([a-z-]+):start -->(.*?)<!-- \1:end -->", re.DOTALL)  # every block the bench writes
NUMBER = r"\d+(?:\.\d+)?"
SPEED_UP = re.compile(rf"({NUMBER})\s?[×x](?!\w)")  # 6.9×, 4.8x
# 2.7 exec/s, 12–22 executions/s, about 2–3 notification executions per second
THROUGHPUT = re.compile(rf"({NUMBER}(?:\s*[–-]\s*{NUMBER})?)(?:\s+[A-Za-z]+){{0,3}}\s*(?:/s\b|per second)")
BLOCK_THROUGHPUT = re.compile(rf"((?:{NUMBER}\s*/\s*)*{NUMBER})\s*exec/s")


def stale_bench_figures(page: str) -> list[str]:
    """Speed-ups and throughputs quoted outside the bench's blocks that the blocks do not hold."""
    assert BENCH_BLOCK.search(page), "the page has no <!-- bench:start --> ... <!-- bench:end --> block"
    measured = " ".join(block.group(2) for block in MEASURED_BLOCK.finditer(page))
    prose = MEASURED_BLOCK.sub("", page)
    speed_ups = {float(n) for n in SPEED_UP.findall(measured)}
    throughputs = {float(n) for cell in BLOCK_THROUGHPUT.findall(measured) for n in re.findall(NUMBER, cell)}
    stale = [match.group(0) for match in SPEED_UP.finditer(prose) if float(match.group(1)) not in speed_ups]
    stale += [
        match.group(0)
        for match in THROUGHPUT.finditer(prose)
        if not {float(n) for n in re.findall(NUMBER, match.group(1))} <= throughputs
    ]
    return stale


def test_the_findings_quote_no_bench_figure_the_bench_did_not_write():
    """`make bench` rewrites only its block: a figure quoted elsewhere goes stale at the next run."""
    assert stale_bench_figures(BENCHMARKS) == [], "quote the bench's figures only inside its block"


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
