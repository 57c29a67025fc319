"""The Sheets sink through real gspread against the local Sheets API emulator."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import gspread
import pytest

from parsers.records import (
    CODE_COLUMNS,
    CodeRow,
    DurationSource,
    Extraction,
    Failure,
    MessageIdentity,
    Reason,
)
from sinks import RetryableSinkError, TerminalSinkError
from sinks.sheets import RetryPolicy, SheetsSink
from tests.pipeline.mailgen import code_for
from tests.sheets_emulator.server import SheetsEmulator

pytestmark = pytest.mark.sheets
FAST = RetryPolicy(attempts=4, max_wait=0.01, sleep=lambda _: None)


def ident(i: int, day: int = 1, subject: str | None = None) -> MessageIdentity:
    return MessageIdentity(
        f"creator{i}@example.net",
        f"Creator {i}",
        subject or f"code {i}",
        f"<m{i}@example.net>",
        datetime(2026, 11, day, 9, tzinfo=UTC),
        "test",
    )


def code(i: int, days: int | None = 30, day: int = 1, subject: str | None = None) -> Extraction:
    authorized = datetime(2026, 10, 30, tzinfo=UTC)
    row = CodeRow(
        code_for(i),
        days,
        DurationSource.STATED,
        f"@creator{i}",
        None,
        None,
        authorized,
        None,
        ident(i, day, subject),
    )
    return Extraction((row,), None)


def failure(i: int) -> Extraction:
    return Extraction((), Failure(Reason.NO_CODE_FOUND, "no Spark code", "hi", ident(i)))


@pytest.fixture
def sheet(emulator: SheetsEmulator) -> str:
    return emulator.create_spreadsheet("Campaign", ["Sheet1"])


def sink(client: gspread.Client, key: str, **kw: object) -> SheetsSink:
    return SheetsSink(client, key, **{"retry": FAST, **kw})  # type: ignore[arg-type]


def column(emu: SheetsEmulator, key: str, tab: str, name: str) -> list[str]:
    rows = emu.values(key, tab, pad=True)
    index = rows[0].index(name)
    return [str(r[index]) for r in rows[1:]]


def test_first_sync_creates_tabs_header_and_rows(
    emulator: SheetsEmulator,
    gspread_client: gspread.Client,
    sheet: str,
) -> None:
    s = sink(gspread_client, sheet)
    emulator.reset_log()
    stats = s.write([code(1), code(2), failure(3)])
    assert (stats.inserted, stats.failures_open) == (2, 1)
    assert len(emulator.requests) <= 3
    assert emulator.sheet_titles(sheet) == ["Sheet1", "Spark codes", "Needs review"]
    rows = emulator.values(sheet, "Spark codes")
    assert tuple(rows[0]) == CODE_COLUMNS
    assert column(emulator, sheet, "Spark codes", "spark_code") == [code_for(1), code_for(2)]
    assert column(emulator, sheet, "Needs review", "reason") == ["no_code_found"]
    props = emulator.sheet_properties(sheet, "Spark codes")
    assert props["gridProperties"]["frozenRowCount"] == 1


def test_rerun_with_nothing_new_is_one_read(
    emulator: SheetsEmulator,
    gspread_client: gspread.Client,
    sheet: str,
) -> None:
    s = sink(gspread_client, sheet)
    s.write([code(1), failure(3)])
    emulator.reset_log()
    stats = s.write([code(1), failure(3)])
    assert stats.unchanged == 1
    assert [r[0] for r in emulator.requests] == ["GET"]


def test_new_codes_and_a_renewal_in_two_requests(
    emulator: SheetsEmulator,
    gspread_client: gspread.Client,
    sheet: str,
) -> None:
    s = sink(gspread_client, sheet)
    s.write([code(1), code(2)])
    emulator.reset_log()
    stats = s.write([code(2, days=60, day=5), code(3)])
    assert (stats.inserted, stats.updated) == (1, 1)
    assert len(emulator.requests) == 2
    assert column(emulator, sheet, "Spark codes", "spark_code") == [code_for(i) for i in (1, 2, 3)]
    assert column(emulator, sheet, "Spark codes", "duration_days") == ["30", "60", "30"]


def test_hand_typed_columns_and_user_sorting_survive(
    emulator: SheetsEmulator,
    gspread_client: gspread.Client,
    sheet: str,
) -> None:
    s = sink(gspread_client, sheet)
    s.write([code(1), code(2), code(3)])
    # A person adds a Notes column after ours, a Status column in the middle, types in
    # both, and sorts the rows by creator descending.
    rows = emulator.values(sheet, "Spark codes", pad=True)
    header, body = rows[0], rows[1:]
    body.sort(key=lambda r: r[header.index("creator_email")], reverse=True)
    header = [*header[:2], "Status", *header[2:], "Notes"]
    body = [[*r[:2], f"live {r[0][-6:]}", *r[2:], f"note {r[0][-6:]}"] for r in body]
    emulator.set_values(sheet, "Spark codes", [header, *body], input_option="RAW")

    s.write([code(2, days=365, day=9), code(4)])
    rows = emulator.values(sheet, "Spark codes", pad=True)
    header, body = rows[0], rows[1:]
    by_code = {r[header.index("spark_code")]: r for r in body}
    assert [r[header.index("spark_code")] for r in body] == [
        code_for(3),
        code_for(2),
        code_for(1),
        code_for(4),
    ]
    for i in (1, 2, 3):
        assert by_code[code_for(i)][header.index("Notes")] == f"note {code_for(i)[-6:]}"
        assert by_code[code_for(i)][header.index("Status")] == f"live {code_for(i)[-6:]}"
    assert str(by_code[code_for(2)][header.index("duration_days")]) == "365"
    assert by_code[code_for(4)][header.index("Notes")] == ""


def test_formula_looking_values_stay_text(
    emulator: SheetsEmulator,
    gspread_client: gspread.Client,
    sheet: str,
) -> None:
    hostile = '=IMPORTXML("http://evil.example", "//a")'
    sink(gspread_client, sheet).write([code(1, subject=hostile)])
    assert column(emulator, sheet, "Spark codes", "subject") == [hostile]
    rendered = emulator.values(sheet, "Spark codes", render_option="FORMATTED_VALUE", pad=True)
    assert rendered[1][CODE_COLUMNS.index("subject")] == hostile  # shown as text, not run


def test_429_storm_is_retried_then_reported(
    emulator: SheetsEmulator,
    gspread_client: gspread.Client,
    sheet: str,
) -> None:
    s = sink(gspread_client, sheet)
    emulator.inject(status=429, count=3)
    assert s.write([code(1)]).inserted == 1  # three 429s, then through
    emulator.inject(status=429, count=50)
    with pytest.raises(RetryableSinkError, match="kept answering 429"):
        s.write([code(2)])


def test_500_after_the_write_then_rerun_has_no_duplicates(
    emulator: SheetsEmulator,
    gspread_client: gspread.Client,
    sheet: str,
) -> None:
    s = sink(gspread_client, sheet, retry=RetryPolicy(attempts=1, sleep=lambda _: None))
    s.write([code(1)])
    emulator.inject(status=500, count=1, methods={"POST"}, after_apply=True)
    with pytest.raises(RetryableSinkError):
        s.write([code(2), code(3)])  # applied, but the caller saw a 500
    s.write([code(2), code(3)])  # the next run repeats the batch
    assert column(emulator, sheet, "Spark codes", "spark_code") == [code_for(i) for i in (1, 2, 3)]


def test_500_before_the_write_then_rerun_loses_nothing(
    emulator: SheetsEmulator,
    gspread_client: gspread.Client,
    sheet: str,
) -> None:
    s = sink(gspread_client, sheet, retry=RetryPolicy(attempts=1, sleep=lambda _: None))
    s.write([code(1)])
    emulator.inject(status=500, count=1, methods={"POST"})
    with pytest.raises(RetryableSinkError):
        s.write([code(2)])
    assert column(emulator, sheet, "Spark codes", "spark_code") == [code_for(1)]
    s.write([code(2)])
    assert column(emulator, sheet, "Spark codes", "spark_code") == [code_for(1), code_for(2)]


def test_not_shared_names_the_service_account(
    emulator: SheetsEmulator,
    gspread_client: gspread.Client,
) -> None:
    key = emulator.create_spreadsheet("Private", shared=False)
    s = sink(gspread_client, key, share_with="sync@proj.iam.gserviceaccount.com")
    with pytest.raises(TerminalSinkError, match=r"share it with sync@proj\.iam"):
        s.write([code(1)])


def test_missing_spreadsheet(gspread_client: gspread.Client) -> None:
    with pytest.raises(TerminalSinkError, match="not found"):
        sink(gspread_client, "1NoSuchSheet").write([code(1)])


def test_url_accepted_for_the_key(
    emulator: SheetsEmulator,
    gspread_client: gspread.Client,
    sheet: str,
) -> None:
    url = f"https://docs.google.com/spreadsheets/d/{sheet}/edit#gid=0"
    sink(gspread_client, url).write([code(1)])
    assert column(emulator, sheet, "Spark codes", "spark_code") == [code_for(1)]


@pytest.mark.parametrize("size", [10, 1000])
def test_requests_per_run_do_not_grow_with_rows(
    emulator: SheetsEmulator,
    gspread_client: gspread.Client,
    sheet: str,
    size: int,
) -> None:
    s = sink(gspread_client, sheet)
    s.write([code(i) for i in range(size)])
    emulator.reset_log()
    s.write([code(i) for i in range(size, 2 * size)])
    assert len(emulator.requests) == 2
    emulator.reset_log()
    s.write([code(i) for i in range(2 * size)])
    assert len(emulator.requests) == 1
    assert len(column(emulator, sheet, "Spark codes", "spark_code")) == 2 * size


def test_failure_that_later_parses_leaves_the_review_tab(
    emulator: SheetsEmulator,
    gspread_client: gspread.Client,
    sheet: str,
) -> None:
    s = sink(gspread_client, sheet)
    s.write([failure(1), failure(2), failure(3)])
    fixed = dataclasses.replace(code(2).rows[0], identity=ident(2))
    stats = s.write([Extraction((fixed,), None)])
    assert stats.failures_cleared == 1
    assert column(emulator, sheet, "Needs review", "status") == ["open", "resolved", "open"]
    assert not any(r[0] == "POST" and "deleteDimension" in str(r[3]) for r in emulator.requests)


def test_a_refused_request_is_a_clean_error(
    emulator: SheetsEmulator, gspread_client: gspread.Client, sheet: str
) -> None:
    s = sink(gspread_client, sheet)
    s.write([code(1)])
    emulator.inject(status=400, count=1, methods={"POST"}, message="Invalid requests[0]")
    with pytest.raises(TerminalSinkError, match="refused a request"):
        s.write([code(2)])


def test_huge_changes_are_split_under_the_size_limit(
    emulator: SheetsEmulator,
    gspread_client: gspread.Client,
    sheet: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sinks.sheets.requests

    monkeypatch.setattr(sinks.sheets.requests, "_MAX_BODY", 20_000)
    monkeypatch.setattr(sinks.sheets.requests, "_ROWS_PER_BLOCK", 10)
    s = sink(gspread_client, sheet)
    s.write([code(i) for i in range(100)])
    posts = [r for r in emulator.requests if r[0] == "POST"]
    assert len(posts) > 1
    assert all(len(str(r[3])) < 40_000 for r in posts)
    assert column(emulator, sheet, "Spark codes", "spark_code") == [code_for(i) for i in range(100)]


def test_endpoint_from_the_environment(
    emulator: SheetsEmulator, sheet: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sinks.sheets import ENDPOINT_ENV, make_client

    monkeypatch.setenv(ENDPOINT_ENV, emulator.base_url)
    client = make_client(None, None)  # no credentials needed for an emulator
    SheetsSink(client, sheet, retry=FAST).write([code(1)])
    assert column(emulator, sheet, "Spark codes", "spark_code") == [code_for(1)]
