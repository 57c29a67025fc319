"""Shared fixtures. Server fixtures (Dovecot, the Sheets emulator) live beside their harness."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
