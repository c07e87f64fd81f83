"""The state layer's fixtures: both definitions rendered by Terraform (no deploy), and a
Step Functions client for TestState on the session's engine."""

from __future__ import annotations

import os

import boto3
import pytest
from botocore.config import Config

from harness.deploy.rendering import rendered_definitions
from harness.emulator.embedded import CREDENTIALS
from harness.engines import localstack
from tests.support import ROOT

TEST_VARIABLES = ROOT / "tests" / "test.tfvars.json"

# With pytest-xdist the layer stays on one worker: Terraform renders the definitions once.
STATES_GROUP = "states"


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the xdist_group marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.startswith("tests/states/"):
            item.add_marker(pytest.mark.xdist_group(STATES_GROUP))


@pytest.fixture(scope="session")
def definitions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """{"notification": ..., "order": ...} as Terraform renders them for tests/test.tfvars.json."""
    return rendered_definitions(tmp_path_factory.mktemp("rendering"), TEST_VARIABLES)


@pytest.fixture(scope="session")
def sfn(backend: str, request: pytest.FixtureRequest):
    """TestState on the session's engine. botocore prefixes TestState's host with `sync-`, which a
    local endpoint does not answer. On AWS: the ambient credentials; a mocked TestState needs no
    resource, so nothing is deployed."""
    config = Config(inject_host_prefix=False, retries={"total_max_attempts": 1})
    if backend == "aws":
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        try:
            boto3.client("sts", region_name=region).get_caller_identity()
        except Exception as problem:  # noqa: BLE001 - any failure means no usable credentials
            pytest.skip(f"TestState on AWS needs usable AWS credentials ({type(problem).__name__})")
        return boto3.client("stepfunctions", region_name=region, config=Config(retries={"total_max_attempts": 3}))
    if backend == "localstack":
        endpoint_url = localstack.endpoint_url()  # the tier's LocalStack (make localstack-test)
    else:
        endpoint_url = request.getfixturevalue(
            "ministack_engine" if backend == "ministack" else "emulator"
        ).endpoint_url
    return boto3.client(
        "stepfunctions", endpoint_url=endpoint_url, region_name="us-east-1", config=config, **CREDENTIALS
    )
