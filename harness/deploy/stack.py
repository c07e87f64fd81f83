"""A deployed stack: `terraform apply` of the root module, its outputs, and the
plan that confirms it (every variable and value as deployed, nothing to change).
Tests, `make up`, `make demo` and `make bench` all deploy through `deploy()`."""

from __future__ import annotations

import hashlib
import json
import socket
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import MISSING, asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.deploy.terraform import ROOT, Workspace, plan_changes, plan_variables, state_machine_definitions

# Variables that keep end-to-end runs short: ASL's smallest retry interval is 1 s.
TEST_VARIABLES_FILE = ROOT / "tests" / "test.tfvars.json"


@dataclass(frozen=True)
class StackOutputs:
    """The root module's outputs, plus where to reach the stack."""

    notification_state_machine_arn: str
    status_table_name: str
    events_topic_arn: str
    sender_email: str
    region: str
    endpoint_url: str | None = None
    order_state_machine_arn: str | None = None
    approval_queue_url: str | None = None
    orders_table_name: str | None = None
    stock_table_name: str | None = None
    payments_table_name: str | None = None
    api_url: str | None = None  # null with ingress_enabled = false
    alarm_topic_arn: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def write(self, path: Path) -> None:
        """Atomically: whoever waits for the file never reads half of it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")
        partial.write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        partial.replace(path)

    @classmethod
    def from_terraform(cls, outputs: Mapping[str, Any], endpoint_url: str | None = None) -> StackOutputs:
        """From `terraform output -json` (values wrapped in {"value": ...}) or plain values."""
        plain = {k: (v["value"] if isinstance(v, dict) and "value" in v else v) for k, v in outputs.items()}
        # Terraform keeps no output whose value is null (api_url without ingress).
        fields = {
            name: plain[name] if spec.default is MISSING else plain.get(name)
            for name, spec in cls.__dataclass_fields__.items()
            if name != "endpoint_url"
        }
        return cls(**fields, endpoint_url=endpoint_url)


@dataclass
class Deployment:
    workspace: Workspace
    outputs: StackOutputs
    plan: dict[str, Any] = field(repr=False)
    apply_summary: str = ""
    apply_seconds: float = 0.0  # the `terraform apply` alone (init before it, the plan after it excluded)

    @property
    def variables(self) -> dict[str, Any]:
        return plan_variables(self.plan)

    @property
    def definitions(self) -> dict[str, dict[str, Any]]:
        return state_machine_definitions(self.plan)

    @property
    def pending_changes(self) -> list[str]:
        return plan_changes(self.plan)

    def destroy(self) -> str:
        return self.workspace.destroy()


def deploy(
    workdir: Path,
    endpoint_url: str | None,
    var_file: Path | None = TEST_VARIABLES_FILE,
    variables: Mapping[str, Any] | None = None,
) -> Deployment:
    """`terraform init` + `apply` of the root module in workdir, then a plan of it.
    On failure the partial deployment is destroyed before the error is raised."""
    workspace = Workspace(workdir, endpoint_url, variables=variables, var_file=var_file).prepare()
    try:
        began = time.perf_counter()
        summary = workspace.apply()
        apply_seconds = time.perf_counter() - began
        outputs = StackOutputs.from_terraform(workspace.outputs(), endpoint_url=endpoint_url)
        plan = workspace.review()
    except BaseException:
        workspace.destroy()
        raise
    return Deployment(workspace, outputs, plan, summary, apply_seconds)


def why_not_answering(endpoint_url: str, timeout: float = 3) -> str | None:
    """None when something accepts connections at the endpoint, else what to do."""
    address = urllib.parse.urlsplit(endpoint_url)
    try:
        socket.create_connection((address.hostname, address.port or 80), timeout=timeout).close()
    except OSError as error:
        return (
            f"nothing answers at {endpoint_url} ({error.strerror or error}): start the stack with `make up` (same PORT)"
        )
    return None


@dataclass
class ServedStack:
    """What `make up` serves, written beside build/outputs.json as deployment.json, so that
    `make apply`, `make watch` and `pytest --stack` reach the same stack with the same variables.

    `variables`: every root variable as deployed (from the plan of `make up`'s apply, or of
    the last `make apply` that changed a variables file); `hot_reload`: Lambda Tasks run the
    handlers in the working tree's lambdas/ (embedded engine only)."""

    engine: str
    endpoint_url: str
    workdir: str
    var_file: str | None
    variables: dict[str, Any]
    variables_digest: str
    hot_reload: bool = False

    @staticmethod
    def path_beside(outputs_path: Path) -> Path:
        return Path(outputs_path).with_name("deployment.json")

    def write(self, outputs_path: Path) -> None:
        path = self.path_beside(outputs_path)
        partial = path.with_name(f".{path.name}.partial")
        partial.write_text(json.dumps(asdict(self), indent=2) + "\n")
        partial.replace(path)

    @classmethod
    def read(cls, outputs_path: Path) -> ServedStack:
        return cls(**json.loads(cls.path_beside(outputs_path).read_text()))

    def workspace(self, var_file: Path | None = None) -> Workspace:
        chosen = var_file or (Path(self.var_file) if self.var_file else None)
        return Workspace(Path(self.workdir), self.endpoint_url, var_file=chosen)


def variables_digest(var_file: Path | None) -> str:
    """What the deployed variables depend on besides the command line: variables.tf and the variables file."""
    digest = hashlib.sha256((ROOT / "variables.tf").read_bytes())
    if var_file is not None:
        digest.update(Path(var_file).read_bytes())
    return digest.hexdigest()


@dataclass
class Applied:
    changes: list[str]  # "address (how)", as the apply's plan announced them
    summary: str
    seconds: float


def apply_served(served: ServedStack, outputs_path: Path, var_file: Path | None = None) -> Applied:
    """`terraform apply` of the working tree to the stack `make up` serves, in its working
    directory (the root module's files are linked there: an edit is what this apply sees).
    Refreshes build/outputs.json when something changed, and the deployed variables when
    variables.tf or the variables file did."""
    began = time.perf_counter()
    var_file = Path(var_file).resolve() if var_file else (Path(served.var_file) if served.var_file else None)
    workspace = served.workspace(var_file).prepare(init=False)
    changes, summary = workspace.apply_changes()
    if changes:
        StackOutputs.from_terraform(workspace.outputs(), endpoint_url=served.endpoint_url).write(outputs_path)
    digest = variables_digest(var_file)
    if digest != served.variables_digest:
        served.variables = plan_variables(workspace.review(refresh=False))
        served.variables_digest, served.var_file = digest, str(var_file) if var_file else None
        served.write(outputs_path)
    return Applied(changes, summary, time.perf_counter() - began)
