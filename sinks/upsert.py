"""The merge rule every sink shares: which stored rows a batch inserts, updates or clears.

Kept apart from any storage so CSV and Sheets agree on it exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from parsers.records import (
    CODE_COLUMNS,
    FAILURE_COLUMNS,
    Extraction,
    ReviewStatus,
    failure_id,
)
from sinks import WriteStats

Record = dict[str, Any]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Expiry:
    """When a code counts as expiring: within `warn_days` of `expires_at`."""

    warn_days: int = 7
    clock: Callable[[], datetime] = utc_now

    def judge(self, now: datetime) -> Callable[[str], str]:
        """`status_at` for one moment, for every stored row: the timestamps sparkcodes writes
        (UTC, whole seconds, ISO 8601) are compared as text, without parsing each one."""
        second = now.astimezone(UTC).replace(microsecond=0)
        expired = second.isoformat()
        expiring = (second + timedelta(days=self.warn_days)).isoformat()

        def status(expires_at: str) -> str:
            if (
                len(expires_at) != 25
                or not expires_at.endswith("+00:00")
                or expires_at[10] != "T"
                or not expires_at[:4].isdigit()
            ):
                return self.status_at(now, expires_at)
            if expires_at <= expired:
                return "expired"
            return "expiring" if expires_at <= expiring else "active"

        return status

    def status_at(self, now: datetime, expires_at: str) -> str:
        if not expires_at:
            return ""
        try:
            end = datetime.fromisoformat(expires_at)
        except ValueError:
            return ""
        if end.tzinfo is None:
            end = end.replace(tzinfo=UTC)
        if end <= now:
            return "expired"
        return "expiring" if end - now <= timedelta(days=self.warn_days) else "active"


@dataclass(slots=True)
class Merge:
    """Rows to write, keyed; `cleared` are review items whose message now parses."""

    codes: dict[str, Record] = field(default_factory=dict)
    failures: dict[str, Record] = field(default_factory=dict)
    cleared: set[str] = field(default_factory=set)
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    refreshed: int = 0  # stored rows whose expiry status moved on

    def stats(self, statuses: dict[str, str]) -> WriteStats:
        """What a sink reports once it has written this merge; `statuses` are every review
        item's status as the sink now holds it (an empty one is still open)."""
        return WriteStats(
            inserted=self.inserted,
            updated=self.updated,
            unchanged=self.unchanged,
            refreshed=self.refreshed,
            failures_open=sum(1 for status in statuses.values() if status in ("", "open")),
            failures_cleared=len(self.cleared),
            statuses=statuses,
        )


def cell(value: Any) -> str:
    """How a value is stored in a text cell: empty for missing, digits for numbers."""
    if value is None:
        return ""
    return str(value)


def merge(
    stored_codes: Mapping[str, Mapping[str, str]],
    stored_failures: Mapping[str, Mapping[str, str]],
    batch: Sequence[Extraction],
    expiry: Expiry | None = None,
    *,
    expiries: Iterable[tuple[str, str, str]] | None = None,
) -> Merge:
    """Compute the upsert of `batch` over what is stored, as text cells.

    A code seen again (a resend, a renewal with a new period) updates its row unless the stored
    row came from a later email, so a backfill of old mail never undoes a renewal. Stored rows
    whose expiry status changed since (active → expiring → expired) are updated too, so a run
    with no new mail still keeps the sheet honest. A review item keeps the status a person
    gave it; one whose message now gives clean rows is cleared.

    `expiries` gives every stored code's (key, expires_at, expiry_status) where a sink keeps
    them apart; only the rows whose status moved on are then looked up in `stored_codes`.
    """
    expiry = expiry or Expiry()
    status_of = expiry.judge(expiry.clock())
    out = Merge()
    for extraction in batch:
        for row in extraction.rows:
            record = {k: cell(v) for k, v in row.as_record().items() if k in CODE_COLUMNS}
            record["expiry_status"] = status_of(record["expires_at"])
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
            failure = extraction.failure.as_record()
            record = {k: cell(failure.get(k)) for k in FAILURE_COLUMNS}
            key = record["failure_id"]
            current = stored_failures.get(key)
            record["status"] = (current or {}).get("status") or str(ReviewStatus.OPEN)
            if current is None or any(current.get(c, "") != record[c] for c in FAILURE_COLUMNS):
                out.failures[key] = record
        elif extraction.rows:
            key = failure_id(extraction.rows[0].identity.message_id)
            if key in stored_failures:
                out.cleared.add(key)
    if expiries is None:
        expiries = (
            (key, row.get("expires_at", ""), row.get("expiry_status", ""))
            for key, row in stored_codes.items()
        )
    for key, expires_at, current_status in expiries:
        if key in out.codes:
            continue
        status = status_of(expires_at)
        if status != current_status:
            out.codes[key] = {**stored_codes[key], "expiry_status": status}
            out.refreshed += 1
    return out


def _newer_or_same(current: Mapping[str, str], incoming: Mapping[str, str]) -> bool:
    """ISO-8601 UTC timestamps compare correctly as text."""
    return incoming.get("received_at", "") >= current.get("received_at", "")
