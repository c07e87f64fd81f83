"""`make bench`'s engines side by side (harness/bench/engines.py): the shape of
build/bench.json and of its table, from figures like those it measures."""

from __future__ import annotations

import json

from harness.bench import engines as engine_bench
from harness.bench.measure import Latency

FIGURES = {
    "embedded": {
        "text": {"p50_ms": 76.0, "p95_ms": 84.0, "throughput": {"1": 13.6, "10": 19.5, "50": 17.1}},
        "order": {"p50_ms": 637.0, "p95_ms": 667.0, "throughput": {"1": 1.5, "10": 5.7, "50": 6.6}},
        "apply_s": 61.0,
    },
    "ministack": {
        "text": {"p50_ms": 166.0, "p95_ms": 170.0, "throughput": {"1": 5.9, "10": 44.1, "50": 119.3}},
        "order": {"p50_ms": 360.0, "p95_ms": 366.0, "throughput": {"1": 2.7, "10": 6.1, "50": 9.5}},
        "apply_s": 70.0,
    },
}


def test_bench_json_holds_every_engine_s_workloads_and_apply_time(tmp_path):
    path = engine_bench.write_json(FIGURES, tmp_path / "bench.json")

    written = json.loads(path.read_text())
    assert set(written) == {"engines"} and set(written["engines"]) == {"embedded", "ministack"}
    for figures in written["engines"].values():
        assert isinstance(figures.pop("apply_s"), float)
        for row in figures.values():
            assert set(row) == {"p50_ms", "p95_ms", "throughput"} and set(row["throughput"]) == {"1", "10", "50"}


def test_a_row_is_milliseconds_and_executions_per_second_by_concurrency():
    row = engine_bench.row(Latency(median=0.0762, p95=0.0841, runs=20), {1: 13.61, 10: 19.54, 50: 17.12})
    assert row == {"p50_ms": 76.2, "p95_ms": 84.1, "throughput": {"1": 13.6, "10": 19.5, "50": 17.1}}


def test_the_table_sets_the_engines_side_by_side_and_names_those_not_measured():
    lines = engine_bench.table(FIGURES, {"localstack": "no LocalStack answers"})

    assert lines[0].startswith("Engines side by side")
    assert "embedded: p50 / p95" in lines[2] and "ministack: exec/s at 1 / 10 / 50" in lines[2]
    assert "| text | 76 / 84 ms | 166 / 170 ms | 13.6 / 19.5 / 17.1 | 5.9 / 44.1 / 119.3 |" in lines
    assert "| cold `terraform apply` | 61 s | 70 s | | |" in lines
    assert lines[-1] == "Not measured: localstack (no LocalStack answers)."
    assert all(line.count("|") == lines[2].count("|") for line in lines if line.startswith("| "))
