"""`make bench`: measure the workflows and the embedded emulator, print a table,
write it to docs/benchmarks.md.

Figures come from the embedded emulator on the machine that runs the command, so
absolute times say little about AWS. What compares: ratios measured in the same
run, and counts (state transitions, Lambda invocations, deliveries) that do not
depend on the machine. Costs are computed from those counts with
harness/bench/prices.py.

Sections: the notification workflow per delivery mode and the order workflow
(latency, throughput, transitions, costs against a Lambda orchestrator doing the
same work); the fault comparison against seed 000's coordinator Lambda
(harness/bench/faults.py); the embedded emulator's speed-ups; the engines side
by side (harness/bench/engines.py: the same workloads and cold apply on
MiniStack, and LocalStack when there, next to the embedded figures); the
engines side by side under load (harness/bench/load.py: each served as `make
up` serves it, 10 in flight, one alone, 500 at once), both also written to
build/bench.json; the inner loop (harness/bench/inner_loop.py: `make watch` from a
save to its tests' verdict, beside the cold cycle; alone with `--only inner-loop`).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.bench import engines as engine_bench
from harness.bench import faults, inner_loop, prices
from harness.bench import load as load_bench
from harness.bench.measure import (
    billed_transitions,
    lambda_invocations,
    latency,
    sequential_service_calls,
    throughput,
    write_between,
)
from harness.bench.notifications import MODES, notification
from harness.bench.orders import order_figures
from harness.deploy.baseline import deploy_baseline
from harness.deploy.stack import deploy
from harness.emulator.embedded import EmbeddedEmulator
from harness.observe.observer import Observer

ROOT = Path(__file__).resolve().parents[2]
CONCURRENCY_LEVELS = (1, 10, 50)


def speed_comparison(runs: int) -> dict[str, dict]:
    """The emulator as shipped against the accelerated one, each in a fresh process."""
    figures = {}
    for label, plain in (("moto as shipped", "1"), ("accelerated", "0")):
        env = {**os.environ, "HARNESS_PLAIN_MOTO": plain, "BENCH_RUNS": str(runs)}
        out = subprocess.run(
            [sys.executable, "-m", "harness.bench.speed"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=1800,
        ).stdout
        figures[label] = json.loads(out.strip().splitlines()[-1])
    return figures


def make_up_seconds() -> float:
    """`make up` as a user runs it (its own process and emulator), until build/outputs.json is written."""
    from harness.emulator.embedded import free_port
    from harness.observe.waiting import poll

    with tempfile.TemporaryDirectory(prefix="bench-make-up-") as scratch:
        outputs = Path(scratch) / "outputs.json"
        env = {k: v for k, v in os.environ.items() if k not in ("MOTO_PORT", "HARNESS_EMULATOR_RUNNING")}
        began = time.perf_counter()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "harness.serve",
                "--port",
                str(free_port()),
                "--outputs",
                str(outputs),
                "--workdir",
                str(Path(scratch) / "terraform"),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            poll(outputs.exists, timeout=600, interval=0.2)
            return time.perf_counter() - began
        finally:
            server.terminate()
            server.wait(timeout=120)


def workflow_figures(runs: int, total: int, batch: int) -> dict:
    """Everything measured on one deployed stack (one emulator per process: MOTO_PORT is global)."""
    with EmbeddedEmulator() as emulator:
        began = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="bench-terraform-") as workdir:  # a cold apply: nothing cached
            deployment = deploy(Path(workdir), emulator.endpoint_url, var_file=None)
        deploy_seconds = time.perf_counter() - began
        apply_seconds = deployment.apply_seconds
        outputs, variables = deployment.outputs, deployment.variables
        observer = Observer(outputs)
        rows = {}
        for mode in MODES:
            request = notification(mode)
            sample = observer.wait(observer.start(request(0)), timeout=120)
            assert sample.output["status"] == "DELIVERED", sample.describe()
            rows[mode] = {
                "latency": latency(observer, request, runs),
                "throughput": {
                    level: throughput(observer, request, concurrency=level, total=max(total, level))
                    for level in CONCURRENCY_LEVELS
                },
                "transitions": billed_transitions(sample),
                "lambda_invocations": lambda_invocations(sample),
                "sequential_calls": sequential_service_calls(sample),
            }
        order = order_figures(observer, variables, runs, total, CONCURRENCY_LEVELS)
        fault_outcomes = faults.compare(
            emulator, observer, deploy_baseline(emulator, sender_email=outputs.sender_email), batch
        )
    return {
        "deploy_seconds": deploy_seconds,
        "apply_seconds": apply_seconds,
        "rows": rows,
        "order": order,
        "faults": fault_outcomes,
    }


def coordinator_cost(mode: str) -> float:
    """Seed 000's coordinator: one invocation, plus one worker per channel (async)."""
    workers = 2 if mode == "dual" else 1
    busy = prices.ASSUMED_CALL_SECONDS * (1 + workers)  # the coordinator's invoke calls, then each worker's send
    return prices.lambda_cost_per_million(1 + workers, busy)


def order_workflow_cost(transitions: int, functions: int) -> float:
    """The order workflow, STANDARD, per million orders: its transitions and its nested
    notification execution's, plus the functions it invokes (each runs t):

        $/M = (T x $0.025/1,000 + L x $0.20/1M + L x t x m x $/GB-s) x 1,000,000

    T transitions, L function invocations, t = ASSUMED_CALL_SECONDS, m = LAMBDA_MEMORY_GB."""
    return prices.standard_cost_per_million(transitions) + prices.lambda_cost_per_million(
        functions, functions * prices.ASSUMED_CALL_SECONDS
    )


def order_orchestrator_cost(functions: int, service_calls: int) -> float:
    """Seed 002's processOrder doing the same work: one Lambda that calls each function
    synchronously and makes the workflow's other AWS calls (table writes, the notification's
    sends and records) itself, one after another. It pays for its own time while it waits
    for each call, and each function pays for its own run:

        busy = (L + S) x t  +  L x t
        $/M  = ((1 + L) x $0.20/1M + busy x m x $/GB-s) x 1,000,000

    L function invocations, S other AWS calls, t = ASSUMED_CALL_SECONDS per call or
    function run, m = LAMBDA_MEMORY_GB. No retries, no record of progress, no waiting for
    an approval (a Lambda cannot wait a day): the cheapest it could be."""
    busy = (functions + service_calls) * prices.ASSUMED_CALL_SECONDS + functions * prices.ASSUMED_CALL_SECONDS
    return prices.lambda_cost_per_million(1 + functions, busy)


def table(figures: dict, speed: dict[str, dict], batch: int) -> str:
    deploy_seconds, rows, order = figures["deploy_seconds"], figures["rows"], figures["order"]
    up_seconds = figures.get("make_up_seconds")
    lines = [
        f"Measured {datetime.date.today()} on {platform.machine()} with {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; prices of {prices.PRICES_DATE} (harness/bench/prices.py).",
        "",
        f"Deploy: a cold `terraform apply` of the whole stack to the embedded emulator (init, apply, then a plan "
        f"that finds no change) took {deploy_seconds:.0f} s"
        + (f"; `make up` until `build/outputs.json` was written, {up_seconds:.0f} s." if up_seconds else "."),
        "",
        "| mode | latency median | p95 | throughput at "
        + " / ".join(map(str, CONCURRENCY_LEVELS))
        + " in flight | transitions | Lambda invocations | $/M Standard | $/M Express | $/M Lambda orchestrator |",
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
    order_rates = " / ".join(f"{order['throughput'][level]:.1f}" for level in CONCURRENCY_LEVELS)
    workflow_cost = order_workflow_cost(order["transitions"], order["lambda_invocations"])
    orchestrator_cost = order_orchestrator_cost(order["lambda_invocations"], order["service_calls"])
    lines.append(
        f"| order | {order['latency'].median * 1000:.0f} ms | {order['latency'].p95 * 1000:.0f} ms "
        f"| {order_rates} exec/s | {order['order_transitions']} + {order['notification_transitions']} nested "
        f"| {order['lambda_invocations']} | {workflow_cost:.2f} | n/a: needs `.waitForTaskToken`, `.sync` | {orchestrator_cost:.2f} |"
    )
    dual = rows["dual"]
    lines += [
        "",
        "- *notification modes*: one request each; the Lambda orchestrator column is seed 000's coordinator "
        "(1 invocation + 1 worker per channel, each busy for ASSUMED_CALL_SECONDS; `coordinator_cost`).",
        "- *order*: a small order (USD 24.00, below `approval_threshold_cents`, `tok_success`, 1 × SKU-MUG), "
        "confirmed, notified by SMS and email through the nested notification execution. Transitions are the "
        "order's plus the nested execution's, both billed. $/M Standard adds the functions it invokes "
        "(`order_workflow_cost`). Express cannot run it: `.waitForTaskToken` (approval) and `.sync` "
        "(the nested notification) are Standard-only. The Lambda orchestrator is seed 002's processOrder "
        f"doing the same work ({order['lambda_invocations']} functions called synchronously and "
        f"{order['service_calls']} other AWS calls, each {prices.ASSUMED_CALL_SECONDS:g} s, waiting for each; "
        "`order_orchestrator_cost` has the formula). The workflow costs "
        f"{workflow_cost / orchestrator_cost:.0f}× as much per order; the orchestrator has none of the retries, "
        "compensation, records or approval wait the workflow's transitions pay for.",
        f"- Same run: an order's median latency is {order['latency'].median / dual['latency'].median:.1f}× a `dual` "
        f"notification's; at {CONCURRENCY_LEVELS[-1]} in flight the emulator completes "
        f"{order['throughput'][CONCURRENCY_LEVELS[-1]]:.1f} orders/s against "
        f"{dual['throughput'][CONCURRENCY_LEVELS[-1]]:.1f} `dual` notifications/s "
        f"({order['throughput'][CONCURRENCY_LEVELS[-1]] / dual['throughput'][CONCURRENCY_LEVELS[-1]]:.2f}×).",
        "",
        *faults.table(figures["faults"], batch),
    ]
    plain, fast = speed["moto as shipped"], speed["accelerated"]
    lines += [
        "",
        f"Embedded emulator speed, `dual` notifications ({fast['concurrency']} in flight), same run:",
        "",
        "| emulator | latency median | p95 | throughput |",
        "|---|---|---|---|",
    ]
    for label, figures in speed.items():
        lines.append(
            f"| {label} | {figures['latency_median'] * 1000:.0f} ms | {figures['latency_p95'] * 1000:.0f} ms "
            f"| {figures['throughput']:.1f} exec/s |"
        )
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
    parser.add_argument("--batch", type=int, default=faults.BATCH, help="dual requests per fault scenario and design")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument(
        "--engines",
        nargs="*",
        default=None,
        help="engines to set beside the embedded one (default: every one present here)",
    )
    parser.add_argument(
        "--only",
        choices=["inner-loop"],
        default=None,
        help="measure one section alone, into build/bench.json and docs/benchmarks.md (harness/bench/inner_loop.py)",
    )
    parser.add_argument("--edits", type=int, default=5, help="edits per inner-loop figure")
    args = parser.parse_args(argv)
    loop_engines = ["embedded", *(args.engines if args.engines is not None else ["ministack"])]
    if args.only == "inner-loop":
        results, absent = inner_loop.run(loop_engines, args.edits)
        inner_loop.record(results, absent, ROOT / "build" / "bench.json", args.output)
        print("\n".join(inner_loop.table(results, absent)))
        return 0

    began = time.perf_counter()
    speed = speed_comparison(args.runs)
    figures = workflow_figures(args.runs, args.total, args.batch)
    figures["make_up_seconds"] = make_up_seconds()
    side_by_side = {"embedded": engine_bench.from_workflow_figures(figures)}
    absent = {}
    for name, why in engine_bench.present().items():
        if name == "embedded" or (args.engines is not None and name not in args.engines):
            continue
        if why is not None:
            absent[name] = why
            continue
        side_by_side[name] = engine_bench.measure_in_subprocess(name, args.runs, args.total)
    under_load = {
        name: load_in_subprocess(name, args.runs)
        for name in ("embedded", *(name for name in side_by_side if name != "embedded"))
    }
    bench_json = engine_bench.write_json(side_by_side, load=under_load)
    loop_results, loop_absent = inner_loop.run(loop_engines, args.edits)
    text = table(figures, speed, args.batch) + "\n\n" + "\n".join(engine_bench.table(side_by_side, absent))
    text += "\n\n" + "\n".join(load_bench.table(under_load))
    text += (
        f"\n\nThis run took {time.perf_counter() - began:.0f} s (`--runs {args.runs} --total {args.total} "
        f"--batch {args.batch}`)."
    )
    print(text)
    write_measured(text, args.output)
    inner_loop.record(loop_results, loop_absent, bench_json, args.output)
    print("\n".join(inner_loop.table(loop_results, loop_absent)))
    print(f"\nwritten to {args.output} and {bench_json}")
    return 0


def load_in_subprocess(name: str, runs: int) -> dict:
    """harness/bench/load.py's figures for one engine, from a process of their own."""
    return engine_bench.figures_from_subprocess("harness.bench.load", name, str(runs), timeout=3600)


MEASURED = ("<!-- bench:start -->", "<!-- bench:end -->")


def write_measured(text: str, page: Path) -> None:
    """Replace the measured part of the page, keeping the findings written around it."""
    write_between(page, MEASURED, text)


if __name__ == "__main__":
    sys.exit(main())
