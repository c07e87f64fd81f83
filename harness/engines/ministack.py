"""MiniStack as a deploy target: the pinned release in a virtualenv of its own,
started with this project's start-up extensions, waited for, and stopped with
every Lambda worker it spawned.

MiniStack (PyPI `ministack`, MIT, pure Python) speaks LocalStack's protocol
without Docker or a token. It pins botocore exactly, which conflicts with the
project's pins, so it lives in .tools/ministack (`make ministack`, from
requirements-ministack.txt), with boto3 next to it: its Lambda functions run
as local processes of that interpreter, and AWS's Python runtime provides boto3.

It is started as `GATEWAY_PORT=<port> BIND_HOST=127.0.0.1 <its python> -I
harness/engines/ministack_extensions.py`, which applies the corrections described
there and then runs `ministack` itself. The process gets a session of its
own, so stopping it signals its process group: the server and the Lambda
workers it started.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path

from harness.deploy.terraform import ROOT
from harness.engines import localstack
from harness.observe.waiting import WaitTimeout, poll

TOOLS_DIR = Path(os.environ.get("MINISTACK_VENV") or ROOT / ".tools" / "ministack")
PYTHON = TOOLS_DIR / "bin" / "python"
EXTENSIONS = Path(__file__).resolve().parent / "ministack_extensions.py"
REQUIREMENTS = ROOT / "requirements-ministack.txt"
LOGS = ROOT / "build" / "ministack"


def pinned_version() -> str:
    for line in REQUIREMENTS.read_text().splitlines():
        if line.strip().lower().startswith("ministack=="):
            return line.split("==", 1)[1].split()[0]
    raise RuntimeError(f"{REQUIREMENTS} pins no ministack")


def why_unavailable() -> str | None:
    """None when the pinned MiniStack is installed, else what to do."""
    if not PYTHON.exists():
        return f"MiniStack is not installed in {TOOLS_DIR}: run `make ministack`"
    return None


class MiniStack:
    """One MiniStack server on 127.0.0.1:port, with the project's extensions.

    with MiniStack(port) as running:  # waits for /_localstack/health
        running.endpoint_url
    """

    def __init__(
        self,
        port: int | None = None,
        host: str = "127.0.0.1",
        *,
        extensions: bool = True,
        ready_timeout: float = 60,
        log_dir: Path = LOGS,
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.extensions = extensions
        self.ready_timeout = ready_timeout
        self.log_path = Path(log_dir) / f"ministack-{self.port}.log"
        self.process: subprocess.Popen | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def command(self) -> list[str]:
        # -I: isolated from the caller's PYTHON* settings, user site and script folder
        # (harness/engines/, where this module's name would shadow the ministack package).
        if self.extensions:
            return [str(PYTHON), "-I", str(EXTENSIONS)]
        return [str(PYTHON), "-I", "-m", "ministack"]

    def environment(self) -> dict[str, str]:
        # Nothing of the caller's AWS or Python settings reaches MiniStack or its Lambda
        # processes (they inherit its environment): they call back into this server.
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("AWS_", "PYTHON", "LOCALSTACK_", "MINISTACK_", "VIRTUAL_ENV"))
        }
        env.update(
            GATEWAY_PORT=str(self.port),
            BIND_HOST=self.host,
            LOG_LEVEL=os.environ.get("MINISTACK_LOG_LEVEL", "WARNING"),
            MINISTACK_REGION="us-east-1",
            AWS_ACCESS_KEY_ID="test",
            AWS_SECRET_ACCESS_KEY="test",
            PYTHONUNBUFFERED="1",
        )
        return env

    def start(self) -> MiniStack:
        problem = why_unavailable()
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
                f"MiniStack exited with {self.process.returncode} before it was ready. {self._describe_failure()}"
            )
        return bool((localstack.health(self.endpoint_url, timeout=1) or {}).get("services"))

    def _describe_failure(self) -> str:
        tail = self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""
        return f"MiniStack on {self.endpoint_url} did not answer /_localstack/health; log {self.log_path}:\n{tail}"

    def stop(self, grace: float = 10) -> None:
        """SIGTERM to the process group (the server and its Lambda workers), SIGKILL to whatever of it
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

    def __enter__(self) -> MiniStack:
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
