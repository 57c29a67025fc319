"""The Google Sheets sink: `client` (auth, the gspread client, the one retry rule), `requests`
(building the batchUpdate requests, reading tabs back) and `sink` (SheetsSink)."""

from sinks.sheets.client import (
    ENDPOINT_ENV,
    RetryPolicy,
    make_client,
    service_account_email,
    spreadsheet_key,
)
from sinks.sheets.sink import SheetsSink

__all__ = [
    "ENDPOINT_ENV",
    "RetryPolicy",
    "SheetsSink",
    "make_client",
    "service_account_email",
    "spreadsheet_key",
]
