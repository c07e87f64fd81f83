"""The inner loop against the cold cycle, per engine, in a temporary copy of the tree
(the edits happen there, never in the repository).

Inner loop: `make watch` serving the stack (tests/test.tfvars.json), then, `edits`
times each: a one-state change in definitions/notification.asl.json (a state's
Comment) until the watch prints the notification tests' verdict; a handler change
in lambdas/orders/ until it prints the order tests' verdict; `make apply` with
nothing changed; `make plan`. Each figure is wall time from the save (or the
command's start) to the verdict (or its exit), p50 and max.

Cold cycle, same run, same copy: `pytest` of the same test file on a stack of its
own (terraform apply from nothing, the tests, terraform destroy), once per engine.

    python -m harness.bench.inner_loop [--edits 5] [--engines embedded ministack]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.bench.measure import write_between
from harness.emulator.embedded import free_port
from harness.engines import stop_process, why_unavailable

ROOT = Path(__file__).resolve().parents[2]
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "build", ".tools", "node_modules", "__pycache__", ".pytest_cache", ".terraform*", "*.tfstate*"
)
NOTIFICATION_TESTS = "tests/e2e/test_notification.py"
ORDER_TESTS = "tests/e2e/test_order.py"
LINE_TIMEOUT = 900
MARKERS = ("<!-- inner-loop:start -->", "<!-- inner-loop:end -->")


def copy_tree(scratch: Path) -> Path:
    tree = scratch / "repo"
    shutil.copytree(ROOT, tree, ignore=NOT_COPIED)
    for tools in (".tools", "node_modules"):  # the installed tools (MiniStack, asl-validator), not copied
        if (ROOT / tools).exists():
            (tree / tools).symlink_to((ROOT / tools).resolve())
    return tree


def environment(tree: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MOTO_PORT", "HARNESS_EMULATOR_RUNNING")}
    return {**env, "PYTHONPATH": str(tree)}


class Watching:
    """`make watch` in the copy; its printed lines."""

    def __init__(self, tree: Path, engine: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "harness.watch", "--emulator", engine, "--port", str(free_port())]
            + ["--var-file", "tests/test.tfvars.json"],
            cwd=tree,
            env=environment(tree),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=lambda: [self.lines.put(line) for line in self.process.stdout], daemon=True).start()

    def line(self, pattern: str, timeout: float = LINE_TIMEOUT) -> str:
        """The next line it prints that matches `pattern`; what it printed meanwhile is in `seen`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic())).rstrip("\n")
            except queue.Empty:
                break
            self.seen.append(line)
            if re.search(pattern, line):
                return line
        raise AssertionError(
            f"make watch printed no line matching {pattern!r} within {timeout} s:\n" + "\n".join(self.seen[-40:])
        )

    def stop(self) -> None:
        stop_process(self.process, signal.SIGINT, grace=180)  # Ctrl-C


def summary(samples: list[float]) -> dict[str, Any]:
    return {"p50": statistics.median(samples), "max": max(samples), "samples": samples}


def timed(action: Callable[[], object]) -> float:
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def edit_to_verdict(watch: Watching, path: Path, edit: Callable[[str, int], str], pattern: str, n: int) -> list:
    samples, verdicts = [], []
    for i in range(n):
        text = path.read_text()
        began = time.perf_counter()
        path.write_text(edit(text, i))
        line = watch.line(pattern)
        samples.append(time.perf_counter() - began)
        verdicts.append(line)
    return [summary(samples), verdicts]


STATE_COMMENT = re.compile(r'("Type": "Task",\s*"Comment": ")(?:edit \d+: )?')


def state_comment(text: str, i: int) -> str:
    """A one-state change: the first Task state's Comment, edited (or added when it has none)."""
    if STATE_COMMENT.search(text):
        return STATE_COMMENT.sub(rf"\g<1>edit {i}: ", text, count=1)
    first_task = text.index('"Type": "Task"')
    return text[:first_task] + f'"Comment": "edit {i}", ' + text[first_task:]


def handler_change(text: str, i: int) -> str:
    """A change to the handler's module that keeps its behaviour (a new module constant)."""
    text = re.sub(r"\nBENCH_EDIT = \d+\n", "\n", text)
    return text + f"\nBENCH_EDIT = {i}\n"


def run_command(tree: Path, *args: str) -> subprocess.CompletedProcess:
    run = subprocess.run(
        [sys.executable, "-m", *args], cwd=tree, env=environment(tree), capture_output=True, text=True, timeout=900
    )
    if run.returncode not in (0, 2):  # make plan: 2 = changes found (an engine whose reads drift)
        raise RuntimeError(f"{' '.join(args)} failed ({run.returncode}): {(run.stdout + run.stderr)[-1500:]}")
    return run


def cold_cycle(tree: Path, engine: str, tests: str) -> dict[str, Any]:
    """The same tests on a stack of their own: terraform apply from nothing, the tests, terraform destroy."""
    began = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--backend", engine, "-p", "no:cacheprovider", "-q", tests],
        cwd=tree,
        env=environment(tree),
        capture_output=True,
        text=True,
        timeout=3600,
    )
    seconds = time.perf_counter() - began
    last = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-300:]
    figures = {"seconds": seconds, "verdict": last, "returncode": run.returncode}
    if run.returncode != 0:  # a failed cycle is no baseline: say why, keep it out of the ratios
        figures["output_tail"] = (run.stdout + run.stderr)[-4000:]
        print(f"the cold cycle of {tests} on {engine} failed ({last}):\n{figures['output_tail']}", flush=True)
    return figures


def measure(engine: str, edits: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-inner-loop-") as scratch:
        tree = copy_tree(Path(scratch))
        watch = Watching(tree, engine)
        try:
            began = time.perf_counter()
            ready = watch.line(r"^make watch: \w+ stack at ")
            figures: dict[str, Any] = {"watch_ready_seconds": time.perf_counter() - began, "mode": ready}
            figures["apply_nothing"] = summary(
                [timed(lambda: run_command(tree, "harness.apply")) for _ in range(edits)]
            )
            figures["plan"] = summary([timed(lambda: run_command(tree, "harness.plan")) for _ in range(edits)])
            figures["definition_edit"], figures["definition_verdicts"] = edit_to_verdict(
                watch,
                tree / "definitions" / "notification.asl.json",
                state_comment,
                r"^definitions/notification\.asl\.json: ",
                edits,
            )
            figures["handler_edit"], figures["handler_verdicts"] = edit_to_verdict(
                watch, tree / "lambdas" / "orders" / "validate_order.py", handler_change, r"^lambdas/orders/", edits
            )
        finally:
            watch.stop()
        for path in (tree / "definitions", tree / "lambdas"):
            shutil.rmtree(path)
            shutil.copytree(ROOT / path.name, path, ignore=NOT_COPIED)  # the cold cycle runs the shipped tree
        figures["cold_notification"] = cold_cycle(tree, engine, NOTIFICATION_TESTS)
        figures["cold_order"] = cold_cycle(tree, engine, ORDER_TESTS)
    figures["load_average_1min"] = os.getloadavg()[0]  # other work on the machine inflates every figure
    for ratio, cold, inner in (
        ("definition_ratio", "cold_notification", "definition_edit"),
        ("handler_ratio", "cold_order", "handler_edit"),
    ):
        if figures[cold]["returncode"] == 0:
            figures[ratio] = figures[cold]["seconds"] / figures[inner]["p50"]
    return figures


def table(results: dict[str, Any], absent: dict[str, str]) -> list[str]:
    lines = [
        "Inner loop: from a save to its tests' verdict against the served stack (`make watch`), p50 (max) over "
        "the edits, beside the cold cycle for the same tests (terraform apply from nothing, tests, destroy), "
        "same run (harness/bench/inner_loop.py):",
        "",
        "| engine | step | inner loop p50 (max) | cold cycle | cold / inner |",
        "|---|---|---|---|---|",
    ]
    for engine, figures in results.items():
        rows = [
            ("one-state change in notification.asl.json → notification tests", "definition_edit", "cold_notification"),
            ("handler change in lambdas/orders/ → order tests", "handler_edit", "cold_order"),
            ("`make apply`, nothing changed", "apply_nothing", None),
            ("`make plan`", "plan", None),
        ]
        for label, key, cold in rows:
            inner = figures[key]
            cold_text, ratio = "", ""
            if cold and figures[cold]["returncode"] != 0:
                cold_text = f"failed: {figures[cold]['verdict']}"
            elif cold:
                cold_text = f"{figures[cold]['seconds']:.0f} s"
                ratio = f"{figures[cold]['seconds'] / inner['p50']:.1f}×"
            lines.append(
                f"| {engine} | {label} | {inner['p50']:.1f} s ({inner['max']:.1f} s) | {cold_text} | {ratio} |"
            )
    lines += [
        f"- {engine}: the machine's load average (1 min) was {figures['load_average_1min']:.1f} at the end of its "
        f"run, on {os.cpu_count()} cores."
        for engine, figures in results.items()
        if "load_average_1min" in figures
    ]
    lines += [f"- Not measured on {name}: {why}" for name, why in absent.items()]
    return lines


def record(results: dict[str, Any], absent: dict[str, str], bench_json: Path, doc: Path) -> None:
    """Put the figures in build/bench.json ("inner_loop") and the table in docs/benchmarks.md, between markers."""
    content = json.loads(bench_json.read_text()) if bench_json.exists() else {}
    earlier = content.get("inner_loop", {})  # engines measured by an earlier run keep their rows
    results = {**earlier.get("engines", {}), **results}
    absent = {name: why for name, why in {**earlier.get("not_measured", {}), **absent}.items() if name not in results}
    content["inner_loop"] = {"engines": results, "not_measured": absent}
    bench_json.parent.mkdir(parents=True, exist_ok=True)
    bench_json.write_text(json.dumps(content, indent=2) + "\n")
    write_between(doc, MARKERS, "\n".join(table(results, absent)))


def run(engines: list[str], edits: int) -> tuple[dict[str, Any], dict[str, str]]:
    results, absent = {}, {}
    for engine in engines:
        why = why_unavailable(engine)
        if why is not None:
            absent[engine] = why
            continue
        print(f"inner loop on {engine} ({edits} edits each) ...", flush=True)
        results[engine] = measure(engine, edits)
    return results, absent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--engines", nargs="*", default=["embedded", "ministack"])
    parser.add_argument("--json", type=Path, default=ROOT / "build" / "bench.json")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args(argv)
    results, absent = run(args.engines, args.edits)
    record(results, absent, args.json, args.output)
    print("\n".join(table(results, absent)))
    print(f"\nwritten to {args.json} and {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
