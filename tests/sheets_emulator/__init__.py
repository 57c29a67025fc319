"""Local Google Sheets API v4 emulator for tests (no network, no credentials).

    from tests.sheets_emulator import SheetsEmulator, emulated_client

    with SheetsEmulator() as emu:
        sid = emu.create_spreadsheet("Campaigns", sheets=["Codes"])
        client = emulated_client(emu.base_url)  # a real gspread.Client
        ...

Fixtures ``emulator`` and ``gspread_client`` live in ``tests/sheets_emulator/conftest.py``.
"""

from .client import emulated_client, emulated_session
from .server import Fault, RecordedRequest, SheetsEmulator
from .state import ApiError

__all__ = [
    "ApiError",
    "Fault",
    "RecordedRequest",
    "SheetsEmulator",
    "emulated_client",
    "emulated_session",
]
