"""Re-check stored codes with TikTok and rewrite their rows in every sink.

Used by `sparkcodes verify` (active and unverified codes, or all of them), by `run` after
the sync (the codes still unverified that no new email carried), and once a day by `watch`.
The rows come from the state (`State.tiktok_rows`: the row as last written), so no sink is
read to know what to check; they go through the same `TikTokCheck` steps as a new email's
rows, and every sink upserts them (sinks/upsert.py lets the newer check replace TikTok's
facts and the expiry, and keeps everything else).

Codes written before `[tiktok]` was added are not in the state: the first time, they are
read once from a sink that can give rows back (`seed_from_sinks`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from parsers.records import Extraction, TikTokStatus
from pipeline.run import Job
from pipeline.state import State
from pipeline.tiktok.enricher import TikTokCheck, check_key, row_from_record
from sinks import Sink, StoredRows

__all__ = ["VerifySummary", "daily_verify", "due", "mark_done", "seed_from_sinks", "verify_stored"]

SEEDED = "tiktok_seeded"
LAST_VERIFY = "tiktok_last_verify"
# What `verify` re-checks by default: codes that may still change for the worse (active) or
# have no verdict yet. Expired, rejected... stay as they are unless --all.
DEFAULT_STATUSES = (TikTokStatus.ACTIVE, TikTokStatus.UNVERIFIED)


@dataclass(slots=True)
class VerifySummary:
    checked: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    unverified_left: int = 0
    added: int = 0

    def line(self) -> str:
        if not self.checked:
            return "tiktok: nothing to check"
        parts = ", ".join(f"{status} {n}" for status, n in sorted(self.statuses.items()))
        text = f"tiktok: checked {self.checked} ({parts})"
        if self.added:
            text += f"; {self.added} in the ad account"
        return text


def seed_from_sinks(state: State, sinks: Sequence[Sink]) -> int:
    """Once per state: codes a sink holds that the state does not know become unverified
    (they were written before `[tiktok]`); returns how many."""
    if state.meta(SEEDED):
        return 0
    known = {r["spark_code"] for r in state.tiktok_rows()}
    added = []
    for sink in sinks:
        if isinstance(sink, StoredRows):
            for cells in sink.code_rows():
                code = str(cells.get("spark_code") or "")
                if code and code not in known:
                    known.add(code)
                    record = dict(cells)
                    if not record.get("checked_at"):
                        record["tiktok_status"] = str(TikTokStatus.UNVERIFIED)
                    added.append(record)
            break  # one store is enough: every sink holds the same rows
    if added:
        state.tiktok_record(added)
    state.set_meta(SEEDED, datetime.now(UTC).isoformat(timespec="seconds"))
    return len(added)


def verify_stored(
    state: State,
    sinks: Sequence[Sink],
    check: TikTokCheck,
    *,
    every: bool = False,
    statuses: Sequence[TikTokStatus] = DEFAULT_STATUSES,
    skip: frozenset[str] | set[str] = frozenset(),
) -> VerifySummary:
    """Re-check stored codes (`statuses`, or `every` one) and write what TikTok said.

    A code TikTok could not be asked about (a temporary failure) keeps its row and stored
    status as they were: an active code does not turn unverified because of an outage.
    """
    seed_from_sinks(state, sinks)
    wanted = None if every else [str(s) for s in statuses]
    records = [r for r in state.tiktok_rows(wanted) if r["spark_code"] not in skip]
    summary = VerifySummary()
    if records:
        rows = [row_from_record(r) for r in records]
        verdicts = check.check(rows)
        answered = [r for r in rows if verdicts[check_key(r)].answered]
        settled = check.settle(answered, verdicts)
        if settled:
            batch = [Extraction((row,), None) for row in settled]
            for sink in sinks:
                sink.write(batch)
        summary.checked = len(answered)
        summary.statuses.update(str(r.tiktok_status) for r in settled)
        summary.added = sum(1 for r in settled if r.ad_account == "added")
    summary.unverified_left = state.tiktok_count(str(TikTokStatus.UNVERIFIED))
    return summary


def due(state: State, every: timedelta = timedelta(days=1)) -> bool:
    """Whether the daily re-check is due (never run, or `every` ago)."""
    last = state.meta(LAST_VERIFY)
    if not last:
        return True
    try:
        when = datetime.fromisoformat(last)
    except ValueError:
        return True
    return datetime.now(UTC) - when >= every


def daily_verify(state: State, job: Job) -> str | None:
    """What `watch` does after each sync: raise a run-wide TikTok error the sync met, and
    once a day re-check the stored codes as `sparkcodes verify` does. A summary line, or
    None when nothing was due (or there is no [tiktok])."""
    check = next((e for e in job.enrichers if isinstance(e, TikTokCheck)), None)
    if check is None:
        return None
    check.raise_if_stopped()
    if not due(state):
        return None
    check.tried.clear()
    result = verify_stored(state, job.sinks, check)
    mark_done(state)
    check.raise_if_stopped()
    return result.line()


def mark_done(state: State) -> None:
    state.set_meta(LAST_VERIFY, datetime.now(UTC).isoformat(timespec="seconds"))
