"""The engines side by side: the same workloads on every engine present
(harness/engines/__init__.py), each deployed with the same cold `terraform apply`.

Per engine: the apply's time, then for each notification mode and for orders
the latency (p50, p95 of sequential runs) and the throughput at 1, 10 and 50
in flight. Each engine is measured in a process of its own
(`python -m harness.bench.engines NAME`, one JSON line out), one after
another: the embedded emulator's MOTO_PORT is global to its process, and no
engine competes with another for the CPUs.

build/bench.json holds the result:
{"engines": {"<engine>": {"<workload>": {"p50_ms", "p95_ms", "throughput": {"1", "10", "50"}}, "apply_s"}},
 "load": {"<engine>": ...}}, the last from harness/bench/load.py (each engine served as `make up` serves it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import engines
from harness.bench.measure import latency, throughput
from harness.bench.notifications import notification
from harness.bench.orders import AMOUNT_CENTS, SKU, STOCK, order
from harness.deploy.stack import deploy
from harness.observe.observer import Observer

ROOT = Path(__file__).resolve().parents[2]
LEVELS = (1, 10, 50)


def workloads(observer: Observer, notification: Callable[[str], Callable[[int], dict]]) -> dict[str, tuple]:
    """workload -> (request(index), start arguments, what a sample must end as)."""
    found = {mode: (notification(mode), {}, "DELIVERED") for mode in ("text", "mail", "dual")}
    found["order"] = (order, {"state_machine_arn": observer.outputs.order_state_machine_arn}, "CONFIRMED")
    return found


def measure(engine: engines.Engine, runs: int, total: int) -> dict[str, Any]:
    from harness.observe.order_saga import seed_stock

    with tempfile.TemporaryDirectory(prefix=f"bench-{engine.name}-") as workdir:  # a cold apply: nothing cached
        deployment = deploy(Path(workdir), engine.endpoint_url, var_file=None)
        observer = Observer(deployment.outputs, inspection=engine.inspection)
        if AMOUNT_CENTS >= deployment.variables["approval_threshold_cents"]:
            raise ValueError("bench orders must stay below approval_threshold_cents")
        seed_stock(observer.dynamodb, deployment.outputs.stock_table_name, {SKU: STOCK})
        figures: dict[str, Any] = {"apply_s": round(deployment.apply_seconds, 1)}
        for name, (request, start, expected) in workloads(observer, notification).items():
            sample = observer.wait(observer.start(request(0), **start), timeout=120)
            assert (sample.output or {}).get("status") == expected, f"{engine.name} {name}: {sample.describe()}"
            figures[name] = row(
                latency(observer, request, runs, **start),
                {
                    level: throughput(observer, request, concurrency=level, total=max(total, level), **start)
                    for level in LEVELS
                },
            )
        deployment.destroy()
    return figures


def row(measured_latency, rates: dict[int, float]) -> dict[str, Any]:
    return {
        "p50_ms": round(measured_latency.median * 1000, 1),
        "p95_ms": round(measured_latency.p95 * 1000, 1),
        "throughput": {str(level): round(rate, 1) for level, rate in rates.items()},
    }


def from_workflow_figures(figures: dict[str, Any]) -> dict[str, Any]:
    """The embedded engine's row, from the measurements harness/bench/run.py made on it anyway."""
    found = {mode: row(item["latency"], item["throughput"]) for mode, item in figures["rows"].items()}
    found["order"] = row(figures["order"]["latency"], figures["order"]["throughput"])
    found["apply_s"] = round(figures["apply_seconds"], 1)
    return found


def present() -> dict[str, str | None]:
    """Every engine, with why it cannot run here (None: it runs)."""
    return {name: engines.why_unavailable(name) for name in engines.ENGINES}


def figures_from_subprocess(
    module: str, *args: str, timeout: float, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run a bench module in a process of its own; its last line of output is its figures (JSON)."""
    run = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if run.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(args)} failed:\n{(run.stdout + run.stderr)[-4000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def measure_in_subprocess(name: str, runs: int, total: int) -> dict[str, Any]:
    env = {**os.environ, "BENCH_RUNS": str(runs), "BENCH_TOTAL": str(total)}
    return figures_from_subprocess("harness.bench.engines", name, timeout=1800, env=env)


def table(side_by_side: dict[str, dict[str, Any]], absent: dict[str, str]) -> list[str]:
    names = list(side_by_side)
    lines = [
        "Engines side by side, the same workloads and cold `terraform apply` (variables.tf defaults) on each, "
        "same run:",
        "",
        "| workload | "
        + " | ".join(f"{name}: p50 / p95" for name in names)
        + " | "
        + " | ".join(f"{name}: exec/s at {' / '.join(map(str, LEVELS))}" for name in names)
        + " |",
        "|---|" + "---|" * (2 * len(names)),
    ]
    workloads_seen = [key for key in next(iter(side_by_side.values())) if key != "apply_s"]
    for workload in workloads_seen:
        latencies = [
            f"{side_by_side[name][workload]['p50_ms']:.0f} / {side_by_side[name][workload]['p95_ms']:.0f} ms"
            for name in names
        ]
        rates = [
            " / ".join(f"{side_by_side[name][workload]['throughput'][str(level)]:.1f}" for level in LEVELS)
            for name in names
        ]
        lines.append(f"| {workload} | " + " | ".join(latencies) + " | " + " | ".join(rates) + " |")
    lines.append(
        "| cold `terraform apply` | "
        + " | ".join(f"{side_by_side[name]['apply_s']:.0f} s" for name in names)
        + " |"
        + " |" * len(names)
    )
    if absent:
        lines += ["", "Not measured: " + "; ".join(f"{name} ({why})" for name, why in absent.items()) + "."]
    return lines


def write_json(
    side_by_side: dict[str, dict[str, Any]],
    path: Path = ROOT / "build" / "bench.json",
    load: dict[str, dict[str, Any]] | None = None,
) -> Path:
    """`load`: harness/bench/load.py's figures per engine, under "load"."""
    path.parent.mkdir(parents=True, exist_ok=True)
    content: dict[str, Any] = {"engines": side_by_side}
    if load is not None:
        content["load"] = load
    path.write_text(json.dumps(content, indent=2) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    [name] = sys.argv[1:] if argv is None else argv
    runs, total = int(os.environ.get("BENCH_RUNS", "10")), int(os.environ.get("BENCH_TOTAL", "50"))
    with engines.running(name) as engine:
        figures = measure(engine, runs, total)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
