"""Expiry status: the text comparison used for every stored row agrees with parsing each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from sinks.upsert import Expiry

NOW = datetime(2026, 11, 26, 9, 30, 15, 250_000, tzinfo=UTC)
moments = st.datetimes(
    min_value=datetime(2026, 11, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
)


@given(moments, st.sampled_from([0, 7, 30]))
def test_judge_agrees_with_status_at_on_written_timestamps(end: datetime, warn: int) -> None:
    expiry = Expiry(warn_days=warn)
    written = end.replace(microsecond=0).isoformat()  # as the sinks write expires_at
    assert expiry.judge(NOW)(written) == expiry.status_at(NOW, written)


@given(moments, st.sampled_from([timezone(timedelta(hours=-5)), timezone(timedelta(hours=1))]))
def test_other_shapes_are_parsed(end: datetime, zone: timezone) -> None:
    expiry = Expiry()
    for text in (end.astimezone(zone).isoformat(), end.isoformat(), end.strftime("%Y-%m-%d")):
        assert expiry.judge(NOW)(text) == expiry.status_at(NOW, text)


def test_boundaries_to_the_second() -> None:
    expiry = Expiry(warn_days=7)
    judge = expiry.judge(NOW)
    at = NOW.replace(microsecond=0)
    assert judge(at.isoformat()) == "expired"
    assert judge((at + timedelta(seconds=1)).isoformat()) == "expiring"
    assert judge((at + timedelta(days=7)).isoformat()) == "expiring"
    assert judge((at + timedelta(days=7, seconds=1)).isoformat()) == "active"
    assert judge("") == "" and judge("not a date at all, twenty+00:00") == ""
