"""The CSV sink: upsert by code, failures by message, atomic files Excel opens cleanly."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
import pytest

import sinks.csv
from parsers.durations import expiry
from parsers.records import (
    CodeRow,
    DurationSource,
    Extraction,
    Failure,
    MessageIdentity,
    Reason,
)
from sinks import TerminalSinkError
from sinks.csv import CsvSink
from sinks.upsert import Expiry

CODE = "#Ob5kzYC2/lQ3pR9vFh8wXtE0sN7mKd1UaGcJ4yB6iZrHqT+PeVxW2o3LnMfSgDuA0="


def identity(message_id: str = "<m1@x>", day: int = 3, subject: str = "my code") -> MessageIdentity:
    return MessageIdentity(
        "mia@example.com", "Mia", subject, message_id, datetime(2026, 11, day, tzinfo=UTC), "t"
    )


def row(code: str = CODE, days: int | None = 30, **ident: object) -> Extraction:
    authorized = datetime(2026, 11, 1, tzinfo=UTC)
    r = CodeRow(
        code,
        days,
        DurationSource.STATED,
        "@mia",
        None,
        None,
        authorized,
        None,
        identity(**ident),  # type: ignore[arg-type]
    )
    return Extraction((r,), None)


def failure(message_id: str = "<f1@x>") -> Extraction:
    f = Failure(Reason.NO_CODE_FOUND, "no Spark code", "hello", identity(message_id))
    return Extraction((), f)


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def test_first_write_then_rerun_changes_nothing(tmp_path: Path) -> None:
    sink = CsvSink(tmp_path / "codes.csv", tmp_path / "failures.csv")
    stats = sink.write([row(), failure()])
    assert (stats.inserted, stats.failures_open) == (1, 1)
    before = (tmp_path / "codes.csv").read_bytes(), (tmp_path / "failures.csv").stat().st_mtime_ns
    stats = sink.write([row(), failure()])
    assert (stats.inserted, stats.updated, stats.unchanged) == (0, 0, 1)
    assert (tmp_path / "codes.csv").read_bytes() == before[0]
    assert (tmp_path / "failures.csv").stat().st_mtime_ns == before[1]  # not rewritten
    assert len(read(tmp_path / "codes.csv")) == 1


def test_renewal_updates_the_row_and_an_old_email_does_not_undo_it(tmp_path: Path) -> None:
    sink = CsvSink(tmp_path / "codes.csv", tmp_path / "failures.csv")
    sink.write([row(days=30, message_id="<a@x>", day=3)])
    stats = sink.write([row(days=60, message_id="<b@x>", day=9)])
    assert stats.updated == 1
    sink.write([row(days=30, message_id="<a@x>", day=3)])  # a backfill replays the old one
    frame = read(tmp_path / "codes.csv")
    assert list(frame["duration_days"]) == ["60"]
    assert list(frame["message_id"]) == ["<b@x>"]


def test_a_failure_that_later_parses_leaves_the_review_file(tmp_path: Path) -> None:
    sink = CsvSink(tmp_path / "codes.csv", tmp_path / "failures.csv")
    sink.write([failure("<m1@x>")])
    stats = sink.write([row(message_id="<m1@x>")])
    assert stats.failures_cleared == 1
    assert list(read(tmp_path / "failures.csv")["status"]) == ["resolved"]  # out of the queue


def test_formula_cells_are_neutralized_and_round_trip(tmp_path: Path) -> None:
    sink = CsvSink(tmp_path / "codes.csv", tmp_path / "failures.csv")
    hostile = '=HYPERLINK("http://evil.example","click")'
    sink.write([row(subject=hostile)])
    text = (tmp_path / "codes.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text
    for cell in ("+1", "-1", "@SUM(A1)"):
        sink.write([row(subject=cell, day=20)])
        assert f"'{cell}" in (tmp_path / "codes.csv").read_text(encoding="utf-8-sig")
    # Reading our own file back does not double the apostrophe or see a change.
    assert sink.write([row(subject="@SUM(A1)", day=20)]).unchanged == 1


def test_excel_friendly_encoding_and_user_columns_survive(tmp_path: Path) -> None:
    path = tmp_path / "codes.csv"
    sink = CsvSink(path, tmp_path / "failures.csv")
    sink.write([row(subject="Código für Zoë")])
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    frame = read(path)
    frame["Notes"] = ["ad live since Monday"]
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    other = dataclasses.replace(row().rows[0], spark_code=CODE.replace("Ob5", "Xx9"))
    sink.write([Extraction((other,), None)])
    frame = read(path)
    assert list(frame.columns)[-1] == "Notes"
    assert frame.loc[frame.spark_code == CODE, "Notes"].item() == "ad live since Monday"
    assert frame.loc[frame.spark_code == "Código für Zoë", "Notes"].empty


def test_no_temp_files_left_behind(tmp_path: Path) -> None:
    sink = CsvSink(tmp_path / "codes.csv", tmp_path / "failures.csv")
    sink.write([row(), failure()])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["codes.csv", "failures.csv"]


def _code(n: int) -> str:
    return CODE[:-8] + f"{n:07d}="


def test_batch_by_batch_file_is_byte_identical_to_one_write(tmp_path: Path) -> None:
    """Only changed rows are serialized again; the file must not show it."""
    batches = [
        [row(_code(i), message_id=f"<m{i}@x>", subject=f"=video {i}") for i in range(b, b + 5)]
        + [failure(f"<f{b}@x>")]
        for b in range(0, 20, 5)
    ]
    batches.append([row(_code(7), days=60, message_id="<renewal@x>", day=9)])  # an update
    batches.append([row(_code(99), message_id="<m99@x>")])
    one = CsvSink(tmp_path / "one" / "codes.csv", tmp_path / "one" / "failures.csv")
    many = CsvSink(tmp_path / "many" / "codes.csv", tmp_path / "many" / "failures.csv")
    one.write([e for batch in batches for e in batch])
    for batch in batches:
        many.write(batch)
    for name in ("codes.csv", "failures.csv"):
        assert (tmp_path / "many" / name).read_bytes() == (tmp_path / "one" / name).read_bytes()
    assert read(tmp_path / "many" / "codes.csv").loc[7, "duration_days"] == "60"


def test_a_failed_save_is_not_remembered_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sink = CsvSink(tmp_path / "codes.csv", tmp_path / "failures.csv")
    sink.write([row(_code(1))])
    real_save = sinks.csv._save

    def full_disk(path: Path, pieces: Callable[[BinaryIO | None], Iterable[bytes]]) -> None:
        raise TerminalSinkError(f"cannot write {path}: No space left on device")

    monkeypatch.setattr(sinks.csv, "_save", full_disk)
    with pytest.raises(TerminalSinkError):
        sink.write([row(_code(2))])
    monkeypatch.setattr(sinks.csv, "_save", real_save)
    stats = sink.write([row(_code(2))])  # the run retries the batch
    assert stats.inserted == 1
    assert list(read(tmp_path / "codes.csv")["spark_code"]) == [_code(1), _code(2)]


def test_a_quiet_write_moves_expiry_status_on_and_keeps_the_rest(tmp_path: Path) -> None:
    """Stored rows live as CSV bytes between batches; the refresh reads them back whole."""
    now = [datetime(2026, 11, 2, tzinfo=UTC)]
    sink = CsvSink(
        tmp_path / "codes.csv",
        tmp_path / "failures.csv",
        Expiry(warn_days=7, clock=lambda: now[0]),
    )

    def expiring(code: str, days: int, message_id: str) -> Extraction:
        r = row(code, days=days, message_id=message_id).rows[0]
        assert r.authorized_at is not None
        return Extraction((dataclasses.replace(r, expires_at=expiry(r.authorized_at, days)),), None)

    sink.write([expiring(_code(1), 30, "<m1@x>"), expiring(_code(2), 365, "<m2@x>")])
    frame = read(tmp_path / "codes.csv")
    frame["Notes"] = ["boosted", ""]
    frame.to_csv(tmp_path / "codes.csv", index=False, encoding="utf-8-sig")
    assert list(frame["expiry_status"]) == ["active", "active"]
    now[0] = datetime(2026, 11, 28, tzinfo=UTC)  # code 1 ends Dec 1: within the week
    stats = sink.write([])
    assert stats.refreshed == 1
    frame = read(tmp_path / "codes.csv")
    assert list(frame["expiry_status"]) == ["expiring", "active"]
    assert list(frame["Notes"]) == ["boosted", ""]
    assert list(frame["creator_email"]) == ["mia@example.com", "mia@example.com"]
    now[0] = datetime(2026, 12, 2, tzinfo=UTC)
    sink.write([])  # the same sink again: its own bytes, not the file, this time
    assert list(read(tmp_path / "codes.csv")["expiry_status"]) == ["expired", "active"]


def test_a_file_saved_by_a_person_mid_write_is_read_again_not_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between batches the sink keeps byte ranges of its file; if the file changed under it,
    it must neither copy stale ranges nor lose the person's edit."""
    path = tmp_path / "codes.csv"
    sink = CsvSink(path, tmp_path / "failures.csv")
    sink.write([row(_code(1))])
    real_save = sinks.csv._Table.save
    edits = []

    def person_saves_first(table: sinks.csv._Table) -> None:
        if not edits and table.path == path:
            frame = read(path)
            frame["Notes"] = ["paused by Dana"]
            frame.to_csv(path, index=False, encoding="utf-8-sig")
            edits.append(True)
        real_save(table)

    monkeypatch.setattr(sinks.csv._Table, "save", person_saves_first)
    assert sink.write([row(_code(2), message_id="<m2@x>")]).inserted == 1
    frame = read(path)
    assert list(frame["spark_code"]) == [_code(1), _code(2)]
    assert list(frame["Notes"]) == ["paused by Dana", ""]


def test_an_unreadable_file_is_a_sink_error_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows are read back from the file when a batch touches them (a resend here); a file
    another program holds locked must end as a clear error."""
    path = tmp_path / "codes.csv"
    sink = CsvSink(path, tmp_path / "failures.csv")
    sink.write([row()])
    real_open = open

    def locked(file: object, *args: Any, **kwargs: Any) -> Any:
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(sinks.csv, "open", locked, raising=False)
    with pytest.raises(TerminalSinkError, match="Permission denied"):
        sink.write([row(day=9)])  # the same code from a later email: needs the stored row
