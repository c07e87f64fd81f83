"""Execution reports draw the path, the retries and the failure, and a real
headless browser renders them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import uuid

import pytest

from harness.emulator.faults import FaultRule
from harness.observe.report import FAILED, RETRIED, VISITED, render_html, write_report

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz `dot` is not installed (make system-deps)"),
]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
# A closed network: keep Chromium from reaching out at start.
HEADLESS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def retried_and_partly_failed(observer, faults, recipient):
    """A dual notification whose email is retried once and whose SMS is refused."""
    faults.add(
        FaultRule(service="sesv2", operation="SendEmail", error_code="TooManyRequestsException", status=429, times=1)
    )
    execution = observer.run(
        {
            "notification_id": recipient["notification_id"],
            "delivery_mode": "dual",
            "message_content": "hello",
            "user_phone": "+1-415-555-0100",
            "user_email": recipient["user_email"],
        }
    )
    assert execution.output["status"] == "PARTIALLY_DELIVERED", execution.describe()
    return execution


def test_the_report_marks_path_retries_and_failures(observer, retried_and_partly_failed):
    execution = retried_and_partly_failed
    page = render_html(observer.definition_of(execution.arn), execution)

    assert page.count("<svg") == 1 and "<script" not in page
    assert "↻ 2 attempts" in page  # SendEmail was retried once
    for state in ["SendSms", "MarkSmsFailed", "SendEmail", "MarkPartiallyDelivered"]:
        assert f">{state}</text>" in page
    assert "SNS.InvalidParameterException" in page  # the refused SMS, in the timeline


def fill_of(page: str, state: str) -> str:
    """The fill colour Graphviz gave the state's node in the page's SVG."""
    node = re.search(rf"<title>{re.escape(state)}</title>\s*<(?:path|polygon) fill=\"([^\"]+)\"", page)
    assert node, f"no node {state} in the SVG"
    return node.group(1)


def test_a_task_that_failed_and_was_caught_is_drawn_as_failed(observer, retried_and_partly_failed):
    # GIVEN the partly delivered notification: SendSms refused (caught into MarkSmsFailed), SendEmail retried
    execution = retried_and_partly_failed
    assert execution.task_errors("SendSms") == ["SNS.InvalidParameterException"]

    # WHEN it is drawn
    page = render_html(observer.definition_of(execution.arn), execution)

    # THEN the caught failure is red and names its error; the retried Task and the handler are not
    assert fill_of(page, "SendSms") == FAILED
    assert "✗ SNS.InvalidParameterException" in page
    assert fill_of(page, "SendEmail") == RETRIED
    assert fill_of(page, "MarkSmsFailed") == VISITED and fill_of(page, "MarkPartiallyDelivered") == VISITED


def test_a_task_that_timed_out_and_was_caught_is_drawn_as_failed(emulator, stack, observer):
    # GIVEN a callback Task nobody answers, whose States.Timeout is caught
    queue = emulator.client("sqs").create_queue(QueueName=f"probe-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    definition = {
        "StartAt": "Ask",
        "States": {
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "TimeoutSeconds": 1,
                "Parameters": {"QueueUrl": queue, "MessageBody": {"token.$": "$$.Task.Token"}},
                "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "GaveUp"}],
                "End": True,
            },
            "GaveUp": {"Type": "Pass", "End": True},
        },
    }
    arn = emulator.client("stepfunctions").create_state_machine(
        name=f"probe-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/probe",
    )["stateMachineArn"]
    execution = observer.run({}, state_machine_arn=arn)
    assert execution.path == ["Ask", "GaveUp"], execution.describe()

    # WHEN it is drawn, THEN the Task is red and names the timeout
    page = render_html(definition, execution)
    assert fill_of(page, "Ask") == FAILED and "✗ States.Timeout" in page
    assert fill_of(page, "GaveUp") == VISITED


def test_a_failed_execution_is_drawn_in_red(observer, recipient):
    execution = observer.run(
        {"notification_id": recipient["notification_id"], "delivery_mode": "pigeon", "message_content": "coo"}
    )
    page = render_html(observer.definition_of(execution.arn), execution)
    assert "FAILED · InvalidDeliveryMode" in page
    assert "#f8d0d0" in page  # the Fail state's fill


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium to render the report (make system-deps)")
def test_the_report_renders_in_a_headless_browser(observer, retried_and_partly_failed, tmp_path):
    execution = retried_and_partly_failed
    page = write_report(observer.definition_of(execution.arn), execution, tmp_path / "report.html")
    profile = ["--user-data-dir=" + str(tmp_path / "profile")]

    dom = subprocess.run(
        [CHROMIUM, *HEADLESS, *profile, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    screenshot = tmp_path / "report.png"
    subprocess.run(
        [CHROMIUM, *HEADLESS, *profile, f"--screenshot={screenshot}", "--window-size=1200,1600", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )

    assert "<svg" in dom and "MarkPartiallyDelivered" in dom
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 30_000  # a drawn graph, not a blank page
