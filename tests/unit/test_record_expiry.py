"""The month table the definition uses to compute the DynamoDB TTL is right,
and covers the years the stack may run in (read from the deployed definition)."""

from __future__ import annotations

import calendar
import datetime

import pytest

FIRST_YEAR = 2025


@pytest.fixture(scope="module")
def month_starts(deployment) -> list[list[int]]:
    return deployment.definitions["notification"]["States"]["PrepareRequest"]["Parameters"]["month_starts"]


def test_every_entry_is_midnight_utc_on_the_first_of_its_month(month_starts):
    assert month_starts
    for offset, row in enumerate(month_starts):
        assert row == [calendar.timegm(datetime.date(FIRST_YEAR + offset, m, 1).timetuple()) for m in range(1, 13)]


def test_the_table_covers_this_year_and_the_next_two(month_starts):
    # When this fails, extend the table (and mind States.MathAdd's 32-bit range, see variables.tf).
    last_year = FIRST_YEAR + len(month_starts) - 1
    assert last_year >= datetime.date.today().year + 2


def test_the_expiry_indexes_the_table_from_its_first_year_and_adds_the_ttl(deployment, variables):
    expression = deployment.definitions["notification"]["States"]["NormalizeRequest"]["Parameters"]["expires_at.$"]
    assert f"$.date, 0)), -{FIRST_YEAR})" in expression
    assert expression.endswith(f", {variables['record_ttl_days'] * 86400})")


def test_the_largest_expiry_stays_within_mathadds_32_bit_range(month_starts, variables):
    largest = month_starts[-1][-1] + 30 * 86400 + variables["record_ttl_days"] * 86400
    assert largest < 2**31
