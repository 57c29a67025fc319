"""Fixtures for the TikTok emulator: a fresh server per test.

Other test folders reuse it with ``from tests.tiktok_emulator.conftest import tiktok_emulator``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .server import TikTokEmulator


@pytest.fixture
def tiktok_emulator() -> Iterator[TikTokEmulator]:
    """A running emulator holding no codes (stopped after the test)."""
    with TikTokEmulator() as emu:
        yield emu
