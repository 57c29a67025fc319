"""One table spec per table (parsers/records.py): the CSV sink, the Sheets sink and the state's
failures table all take their columns and key from it, so a new column is added in one place.

These tests iterate the spec rather than naming columns: a column added to CODE_TABLE or
FAILURE_TABLE is checked by them without a change here.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import gspread
import pytest

from parsers.records import CODE_TABLE, FAILURE_TABLE, Extraction, ReviewStatus
from pipeline.state import State
from sinks.csv import CsvSink
from sinks.sheets import RetryPolicy, SheetsSink
from sinks.upsert import cell, merge
from tests.sheets_emulator.server import SheetsEmulator
from tests.sinks.test_csv import failure, read, row


def _values(extraction: Extraction) -> tuple[dict[str, str], dict[str, str]]:
    """The code row's and the review item's cells as the extraction gives them."""
    code = (
        {k: cell(v) for k, v in extraction.rows[0].as_record().items()} if extraction.rows else {}
    )
    item = extraction.failure.as_record() if extraction.failure is not None else {}
    return code, {k: cell(v) for k, v in item.items()}


def test_the_csv_files_have_exactly_the_spec_columns_in_order(tmp_path: Path) -> None:
    sink = CsvSink(tmp_path / "codes.csv", tmp_path / "failures.csv")
    sink.write([row(), failure()])
    codes, items = read(tmp_path / "codes.csv"), read(tmp_path / "failures.csv")
    assert tuple(codes.columns) == CODE_TABLE.columns
    assert tuple(items.columns) == FAILURE_TABLE.columns
    code_cells, _ = _values(row())
    _, item_cells = _values(failure())
    for column in CODE_TABLE.columns:
        if column not in ("expiry_status", "creator_handle"):  # kept by the sink / @ stripped
            assert codes[column][0] == code_cells[column], column
    for column in FAILURE_TABLE.columns:
        if column != "status":
            assert items[column][0] == item_cells[column], column
    assert items["status"][0] == ReviewStatus.OPEN


@pytest.mark.sheets
def test_the_sheet_tabs_have_exactly_the_spec_columns_in_order(
    emulator: SheetsEmulator, gspread_client: gspread.Client
) -> None:
    key = emulator.create_spreadsheet("Campaign", ["Sheet1"])
    sink = SheetsSink(gspread_client, key, retry=RetryPolicy(attempts=1, sleep=lambda _: None))
    sink.write([row(), failure()])
    book = gspread_client.open_by_key(key)
    assert tuple(book.worksheet("Spark codes").row_values(1)) == CODE_TABLE.columns
    assert tuple(book.worksheet("Needs review").row_values(1)) == FAILURE_TABLE.columns


def test_the_state_keeps_every_spec_column_of_a_review_item(tmp_path: Path) -> None:
    _, item = _values(failure())
    with State(tmp_path / "state.sqlite3") as state:
        state.commit([], failures=[(item, 10)])
        stored = state.failure(item[FAILURE_TABLE.key])
    assert stored is not None
    assert tuple(stored) == FAILURE_TABLE.columns
    for column in FAILURE_TABLE.columns:
        if column != "status":
            assert (stored[column] or "") == item[column], column


def test_an_older_state_file_gains_every_spec_column_on_open(tmp_path: Path) -> None:
    """A column added to FAILURE_TABLE reaches state files made before it, without a
    hand-written migration: here a file that has only the key and the required columns."""
    path = tmp_path / "state.sqlite3"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE failures (failure_id TEXT PRIMARY KEY, message_id TEXT NOT NULL, "
        "status TEXT NOT NULL DEFAULT 'open', reason TEXT NOT NULL, detail TEXT NOT NULL, "
        "raw_bytes INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL)"
    )
    db.execute(
        "INSERT INTO failures (failure_id, message_id, reason, detail, updated_at) "
        "VALUES ('f1', '<m@x>', 'no_code_found', 'no Spark code', '2026-11-01T00:00:00+00:00')"
    )
    db.commit()
    db.close()
    with State(path) as state:
        have = {r[1] for r in state._db.execute("PRAGMA table_info(failures)")}
        old = state.failure("f1")
    assert set(FAILURE_TABLE.columns) <= have
    assert old is not None and old["status"] == ReviewStatus.OPEN and old["campaign"] is None


def test_merge_marks_a_cleared_review_item_resolved_keeping_its_cells() -> None:
    """'Cleared -> resolved' is part of the one merge rule, not of each sink."""
    _, item = _values(failure("<m1@x>"))
    stored = {item[FAILURE_TABLE.key]: {**item, "status": "open", "notes": "called her"}}
    cleared_key = row(message_id="<m1@x>").identity.failure_id
    assert cleared_key in stored
    result = merge({}, stored, [row(message_id="<m1@x>")])
    assert result.cleared == {cleared_key}
    assert result.failures[cleared_key] == {
        **stored[cleared_key],
        "status": ReviewStatus.RESOLVED,
    }
