"""The record's TTL (DynamoDB's expires_at, epoch seconds) is midnight UTC of the day
the execution started plus record_ttl_days, computed by the deployed definition's own
JSONata expression (evaluated here with jsonata-python) for any start time."""

from __future__ import annotations

import calendar
import datetime

import pytest

from harness.emulator.jsonata_evaluation import evaluate


@pytest.fixture(scope="module")
def expression(deployment) -> str:
    assign = deployment.definitions["notification"]["States"]["NormalizeRequest"]["Assign"]
    return assign["expires_at"].removeprefix("{%").removesuffix("%}").strip()


@pytest.mark.parametrize(
    "started",
    [
        "2025-01-01T00:00:00.000Z",
        "2026-12-04T23:59:59.999Z",
        "2028-02-29T12:30:00.123Z",  # a leap day
        "2037-06-15T08:00:00.000Z",  # past the month table the JSONPath definition needed
        "2040-01-01T00:00:00.001Z",  # past 2038: no 32-bit limit either
    ],
)
def test_the_expiry_is_midnight_of_the_start_day_plus_the_ttl(expression, variables, started):
    day = datetime.datetime.fromisoformat(started.replace("Z", "+00:00")).date()
    midnight = calendar.timegm(day.timetuple())
    context = {"Execution": {"StartTime": started}}
    assert evaluate(expression, {"states": {"context": context}}) == midnight + variables["record_ttl_days"] * 86400
