"""The operator's side of an order approval, as code: read the request the order
workflow put on the approval queue, then approve it (SendTaskSuccess), reject it
(SendTaskFailure with error ApprovalRejected), keep it alive while reviewing
(SendTaskHeartbeat), or let it time out by doing nothing. docs/orders.md shows
the same steps with aws-cli.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from harness.deploy.stack import StackOutputs
from harness.observe.waiting import poll

REJECTED = "ApprovalRejected"  # the error name the order definition's Catch matches


@dataclass
class ApprovalRequest:
    """One approval request: the message body the workflow sent, and its task token."""

    body: dict[str, Any] = field(repr=False)

    @property
    def order_id(self) -> str:
        return self.body["order_id"]

    @property
    def task_token(self) -> str:
        return self.body["task_token"]


class Approvals:
    """Reads approval requests and answers them. The queue is drained: requests for
    other orders are kept for whoever asks for them later, in memory, or in `shared`,
    a directory that several readers of one queue share (tests running side by side:
    a request one of them received is there for the one that placed the order)."""

    def __init__(
        self,
        outputs: StackOutputs,
        *,
        endpoint_url: str | None = None,
        client_factory: Callable[[str], Any] | None = None,
        shared: Path | None = None,
    ) -> None:
        self.queue_url = outputs.approval_queue_url
        self.shared = shared
        endpoint = endpoint_url or outputs.endpoint_url
        factory = client_factory or (
            lambda service: boto3.client(
                service,
                endpoint_url=endpoint,
                region_name=outputs.region,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
        )
        self.sqs = factory("sqs")
        self.sfn = factory("stepfunctions")
        self._received: dict[str, list[ApprovalRequest]] = {}

    @classmethod
    def for_observer(cls, observer: Any, shared: Path | None = None) -> Approvals:
        """Approvals with the clients (endpoint, credentials) of an Observer of the same stack."""
        return cls(observer.outputs, client_factory=observer._client, shared=shared)

    def _drain(self) -> None:
        while True:
            messages = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, AttributeNames=["SentTimestamp"]
            ).get("Messages", [])
            if not messages:
                return
            for message in messages:
                self._keep(message)
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def _keep(self, message: dict[str, Any]) -> None:
        request = ApprovalRequest(json.loads(message["Body"]))
        if self.shared is None:
            self._received.setdefault(request.order_id, []).append(request)
            return
        folder = self._folder(request.order_id)
        folder.mkdir(parents=True, exist_ok=True)
        # Named to sort in the order sent; in one millisecond, in the order received.
        name = f"{message['Attributes']['SentTimestamp'].zfill(16)}-{time.time_ns():020d}-{message['MessageId']}"
        partial = folder / f".{name}"
        partial.write_text(message["Body"])
        partial.rename(folder / f"{name}.json")  # whole, or not there

    def _folder(self, order_id: str) -> Path:
        return self.shared / hashlib.sha256(order_id.encode()).hexdigest()[:32]  # any id, a safe name

    def _kept(self, order_id: str) -> list[ApprovalRequest]:
        if self.shared is None:
            return list(self._received.get(order_id, []))
        files = sorted(self._folder(order_id).glob("*.json"))
        return [ApprovalRequest(json.loads(path.read_text())) for path in files]

    def requests(self, order_id: str) -> list[ApprovalRequest]:
        """Every approval request received so far for the order."""
        self._drain()
        return self._kept(order_id)

    def wait_for_request(self, order_id: str, *, timeout: float = 10) -> ApprovalRequest:
        """The order's approval request, once the workflow has sent it."""
        found = poll(
            lambda: self.requests(order_id),
            timeout=timeout,
            describe=lambda: f"no approval request for {order_id}",
        )
        return found[-1]

    def approve(self, request: ApprovalRequest, decision: dict[str, Any] | None = None) -> None:
        """Approve: the order goes on to be charged; `decision` is recorded on the order."""
        self.sfn.send_task_success(taskToken=request.task_token, output=json.dumps(decision or {"approved": True}))

    def reject(self, request: ApprovalRequest, reason: str) -> None:
        """Reject: the order is cancelled with ApprovalRejected and `reason` as the cause."""
        self.sfn.send_task_failure(taskToken=request.task_token, error=REJECTED, cause=reason)

    def heartbeat(self, request: ApprovalRequest) -> None:
        """Still reviewing: restarts the approval_heartbeat_seconds clock (not the overall timeout)."""
        self.sfn.send_task_heartbeat(taskToken=request.task_token)
