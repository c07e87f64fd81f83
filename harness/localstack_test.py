"""`make localstack-test` and `make ministack-test`: the whole suite on a LocalStack-compatible
engine, deployed with `terraform apply` of the root module (tests/backends.py).

`--engine localstack` (make localstack-test), real LocalStack, the first of these that exists:
  1. a LocalStack answering at LOCALSTACK_HOST and serving every service the stack uses;
  2. else, with a Docker engine and LOCALSTACK_AUTH_TOKEN: a LocalStack started in Docker for the
     run (harness/engines/localstack.py), removed after it;
  3. else the pinned LocalStack started on the host for the run (`make localstack` builds it;
     harness/engines/localstack_host.py), stopped after it.
In 2 and 3 the suite reaches the LocalStack it started through LOCALSTACK_HOST, as in 1.

`--engine ministack` (make ministack-test): the pinned MiniStack (`pytest --backend ministack`;
the session starts and stops it).

Either way a missing prerequisite fails the run (STACK_BACKEND_REQUIRED=1) instead of skipping
it. Other arguments go to pytest.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys

from harness.engines import localstack, localstack_host, why_no_localstack


def choose() -> tuple[str, str]:
    """(how, why) for LocalStack on this machine: `running`, `container`, `host`, or `none`."""
    url = localstack.endpoint_url()
    if localstack.health(url) is not None:
        problem = localstack.why_unusable(url)
        return ("none", problem) if problem else ("running", f"LocalStack answers at {url}")
    if localstack.why_no_container() is None:
        return "container", f"no LocalStack answers at {url}; Docker and LOCALSTACK_AUTH_TOKEN are here to start one"
    if localstack_host.why_unavailable() is None:
        return "host", f"no LocalStack answers at {url} and none can run in Docker ({localstack.why_no_container()})"
    return "none", str(why_no_localstack(url))


def say(line: str) -> None:
    print(f"localstack-test: {line}", file=sys.stderr, flush=True)


def pytest(backend: str, args: list[str], **env: str) -> int:
    environment = {**os.environ, "STACK_BACKEND_REQUIRED": "1", **env}
    return subprocess.run([sys.executable, "-m", "pytest", "--backend", backend, *args], env=environment).returncode


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    # A CI runner's SIGTERM stops a LocalStack started here as the end of the run would.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    engine = "localstack"
    if args[:1] == ["--engine"]:
        engine, args = args[1], args[2:]
    if engine == "ministack":
        say("MiniStack, started for the session (harness/engines/ministack.py)")
        return pytest("ministack", args)
    how, why = choose()
    if how == "none":
        say(why)
        return 2
    if how == "running":
        report = localstack.health() or {}
        say(f"LocalStack {report.get('edition', '?')} {report.get('version', '?')}: {why}")
        return pytest("localstack", args)
    port = int(os.environ.get("LOCALSTACK_PORT", "0")) or None
    with contextlib.ExitStack() as stack:
        if how == "container":
            server = stack.enter_context(
                localstack.Container(
                    port or 4566, ready_timeout=float(os.environ.get("LOCALSTACK_READY_TIMEOUT", "180"))
                )
            )
            detail = f"{server.image} in Docker"
        else:
            server = stack.enter_context(localstack_host.HostLocalStack(port))
            detail = server.detail
        address = server.endpoint_url.removeprefix("http://")
        say(f"{detail}, started on {server.endpoint_url} ({why}); the suite reaches it as LOCALSTACK_HOST={address}")
        return pytest("localstack", args, LOCALSTACK_HOST=address)


if __name__ == "__main__":
    sys.exit(main())
