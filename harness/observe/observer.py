"""Observe what a deployed stack really did: executions and their paths,
retries, SMS and emails delivered, status records, outcome events.

Works against any endpoint that serves the AWS APIs plus LocalStack's
`/_aws/ses` and `/_aws/sns/sms-messages` (the embedded emulator serves both,
in LocalStack's shapes) or MiniStack's `/_ministack/ses/messages` and
`/_ministack/sns/sms-messages` (read into the same shapes: `Inspection`), and
against real AWS, where emails are observed as
SES delivery notifications through an SQS queue (SesNotificationMailbox) and
SMS cannot be observed at all (`on_unobservable` decides what that means:
by default an Unobservable error, in the tests a skip).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import boto3
import requests
from boto3.dynamodb.types import TypeDeserializer

from harness.deploy.stack import StackOutputs
from harness.observe.waiting import poll

TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
_deserializer = TypeDeserializer()


@dataclass(frozen=True)
class Inspection:
    """Where an emulator lists the SMS and emails it delivered, read into LocalStack's shapes."""

    sms_path: str
    account_parameter: str  # the SMS endpoint's account filter
    emails_path: str
    emails: Callable[[dict, str], list[dict]]  # (the emails endpoint's answer, account) -> LocalStack's messages


def ministack_emails(payload: dict, account: str) -> list[dict]:
    """`/_ministack/ses/messages` ({"messages": {account: [{"MessageId", "To", "BodyText", ...}]}})
    as LocalStack's `/_aws/ses` messages."""
    return [
        {
            "Id": m["MessageId"],
            "Source": m["Source"],
            "Subject": m.get("Subject"),
            "Destination": {
                key: list(m.get(field) or [])
                for key, field in (("ToAddresses", "To"), ("CcAddresses", "CC"), ("BccAddresses", "BCC"))
                if m.get(field)
            },
            "Body": {"text_part": m.get("BodyText"), "html_part": m.get("BodyHtml") or None},
            "Timestamp": _iso_seconds(m.get("Timestamp")),
        }
        for m in payload.get("messages", {}).get(account, [])
    ]


def _iso_seconds(stamp: Any) -> Any:
    """Epoch seconds as LocalStack stamps a sent email (2026-11-22T10:00:00, UTC)."""
    if isinstance(stamp, (int, float)):
        return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return stamp


LOCALSTACK_INSPECTION = Inspection(
    "/_aws/sns/sms-messages", "accountId", "/_aws/ses", lambda payload, account: payload.get("messages", [])
)
MINISTACK_INSPECTION = Inspection(
    "/_ministack/sns/sms-messages", "account", "/_ministack/ses/messages", ministack_emails
)


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

    @property
    def transitions(self) -> set[tuple[str, str]]:
        """(from, to) state pairs the execution moved along, per branch.

        Each StateEntered event chains (previousEventId) to the event before it in
        its own branch; the nearest state event there is where it came from."""
        by_id = {event["id"]: event for event in self.history}
        pairs = set()
        for event in self.history:
            if not event["type"].endswith("StateEntered"):
                continue
            cursor = by_id.get(event.get("previousEventId"))
            while cursor is not None and not cursor["type"].endswith(("StateEntered", "StateExited")):
                cursor = by_id.get(cursor.get("previousEventId"))
            if cursor is not None:
                details = cursor.get("stateEnteredEventDetails") or cursor.get("stateExitedEventDetails")
                pairs.add((details["name"], event["stateEnteredEventDetails"]["name"]))
        return pairs

    def attempts(self, state: str) -> int:
        """How many times the Task state `state` called its service (1 + retries)."""
        return len(self._events_of(state, "TaskScheduled"))

    def task_errors(self, state: str) -> list[str]:
        """The error name of each failed attempt of `state`, in order."""
        return [e["taskFailedEventDetails"]["error"] for e in self._events_of(state, "TaskFailed")]

    def task_failures(self, state: str) -> list[str]:
        """The error of each attempt of `state` that failed or timed out, in order."""
        events = sorted(
            self._events_of(state, "TaskFailed") + self._events_of(state, "TaskTimedOut"), key=lambda event: event["id"]
        )
        return [
            (event.get("taskFailedEventDetails") or event.get("taskTimedOutEventDetails") or {}).get(
                "error", "States.Timeout"
            )
            for event in events
        ]

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


class Unobservable(Exception):
    """What was asked cannot be seen on this backend (e.g. an SMS on real AWS)."""


def _raise_unobservable(reason: str) -> None:
    raise Unobservable(reason)


class Observer:
    def __init__(
        self,
        outputs: StackOutputs,
        *,
        endpoint_url: str | None = None,
        client_factory: Callable[[str], Any] | None = None,
        mailbox: SesNotificationMailbox | None = None,
        on_unobservable: Callable[[str], Any] = _raise_unobservable,
        inspection: Inspection = LOCALSTACK_INSPECTION,
    ) -> None:
        self.outputs = outputs
        self.inspection = inspection
        self.endpoint_url = endpoint_url or outputs.endpoint_url
        self.mailbox = mailbox
        self.on_unobservable = on_unobservable
        self._client = client_factory or (
            lambda service: boto3.client(
                service,
                endpoint_url=self.endpoint_url,
                region_name=outputs.region,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
        )
        # Clients passed in (real AWS, LocalStack) keep their own credentials and retry policy.
        self.sfn = self._client("stepfunctions")
        self.dynamodb = self._client("dynamodb")
        self._events_queue_url: str | None = None
        self._events_subscription: str | None = None
        self._events: list[dict] = []
        self.started: list[str] = []  # every execution this observer started, oldest first

    # Executions -----------------------------------------------------------------
    def start(self, request: Any, *, name: str | None = None, state_machine_arn: str | None = None) -> str:
        """Start an execution; `request` is JSON-encoded unless it is already a string."""
        body = request if isinstance(request, str) else json.dumps(request)
        arn = self.sfn.start_execution(
            stateMachineArn=state_machine_arn or self.outputs.notification_state_machine_arn,
            name=name or f"run-{uuid.uuid4()}",
            input=body,
        )["executionArn"]
        self.started.append(arn)
        return arn

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

    def definition_of(self, arn: str) -> dict:
        """The definition an execution ran (as the state machine had it then)."""
        return json.loads(self.sfn.describe_state_machine_for_execution(executionArn=arn)["definition"])

    def wait(self, arn: str, *, timeout: float = 30, history: bool = True) -> Execution | str:
        """Poll until the execution ends; on timeout, fail with its history.

        Returns the Execution, or only its final status with history=False (benchmarks)."""

        def final_status() -> str | None:
            status = self.sfn.describe_execution(executionArn=arn)["status"]
            return status if status in TERMINAL else None

        status = poll(final_status, timeout=timeout, describe=lambda: self.execution(arn).describe())
        return self.execution(arn) if history else status

    def run(self, request: Any, *, name: str | None = None, timeout: float = 30, **kwargs: Any) -> Execution:
        return self.wait(self.start(request, name=name, **kwargs), timeout=timeout)

    # Deliveries -----------------------------------------------------------------
    @property
    def account_id(self) -> str:
        """The stack's account, from its state machine's ARN (arn:aws:states:region:account:...)."""
        return self.outputs.notification_state_machine_arn.split(":")[4]

    def sms(self, phone: str | None = None) -> list[dict]:
        """SMS published to phone numbers (all, or to `phone`), in LocalStack's shape:
        {"PhoneNumber", "Message", "MessageId", "TopicArn", "SubscriptionArn", ...}."""
        if not self.endpoint_url:
            self.on_unobservable("SMS sent on AWS cannot be read back: AWS keeps no copy to inspect")
            return []
        params = {"region": self.outputs.region, self.inspection.account_parameter: self.account_id}
        if phone is not None:
            params["phoneNumber"] = phone
        response = requests.get(f"{self.endpoint_url}{self.inspection.sms_path}", params=params, timeout=10)
        response.raise_for_status()
        return [m for m in sms_messages(response.json()) if phone is None or m["PhoneNumber"] == phone]

    def emails(self, to: str | None = None) -> list[dict]:
        """Emails sent through SES (all, or those addressed to `to`), in LocalStack's shape:
        {"Id", "Source", "Destination": {"ToAddresses", ...}, "Subject", "Body": {"text_part", ...}}."""
        if self.mailbox is not None:
            messages = self.mailbox.messages(to)
        else:
            response = requests.get(f"{self.endpoint_url}{self.inspection.emails_path}", timeout=10)
            response.raise_for_status()
            messages = self.inspection.emails(response.json(), self.account_id)
        return [m for m in messages if to is None or to in recipients(m)]

    def email_text(self, message: dict) -> str | None:
        """The plain-text body of an email from emails(); SES notifications on AWS carry none."""
        if "Body" not in message:
            self.on_unobservable("email bodies cannot be read on AWS: SES delivery notifications carry headers only")
            return None
        return message["Body"].get("text_part")

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
        queue_url, self._events_subscription = subscribe_queue(
            self._client("sqs"),
            self._client("sns"),
            self.outputs.events_topic_arn,
            f"outcome-events-{uuid.uuid4().hex[:8]}",
        )
        self._events_queue_url = queue_url

    def close(self) -> None:
        """Remove what the observer created (the events queue, the mailbox)."""
        if self._events_queue_url:
            self._client("sns").unsubscribe(SubscriptionArn=self._events_subscription)
            self._client("sqs").delete_queue(QueueUrl=self._events_queue_url)
            self._events_queue_url = None
        if self.mailbox is not None:
            self.mailbox.close()

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
        found = poll(
            lambda: self.outcome_events(notification_id),
            timeout=timeout,
            describe=lambda: f"no outcome event for {notification_id}; seen: {self._events}",
        )
        return found[0]


# Delivery records ----------------------------------------------------------------


def sms_messages(payload: dict) -> list[dict]:
    """The messages of a `/_aws/sns/sms-messages` answer: {"sms_messages": {phone: [message, ...]},
    "region": ...} (LocalStack 4.x, and the embedded emulator). A plain list is accepted too."""
    batches = payload.get("sms_messages", {})
    if isinstance(batches, list):
        return list(batches)
    return [message for batch in batches.values() for message in batch]


def recipients(message: dict) -> list[str]:
    """Every address an email of `/_aws/ses` went to (raw emails list none)."""
    destination = message.get("Destination") or {}
    return [a for key in ("ToAddresses", "CcAddresses", "BccAddresses") for a in destination.get(key, [])]


def subscribe_queue(sqs: Any, sns: Any, topic_arn: str, queue_name: str) -> tuple[str, str]:
    """A new SQS queue subscribed (raw delivery) to `topic_arn`; returns (queue URL, subscription ARN).
    The queue policy lets only that topic send to it, which real AWS requires."""
    queue_url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
            }
        ],
    }
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": json.dumps(policy)})
    subscription = sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
        ReturnSubscriptionArn=True,
    )
    return queue_url, subscription["SubscriptionArn"]


class SesNotificationMailbox:
    """Emails on real AWS, where nothing can be read back from SES: the sender
    identity's Delivery notifications (with headers) go to a topic of our own,
    and from it to an SQS queue. Send to the mailbox simulator
    (success@simulator.amazonses.com, or success+label@...) and each email
    that SES delivered arrives as a notification, converted here to the shape
    of LocalStack's `/_aws/ses` without "Body" (notifications carry no body).

    Notifications arrive seconds after the send: messages(to) waits up to
    `settle_seconds` for the first one to `to`.
    """

    def __init__(self, client: Callable[[str], Any], sender: str, *, name: str, settle_seconds: float = 30) -> None:
        self._client = client
        self.sender = sender
        self.settle_seconds = settle_seconds
        sns = client("sns")
        self.topic_arn = sns.create_topic(Name=name)["TopicArn"]
        self.queue_url, self.subscription_arn = subscribe_queue(client("sqs"), sns, self.topic_arn, name)
        ses = client("ses")
        ses.set_identity_notification_topic(Identity=sender, NotificationType="Delivery", SnsTopic=self.topic_arn)
        ses.set_identity_headers_in_notifications_enabled(Identity=sender, NotificationType="Delivery", Enabled=True)
        self._seen: list[dict] = []

    def _drain(self) -> None:
        sqs = self._client("sqs")
        while True:
            batch = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
                "Messages", []
            )
            if not batch:
                return
            for message in batch:
                notification = json.loads(message["Body"])
                if notification.get("notificationType") == "Delivery":
                    self._seen.append(self.as_sent_email(notification))
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    @staticmethod
    def as_sent_email(notification: dict) -> dict:
        mail = notification["mail"]
        headers = mail.get("commonHeaders", {})
        # mail.destination holds the bare addresses; commonHeaders.to may carry display names.
        return {
            "Id": mail.get("messageId"),
            "Source": mail.get("source"),
            "Destination": {"ToAddresses": list(mail.get("destination", []))},
            "Subject": headers.get("subject"),
            "Timestamp": mail.get("timestamp"),
        }

    def messages(self, to: str | None = None) -> list[dict]:
        def arrived() -> list[dict]:
            self._drain()
            return [m for m in self._seen if to is None or to in recipients(m)]

        try:
            return poll(arrived, timeout=self.settle_seconds if to else 0, interval=1)
        except AssertionError:  # nothing arrived in time: none was delivered
            return []

    def close(self) -> None:
        ses = self._client("ses")
        ses.set_identity_notification_topic(Identity=self.sender, NotificationType="Delivery")
        self._client("sns").unsubscribe(SubscriptionArn=self.subscription_arn)
        self._client("sns").delete_topic(TopicArn=self.topic_arn)
        self._client("sqs").delete_queue(QueueUrl=self.queue_url)
