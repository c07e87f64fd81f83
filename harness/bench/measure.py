"""Measurements on a deployed stack: latency, throughput, transitions per request."""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.observe.observer import TERMINAL, Execution, Observer

Request = Callable[[int], dict]


@dataclass
class Latency:
    median: float
    p95: float
    runs: int


def latency(observer: Observer, request: Request, runs: int, **start: Any) -> Latency:
    """Start-to-end time of one execution at a time (seconds), polled every 5 ms."""
    times = []
    for index in range(runs):
        began = time.perf_counter()
        arn = observer.start(request(index), **start)
        while observer.sfn.describe_execution(executionArn=arn)["status"] not in TERMINAL:
            if time.perf_counter() - began > 120:
                raise TimeoutError(f"{arn} still running after 120 s")
            time.sleep(0.005)  # a benchmark loop, bounded above
        times.append(time.perf_counter() - began)
    times.sort()
    return Latency(statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))], runs)


def throughput(observer: Observer, request: Request, *, concurrency: int, total: int, **start: Any) -> float:
    """Executions finished per second with `concurrency` always in flight.

    One ListExecutions(RUNNING) per round tells which are still running: polling each
    execution would spend, on the measuring side, much of the CPU being measured."""
    sfn = observer.sfn
    machine = start.get("state_machine_arn") or observer.outputs.notification_state_machine_arn
    in_flight: list[str] = []
    started = finished = 0
    began = time.perf_counter()
    deadline = began + 600
    while finished < total:
        while len(in_flight) < concurrency and started < total:
            in_flight.append(observer.start(request(started), **start))
            started += 1
        running = {
            execution["executionArn"]
            for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine, statusFilter="RUNNING")
            for execution in page["executions"]
        }
        still_running = [arn for arn in in_flight if arn in running]
        finished += len(in_flight) - len(still_running)
        in_flight = still_running
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{total - finished} executions still running after 600 s")
        if in_flight:
            time.sleep(0.02)  # a benchmark loop, bounded by the deadline above
    return total / (time.perf_counter() - began)


def billed_transitions(execution: Execution) -> int:
    """State transitions as Step Functions bills them: every state entered, plus every retry."""
    entered = len(execution.path)
    retries = sum(max(0, execution.attempts(state) - 1) for state in set(execution.path))
    return entered + retries


def lambda_invocations(execution: Execution) -> int:
    return sum(
        1
        for event in execution.history
        if event["type"] == "TaskScheduled" and event["taskScheduledEventDetails"].get("resourceType") == "lambda"
    )


def sequential_service_calls(execution: Execution) -> int:
    """Service calls on the critical path: a Parallel state counts as its longest branch (approximated as 1)."""
    calls = [e for e in execution.history if e["type"] == "TaskScheduled"]
    parallel_extra = sum(1 for e in execution.history if e["type"] == "ParallelStateStarted")
    return max(1, len(calls) - parallel_extra)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def write_between(page: Path, markers: tuple[str, str], text: str) -> None:
    """Put `text` between the page's two markers; a page without them gets them at its end."""
    start, end = markers
    content = page.read_text() if page.exists() else "# Benchmarks\n"
    if start in content and end in content:
        before, rest = content.split(start, 1)
        after = rest.split(end, 1)[1]
    else:
        before, after = content.rstrip("\n") + "\n\n", "\n"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(f"{before}{start}\n{text.strip()}\n{end}{after}")
