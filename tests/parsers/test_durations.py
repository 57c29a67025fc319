"""Authorization periods in words, digits and languages."""

from __future__ import annotations

from datetime import date

import pytest

from parsers.durations import find_periods

ON = date(2026, 11, 3)


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("valid for 60 days", 60),
        ("30 days", 30),
        ("a 7-day code", 7),
        ("365 days", 365),
        ("1 year", 365),
        ("a year", 365),
        ("one year", 365),
        ("two months", 60),
        ("12 months", 365),
        ("6 months", 180),
        ("thirty days", 30),
        ("2 weeks", 14),
        ("7 Tage", 7),
        ("ein Jahr", 365),
        ("zwei Monate", 60),
        ("60 días", 60),
        ("un año", 365),
        ("30 dias", 30),
        ("um ano", 365),
        ("30 jours", 30),
        ("un an", 365),
        ("30 giorni", 30),
        ("un anno", 365),
        ("60 dagen", 60),
        ("1 jaar", 365),
        ("the 30d code", 30),
        ("valid until Jan 5", 63),
        ("until January 5th, 2027", 63),
        ("bis 5. Januar 2027", 63),
        ("jusqu'au 5 janvier", 63),
        ("hasta el 5 de enero", 63),
        ("valid until 2027-01-05", 63),
    ],
)
def test_reads_period(text: str, days: int) -> None:
    assert [p.days for p in find_periods(text, ON)] == [days]


@pytest.mark.parametrize(
    "text",
    ["send it a day before posting", "I posted 3 videos", "call me at 10:30", "in 2026"],
)
def test_not_a_period(text: str) -> None:
    assert find_periods(text, ON) == []


def test_until_without_a_date_to_count_from_is_ignored() -> None:
    assert find_periods("valid until Jan 5", None) == []
