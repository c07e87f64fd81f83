"""The month table the definition uses to compute the DynamoDB TTL is right,
and covers the years the stack may run in."""

from __future__ import annotations

import calendar
import datetime
import json

from harness import terraform

FIRST_YEAR = 2025


def month_starts() -> list[list[int]]:
    definition = json.loads(terraform.render(
        (terraform.DEFINITIONS / "notification.asl.json").read_text(),
        {k: 1 for k in terraform.placeholders((terraform.DEFINITIONS / "notification.asl.json").read_text())},
    ))
    return definition["States"]["PrepareRequest"]["Parameters"]["month_starts"]


def test_every_entry_is_midnight_utc_on_the_first_of_its_month():
    for offset, row in enumerate(month_starts()):
        assert row == [calendar.timegm(datetime.date(FIRST_YEAR + offset, m, 1).timetuple()) for m in range(1, 13)]


def test_the_table_covers_this_year_and_the_next_two():
    # When this fails, extend the table (and mind States.MathAdd's 32-bit range, see variables.tf).
    last_year = FIRST_YEAR + len(month_starts()) - 1
    assert last_year >= datetime.date.today().year + 2


def test_the_largest_expiry_stays_within_mathadds_32_bit_range():
    largest = month_starts()[-1][-1] + 30 * 86400 + 365 * 86400
    assert largest < 2**31
