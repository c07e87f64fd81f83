"""The operator's side of an order approval, as code: read the request the order
workflow put on the approval queue, then approve it (SendTaskSuccess), reject it
(SendTaskFailure with error ApprovalRejected), keep it alive while reviewing
(SendTaskHeartbeat), or let it time out by doing nothing. docs/orders.md shows
the same steps with aws-cli.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
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
    """Reads approval requests and answers them. The queue is drained into memory,
    so requests for other orders are kept for whoever asks for them later."""

    def __init__(
        self,
        outputs: StackOutputs,
        *,
        endpoint_url: str | None = None,
        client_factory: Callable[[str], Any] | None = None,
    ) -> None:
        self.queue_url = outputs.approval_queue_url
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
    def for_observer(cls, observer: Any) -> Approvals:
        """Approvals with the clients (endpoint, credentials) of an Observer of the same stack."""
        return cls(observer.outputs, client_factory=observer._client)

    def _drain(self) -> None:
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return
            for message in messages:
                request = ApprovalRequest(json.loads(message["Body"]))
                self._received.setdefault(request.order_id, []).append(request)
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def requests(self, order_id: str) -> list[ApprovalRequest]:
        """Every approval request received so far for the order."""
        self._drain()
        return list(self._received.get(order_id, []))

    def wait_for_request(self, order_id: str, *, timeout: float = 10) -> ApprovalRequest:
        """The order's approval request, once the workflow has sent it."""
        found = poll(
            lambda: self.requests(order_id),
            timeout=timeout,
            describe=lambda: f"no approval request for {order_id}; seen for: {sorted(self._received)}",
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
