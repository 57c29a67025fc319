"""Destinations for rows and failures, behind one small interface.

Every sink upserts: code rows keyed by `spark_code`, review items keyed by `failure_id`. Writing
the same batch twice changes nothing, so a run that crashed after writing can simply rerun.

`Sink` is all a destination must do. A store people read rows back from (a CSV file, a sheet)
also implements `StoredRows`; a write-only one (a webhook, a chat notification) does not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from config.errors import SparkcodesError, TerminalError, TransientError
from parsers.records import Extraction


class SinkError(SparkcodesError):
    """A sink could not be written; the concrete errors carry the transient/terminal marker."""


class RetryableSinkError(SinkError, TransientError):
    """Worth retrying later unchanged: a network drop, a quota, a server restart."""


class TerminalSinkError(SinkError, TerminalError):
    """Needs a person: bad credentials, a missing sheet, a read-only file."""


@dataclass(frozen=True, slots=True)
class WriteStats:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    refreshed: int = 0
    failures_open: int = 0
    failures_cleared: int = 0
    # Review items' status as the sink holds it: people mark them resolved in the sheet.
    statuses: dict[str, str] = field(default_factory=dict)
    # Which codes this sink inserted or updated: a code new to any sink is new (a sink that
    # failed last run catches up on rows another already had).
    inserted_keys: frozenset[str] = frozenset()
    updated_keys: frozenset[str] = frozenset()


class Sink(Protocol):
    def write(self, batch: Sequence[Extraction]) -> WriteStats:
        """Upsert every row and failure in `batch` durably, or raise a SinkError."""
        ...

    def set_statuses(self, statuses: Mapping[str, str]) -> None:
        """Set review items' status (resolved, ignored) where the sink holds them."""
        ...


@runtime_checkable
class StoredRows(Protocol):
    """A sink that can give its code rows back (`sparkcodes expiring` reads them)."""

    def code_rows(self) -> list[dict[str, str]]:
        """The stored code rows, as text cells."""
        ...
