"""The gspread client for Google Sheets (or an emulator) and the one retry rule of every call.

429 and 5xx answers and network errors are retried with capped exponential backoff and jitter
(tenacity); what is still failing then is reported as a transient error, so the run leaves its
state uncommitted and the next run retries.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gspread
import requests
import tenacity
from gspread.exceptions import APIError
from requests.adapters import HTTPAdapter

from sinks import RetryableSinkError, TerminalSinkError

SHEETS_URL = "https://sheets.googleapis.com/"
ENDPOINT_ENV = "SPARKCODES_SHEETS_ENDPOINT"
REQUEST_TIMEOUT = (10.0, 120.0)  # connect, read (seconds)
_TRANSIENT_CODES = {408, 429, 500, 502, 503, 504}


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


def retrying(
    policy: RetryPolicy,
    retry_on: Callable[[BaseException], bool],
    attempts: int | None = None,
) -> tenacity.Retrying:
    """The one retry setup of every Sheets call: up to `attempts` (default the policy's)
    tries of whatever `retry_on` accepts, full-jitter backoff capped at the policy's wait."""
    return tenacity.Retrying(
        retry=tenacity.retry_if_exception(retry_on),
        wait=tenacity.wait_exponential_jitter(initial=1, max=policy.max_wait),
        stop=tenacity.stop_after_attempt(attempts or policy.attempts),
        sleep=policy.sleep,
        reraise=True,
    )


class Unavailable(RetryableSinkError):
    """Google kept answering 429 or 5xx: a quota or an outage, for a later run to retry."""

    def __init__(self, code: int, detail: str, tries: int) -> None:
        super().__init__(
            f"Google Sheets kept answering {code} ({detail}) after "
            f"{tries} {'try' if tries == 1 else 'tries'}"
        )
        self.code, self.detail = code, detail


def transient(exc: BaseException) -> bool:
    """A Sheets answer or network error worth trying again unchanged."""
    if isinstance(exc, APIError):
        return exc.code in _TRANSIENT_CODES
    return isinstance(exc, requests.ConnectionError | requests.Timeout)


def api_message(exc: APIError) -> str:
    return str(exc.error.get("message") or exc.error.get("status") or exc.code)
