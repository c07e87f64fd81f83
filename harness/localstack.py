"""LocalStack as a deploy target: where it is, whether it is ready, whether it
serves every service the stack uses. Terraform reaches it through the same
provider override as any emulator (harness/tfrun.py).

Where: `localstack-client`'s configuration (LOCALSTACK_HOST, default
localhost:4566; AWS_ENDPOINT_URL overrides it; USE_SSL for https), the same
settings awslocal and tflocal read.
"""

from __future__ import annotations

import subprocess
from typing import Any

import requests
from localstack_client import config as localstack_config

from .tfrun import ENDPOINT_SERVICES
from .waiting import WaitTimeout, poll

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
    return poll(lambda: (health(url) or {}).get("services") and health(url), timeout=timeout, interval=1,
                describe=lambda: f"LocalStack at {url or endpoint_url()} did not become ready")


def missing_services(report: dict[str, Any]) -> list[str]:
    """The stack's services this LocalStack does not serve (absent, disabled, failed)."""
    services = report.get("services", {})
    wanted = [_HEALTH_NAMES.get(name, name) for name in ENDPOINT_SERVICES]
    return [name for name in wanted if services.get(name) not in READY_STATES]


def docker_engine_answers() -> bool:
    try:
        return subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True,
                              timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def why_unusable(url: str | None = None) -> str | None:
    """None when LocalStack at `url` can take the stack, else what is wrong, in a few words."""
    url = url or endpoint_url()
    report = health(url)
    if report is None:
        if docker_engine_answers():
            return f"no LocalStack answers at {url}: `make localstack-test` starts one"
        return f"no LocalStack answers at {url} and no Docker engine runs here to start one"
    missing = missing_services(report)
    if missing:
        edition = f"{report.get('edition', '?')} {report.get('version', '?')}"
        return (f"LocalStack {edition} at {url} does not serve {', '.join(missing)}, which the stack uses"
                + (" (SES v2 is in LocalStack's licensed image: set LOCALSTACK_AUTH_TOKEN)"
                   if "sesv2" in missing else ""))
    return None


__all__ = ["WaitTimeout", "endpoint_url", "health", "missing_services", "wait_until_ready",
           "why_unusable"]
