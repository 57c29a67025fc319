"""Google Sheets through gspread: upsert into a sheet that people also edit by hand.

A run reads both tabs in one request and, if anything changed, writes everything in one
`spreadsheets.batchUpdate`: so a quiet run costs 1 request and a busy one 2, whatever the
number of rows (the first run on a new spreadsheet adds 1-2 to create the tabs). Every call
goes through `client.retrying`; what still fails is a transient or terminal sink error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import google.auth.exceptions
import gspread
import requests
from gspread.exceptions import APIError

from parsers.records import CODE_TABLE, FAILURE_TABLE, Extraction
from sinks import RetryableSinkError, TerminalSinkError, WriteStats
from sinks.sheets.client import (
    RetryPolicy,
    Unavailable,
    api_message,
    retrying,
    spreadsheet_key,
    transient,
)
from sinks.sheets.requests import (
    Tab,
    a1,
    add_sheet,
    bodies,
    expiry_colours,
    load_tab,
    status_dropdown,
    tab_writes,
)
from sinks.upsert import Expiry, Record, merge


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
        whole = retrying(self.retry, lambda exc: isinstance(exc, RetryableSinkError))
        try:
            return whole(self._write_once, batch)
        except Unavailable as exc:  # say how often it was really tried
            tries = int(whole.statistics.get("attempt_number", 1))
            raise Unavailable(exc.code, exc.detail, tries) from exc.__cause__

    def _write_once(self, batch: Sequence[Extraction]) -> WriteStats:
        # One try per request: `write` retries the whole read-merge-write, so the tries
        # it reports are the tries there were.
        codes, failures = self.read(attempts=1)
        result = merge(codes.stored(), failures.stored(), batch, self.expiry)
        requests_: list[dict[str, Any]] = []
        new_ids = _NewSheetIds(codes, failures)
        for tab in (codes, failures):
            if not tab.exists:
                requests_.append(add_sheet(tab, new_ids.next()))
        requests_ += tab_writes(codes, result.codes)
        requests_ += tab_writes(failures, result.failures)
        for chunk in bodies(requests_):
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
                self.http.batch_update, self.key, {"requests": tab_writes(failures, changed)}
            )

    # -- reading ---------------------------------------------------------------------

    def read(self, attempts: int | None = None) -> tuple[Tab, Tab]:
        """Both tabs in one request; a missing tab costs one more to list the sheets."""
        codes = Tab(self.codes_title, CODE_TABLE.columns, expiry_colours)
        failures = Tab(self.failures_title, FAILURE_TABLE.columns, status_dropdown)
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
                load_tab(tab, sheet)
        return codes, failures

    def _get_grid(
        self, titles: list[str], *, tolerate_400: bool = False, attempts: int | None = None
    ) -> Any:
        params = {
            "ranges": [a1(t) for t in titles],
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
        try:
            return retrying(self.retry, transient, tries)(method, *args)
        except APIError as exc:
            if transient(exc):
                raise Unavailable(exc.code, api_message(exc), tries) from exc
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
            return TerminalSinkError(f"Google Sheets refused a request: {api_message(exc)}")
        if exc.code == 401:
            return TerminalSinkError(
                f"Google refused the credentials ({api_message(exc)}); check "
                "sheets.credentials_file"
            )
        return TerminalSinkError(f"Google Sheets answered {exc.code}: {api_message(exc)}")


class _NewSheetIds:
    """sheetIds for tabs we create, chosen by us so one batchUpdate can add and fill them."""

    def __init__(self, *tabs: Tab) -> None:
        self._used = {t.sheet_id for t in tabs if t.sheet_id is not None}
        self._next = 1_000_001

    def next(self) -> int:
        while self._next in self._used:
            self._next += 1
        self._used.add(self._next)
        return self._next
