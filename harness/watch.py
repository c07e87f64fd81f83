"""`make watch`: from a saved definition, handler or .tf file to the verdict of its tests.

Uses the stack `make up` serves (its build/outputs.json and deployment.json), or
serves one itself (`harness.serve`, stopped on exit). Watches definitions/,
lambdas/, modules/ and the root module's *.tf (watchfiles: the OS's change
events). On each save it applies the working tree when a Terraform input changed
(`make apply`; a handler under hot reload needs none: the next execution runs
it), then runs the end-to-end tests of the workflow the change belongs to
against the stack (`pytest --stack`), and prints one line: what changed, the
apply, the tests' counts, and the seconds from the save to the verdict.
Ctrl-C stops it, and the stack it started.
"""

from __future__ import annotations

import argparse
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import requests
import watchfiles

from harness import program
from harness.deploy.stack import ServedStack, apply_served
from harness.deploy.terraform import ROOT, TerraformError
from harness.engines import stop_process

WATCHED = ("definitions", "lambdas", "modules")
E2E = "tests/e2e"
# The end-to-end tests of each workflow; a change that belongs to none (a module, main.tf) runs them all.
WORKFLOW_TESTS = {
    "notification": ["tests/e2e/test_notification.py"],
    "order": ["tests/e2e/test_order.py"],
}
WORKFLOW_OF = [  # (pattern of a path relative to the root, workflow)
    (re.compile(r"^definitions/notification"), "notification"),
    (re.compile(r"^notification\.tf$"), "notification"),
    (re.compile(r"^definitions/order"), "order"),
    (re.compile(r"^orders\.tf$"), "order"),
    (re.compile(r"^lambdas/orders/"), "order"),
]
# Each workflow's tests keep to ids, stock, fault rules and approval requests of their own,
# so they run on two pytest-xdist workers side by side; all of tests/e2e runs on one.
SIDE_BY_SIDE = {path for paths in WORKFLOW_TESTS.values() for path in paths}
WORKERS = 2
SERVE_TIMEOUT_SECONDS = 600
ARMED_CHECK_MS = 300


def is_watched(path: Path, root: Path = ROOT) -> bool:
    relative = path.relative_to(root) if path.is_relative_to(root) else path
    if "__pycache__" in relative.parts or relative.name.startswith("."):
        return False
    if len(relative.parts) == 1:
        return relative.suffix == ".tf" and not relative.name.endswith("_override.tf")
    return relative.parts[0] in WATCHED


def needs_apply(relative: str, hot_reload: bool) -> bool:
    """Whether Terraform sees the change: a handler under hot reload runs as saved without one."""
    return not (hot_reload and relative.startswith("lambdas/"))


def covering_tests(changed: list[str]) -> list[str]:
    workflows = set()
    for relative in changed:
        workflow = next((name for pattern, name in WORKFLOW_OF if pattern.match(relative)), None)
        if workflow is None:
            return [E2E]
        workflows.add(workflow)
    return sorted(path for workflow in workflows for path in WORKFLOW_TESTS[workflow])


@dataclass
class Verdict:
    passed: int
    failed: int
    skipped: int
    returncode: int

    def __str__(self) -> str:
        return f"{self.passed} passed, {self.failed} failed" + (f", {self.skipped} skipped" if self.skipped else "")


def pytest_command(outputs: Path, tests: list[str]) -> list[str]:
    workers = ["-n", str(WORKERS)] if set(tests) <= SIDE_BY_SIDE else []
    return [
        *(
            sys.executable,
            "-m",
            "pytest",
            "--stack",
            str(outputs.resolve()),
            "-m",
            "e2e",
            "-q",
            "-p",
            "no:cacheprovider",
        ),
        *workers,
        *tests,
    ]


def run_tests(outputs: Path, tests: list[str], root: Path = ROOT) -> Verdict:
    """`pytest --stack` in a process of its own: the verdict from its summary line."""
    run = subprocess.run(
        pytest_command(outputs, tests),
        cwd=root,
        capture_output=True,
        text=True,
    )
    summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else ""

    def count(word: str) -> int:
        found = re.search(rf"(\d+) {word}", summary)
        return int(found.group(1)) if found else 0

    verdict = Verdict(count("passed"), count("failed") + count("error"), count("skipped"), run.returncode)
    if run.returncode not in (0, 5) or verdict.failed:
        print(run.stdout[-4000:] + run.stderr[-2000:], flush=True)
    return verdict


def serving(outputs: Path) -> ServedStack | None:
    """The stack `make up` serves beside `outputs`, if its endpoint answers."""
    if not ServedStack.path_beside(outputs).exists():
        return None
    served = ServedStack.read(outputs)
    try:
        requests.get(served.endpoint_url, timeout=2)
    except requests.RequestException:
        return None
    return served


def start_serving(args: argparse.Namespace) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "harness.serve",
        "--emulator",
        args.emulator,
        "--port",
        str(args.port),
        "--outputs",
        str(args.outputs),
    ]
    command += ["--var-file", str(args.var_file)] if args.var_file else []
    command += [] if args.hot_reload is None else ["--hot-reload" if args.hot_reload else "--no-hot-reload"]
    log = args.outputs.with_name("watch-serve.log")
    log.parent.mkdir(parents=True, exist_ok=True)
    print(f"make watch: serving the stack on {args.emulator} (make up; its log: {log}) ...", flush=True)
    return subprocess.Popen(command, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT)


def wait_until_served(server: subprocess.Popen, outputs: Path) -> ServedStack:
    deadline = time.monotonic() + SERVE_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"make watch: the stack could not be served (exit {server.returncode}): see its log")
        if ServedStack.path_beside(outputs).exists() and outputs.exists():
            return ServedStack.read(outputs)
        time.sleep(0.5)
    raise SystemExit(f"make watch: no stack served within {SERVE_TIMEOUT_SECONDS} s: see its log")


def on_save(changed: list[str], served: ServedStack, outputs: Path, saved_at: float) -> str:
    """Apply if Terraform sees the change, run the tests of its workflow: the one line to print."""
    applying = [path for path in changed if needs_apply(path, served.hot_reload)]
    if applying:
        try:
            applied = apply_served(served, outputs)
        except TerraformError as error:
            print(str(error).replace("\\n", "\n")[-4000:], flush=True)
            found = re.search(r"Error: ([^\\\n]+)", str(error))
            reason = found.group(1) if found else "see above"
            return f"{', '.join(changed)}: apply failed: {reason.strip()} | {time.perf_counter() - saved_at:.1f} s"
        apply_text = f"apply {applied.seconds:.1f} s ({len(applied.changes)} changed)"
    else:
        apply_text = "no apply (hot reload)"
    tests = covering_tests(changed)
    verdict = run_tests(outputs, tests)
    return (
        f"{', '.join(changed)}: {apply_text} | tests {verdict} ({' '.join(tests)})"
        f" | {time.perf_counter() - saved_at:.1f} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--emulator", default="embedded", help="the engine to serve on when none is served")
    parser.add_argument("--port", type=int, default=4566)
    parser.add_argument("--outputs", type=Path, default=Path("build/outputs.json"))
    parser.add_argument("--var-file", type=Path, default=None)
    parser.add_argument("--hot-reload", action=argparse.BooleanOptionalAction, default=None)
    args = parser.parse_args(argv)
    args.outputs = args.outputs.resolve()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server = None
    try:
        served = serving(args.outputs)
        if served is None:
            server = start_serving(args)
            served = wait_until_served(server, args.outputs)
        mode = "hot reload on: a saved handler runs as is" if served.hot_reload else "hot reload off"
        directories = [ROOT] + [
            path
            for name in WATCHED
            for path in [ROOT / name, *(ROOT / name).rglob("*")]
            if path.is_dir() and "__pycache__" not in path.parts
        ]
        armed = False
        for changes in watchfiles.watch(
            *directories,
            watch_filter=lambda _, path: is_watched(Path(path), ROOT),
            recursive=False,  # root *.tf only, not build/ or .venv/
            stop_event=stop,
            debounce=400,
            rust_timeout=ARMED_CHECK_MS,
            yield_on_timeout=True,  # its first yield says the OS watches are in place
        ):
            if not armed:  # only now is a save seen: saying "watching" earlier would lose the first one
                armed = True
                print(
                    f"make watch: {served.engine} stack at {served.endpoint_url} ({mode}); watching "
                    f"{', '.join(f'{name}/' for name in WATCHED)} and the root *.tf; Ctrl-C stops",
                    flush=True,
                )
            if not changes:
                continue
            saved_at = time.perf_counter()
            changed = sorted({str(Path(path).relative_to(ROOT)) for _, path in changes})
            print(on_save(changed, served, args.outputs, saved_at), flush=True)
            served = ServedStack.read(args.outputs)  # an apply may have refreshed the variables
    except KeyboardInterrupt:
        pass
    finally:
        if server is not None:
            stop_process(server)
    print("make watch: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(program.run(main, "make watch"))
