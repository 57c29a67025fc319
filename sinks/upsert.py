"""The merge rule every sink shares: which stored rows a batch inserts, updates or clears.

Kept apart from any storage so CSV and Sheets agree on it exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from parsers.records import CODE_COLUMNS, FAILURE_COLUMNS, Extraction

Record = dict[str, Any]


@dataclass(slots=True)
class Merge:
    """Rows to write, keyed; `cleared` are failures whose message now parses."""

    codes: dict[str, Record] = field(default_factory=dict)
    failures: dict[str, Record] = field(default_factory=dict)
    cleared: set[str] = field(default_factory=set)
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


def cell(value: Any) -> str:
    """How a value is stored in a text cell: empty for missing, digits for numbers."""
    if value is None:
        return ""
    return str(value)


def merge(
    stored_codes: Mapping[str, Mapping[str, str]],
    stored_failures: Mapping[str, Mapping[str, str]],
    batch: Sequence[Extraction],
) -> Merge:
    """Compute the upsert of `batch` over what is stored, as text cells.

    A code seen again (a resend, a renewal with a new period) updates its row unless the stored
    row came from a later email, so a backfill of old mail never undoes a renewal.
    """
    out = Merge()
    for extraction in batch:
        for row in extraction.rows:
            record = {k: cell(v) for k, v in row.as_record().items() if k in CODE_COLUMNS}
            key = record["spark_code"]
            current = out.codes.get(key) or stored_codes.get(key)
            if current is None:
                out.inserted += 1
            elif _newer_or_same(current, record):
                if all(current.get(c, "") == record[c] for c in CODE_COLUMNS):
                    out.unchanged += 1
                    continue
                out.updated += 1
            else:
                out.unchanged += 1
                continue
            out.codes[key] = record
        if extraction.failure is not None:
            record = {
                k: cell(v)
                for k, v in extraction.failure.as_record().items()
                if k in FAILURE_COLUMNS
            }
            key = record["message_id"]
            current = stored_failures.get(key)
            if current is None or any(current.get(c, "") != record[c] for c in FAILURE_COLUMNS):
                out.failures[key] = record
        elif extraction.rows:
            message_id = extraction.rows[0].identity.message_id
            if message_id in stored_failures:
                out.cleared.add(message_id)
    return out


def _newer_or_same(current: Mapping[str, str], incoming: Mapping[str, str]) -> bool:
    """ISO-8601 UTC timestamps compare correctly as text."""
    return incoming.get("received_at", "") >= current.get("received_at", "")
