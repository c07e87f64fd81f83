"""The fault comparison of `make bench`: the same batch of `dual` requests, under
the same injected faults, through each design, scenario by scenario.

Designs:
- the notification workflow (Step Functions), one execution per request;
- seed 000's coordinator Lambda (lambdas/baseline/, ANTI-PATTERN), invoked as
  API Gateway would, {"body": <request>}, with the seed's payload fields.

Both get the batch the same way: IN_FLIGHT requests at a time, each sent and
waited for. The workflow is waited for through its execution's status (a
terminal one); the coordinator until its Invoke returns, which on the embedded
emulator is after its Event invocations of the workers, and Lambda's retries
of them, have run (harness/emulator/fidelity.py, async_invocations_retry_function_errors:
the retries run at once, without AWS's one- and two-minute waits). Every wait
is bounded.

Counted per design and scenario:
- requested: deliveries asked for (2 per `dual` request);
- delivered: of those, the ones that arrived (SMS to the request's number, email
  to its address: each request has its own);
- retried: send calls beyond one per requested delivery, where send calls are the
  fault rules' hits (each an attempt that failed) plus the messages delivered;
- recorded: requests with a status record (the workflow's status table; the
  coordinator keeps none);
- lost: requested deliveries neither delivered nor recorded as failed, that is,
  silent losses.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from harness.deploy.baseline import Baseline
from harness.emulator.embedded import EmbeddedEmulator
from harness.emulator.faults import FaultRule
from harness.observe.observer import Observer, recipients

BATCH = 40  # dual requests per design and scenario
IN_FLIGHT = 8  # requests sent at once, for both designs
WAIT_SECONDS = 300  # bound on any one request (the workflow's retries wait up to 30 s each)
CHANNELS = ("sms", "email")


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    rules: Callable[[int], list[FaultRule]]  # fresh rules for a batch of this size


def _throttling(batch: int) -> list[FaultRule]:
    throttled = max(1, batch // 4)
    return [
        FaultRule(
            service="sesv2", operation="SendEmail", error_code="TooManyRequestsException", status=429, times=throttled
        ),
        # SMS only: the workflow's outcome events (Publish to a topic) are not throttled.
        FaultRule(
            service="sns",
            operation="Publish",
            error_code="Throttled",
            status=429,
            times=throttled,
            when={"PhoneNumber": None},
        ),
    ]


def _email_outage(batch: int) -> list[FaultRule]:
    return [FaultRule(service="sesv2", operation="SendEmail", error_code="MessageRejected")]


SCENARIOS = (
    Scenario(
        "transient",
        "SES throttles the first quarter of the emails (TooManyRequestsException, 429) and SNS "
        "the first quarter of the SMS (Throttled, 429)",
        _throttling,
    ),
    Scenario("email outage", "SES rejects every email (MessageRejected)", _email_outage),
)


@dataclass
class Outcome:
    design: str
    scenario: str
    requested: int = 0
    delivered: int = 0
    calls: int = 0
    recorded: int = 0
    lost: int = 0
    answers: Counter = field(default_factory=Counter)  # what the callers were told

    @property
    def retried(self) -> int:
        return self.calls - self.requested


class WorkflowDesign:
    label = "Step Functions workflow"

    def __init__(self, observer: Observer) -> None:
        self.observer = observer

    def send(self, request: dict) -> str:
        arn = self.observer.start(request, name=request["notification_id"])
        status = self.observer.wait(arn, timeout=WAIT_SECONDS, history=False)
        described = self.observer.sfn.describe_execution(executionArn=arn)
        if status == "SUCCEEDED":
            return json.loads(described["output"])["status"]
        return f"{status} {described.get('error', '')}".strip()

    def record(self, request: dict) -> dict | None:
        return self.observer.record(request["notification_id"])


class BaselineDesign:
    label = "Lambda coordinator (seed 000)"

    def __init__(self, baseline: Baseline) -> None:
        self.baseline = baseline
        self.client = baseline.client()  # read timeout: the coordinator's own timeout, plus a margin

    def send(self, request: dict) -> str:
        seed_shape = {k: v for k, v in request.items() if k != "notification_id"}  # the seed knows no id
        return str(self.baseline.invoke(seed_shape, client=self.client)["statusCode"])

    def record(self, request: dict) -> dict | None:
        return None  # nothing records a request


def batch_of(size: int) -> list[dict]:
    """`size` dual requests, each with its own phone number and address."""
    tag = uuid.uuid4().int % 10**6
    return [
        {
            "notification_id": f"faults-{uuid.uuid4().hex[:12]}",
            "delivery_mode": "dual",
            "message_content": "fault comparison",
            "user_phone": f"+1{tag:06d}{index:04d}",
            "user_email": f"faults-{tag:06d}-{index}@example.com",
        }
        for index in range(size)
    ]


def run_scenario(
    design, scenario: Scenario, emulator: EmbeddedEmulator, observer: Observer, batch: int = BATCH
) -> Outcome:
    emulator.faults.clear()
    rules = [emulator.faults.add(rule) for rule in scenario.rules(batch)]
    requests = batch_of(batch)
    try:
        with ThreadPoolExecutor(max_workers=IN_FLIGHT) as pool:
            answers = list(pool.map(design.send, requests, timeout=WAIT_SECONDS * batch / IN_FLIGHT))
    finally:
        emulator.faults.clear()

    sms = Counter(message["PhoneNumber"] for message in observer.sms())
    emails = Counter(address for message in observer.emails() for address in recipients(message))
    outcome = Outcome(design.label, scenario.name, answers=Counter(answers))
    for request in requests:
        record = design.record(request)
        outcome.recorded += record is not None
        arrived = {"sms": sms[request["user_phone"]], "email": emails[request["user_email"]]}
        for channel in CHANNELS:
            outcome.requested += 1
            outcome.delivered += arrived[channel] > 0
            outcome.calls += arrived[channel]
            failed_on_record = record is not None and record.get(f"{channel}_status") == "FAILED"
            outcome.lost += not arrived[channel] and not failed_on_record
    outcome.calls += sum(rule.hits for rule in rules)
    return outcome


def compare(emulator: EmbeddedEmulator, observer: Observer, baseline: Baseline, batch: int = BATCH) -> list[Outcome]:
    designs = (WorkflowDesign(observer), BaselineDesign(baseline))
    return [run_scenario(design, scenario, emulator, observer, batch) for scenario in SCENARIOS for design in designs]


def table(outcomes: list[Outcome], batch: int = BATCH) -> list[str]:
    lines = [
        f"Fault comparison: the same {batch} `dual` requests (each with its own phone number and address) through "
        f"each design under the same injected faults, {IN_FLIGHT} in flight; same run:",
        "",
        *[f"- **{scenario.name}**: {scenario.description}." for scenario in SCENARIOS],
        "",
        "| scenario | design | requested | delivered | retried | recorded | lost | callers were told |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for outcome in outcomes:
        told = ", ".join(f"{count}× {answer}" for answer, count in sorted(outcome.answers.items()))
        lines.append(
            f"| {outcome.scenario} | {outcome.design} | {outcome.requested} | {outcome.delivered} "
            f"| {outcome.retried} | {outcome.recorded} | {outcome.lost} | {told} |"
        )
    lines += [
        "",
        "*requested*: deliveries asked for (SMS and email per request). *retried*: send calls beyond one per "
        "requested delivery (calls = fault-rule hits + messages delivered): the workflow's Retry, and for the "
        "coordinator the SDK's own retries in its workers (botocore's default, up to 5 attempts of a throttled "
        "call) and Lambda's 2 retries of a failed asynchronous invocation. On the emulator those Lambda retries "
        "run at once; on AWS they come about 1 and 2 minutes later. *recorded*: requests with a status record. "
        "*lost*: requested deliveries neither delivered nor recorded as failed (silent). The coordinator answers "
        "202 before its workers run on AWS; here it answers after them, so the counts are final when it returns.",
    ]
    return lines
