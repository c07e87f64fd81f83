"""`make localstack-test`: the whole suite on a LocalStack-compatible engine,
deployed with `terraform apply` of the root module (tests/backends.py).

  1. a LocalStack answering at LOCALSTACK_HOST and serving every service the
     stack uses: `pytest --backend localstack` on it;
  2. else, with a Docker engine and LOCALSTACK_AUTH_TOKEN: a LocalStack started
     in Docker for the run (harness/engines/localstack.py), removed after it;
  3. else the pinned MiniStack (`pytest --backend ministack`; the session starts
     and stops it), which needs neither Docker nor a token.

Either way a missing prerequisite fails the run (STACK_BACKEND_REQUIRED=1)
instead of skipping it. Extra arguments go to pytest.
"""

from __future__ import annotations

import os
import subprocess
import sys

from harness.engines import localstack


def choose() -> tuple[str, str]:
    """(backend, why) for this machine."""
    url = localstack.endpoint_url()
    if localstack.health(url) is not None:
        problem = localstack.why_unusable(url)
        if problem is None:
            return "localstack", f"LocalStack answers at {url}"
        return "ministack", f"not LocalStack: {problem}"
    cannot_start = localstack.why_no_container()
    if cannot_start is None:
        return "localstack-container", "no LocalStack answers; Docker and LOCALSTACK_AUTH_TOKEN are here to start one"
    return "ministack", f"no LocalStack answers at {url} and none can be started ({cannot_start})"


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    backend, why = choose()
    print(f"localstack-test: {backend}: {why}", file=sys.stderr, flush=True)
    env = {**os.environ, "STACK_BACKEND_REQUIRED": "1"}

    def pytest(name: str) -> int:
        return subprocess.run([sys.executable, "-m", "pytest", "--backend", name, *args], env=env).returncode

    if backend == "localstack-container":
        port = int(os.environ.get("LOCALSTACK_PORT", "4566"))
        with localstack.Container(port, ready_timeout=float(os.environ.get("LOCALSTACK_READY_TIMEOUT", "180"))) as box:
            env["LOCALSTACK_HOST"] = f"127.0.0.1:{port}"
            print(f"localstack-test: {box.image} ready on {box.endpoint_url}", file=sys.stderr, flush=True)
            return pytest("localstack")
    return pytest(backend)


if __name__ == "__main__":
    sys.exit(main())
