"""Fixtures for the Sheets emulator: a fresh server per test and a gspread client on it.

Other test folders can reuse them with
``from tests.sheets_emulator.conftest import emulator, gspread_client``.
"""

from __future__ import annotations

from collections.abc import Iterator

import gspread
import pytest

from .client import emulated_client
from .server import SheetsEmulator


@pytest.fixture
def emulator() -> Iterator[SheetsEmulator]:
    """A running, empty emulator (stopped after the test)."""
    with SheetsEmulator() as emu:
        yield emu


@pytest.fixture
def gspread_client(emulator: SheetsEmulator) -> Iterator[gspread.Client]:
    """A real ``gspread.Client`` whose HTTP traffic goes to ``emulator``."""
    client = emulated_client(emulator.base_url)
    yield client
    client.http_client.session.close()
