"""An engine served by a process of its own on this machine (MiniStack, LocalStack on the host):
started in a session of its own with its log in build/, waited for until /_localstack/health lists
its services, and stopped with everything it started (its Lambda workers, DynamoDB Local's Java).
Subclasses say what to run (`command`, `environment`) and what to call it (`label`)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path

from harness.deploy.terraform import ROOT
from harness.engines import localstack
from harness.observe.waiting import WaitTimeout, poll


class HostProcess:
    """One engine process on host:port.

    with Engine(port) as running:  # waits for /_localstack/health
        running.endpoint_url
    """

    label = "engine"

    def __init__(self, port: int | None, host: str, *, ready_timeout: float, log_path: Path) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.ready_timeout = ready_timeout
        self.log_path = Path(log_path)
        self.process: subprocess.Popen | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def command(self) -> list[str]:
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        raise NotImplementedError

    def why_unavailable(self) -> str | None:
        return None

    def start(self):
        problem = self.why_unavailable()
        if problem:
            raise RuntimeError(problem)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            poll(self._ready, timeout=self.ready_timeout, interval=0.1, describe=self._describe_failure)
        except BaseException:
            self.stop()
            raise
        return self

    def _ready(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(
                f"{self.label} exited with {self.process.returncode} before it was ready. {self._describe_failure()}"
            )
        return bool((localstack.health(self.endpoint_url, timeout=1) or {}).get("services"))

    def _describe_failure(self) -> str:
        tail = self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""
        return f"{self.label} on {self.endpoint_url} did not answer /_localstack/health; log {self.log_path}:\n{tail}"

    def stop(self, grace: float = 10) -> None:
        """SIGTERM to the process group (the server and what it started), SIGKILL to whatever of it
        is left after `grace` seconds; returns when no process of the group is left."""
        process, self.process = self.process, None
        if process is None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            try:
                poll(lambda: process.poll() is not None and not group_alive(process.pid), timeout=grace, interval=0.05)
                break
            except WaitTimeout:
                continue
        process.poll()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
