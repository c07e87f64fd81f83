"""Runs one Lambda function's handler in a process of its own: the emulator's
stand-in for a Lambda execution environment (harness/emulator/lambda_seam.py starts it).

    python -I harness/emulator/lambda_runner.py CODE_DIR MODULE.FUNCTION RESULT_FD

`-I` keeps the harness and the working directory off sys.path: the handler sees
its unpacked deployment package (CODE_DIR), the standard library and the
runtime's libraries (boto3), as in Lambda. The process lives on between
invocations like a warm execution environment, so module-scope clients and
caches behave as they do in Lambda.

Protocol, one JSON document per line:
  stdin  <- {"event": ..., "request_id": "...", "deadline": <epoch seconds>}
  RESULT_FD -> {"ready": true} once the handler's module is imported, or
               {"error": {...}} if it cannot be; then per invocation
               {"result": <payload text>} or {"error": {...}}
Errors have Lambda's shape: {"errorMessage", "errorType", "stackTrace"}, where
errorType is the exception's class name (what a state machine's Catch matches).
Whatever the handler prints goes to stdout/stderr, which the seam captures.
"""

from __future__ import annotations

import importlib
import json
import os
import select
import sys
import time
import traceback


class LambdaContext:
    """The attributes and method of Lambda's Python context object that handlers use."""

    def __init__(self, request_id: str, deadline: float) -> None:
        self.aws_request_id = request_id
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = os.environ.get("HARNESS_FUNCTION_ARN", "")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


class Messages:
    """The runner's messages as read by the process that started it (harness/emulator/lambda_seam.py,
    localstack_extension/'s process executor): one JSON document per line of RESULT_FD's other end."""

    def __init__(self, fd: int) -> None:
        self.file = os.fdopen(fd, "rb")
        self.buffer = b""

    def next(self, timeout: float) -> dict | None:
        """The next message, or None if none came within `timeout` seconds (or the runner died)."""
        deadline = time.monotonic() + timeout
        fd = self.file.fileno()
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return json.loads(line)

    def close(self) -> None:
        self.file.close()


def error_of(exc: BaseException, error_type: str | None = None) -> dict:
    # Lambda's trace starts in the function's code, not in the runtime that called it.
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != __file__]
    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "requestId": "",
        "stackTrace": traceback.format_list(frames),
    }


def main(argv: list[str]) -> int:
    code_dir, handler_name, result_fd = argv[1], argv[2], int(argv[3])
    results = os.fdopen(result_fd, "w", buffering=1)

    def send(message: dict) -> None:
        results.write(json.dumps(message) + "\n")
        results.flush()

    sys.path.insert(0, code_dir)
    os.chdir(code_dir)
    module_name, _, function_name = handler_name.rpartition(".")
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
    except Exception as exc:  # Lambda reports any init failure this way
        kind = "Runtime.HandlerNotFound" if isinstance(exc, AttributeError) else "Runtime.ImportModuleError"
        sys.stdout.flush()
        sys.stderr.flush()
        send({"error": error_of(exc, kind) | {"errorMessage": f"Unable to import module '{module_name}': {exc}"}})
        return 1
    send({"ready": True})

    for line in sys.stdin:
        request = json.loads(line)
        context = LambdaContext(request["request_id"], request["deadline"])
        try:
            result = handler(request["event"], context)
            try:
                message = {"result": json.dumps(result)}
            except (TypeError, ValueError) as exc:
                message = {"error": error_of(exc, "Runtime.MarshalError")}
        except Exception as exc:  # the handler's error is the invocation's result
            message = {"error": error_of(exc)}
        # The logs are complete before the result is: the seam reads them on receipt.
        sys.stdout.flush()
        sys.stderr.flush()
        send(message)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
