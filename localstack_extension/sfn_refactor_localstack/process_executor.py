"""A LocalStack Lambda runtime executor that runs functions as local processes (no Docker),
selected with LAMBDA_RUNTIME_EXECUTOR=process.

Core LocalStack has only a Docker executor: each execution environment is a container whose init
calls back into LocalStack. Here each execution environment is one process of the project's Lambda
runner (harness/emulator/lambda_runner.py, the embedded emulator's too), started with the
environment LocalStack built for the function (its variables, credentials, AWS_ENDPOINT_URL) in
the unpacked deployment package. LocalStack gives an environment one invocation at a time and
starts more environments for invocations that run at once, so concurrency is LocalStack's own. An
invocation that outlives the function's Timeout fails with `Sandbox.Timedout`, as on AWS, and its
process is replaced, as AWS resets the sandbox. Functions run on LocalStack's interpreter, whose
boto3 stands in for the runtime's.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from localstack.services.lambda_.invocation.lambda_models import FunctionVersion, InvocationResult
from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin
from localstack.services.lambda_.invocation.runtime_executor import LambdaRuntimeException, RuntimeExecutor

from sfn_refactor_localstack import enabled

# The project's runner (harness/emulator/lambda_runner.py), named by whoever starts LocalStack
# (harness/engines/localstack_host.py): this package is installed as a copy, away from the repository.
RUNNER = Path(os.environ.get("SFN_REFACTOR_LAMBDA_RUNNER", "lambda_runner.py"))
INIT_TIMEOUT_SECONDS = 10  # Lambda's init phase limit


@functools.cache
def runner():
    """The runner's module, for its `Messages` reader (standard library only, like the runner)."""
    spec = importlib.util.spec_from_file_location("lambda_runner", RUNNER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class ProcessRuntimeExecutor(RuntimeExecutor):
    def __init__(self, id: str, function_version: FunctionVersion) -> None:
        super().__init__(id, function_version)
        self.env: dict[str, str] = {}
        self.process: subprocess.Popen | None = None
        self.results = None
        self.log_path = Path(tempfile.mkstemp(prefix=f"lambda-{id}-", suffix=".log")[1])

    # Lifecycle -----------------------------------------------------------------------
    def start(self, env_vars: dict[str, str]) -> None:
        code_dir = str(self.function_version.config.code.get_unzipped_code_location())
        self.env = {key: str(value) for key, value in env_vars.items()} | {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "LAMBDA_TASK_ROOT": code_dir,
            "HARNESS_FUNCTION_ARN": self.function_version.qualified_arn,
        }
        self.spawn(code_dir)

    def spawn(self, code_dir: str | None = None) -> None:
        code_dir = code_dir or self.env["LAMBDA_TASK_ROOT"]
        read_fd, write_fd = os.pipe()
        try:
            with open(self.log_path, "ab") as log:
                self.process = subprocess.Popen(
                    [sys.executable, "-I", str(RUNNER), code_dir, self.function_version.config.handler, str(write_fd)],
                    stdin=subprocess.PIPE,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    pass_fds=(write_fd,),
                    env=self.env,
                    cwd=code_dir,  # in LocalStack's process group: stopping LocalStack stops it too
                )
        finally:
            os.close(write_fd)
        self.results = runner().Messages(read_fd)
        ready = self.results.next(INIT_TIMEOUT_SECONDS)
        if ready is None or "error" in ready:
            detail = json.dumps(ready["error"]) if ready else f"no answer within {INIT_TIMEOUT_SECONDS} s"
            self.stop()
            raise LambdaRuntimeException(f"the function's runtime did not start: {detail}\n{self.get_logs()}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            if process.poll() is None:
                process.kill()
            process.wait()
            for handle in (process.stdin, self.results):
                try:
                    handle.close()
                except (OSError, AttributeError):
                    pass
        self.log_path.unlink(missing_ok=True)

    # Invocations -----------------------------------------------------------------------
    def invoke(self, payload: dict[str, str]) -> InvocationResult:
        request_id = payload["invoke-id"]
        timeout = float(self.function_version.config.timeout)
        request = {"event": json.loads(payload["payload"] or "null"), "request_id": request_id}
        request["deadline"] = time.time() + timeout
        outcome = None
        if self.process is not None:
            try:
                self.process.stdin.write((json.dumps(request) + "\n").encode())
                self.process.stdin.flush()
                outcome = self.results.next(timeout)
            except (BrokenPipeError, OSError):
                outcome = None
        logs = self.get_logs()
        os.truncate(self.log_path, 0)
        if outcome is None:  # timed out, or the process died: the next invocation gets a fresh one
            alive = self.process is not None and self.process.poll() is None
            error = (
                ("Sandbox.Timedout", f"RequestId: {request_id} Error: Task timed out after {timeout:.2f} seconds")
                if alive
                else ("Runtime.ExitError", f"RequestId: {request_id} Error: Runtime exited without providing a reason")
            )
            outcome = {"error": {"errorType": error[0], "errorMessage": error[1]}}
            self.stop()
            self.spawn()
        if "error" in outcome:
            body = json.dumps(outcome["error"] | {"requestId": request_id}).encode()
            return InvocationResult(request_id, body, is_error=True, logs=logs)
        return InvocationResult(request_id, outcome["result"].encode(), is_error=False, logs=logs)

    def get_logs(self) -> str:
        try:
            return self.log_path.read_bytes().decode("utf-8", "replace")
        except OSError:
            return ""

    # Where things are ----------------------------------------------------------------------
    def get_address(self) -> str:
        return "127.0.0.1"

    def get_endpoint_from_executor(self) -> str:
        return "127.0.0.1"

    def get_runtime_endpoint(self) -> str:
        return ""  # the runner is driven over pipes, not through LocalStack's callback routes

    @classmethod
    def prepare_version(cls, function_version: FunctionVersion) -> None:
        if function_version.config.code:
            function_version.config.code.prepare_for_execution()

    @classmethod
    def cleanup_version(cls, function_version: FunctionVersion) -> None:
        pass

    @classmethod
    def validate_environment(cls) -> bool:
        return RUNNER.is_file()


class ProcessRuntimeExecutorPlugin(RuntimeExecutorPlugin):
    name = "process"

    def load(self, *args, **kwargs):
        if not enabled("lambda_process_executor"):  # as LocalStack ships: Docker only
            from localstack.services.lambda_.invocation.docker_runtime_executor import DockerRuntimeExecutor

            return DockerRuntimeExecutor
        return ProcessRuntimeExecutor
