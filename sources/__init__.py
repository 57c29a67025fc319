"""Where mail comes from: one small protocol, so the sync loop (pipeline.run.sync) reads an
IMAP folder, local files or a future Gmail API / Microsoft Graph mailbox the same way.

A source hands out batches of raw messages, each with the cursor to store once that batch is
done; the cursor is opaque to everyone but the source (IMAP's is "uidvalidity:last_uid").
After the sinks hold a batch, `done` lets the source mark it (a keyword, a move) and hand off
the messages that left a review item; only then does the state commit the cursor.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from config.errors import TerminalError

__all__ = ["Pending", "RawMessage", "Source", "SourceBatch", "SourceError"]


class SourceError(OSError, TerminalError):
    """A path that cannot be read as mail; the message names the path and why."""


@dataclass(frozen=True, slots=True)
class RawMessage:
    """One email's bytes and where it came from, before any parsing."""

    raw: bytes
    source: str
    received_at: datetime | None = None  # the server's arrival time, when the source knows it


@dataclass(frozen=True, slots=True)
class SourceBatch:
    """Messages to process together, and the cursor that is true once they are all done.

    `handles` are the source's own ids for the messages (IMAP UIDs), in the same order; an
    empty batch may still carry a cursor worth storing (a folder seen for the first time).
    """

    messages: Sequence[RawMessage]
    cursor: str | None = None
    handles: Sequence[object] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Pending:
    """What a source has to read: its batches, and how many messages when it knows."""

    batches: Iterator[SourceBatch]
    total: int | None = None


class Source(Protocol):
    """A place mail comes from. A new one (Gmail API, Graph) is a module here, its config
    section and its tests; the sync loop does not change."""

    @property
    def key(self) -> str | None:
        """Where the state keeps this source's cursor; None for a source with no cursor (local
        files are read whole every time: the state's Message-IDs skip what is done)."""
        ...

    def pending(self, cursor: str | None, *, full: bool = False) -> Pending:
        """The messages after `cursor` (the one stored for `key`), or all with `full`."""
        ...

    def done(self, batch: SourceBatch, failed: Sequence[int]) -> None:
        """After the sinks hold `batch`: mark its messages read and hand off the ones at the
        indexes in `failed` (they left a review item). Raises a Transient/TerminalError."""
        ...
