"""In-memory spreadsheets and the Sheets / Drive operations on them (no HTTP here).

Every public operation takes already-decoded inputs, returns the JSON body Google would
return, and raises :class:`ApiError` with Google's error shape otherwise. Callers must
hold the emulator lock.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
import re
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .a1 import A1Range, RangeParseError, col_to_letters, format_range, parse_a1
from .cells import Cell, cell_from_extended, extended_value, formatted, make_cell, render
from .masks import MaskTree, filter_by_mask, mask_mentions, parse_mask, update_by_mask

DEFAULT_ROWS = 1000
DEFAULT_COLS = 26
DEFAULT_ROW_PIXELS = 21
DEFAULT_COL_PIXELS = 100
MAX_CELLS = 10_000_000
SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"

Json = dict[str, Any]
Pos = tuple[int, int]

_STATUS_BY_CODE = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


class ApiError(Exception):
    """An error response: ``{"error": {"code", "message", "status"[, "details"]}}``."""

    def __init__(
        self,
        code: int,
        message: str,
        status: str | None = None,
        details: list[Json] | None = None,
        extra: Json | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or _STATUS_BY_CODE.get(code, "UNKNOWN")
        self.details = details
        self.extra = extra

    def body(self) -> Json:
        err: Json = {"code": self.code, "message": self.message}
        if self.extra:
            err.update(self.extra)
        if self.status:
            err["status"] = self.status
        if self.details:
            err["details"] = self.details
        return {"error": err}


def bad_request(message: str, details: list[Json] | None = None) -> ApiError:
    return ApiError(400, message, "INVALID_ARGUMENT", details)


def not_found() -> ApiError:
    return ApiError(404, "Requested entity was not found.", "NOT_FOUND")


def permission_denied() -> ApiError:
    return ApiError(403, "The caller does not have permission", "PERMISSION_DENIED")


def drive_not_found(file_id: str) -> ApiError:
    message = f"File not found: {file_id}."
    return ApiError(
        404,
        message,
        status="",
        extra={
            "errors": [
                {
                    "message": message,
                    "domain": "global",
                    "reason": "notFound",
                    "location": "fileId",
                    "locationType": "parameter",
                }
            ]
        },
    )


def _now() -> str:
    now = dt.datetime.now(dt.UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


# ---------------------------------------------------------------------------------------
# Google's defaults for a new spreadsheet (as returned by spreadsheets.get)
# ---------------------------------------------------------------------------------------


def _rgb(red: float, green: float, blue: float) -> Json:
    color: Json = {}
    for key, value in (("red", red), ("green", green), ("blue", blue)):
        if value:
            color[key] = value
    return color


DEFAULT_FORMAT: Json = {
    "backgroundColor": {"red": 1, "green": 1, "blue": 1},
    "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
    "verticalAlignment": "BOTTOM",
    "wrapStrategy": "OVERFLOW_CELL",
    "textFormat": {
        "foregroundColor": {},
        "fontFamily": "arial,sans,sans-serif",
        "fontSize": 10,
        "bold": False,
        "italic": False,
        "strikethrough": False,
        "underline": False,
        "foregroundColorStyle": {"rgbColor": {}},
    },
    "backgroundColorStyle": {"rgbColor": {"red": 1, "green": 1, "blue": 1}},
}

DEFAULT_THEME: Json = {
    "primaryFontFamily": "Arial",
    "themeColors": [
        {"colorType": "TEXT", "color": {"rgbColor": {}}},
        {"colorType": "BACKGROUND", "color": {"rgbColor": _rgb(1, 1, 1)}},
        {"colorType": "ACCENT1", "color": {"rgbColor": _rgb(0.25882354, 0.52156866, 0.95686275)}},
        {"colorType": "ACCENT2", "color": {"rgbColor": _rgb(0.91764706, 0.2627451, 0.20784314)}},
        {"colorType": "ACCENT3", "color": {"rgbColor": _rgb(0.9843137, 0.7372549, 0.015686275)}},
        {"colorType": "ACCENT4", "color": {"rgbColor": _rgb(0.20392157, 0.65882355, 0.3254902)}},
        {"colorType": "ACCENT5", "color": {"rgbColor": _rgb(1, 0.42745098, 0.003921569)}},
        {"colorType": "ACCENT6", "color": {"rgbColor": _rgb(0.27450982, 0.7411765, 0.7764706)}},
        {"colorType": "LINK", "color": {"rgbColor": _rgb(0.06666667, 0.33333334, 0.8)}},
    ],
}


def _float32(value: float) -> float | int:
    """Shortest decimal that round-trips through float32 (how Google echoes colors)."""
    f32: float = struct.unpack("f", struct.pack("f", value))[0]
    for precision in range(1, 10):
        candidate = float(f"{f32:.{precision}g}")
        if struct.unpack("f", struct.pack("f", candidate))[0] == f32:
            return int(candidate) if candidate == int(candidate) else candidate
    return f32


def normalize_color(color: Mapping[str, Any]) -> Json:
    """Colors are stored with 8 bits per channel; zero channels are omitted."""
    out: Json = {}
    for key in ("red", "green", "blue", "alpha"):
        value = color.get(key)
        if value is None:
            continue
        if key != "alpha":
            value = int(float(value) * 255 + 1e-6) / 255
        normalized = _float32(float(value))
        if normalized:
            out[key] = normalized
    return out


def normalize_colors(obj: Any) -> Any:
    """Quantize every color in a format/rule and mirror ``fooColor`` <-> ``fooColorStyle``
    (``rgbColor``), as Google echoes them."""
    if isinstance(obj, list):
        return [normalize_colors(item) for item in obj]
    if not isinstance(obj, dict):
        return obj
    out: Json = {}
    for key, value in obj.items():
        is_color = key in ("rgbColor", "color") or key.endswith("Color")
        if is_color and isinstance(value, dict):
            out[key] = normalize_color(value)
        else:
            out[key] = normalize_colors(value)
    for key in list(out):
        value = out[key]
        if key != "rgbColor" and (key == "color" or key.endswith("Color")):
            style_key = key + "Style"
            if isinstance(value, dict) and style_key not in out:
                out[style_key] = {"rgbColor": dict(value)}
        elif key.endswith("ColorStyle") or key == "colorStyle":
            base = key[: -len("Style")]
            rgb = value.get("rgbColor") if isinstance(value, dict) else None
            if isinstance(rgb, dict) and base not in out:
                out[base] = dict(rgb)
    return out


# ---------------------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------------------


@dataclass
class Sheet:
    properties: Json
    cells: dict[Pos, Cell] = field(default_factory=dict)
    # per-cell userEnteredFormat / note / dataValidation
    extras: dict[Pos, Json] = field(default_factory=dict)
    row_meta: dict[int, Json] = field(default_factory=dict)
    col_meta: dict[int, Json] = field(default_factory=dict)
    conditional_formats: list[Json] = field(default_factory=list)

    @property
    def sheet_id(self) -> int:
        return int(self.properties["sheetId"])

    @property
    def title(self) -> str:
        return str(self.properties["title"])

    @property
    def index(self) -> int:
        return int(self.properties.get("index", 0))

    @property
    def grid(self) -> Json:
        grid: Json = self.properties.setdefault("gridProperties", {})
        return grid

    @property
    def row_count(self) -> int:
        return int(self.grid.get("rowCount", 0))

    @property
    def col_count(self) -> int:
        return int(self.grid.get("columnCount", 0))


@dataclass
class Spreadsheet:
    id: str
    properties: Json
    sheets: list[Sheet]
    shared: bool = True
    created_time: str = field(default_factory=_now)
    modified_time: str = field(default_factory=_now)
    rng: random.Random = field(default_factory=random.Random)

    @property
    def title(self) -> str:
        return str(self.properties["title"])

    def ordered(self) -> list[Sheet]:
        return sorted(self.sheets, key=lambda s: s.index)

    def sheet_by_id(self, sheet_id: int) -> Sheet | None:
        return next((s for s in self.sheets if s.sheet_id == sheet_id), None)

    def sheet_by_title(self, title: str) -> Sheet | None:
        exact = next((s for s in self.sheets if s.title == title), None)
        if exact is not None:
            return exact
        folded = title.casefold()
        return next((s for s in self.sheets if s.title.casefold() == folded), None)

    def touch(self) -> None:
        self.modified_time = _now()


def clean_sheet_properties(props: Mapping[str, Any]) -> Json:
    """Drop proto3 defaults (0 / false) the way Google omits them in responses."""
    out = copy.deepcopy(dict(props))
    grid = out.get("gridProperties")
    if isinstance(grid, dict):
        for key in (
            "frozenRowCount",
            "frozenColumnCount",
            "hideGridlines",
            "rowGroupControlAfter",
            "columnGroupControlAfter",
        ):
            if not grid.get(key):
                grid.pop(key, None)
    for key in ("hidden", "rightToLeft"):
        if not out.get(key):
            out.pop(key, None)
    return out


def clean_grid_range(grid_range: Mapping[str, Any]) -> Json:
    out = {k: v for k, v in grid_range.items() if v is not None}
    if not out.get("sheetId"):
        out.pop("sheetId", None)
    return out


def _sheet_defaults(
    sheet_id: int, title: str, index: int, rows: int = DEFAULT_ROWS, cols: int = DEFAULT_COLS
) -> Json:
    return {
        "sheetId": sheet_id,
        "title": title,
        "index": index,
        "sheetType": "GRID",
        "gridProperties": {"rowCount": rows, "columnCount": cols},
    }


# ---------------------------------------------------------------------------------------
# Value helpers
# ---------------------------------------------------------------------------------------


def _values_type_error(path: str, value: Any) -> ApiError:
    import json

    shown = json.dumps(value, ensure_ascii=False)
    message = f"Invalid value at '{path}' (type.googleapis.com/google.protobuf.ListValue), {shown}"
    return bad_request(
        message,
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": path, "description": message}],
            }
        ],
    )


def validate_values(values: Any, path: str) -> list[list[Any]]:
    """Check ``values`` is a list of lists (Google rejects anything else)."""
    if values is None:
        return []
    if not isinstance(values, list):
        raise _values_type_error(path, values)
    for i, row in enumerate(values):
        if not isinstance(row, list):
            raise _values_type_error(f"{path}[{i}]", row)
    return values


def to_row_major(values: list[list[Any]], major: str | None) -> list[list[Any]]:
    if (major or "ROWS") != "COLUMNS":
        return values
    height = max((len(col) for col in values), default=0)
    return [[col[r] if r < len(col) else None for col in values] for r in range(height)]


def _input_option(params: Mapping[str, str | None], key: str = "valueInputOption") -> str:
    option = params.get(key)
    if option not in ("RAW", "USER_ENTERED"):
        shown = option or "INPUT_VALUE_OPTION_UNSPECIFIED"
        raise bad_request(f"Invalid valueInputOption: {shown}")
    return option


# ---------------------------------------------------------------------------------------
# The store
# ---------------------------------------------------------------------------------------


@dataclass
class WriteResult:
    sheet: Sheet
    bounds: tuple[int, int, int, int]
    rows_hit: frozenset[int]
    cols_hit: frozenset[int]
    cells: int

    @property
    def rows(self) -> int:
        return len(self.rows_hit)

    @property
    def cols(self) -> int:
        return len(self.cols_hit)

    def as_json(self, spreadsheet_id: str) -> Json:
        out: Json = {
            "spreadsheetId": spreadsheet_id,
            "updatedRange": format_range(self.sheet.title, *self.bounds),
        }
        if self.rows:
            out["updatedRows"] = self.rows
        if self.cols:
            out["updatedColumns"] = self.cols
        if self.cells:
            out["updatedCells"] = self.cells
        return out


class Store:
    """All spreadsheets of one emulator."""

    def __init__(self, seed: int = 0) -> None:
        self.spreadsheets: dict[str, Spreadsheet] = {}
        self._rng = random.Random(seed)

    # ----------------------------------------------------------------- lifecycle

    def new_id(self) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        while True:
            candidate = "1" + "".join(self._rng.choice(alphabet) for _ in range(43))
            if candidate not in self.spreadsheets:
                return candidate

    def create(
        self,
        title: str,
        sheets: Sequence[Json] | None = None,
        *,
        spreadsheet_id: str | None = None,
        shared: bool = True,
        locale: str = "en_US",
        time_zone: str = "Etc/GMT",
    ) -> Spreadsheet:
        sid = spreadsheet_id or self.new_id()
        if sid in self.spreadsheets:
            raise ValueError(f"spreadsheet {sid!r} already exists")
        ss = Spreadsheet(
            id=sid,
            properties={
                "title": title,
                "locale": locale,
                "autoRecalc": "ON_CHANGE",
                "timeZone": time_zone,
            },
            sheets=[],
            shared=shared,
            rng=random.Random(self._rng.random()),
        )
        specs = list(sheets) if sheets else [{"title": "Sheet1"}]
        for i, spec in enumerate(specs):
            props = _sheet_defaults(
                int(spec.get("sheetId", 0 if i == 0 else self._new_sheet_id(ss))),
                str(spec.get("title", f"Sheet{i + 1}")),
                i,
                int(spec.get("rowCount", DEFAULT_ROWS)),
                int(spec.get("columnCount", DEFAULT_COLS)),
            )
            for key in ("frozenRowCount", "frozenColumnCount"):
                if spec.get(key):
                    props["gridProperties"][key] = int(spec[key])
            if spec.get("hidden"):
                props["hidden"] = True
            if ss.sheet_by_id(props["sheetId"]) or ss.sheet_by_title(props["title"]):
                raise ValueError(f"duplicate sheet {props['title']!r} / {props['sheetId']}")
            ss.sheets.append(Sheet(properties=props))
        self.spreadsheets[sid] = ss
        return ss

    def _new_sheet_id(self, ss: Spreadsheet) -> int:
        while True:
            candidate = ss.rng.randint(1, 2**31 - 1)
            if ss.sheet_by_id(candidate) is None:
                return candidate

    def get(self, spreadsheet_id: str) -> Spreadsheet:
        ss = self.spreadsheets.get(spreadsheet_id)
        if ss is None:
            raise not_found()
        if not ss.shared:
            raise permission_denied()
        return ss

    # ----------------------------------------------------------------- ranges

    def resolve(self, ss: Spreadsheet, text: str) -> tuple[Sheet, A1Range]:
        try:
            parsed = parse_a1(text)
        except RangeParseError:
            raise bad_request(f"Unable to parse range: {text}") from None
        if parsed.sheet is None:  # "A1:B2" means the first visible sheet
            ordered = ss.ordered()
            sheet = next((s for s in ordered if not s.properties.get("hidden")), ordered[0])
        else:
            found = ss.sheet_by_title(parsed.sheet)
            if found is None:
                raise bad_request(f"Unable to parse range: {text}")
            sheet = found
        return sheet, parsed

    def bounds(self, sheet: Sheet, parsed: A1Range) -> tuple[int, int, int, int]:
        """Clamp open ends to the grid; a range reaching past the grid is an error."""
        r0 = parsed.start_row or 0
        c0 = parsed.start_col or 0
        r1 = parsed.end_row if parsed.end_row is not None else sheet.row_count
        c1 = parsed.end_col if parsed.end_col is not None else sheet.col_count
        if r1 > sheet.row_count or c1 > sheet.col_count or r0 >= r1 or c0 >= c1:
            raise self.grid_error(sheet, (r0, c0, max(r1, r0 + 1), max(c1, c0 + 1)))
        return r0, c0, r1, c1

    @staticmethod
    def grid_error(sheet: Sheet, bounds: tuple[int, int, int, int]) -> ApiError:
        return bad_request(
            f"Range ({format_range(sheet.title, *bounds)}) exceeds grid limits. "
            f"Max rows: {sheet.row_count}, max columns: {sheet.col_count}"
        )

    # ----------------------------------------------------------------- reading

    def read(
        self,
        sheet: Sheet,
        bounds: tuple[int, int, int, int],
        major: str = "ROWS",
        value_render: str = "FORMATTED_VALUE",
        date_render: str = "SERIAL_NUMBER",
    ) -> list[list[Any]]:
        """Values in ``bounds`` with Google's trimming of trailing empty rows/cells."""
        r0, c0, r1, c1 = bounds
        found = {
            (r, c): cell for (r, c), cell in sheet.cells.items() if r0 <= r < r1 and c0 <= c < c1
        }
        if not found:
            return []
        if major == "COLUMNS":
            cols: dict[int, dict[int, Any]] = {}
            for (r, c), cell in found.items():
                cols.setdefault(c, {})[r] = render(cell, value_render, date_render)
            out_cols: list[list[Any]] = []
            for c in range(c0, max(cols) + 1):
                col = cols.get(c, {})
                out_cols.append([col.get(r, "") for r in range(r0, max(col) + 1)] if col else [])
            return out_cols
        rows: dict[int, dict[int, Any]] = {}
        for (r, c), cell in found.items():
            rows.setdefault(r, {})[c] = render(cell, value_render, date_render)
        out: list[list[Any]] = []
        for r in range(r0, max(rows) + 1):
            row = rows.get(r, {})
            out.append([row.get(c, "") for c in range(c0, max(row) + 1)] if row else [])
        return out

    def value_range(
        self,
        ss: Spreadsheet,
        range_text: str,
        params: Mapping[str, str | None],
    ) -> Json:
        sheet, parsed = self.resolve(ss, range_text)
        bounds = self.bounds(sheet, parsed)
        major = params.get("majorDimension") or "ROWS"
        values = self.read(
            sheet,
            bounds,
            major,
            params.get("valueRenderOption") or "FORMATTED_VALUE",
            params.get("dateTimeRenderOption") or "SERIAL_NUMBER",
        )
        out: Json = {"range": format_range(sheet.title, *bounds), "majorDimension": major}
        if values:
            out["values"] = values
        return out

    # ----------------------------------------------------------------- writing

    def write(
        self,
        sheet: Sheet,
        top: int,
        left: int,
        values: list[list[Any]],
        input_option: str,
    ) -> WriteResult:
        """Write a row-major matrix at (top, left). ``None`` leaves a cell unchanged."""
        height = len(values)
        width = max((len(row) for row in values), default=0)
        if top + height > sheet.row_count or left + width > sheet.col_count:
            raise self.grid_error(sheet, (top, left, top + max(height, 1), left + max(width, 1)))
        rows_touched: set[int] = set()
        cols_touched: set[int] = set()
        count = 0
        for i, row in enumerate(values):
            for j, value in enumerate(row):
                if value is None:
                    continue
                pos = (top + i, left + j)
                cell = make_cell(value, input_option)
                if cell is None:
                    sheet.cells.pop(pos, None)
                else:
                    sheet.cells[pos] = cell
                rows_touched.add(top + i)
                cols_touched.add(left + j)
                count += 1
        bounds = (top, left, top + max(height, 1), left + max(width, 1))
        return WriteResult(sheet, bounds, frozenset(rows_touched), frozenset(cols_touched), count)

    def values_update(
        self,
        ss: Spreadsheet,
        range_text: str,
        body: Json,
        params: Mapping[str, str | None],
        value_path: str = "data.values",
    ) -> Json:
        values = validate_values(body.get("values"), value_path)
        input_option = _input_option(params)
        values = to_row_major(values, body.get("majorDimension"))
        sheet, parsed = self.resolve(ss, range_text)
        result = self._update_values(sheet, parsed, range_text, values, input_option)
        ss.touch()
        out = result.as_json(ss.id)
        if str(params.get("includeValuesInResponse", "")).lower() == "true":
            out["updatedData"] = self._updated_data(sheet, result.bounds, params)
        return out

    def _update_values(
        self,
        sheet: Sheet,
        parsed: A1Range,
        range_text: str,
        values: list[list[Any]],
        input_option: str,
    ) -> WriteResult:
        top = parsed.start_row or 0
        left = parsed.start_col or 0
        height = len(values)
        width = max((len(row) for row in values), default=0)
        shown = range_text
        single_cell = (
            parsed.end_row is not None
            and parsed.end_col is not None
            and parsed.end_row - top == 1
            and parsed.end_col - left == 1
        )
        if single_cell:
            # a single cell is only the anchor of the written block
            parsed = A1Range(parsed.sheet, top, left, None, None)
        if parsed.end_row is not None and top + height > parsed.end_row:
            raise bad_request(
                f"Requested writing within range [{shown}], but tried writing to row "
                f"[{parsed.end_row + 1}]"
            )
        if parsed.end_col is not None and left + width > parsed.end_col:
            raise bad_request(
                f"Requested writing within range [{shown}], but tried writing to column "
                f"[{col_to_letters(parsed.end_col)}]"
            )
        self.bounds(sheet, parsed)  # the requested range itself must fit the grid
        return self.write(sheet, top, left, values, input_option)

    def _updated_data(
        self, sheet: Sheet, bounds: tuple[int, int, int, int], params: Mapping[str, str | None]
    ) -> Json:
        data: Json = {"range": format_range(sheet.title, *bounds), "majorDimension": "ROWS"}
        values = self.read(
            sheet,
            bounds,
            "ROWS",
            params.get("responseValueRenderOption") or "FORMATTED_VALUE",
            params.get("responseDateTimeRenderOption") or "SERIAL_NUMBER",
        )
        if values:
            data["values"] = values
        return data

    def values_batch_update(self, ss: Spreadsheet, body: Json) -> Json:
        input_option = _input_option(body)
        data = body.get("data") or []
        snapshot = copy.deepcopy(ss)
        responses: list[Json] = []
        results: list[WriteResult] = []
        try:
            for i, entry in enumerate(data):
                values = validate_values(entry.get("values"), f"data[{i}].values")
                values = to_row_major(values, entry.get("majorDimension"))
                range_text = str(entry.get("range", ""))
                sheet, parsed = self.resolve(ss, range_text)
                result = self._update_values(sheet, parsed, range_text, values, input_option)
                results.append(result)
                response = result.as_json(ss.id)
                if body.get("includeValuesInResponse"):
                    response["updatedData"] = self._updated_data(
                        sheet,
                        result.bounds,
                        {
                            "responseValueRenderOption": body.get("responseValueRenderOption"),
                            "responseDateTimeRenderOption": body.get(
                                "responseDateTimeRenderOption"
                            ),
                        },
                    )
                responses.append(response)
        except ApiError:
            self._restore(ss, snapshot)
            raise
        out: Json = {"spreadsheetId": ss.id}
        rows_hit = {(r.sheet.sheet_id, row) for r in results for row in r.rows_hit}
        cols_hit = {(r.sheet.sheet_id, col) for r in results for col in r.cols_hit}
        totals = (
            ("totalUpdatedRows", len(rows_hit)),
            ("totalUpdatedColumns", len(cols_hit)),
            ("totalUpdatedCells", sum(r.cells for r in results)),
            ("totalUpdatedSheets", len({r.sheet.sheet_id for r in results if r.cells})),
        )
        for key, value in totals:
            if value:
                out[key] = value
        if responses:
            out["responses"] = responses
        ss.touch()
        return out

    def _restore(self, ss: Spreadsheet, snapshot: Spreadsheet) -> None:
        ss.properties = snapshot.properties
        ss.sheets = snapshot.sheets

    # ----------------------------------------------------------------- append

    @staticmethod
    def _tables(sheet: Sheet) -> list[tuple[int, int, int, int]]:
        """Bounding boxes (r0, c0, r1, c1 half-open) of blocks of touching non-empty
        cells (8-neighbourhood), merged while their boxes overlap."""
        remaining = set(sheet.cells)
        boxes: list[list[int]] = []
        while remaining:
            start = remaining.pop()
            stack = [start]
            box = [start[0], start[1], start[0] + 1, start[1] + 1]
            while stack:
                r, c = stack.pop()
                box = [min(box[0], r), min(box[1], c), max(box[2], r + 1), max(box[3], c + 1)]
                for dr in (-1, 0, 1):
                    for dc in (-1, 0, 1):
                        nxt = (r + dr, c + dc)
                        if nxt in remaining:
                            remaining.remove(nxt)
                            stack.append(nxt)
            boxes.append(box)
        merged = True
        while merged:
            merged = False
            for i in range(len(boxes)):
                for j in range(i + 1, len(boxes)):
                    a, b = boxes[i], boxes[j]
                    if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                        boxes[i] = [
                            min(a[0], b[0]),
                            min(a[1], b[1]),
                            max(a[2], b[2]),
                            max(a[3], b[3]),
                        ]
                        del boxes[j]
                        merged = True
                        break
                if merged:
                    break
        return [(b[0], b[1], b[2], b[3]) for b in boxes]

    def values_append(
        self, ss: Spreadsheet, range_text: str, body: Json, params: Mapping[str, str | None]
    ) -> Json:
        values = validate_values(body.get("values"), "data.values")
        input_option = _input_option(params)
        values = to_row_major(values, body.get("majorDimension"))
        insert_option = params.get("insertDataOption") or "OVERWRITE"
        if insert_option not in ("OVERWRITE", "INSERT_ROWS"):
            raise bad_request(f"Invalid insertDataOption: {insert_option}")
        sheet, parsed = self.resolve(ss, range_text)
        r0, c0, r1, c1 = self.bounds(sheet, parsed)
        # The "table" is the last block of data (by bottom row, then left column) that
        # touches the searched range; new rows go right below it, from its first column.
        candidates = [
            t for t in self._tables(sheet) if t[0] < r1 and r0 < t[2] and t[1] < c1 and c0 < t[3]
        ]
        table = max(candidates, key=lambda t: (t[2], t[1])) if candidates else None
        if table is not None:
            top, left = table[2], table[1]
        else:
            top, left = r0, c0
        height = len(values)
        width = max((len(row) for row in values), default=0)
        if insert_option == "INSERT_ROWS" and height:
            self._check_cell_limit(ss, extra=height * sheet.col_count)
            _shift(sheet, "ROWS", top, height)
            sheet.grid["rowCount"] = sheet.row_count + height
        need_rows = max(0, top + height - sheet.row_count)
        need_cols = max(0, left + width - sheet.col_count)
        if need_rows or need_cols:
            self._check_cell_limit(
                ss,
                extra=(sheet.row_count + need_rows) * (sheet.col_count + need_cols)
                - sheet.row_count * sheet.col_count,
            )
            sheet.grid["rowCount"] = sheet.row_count + need_rows
            sheet.grid["columnCount"] = sheet.col_count + need_cols
        result = self.write(sheet, top, left, values, input_option)
        ss.touch()
        updates = result.as_json(ss.id)
        if str(params.get("includeValuesInResponse", "")).lower() == "true":
            updates["updatedData"] = self._updated_data(sheet, result.bounds, params)
        out: Json = {"spreadsheetId": ss.id}
        if table is not None:
            out["tableRange"] = format_range(sheet.title, *table)
        out["updates"] = updates
        return out

    def _check_cell_limit(self, ss: Spreadsheet, extra: int, prefix: str = "") -> None:
        total = sum(s.row_count * s.col_count for s in ss.sheets) + extra
        if total > MAX_CELLS:
            raise bad_request(
                f"{prefix}This action would increase the number of cells in the workbook "
                f"above the limit of {MAX_CELLS} cells."
            )

    # ----------------------------------------------------------------- clearing

    def clear(self, ss: Spreadsheet, range_text: str) -> str:
        sheet, parsed = self.resolve(ss, range_text)
        r0, c0, r1, c1 = self.bounds(sheet, parsed)
        for pos in [p for p in sheet.cells if r0 <= p[0] < r1 and c0 <= p[1] < c1]:
            del sheet.cells[pos]
        ss.touch()
        return format_range(sheet.title, r0, c0, r1, c1)

    def values_batch_clear(self, ss: Spreadsheet, body: Json) -> Json:
        ranges = body.get("ranges") or []
        snapshot = copy.deepcopy(ss)
        try:
            cleared = [self.clear(ss, str(r)) for r in ranges]
        except ApiError:
            self._restore(ss, snapshot)
            raise
        out: Json = {"spreadsheetId": ss.id}
        if cleared:
            out["clearedRanges"] = cleared
        return out

    # ----------------------------------------------------------------- spreadsheets.get

    def spreadsheet_json(
        self,
        ss: Spreadsheet,
        *,
        include_grid_data: bool = False,
        ranges: Sequence[str] = (),
        fields: str | None = None,
    ) -> Json:
        tree: MaskTree | None = None
        if fields:
            try:
                tree = parse_mask(fields)
            except ValueError:
                raise bad_request(f"Invalid field selection {fields}") from None
        want_grid = include_grid_data or (
            tree is not None and "*" not in tree and mask_mentions(tree, "sheets", "data")
        )
        # ranges select which sheets (and which part of their grid) are returned
        selected: dict[int, list[tuple[int, int, int, int]]] = {}
        for text in ranges:
            sheet, parsed = self.resolve(ss, text)
            selected.setdefault(sheet.sheet_id, []).append(self.bounds(sheet, parsed))
        sheets_out: list[Json] = []
        for sheet in ss.ordered():
            if ranges and sheet.sheet_id not in selected:
                continue
            entry: Json = {"properties": clean_sheet_properties(sheet.properties)}
            if sheet.conditional_formats:
                entry["conditionalFormats"] = copy.deepcopy(sheet.conditional_formats)
            if want_grid:
                windows = selected.get(sheet.sheet_id) or [(0, 0, sheet.row_count, sheet.col_count)]
                entry["data"] = [self._grid_data(sheet, w) for w in windows]
            sheets_out.append(entry)
        props = copy.deepcopy(ss.properties)
        props["defaultFormat"] = copy.deepcopy(DEFAULT_FORMAT)
        props["spreadsheetTheme"] = copy.deepcopy(DEFAULT_THEME)
        out: Json = {
            "spreadsheetId": ss.id,
            "properties": props,
            "sheets": sheets_out,
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{ss.id}/edit",
        }
        if tree is not None:
            out = filter_by_mask(out, tree)
        return out

    def _grid_data(self, sheet: Sheet, window: tuple[int, int, int, int]) -> Json:
        r0, c0, r1, c1 = window
        data: Json = {}
        if r0:
            data["startRow"] = r0
        if c0:
            data["startColumn"] = c0
        by_row: dict[int, dict[int, Json]] = {}
        for pos in set(sheet.cells) | set(sheet.extras):
            r, c = pos
            if r0 <= r < r1 and c0 <= c < c1:
                cell_data = self.cell_data(sheet, pos)
                if cell_data:
                    by_row.setdefault(r, {})[c] = cell_data
        if by_row:
            row_data: list[Json] = []
            for r in range(r0, max(by_row) + 1):
                row = by_row.get(r)
                if not row:
                    row_data.append({})
                    continue
                row_data.append({"values": [row.get(c, {}) for c in range(c0, max(row) + 1)]})
            data["rowData"] = row_data
        data["rowMetadata"] = [
            self._dimension_meta(sheet.row_meta.get(r), DEFAULT_ROW_PIXELS) for r in range(r0, r1)
        ]
        data["columnMetadata"] = [
            self._dimension_meta(sheet.col_meta.get(c), DEFAULT_COL_PIXELS) for c in range(c0, c1)
        ]
        return data

    @staticmethod
    def _dimension_meta(meta: Json | None, default_pixels: int) -> Json:
        out: Json = {"pixelSize": default_pixels}
        if meta:
            out.update({k: v for k, v in meta.items() if v not in (False, None)})
        return out

    @staticmethod
    def cell_data(sheet: Sheet, pos: Pos) -> Json:
        out: Json = {}
        cell = sheet.cells.get(pos)
        if cell is not None:
            if cell.formula is not None:
                out["userEnteredValue"] = {"formulaValue": cell.formula}
            else:
                out["userEnteredValue"] = extended_value(cell.entered)
            out["effectiveValue"] = extended_value(cell.effective)
            out["formattedValue"] = formatted(cell)
        extra = sheet.extras.get(pos)
        if extra:
            out.update(copy.deepcopy(extra))
        return out

    # ----------------------------------------------------------------- batchUpdate

    def batch_update(self, ss: Spreadsheet, body: Json) -> Json:
        requests = body.get("requests") or []
        if not requests:
            raise bad_request("Must specify at least one request.")
        snapshot = copy.deepcopy(ss)
        replies: list[Json] = []
        try:
            for i, request in enumerate(requests):
                if not isinstance(request, dict) or len(request) != 1:
                    raise bad_request(
                        f"Invalid requests[{i}]: exactly one kind of request expected"
                    )
                ((kind, payload),) = request.items()
                handler = getattr(self, f"_req_{kind}", None)
                if handler is None:
                    raise bad_request(
                        f"Invalid requests[{i}]: the Sheets emulator does not implement '{kind}'"
                    )
                try:
                    replies.append(handler(ss, payload or {}))
                except ApiError as err:
                    if err.code == 400 and not err.message.startswith("Invalid requests["):
                        err.message = f"Invalid requests[{i}].{kind}: {err.message}"
                    raise
        except ApiError:
            self._restore(ss, snapshot)
            raise
        ss.touch()
        out: Json = {"spreadsheetId": ss.id, "replies": replies}
        if body.get("includeSpreadsheetInResponse"):
            out["updatedSpreadsheet"] = self.spreadsheet_json(
                ss, include_grid_data=bool(body.get("responseIncludeGridData"))
            )
        return out

    def _sheet(self, ss: Spreadsheet, sheet_id: Any) -> Sheet:
        sheet = ss.sheet_by_id(int(sheet_id or 0))
        if sheet is None:
            raise bad_request(f"No grid with id: {int(sheet_id or 0)}")
        return sheet

    def _grid_window(
        self, ss: Spreadsheet, grid_range: Json
    ) -> tuple[Sheet, tuple[int, int, int, int]]:
        sheet = self._sheet(ss, grid_range.get("sheetId"))
        r0 = int(grid_range.get("startRowIndex") or 0)
        c0 = int(grid_range.get("startColumnIndex") or 0)
        r1 = grid_range.get("endRowIndex")
        c1 = grid_range.get("endColumnIndex")
        r1 = sheet.row_count if r1 is None else int(r1)
        c1 = sheet.col_count if c1 is None else int(c1)
        if r1 > sheet.row_count or c1 > sheet.col_count or r0 < 0 or c0 < 0:
            raise self.grid_error(sheet, (r0, c0, max(r1, r0 + 1), max(c1, c0 + 1)))
        return sheet, (r0, c0, r1, c1)

    def _move_sheet(self, ss: Spreadsheet, sheet: Sheet, index: int | None) -> None:
        order = [s for s in ss.ordered() if s is not sheet]
        old = next((i for i, s in enumerate(ss.ordered()) if s is sheet), len(order))
        # indexes are "before the move": moving forward lands one slot earlier
        new = len(order) if index is None else (index - 1 if index > old else index)
        new = max(0, min(new, len(order)))
        order.insert(new, sheet)
        for i, s in enumerate(order):
            s.properties["index"] = i

    def _check_title(self, ss: Spreadsheet, title: Any, exclude: Sheet | None = None) -> str:
        if not isinstance(title, str) or not title.strip():
            raise bad_request("Sheet name cannot be empty.")
        for other in ss.sheets:
            if other is not exclude and other.title.casefold() == title.casefold():
                raise bad_request(
                    f'A sheet with the name "{title}" already exists. Please enter another name.'
                )
        return title

    def _normalize_sheet_props(self, props: Json) -> None:
        style = props.get("tabColorStyle")
        if isinstance(style, dict):
            rgb = style.get("rgbColor")
            if isinstance(rgb, dict):
                props["tabColorStyle"] = {"rgbColor": normalize_color(rgb)}
                props["tabColor"] = normalize_color(rgb)
            elif style.get("themeColor"):
                props.pop("tabColor", None)
            else:
                props.pop("tabColorStyle", None)
                props.pop("tabColor", None)
        elif isinstance(props.get("tabColor"), dict):
            color = normalize_color(props["tabColor"])
            props["tabColor"] = color
            props["tabColorStyle"] = {"rgbColor": dict(color)}

    def _req_addSheet(self, ss: Spreadsheet, payload: Json) -> Json:
        given = payload.get("properties") or {}
        sheet_id = given.get("sheetId")
        if sheet_id is None:
            sheet_id = self._new_sheet_id(ss)
        elif ss.sheet_by_id(int(sheet_id)) is not None:
            raise bad_request(f"Invalid sheet ID {sheet_id}: a sheet with this ID already exists.")
        title = given.get("title")
        if title is None:
            n = len(ss.sheets) + 1
            while ss.sheet_by_title(f"Sheet{n}") is not None:
                n += 1
            title = f"Sheet{n}"
        self._check_title(ss, title)
        grid = dict(given.get("gridProperties") or {})
        props = _sheet_defaults(
            int(sheet_id),
            title,
            len(ss.sheets),
            int(grid.pop("rowCount", DEFAULT_ROWS)),
            int(grid.pop("columnCount", DEFAULT_COLS)),
        )
        props["sheetType"] = given.get("sheetType", "GRID")
        props["gridProperties"].update(grid)
        for key, value in given.items():
            if key not in ("sheetId", "title", "index", "sheetType", "gridProperties"):
                props[key] = copy.deepcopy(value)
        self._normalize_sheet_props(props)
        self._check_cell_limit(
            ss, extra=props["gridProperties"]["rowCount"] * props["gridProperties"]["columnCount"]
        )
        sheet = Sheet(properties=props)
        ss.sheets.append(sheet)
        self._move_sheet(ss, sheet, given.get("index"))
        if props.get("hidden") and all(s.properties.get("hidden") for s in ss.sheets):
            raise bad_request("You can't hide all the sheets in a document.")
        return {"addSheet": {"properties": clean_sheet_properties(sheet.properties)}}

    def _req_deleteSheet(self, ss: Spreadsheet, payload: Json) -> Json:
        sheet = self._sheet(ss, payload.get("sheetId"))
        remaining = [s for s in ss.sheets if s is not sheet]
        if not remaining:
            raise bad_request("You can't remove all the sheets in a document.")
        if all(s.properties.get("hidden") for s in remaining):
            raise bad_request("You can't hide all the sheets in a document.")
        ss.sheets.remove(sheet)
        for i, s in enumerate(ss.ordered()):
            s.properties["index"] = i
        return {}

    def _req_updateSheetProperties(self, ss: Spreadsheet, payload: Json) -> Json:
        given = payload.get("properties") or {}
        fields = payload.get("fields")
        if not fields:
            raise bad_request("At least one field must be updated.")
        sheet = self._sheet(ss, given.get("sheetId"))
        before = copy.deepcopy(sheet.properties)
        updated = copy.deepcopy(sheet.properties)
        update_by_mask(updated, given, parse_mask(str(fields)))
        for key in ("sheetId", "sheetType"):
            if updated.get(key) != before.get(key):
                updated[key] = before[key]
        if updated.get("title") != before["title"]:
            self._check_title(ss, updated.get("title"), exclude=sheet)
        grid = updated.setdefault("gridProperties", {})
        for key, default in (("rowCount", sheet.row_count), ("columnCount", sheet.col_count)):
            grid.setdefault(key, default)
            if int(grid[key]) < 1:
                raise bad_request(f"Invalid {key}: {grid[key]}")
        raw_index = updated.get("index")
        new_index = int(before["index"] if raw_index is None else raw_index)
        updated["index"] = before["index"]
        self._normalize_sheet_props(updated)
        extra = (int(grid["rowCount"]) - sheet.row_count) * sheet.col_count + int(
            grid["rowCount"]
        ) * (int(grid["columnCount"]) - sheet.col_count)
        if extra > 0:
            self._check_cell_limit(ss, extra=extra)
        sheet.properties = updated
        _truncate(sheet)
        if new_index != before["index"]:
            self._move_sheet(ss, sheet, new_index)
        if all(s.properties.get("hidden") for s in ss.sheets):
            raise bad_request("You can't hide all the sheets in a document.")
        return {}

    def _req_updateSpreadsheetProperties(self, ss: Spreadsheet, payload: Json) -> Json:
        fields = payload.get("fields")
        if not fields:
            raise bad_request("At least one field must be updated.")
        update_by_mask(ss.properties, payload.get("properties") or {}, parse_mask(str(fields)))
        ss.properties.setdefault("title", "Untitled spreadsheet")
        return {}

    def _req_addConditionalFormatRule(self, ss: Spreadsheet, payload: Json) -> Json:
        rule = copy.deepcopy(payload.get("rule") or {})
        ranges = rule.get("ranges") or []
        if not ranges:
            raise bad_request("At least one range must be specified.")
        sheet = self._sheet(ss, ranges[0].get("sheetId"))
        for grid_range in ranges:
            self._grid_window(ss, grid_range)
        rule["ranges"] = [clean_grid_range(r) for r in ranges]
        rule = normalize_colors(rule)
        index = int(payload.get("index") or 0)
        sheet.conditional_formats.insert(min(index, len(sheet.conditional_formats)), rule)
        return {}

    def _req_updateConditionalFormatRule(self, ss: Spreadsheet, payload: Json) -> Json:
        sheet = self._sheet(ss, payload.get("sheetId"))
        index = int(payload.get("index") or 0)
        if not 0 <= index < len(sheet.conditional_formats):
            raise bad_request(f"No conditional format on sheet: {sheet.sheet_id} at index: {index}")
        old = sheet.conditional_formats[index]
        if "rule" in payload:
            rule = normalize_colors(copy.deepcopy(payload["rule"]))
            rule["ranges"] = [clean_grid_range(r) for r in rule.get("ranges") or []]
            target = self._sheet(ss, (rule["ranges"] or [{}])[0].get("sheetId"))
            del sheet.conditional_formats[index]
            target.conditional_formats.insert(index, rule)
            new = rule
        else:
            new_index = int(payload.get("newIndex") or 0)
            del sheet.conditional_formats[index]
            sheet.conditional_formats.insert(new_index, old)
            new = old
        return {"updateConditionalFormatRule": {"oldRule": old, "newRule": new}}

    def _req_deleteConditionalFormatRule(self, ss: Spreadsheet, payload: Json) -> Json:
        sheet = self._sheet(ss, payload.get("sheetId"))
        index = int(payload.get("index") or 0)
        if not 0 <= index < len(sheet.conditional_formats):
            raise bad_request(f"No conditional format on sheet: {sheet.sheet_id} at index: {index}")
        rule = sheet.conditional_formats.pop(index)
        return {"deleteConditionalFormatRule": {"rule": rule}}

    def _set_extra(self, sheet: Sheet, pos: Pos, key: str, value: Any) -> None:
        extra = sheet.extras.setdefault(pos, {})
        if value in (None, {}, ""):
            extra.pop(key, None)
        else:
            extra[key] = copy.deepcopy(value)
        if not extra:
            del sheet.extras[pos]

    def _req_setDataValidation(self, ss: Spreadsheet, payload: Json) -> Json:
        sheet, (r0, c0, r1, c1) = self._grid_window(ss, payload.get("range") or {})
        rule = payload.get("rule")
        for r in range(r0, r1):
            for c in range(c0, c1):
                self._set_extra(sheet, (r, c), "dataValidation", rule)
        return {}

    def _apply_cell_data(self, sheet: Sheet, pos: Pos, data: Json, tree: MaskTree) -> None:
        for key, sub in tree.items():
            if key in ("*", "userEnteredValue"):
                value = data.get("userEnteredValue")
                cell = cell_from_extended(value) if isinstance(value, dict) else None
                if cell is None:
                    sheet.cells.pop(pos, None)
                else:
                    sheet.cells[pos] = cell
                if key == "userEnteredValue":
                    continue
            keys = ("userEnteredFormat", "note", "dataValidation") if key == "*" else (key,)
            for k in keys:
                if k not in ("userEnteredFormat", "note", "dataValidation"):
                    continue  # read-only / unsupported CellData fields are ignored
                if sub is None or key == "*":
                    self._set_extra(sheet, pos, k, data.get(k))
                else:
                    current = copy.deepcopy(sheet.extras.get(pos, {}).get(k) or {})
                    source = data.get(k)
                    update_by_mask(current, source if isinstance(source, dict) else {}, sub)
                    self._set_extra(sheet, pos, k, current)
                if k == "userEnteredFormat" and pos in sheet.extras and k in sheet.extras[pos]:
                    sheet.extras[pos][k] = normalize_colors(sheet.extras[pos][k])

    def _req_repeatCell(self, ss: Spreadsheet, payload: Json) -> Json:
        sheet, (r0, c0, r1, c1) = self._grid_window(ss, payload.get("range") or {})
        fields = payload.get("fields")
        if not fields:
            raise bad_request("At least one field must be updated.")
        tree = parse_mask(str(fields))
        cell = payload.get("cell") or {}
        for r in range(r0, r1):
            for c in range(c0, c1):
                self._apply_cell_data(sheet, (r, c), cell, tree)
        return {}

    def _req_updateCells(self, ss: Spreadsheet, payload: Json) -> Json:
        fields = payload.get("fields")
        if not fields:
            raise bad_request("At least one field must be updated.")
        tree = parse_mask(str(fields))
        rows = payload.get("rows") or []
        if "range" in payload:
            sheet, (r0, c0, r1, c1) = self._grid_window(ss, payload["range"])
        else:
            start = payload.get("start") or {}
            sheet = self._sheet(ss, start.get("sheetId"))
            r0 = int(start.get("rowIndex") or 0)
            c0 = int(start.get("columnIndex") or 0)
            r1 = r0 + len(rows)
            c1 = c0 + max((len(row.get("values") or []) for row in rows), default=0)
            if r1 > sheet.row_count or c1 > sheet.col_count:
                raise self.grid_error(sheet, (r0, c0, r1, c1))
        for r in range(r0, r1):
            row = rows[r - r0] if r - r0 < len(rows) else {}
            values = row.get("values") or []
            for c in range(c0, c1):
                data = values[c - c0] if c - c0 < len(values) else {}
                self._apply_cell_data(sheet, (r, c), data, tree)
        return {}

    def _dimension(self, ss: Spreadsheet, dim_range: Json) -> tuple[Sheet, str, int, int]:
        sheet = self._sheet(ss, dim_range.get("sheetId"))
        dimension = dim_range.get("dimension")
        if dimension not in ("ROWS", "COLUMNS"):
            raise bad_request("Invalid dimension, must be ROWS or COLUMNS")
        size = sheet.row_count if dimension == "ROWS" else sheet.col_count
        start = int(dim_range.get("startIndex") or 0)
        end = dim_range.get("endIndex")
        end = size if end is None else int(end)
        if start < 0 or end < start:
            raise bad_request(f"Invalid dimension range: start {start}, end {end}")
        return sheet, dimension, start, end

    def _req_updateDimensionProperties(self, ss: Spreadsheet, payload: Json) -> Json:
        sheet, dimension, start, end = self._dimension(ss, payload.get("range") or {})
        size = sheet.row_count if dimension == "ROWS" else sheet.col_count
        if end > size:
            raise bad_request(
                f"Invalid dimension range: end index {end} is beyond the grid size {size}"
            )
        fields = payload.get("fields")
        if not fields:
            raise bad_request("At least one field must be updated.")
        tree = parse_mask(str(fields))
        meta = sheet.row_meta if dimension == "ROWS" else sheet.col_meta
        for i in range(start, end):
            current = meta.get(i, {})
            update_by_mask(current, payload.get("properties") or {}, tree)
            if current:
                meta[i] = current
            else:
                meta.pop(i, None)
        return {}

    def _req_autoResizeDimensions(self, ss: Spreadsheet, payload: Json) -> Json:
        sheet, dimension, start, end = self._dimension(ss, payload.get("dimensions") or {})
        if dimension == "COLUMNS":
            for c in range(start, min(end, sheet.col_count)):
                texts = [formatted(cell) for (r, cc), cell in sheet.cells.items() if cc == c]
                width = max((len(t) * 7 + 10 for t in texts), default=DEFAULT_COL_PIXELS)
                sheet.col_meta.setdefault(c, {})["pixelSize"] = width
        return {}

    def _req_insertDimension(self, ss: Spreadsheet, payload: Json) -> Json:
        sheet, dimension, start, end = self._dimension(ss, payload.get("range") or {})
        size = sheet.row_count if dimension == "ROWS" else sheet.col_count
        if start > size:
            raise bad_request(f"Invalid dimension range: start index {start} is beyond the grid")
        count = end - start
        other = sheet.col_count if dimension == "ROWS" else sheet.row_count
        self._check_cell_limit(ss, extra=count * other)
        _shift(sheet, dimension, start, count)
        key = "rowCount" if dimension == "ROWS" else "columnCount"
        sheet.grid[key] = size + count
        return {}

    def _req_deleteDimension(self, ss: Spreadsheet, payload: Json) -> Json:
        sheet, dimension, start, end = self._dimension(ss, payload.get("range") or {})
        size = sheet.row_count if dimension == "ROWS" else sheet.col_count
        end = min(end, size)
        if end - start >= size:
            noun = "rows" if dimension == "ROWS" else "columns"
            raise bad_request(f"You can't delete all the {noun} on the sheet.")
        _shift(sheet, dimension, end, start - end)
        key = "rowCount" if dimension == "ROWS" else "columnCount"
        sheet.grid[key] = size - (end - start)
        return {}

    def _req_appendDimension(self, ss: Spreadsheet, payload: Json) -> Json:
        sheet = self._sheet(ss, payload.get("sheetId"))
        length = int(payload.get("length") or 0)
        if length < 1:
            raise bad_request("Invalid length, must be at least 1")
        if payload.get("dimension") == "COLUMNS":
            self._check_cell_limit(ss, extra=length * sheet.row_count)
            sheet.grid["columnCount"] = sheet.col_count + length
        else:
            self._check_cell_limit(ss, extra=length * sheet.col_count)
            sheet.grid["rowCount"] = sheet.row_count + length
        return {}

    # ----------------------------------------------------------------- Drive

    def drive_file(self, ss: Spreadsheet) -> Json:
        return {
            "kind": "drive#file",
            "id": ss.id,
            "name": ss.title,
            "mimeType": SPREADSHEET_MIME,
            "createdTime": ss.created_time,
            "modifiedTime": ss.modified_time,
        }

    def drive_list(self, query: str | None) -> list[Json]:
        name = None
        if query:
            m = re.search(r"""name\s*=\s*(["'])((?:\\.|(?!\1).)*)\1""", query)
            if m:
                name = re.sub(r"\\(.)", r"\1", m.group(2))
        files = []
        for ss in self.spreadsheets.values():
            if not ss.shared or (name is not None and ss.title != name):
                continue
            files.append(self.drive_file(ss))
        return files


def _shift_bound(value: int | None, at: int, delta: int, is_end: bool) -> int | None:
    """Move a range bound for an insert (delta > 0 at ``at``) or a delete of
    ``[at + delta, at)`` (delta < 0)."""
    if value is None:
        return None
    if delta > 0:
        if value > at or (value == at and not is_end):
            return value + delta
        return value
    removed_start = at + delta
    if value <= removed_start:
        return value
    if value >= at:
        return value + delta
    return removed_start


def _shift(sheet: Sheet, dimension: str, at: int, delta: int) -> None:
    """Insert ``delta`` rows/columns before ``at`` (delta > 0) or delete the ``-delta``
    ones before ``at`` (delta < 0), moving values, per-cell extras, metadata and
    conditional-format ranges."""
    axis = 0 if dimension == "ROWS" else 1
    removed_start = at + delta if delta < 0 else at

    def move(mapping: dict[Pos, Any]) -> dict[Pos, Any]:
        moved: dict[Pos, Any] = {}
        for pos, value in mapping.items():
            i = pos[axis]
            if delta < 0 and removed_start <= i < at:
                continue
            if i >= at:
                i += delta
            new_pos = (i, pos[1]) if axis == 0 else (pos[0], i)
            moved[new_pos] = value
        return moved

    sheet.cells = move(sheet.cells)
    sheet.extras = move(sheet.extras)
    meta = sheet.row_meta if axis == 0 else sheet.col_meta
    new_meta: dict[int, Json] = {}
    for i, value in meta.items():
        if delta < 0 and removed_start <= i < at:
            continue
        new_meta[i + delta if i >= at else i] = value
    if axis == 0:
        sheet.row_meta = new_meta
    else:
        sheet.col_meta = new_meta
    start_key, end_key = (
        ("startRowIndex", "endRowIndex") if axis == 0 else ("startColumnIndex", "endColumnIndex")
    )
    for rule in sheet.conditional_formats:
        kept = []
        for grid_range in rule.get("ranges") or []:
            start = _shift_bound(grid_range.get(start_key), at, delta, is_end=False)
            end = _shift_bound(grid_range.get(end_key), at, delta, is_end=True)
            if start is not None and end is not None and end <= start:
                continue
            if start is not None:
                grid_range[start_key] = start
            if end is not None:
                grid_range[end_key] = end
            kept.append(grid_range)
        rule["ranges"] = kept
    sheet.conditional_formats = [r for r in sheet.conditional_formats if r["ranges"]]


def _truncate(sheet: Sheet) -> None:
    """Drop everything outside the grid after it shrank."""
    rows, cols = sheet.row_count, sheet.col_count
    sheet.cells = {p: v for p, v in sheet.cells.items() if p[0] < rows and p[1] < cols}
    sheet.extras = {p: v for p, v in sheet.extras.items() if p[0] < rows and p[1] < cols}
    sheet.row_meta = {i: v for i, v in sheet.row_meta.items() if i < rows}
    sheet.col_meta = {i: v for i, v in sheet.col_meta.items() if i < cols}
