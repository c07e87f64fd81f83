"""The engines side by side under load, each served as `make up` serves it.

Each engine runs the deployed stack in a process of its own (`python -m
harness.serve --emulator NAME`, the command `make up` runs), and this process
drives it through boto3, one engine after the other: the engines never compete
for the CPUs, and the driver's own work runs beside the engine's, as a user's
client would. Per engine:

- *alone*: the median start-to-end time of one execution at a time (`runs` of
  them) for each notification mode and for orders;
- *10 in flight*: executions started as others end, 10 running at all times,
  LOAD_TOTAL notifications of each mode and ORDER_TOTAL orders: the rate they
  finish at, and the p50 and p95 of each one's start-to-end time as the driver
  sees it (it lists the running executions every 20 ms);
- *500 at once*: DRAIN_TOTAL `text` notifications, each to its own phone
  number, started as fast as STARTERS client threads can start them: the time
  from the first start until none runs; then whether every execution
  succeeded, left its final record (DELIVERED) and sent exactly one SMS to its
  number.

build/bench.json holds the figures under "load" (`measure()` gives their shape).
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from botocore.config import Config

from harness.bench.measure import latency, unique
from harness.bench.orders import order
from harness.deploy.stack import StackOutputs
from harness.emulator.embedded import free_port
from harness.engines import stop_process
from harness.observe.observer import LOCALSTACK_INSPECTION, MINISTACK_INSPECTION, Observer, item_to_dict
from harness.observe.waiting import poll

ROOT = Path(__file__).resolve().parents[2]
IN_FLIGHT = 10
LOAD_TOTAL = 200  # notifications per mode at 10 in flight
ORDER_TOTAL = 100  # orders at 10 in flight
DRAIN_TOTAL = 500
STARTERS = 10
MODES = ("text", "mail", "dual")
INSPECTIONS = {"embedded": LOCALSTACK_INSPECTION, "ministack": MINISTACK_INSPECTION}


@contextlib.contextmanager
def served(engine: str, scratch: Path) -> Iterator[StackOutputs]:
    """The stack deployed on `engine` by `make up`'s command, in its own process, until the block ends."""
    outputs = scratch / "outputs.json"
    env = {k: v for k, v in os.environ.items() if k not in ("MOTO_PORT", "HARNESS_EMULATOR_RUNNING")}
    with open(scratch / "serve.log", "wb") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "harness.serve",
                "--emulator",
                engine,
                "--port",
                str(free_port()),
                "--outputs",
                str(outputs),
                "--workdir",
                str(scratch / "terraform"),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            poll(lambda: outputs.exists() or server.poll() is not None, timeout=900, interval=0.5)
            if not outputs.exists():
                raise RuntimeError(f"`make up` on {engine} ended early:\n{(scratch / 'serve.log').read_text()[-4000:]}")
            yield StackOutputs(**json.loads(outputs.read_text()))
        finally:
            stop_process(server)


def notification(mode: str) -> Callable[[int], dict]:
    fields = {
        "text": {"user_phone": "+14155550100"},
        "mail": {"user_email": "bench@example.com"},
        "dual": {"user_phone": "+14155550100", "user_email": "bench@example.com"},
    }[mode]
    return lambda index: {
        "notification_id": unique(f"load-{mode}"),
        "delivery_mode": mode,
        "message_content": "benchmark",
        **fields,
    }


def _running(observer: Observer, machine: str) -> set[str]:
    return {
        execution["executionArn"]
        for page in observer.sfn.get_paginator("list_executions").paginate(
            stateMachineArn=machine, statusFilter="RUNNING"
        )
        for execution in page["executions"]
    }


def _percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def in_flight(
    observer: Observer, request: Callable[[int], dict], total: int, machine: str, concurrency: int = IN_FLIGHT
) -> dict[str, float]:
    """`total` executions with `concurrency` running at all times: the rate they end at, and
    each one's start-to-end time (p50, p95), as the driver sees them."""
    started_at: dict[str, float] = {}
    times: list[float] = []
    started = 0
    began = time.perf_counter()
    deadline = began + 900
    while len(times) < total:
        while len(started_at) < concurrency and started < total:
            now = time.perf_counter()
            started_at[observer.start(request(started), state_machine_arn=machine)] = now
            started += 1
        running = _running(observer, machine)
        now = time.perf_counter()
        for arn in [arn for arn in started_at if arn not in running]:
            times.append(now - started_at.pop(arn))
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{total - len(times)} executions still running after 900 s")
        if started_at:
            time.sleep(0.02)  # a benchmark loop, bounded by the deadline above
    elapsed = time.perf_counter() - began
    times.sort()
    return {
        "exec_per_s": round(total / elapsed, 1),
        "p50_ms": round(statistics.median(times) * 1000, 1),
        "p95_ms": round(_percentile(times, 0.95) * 1000, 1),
        "executions": total,
    }


def drain(observer: Observer, total: int = DRAIN_TOTAL) -> dict[str, Any]:
    """`total` text notifications started at once, each to its own number: the time until none
    runs, and what they left behind."""
    machine = observer.outputs.notification_state_machine_arn
    phones = [f"+1415556{index:04d}" for index in range(total)]
    requests = [
        {
            "notification_id": unique("drain"),
            "delivery_mode": "text",
            "message_content": "drain",
            "user_phone": phone,
        }
        for phone in phones
    ]
    began = time.perf_counter()
    with ThreadPoolExecutor(STARTERS) as starters:
        arns = list(starters.map(lambda request: observer.start(request, state_machine_arn=machine), requests))
    started_s = time.perf_counter() - began
    pending = set(arns)
    deadline = began + 1800
    while pending:
        pending &= _running(observer, machine)
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{len(pending)} of {total} executions still running after 1800 s")
        if pending:
            time.sleep(0.05)  # a benchmark loop, bounded by the deadline above
    drain_s = time.perf_counter() - began

    statuses = Counter(observer.sfn.describe_execution(executionArn=arn)["status"] for arn in arns)
    records = _records(observer, [request["notification_id"] for request in requests])
    final = sum(1 for record in records.values() if record.get("status") == "DELIVERED")
    numbers = set(phones)
    sms = Counter(message["PhoneNumber"] for message in observer.sms() if message["PhoneNumber"] in numbers)
    return {
        "executions": total,
        "started_s": round(started_s, 1),
        "drain_s": round(drain_s, 1),
        "succeeded": statuses.get("SUCCEEDED", 0),
        "final_records": final,
        "one_sms_each": sum(1 for phone in phones if sms.get(phone) == 1),
        "lost": sum(1 for phone in phones if sms.get(phone, 0) == 0),
        "duplicated": sum(1 for phone in phones if sms.get(phone, 0) > 1),
    }


def _records(observer: Observer, ids: list[str]) -> dict[str, dict]:
    found: dict[str, dict] = {}
    table = observer.outputs.status_table_name
    for offset in range(0, len(ids), 100):
        keys = [{"notification_id": {"S": notification_id}} for notification_id in ids[offset : offset + 100]]
        while keys:
            answer = observer.dynamodb.batch_get_item(RequestItems={table: {"Keys": keys, "ConsistentRead": True}})
            for item in answer["Responses"].get(table, []):
                record = item_to_dict(item)
                found[record["notification_id"]] = record
            keys = answer.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
    return found


def measure(engine: str, runs: int) -> dict[str, Any]:
    """Every figure of one engine, served on its own."""
    from harness.bench.orders import SKU, STOCK
    from harness.observe.order_saga import seed_stock

    with tempfile.TemporaryDirectory(prefix=f"bench-load-{engine}-") as scratch:
        with served(engine, Path(scratch)) as outputs:
            observer = Observer(
                outputs,
                inspection=INSPECTIONS.get(engine, LOCALSTACK_INSPECTION),
                client_factory=lambda service: _client(outputs, service),
            )
            seed_stock(observer.dynamodb, outputs.stock_table_name, {SKU: STOCK})
            workloads = {mode: (notification(mode), outputs.notification_state_machine_arn) for mode in MODES}
            workloads["order"] = (order, outputs.order_state_machine_arn)
            figures: dict[str, Any] = {}
            for name, (request, machine) in workloads.items():
                sample = observer.wait(observer.start(request(0), state_machine_arn=machine), timeout=120)
                assert sample.status == "SUCCEEDED", f"{engine} {name}: {sample.describe()}"
                alone = latency(observer, request, runs, state_machine_arn=machine)
                total = ORDER_TOTAL if name == "order" else LOAD_TOTAL
                figures[name] = {
                    "alone_p50_ms": round(alone.median * 1000, 1),
                    "in_flight_10": in_flight(observer, request, total, machine),
                }
            figures["drain_500"] = drain(observer)
    return figures


def _client(outputs: StackOutputs, service: str):
    import boto3

    return boto3.client(
        service,
        endpoint_url=outputs.endpoint_url,
        region_name=outputs.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(max_pool_connections=STARTERS),
    )


def table(load: dict[str, dict[str, Any]]) -> list[str]:
    """The figures side by side, one column per engine, then each embedded/peer ratio."""
    names = list(load)
    peers = [name for name in names if name != "embedded"]
    lines = [
        "Engines side by side under load: each serves the stack as `make up` does, in its own process, "
        "driven through boto3 by the bench; same run:",
        "",
        "| row | " + " | ".join(names) + "".join(f" | embedded vs {peer}" for peer in peers) + " |",
        "|---|" + "---|" * (len(names) + len(peers)),
    ]

    def add(label: str, values: list[float], unit: str, higher_is_better: bool) -> None:
        cells = [f"{value:.1f} {unit}" if unit == "exec/s" else f"{value:.0f} {unit}" for value in values]
        ratios = []
        for peer in peers:
            mine, theirs = values[0], values[names.index(peer)]
            ratio = (mine / theirs if higher_is_better else theirs / mine) if mine and theirs else 0.0
            ratios.append(f"{ratio:.2f}× {'✓' if ratio >= 1 else '✗'}")
        lines.append(f"| {label} | " + " | ".join(cells + ratios) + " |")

    for workload in (*MODES, "order"):
        rows = [load[name][workload] for name in names]
        add(f"{workload}, 10 in flight: throughput", [r["in_flight_10"]["exec_per_s"] for r in rows], "exec/s", True)
        add(f"{workload}, 10 in flight: p95", [r["in_flight_10"]["p95_ms"] for r in rows], "ms", False)
    for workload in ("text", "order"):
        add(f"{workload}, one alone: p50", [load[name][workload]["alone_p50_ms"] for name in names], "ms", False)
    add("500 `text` at once: time to drain", [load[name]["drain_500"]["drain_s"] for name in names], "s", False)
    lines += [
        "",
        "500 at once, what they left: "
        + "; ".join(
            f"{name}: {d['succeeded']}/{d['executions']} succeeded, {d['final_records']} final records, "
            f"{d['one_sms_each']} numbers with exactly one SMS, {d['lost']} lost, {d['duplicated']} duplicated"
            for name, d in ((name, load[name]["drain_500"]) for name in names)
        )
        + ".",
        "",
        "- *ratio*: embedded's throughput over the peer's, or the peer's time over embedded's: "
        "above 1 (✓) embedded is at least as fast. p50 under load and the other figures are in build/bench.json.",
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    """`python -m harness.bench.load ENGINE [RUNS]`: one engine's figures, as one JSON line."""
    args = sys.argv[1:] if argv is None else argv
    print(json.dumps(measure(args[0], int(args[1]) if len(args) > 1 else 20)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
