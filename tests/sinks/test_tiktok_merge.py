"""The merge rule for TikTok's facts: the newer check wins, an email replayed later never
blanks or undoes them, "added" stays added; through the CSV sink as a user sees it."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from parsers.extract import extract
from parsers.records import CodeRow, DurationSource, Extraction, TikTokStatus
from sinks.csv import CsvSink
from sinks.upsert import merge
from tests.pipeline.mailgen import creator_email

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TIKTOK_END = datetime(2026, 12, 30, 7, 9, 7, tzinfo=UTC)


def row() -> CodeRow:
    result = extract(creator_email(0), "test")
    return result.rows[0]


def checked(base: CodeRow, status: TikTokStatus, at: datetime, **more: object) -> CodeRow:
    return dataclasses.replace(
        base,
        tiktok_status=status,
        tiktok_item_id="7300000000000000000",
        tiktok_name="mia",
        checked_at=at,
        expires_at=TIKTOK_END,
        duration_source=DurationSource.TIKTOK,
        **more,  # type: ignore[arg-type]
    )


def write(sink: CsvSink, *rows: CodeRow) -> dict[str, str]:
    sink.write([Extraction((r,), None) for r in rows])
    frame = pd.read_csv(sink.path, dtype=str, encoding="utf-8-sig").fillna("")
    assert len(frame) == 1
    return dict(frame.iloc[0])


def test_a_replayed_email_keeps_tiktoks_facts(tmp_path: Path) -> None:
    sink = CsvSink(tmp_path / "c.csv", tmp_path / "f.csv")
    email = row()
    stored = write(sink, checked(email, TikTokStatus.ACTIVE, T0, ad_account="added"))
    again = write(sink, email)  # the same email again, unchecked (no [tiktok] any more)
    for column in ("tiktok_status", "tiktok_item_id", "checked_at", "expires_at", "ad_account"):
        assert again[column] == stored[column], column
    assert again["duration_source"] == "tiktok"
    assert again["expiry_status"] == stored["expiry_status"]


def test_a_newer_check_replaces_and_an_older_one_does_not(tmp_path: Path) -> None:
    sink = CsvSink(tmp_path / "c.csv", tmp_path / "f.csv")
    email = row()
    write(sink, checked(email, TikTokStatus.ACTIVE, T0, ad_account="added"))
    later = checked(
        email, TikTokStatus.VIDEO_UNAVAILABLE, T0 + timedelta(days=1), tiktok_detail="gone"
    )
    now = write(sink, later)
    assert (now["tiktok_status"], now["tiktok_detail"]) == ("video_unavailable", "gone")
    assert now["ad_account"] == "added"  # a check without authorize never blanks it
    stale = write(sink, checked(email, TikTokStatus.ACTIVE, T0 - timedelta(days=1)))
    assert stale["tiktok_status"] == "video_unavailable"


def test_an_older_email_replayed_with_a_fresh_check_brings_the_check_only() -> None:
    email = row()
    newer_email = dataclasses.replace(
        email, authorized_at=(email.authorized_at or T0) + timedelta(days=3), duration_days=60
    )
    first = merge({}, {}, [Extraction((newer_email,), None)])
    stored = first.codes
    old = checked(email, TikTokStatus.EXPIRED, T0)  # the older email, checked just now
    out = merge(stored, {}, [Extraction((old,), None)]).codes[email.spark_code]
    assert out["duration_days"] == "60"  # the email rule: the newer email's period stays...
    assert out["tiktok_status"] == "expired"  # ...and TikTok's newer word is taken
    assert out["expires_at"] == TIKTOK_END.isoformat()
    assert out["duration_source"] == "tiktok"


def test_without_any_check_the_email_rule_is_unchanged() -> None:
    email = row()
    renewal = dataclasses.replace(
        email, authorized_at=(email.authorized_at or T0) + timedelta(days=3), duration_days=60
    )
    stored = merge({}, {}, [Extraction((email,), None)]).codes
    out = merge(stored, {}, [Extraction((renewal,), None)]).codes[email.spark_code]
    assert out["duration_days"] == "60" and out["tiktok_status"] == "unverified"
    assert out["checked_at"] == "" and out["ad_account"] == ""
