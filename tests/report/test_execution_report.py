"""Execution reports draw the path, the retries and the failure, and a real
headless browser renders them."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from harness.faults import FaultRule
from harness.report import render_html, write_report

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz `dot` is not installed (make system-deps)"),
]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
# A closed network: keep Chromium from reaching out at start.
HEADLESS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def retried_and_partly_failed(observer, faults, recipient):
    """A dual notification whose email is retried once and whose SMS is refused."""
    faults.add(FaultRule(service="sesv2", operation="SendEmail", error_code="TooManyRequestsException",
                         status=429, times=1))
    execution = observer.run({"notification_id": recipient["notification_id"], "delivery_mode": "dual",
                              "message_content": "hello", "user_phone": "+1-415-555-0100",
                              "user_email": recipient["user_email"]})
    assert execution.output["status"] == "PARTIALLY_DELIVERED", execution.describe()
    return execution


def test_the_report_marks_path_retries_and_failures(observer, retried_and_partly_failed):
    execution = retried_and_partly_failed
    page = render_html(observer.definition_of(execution.arn), execution)

    assert page.count("<svg") == 1 and "<script" not in page
    assert "↻ 2 attempts" in page                          # SendEmail was retried once
    for state in ["SendSms", "MarkSmsFailed", "SendEmail", "MarkPartiallyDelivered"]:
        assert f">{state}</text>" in page
    assert "SNS.InvalidParameterException" in page          # the refused SMS, in the timeline


def test_a_failed_execution_is_drawn_in_red(observer, recipient):
    execution = observer.run({"notification_id": recipient["notification_id"], "delivery_mode": "pigeon",
                              "message_content": "coo"})
    page = render_html(observer.definition_of(execution.arn), execution)
    assert "FAILED · InvalidDeliveryMode" in page
    assert "#f8d0d0" in page  # the Fail state's fill


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium to render the report (make system-deps)")
def test_the_report_renders_in_a_headless_browser(observer, retried_and_partly_failed, tmp_path):
    execution = retried_and_partly_failed
    page = write_report(observer.definition_of(execution.arn), execution, tmp_path / "report.html")
    profile = ["--user-data-dir=" + str(tmp_path / "profile")]

    dom = subprocess.run([CHROMIUM, *HEADLESS, *profile, "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    screenshot = tmp_path / "report.png"
    subprocess.run([CHROMIUM, *HEADLESS, *profile, f"--screenshot={screenshot}", "--window-size=1200,1600",
                    page.as_uri()], capture_output=True, timeout=120, check=True)

    assert "<svg" in dom and "MarkPartiallyDelivered" in dom
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 30_000  # a drawn graph, not a blank page
