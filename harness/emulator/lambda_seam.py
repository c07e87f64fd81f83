"""Lambda invocations for the embedded emulator, without Docker.

moto runs a function's code in a Docker container, and these machines have no
Docker engine. `install()` replaces the one method that does that,
`moto.awslambda.models.LambdaFunction._invoke_lambda(self, event) -> (payload,
errored, logs)`, with a runner that executes the function's real deployment
package (`self.code_bytes`, the zip) in a Python process of its own
(harness/emulator/lambda_runner.py), with:

- the function's environment variables, the variables Lambda's runtime sets
  (AWS_REGION, AWS_LAMBDA_FUNCTION_NAME, ...) and AWS_ENDPOINT_URL pointing at
  the emulator, so boto3 clients in the handler talk to it; nothing of the
  harness process's own environment;
- the function's Timeout: an invocation that runs longer is stopped and fails
  with errorType `Sandbox.Timedout`, as in Lambda;
- errors in Lambda's shape, {"errorMessage", "errorType", "stackTrace"}, with
  errorType the exception's class name, and errored=True: a state machine sees
  the class name as the error, which is what its Catch matches;
- what the handler prints returned as the invocation's logs (and written to
  the function's log group by moto, as before).

Like a Lambda execution environment, a process is reused for the next
invocation of the same function configuration (warm start) and is discarded
after a timeout or a crash. moto's internals this relies on are pinned by
tests/emulator/test_lambda_seam.py.

Hot reload (`hot_reload(folder)`, LocalStack's "hot reloading" is the model): a
function whose package was built from a folder under `folder` (every module in
the zip is a file there) runs that folder's modules as they are on disk, not the
deployed zip. A saved handler is what the next invocation runs: the folder's
files (names, sizes, modification times) are part of what makes a warm process
reusable, so an edit starts a fresh one. Terraform's state still holds the
deployed zip: `make apply` deploys the edit for real.
"""

from __future__ import annotations

import atexit
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moto.awslambda.models import LambdaFunction

from harness.emulator.lambda_runner import Messages

RUNNER = Path(__file__).resolve().parent / "lambda_runner.py"
INIT_TIMEOUT_SECONDS = 10  # Lambda's init phase limit
_ORIGINAL_INVOKE = LambdaFunction._invoke_lambda
_ENDPOINT: dict[str, str | None] = {"url": None}
_HOT_RELOAD: dict[str, Path | None] = {"sources": None}


def install(endpoint_url: str | None = None) -> None:
    """Route moto's Lambda invocations through local processes (idempotent).

    `endpoint_url` is what handlers' AWS_ENDPOINT_URL is set to; without it, the
    emulator in this process (http://127.0.0.1:$MOTO_PORT) at invocation time."""
    _ENDPOINT["url"] = endpoint_url
    if getattr(LambdaFunction._invoke_lambda, "runs_in_process", False):
        return
    invoke_in_process.runs_in_process = True
    LambdaFunction._invoke_lambda = invoke_in_process


def hot_reload(sources: Path | None) -> None:
    """Run functions packaged from a folder under `sources` from that folder (None: from their zips)."""
    _HOT_RELOAD["sources"] = Path(sources).resolve() if sources else None


def hot_reloaded_from(code: bytes) -> Path | None:
    """The folder under the hot-reload root this package was built from, if hot reload is on."""
    sources = _HOT_RELOAD["sources"]
    if sources is None:
        return None
    with zipfile.ZipFile(io.BytesIO(code)) as package:
        names = [name for name in package.namelist() if not name.endswith("/")]
    for folder in sorted(p for p in sources.iterdir() if p.is_dir()):
        if names and all((folder / name).is_file() for name in names):
            return folder
    return None


def source_files(folder: Path) -> list[Path]:
    """The modules a package of `folder` holds (scripts/package_lambdas.py's rule)."""
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts and not p.name.startswith("test_"))


def source_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in source_files(folder):
        stat = path.stat()
        digest.update(f"{path.relative_to(folder)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def uninstall() -> None:
    LambdaFunction._invoke_lambda = _ORIGINAL_INVOKE
    POOL.shutdown()


def endpoint_url() -> str:
    return _ENDPOINT["url"] or f"http://127.0.0.1:{os.environ.get('MOTO_PORT', '5000')}"


def invoke_in_process(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
    """moto's `_invoke_lambda` contract: (payload text, errored, logs)."""
    self.logs_backend.ensure_log_group(self.logs_group_name)
    if isinstance(event, (str, bytes)):  # moto passes "{}" for an empty body
        event = json.loads(event or "{}")
    payload, errored, logs = POOL.invoke(FunctionSpec.of(self), {} if event is None else event)
    self.save_logs(logs)
    return payload, errored, logs


@dataclass(frozen=True)
class FunctionSpec:
    """What makes two invocations runnable by the same process."""

    arn: str
    name: str
    version: str
    handler: str
    runtime: str
    timeout: float
    memory_size: int
    region: str
    log_group: str
    environment: tuple[tuple[str, str], ...]
    code_sha256: str
    code: bytes = b""
    source_dir: Path | None = None  # hot reload: run this folder's modules, not the zip

    @classmethod
    def of(cls, function: LambdaFunction) -> FunctionSpec:
        code = function.code_bytes
        source_dir = hot_reloaded_from(code)
        return cls(
            arn=function.function_arn,
            name=function.function_name,
            version=str(function.version),
            handler=function.handler,
            runtime=function.run_time or "",
            timeout=float(function.timeout),
            memory_size=int(function.memory_size),
            region=function.region,
            log_group=function.logs_group_name,
            environment=tuple(sorted((k, str(v)) for k, v in (function.environment_vars or {}).items())),
            code_sha256=source_digest(source_dir) if source_dir else hashlib.sha256(code).hexdigest(),
            code=code,
            source_dir=source_dir,
        )

    @property
    def key(self) -> tuple:
        return (
            self.arn,
            self.version,
            self.handler,
            self.timeout,
            self.memory_size,
            self.environment,
            self.code_sha256,
        )

    def process_environment(self, code_dir: Path) -> dict[str, str]:
        """What Lambda's runtime sets, the function's variables, and the emulator's endpoint."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "TZ": ":UTC",
            "LAMBDA_TASK_ROOT": str(code_dir),
            "_HANDLER": self.handler,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{self.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": self.name,
            "AWS_LAMBDA_FUNCTION_VERSION": self.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory_size),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(int(self.timeout)),
            "AWS_LAMBDA_LOG_GROUP_NAME": self.log_group,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "HARNESS_FUNCTION_ARN": self.arn,
        }
        env.update(dict(self.environment))
        env["AWS_ENDPOINT_URL"] = endpoint_url()
        return env


class Worker:
    """One execution environment: a runner process with the package unpacked."""

    def __init__(self, spec: FunctionSpec) -> None:
        self.spec = spec
        self.root = Path(tempfile.mkdtemp(prefix=f"lambda-{spec.name}-"))
        self.code_dir = self.root / "task"
        if spec.source_dir is not None:
            for path in source_files(spec.source_dir):
                target = self.code_dir / path.relative_to(spec.source_dir)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
        else:
            with zipfile.ZipFile(io.BytesIO(spec.code)) as package:
                package.extractall(self.code_dir)
        self.log_path = self.root / "output.log"
        self._log = open(self.log_path, "ab")  # O_APPEND: truncating it restarts the log at 0
        read_fd, write_fd = os.pipe()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-I", str(RUNNER), str(self.code_dir), spec.handler, str(write_fd)],
                stdin=subprocess.PIPE,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                pass_fds=(write_fd,),
                env=spec.process_environment(self.code_dir),
                cwd=self.code_dir,
                start_new_session=True,
            )
        finally:
            os.close(write_fd)
        self._results = Messages(read_fd)
        self.ready: dict | None = self._results.next(INIT_TIMEOUT_SECONDS)

    def take_logs(self) -> str:
        text = self.log_path.read_bytes().decode("utf-8", "replace")
        os.truncate(self.log_path, 0)
        return text

    def invoke(self, event: Any, request_id: str) -> dict | None:
        deadline = time.time() + self.spec.timeout
        request = {"event": event, "request_id": request_id, "deadline": deadline}
        try:
            self.process.stdin.write((json.dumps(request) + "\n").encode())
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            return None
        return self._results.next(self.spec.timeout)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.alive():
            try:
                os.killpg(self.process.pid, 9)
            except ProcessLookupError:
                pass
        self.process.wait()
        for handle in (self.process.stdin, self._results, self._log):
            try:
                handle.close()
            except OSError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)


def _lambda_error(error_type: str, message: str) -> dict:
    return {"errorMessage": message, "errorType": error_type, "stackTrace": []}


class WorkerPool:
    """Idle workers per function configuration; a busy one is never shared."""

    def __init__(self) -> None:
        self._idle: dict[tuple, list[Worker]] = {}
        self._all: set[Worker] = set()
        self._lock = threading.Lock()

    def _acquire(self, spec: FunctionSpec) -> tuple[Worker, bool]:
        with self._lock:
            if spec.source_dir is not None:  # hot reload: processes of the sources before an edit are done
                for key in [k for k in self._idle if k[0] == spec.arn and k != spec.key]:
                    for worker in self._idle.pop(key):
                        self._discard(worker)
            idle = self._idle.get(spec.key, [])
            while idle:
                worker = idle.pop()
                if worker.alive():
                    return worker, False
                self._discard(worker)
        worker = Worker(spec)
        with self._lock:
            self._all.add(worker)
        return worker, True

    def _release(self, worker: Worker) -> None:
        with self._lock:
            self._idle.setdefault(worker.spec.key, []).append(worker)

    def _discard(self, worker: Worker) -> None:
        self._all.discard(worker)
        worker.stop()

    def invoke(self, spec: FunctionSpec, event: Any) -> tuple[str, bool, str]:
        request_id = str(uuid.uuid4())
        started = time.monotonic()
        worker, cold = self._acquire(spec)
        if worker.ready is None:  # the runner died or hung before importing the handler
            outcome, keep = (
                {
                    "error": _lambda_error(
                        "Runtime.ExitError", f"the runtime did not start within {INIT_TIMEOUT_SECONDS}s"
                    )
                },
                False,
            )
        elif "error" in worker.ready:  # the handler's module cannot be imported
            outcome, keep = worker.ready, False
        else:
            outcome = worker.invoke(event, request_id)
            keep = outcome is not None
            if outcome is None:  # timed out, or the process died mid-invocation
                error = (
                    ("Sandbox.Timedout", f"Task timed out after {spec.timeout:.2f} seconds")
                    if worker.alive()
                    else ("Runtime.ExitError", "Runtime exited without providing a reason")
                )
                outcome = {"error": _lambda_error(*error)}
        elapsed = time.monotonic() - started
        logs = worker.take_logs()
        if keep:
            self._release(worker)
        else:
            with self._lock:
                self._discard(worker)

        if "error" in outcome:
            payload, errored = json.dumps(outcome["error"] | {"requestId": request_id}), True
        else:
            payload, errored = outcome["result"], False
        lines = [f"START RequestId: {request_id} Version: {spec.version}"]
        lines += [logs.rstrip("\n")] if logs.strip() else []
        lines += [
            f"END RequestId: {request_id}",
            f"REPORT RequestId: {request_id}\tDuration: {elapsed * 1000:.2f} ms\t"
            f"Memory Size: {spec.memory_size} MB" + ("\tInit: cold start" if cold else ""),
        ]
        return payload, errored, "\n".join(lines)

    def shutdown(self) -> None:
        with self._lock:
            workers, self._all, self._idle = list(self._all), set(), {}
        for worker in workers:
            worker.stop()


POOL = WorkerPool()
atexit.register(POOL.shutdown)
