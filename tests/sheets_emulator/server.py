"""A local, stateful Google Sheets API v4 (plus the bits of Drive v3 gspread uses) server.

Usage::

    with SheetsEmulator() as emu:
        sid = emu.create_spreadsheet("Campaigns", sheets=["Codes"])
        client = emulated_client(emu.base_url)      # see client.py
        client.open_by_key(sid).worksheet("Codes").update([["a", "b"]], "A1")
        assert emu.values(sid, "Codes") == [["a", "b"]]

``emu.base_url`` (``http://127.0.0.1:<port>/``) replaces both
``https://sheets.googleapis.com/`` and ``https://www.googleapis.com/``; paths stay the same.

Endpoints: ``GET v4/spreadsheets/{id}`` (``fields``, ``includeGridData``, ``ranges``),
``POST v4/spreadsheets`` (create), ``POST v4/spreadsheets/{id}:batchUpdate``,
``GET|PUT v4/spreadsheets/{id}/values/{range}``, ``POST .../values/{range}:append``,
``POST .../values/{range}:clear``, ``GET .../values:batchGet``, ``POST .../values:batchUpdate``,
``POST .../values:batchClear``, and Drive ``POST|GET drive/v3/files``,
``GET|DELETE drive/v3/files/{id}``.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import socket
import threading
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit

from .a1 import cell_name, parse_a1
from .cells import render
from .masks import filter_by_mask, parse_mask
from .state import ApiError, Json, Sheet, Spreadsheet, Store, bad_request, drive_not_found

__all__ = ["Fault", "RecordedRequest", "SheetsEmulator"]

_SPREADSHEET_PATH = re.compile(r"^/v4/spreadsheets/(?P<id>[^/:]+)(?P<rest>.*)$")
_DRIVE_FILE_PATH = re.compile(r"^/drive/v3/files/(?P<id>[^/]+)$")


class RecordedRequest(NamedTuple):
    """One request as the emulator saw it (path URL-decoded, query as lists)."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any


@dataclass
class Fault:
    """An injected failure; see :meth:`SheetsEmulator.inject`."""

    status: int
    count: int
    methods: frozenset[str] | None = None
    path_contains: str | None = None
    after_apply: bool = False
    message: str | None = None
    hits: list[RecordedRequest] = field(default_factory=list)

    def matches(self, method: str, path: str) -> bool:
        if self.count <= 0:
            return False
        if self.methods is not None and method not in self.methods:
            return False
        return self.path_contains is None or self.path_contains in path

    def error(self, method: str) -> ApiError:
        if self.status == 429:
            kind = "Read" if method == "GET" else "Write"
            message = self.message or (
                f"Quota exceeded for quota metric '{kind} requests' and limit "
                f"'{kind} requests per minute per user' of service 'sheets.googleapis.com' "
                "for consumer 'project_number:123456789012'."
            )
            details: list[Json] = [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "RATE_LIMIT_EXCEEDED",
                    "domain": "googleapis.com",
                    "metadata": {
                        "quota_limit": f"{kind}RequestsPerMinutePerUser",
                        "quota_metric": f"sheets.googleapis.com/{kind.lower()}_requests",
                        "service": "sheets.googleapis.com",
                        "consumer": "projects/123456789012",
                    },
                },
                {
                    "@type": "type.googleapis.com/google.rpc.Help",
                    "links": [
                        {
                            "description": "Request a higher quota limit.",
                            "url": "https://cloud.google.com/docs/quota#requesting_higher_quota",
                        }
                    ],
                },
            ]
            return ApiError(429, message, "RESOURCE_EXHAUSTED", details)
        defaults = {
            400: ("Request contains an invalid argument.", "INVALID_ARGUMENT"),
            401: (
                "Request had invalid authentication credentials.",
                "UNAUTHENTICATED",
            ),
            403: ("The caller does not have permission", "PERMISSION_DENIED"),
            404: ("Requested entity was not found.", "NOT_FOUND"),
            408: ("Request timed out.", "DEADLINE_EXCEEDED"),
            500: ("Internal error encountered.", "INTERNAL"),
            502: ("Bad Gateway", "UNAVAILABLE"),
            503: ("The service is currently unavailable.", "UNAVAILABLE"),
            504: ("The request timed out. Please try again.", "DEADLINE_EXCEEDED"),
        }
        message, status = defaults.get(self.status, ("Injected failure.", "UNKNOWN"))
        return ApiError(self.status, self.message or message, status)


class _Response(NamedTuple):
    status: int
    body: Any  # JSON-able, or None for an empty body


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    emulator: SheetsEmulator

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def close_connections(self) -> None:
        """Hang up on idle keep-alive clients so no handler outlives the server."""
        with self.connections_lock:
            for conn in self.connections:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
            self.connections.clear()

    def handle_error(self, request: Any, client_address: Any) -> None:  # quiet
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 30

    def setup(self) -> None:
        super().setup()
        # headers and body go out in separate writes; without TCP_NODELAY each
        # response waits for the client's delayed ACK (~40 ms)
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        response = self.server.emulator._handle(self.command, self.path, raw)
        if response.body is None:
            payload = b""
        else:
            payload = json.dumps(response.body, ensure_ascii=False, indent=2).encode("utf-8")
        self.send_response(response.status)
        if response.body is not None:
            self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    do_GET = _serve
    do_POST = _serve
    do_PUT = _serve
    do_PATCH = _serve
    do_DELETE = _serve


def _first(query: Mapping[str, list[str]], key: str) -> str | None:
    values = query.get(key)
    return values[0] if values else None


def _flat(query: Mapping[str, list[str]]) -> dict[str, str | None]:
    return {key: values[0] if values else None for key, values in query.items()}


class SheetsEmulator:
    """Local Sheets API v4 emulator running in a background thread.

    Thread-safe: every request and every helper runs under one lock.
    """

    def __init__(self, *, seed: int = 0, host: str = "127.0.0.1", port: int = 0) -> None:
        self._lock = threading.RLock()
        self._store = Store(seed)
        self._faults: list[Fault] = []
        self._log: list[RecordedRequest] = []
        self._host = host
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> SheetsEmulator:
        if self._server is not None:
            return self
        server = _Server((self._host, self._port), _Handler)
        server.emulator = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name="sheets-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> SheetsEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running; use start() or a with-block")
        host, port = self._server.server_address[:2]
        if isinstance(host, bytes):
            host = host.decode()
        return f"http://{host}:{port}/"

    # ------------------------------------------------------------------ request log

    @property
    def requests(self) -> list[RecordedRequest]:
        """Snapshot of the requests received so far (including failed/injected ones)."""
        with self._lock:
            return list(self._log)

    def reset_log(self) -> None:
        with self._lock:
            self._log.clear()

    def count_requests(self, method: str | None = None, path_contains: str | None = None) -> int:
        with self._lock:
            return sum(
                1
                for r in self._log
                if (method is None or r.method == method.upper())
                and (path_contains is None or path_contains in r.path)
            )

    # ------------------------------------------------------------------ fault injection

    def inject(
        self,
        status: int = 429,
        count: int = 1,
        methods: Collection[str] | None = None,
        path_contains: str | None = None,
        *,
        after_apply: bool = False,
        message: str | None = None,
    ) -> Fault:
        """Make the next ``count`` matching requests fail with a Google-shaped error.

        ``status`` 429 gives RESOURCE_EXHAUSTED ("Quota exceeded ... 'Write requests'",
        'Read requests' for GETs); 500 INTERNAL; 503 UNAVAILABLE; others get a generic
        body. ``methods`` (e.g. ``{"POST", "PUT"}``) and ``path_contains`` (matched
        against the URL-decoded path, e.g. ``":append"`` or ``"/values"``) narrow which
        requests match. With ``after_apply=True`` the request is carried out first and
        only its response is replaced (a write that happened although the caller saw a
        500). Faults are consumed in the order they were injected.
        """
        fault = Fault(
            status=status,
            count=count,
            methods=frozenset(m.upper() for m in methods) if methods is not None else None,
            path_contains=path_contains,
            after_apply=after_apply,
            message=message,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    # ------------------------------------------------------------------ seeding & inspection

    def create_spreadsheet(
        self,
        title: str = "Untitled spreadsheet",
        sheets: Sequence[str | Mapping[str, Any]] | None = None,
        *,
        spreadsheet_id: str | None = None,
        shared: bool = True,
        locale: str = "en_US",
        time_zone: str = "Etc/GMT",
    ) -> str:
        """Create a spreadsheet and return its id.

        ``sheets`` items are titles or mappings with ``title`` and optionally
        ``rowCount``, ``columnCount`` (default 1000 x 26), ``sheetId``,
        ``frozenRowCount``, ``frozenColumnCount``, ``hidden`` and ``values`` (a list of
        rows written USER_ENTERED from A1). The first sheet gets sheetId 0 unless given.
        ``shared=False`` makes every Sheets call on it fail with 403 PERMISSION_DENIED
        and hides it from Drive.
        """
        specs: list[dict[str, Any]] = []
        for spec in sheets or ["Sheet1"]:
            specs.append({"title": spec} if isinstance(spec, str) else dict(spec))
        with self._lock:
            ss = self._store.create(
                title,
                specs,
                spreadsheet_id=spreadsheet_id,
                shared=shared,
                locale=locale,
                time_zone=time_zone,
            )
            for spec in specs:
                if spec.get("values"):
                    self._seed_values(ss, str(spec["title"]), spec["values"], "A1", "USER_ENTERED")
            return ss.id

    def delete_spreadsheet(self, spreadsheet_id: str) -> None:
        with self._lock:
            self._store.spreadsheets.pop(spreadsheet_id, None)

    def set_shared(self, spreadsheet_id: str, shared: bool) -> None:
        with self._lock:
            self._spreadsheet(spreadsheet_id).shared = shared

    def spreadsheet_ids(self) -> list[str]:
        with self._lock:
            return list(self._store.spreadsheets)

    def sheet_titles(self, spreadsheet_id: str) -> list[str]:
        with self._lock:
            return [s.title for s in self._spreadsheet(spreadsheet_id).ordered()]

    def sheet_properties(self, spreadsheet_id: str, sheet_title: str | None = None) -> Json:
        """The sheet's properties as spreadsheets.get returns them."""
        from .state import clean_sheet_properties

        with self._lock:
            return clean_sheet_properties(self._sheet(spreadsheet_id, sheet_title).properties)

    def values(
        self,
        spreadsheet_id: str,
        sheet_title: str | None = None,
        *,
        render_option: str = "FORMULA",
        pad: bool = False,
    ) -> list[list[Any]]:
        """All values of a sheet, trimmed like the API trims them.

        Default ``render_option="FORMULA"`` gives what was entered (formulas as their
        text, numbers as numbers, strings as strings); use ``"FORMATTED_VALUE"`` for
        what gspread's get_all_values() would see. ``pad=True`` pads every row to the
        same width with ``""``.
        """
        with self._lock:
            sheet = self._sheet(spreadsheet_id, sheet_title)
            rows = self._store.read(
                sheet, (0, 0, sheet.row_count, sheet.col_count), "ROWS", render_option
            )
        if pad:
            width = max((len(r) for r in rows), default=0)
            rows = [r + [""] * (width - len(r)) for r in rows]
        return rows

    def cell(
        self,
        spreadsheet_id: str,
        sheet_title: str | None,
        a1: str,
        render_option: str = "FORMULA",
    ) -> Any:
        """One cell's value (``""`` when empty)."""
        parsed = parse_a1(a1)
        with self._lock:
            sheet = self._sheet(spreadsheet_id, sheet_title)
            found = sheet.cells.get((parsed.start_row or 0, parsed.start_col or 0))
            return "" if found is None else render(found, render_option, "SERIAL_NUMBER")

    def set_values(
        self,
        spreadsheet_id: str,
        sheet_title: str | None,
        values: Sequence[Sequence[Any]],
        start: str = "A1",
        *,
        input_option: str = "USER_ENTERED",
    ) -> None:
        """Simulate a person typing ``values`` into the sheet from ``start``.

        ``""`` empties a cell, ``None`` leaves it alone; the grid grows if needed
        (as if the person added rows/columns first). Not logged as an API request.
        """
        with self._lock:
            ss = self._spreadsheet(spreadsheet_id)
            title = self._sheet(spreadsheet_id, sheet_title).title
            self._seed_values(ss, title, values, start, input_option)

    def _seed_values(
        self,
        ss: Spreadsheet,
        title: str,
        values: Sequence[Sequence[Any]],
        start: str,
        input_option: str,
    ) -> None:
        sheet = ss.sheet_by_title(title)
        if sheet is None:
            raise KeyError(title)
        parsed = parse_a1(start)
        top, left = parsed.start_row or 0, parsed.start_col or 0
        rows = [list(r) for r in values]
        sheet.grid["rowCount"] = max(sheet.row_count, top + len(rows))
        sheet.grid["columnCount"] = max(
            sheet.col_count, left + max((len(r) for r in rows), default=0)
        )
        self._store.write(sheet, top, left, rows, input_option)
        ss.touch()

    def resize(self, spreadsheet_id: str, sheet_title: str | None, rows: int, cols: int) -> None:
        """Set a sheet's grid size (data outside it is dropped)."""
        from .state import _truncate

        with self._lock:
            sheet = self._sheet(spreadsheet_id, sheet_title)
            sheet.grid["rowCount"] = rows
            sheet.grid["columnCount"] = cols
            _truncate(sheet)

    def spreadsheet_json(
        self,
        spreadsheet_id: str,
        *,
        fields: str | None = None,
        include_grid_data: bool = False,
        ranges: Sequence[str] = (),
    ) -> Json:
        """What ``GET v4/spreadsheets/{id}`` would return (ignores ``shared``)."""
        with self._lock:
            ss = self._spreadsheet(spreadsheet_id)
            return self._store.spreadsheet_json(
                ss, include_grid_data=include_grid_data, ranges=ranges, fields=fields
            )

    def conditional_formats(
        self, spreadsheet_id: str, sheet_title: str | None = None
    ) -> list[Json]:
        """The sheet's conditional-format rules, in priority order, as stored."""
        with self._lock:
            return copy.deepcopy(self._sheet(spreadsheet_id, sheet_title).conditional_formats)

    def data_validation(
        self, spreadsheet_id: str, sheet_title: str | None = None
    ) -> dict[str, Json]:
        """``{"A2": rule, ...}`` for every cell carrying a data-validation rule."""
        return self._extras(spreadsheet_id, sheet_title, "dataValidation")

    def cell_formats(self, spreadsheet_id: str, sheet_title: str | None = None) -> dict[str, Json]:
        """``{"A1": userEnteredFormat, ...}`` for every formatted cell."""
        return self._extras(spreadsheet_id, sheet_title, "userEnteredFormat")

    def notes(self, spreadsheet_id: str, sheet_title: str | None = None) -> dict[str, str]:
        return self._extras(spreadsheet_id, sheet_title, "note")

    def dimension_properties(
        self, spreadsheet_id: str, sheet_title: str | None, dimension: str
    ) -> dict[int, Json]:
        """Non-default row (``"ROWS"``) or column (``"COLUMNS"``) properties by index."""
        with self._lock:
            sheet = self._sheet(spreadsheet_id, sheet_title)
            meta = sheet.row_meta if dimension == "ROWS" else sheet.col_meta
            return copy.deepcopy(meta)

    def _extras(self, spreadsheet_id: str, sheet_title: str | None, key: str) -> dict[str, Any]:
        with self._lock:
            sheet = self._sheet(spreadsheet_id, sheet_title)
            return {
                cell_name(r, c): copy.deepcopy(extra[key])
                for (r, c), extra in sorted(sheet.extras.items())
                if key in extra
            }

    def _spreadsheet(self, spreadsheet_id: str) -> Spreadsheet:
        ss = self._store.spreadsheets.get(spreadsheet_id)
        if ss is None:
            raise KeyError(f"no spreadsheet {spreadsheet_id!r}")
        return ss

    def _sheet(self, spreadsheet_id: str, sheet_title: str | None) -> Sheet:
        ss = self._spreadsheet(spreadsheet_id)
        if sheet_title is None:
            return ss.ordered()[0]
        sheet = ss.sheet_by_title(sheet_title)
        if sheet is None:
            raise KeyError(f"no sheet {sheet_title!r} in {spreadsheet_id!r}")
        return sheet

    # ------------------------------------------------------------------ HTTP dispatch

    def _handle(self, method: str, raw_path: str, raw_body: bytes) -> _Response:
        split = urlsplit(raw_path)
        path = split.path
        query = parse_qs(split.query, keep_blank_values=True)
        body: Any = None
        body_error: ApiError | None = None
        if raw_body:
            try:
                body = json.loads(raw_body.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                body = raw_body.decode("utf-8", errors="replace")
                body_error = bad_request(f"Invalid JSON payload received. {exc}")
        with self._lock:
            record = RecordedRequest(method, unquote(path), query, body)
            self._log.append(record)
            fault = next((f for f in self._faults if f.matches(method, record.path)), None)
            if fault is not None:
                fault.count -= 1
                fault.hits.append(record)
                if not fault.after_apply:
                    return self._error(fault.error(method))
            try:
                if body_error is not None:
                    raise body_error
                if body is not None and not isinstance(body, dict):
                    raise bad_request("Invalid JSON payload received. Expected an object.")
                response = self._route(method, path, query, body or {})
            except ApiError as err:
                response = self._error(err)
            if fault is not None:
                return self._error(fault.error(method))
            return response

    @staticmethod
    def _error(err: ApiError) -> _Response:
        return _Response(err.code, err.body())

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: Json) -> _Response:
        store = self._store
        params = _flat(query)
        if path == "/v4/spreadsheets" and method == "POST":
            return _Response(200, self._create_from_api(body))
        m = _SPREADSHEET_PATH.match(path)
        if m:
            ss = store.get(unquote(m.group("id")))
            rest = m.group("rest")
            if rest == "" and method == "GET":
                return _Response(
                    200,
                    store.spreadsheet_json(
                        ss,
                        include_grid_data=(params.get("includeGridData") or "").lower() == "true",
                        ranges=query.get("ranges", []),
                        fields=params.get("fields"),
                    ),
                )
            if rest == ":batchUpdate" and method == "POST":
                return _Response(200, store.batch_update(ss, body))
            if rest == "/values:batchGet" and method == "GET":
                out: Json = {"spreadsheetId": ss.id}
                ranges = query.get("ranges", [])
                if ranges:
                    out["valueRanges"] = [store.value_range(ss, r, params) for r in ranges]
                return _Response(200, out)
            if rest == "/values:batchUpdate" and method == "POST":
                return _Response(200, store.values_batch_update(ss, body))
            if rest == "/values:batchClear" and method == "POST":
                return _Response(200, store.values_batch_clear(ss, body))
            if rest.startswith("/values/"):
                encoded = rest[len("/values/") :]
                for suffix in (":append", ":clear"):
                    if encoded.endswith(suffix) and method == "POST":
                        range_text = unquote(encoded[: -len(suffix)])
                        if suffix == ":append":
                            return _Response(200, store.values_append(ss, range_text, body, params))
                        cleared = store.clear(ss, range_text)
                        return _Response(200, {"spreadsheetId": ss.id, "clearedRange": cleared})
                range_text = unquote(encoded)
                if method == "GET":
                    return _Response(200, store.value_range(ss, range_text, params))
                if method == "PUT":
                    return _Response(200, store.values_update(ss, range_text, body, params))
            return self._no_route(method, path)
        if path == "/drive/v3/files":
            if method == "POST":
                title = str(body.get("name") or "Untitled spreadsheet")
                ss = store.create(title)
                return _Response(200, self._drive_fields(store.drive_file(ss), params, create=True))
            if method == "GET":
                files = store.drive_list(params.get("q"))
                listing: Json = {
                    "kind": "drive#fileList",
                    "incompleteSearch": False,
                    "files": files,
                }
                fields = params.get("fields")
                if fields:
                    listing = filter_by_mask(listing, parse_mask(fields))
                else:
                    listing["files"] = [
                        {k: f[k] for k in ("kind", "id", "name", "mimeType")} for f in files
                    ]
                return _Response(200, listing)
        m = _DRIVE_FILE_PATH.match(path)
        if m:
            file_id = unquote(m.group("id"))
            found = store.spreadsheets.get(file_id)
            if found is None or not found.shared:
                raise drive_not_found(file_id)
            if method == "GET":
                return _Response(200, self._drive_fields(store.drive_file(found), params))
            if method == "DELETE":
                del store.spreadsheets[file_id]
                return _Response(204, None)
        return self._no_route(method, path)

    @staticmethod
    def _drive_fields(file: Json, params: Mapping[str, str | None], create: bool = False) -> Json:
        fields = params.get("fields")
        if fields:
            filtered: Json = filter_by_mask(file, parse_mask(fields))
            return filtered
        return {k: file[k] for k in ("kind", "id", "name", "mimeType")}

    def _create_from_api(self, body: Json) -> Json:
        props = body.get("properties") or {}
        specs: list[Json] = []
        for sheet in body.get("sheets") or []:
            sheet_props = sheet.get("properties") or {}
            spec: Json = {k: v for k, v in sheet_props.items() if k in ("title", "sheetId")}
            grid = sheet_props.get("gridProperties") or {}
            spec.update({k: v for k, v in grid.items() if k in ("rowCount", "columnCount")})
            specs.append(spec)
        ss = self._store.create(
            str(props.get("title") or "Untitled spreadsheet"),
            specs or None,
            locale=str(props.get("locale") or "en_US"),
            time_zone=str(props.get("timeZone") or "Etc/GMT"),
        )
        return self._store.spreadsheet_json(ss)

    @staticmethod
    def _no_route(method: str, path: str) -> _Response:
        return _Response(
            404,
            {
                "error": {
                    "code": 404,
                    "message": f"Sheets emulator: no endpoint for {method} {path}",
                    "status": "NOT_FOUND",
                }
            },
        )
