"""`make bench`: measure the workflows and the embedded emulator, print a table,
write it to docs/benchmarks.md.

Figures come from the embedded emulator on the machine that runs the command, so
absolute times say little about AWS. What compares: ratios measured in the same
run, and counts (state transitions, Lambda invocations, deliveries) that do not
depend on the machine. Costs are computed from those counts with
harness/bench/prices.py.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from ..deploy import EmbeddedDeployer
from ..emulator import EmbeddedEmulator
from ..observe import Observer
from ..stack import stack_variables
from . import prices
from .measure import billed_transitions, lambda_invocations, latency, sequential_service_calls, throughput, unique

ROOT = Path(__file__).resolve().parents[2]
MODES = {
    "text": {"user_phone": "+14155550100"},
    "mail": {"user_email": "bench@example.com"},
    "dual": {"user_phone": "+14155550100", "user_email": "bench@example.com"},
}
CONCURRENCY_LEVELS = (1, 10, 50)


def notification(mode: str):
    return lambda index: {"notification_id": unique(f"bench-{mode}"), "delivery_mode": mode,
                          "message_content": "benchmark", **MODES[mode]}


def speed_comparison(runs: int) -> dict[str, dict]:
    """The emulator as shipped against the accelerated one, each in a fresh process."""
    figures = {}
    for label, plain in (("moto as shipped", "1"), ("accelerated", "0")):
        env = {**os.environ, "HARNESS_PLAIN_MOTO": plain, "BENCH_RUNS": str(runs)}
        out = subprocess.run([sys.executable, "-m", "harness.bench.speed"], cwd=ROOT, env=env, check=True,
                             capture_output=True, text=True, timeout=1800).stdout
        figures[label] = json.loads(out.strip().splitlines()[-1])
    return figures


def workflow_figures(runs: int, total: int) -> tuple[float, dict[str, dict]]:
    with EmbeddedEmulator() as emulator:
        began = time.perf_counter()
        outputs = EmbeddedDeployer(emulator, stack_variables()).deploy()
        deploy_seconds = time.perf_counter() - began
        observer = Observer(outputs)
        rows = {}
        for mode in MODES:
            request = notification(mode)
            sample = observer.wait(observer.start(request(0)), timeout=120)
            assert sample.output["status"] == "DELIVERED", sample.describe()
            rows[mode] = {
                "latency": latency(observer, request, runs),
                "throughput": {level: throughput(observer, request, concurrency=level, total=max(total, level))
                               for level in CONCURRENCY_LEVELS},
                "transitions": billed_transitions(sample),
                "lambda_invocations": lambda_invocations(sample),
                "sequential_calls": sequential_service_calls(sample),
            }
    return deploy_seconds, rows


def coordinator_cost(mode: str) -> float:
    """Seed 000's coordinator: one invocation, plus one worker per channel (async)."""
    workers = 2 if mode == "dual" else 1
    busy = prices.ASSUMED_CALL_SECONDS * (1 + workers)  # the coordinator's invoke calls, then each worker's send
    return prices.lambda_cost_per_million(1 + workers, busy)


def table(deploy_seconds: float, rows: dict[str, dict], speed: dict[str, dict]) -> str:
    lines = [
        f"Measured {datetime.date.today()} on {platform.machine()} with {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; prices of {prices.PRICES_DATE} (harness/bench/prices.py).",
        "",
        f"Deploy of the whole stack to the embedded emulator: {deploy_seconds:.2f} s.",
        "",
        "| mode | latency median | p95 | throughput at " + " / ".join(map(str, CONCURRENCY_LEVELS))
        + " in flight | transitions | Lambda invocations | $/M Standard | $/M Express | $/M Lambda coordinator |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for mode, row in rows.items():
        rates = " / ".join(f"{row['throughput'][level]:.1f}" for level in CONCURRENCY_LEVELS)
        lines.append(
            f"| {mode} | {row['latency'].median * 1000:.0f} ms | {row['latency'].p95 * 1000:.0f} ms | {rates} exec/s "
            f"| {row['transitions']} | {row['lambda_invocations']} "
            f"| {prices.standard_cost_per_million(row['transitions']):.2f} "
            f"| {prices.express_cost_per_million(row['sequential_calls']):.2f} "
            f"| {coordinator_cost(mode):.2f} |"
        )
    plain, fast = speed["moto as shipped"], speed["accelerated"]
    lines += [
        "",
        f"Embedded emulator speed, `dual` notifications ({fast['concurrency']} in flight), same run:",
        "",
        "| emulator | latency median | p95 | throughput |",
        "|---|---|---|---|",
    ]
    for label, figures in speed.items():
        lines.append(f"| {label} | {figures['latency_median'] * 1000:.0f} ms | {figures['latency_p95'] * 1000:.0f} ms "
                     f"| {figures['throughput']:.1f} exec/s |")
    lines += [
        "",
        f"Speed-up: {fast['throughput'] / plain['throughput']:.1f}x throughput, "
        f"{plain['latency_median'] / fast['latency_median']:.1f}x latency.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20, help="sequential runs per latency figure")
    parser.add_argument("--total", type=int, default=60, help="executions per throughput figure")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args(argv)

    speed = speed_comparison(args.runs)
    deploy_seconds, rows = workflow_figures(args.runs, args.total)
    text = table(deploy_seconds, rows, speed)
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("# Benchmarks\n\nRegenerate with `make bench`.\n\n" + text + "\n")
    print(f"\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
