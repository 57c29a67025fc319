"""Defects an ops trial found in the sinks (issue 10), each pinned by a test that failed before
the fix. Where the README promised the behaviour, the test quotes it."""

from __future__ import annotations

import dataclasses
import os
from datetime import UTC, datetime
from pathlib import Path

import click
import gspread
import pandas as pd
import pytest

from config.errors import TransientError
from parsers.durations import expiry
from parsers.records import (
    CodeRow,
    DurationSource,
    Extraction,
    MessageIdentity,
    ReviewStatus,
    review_status,
)
from pipeline.cli.errors import clean_errors
from sinks import RetryableSinkError, TerminalSinkError
from sinks.csv import CsvSink
from sinks.sheets import RetryPolicy, SheetsSink
from tests.sheets_emulator.server import SheetsEmulator

CODE = "#Ob5kzYC2/lQ3pR9vFh8wXtE0sN7mKd1UaGcJ4yB6iZrHqT+PeVxW2o3LnMfSgDuA0="
VIDEO = "https://www.tiktok.com/@mia/video/7300000000000000001"


def email(
    *,
    sent: datetime,
    arrived: datetime,
    days: int | None,
    message_id: str,
    video: bool = True,
    handle: str | None = "@mia",
) -> Extraction:
    """One code row as the parsers give it: `sent` is when the creator wrote (the forward
    header's date when forwarded), `arrived` when the inbox got it."""
    ident = MessageIdentity(
        "mia@example.com", "Mia", "my spark code", message_id, arrived, "imap:INBOX"
    )
    row = CodeRow(
        CODE,
        days,
        DurationSource.STATED if days else DurationSource.NONE,
        handle,
        VIDEO if video else None,
        "7300000000000000001" if video else None,
        sent,
        expiry(sent, days) if days else None,
        ident,
    )
    return Extraction((row,), None)


NOV20 = datetime(2026, 11, 20, 10, tzinfo=UTC)
DEC1 = datetime(2026, 12, 1, 10, tzinfo=UTC)
# The renewal: sent and received Dec 1. The original (Nov 20), forwarded by a colleague, lands
# later, on Dec 3.
RENEWAL = email(sent=DEC1, arrived=DEC1, days=60, message_id="<renew@x>")
OLD_FORWARDED = email(
    sent=NOV20, arrived=datetime(2026, 12, 3, tzinfo=UTC), days=30, message_id="<fwd@x>"
)


def csv_rows(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def csv_sink(tmp_path: Path, *, written_before: bool = False) -> CsvSink:
    return CsvSink(tmp_path / "codes.csv", tmp_path / "failures.csv", written_before=written_before)


# -- 1. an older email never undoes a renewal ------------------------------------------


@pytest.mark.parametrize("one_batch", [False, True])
def test_a_forwarded_older_email_does_not_undo_a_renewal_in_csv(
    tmp_path: Path, one_batch: bool
) -> None:
    """README: "an older email replayed later never undoes a renewal"."""
    sink = csv_sink(tmp_path)
    if one_batch:
        sink.write([RENEWAL, OLD_FORWARDED])
    else:
        sink.write([RENEWAL])
        sink.write([OLD_FORWARDED])
    frame = csv_rows(tmp_path / "codes.csv")
    assert list(frame["duration_days"]) == ["60"]
    assert list(frame["expires_at"]) == [expiry(DEC1, 60).isoformat()]
    assert list(frame["message_id"]) == ["<renew@x>"]


def test_arrival_time_only_breaks_a_tie(tmp_path: Path) -> None:
    sink = csv_sink(tmp_path)
    first = email(sent=DEC1, arrived=DEC1, days=30, message_id="<a@x>")
    resent = email(
        sent=DEC1, arrived=datetime(2026, 12, 2, tzinfo=UTC), days=45, message_id="<b@x>"
    )
    sink.write([first])
    assert sink.write([resent]).updated == 1
    assert list(csv_rows(tmp_path / "codes.csv")["duration_days"]) == ["45"]


# -- 3. a renewal without a video link never blanks the video -------------------------


def test_a_renewal_without_a_link_keeps_the_video_and_the_handle(tmp_path: Path) -> None:
    sink = csv_sink(tmp_path)
    sink.write([email(sent=NOV20, arrived=NOV20, days=30, message_id="<a@x>")])
    later = email(sent=DEC1, arrived=DEC1, days=60, message_id="<b@x>", video=False, handle=None)
    assert sink.write([later]).updated == 1
    frame = csv_rows(tmp_path / "codes.csv")
    assert list(frame["video_url"]) == [VIDEO]
    assert list(frame["video_id"]) == ["7300000000000000001"]
    assert list(frame["creator_handle"]) == ["mia"]
    assert list(frame["duration_days"]) == ["60"]  # what the renewal knows still wins


def test_a_renewal_without_a_period_keeps_the_known_period_whole(tmp_path: Path) -> None:
    sink = csv_sink(tmp_path)
    sink.write([email(sent=NOV20, arrived=NOV20, days=30, message_id="<a@x>")])
    sink.write([email(sent=DEC1, arrived=DEC1, days=None, message_id="<b@x>")])
    frame = csv_rows(tmp_path / "codes.csv")
    assert list(frame["duration_days"]) == ["30"]
    assert list(frame["authorized_at"]) == [NOV20.isoformat()]  # never Dec 1 with Nov 20's end
    assert list(frame["expires_at"]) == [expiry(NOV20, 30).isoformat()]
    assert list(frame["message_id"]) == ["<b@x>"]


def test_an_older_email_may_fill_what_the_row_lacks(tmp_path: Path) -> None:
    sink = csv_sink(tmp_path)
    sink.write([email(sent=DEC1, arrived=DEC1, days=60, message_id="<b@x>", video=False)])
    sink.write([email(sent=NOV20, arrived=DEC1, days=30, message_id="<a@x>")])
    frame = csv_rows(tmp_path / "codes.csv")
    assert list(frame["video_url"]) == [VIDEO]
    assert list(frame["duration_days"]) == ["60"]


# -- 11. the CSV keeps its mode and owner ------------------------------------------------


def test_the_csv_keeps_its_mode_and_owner_and_new_files_are_private(tmp_path: Path) -> None:
    sink = csv_sink(tmp_path)
    sink.write([RENEWAL])
    path = tmp_path / "codes.csv"
    assert path.stat().st_mode & 0o777 == 0o600  # new: creators' emails are not for all
    path.chmod(0o644)
    owner = (65534, 65534) if os.geteuid() == 0 else (os.geteuid(), os.getegid())
    os.chown(path, *owner)
    sink.write(
        [email(sent=datetime(2026, 12, 5, tzinfo=UTC), arrived=DEC1, days=90, message_id="<c@x>")]
    )
    st = path.stat()
    assert list(csv_rows(path)["duration_days"]) == ["90"]
    assert st.st_mode & 0o777 == 0o644
    assert (st.st_uid, st.st_gid) == owner


# -- 14. a CSV Excel saved as `;`-separated cp1252 ----------------------------------------


def test_a_csv_excel_saved_with_semicolons_in_cp1252_is_read_and_written_back(
    tmp_path: Path,
) -> None:
    sink = csv_sink(tmp_path)
    sink.write([RENEWAL])
    path = tmp_path / "codes.csv"
    frame = csv_rows(path)
    frame["creator_name"] = ["Mía Müller"]
    frame["Notes"] = ["live; paid"]
    frame.to_csv(path, index=False, sep=";", encoding="cp1252")  # Excel's "CSV (;)" in Europe
    sink = csv_sink(tmp_path)  # a later run
    stats = sink.write([])  # a run with no new mail: reads it without an error
    assert (stats.inserted, stats.updated) == (0, 0)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # written back as before: UTF-8 with BOM, commas
    back = csv_rows(path)
    assert list(back["creator_name"]) == ["Mía Müller"]
    assert list(back["Notes"]) == ["live; paid"]
    assert list(back["spark_code"]) == [CODE]


def test_an_unreadable_csv_says_how_to_save_it(tmp_path: Path) -> None:
    path = tmp_path / "codes.csv"
    path.write_bytes(b'spark_code,subject\n"#abc,"unclosed\n"x\n')
    with pytest.raises(TerminalSinkError, match=r"CSV UTF-8 \(comma delimited\)"):
        csv_sink(tmp_path).write([RENEWAL])


# -- 17a. people's columns stay where they put them --------------------------------------


def test_a_persons_column_stays_where_they_put_it(tmp_path: Path) -> None:
    sink = csv_sink(tmp_path)
    sink.write([RENEWAL])
    path = tmp_path / "codes.csv"
    frame = csv_rows(path)
    frame.insert(1, "Ad ID", ["ad-77"])  # right after the code, where ops want it
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    order = list(frame.columns)
    sink.write(
        [email(sent=datetime(2026, 12, 5, tzinfo=UTC), arrived=DEC1, days=90, message_id="<c@x>")]
    )
    back = csv_rows(path)
    assert list(back.columns) == order
    assert list(back["Ad ID"]) == ["ad-77"]


# -- 17b. creator_handle reads cleanly --------------------------------------------------


def test_the_handle_is_stored_without_its_at_and_formulas_stay_neutralized(
    tmp_path: Path,
) -> None:
    """README (Safety): a cell starting with `=`, `+`, `-` or `@` is prefixed with `'`; the
    handle is stored without its `@` so scripts read it cleanly."""
    sink = csv_sink(tmp_path)
    sink.write([RENEWAL])
    text = (tmp_path / "codes.csv").read_text(encoding="utf-8-sig")
    assert ",mia," in text and "'@mia" not in text
    assert list(csv_rows(tmp_path / "codes.csv")["creator_handle"]) == ["mia"]
    hostile = dataclasses.replace(
        RENEWAL.rows[0],
        identity=dataclasses.replace(RENEWAL.rows[0].identity, creator_name="=cmd|' /C calc'!A0"),
    )
    sink.write([Extraction((hostile,), None)])
    assert "'=cmd" in (tmp_path / "codes.csv").read_text(encoding="utf-8-sig")


# -- 4. a CSV moved away is never silently replaced ---------------------------------------


def test_a_csv_that_earlier_runs_wrote_and_is_gone_stops_the_run(tmp_path: Path) -> None:
    csv_sink(tmp_path).write([RENEWAL])
    (tmp_path / "codes.csv").rename(tmp_path / "moved.csv")
    sink = csv_sink(tmp_path, written_before=True)
    with pytest.raises(TerminalSinkError, match=r"is gone .*run --full"):
        sink.write([OLD_FORWARDED])
    assert not (tmp_path / "codes.csv").exists()  # never a file with only the new rows


def test_a_csv_gone_during_a_long_run_stops_it_too(tmp_path: Path) -> None:
    sink = csv_sink(tmp_path)  # the first run ever (watch, a backfill): nothing written before
    sink.write([RENEWAL])
    (tmp_path / "codes.csv").unlink()
    with pytest.raises(TerminalSinkError, match="is gone"):
        sink.write([OLD_FORWARDED])


# -- 5. hand-typed statuses ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "status"),
    [
        ("Resolved", ReviewStatus.RESOLVED),
        (" RESOLVED ", ReviewStatus.RESOLVED),
        ("Done", ReviewStatus.RESOLVED),
        ("fixed", ReviewStatus.RESOLVED),
        ("ignore", ReviewStatus.IGNORED),
        ("Ignored", ReviewStatus.IGNORED),
        ("Open", ReviewStatus.OPEN),
        ("", ReviewStatus.OPEN),
        ("maybe later", None),
    ],
)
def test_hand_typed_statuses(typed: str, status: ReviewStatus | None) -> None:
    assert review_status(typed) == status


# -- 12. Sheets answering 429 to every try ---------------------------------------------------


@pytest.mark.sheets
def test_a_429_storm_reports_the_true_tries_and_that_it_is_temporary(
    emulator: SheetsEmulator, gspread_client: gspread.Client
) -> None:
    """README: "A temporary cause (a network drop, a quota) says so: the next run retries it."
    and `sheets.max_attempts` 6: retries of 429 and 5xx answers."""
    key = emulator.create_spreadsheet("Campaign", ["Sheet1"])
    sink = SheetsSink(gspread_client, key, retry=RetryPolicy(attempts=6, sleep=lambda _: None))
    emulator.inject(status=429, count=1000)
    emulator.reset_log()
    with pytest.raises(click.ClickException) as caught, clean_errors():
        sink.write([RENEWAL])
    message = caught.value.format_message()
    assert "after 6 tries" in message
    assert message.endswith("(temporary; the next run will retry)")
    assert isinstance(caught.value.__cause__, RetryableSinkError)
    assert isinstance(caught.value.__cause__, TransientError)
    assert len(emulator.requests) == 6  # the tries it says, no more


@pytest.mark.sheets
def test_sheets_older_email_and_blank_video_follow_the_same_rule(
    emulator: SheetsEmulator, gspread_client: gspread.Client
) -> None:
    """Items 1 and 3 in the sheet: the one merge rule."""
    key = emulator.create_spreadsheet("Campaign", ["Sheet1"])
    sink = SheetsSink(gspread_client, key, retry=RetryPolicy(attempts=2, sleep=lambda _: None))
    sink.write([email(sent=NOV20, arrived=NOV20, days=30, message_id="<a@x>")])
    sink.write([email(sent=DEC1, arrived=DEC1, days=60, message_id="<b@x>", video=False)])
    sink.write([OLD_FORWARDED])
    rows = emulator.values(key, "Spark codes", pad=True)
    got = dict(zip(rows[0], rows[1], strict=False))
    assert str(got["duration_days"]) == "60"
    assert got["message_id"] == "<b@x>"
    assert got["video_url"] == VIDEO
    assert got["creator_handle"] == "mia"
