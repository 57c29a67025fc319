"""The stage between extraction and the sinks: steps that add facts from the network to rows.

Parsers stay pure (no I/O) and sinks stay dumb (they store what they are given), so a step
that asks a service about each code (TikTok's verdict on it, issue 12) goes here. None is
configured by default; `pipeline.wiring` builds the ones the config asks for (with
`[tiktok]`: `pipeline.tiktok.enricher.TikTokCheck`), and `pipeline.run.process` calls them in
order on every batch of new messages, after extraction and before any sink is written.

An enricher may raise a `TransientError` (the batch is not written, the state not committed:
the next run repeats it) or a `TerminalError` (needs a person); config/errors.py. One whose
service failing should not cost the rows the emails gave (TikTok's check) instead marks the
rows it could not enrich, keeps the error, and lets the command raise it after the sync.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from parsers.records import Extraction

__all__ = ["Enricher", "enrich"]


class Enricher(Protocol):
    def enrich(self, batch: Sequence[Extraction]) -> Sequence[Extraction]:
        """The same emails, in the same order, one Extraction each: rows with more facts, or
        a review item beside them when a fact says a person should look."""
        ...


def enrich(batch: Sequence[Extraction], enrichers: Sequence[Enricher]) -> Sequence[Extraction]:
    """`batch` through every enricher in turn; a step that loses or adds an email is a bug."""
    for step in enrichers:
        out = step.enrich(batch)
        if len(out) != len(batch):
            raise AssertionError(
                f"{type(step).__name__} returned {len(out)} extractions for {len(batch)} emails"
            )
        batch = out
    return batch
