"""Stack settings and outputs shared by every deploy path."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping

from . import terraform

# Variables that keep end-to-end runs short: ASL's smallest retry interval is 1 s.
# Both the embedded deployer and the Terraform tier use this file.
TEST_VARIABLES_FILE = terraform.ROOT / "tests" / "test.tfvars.json"


def stack_variables(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """variables.tf defaults with overrides applied; unknown names are refused, as by Terraform."""
    variables = dict(terraform.variable_defaults())
    unknown = set(overrides or {}) - set(variables)
    if unknown:
        raise KeyError(f"not variables of the root module: {sorted(unknown)}")
    variables.update(overrides or {})
    return variables


def variables_for_tests() -> dict[str, Any]:
    return json.loads(TEST_VARIABLES_FILE.read_text())


@dataclass(frozen=True)
class StackOutputs:
    """The root module's outputs, plus where to reach the stack."""

    notification_state_machine_arn: str
    status_table_name: str
    events_topic_arn: str
    sender_email: str
    region: str
    endpoint_url: str | None = None
    # The order saga (orders.tf). After endpoint_url, so they need defaults; both
    # deploy paths set them.
    order_state_machine_arn: str | None = None
    approval_queue_url: str | None = None
    orders_table_name: str | None = None
    stock_table_name: str | None = None
    payments_table_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def write(self, path: Path) -> None:
        """Atomically: whoever waits for the file never reads half of it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")
        partial.write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        partial.replace(path)

    @classmethod
    def from_terraform(cls, outputs: Mapping[str, Any], endpoint_url: str | None = None) -> "StackOutputs":
        """From `terraform output -json` (values wrapped in {"value": ...}) or plain values."""
        plain = {k: (v["value"] if isinstance(v, dict) and "value" in v else v) for k, v in outputs.items()}
        fields = {name: plain[name] for name in cls.__dataclass_fields__ if name != "endpoint_url"}
        return cls(**fields, endpoint_url=endpoint_url)
