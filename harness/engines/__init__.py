"""The engines the stack runs on, behind one contract: an endpoint for the AWS
APIs, where its deliveries are read (observe.Inspection), and a clean stop.
`make up EMULATOR=...`, `make localstack-test` and `make bench` choose among them.

  embedded    moto in this process, with the project's corrections and fault injector
  ministack   the pinned MiniStack, started with the project's extensions (harness/engines/ministack.py)
  localstack  a LocalStack answering at LOCALSTACK_HOST; else one started in Docker when a
              Docker engine runs and LOCALSTACK_AUTH_TOKEN is set (harness/engines/localstack.py);
              else the pinned LocalStack started on the host (harness/engines/localstack_host.py)
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

from harness.engines import localstack, localstack_host, ministack
from harness.observe.observer import LOCALSTACK_INSPECTION, MINISTACK_INSPECTION, Inspection

ENGINES = ("embedded", "ministack", "localstack")


class EngineUnavailable(RuntimeError):
    """The engine cannot run here; the message says why and what would make it run."""


@dataclass
class Engine:
    name: str
    endpoint_url: str
    inspection: Inspection
    emulator: object | None = None  # the EmbeddedEmulator (fault injector, reset), embedded only
    detail: str = ""  # which release or where, for people
    started_here: bool = True  # False: a LocalStack that was already running, and keeps running

    @property
    def delivery_paths(self) -> tuple[str, str]:
        return self.inspection.sms_path, self.inspection.emails_path


def why_unavailable(name: str) -> str | None:
    """None when `name` can run here (as running() would run it), else why not."""
    if name == "embedded":
        return None
    if name == "ministack":
        return ministack.why_unavailable()
    if name == "localstack":
        if localstack.health() is not None:
            return localstack.why_unusable()
        return why_no_localstack(localstack.endpoint_url())
    raise ValueError(f"unknown engine {name!r}: one of {', '.join(ENGINES)}")


def why_no_localstack(url: str) -> str | None:
    """None when a LocalStack can be started here (in Docker, or on the host), else why not."""
    no_container, no_host = localstack.why_no_container(), localstack_host.why_unavailable()
    if no_container is None or no_host is None:
        return None
    return f"no LocalStack answers at {url}, and none can be started here: {no_host}; or in Docker: {no_container}"


@contextlib.contextmanager
def running(name: str, host: str = "127.0.0.1", port: int | None = None) -> Iterator[Engine]:
    """Run (or find) the engine; stop what was started here when the block ends."""
    if name == "embedded":
        from harness.emulator.embedded import EmbeddedEmulator  # moto: imported only when it runs

        with EmbeddedEmulator(host=host, port=port) as emulator:
            yield Engine(
                name,
                emulator.endpoint_url,
                LOCALSTACK_INSPECTION,
                emulator=emulator,
                detail="moto 5.2.5 in this process",
            )
        return
    if name == "ministack":
        problem = ministack.why_unavailable()
        if problem:
            raise EngineUnavailable(problem)
        with ministack.MiniStack(port, host) as server:
            yield Engine(
                name,
                server.endpoint_url,
                MINISTACK_INSPECTION,
                detail=f"MiniStack {ministack.pinned_version()} with harness/engines/ministack_extensions.py",
            )
        return
    if name == "localstack":
        url = localstack.endpoint_url()
        report = localstack.health(url)
        if report is not None:
            problem = localstack.why_unusable(url)
            if problem:
                raise EngineUnavailable(problem)
            yield Engine(
                name,
                url,
                LOCALSTACK_INSPECTION,
                started_here=False,
                detail=f"LocalStack {report.get('edition', '?')} {report.get('version', '?')} at {url}",
            )
            return
        problem = why_no_localstack(url)
        if problem:
            raise EngineUnavailable(problem)
        if localstack.why_no_container() is None:
            with localstack.Container(port or 4566) as container:
                yield Engine(
                    name,
                    container.endpoint_url,
                    LOCALSTACK_INSPECTION,
                    detail=f"{container.image} in Docker on {container.endpoint_url}",
                )
            return
        with localstack_host.HostLocalStack(port, host) as server:
            yield Engine(name, server.endpoint_url, LOCALSTACK_INSPECTION, detail=server.detail)
        return
    raise ValueError(f"unknown engine {name!r}: one of {', '.join(ENGINES)}")


def stop_process(process: subprocess.Popen, sig: int = signal.SIGTERM, grace: float = 120) -> None:
    """Ask a server this harness started (`make up`, `make watch`) to stop as Ctrl-C or a
    terminal's close would; kill it if it has not stopped after `grace` seconds."""
    if process.poll() is None:
        process.send_signal(sig)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
