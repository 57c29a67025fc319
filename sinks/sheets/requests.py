"""The batchUpdate requests that bring the two tabs up to date, and reading a tab back.

Cells are written as `userEnteredValue.stringValue`, the API's RAW form: a subject such as
`=IMPORTXML(...)` stays text. Only our own columns' cells are touched, found by header name, so
columns people added (Status, Notes, Ad ID), their sorting and their filters survive.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from parsers.records import ExpiryStatus, ReviewStatus
from sinks.upsert import Record

_NUMERIC = {"duration_days"}
# Google refuses request bodies over 10 MiB and advises staying near 2 MB: new rows go in
# blocks, and a run whose changes are larger still (a first sync of many thousand rows) is
# split into several batchUpdate calls of at most _MAX_BODY bytes.
_ROWS_PER_BLOCK = 1000
_MAX_BODY = 8 * 1024 * 1024


@dataclass(slots=True)
class Tab:
    """One worksheet as read: where our columns are and where each key's row is."""

    title: str
    columns: tuple[str, ...]
    # Formatting made once, with the header: it is people's sheet after that.
    decorate: Callable[[int, Mapping[str, int]], list[dict[str, Any]]] | None = None
    sheet_id: int | None = None
    row_count: int = 0
    column_count: int = 0
    frozen_rows: int = 0
    header: list[str] = field(default_factory=list)
    rows: dict[str, tuple[int, Record]] = field(default_factory=dict)
    used_rows: int = 0  # rows holding anything, header included

    @property
    def exists(self) -> bool:
        return self.sheet_id is not None

    def stored(self) -> dict[str, Record]:
        return {key: record for key, (_, record) in self.rows.items()}


def a1(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _cell_text(cell: Mapping[str, Any]) -> str:
    value = cell.get("effectiveValue")
    if isinstance(value, Mapping):
        if "stringValue" in value:
            return str(value["stringValue"])
        if "numberValue" in value:
            number = float(value["numberValue"])
            return str(int(number)) if number.is_integer() else str(number)
        if "boolValue" in value:
            return "TRUE" if value["boolValue"] else "FALSE"
    return ""


def load_tab(tab: Tab, sheet: Mapping[str, Any]) -> None:
    props = sheet["properties"]
    grid = props.get("gridProperties", {})
    tab.sheet_id = int(props.get("sheetId", 0))
    tab.row_count = int(grid.get("rowCount", 0))
    tab.column_count = int(grid.get("columnCount", 0))
    tab.frozen_rows = int(grid.get("frozenRowCount", 0))
    rows: list[list[str]] = []
    for block in sheet.get("data", []):
        for row in block.get("rowData", []):
            rows.append([_cell_text(c) for c in row.get("values", [])])
    while rows and not any(rows[-1]):
        rows.pop()
    tab.used_rows = len(rows)
    tab.header = [h.strip() for h in rows[0]] if rows else []
    key_name = tab.columns[0]
    if key_name not in tab.header:
        return
    positions = {name: tab.header.index(name) for name in tab.columns if name in tab.header}
    for index, row in enumerate(rows[1:], start=1):
        record = {name: (row[i] if i < len(row) else "") for name, i in positions.items()}
        key = record[key_name]
        if key and key not in tab.rows:
            tab.rows[key] = (index, record)


def add_sheet(tab: Tab, sheet_id: int) -> dict[str, Any]:
    tab.sheet_id = sheet_id
    tab.row_count, tab.column_count = 1000, max(26, len(tab.columns))
    tab.frozen_rows = 1
    return {
        "addSheet": {
            "properties": {
                "sheetId": sheet_id,
                "title": tab.title,
                "gridProperties": {
                    "rowCount": tab.row_count,
                    "columnCount": tab.column_count,
                    "frozenRowCount": 1,
                },
            }
        }
    }


def tab_writes(tab: Tab, changed: Mapping[str, Record]) -> list[dict[str, Any]]:
    """The batchUpdate requests that bring one tab up to date, touching only our cells."""
    assert tab.sheet_id is not None
    sheet_id = tab.sheet_id
    out: list[dict[str, Any]] = []
    header = list(tab.header)
    missing = [name for name in tab.columns if name not in header]
    if missing:  # our header, after whatever columns people keep; frozen like a header
        out.append(_update_row(sheet_id, 0, len(header), [_value(n, "") for n in missing]))
        header += missing
        if tab.frozen_rows < 1:
            out.append(_freeze_header(sheet_id))
    position = {name: header.index(name) for name in tab.columns}
    if missing and tab.decorate is not None:
        out += tab.decorate(sheet_id, position)
    first_new = next_row = max(tab.used_rows, 1)
    updates: list[dict[str, Any]] = []
    new_rows: list[dict[str, Any]] = []
    width = max(position.values()) + 1
    for key, record in changed.items():
        if key in tab.rows:
            index, old = tab.rows[key]
            names = [n for n in tab.columns if old.get(n, "") != record[n]]
            updates += _cell_runs(sheet_id, index, {position[n]: (n, record[n]) for n in names})
        else:  # new rows go below the last used one, as whole rows in a few large blocks
            by_column = {position[n]: _value(record[n], n) for n in tab.columns}
            new_rows.append({"values": [by_column.get(c, {}) for c in range(width)]})
            next_row += 1
    for start in range(0, len(new_rows), _ROWS_PER_BLOCK):
        block = new_rows[start : start + _ROWS_PER_BLOCK]
        updates.append(
            {
                "updateCells": {
                    "start": {"sheetId": sheet_id, "rowIndex": first_new + start, "columnIndex": 0},
                    "rows": block,
                    "fields": "userEnteredValue",
                }
            }
        )
    if next_row > tab.row_count:
        out.append(_append_dimension(sheet_id, "ROWS", next_row - tab.row_count))
    if len(header) > tab.column_count:
        out.append(_append_dimension(sheet_id, "COLUMNS", len(header) - tab.column_count))
    out += updates
    return out


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def expiry_colours(sheet_id: int, position: Mapping[str, int]) -> list[dict[str, Any]]:
    """Rows expiring soon highlighted, expired ones greyed, by the expiry_status column."""
    column = _column_letter(position["expiry_status"])
    whole_rows = {"sheetId": sheet_id, "startRowIndex": 1}
    rules = (
        (ExpiryStatus.EXPIRING, {"backgroundColor": {"red": 1.0, "green": 0.95, "blue": 0.6}}),
        (
            ExpiryStatus.EXPIRED,
            {
                "backgroundColor": {"red": 0.9, "green": 0.9, "blue": 0.9},
                "textFormat": {"foregroundColor": {"red": 0.5, "green": 0.5, "blue": 0.5}},
            },
        ),
    )
    return [
        {
            "addConditionalFormatRule": {
                "index": i,
                "rule": {
                    "ranges": [whole_rows],
                    "booleanRule": {
                        "condition": {
                            "type": "CUSTOM_FORMULA",
                            "values": [{"userEnteredValue": f'=${column}2="{status.value}"'}],
                        },
                        "format": fmt,
                    },
                },
            }
        }
        for i, (status, fmt) in enumerate(rules)
    ]


def status_dropdown(sheet_id: int, position: Mapping[str, int]) -> list[dict[str, Any]]:
    """The review tab's Status column as a dropdown: open, resolved, ignored."""
    col = position["status"]
    return [
        {
            "setDataValidation": {
                "range": {
                    "sheetId": sheet_id,
                    "startRowIndex": 1,
                    "startColumnIndex": col,
                    "endColumnIndex": col + 1,
                },
                "rule": {
                    "condition": {
                        "type": "ONE_OF_LIST",
                        "values": [{"userEnteredValue": v.value} for v in ReviewStatus],
                    },
                    "strict": True,
                    "showCustomUi": True,
                },
            }
        }
    ]


def bodies(requests_: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """batchUpdate bodies under the size limit, in order; usually exactly one."""
    bodies: list[list[dict[str, Any]]] = []
    size = _MAX_BODY
    for request in requests_:
        n = len(json.dumps(request, separators=(",", ":")))
        if size + n > _MAX_BODY:
            bodies.append([])
            size = 0
        bodies[-1].append(request)
        size += n
    return bodies


def _cell_runs(
    sheet_id: int, row: int, cells: Mapping[int, tuple[str, str]]
) -> list[dict[str, Any]]:
    """Contiguous runs of changed cells, one updateCells request each."""
    out: list[dict[str, Any]] = []
    run: list[int] = []
    for col in [*sorted(cells), None]:
        if run and (col is None or col != run[-1] + 1):
            values = [_value(cells[c][1], cells[c][0]) for c in run]
            out.append(_update_row(sheet_id, row, run[0], values))
            run = []
        if col is not None:
            run.append(col)
    return out


def _value(text: str, column: str) -> dict[str, Any]:
    """A cell in the API's RAW form: text stays text, a period is a number people can sort."""
    if column in _NUMERIC and text.isdigit():
        return {"userEnteredValue": {"numberValue": int(text)}}
    return {"userEnteredValue": {"stringValue": text}} if text else {}


def _freeze_header(sheet_id: int) -> dict[str, Any]:
    return {
        "updateSheetProperties": {
            "properties": {"sheetId": sheet_id, "gridProperties": {"frozenRowCount": 1}},
            "fields": "gridProperties.frozenRowCount",
        }
    }


def _update_row(sheet_id: int, row: int, col: int, values: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "updateCells": {
            "start": {"sheetId": sheet_id, "rowIndex": row, "columnIndex": col},
            "rows": [{"values": values}],
            "fields": "userEnteredValue",
        }
    }


def _append_dimension(sheet_id: int, dimension: str, length: int) -> dict[str, Any]:
    return {"appendDimension": {"sheetId": sheet_id, "dimension": dimension, "length": length}}
