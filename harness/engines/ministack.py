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
from pathlib import Path

from harness.deploy.terraform import ROOT
from harness.engines.host_process import HostProcess, free_port, group_alive

__all__ = ["MiniStack", "free_port", "group_alive", "pinned_version", "why_unavailable"]

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


class MiniStack(HostProcess):
    """One MiniStack server on 127.0.0.1:port, with the project's extensions.

    with MiniStack(port) as running:  # waits for /_localstack/health
        running.endpoint_url
    """

    label = "MiniStack"

    def __init__(
        self,
        port: int | None = None,
        host: str = "127.0.0.1",
        *,
        extensions: bool = True,
        ready_timeout: float = 60,
        log_dir: Path = LOGS,
    ) -> None:
        port = port or free_port(host)
        super().__init__(port, host, ready_timeout=ready_timeout, log_path=Path(log_dir) / f"ministack-{port}.log")
        self.extensions = extensions

    def why_unavailable(self) -> str | None:
        return why_unavailable()

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
