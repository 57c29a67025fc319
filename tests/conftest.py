"""Shared fixtures. Server fixtures (Dovecot, the Sheets emulator) live beside their harness."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"

from tests.servers.dovecot_fixtures import dovecot, imap_account  # noqa: E402, F401
from tests.sheets_emulator.conftest import emulator, gspread_client  # noqa: E402, F401
