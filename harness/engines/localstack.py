"""LocalStack as a deploy target: where it is, whether it is ready, whether it
serves every service the stack uses. Terraform reaches it through the same
provider override as any emulator (harness/deploy/terraform.py).

Where: `localstack-client`'s configuration (LOCALSTACK_HOST, default
localhost:4566; AWS_ENDPOINT_URL overrides it; USE_SSL for https), the same
settings awslocal and tflocal read.

`Container` starts one in Docker (for `make up EMULATOR=localstack` and
`make localstack-test` when none answers), only where a Docker engine runs and
LOCALSTACK_AUTH_TOKEN is set: LocalStack's images need the token since
2026-03. Without either, LocalStack's runtime can run on the host instead
(harness/engines/localstack_host.py).
"""

from __future__ import annotations

import os
import subprocess
import uuid
from typing import Any

import requests
from localstack_client import config as localstack_config

from harness.deploy.terraform import ENDPOINT_SERVICES
from harness.observe.waiting import WaitTimeout, poll

# Service names in /_localstack/health for the Terraform endpoint names.
_HEALTH_NAMES = {"sfn": "stepfunctions"}
READY_STATES = {"available", "running"}


def endpoint_url() -> str:
    return localstack_config.get_service_endpoint("stepfunctions")


def health(url: str | None = None, timeout: float = 2) -> dict[str, Any] | None:
    """GET /_localstack/health, or None when nothing answers."""
    try:
        response = requests.get(f"{url or endpoint_url()}/_localstack/health", timeout=timeout)
        response.raise_for_status()
        return response.json()
    except (requests.RequestException, ValueError):
        return None


def wait_until_ready(url: str | None = None, timeout: float = 120) -> dict[str, Any]:
    """Poll the health endpoint until LocalStack reports its services; bounded."""
    return poll(
        lambda: (health(url) or {}).get("services") and health(url),
        timeout=timeout,
        interval=1,
        describe=lambda: f"LocalStack at {url or endpoint_url()} did not become ready",
    )


def missing_services(report: dict[str, Any]) -> list[str]:
    """The stack's services this LocalStack does not serve (absent, disabled, failed)."""
    services = report.get("services", {})
    wanted = [_HEALTH_NAMES.get(name, name) for name in ENDPOINT_SERVICES]
    return [name for name in wanted if services.get(name) not in READY_STATES]


# The licensed image (LOCALSTACK_AUTH_TOKEN): it serves SES v2 and everything else the stack uses.
# LOCALSTACK_IMAGE overrides it. Without a token, localstack-core 2026.3.0 (PyPI) runs on the host.
LICENSED_IMAGE = "localstack/localstack:latest"


def why_no_container() -> str | None:
    """None when a LocalStack container can be started here, else why not."""
    missing = []
    if not os.environ.get("LOCALSTACK_AUTH_TOKEN"):
        missing.append("LOCALSTACK_AUTH_TOKEN is not set (LocalStack's images need it since 2026-03)")
    if not docker_engine_answers():
        missing.append("no Docker engine answers (docker info)")
    return "; ".join(missing) or None


class Container:
    """LocalStack in Docker on 127.0.0.1:port, removed on exit whatever happened."""

    def __init__(self, port: int = 4566, ready_timeout: float = 180) -> None:
        self.port = port
        self.ready_timeout = ready_timeout
        self.image = os.environ.get("LOCALSTACK_IMAGE") or LICENSED_IMAGE
        self.name = f"sfn-refactor-localstack-{uuid.uuid4().hex[:8]}"
        self.started = False

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Container:
        problem = why_no_container()
        if problem:
            raise RuntimeError(f"cannot start LocalStack: {problem}")
        # The Docker socket lets LocalStack run Lambda functions (the order workflow's).
        subprocess.run(
            [
                "docker",
                "run",
                "-d",
                "--name",
                self.name,
                "-p",
                f"127.0.0.1:{self.port}:4566",
                "-e",
                "LOCALSTACK_AUTH_TOKEN",
                "-e",
                "DEBUG=0",
                "-v",
                "/var/run/docker.sock:/var/run/docker.sock",
                self.image,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        self.started = True
        try:
            wait_until_ready(self.endpoint_url, timeout=self.ready_timeout)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self.started:
            subprocess.run(["docker", "rm", "-f", self.name], capture_output=True)
            self.started = False


def docker_engine_answers() -> bool:
    try:
        return (
            subprocess.run(
                ["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, timeout=10
            ).returncode
            == 0
        )
    except (OSError, subprocess.TimeoutExpired):
        return False


def why_unusable(url: str | None = None) -> str | None:
    """None when LocalStack at `url` can take the stack, else what is wrong, in a few words."""
    url = url or endpoint_url()
    report = health(url)
    if report is None:
        return f"no LocalStack answers at {url}: `make localstack-test` starts one (on the host, or in Docker)"
    missing = missing_services(report)
    if missing:
        edition = f"{report.get('edition', '?')} {report.get('version', '?')}"
        return f"LocalStack {edition} at {url} does not serve {', '.join(missing)}, which the stack uses" + (
            " (SES v2 is in LocalStack's licensed image, or in localstack_extension/ on the host)"
            if "sesv2" in missing
            else ""
        )
    return None


__all__ = [
    "Container",
    "WaitTimeout",
    "endpoint_url",
    "health",
    "missing_services",
    "wait_until_ready",
    "why_no_container",
    "why_unusable",
]
