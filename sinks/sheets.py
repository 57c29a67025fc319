"""Google Sheets through gspread: upsert into a sheet that people also edit by hand.

A run reads both tabs in one request and, if anything changed, writes everything in one
`spreadsheets.batchUpdate`: so a quiet run costs 1 request and a busy one 2, whatever the
number of rows (the first run on a new spreadsheet adds 1-2 to create the tabs). The sync
finds its columns by header name and writes only its own cells, so columns people added
(Status, Notes, Ad ID), their sorting and their filters survive. Cells are written as
`userEnteredValue.stringValue`, the API's RAW form: a subject such as `=IMPORTXML(...)` stays
text. 429 and 5xx answers are retried with capped exponential backoff and jitter (tenacity),
then reported as a retryable error, so the run leaves its state uncommitted.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import google.auth.exceptions
import gspread
import requests
import tenacity
from gspread.exceptions import APIError
from requests.adapters import HTTPAdapter

from parsers.records import CODE_TABLE, FAILURE_TABLE, ExpiryStatus, Extraction, ReviewStatus
from sinks import RetryableSinkError, TerminalSinkError, WriteStats
from sinks.upsert import Expiry, Record, merge

SHEETS_URL = "https://sheets.googleapis.com/"
ENDPOINT_ENV = "SPARKCODES_SHEETS_ENDPOINT"
REQUEST_TIMEOUT = (10.0, 120.0)  # connect, read (seconds)
_TRANSIENT_CODES = {408, 429, 500, 502, 503, 504}
_NUMERIC = {"duration_days"}
# Google refuses request bodies over 10 MiB and advises staying near 2 MB: new rows go in
# blocks, and a run whose changes are larger still (a first sync of many thousand rows) is
# split into several batchUpdate calls of at most _MAX_BODY bytes.
_ROWS_PER_BLOCK = 1000
_MAX_BODY = 8 * 1024 * 1024


class _Retarget(HTTPAdapter):
    """Send requests meant for Google to an emulator, as PUBSUB_EMULATOR_HOST does."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base.rstrip("/") + "/"

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        url = request.url or ""
        if url.startswith(SHEETS_URL):
            request.url = self.base + url[len(SHEETS_URL) :]
        return super().send(request, *args, **kwargs)


def make_client(credentials_file: Path | None, endpoint: str | None) -> gspread.Client:
    """A gspread client: for an emulator endpoint, without credentials; else from the file.

    The file may be a service account key (the common case) or an OAuth user token
    ("authorized_user", as `gcloud auth application-default login` writes).
    """
    endpoint = endpoint or os.environ.get(ENDPOINT_ENV)
    if endpoint:
        session = requests.Session()
        session.mount(SHEETS_URL, _Retarget(endpoint))
        return _with_timeout(gspread.Client(auth=None, session=session))  # type: ignore[arg-type]
    if credentials_file is None:
        raise TerminalSinkError("set sheets.credentials_file to a service account key file")
    try:
        info = json.loads(credentials_file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TerminalSinkError(
            f"cannot read sheets.credentials_file {credentials_file}: {exc.strerror or exc}"
        ) from exc
    except ValueError as exc:
        raise TerminalSinkError(f"{credentials_file} is not a JSON credentials file") from exc
    try:
        if not isinstance(info, dict):
            raise ValueError("not a JSON object")
        if info.get("type") == "service_account":
            return _with_timeout(gspread.service_account_from_dict(info))
        if info.get("type") == "authorized_user":
            from google.oauth2.credentials import Credentials

            creds = Credentials.from_authorized_user_info(info)  # type: ignore[no-untyped-call]
            return _with_timeout(gspread.authorize(creds))
    except (ValueError, KeyError) as exc:
        raise TerminalSinkError(f"{credentials_file} is not usable: {exc}") from exc
    raise TerminalSinkError(
        f"{credentials_file} is neither a service account key nor an OAuth user token"
    )


def _with_timeout(client: gspread.Client) -> gspread.Client:
    """gspread waits forever by default; a hung request would hold the run lock for good."""
    client.http_client.set_timeout(REQUEST_TIMEOUT)
    return client


def spreadsheet_key(value: str) -> str:
    """Accept a bare key or any URL of the spreadsheet."""
    marker = "/spreadsheets/d/"
    if marker in value:
        return value.split(marker, 1)[1].split("/", 1)[0].split("?", 1)[0]
    return value.strip()


def service_account_email(credentials_file: Path | None) -> str | None:
    if credentials_file is None:
        return None
    try:
        info = json.loads(credentials_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    email = info.get("client_email") if isinstance(info, dict) else None
    return str(email) if email else None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 6
    max_wait: float = 32.0
    sleep: Callable[[float], None] = tenacity.nap.sleep


@dataclass(slots=True)
class _Tab:
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


class SheetsSink:
    """Upserts code rows (by `spark_code`) and failures (by `message_id`) into two tabs."""

    def __init__(
        self,
        client: gspread.Client,
        spreadsheet: str,
        *,
        worksheet: str = "Spark codes",
        failures_worksheet: str = "Needs review",
        retry: RetryPolicy | None = None,
        share_with: str | None = None,
        expiry: Expiry | None = None,
    ) -> None:
        self.http = client.http_client
        self.key = spreadsheet_key(spreadsheet)
        self.codes_title = worksheet
        self.failures_title = failures_worksheet
        self.retry = retry or RetryPolicy()
        self.share_with = share_with  # the service account's email, for the 403 message
        self.expiry = expiry or Expiry()
        self.requests = 0

    # -- the Sink interface ----------------------------------------------------------

    def write(self, batch: Sequence[Extraction]) -> WriteStats:
        """Read, merge, write; a failed write is retried from a fresh read, so rows a person
        moved in between are found where they are now."""
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(RetryableSinkError),
            wait=tenacity.wait_exponential_jitter(initial=1, max=self.retry.max_wait),
            stop=tenacity.stop_after_attempt(self.retry.attempts),
            sleep=self.retry.sleep,
            reraise=True,
        )
        try:
            return retrying(self._write_once, batch)
        except _Unavailable as exc:  # say how often it was really tried
            tries = int(retrying.statistics.get("attempt_number", 1))
            raise _Unavailable(exc.code, exc.detail, tries) from exc.__cause__

    def _write_once(self, batch: Sequence[Extraction]) -> WriteStats:
        # One try per request: `write` retries the whole read-merge-write, so the tries
        # it reports are the tries there were.
        codes, failures = self.read(attempts=1)
        result = merge(codes.stored(), failures.stored(), batch, self.expiry)
        requests_: list[dict[str, Any]] = []
        new_ids = _NewSheetIds(codes, failures)
        for tab in (codes, failures):
            if not tab.exists:
                requests_.append(_add_sheet(tab, new_ids.next()))
        requests_ += _tab_writes(codes, result.codes)
        requests_ += _tab_writes(failures, result.failures)
        for chunk in _bodies(requests_):
            self._call(self.http.batch_update, self.key, {"requests": chunk}, attempts=1)
        statuses = {key: rec.get("status", "") for key, (_, rec) in failures.rows.items()}
        statuses.update({key: rec["status"] for key, rec in result.failures.items()})
        return result.stats(statuses)

    def code_rows(self) -> list[Record]:
        codes, _ = self.read()
        return list(codes.stored().values())

    def set_statuses(self, statuses: Mapping[str, str]) -> None:
        _, failures = self.read()
        changed = {
            key: {**record, "status": status}
            for key, status in statuses.items()
            if key in failures.rows and (record := failures.rows[key][1]).get("status") != status
        }
        if changed and failures.exists:
            self._call(
                self.http.batch_update, self.key, {"requests": _tab_writes(failures, changed)}
            )

    # -- reading ---------------------------------------------------------------------

    def read(self, attempts: int | None = None) -> tuple[_Tab, _Tab]:
        """Both tabs in one request; a missing tab costs one more to list the sheets."""
        codes = _Tab(self.codes_title, CODE_TABLE.columns, _expiry_colours)
        failures = _Tab(self.failures_title, FAILURE_TABLE.columns, _status_dropdown)
        tabs = (codes, failures)
        try:
            data = self._get_grid([t.title for t in tabs], tolerate_400=True, attempts=attempts)
        except APIError:
            # A tab does not exist yet (the API says "Unable to parse range"): find which,
            # then read the ones that do.
            meta = self._call(
                self.http.fetch_sheet_metadata,
                self.key,
                {"fields": "sheets.properties"},
                attempts=attempts,
            )
            titles = {s["properties"]["title"] for s in meta.get("sheets", [])}
            present = [t.title for t in tabs if t.title in titles]
            data = self._get_grid(present, attempts=attempts) if present else meta
        by_title = {s["properties"]["title"]: s for s in data.get("sheets", [])}
        for tab in tabs:
            sheet = by_title.get(tab.title)
            if sheet is not None:
                _load_tab(tab, sheet)
        return codes, failures

    def _get_grid(
        self, titles: list[str], *, tolerate_400: bool = False, attempts: int | None = None
    ) -> Any:
        params = {
            "ranges": [_a1(t) for t in titles],
            "includeGridData": "true",
            "fields": "sheets(properties(sheetId,title,gridProperties),"
            "data(rowData(values(effectiveValue))))",
            "prettyPrint": "false",
        }
        return self._call(
            self.http.fetch_sheet_metadata,
            self.key,
            params,
            tolerate_400=tolerate_400,
            attempts=attempts,
        )

    # -- errors and retries ----------------------------------------------------------------

    def _call(
        self,
        method: Callable[..., Any],
        *args: Any,
        tolerate_400: bool = False,
        attempts: int | None = None,
    ) -> Any:
        """One API request, retried while it is worth it; errors become sink errors, except
        a 400 the caller expects (`tolerate_400`)."""
        self.requests += 1
        tries = attempts or self.retry.attempts
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(_transient),
            wait=tenacity.wait_exponential_jitter(initial=1, max=self.retry.max_wait),
            stop=tenacity.stop_after_attempt(tries),
            sleep=self.retry.sleep,
            reraise=True,
        )
        try:
            return retrying(method, *args)
        except APIError as exc:
            if _transient(exc):
                raise _Unavailable(exc.code, _api_message(exc), tries) from exc
            if exc.code == 400 and tolerate_400:
                raise
            raise self._terminal(exc) from exc
        except requests.RequestException as exc:
            raise RetryableSinkError(f"cannot reach Google Sheets: {exc}") from exc
        except google.auth.exceptions.TransportError as exc:
            raise RetryableSinkError(f"cannot reach Google to sign in: {exc}") from exc
        except google.auth.exceptions.GoogleAuthError as exc:
            raise TerminalSinkError(
                f"Google refused the credentials ({exc}); check sheets.credentials_file"
            ) from exc

    def _terminal(self, exc: APIError) -> TerminalSinkError:
        if exc.code == 403:
            who = f" with {self.share_with}" if self.share_with else " with the service account"
            return TerminalSinkError(
                f"no permission on spreadsheet {self.key}: share it{who} as an Editor"
            )
        if exc.code == 404:
            return TerminalSinkError(f"spreadsheet {self.key} not found; check sheets.spreadsheet")
        if exc.code == 400:
            return TerminalSinkError(f"Google Sheets refused a request: {_api_message(exc)}")
        if exc.code == 401:
            return TerminalSinkError(
                f"Google refused the credentials ({_api_message(exc)}); check "
                "sheets.credentials_file"
            )
        return TerminalSinkError(f"Google Sheets answered {exc.code}: {_api_message(exc)}")


class _Unavailable(RetryableSinkError):
    """Google kept answering 429 or 5xx: a quota or an outage, for a later run to retry."""

    def __init__(self, code: int, detail: str, tries: int) -> None:
        super().__init__(
            f"Google Sheets kept answering {code} ({detail}) after "
            f"{tries} {'try' if tries == 1 else 'tries'}"
        )
        self.code, self.detail = code, detail


class _NewSheetIds:
    """sheetIds for tabs we create, chosen by us so one batchUpdate can add and fill them."""

    def __init__(self, *tabs: _Tab) -> None:
        self._used = {t.sheet_id for t in tabs if t.sheet_id is not None}
        self._next = 1_000_001

    def next(self) -> int:
        while self._next in self._used:
            self._next += 1
        self._used.add(self._next)
        return self._next


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, APIError):
        return exc.code in _TRANSIENT_CODES
    return isinstance(exc, requests.ConnectionError | requests.Timeout)


def _api_message(exc: APIError) -> str:
    return str(exc.error.get("message") or exc.error.get("status") or exc.code)


def _a1(title: str) -> str:
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


def _load_tab(tab: _Tab, sheet: Mapping[str, Any]) -> None:
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


def _add_sheet(tab: _Tab, sheet_id: int) -> dict[str, Any]:
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


def _tab_writes(tab: _Tab, changed: Mapping[str, Record]) -> list[dict[str, Any]]:
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


def _expiry_colours(sheet_id: int, position: Mapping[str, int]) -> list[dict[str, Any]]:
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


def _status_dropdown(sheet_id: int, position: Mapping[str, int]) -> list[dict[str, Any]]:
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


def _bodies(requests_: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
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
