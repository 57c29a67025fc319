"""Tests for the local Sheets API emulator.

Part 1 - recorded ground truth
==============================
``tests/fixtures/gspread_cassettes/`` holds vcrpy cassettes recorded by gspread's authors
against the real Google APIs (burnash/gspread @ 5e2b628, MIT; see SOURCE.txt/LICENSE.txt).
Every interaction of each cassette below is replayed, in order, against a fresh emulator
(``replay.py``): the recorded method, path, query and JSON body are sent as recorded,
with the spreadsheet ids Google generated (learned from the paired Drive ``files.create``
responses) and sheet ids (learned from ``addSheet`` replies) mapped to the emulator's.

Compared: the HTTP status and the *whole* JSON response body, after mapping ids back.
That covers ``values``/``range``/``majorDimension`` (trailing-empty trimming, ``[]`` for
interior empty rows, FORMATTED/UNFORMATTED/FORMULA and date rendering), ``updatedRange``/
``updatedRows``/``updatedColumns``/``updatedCells``, ``tableRange``/``updates`` of
appends, ``clearedRange(s)``, ``totalUpdated*`` of values:batchUpdate, batchUpdate
``replies`` (``addSheet`` properties), the full ``spreadsheets.get`` body (sheet
properties with proto3 defaults omitted, ``fields=`` masks, grid data for notes/formats,
normalised tab colors) and error bodies (code, message, status, details). Not compared:
Drive ``createdTime``/``modifiedTime`` (wall-clock values).

Checked cassettes (40): see ``CASSETTES``. Recorded cassettes *not* used, and why:

* features the emulator does not implement (it answers 400 "does not implement"):
  merges (``CellTest.test_merge_cells``, ``*merge*``), named ranges, protected ranges,
  basic filters, ``sortRange``, copy/cut-paste, dimension groups, Drive export/copy/
  comments/CSV import;
* ``test_auto_resize_columns``: the widths Google computes from font metrics;
* ``ClientTest.test_openall``/``test_open_all_has_metadata``: list every file of the
  recording account (32 spreadsheets that the cassette never creates);
* the rest replay cleanly too but add no endpoint or behaviour not already covered.

Part 2 - real gspread against the emulator
==========================================
The remaining tests drive gspread 6.x through ``emulated_client`` (a requests Session
whose transport adapter rewrites Google URLs to the emulator).
"""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote

import gspread
import pytest
import requests
from gspread.exceptions import APIError, SpreadsheetNotFound
from gspread.utils import InsertDataOption, ValueRenderOption

from .a1 import A1Range, RangeParseError, format_range, parse_a1, quote_title
from .client import emulated_client
from .replay import Replayer, load_interactions
from .server import SheetsEmulator

pytestmark = pytest.mark.sheets

CASSETTE_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "gspread_cassettes"

CASSETTES = [
    # Drive + opening + errors
    "ClientTest.test_access_non_existing_spreadsheet",  # 404 NOT_FOUND body
    "ClientTest.test_access_private_spreadsheet",  # 403 PERMISSION_DENIED body
    "ClientTest.test_create",  # Drive files.create
    "ClientTest.test_no_found_exeption",  # Drive files.list, no match
    "ClientTest.test_open_by_name_has_metadata",  # Drive files.list by name, files.get
    # spreadsheet-level
    "SpreadsheetTest.test_add_del_worksheet",  # addSheet / deleteSheet
    "SpreadsheetTest.test_timezone_and_locale",  # updateSpreadsheetProperties
    "SpreadsheetTest.test_update_title",
    "SpreadsheetTest.test_values_batch_get",  # values:batchGet A:A, quoted emoji titles
    "SpreadsheetTest.test_values_get",  # unquoted title with spaces in the URL
    "SpreadsheetTest.test_worksheets_exclude_hidden",  # hidden sheets
    # values
    "CellTest.test_numeric_value",  # USER_ENTERED formulas / "2,000,000.01"
    "WorksheetTest.test_add_validation",  # setDataValidation; 400 for non-list values
    "WorksheetTest.test_append_row",
    "WorksheetTest.test_append_row_with_empty_value",  # Google's table detection
    "WorksheetTest.test_append_row_with_empty_value_and_table_range",  # tableRange
    "WorksheetTest.test_batch_clear",
    "WorksheetTest.test_batch_get",
    "WorksheetTest.test_batch_update",  # values:batchUpdate totals
    "WorksheetTest.test_clear",
    "WorksheetTest.test_get_all_values",
    "WorksheetTest.test_get_all_values_date_time_render_options",  # dates, render options
    "WorksheetTest.test_get_all_values_title_is_a1_notation",  # sheet named "D3"
    "WorksheetTest.test_get_returns_ValueRange_with_metadata",
    "WorksheetTest.test_range_reversed",  # B2:A1
    "WorksheetTest.test_range_unbounded",  # A1:C
    "WorksheetTest.test_update_acell",
    "WorksheetTest.test_update_cell",  # numbers, "0042", unicode
    "WorksheetTest.test_update_cell_objects",  # null cells are left alone
    # sheet properties / structure / formats
    "WorksheetTest.test_delete_cols",  # deleteDimension
    "WorksheetTest.test_format",  # repeatCell + grid data via fields mask
    "WorksheetTest.test_freeze",  # updateSheetProperties gridProperties/frozen*
    "WorksheetTest.test_get_notes",  # updateCells notes, ranges= grid data
    "WorksheetTest.test_hide_columns_rows",  # updateDimensionProperties
    "WorksheetTest.test_hide_show_worksheet",  # 400 "You can't hide all the sheets"
    "WorksheetTest.test_insert_row",  # insertDimension + append
    "WorksheetTest.test_resize",  # rowCount / columnCount
    "WorksheetTest.test_update_tab_color",  # color quantisation, fields mask
    "WorksheetTest.test_update_title",
    "WorksheetTest.test_worksheet_update_index",  # index moves
]


# --------------------------------------------------------------------------------------
# Part 1: cassettes
# --------------------------------------------------------------------------------------


def test_fixture_directory_has_exactly_the_checked_cassettes() -> None:
    present = {p.stem for p in CASSETTE_DIR.glob("*.json")}
    assert present == set(CASSETTES)
    assert (CASSETTE_DIR / "LICENSE.txt").is_file()
    assert (CASSETTE_DIR / "SOURCE.txt").is_file()


@pytest.mark.parametrize("name", CASSETTES)
def test_cassette_replays_identically(name: str) -> None:
    with SheetsEmulator() as emu:
        replayer = Replayer(emu)
        try:
            report = replayer.replay(CASSETTE_DIR / f"{name}.json")
        finally:
            replayer.close()
    assert report.checked == len(load_interactions(CASSETTE_DIR / f"{name}.json"))
    assert not report.mismatches, "\n".join(str(m) for m in report.mismatches[:20])


def test_cassettes_cover_every_emulated_endpoint() -> None:
    seen: set[tuple[str, str]] = set()
    for name in CASSETTES:
        for interaction in load_interactions(CASSETTE_DIR / f"{name}.json"):
            from .replay import _endpoint_kind

            path = interaction["request"]["uri"].split("googleapis.com", 1)[1].split("?")[0]
            seen.add((interaction["request"]["method"], _endpoint_kind(path)))
    expected = {
        ("GET", "v4 spreadsheets/{id}"),
        ("POST", "v4 spreadsheets/{id}:batchUpdate"),
        ("GET", "v4 values/{range}"),
        ("PUT", "v4 values/{range}"),
        ("POST", "v4 values/{range}:append"),
        ("POST", "v4 values/{range}:clear"),
        ("GET", "v4 values:batchGet"),
        ("POST", "v4 values:batchUpdate"),
        ("POST", "v4 values:batchClear"),
        ("POST", "drive files"),
        ("GET", "drive files"),
        ("GET", "drive files/{id}"),
        ("DELETE", "drive files/{id}"),
    }
    assert expected <= seen


def test_replay_detects_a_wrong_response(tmp_path: Path) -> None:
    """Guard against a vacuous comparison: tamper with one recorded value."""
    source = CASSETTE_DIR / "WorksheetTest.test_batch_get.json"
    data = json.loads(source.read_text(encoding="utf-8"))
    for interaction in data["interactions"]:
        if "values:batchGet" in interaction["request"]["uri"]:
            body = json.loads(interaction["response"]["body"]["string"])
            body["valueRanges"][0]["values"] = [["A1", "not B1"]]
            interaction["response"]["body"]["string"] = json.dumps(body)
            break
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(data), encoding="utf-8")
    shutil.copy(CASSETTE_DIR / "LICENSE.txt", tmp_path / "LICENSE.txt")
    with SheetsEmulator() as emu:
        replayer = Replayer(emu)
        report = replayer.replay(tampered)
        replayer.close()
    assert len(report.mismatches) == 1
    assert "not B1" in report.mismatches[0].problem


# --------------------------------------------------------------------------------------
# A1 notation
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sheet1", A1Range("Sheet1")),
        ("'My Sheet'!A1:C3", A1Range("My Sheet", 0, 0, 3, 3)),
        ("Sheet1!A:C", A1Range("Sheet1", 0, 0, None, 3)),
        ("A1", A1Range(None, 0, 0, 1, 1)),
        ("A2:Z", A1Range(None, 1, 0, None, 26)),
        ("Sheet1!A1:1", A1Range("Sheet1", 0, 0, 1, None)),
        ("'It''s here'!$B$2", A1Range("It's here", 1, 1, 2, 2)),
        ("Sheet1!2:3", A1Range("Sheet1", 1, 0, 3, None)),
        ("'a!b'!B2:A1", A1Range("a!b", 0, 0, 2, 2)),
        ("🌵 cactus 1!A:A", A1Range("🌵 cactus 1", 0, 0, None, 1)),
        ("'D3'", A1Range("D3")),
        ("Data", A1Range("Data")),
    ],
)
def test_parse_a1(text: str, expected: A1Range) -> None:
    assert parse_a1(text) == expected


@pytest.mark.parametrize("text", ["", "'unterminated!A1", "Sheet1!A1:B2:C3", "Sheet1!A0", "S!A:3"])
def test_parse_a1_rejects(text: str) -> None:
    with pytest.raises(RangeParseError):
        parse_a1(text)


def test_quote_title_like_google() -> None:
    assert quote_title("Sheet1") == "Sheet1"
    assert quote_title("D3") == "'D3'"  # looks like a cell
    assert quote_title("My Sheet") == "'My Sheet'"
    assert quote_title("I'm") == "'I''m'"
    assert format_range("Sheet1", 0, 0, 1000, 26) == "Sheet1!A1:Z1000"
    assert format_range("Sheet1", 1, 1, 2, 2) == "Sheet1!B2"


# --------------------------------------------------------------------------------------
# Part 2: through gspread
# --------------------------------------------------------------------------------------


def test_emulated_client_constructor() -> None:
    with SheetsEmulator() as emu:
        client = emulated_client(emu.base_url)
        assert isinstance(client, gspread.Client)
        assert client.http_client.session.trust_env is False
        assert emu.base_url.startswith("http://127.0.0.1:")
        assert emu.base_url.endswith("/")


def test_open_by_key_worksheet_and_titles(
    emulator: SheetsEmulator, gspread_client: gspread.Client
) -> None:
    sid = emulator.create_spreadsheet("Campaigns", sheets=["Codes", "Log"])
    sh = gspread_client.open_by_key(sid)
    assert sh.title == "Campaigns"
    assert [ws.title for ws in sh.worksheets()] == ["Codes", "Log"]
    ws = sh.worksheet("Log")
    assert (ws.row_count, ws.col_count) == (1000, 26)
    with pytest.raises(gspread.exceptions.WorksheetNotFound):
        sh.worksheet("Nope")


def test_open_by_title_uses_drive(emulator: SheetsEmulator, gspread_client: gspread.Client) -> None:
    sid = emulator.create_spreadsheet("Spark codes 2024")
    emulator.create_spreadsheet("Other")
    assert gspread_client.open("Spark codes 2024").id == sid
    with pytest.raises(SpreadsheetNotFound):
        gspread_client.open("Missing")
    created = gspread_client.create("Brand new")
    assert created.title == "Brand new"
    assert created.id in emulator.spreadsheet_ids()


def test_add_worksheet_and_delete(emulator: SheetsEmulator, gspread_client: gspread.Client) -> None:
    sid = emulator.create_spreadsheet("S")
    sh = gspread_client.open_by_key(sid)
    ws = sh.add_worksheet("Codes 'Q1'", rows=5, cols=3)
    assert ws.id != 0
    assert emulator.sheet_titles(sid) == ["Sheet1", "Codes 'Q1'"]
    assert emulator.sheet_properties(sid, "Codes 'Q1'")["gridProperties"] == {
        "rowCount": 5,
        "columnCount": 3,
    }
    with pytest.raises(APIError) as excinfo:
        sh.add_worksheet("codes 'q1'", rows=1, cols=1)  # titles are case-insensitive
    assert excinfo.value.code == 400
    assert "already exists" in str(excinfo.value)
    sh.del_worksheet(ws)
    assert emulator.sheet_titles(sid) == ["Sheet1"]
    with pytest.raises(APIError, match="remove all the sheets"):
        sh.del_worksheet(sh.sheet1)


def test_update_raw_keeps_formula_looking_text(
    emulator: SheetsEmulator, gspread_client: gspread.Client
) -> None:
    sid = emulator.create_spreadsheet("S", sheets=["Codes"])
    ws = gspread_client.open_by_key(sid).worksheet("Codes")
    ws.update([["=SUM(1)", "0042", "TRUE", "+1 555"]], "A1", raw=True)
    assert emulator.values(sid, "Codes") == [["=SUM(1)", "0042", "TRUE", "+1 555"]]
    assert ws.get_all_values() == [["=SUM(1)", "0042", "TRUE", "+1 555"]]
    assert ws.get("A1", value_render_option=ValueRenderOption.formula) == [["=SUM(1)"]]

    ws.update([["=1+1", "0042", "true", "1,234.5", "2024-03-01"]], "A2", raw=False)
    assert emulator.values(sid, "Codes")[1] == ["=1+1", 42, True, 1234.5, 45352]
    assert ws.row_values(2) == ["2", "42", "TRUE", "1,234.5", "2024-03-01"]
    assert ws.get("A2:B2", value_render_option=ValueRenderOption.unformatted) == [[2, 42]]


def test_update_beyond_grid_is_rejected(
    emulator: SheetsEmulator, gspread_client: gspread.Client
) -> None:
    sid = emulator.create_spreadsheet(
        "S", sheets=[{"title": "Small", "rowCount": 2, "columnCount": 2}]
    )
    ws = gspread_client.open_by_key(sid).worksheet("Small")
    with pytest.raises(APIError) as excinfo:
        ws.update([[1, 2, 3]], "A1")
    assert excinfo.value.code == 400
    assert excinfo.value.error["status"] == "INVALID_ARGUMENT"
    assert "exceeds grid limits. Max rows: 2, max columns: 2" in excinfo.value.error["message"]
    with pytest.raises(APIError, match="tried writing to row"):
        ws.update([[1], [2]], "A1:B1")
    assert emulator.values(sid, "Small") == []


def test_bad_range_is_invalid_argument(
    emulator: SheetsEmulator, gspread_client: gspread.Client
) -> None:
    sid = emulator.create_spreadsheet("S")
    sh = gspread_client.open_by_key(sid)
    with pytest.raises(APIError) as excinfo:
        sh.values_get("'No such sheet'!A1")
    assert excinfo.value.code == 400
    assert excinfo.value.error["message"] == "Unable to parse range: 'No such sheet'!A1"


def test_batch_update_batch_get_and_clear(
    emulator: SheetsEmulator, gspread_client: gspread.Client
) -> None:
    sid = emulator.create_spreadsheet("S", sheets=["Data"])
    ws = gspread_client.open_by_key(sid).worksheet("Data")
    result = ws.batch_update(
        [
            {"range": "A1:C1", "values": [["code", "creator", "status"]]},
            {"range": "A3:B3", "values": [["#abc", "@maya"]]},
        ]
    )
    assert result["totalUpdatedCells"] == 5
    assert result["totalUpdatedRows"] == 2
    assert result["totalUpdatedColumns"] == 3
    assert ws.get_all_values() == [
        ["code", "creator", "status"],
        ["", "", ""],
        ["#abc", "@maya", ""],
    ]
    ranges = ws.batch_get(["A1:B1", "A:A", "C5:D6"])
    assert [list(r) for r in ranges] == [[["code", "creator"]], [["code"], [], ["#abc"]], []]
    assert ranges[1].range == "Data!A1:A1000"
    ws.batch_clear(["A3:B3"])
    assert emulator.values(sid, "Data") == [["code", "creator", "status"]]
    ws.clear()
    assert emulator.values(sid, "Data") == []
    assert ws.get_all_values() == [[]]  # gspread pads an empty response to one row


def test_append_rows_finds_table_and_grows_grid(
    emulator: SheetsEmulator, gspread_client: gspread.Client
) -> None:
    sid = emulator.create_spreadsheet(
        "S", sheets=[{"title": "Codes", "rowCount": 3, "columnCount": 3}]
    )
    emulator.set_values(sid, "Codes", [["code", "creator", "status"], ["#a", "@x", "new"]])
    ws = gspread_client.open_by_key(sid).worksheet("Codes")
    result = ws.append_rows([["#b", "@y", "new"], ["#c", "@z", "new", "extra"]])
    assert result["tableRange"] == "Codes!A1:C2"
    assert result["updates"]["updatedRange"] == "Codes!A3:D4"
    props = emulator.sheet_properties(sid, "Codes")["gridProperties"]
    assert (props["rowCount"], props["columnCount"]) == (4, 4)
    assert emulator.values(sid, "Codes")[-1] == ["#c", "@z", "new", "extra"]

    # INSERT_ROWS pushes what is below the table down
    sid2 = emulator.create_spreadsheet("T")
    emulator.set_values(sid2, None, [["h"], ["1"], [""], ["footer"]])
    ws2 = gspread_client.open_by_key(sid2).sheet1
    ws2.append_rows([["2"]], table_range="A1:A2", insert_data_option=InsertDataOption.insert_rows)
    assert emulator.values(sid2, None) == [["h"], [1], ["2"], [], ["footer"]]
    assert emulator.sheet_properties(sid2)["gridProperties"]["rowCount"] == 1001


def test_freeze_resize_and_sheet_properties(
    emulator: SheetsEmulator, gspread_client: gspread.Client
) -> None:
    sid = emulator.create_spreadsheet("S")
    ws = gspread_client.open_by_key(sid).sheet1
    ws.freeze(rows=1, cols=2)
    grid = emulator.sheet_properties(sid)["gridProperties"]
    assert grid["frozenRowCount"] == 1
    assert grid["frozenColumnCount"] == 2
    ws.freeze(rows=0, cols=0)
    assert "frozenRowCount" not in emulator.sheet_properties(sid)["gridProperties"]
    emulator.set_values(sid, None, [["a", "b"], ["c", "d"]])
    ws.resize(rows=1, cols=1)
    assert emulator.values(sid) == [["a"]]
    ws.update_title("Renamed")
    fresh = gspread_client.open_by_key(sid).sheet1
    assert (fresh.title, fresh.row_count, fresh.col_count) == ("Renamed", 1, 1)


def test_formats_rules_and_validation_are_kept(
    emulator: SheetsEmulator, gspread_client: gspread.Client
) -> None:
    sid = emulator.create_spreadsheet("S", sheets=["Codes"])
    sh = gspread_client.open_by_key(sid)
    ws = sh.worksheet("Codes")
    cf_rule: dict[str, Any] = {
        "ranges": [
            {"sheetId": ws.id, "startRowIndex": 1, "startColumnIndex": 2, "endColumnIndex": 3}
        ],
        "booleanRule": {
            "condition": {"type": "TEXT_EQ", "values": [{"userEnteredValue": "expired"}]},
            "format": {"backgroundColor": {"red": 1, "green": 0.8, "blue": 0.8}},
        },
    }
    validation: dict[str, Any] = {
        "condition": {
            "type": "ONE_OF_LIST",
            "values": [{"userEnteredValue": "new"}, {"userEnteredValue": "used"}],
        },
        "strict": True,
        "showCustomUi": True,
    }
    sh.batch_update(
        {
            "requests": [
                {"addConditionalFormatRule": {"rule": cf_rule, "index": 0}},
                {
                    "setDataValidation": {
                        "range": {
                            "sheetId": ws.id,
                            "startRowIndex": 1,
                            "endRowIndex": 3,
                            "startColumnIndex": 2,
                            "endColumnIndex": 3,
                        },
                        "rule": validation,
                    }
                },
                {
                    "repeatCell": {
                        "range": {"sheetId": ws.id, "startRowIndex": 0, "endRowIndex": 1},
                        "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                        "fields": "userEnteredFormat.textFormat.bold",
                    }
                },
                {
                    "updateDimensionProperties": {
                        "range": {
                            "sheetId": ws.id,
                            "dimension": "COLUMNS",
                            "startIndex": 0,
                            "endIndex": 1,
                        },
                        "properties": {"pixelSize": 240},
                        "fields": "pixelSize",
                    }
                },
            ]
        }
    )
    meta: dict[str, Any] = dict(
        sh.fetch_sheet_metadata({"fields": "sheets(properties.title,conditionalFormats)"})
    )
    (stored,) = meta["sheets"][0]["conditionalFormats"]
    assert stored["booleanRule"]["condition"] == cf_rule["booleanRule"]["condition"]
    # like Google, the emulator omits sheetId 0 (a proto3 default) from GridRanges
    assert stored["ranges"] == [{k: v for k, v in cf_rule["ranges"][0].items() if k != "sheetId"}]
    assert stored["booleanRule"]["format"]["backgroundColorStyle"] == {
        "rgbColor": {"red": 1, "green": 0.8, "blue": 0.8}
    }
    assert emulator.conditional_formats(sid, "Codes") == [stored]
    assert emulator.data_validation(sid, "Codes") == {"C2": validation, "C3": validation}
    assert set(emulator.cell_formats(sid, "Codes")) == {
        f"{c}1" for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    }
    assert emulator.dimension_properties(sid, "Codes", "COLUMNS") == {0: {"pixelSize": 240}}

    grid: dict[str, Any] = sh.fetch_sheet_metadata(
        {"includeGridData": "true", "ranges": "Codes!A1:C2"}
    )["sheets"][0]["data"][0]
    assert grid["rowData"][1]["values"][2]["dataValidation"] == validation
    assert grid["rowData"][0]["values"][0]["userEnteredFormat"] == {"textFormat": {"bold": True}}
    assert grid["columnMetadata"][0] == {"pixelSize": 240}

    # rules move with inserted rows, and the sheet keeps its validation on inserted data
    ws.insert_rows([["x"]], row=1)
    assert emulator.conditional_formats(sid, "Codes")[0]["ranges"][0]["startRowIndex"] == 2
    assert set(emulator.data_validation(sid, "Codes")) == {"C3", "C4"}


def test_unsupported_request_fails_loudly(
    emulator: SheetsEmulator, gspread_client: gspread.Client
) -> None:
    sid = emulator.create_spreadsheet("S")
    ws = gspread_client.open_by_key(sid).sheet1
    before = emulator.sheet_properties(sid)
    with pytest.raises(APIError) as excinfo:
        ws.spreadsheet.batch_update(
            {
                "requests": [
                    {"updateSheetProperties": {"properties": {"title": "X"}, "fields": "title"}},
                    {"mergeCells": {"range": {"sheetId": 0}, "mergeType": "MERGE_ALL"}},
                ]
            }
        )
    assert excinfo.value.code == 400
    assert "does not implement 'mergeCells'" in str(excinfo.value)
    assert emulator.sheet_properties(sid) == before  # batchUpdate is atomic


def test_missing_spreadsheet_is_404(gspread_client: gspread.Client) -> None:
    with pytest.raises(SpreadsheetNotFound) as excinfo:
        gspread_client.open_by_key("does-not-exist")
    cause = excinfo.value.__cause__
    assert isinstance(cause, APIError)
    assert cause.code == 404
    assert cause.error == {
        "code": 404,
        "message": "Requested entity was not found.",
        "status": "NOT_FOUND",
    }


def test_not_shared_spreadsheet_is_403(
    emulator: SheetsEmulator, gspread_client: gspread.Client
) -> None:
    sid = emulator.create_spreadsheet("Private", shared=False)
    with pytest.raises(PermissionError) as excinfo:  # gspread's open_by_key translation
        gspread_client.open_by_key(sid)
    assert isinstance(excinfo.value.__cause__, APIError)
    assert excinfo.value.__cause__.code == 403
    with pytest.raises(APIError) as direct:
        gspread_client.http_client.values_get(sid, "Sheet1!A1")
    assert direct.value.code == 403
    assert direct.value.error["status"] == "PERMISSION_DENIED"
    assert direct.value.error["message"] == "The caller does not have permission"
    # sharing it later works, like a person clicking "Share"
    emulator.set_shared(sid, True)
    assert gspread_client.open_by_key(sid).title == "Private"


def test_injected_429_then_success(
    emulator: SheetsEmulator, gspread_client: gspread.Client
) -> None:
    sid = emulator.create_spreadsheet("S")
    ws = gspread_client.open_by_key(sid).sheet1
    fault = emulator.inject(status=429, count=2, methods={"PUT", "POST"})
    ws.get_all_values()  # reads are not affected by this fault
    for _ in range(2):
        with pytest.raises(APIError) as excinfo:
            ws.update([["x"]], "A1")
        assert excinfo.value.code == 429
        assert excinfo.value.error["status"] == "RESOURCE_EXHAUSTED"
        assert "Quota exceeded for quota metric 'Write requests'" in excinfo.value.error["message"]
    assert emulator.values(sid) == []
    ws.update([["x"]], "A1")
    assert emulator.values(sid) == [["x"]]
    assert fault.count == 0
    assert len(fault.hits) == 2


@pytest.mark.parametrize(("status", "grpc"), [(500, "INTERNAL"), (503, "UNAVAILABLE")])
def test_injected_server_errors(
    emulator: SheetsEmulator, gspread_client: gspread.Client, status: int, grpc: str
) -> None:
    sid = emulator.create_spreadsheet("S")
    ws = gspread_client.open_by_key(sid).sheet1
    emulator.inject(status=status, count=1, path_contains=":append")
    with pytest.raises(APIError) as excinfo:
        ws.append_row(["a"])
    assert (excinfo.value.code, excinfo.value.error["status"]) == (status, grpc)
    assert emulator.values(sid) == []


def test_injected_500_after_the_write_happened(
    emulator: SheetsEmulator, gspread_client: gspread.Client
) -> None:
    sid = emulator.create_spreadsheet("S")
    ws = gspread_client.open_by_key(sid).sheet1
    emulator.inject(status=500, count=1, methods={"POST"}, after_apply=True)
    with pytest.raises(APIError) as excinfo:
        ws.append_row(["#code1"])
    assert excinfo.value.code == 500
    assert emulator.values(sid) == [["#code1"]]  # ...but the row is there


def test_request_log_counts_api_calls(
    emulator: SheetsEmulator, gspread_client: gspread.Client
) -> None:
    sid = emulator.create_spreadsheet("S", sheets=["Codes"])
    ws = gspread_client.open_by_key(sid).worksheet("Codes")
    emulator.reset_log()
    ws.get_all_values()
    ws.append_rows([["a"], ["b"]])
    ws.batch_update([{"range": "B1", "values": [["x"]]}])
    log = emulator.requests
    assert [r.method for r in log] == ["GET", "POST", "POST"]
    _method, path, query, body = log[1]
    assert path == f"/v4/spreadsheets/{sid}/values/'Codes':append"
    assert query["valueInputOption"] == ["RAW"]
    assert body == {"values": [["a"], ["b"]]}
    assert emulator.count_requests("POST") == 2
    assert emulator.count_requests(path_contains="values:batchUpdate") == 1
    emulator.reset_log()
    assert emulator.requests == []


def test_url_encoded_and_quoted_ranges(emulator: SheetsEmulator) -> None:
    sid = emulator.create_spreadsheet("S", sheets=["It's mine"])
    emulator.set_values(sid, "It's mine", [["a", "b"], ["c", "d"]])
    session = requests.Session()
    session.trust_env = False
    for text in ["'It''s mine'!A1:B2", "'It''s mine'", "It's mine!A:B"]:
        url = f"{emulator.base_url}v4/spreadsheets/{sid}/values/{quote(text, safe='')}"
        got = session.get(url, timeout=5).json()
        assert got["values"] == [["a", "b"], ["c", "d"]], text
        assert got["range"].startswith("'It''s mine'!A1:")
    got = session.get(
        f"{emulator.base_url}v4/spreadsheets/{sid}/values/A1:B2",
        params={"majorDimension": "COLUMNS"},
    ).json()
    assert got == {
        "range": "'It''s mine'!A1:B2",
        "majorDimension": "COLUMNS",
        "values": [["a", "c"], ["b", "d"]],
    }
    bad = session.get(f"{emulator.base_url}v4/spreadsheets/{sid}/values/Nope!A1", timeout=5)
    assert bad.status_code == 400
    assert bad.json() == {
        "error": {
            "code": 400,
            "message": "Unable to parse range: Nope!A1",
            "status": "INVALID_ARGUMENT",
        }
    }
    session.close()


def test_concurrent_appends_are_not_lost(
    emulator: SheetsEmulator,
) -> None:
    sid = emulator.create_spreadsheet("S")
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            client = emulated_client(emulator.base_url)
            ws = client.open_by_key(sid).sheet1
            for i in range(5):
                ws.append_row([f"{n}-{i}"])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    values = emulator.values(sid)
    assert sorted(row[0] for row in values) == sorted(
        f"{n}-{i}" for n in range(4) for i in range(5)
    )


def test_server_is_quiet(capfd: pytest.CaptureFixture[str]) -> None:
    with SheetsEmulator() as emu:
        client = emulated_client(emu.base_url)
        sid = emu.create_spreadsheet("S")
        client.open_by_key(sid).sheet1.get_all_values()
        with pytest.raises(SpreadsheetNotFound):
            client.open_by_key("missing")
    out, err = capfd.readouterr()
    assert out == ""
    assert err == ""


def test_seed_helpers(emulator: SheetsEmulator) -> None:
    sid = emulator.create_spreadsheet(
        "Seeded",
        sheets=[
            {"title": "Codes", "values": [["code", "n"], ["#a", "3"]], "frozenRowCount": 1},
            "Empty",
        ],
        spreadsheet_id="fixed-id",
    )
    assert sid == "fixed-id"
    assert emulator.values(sid, "Codes") == [["code", "n"], ["#a", 3]]
    assert emulator.values(sid, "Codes", render_option="FORMATTED_VALUE") == [
        ["code", "n"],
        ["#a", "3"],
    ]
    emulator.set_values(sid, "Codes", [["typed by hand"]], start="D5")
    assert emulator.values(sid, "Codes", pad=True)[4] == ["", "", "", "typed by hand"]
    assert emulator.cell(sid, "Codes", "D5") == "typed by hand"
    assert emulator.sheet_properties(sid, "Codes")["gridProperties"]["frozenRowCount"] == 1
    full: dict[str, Any] = emulator.spreadsheet_json(sid, fields="sheets.properties.title")
    assert full == {
        "sheets": [{"properties": {"title": "Codes"}}, {"properties": {"title": "Empty"}}]
    }
