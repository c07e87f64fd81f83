"""Load: hundreds of notifications at once on the embedded emulator.

Proves correctness under concurrency (every execution ends with a final record
and exactly one delivery per requested channel) and reports the throughput.
No assertion depends on timing: the figures are printed, and written to
build/reports/load.json, for a human to compare between runs.

`make test` runs it; deselect it with `-m "not load"`.
"""

from __future__ import annotations

import collections
import json
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from harness.deploy.stack import TEST_VARIABLES_FILE, deploy
from harness.observe.observer import Observer

pytestmark = [
    pytest.mark.load,
    pytest.mark.e2e,
    pytest.mark.backends("embedded", reason="measures the embedded emulator; elsewhere it would load a real account"),
]

NOTIFICATIONS = int(os.environ.get("LOAD_NOTIFICATIONS", "300"))
STARTERS = 16  # client threads calling StartExecution
MODES = ("text", "mail", "dual")
REPORT = Path(__file__).resolve().parent.parent.parent / "build" / "reports" / "load.json"
# A stack of its own, deployed next to the suite's, whose Tasks may wait a minute: with
# hundreds of executions interpreted in one Python process on two cores, one service
# call can wait seconds for a thread to run, and the suite's 5-second TimeoutSeconds
# would turn the emulator's own latency into States.Timeout failures. What is under
# test here is exactly-once delivery under concurrency, not latency.
# Its own sender too: one SES identity belongs to one stack.
LOAD_VARIABLES = {"name_prefix": "sfn-refactor-load", "sender_email": "load@example.com", "task_timeout_seconds": 60}


@pytest.fixture(scope="module")
def load_observer(emulator, tmp_path_factory) -> Observer:
    """`terraform apply` of a second stack into the same emulator; destroyed after the module."""
    deployed = deploy(
        tmp_path_factory.mktemp("terraform-load"),
        emulator.endpoint_url,
        var_file=TEST_VARIABLES_FILE,
        variables=LOAD_VARIABLES,
    )
    try:
        yield Observer(deployed.outputs)
    finally:
        deployed.destroy()


def requests_for(count: int) -> list[dict]:
    run = uuid.uuid4().hex[:8]
    requests = []
    for index in range(count):
        mode = MODES[index % len(MODES)]
        request = {
            "notification_id": f"load-{run}-{index}",
            "delivery_mode": mode,
            "message_content": f"Load message {index}",
        }
        if mode in ("text", "dual"):
            request["user_phone"] = f"+1555{int(run, 16) % 1000:03d}{index:05d}"
        if mode in ("mail", "dual"):
            request["user_email"] = f"load-{run}-{index}@example.com"
        requests.append(request)
    return requests


def test_hundreds_of_concurrent_notifications_each_deliver_exactly_once(load_observer, capsys):
    observer = load_observer
    # GIVEN a mix of text, mail and dual requests, each to its own recipients
    requests = requests_for(NOTIFICATIONS)

    # WHEN they are all started at once and run to the end
    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=STARTERS) as pool:
        arns = list(pool.map(observer.start, requests))
    started = time.monotonic()
    statuses = [observer.wait(arn, timeout=120, history=False) for arn in arns]
    finished = time.monotonic()

    # THEN every execution succeeded and left a final record
    failed = [arn for arn, status in zip(arns, statuses, strict=True) if status != "SUCCEEDED"]
    assert not failed, f"{len(failed)} of {NOTIFICATIONS} did not succeed; the first:\n" + "\n".join(
        observer.execution(arn).describe() for arn in failed[:2]
    )
    records = {r["notification_id"]: r for r in (observer.record(q["notification_id"]) for q in requests) if r}
    assert len(records) == NOTIFICATIONS
    assert {r["status"] for r in records.values()} == {"DELIVERED"}
    assert {r["execution_arn"] for r in records.values()} == set(arns)

    # AND each requested channel delivered exactly one message to its recipient
    phones = [q["user_phone"] for q in requests if "user_phone" in q]
    addresses = [q["user_email"] for q in requests if "user_email" in q]
    sms = collections.Counter(m["PhoneNumber"] for m in observer.sms())
    emails = collections.Counter(a for m in observer.emails() for a in m["Destination"]["ToAddresses"])
    assert {phone: sms[phone] for phone in phones} == dict.fromkeys(phones, 1)
    assert {address: emails[address] for address in addresses} == dict.fromkeys(addresses, 1)
    expected_sms, expected_emails = len(phones), len(addresses)

    # Figures for the report, not assertions
    figures = {
        "notifications": NOTIFICATIONS,
        "modes": dict(collections.Counter(q["delivery_mode"] for q in requests)),
        "start_seconds": round(started - began, 2),
        "wall_seconds": round(finished - began, 2),
        "executions_per_second": round(NOTIFICATIONS / (finished - began), 1),
        "sms": expected_sms,
        "emails": expected_emails,
        "cpus": os.cpu_count(),
    }
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(figures, indent=2) + "\n")
    with capsys.disabled():
        print(
            f"\nload: {NOTIFICATIONS} notifications ({expected_sms} SMS, {expected_emails} emails) in "
            f"{figures['wall_seconds']} s wall = {figures['executions_per_second']} executions/s "
            f"on {figures['cpus']} CPUs (all started in {figures['start_seconds']} s); {REPORT}"
        )
