"""Observe what a deployed stack really did: executions and their paths,
retries, SMS and emails delivered, status records, outcome events.

Works against any endpoint that serves the AWS APIs plus LocalStack's
`/_aws/ses` and `/_aws/sns/sms-messages` (the embedded emulator serves both).
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from dataclasses import dataclass, field
from typing import Any, Callable

import boto3
import requests
from boto3.dynamodb.types import TypeDeserializer

from .stack import StackOutputs
from .waiting import poll

TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
_deserializer = TypeDeserializer()


def _plain(value: Any) -> Any:
    """DynamoDB numbers as int where whole (the TTL, counters), else float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, set)):
        return [_plain(v) for v in value]
    return value


def item_to_dict(item: dict) -> dict:
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}


@dataclass
class Execution:
    arn: str
    status: str
    input: Any
    output: Any
    error: str | None
    cause: str | None
    history: list[dict] = field(repr=False)

    @property
    def path(self) -> list[str]:
        """Names of the states entered, in the order the history records them."""
        return [
            event["stateEnteredEventDetails"]["name"]
            for event in self.history
            if event["type"].endswith("StateEntered")
        ]

    def attempts(self, state: str) -> int:
        """How many times the Task state `state` called its service (1 + retries)."""
        return len(self._events_of(state, "TaskScheduled"))

    def task_errors(self, state: str) -> list[str]:
        """The error name of each failed attempt of `state`, in order."""
        return [e["taskFailedEventDetails"]["error"] for e in self._events_of(state, "TaskFailed")]

    def _events_of(self, state: str, event_type: str) -> list[dict]:
        # Events chain to their predecessor by previousEventId; following the chain
        # from the state's entry keeps parallel branches apart.
        by_id = {event["id"]: event for event in self.history}
        found = []
        for event in self.history:
            if event["type"] != event_type:
                continue
            cursor = by_id.get(event.get("previousEventId"))
            while cursor is not None and not cursor["type"].endswith("StateEntered"):
                cursor = by_id.get(cursor.get("previousEventId"))
            if cursor is not None and cursor["stateEnteredEventDetails"]["name"] == state:
                found.append(event)
        return found

    def describe(self) -> str:
        """A readable history, for assertion messages."""
        lines = [f"execution {self.arn}: {self.status} {self.error or ''} {self.cause or ''}".rstrip()]
        for event in self.history:
            details = next((v for k, v in event.items() if k.endswith("EventDetails")), {})
            summary = {k: v for k, v in details.items() if k in ("name", "error", "cause", "resource")}
            lines.append(f"  {event['id']:>3} {event['type']} {json.dumps(summary) if summary else ''}".rstrip())
        return "\n".join(lines)


class Observer:
    def __init__(self, outputs: StackOutputs, *, endpoint_url: str | None = None,
                 client_factory: Callable[[str], Any] | None = None) -> None:
        self.outputs = outputs
        self.endpoint_url = endpoint_url or outputs.endpoint_url
        self._client = client_factory or (
            lambda service: boto3.client(service, endpoint_url=self.endpoint_url, region_name=outputs.region,
                                         aws_access_key_id="testing", aws_secret_access_key="testing")
        )
        # Clients passed in (real AWS, LocalStack) keep their own credentials and retry policy.
        self.sfn = self._client("stepfunctions")
        self.dynamodb = self._client("dynamodb")
        self._events_queue_url: str | None = None
        self._events: list[dict] = []

    # Executions -----------------------------------------------------------------
    def start(self, request: Any, *, name: str | None = None,
              state_machine_arn: str | None = None) -> str:
        """Start an execution; `request` is JSON-encoded unless it is already a string."""
        body = request if isinstance(request, str) else json.dumps(request)
        return self.sfn.start_execution(
            stateMachineArn=state_machine_arn or self.outputs.notification_state_machine_arn,
            name=name or f"run-{uuid.uuid4()}",
            input=body,
        )["executionArn"]

    def execution(self, arn: str) -> Execution:
        described = self.sfn.describe_execution(executionArn=arn)
        history: list[dict] = []
        for page in self.sfn.get_paginator("get_execution_history").paginate(executionArn=arn):
            history.extend(page["events"])
        return Execution(
            arn=arn,
            status=described["status"],
            input=json.loads(described.get("input") or "null"),
            output=json.loads(described["output"]) if described.get("output") else None,
            error=described.get("error"),
            cause=described.get("cause"),
            history=history,
        )

    def wait(self, arn: str, *, timeout: float = 30) -> Execution:
        """Poll until the execution ends; on timeout, fail with its history."""
        def finished() -> bool:
            return self.sfn.describe_execution(executionArn=arn)["status"] in TERMINAL

        poll(finished, timeout=timeout, describe=lambda: self.execution(arn).describe())
        return self.execution(arn)

    def run(self, request: Any, *, name: str | None = None, timeout: float = 30, **kwargs: Any) -> Execution:
        return self.wait(self.start(request, name=name, **kwargs), timeout=timeout)

    # Deliveries -----------------------------------------------------------------
    def sms(self, phone: str | None = None) -> list[dict]:
        """SMS published to phone numbers (all, or to `phone`)."""
        data = requests.get(f"{self.endpoint_url}/_aws/sns/sms-messages", timeout=10).json()
        messages = [m for batch in data.get("sms_messages", {}).values() for m in batch]
        return [m for m in messages if phone is None or m["PhoneNumber"] == phone]

    def emails(self, to: str | None = None) -> list[dict]:
        """Emails sent through SES (all, or those addressed to `to`)."""
        messages = requests.get(f"{self.endpoint_url}/_aws/ses", timeout=10).json().get("messages", [])
        return [m for m in messages if to is None or to in m["Destination"].get("ToAddresses", [])]

    # Records ------------------------------------------------------------------
    def record(self, notification_id: str) -> dict | None:
        item = self.dynamodb.get_item(
            TableName=self.outputs.status_table_name,
            Key={"notification_id": {"S": notification_id}},
            ConsistentRead=True,
        ).get("Item")
        return item_to_dict(item) if item else None

    # Outcome events -----------------------------------------------------------
    def subscribe_to_events(self) -> None:
        """An SQS queue on the events topic, as any subscriber would have."""
        if self._events_queue_url:
            return
        sqs = self._client("sqs")
        queue_url = sqs.create_queue(QueueName=f"outcome-events-{uuid.uuid4().hex[:8]}")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self._client("sns").subscribe(
            TopicArn=self.outputs.events_topic_arn, Protocol="sqs", Endpoint=queue_arn,
            Attributes={"RawMessageDelivery": "true"},
        )
        self._events_queue_url = queue_url

    def outcome_events(self, notification_id: str | None = None) -> list[dict]:
        """Outcome events received so far (all, or for one notification)."""
        self.subscribe_to_events()
        sqs = self._client("sqs")
        while True:
            batch = sqs.receive_message(QueueUrl=self._events_queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                break
            for message in batch:
                self._events.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=self._events_queue_url, ReceiptHandle=message["ReceiptHandle"])
        return [e for e in self._events if notification_id is None or e.get("notification_id") == notification_id]

    def wait_for_outcome_event(self, notification_id: str, *, timeout: float = 10) -> dict:
        found = poll(lambda: self.outcome_events(notification_id), timeout=timeout,
                     describe=lambda: f"no outcome event for {notification_id}; seen: {self._events}")
        return found[0]
