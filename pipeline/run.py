"""One sync pass: read messages, extract, write every sink, report what happened."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from parsers.extract import Options, extract
from parsers.records import Extraction
from pipeline.local import RawMessage
from sinks import Sink

BATCH = 200


@dataclass(slots=True)
class Summary:
    fetched: int = 0
    codes: int = 0
    failures: int = 0
    skipped: int = 0
    inserted: int = 0
    updated: int = 0

    def line(self) -> str:
        return (
            f"fetched {self.fetched}, codes {self.codes} ({self.inserted} new, "
            f"{self.updated} updated), failures {self.failures}, skipped {self.skipped}"
        )


def options_from(default_days: int | None, max_bytes: int) -> Options:
    return Options(max_bytes=max_bytes, default_days=default_days)


def sync(messages: Iterable[RawMessage], sinks: Sequence[Sink], options: Options) -> Summary:
    """Extract every message and write the results in batches, sinks first."""
    summary = Summary()
    batch: list[Extraction] = []

    def flush() -> None:
        for sink in sinks:
            stats = sink.write(batch)
            summary.inserted = max(summary.inserted, 0) + stats.inserted
            summary.updated += stats.updated
        batch.clear()

    for message in messages:
        result = extract(
            message.raw, message.source, options=options, received_at=message.received_at
        )
        summary.fetched += 1
        summary.codes += len(result.rows)
        summary.failures += result.failure is not None
        batch.append(result)
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    return summary
