"""The merge rule every sink shares: which stored rows a batch inserts, updates or clears.

Kept apart from any storage so CSV and Sheets agree on it exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from parsers.records import (
    CODE_TABLE,
    FAILURE_TABLE,
    ExpiryStatus,
    Extraction,
    ReviewStatus,
    review_status,
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

    def judge(self, now: datetime) -> Callable[[str], ExpiryStatus]:
        """`status_at` for one moment, for every stored row: the timestamps sparkcodes writes
        (UTC, whole seconds, ISO 8601) are compared as text, without parsing each one."""
        second = now.astimezone(UTC).replace(microsecond=0)
        expired = second.isoformat()
        expiring = (second + timedelta(days=self.warn_days)).isoformat()

        def status(expires_at: str) -> ExpiryStatus:
            if (
                len(expires_at) != 25
                or not expires_at.endswith("+00:00")
                or expires_at[10] != "T"
                or not expires_at[:4].isdigit()
            ):
                return self.status_at(now, expires_at)
            if expires_at <= expired:
                return ExpiryStatus.EXPIRED
            return ExpiryStatus.EXPIRING if expires_at <= expiring else ExpiryStatus.ACTIVE

        return status

    def status_at(self, now: datetime, expires_at: str) -> ExpiryStatus:
        if not expires_at:
            return ExpiryStatus.UNKNOWN
        try:
            end = datetime.fromisoformat(expires_at)
        except ValueError:
            return ExpiryStatus.UNKNOWN
        if end.tzinfo is None:
            end = end.replace(tzinfo=UTC)
        if end <= now:
            return ExpiryStatus.EXPIRED
        if end - now <= timedelta(days=self.warn_days):
            return ExpiryStatus.EXPIRING
        return ExpiryStatus.ACTIVE


@dataclass(slots=True)
class Merge:
    """Rows to write, keyed; `cleared` are review items whose message now parses (their
    rows, marked resolved, are in `failures`)."""

    codes: dict[str, Record] = field(default_factory=dict)
    failures: dict[str, Record] = field(default_factory=dict)
    cleared: set[str] = field(default_factory=set)
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    refreshed: int = 0  # stored rows whose expiry status moved on
    inserted_keys: set[str] = field(default_factory=set)
    updated_keys: set[str] = field(default_factory=set)

    def stats(self, statuses: dict[str, str]) -> WriteStats:
        """What a sink reports once it has written this merge; `statuses` are every review
        item's status as the sink now holds it (an empty one is still open)."""
        return WriteStats(
            inserted=self.inserted,
            updated=self.updated,
            unchanged=self.unchanged,
            refreshed=self.refreshed,
            failures_open=sum(
                1 for s in statuses.values() if review_status(s) in (None, ReviewStatus.OPEN)
            ),
            failures_cleared=len(self.cleared),
            statuses=statuses,
            inserted_keys=frozenset(self.inserted_keys),
            updated_keys=frozenset(self.updated_keys),
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
    row came from an email the creator sent later (`combine`), so an old email forwarded or
    backfilled later never undoes a renewal, and a blank never erases a known fact. Stored rows
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
            record = {k: cell(v) for k, v in row.as_record().items() if k in CODE_TABLE.columns}
            # The column name says it is a handle: `mia`, not `@mia` (which a spreadsheet
            # would read as a formula, and a script would have to strip).
            record["creator_handle"] = record["creator_handle"].removeprefix("@")
            key = record[CODE_TABLE.key]
            current = out.codes.get(key) or stored_codes.get(key)
            if current is not None:
                record = combine(current, record)
            record["expiry_status"] = str(status_of(record["expires_at"]))
            if current is None:
                out.inserted += 1
                out.inserted_keys.add(key)
            elif all(current.get(c, "") == record[c] for c in CODE_TABLE.columns):
                out.unchanged += 1
                continue
            else:
                out.updated += 1
                out.updated_keys.add(key)
            out.codes[key] = record
        if extraction.failure is not None:
            failure = extraction.failure.as_record()
            record = {k: cell(failure.get(k)) for k in FAILURE_TABLE.columns}
            key = record[FAILURE_TABLE.key]
            current = stored_failures.get(key)
            record["status"] = (current or {}).get("status") or str(ReviewStatus.OPEN)
            if current is None or any(
                current.get(c, "") != record[c] for c in FAILURE_TABLE.columns
            ):
                out.failures[key] = record
        elif extraction.rows:
            key = extraction.identity.failure_id
            if key in stored_failures:
                out.cleared.add(key)
    # A review item whose email now parses is marked resolved, not deleted: deleting rows by
    # position is not safe to repeat (Sheets), and the row may carry people's notes.
    for key in out.cleared:
        out.failures[key] = {**stored_failures[key], "status": str(ReviewStatus.RESOLVED)}
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
            out.codes[key] = {**stored_codes[key], "expiry_status": str(status)}
            out.refreshed += 1
    return out


# The period as one unit: an email that states no period never pairs its date with the
# expiry another email computed.
_PERIOD = ("duration_days", "duration_source", "authorized_at", "expires_at")
# Facts about the code and its creator that an email may simply not repeat (a renewal
# without the video link): a blank never erases them.
_FACTS = ("creator_email", "creator_name", "creator_handle", "campaign", "video_url", "video_id")


def combine(current: Mapping[str, str], incoming: Record) -> Record:
    """One code's row after `incoming` meets the stored `current`: the later email (by when
    the creator sent it) wins, but what it leaves blank keeps what is known."""
    if sent_later_or_same(current, incoming):
        out = dict(incoming)
        if not incoming["duration_days"] and current.get("duration_days"):
            out.update({c: current.get(c, "") for c in _PERIOD})
    else:  # an older email replayed: it may only fill what the row lacks
        out = {c: current.get(c, "") for c in CODE_TABLE.columns}
    for c in _FACTS:
        if not out[c]:
            out[c] = current.get(c, "") or incoming[c]
    _tiktok_facts(current, incoming, out)
    return out


# TikTok's word on a code; the later check (`checked_at`) wins, whichever email carried it.
_TIKTOK = ("tiktok_status", "tiktok_detail", "tiktok_item_id", "tiktok_name", "checked_at")
# With duration_source = "tiktok", TikTok's auth_end_time is the expiry: it goes with the check.
_TIKTOK_PERIOD = ("duration_source", "expires_at")


def _tiktok_facts(current: Mapping[str, str], incoming: Mapping[str, str], out: Record) -> None:
    """TikTok's facts in `out`: from the newer check (`checked_at`; the incoming one on a tie),
    so a re-check replaces them and an email replayed later (unchecked, or checked earlier)
    never blanks or undoes them. `ad_account` is never blanked: "added" stays added."""
    theirs = _instant(current.get("checked_at", ""))
    ours = _instant(incoming.get("checked_at", ""))
    if theirs is not None and (ours is None or theirs > ours):
        source = current
    elif ours is not None:
        source = incoming
    else:
        source = None  # neither checked: the row as the email rule made it
    if source is not None:
        for c in _TIKTOK:
            out[c] = source.get(c, "")
        if source.get("duration_source") == "tiktok":
            for c in _TIKTOK_PERIOD:
                out[c] = source.get(c, "")
    out["ad_account"] = incoming.get("ad_account") or current.get("ad_account", "")


def sent_later_or_same(current: Mapping[str, str], incoming: Mapping[str, str]) -> bool:
    """Whether `incoming` is the creator's later word on a code: by `authorized_at` (when the
    creator sent it, from the forward header when forwarded), so a colleague forwarding the
    original email after the renewal never undoes it; arrival (`received_at`) only breaks a
    tie or stands in when either date is unknown. ISO-8601 UTC timestamps compare as text."""
    theirs = _instant(current.get("authorized_at", ""))
    ours = _instant(incoming.get("authorized_at", ""))
    if theirs is not None and ours is not None and theirs != ours:
        return ours > theirs
    return incoming.get("received_at", "") >= current.get("received_at", "")


def _instant(text: str) -> datetime | None:
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
