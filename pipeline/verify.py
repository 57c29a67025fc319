"""Re-check stored codes with TikTok and rewrite their rows in every sink.

Used by `sparkcodes verify` (active and unverified codes, or all of them), by `run` after
the sync (the codes still unverified that no new email carried), and once a day by `watch`.
The rows come from the state (`State.tiktok_rows`: the row as last written), so no sink is
read to know what to check; they go through the same `TikTokCheck` steps as a new email's
rows, and every sink upserts them (sinks/upsert.py lets the newer check replace TikTok's
facts and the expiry, and keeps everything else).

Codes written before `[tiktok]` was added are not in the state: the first time, they are
read once from a sink that can give rows back (`seed_from_sinks`).

Screenshot reads TikTok could not be asked about have no row yet; they wait in the state with
every candidate (`State.screenshot_reads`) and are asked again here, whenever unverified codes
are (`recheck_screenshots`): the read TikTok knows becomes the email's row and its review item
is cleared, in every sink, before the state forgets the entry.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from parsers.records import CodeRow, Extraction, Failure, Reason, ReviewStatus, TikTokStatus
from pipeline.run import Job
from pipeline.state import State
from pipeline.tiktok.authorize import ADDED, FAILED_PREFIX
from pipeline.tiktok.enricher import TikTokCheck, check_key, review_item, row_from_record
from pipeline.tiktok.verdicts import Verdict
from pipeline.tiktok.verify import CodeToCheck
from sinks import Sink, StoredRows

__all__ = [
    "VerifySummary",
    "daily_verify",
    "due",
    "mark_done",
    "recheck_screenshots",
    "seed_from_sinks",
    "unverified_left",
    "verify_stored",
]

SEEDED = "tiktok_seeded"
LAST_VERIFY = "tiktok_last_verify"
# `watch`'s hourly retry of codes a TikTok outage left unverified (`run` retries at each start).
LAST_UNVERIFIED = "tiktok_last_unverified"
# What `verify` re-checks by default: codes that may still change for the worse (active) or
# have no verdict yet. Expired, rejected... stay as they are unless --all.
DEFAULT_STATUSES = (TikTokStatus.ACTIVE, TikTokStatus.UNVERIFIED)
# Verdicts that need the creator (a new code) when a code reaches them after a good check.
_TURNED_BAD = frozenset(
    {TikTokStatus.REJECTED, TikTokStatus.WRONG_VIDEO, TikTokStatus.VIDEO_UNAVAILABLE}
)
_TIKTOK_REASONS = frozenset(
    {
        Reason.TIKTOK_REJECTED,
        Reason.WRONG_VIDEO,
        Reason.VIDEO_UNAVAILABLE,
        Reason.EXPIRED_ON_ARRIVAL,
    }
)


@dataclass(slots=True)
class VerifySummary:
    checked: int = 0  # codes TikTok gave a verdict on
    asked: int = 0  # codes due for a check (a run-wide error can leave some unchecked)
    statuses: Counter[str] = field(default_factory=Counter)
    unverified_left: int = 0
    added: int = 0
    review: int = 0  # review items made for codes TikTok judged for the first time

    def line(self) -> str:
        if not self.asked and not self.checked:
            return "tiktok: nothing to check"
        parts = ", ".join(f"{status} {n}" for status, n in sorted(self.statuses.items()))
        count = (
            f"{self.checked}" if self.checked >= self.asked else f"{self.checked} of {self.asked}"
        )
        text = f"tiktok: checked {count}" + (f" ({parts})" if parts else "")
        if self.added:
            text += f"; {self.added} in the ad account"
        if self.review:
            text += f"; {self.review} for review"
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
    Screenshot reads still waiting for TikTok are asked first, with the unverified codes.
    """
    seed_from_sinks(state, sinks)
    summary = VerifySummary()
    if every or TikTokStatus.UNVERIFIED in statuses:
        skip = set(skip) | recheck_screenshots(state, sinks, check, summary, skip=skip)
    wanted = None if every else [str(s) for s in statuses]
    records = [r for r in state.tiktok_rows(wanted) if r["spark_code"] not in skip]
    if check.authorize and wanted is not None and str(TikTokStatus.ACTIVE) not in wanted:
        records += _not_yet_added(state, skip)
    if records:
        rows = [row_from_record(r) for r in records]
        verdicts = check.check(rows)
        answered = [r for r in rows if verdicts[check_key(r)].answered]
        settled = check.settle(answered, verdicts)
        if settled:
            batch = [
                _first_verdict_review(state, old, row, verdicts)
                for old, row in zip(answered, settled, strict=True)
            ]
            for sink in sinks:
                sink.write(batch)
            items = [(e.failure, e) for e in batch if e.failure is not None]
            if items:
                state.commit([], failures=[(f.as_record(), 0) for f, _ in items])
            summary.review += len(items)
        summary.checked += len(answered)
        summary.asked += len(rows)
        summary.statuses.update(str(r.tiktok_status) for r in settled)
        summary.added += sum(1 for r in settled if r.ad_account == "added")
    summary.unverified_left = unverified_left(state)
    return summary


def unverified_left(state: State) -> int:
    """Codes still waiting for TikTok's verdict: rows left unverified, and screenshot reads
    an outage left unasked (no row yet)."""
    return state.tiktok_count(str(TikTokStatus.UNVERIFIED)) + state.screenshot_reads_waiting()


def recheck_screenshots(
    state: State,
    sinks: Sequence[Sink],
    check: TikTokCheck,
    summary: VerifySummary,
    *,
    skip: frozenset[str] | set[str] = frozenset(),
) -> set[str]:
    """Ask TikTok again about the screenshot reads waiting in the state (but not those this
    run just asked about: `skip`), write what it settled to every sink, then update the
    state: review items first, the waiting entries last, so a crash in between asks again
    and upserts the same rows. Returns the codes found (checked now: the caller skips them)."""
    waiting = {
        key: entry
        for key, entry in state.screenshot_reads().items()
        if not any(str(r.get("spark_code")) in skip for r in entry.get("rows") or ())
    }
    if not waiting:
        return set()
    done = check.recheck_screenshots(waiting)
    batch = [r.extraction for r in done if r.extraction is not None]
    if batch:
        for sink in sinks:
            sink.write(batch)
        items = [(e.failure.as_record(), 0) for e in batch if e.failure is not None]
        cleared = [e.identity.failure_id for e in batch if e.failure is None]
        state.commit([], failures=items, cleared=cleared)
        summary.review += len(items)  # TikTok's first word on these reads: a person looks
    state.keep_screenshot_reads(
        {r.failure_id: r.waiting for r in done if r.waiting is not None},
        [r.failure_id for r in done if r.waiting is None],
    )
    rows = [row for e in batch for row in e.rows]
    summary.asked += sum(r.asked for r in done)
    summary.checked += sum(r.answered for r in done)
    summary.statuses.update(str(row.tiktok_status) for row in rows)
    summary.added += sum(1 for row in rows if row.ad_account == "added")
    return {row.spark_code for row in rows}


def _not_yet_added(state: State, skip: frozenset[str] | set[str]) -> list[dict[str, Any]]:
    """Active codes with no final authorize result (authorize was off when they were
    checked, or a run-wide error stopped it): checked again, so `settle` adds them."""
    out = []
    for record in state.tiktok_rows([str(TikTokStatus.ACTIVE)]):
        code = record["spark_code"]
        journal = state.journal_state(code) or ""
        if code not in skip and journal != ADDED and not journal.startswith(FAILED_PREFIX):
            out.append(record)
    return out


def _first_verdict_review(
    state: State, before: CodeRow, row: CodeRow, verdicts: Mapping[CodeToCheck, Verdict]
) -> Extraction:
    """The rewritten row, with a review item for its email when TikTok says the code will
    not run and did not say so before: its first word on the code (unverified until now: an
    outage, or written before [tiktok]), as the email would have had with TikTok up, or a
    code that turned bad since the last check (the creator deleted the video or made it
    private, revoked the code): ops ask the creator for a new one. A code that simply ran
    out changes status only; `expiring` lists it."""
    turned_bad = row.tiktok_status in _TURNED_BAD and row.tiktok_status != before.tiktok_status
    if before.checked_at is not None and not turned_bad:
        return Extraction((row,), None)
    identity = dataclasses.replace(row.identity, content_key="")
    stored = state.failure(identity.failure_id)
    earlier = None
    if stored is not None and stored.get("status") == str(ReviewStatus.OPEN):
        try:
            reason = Reason(str(stored["reason"]))
        except ValueError:
            reason = None
        if reason is not None and reason not in _TIKTOK_REASONS:
            earlier = Failure(
                reason, str(stored["detail"] or ""), str(stored.get("snippet") or ""), identity
            )
    failure = review_item(identity, [row], verdicts, earlier)
    return Extraction((row,), failure if failure is not earlier else None)


def due(state: State, every: timedelta = timedelta(days=1), key: str = LAST_VERIFY) -> bool:
    """Whether the re-check `key` records is due (never run, or `every` ago)."""
    last = state.meta(key)
    if not last:
        return True
    try:
        when = datetime.fromisoformat(last)
    except ValueError:
        return True
    return datetime.now(UTC) - when >= every


def daily_verify(state: State, job: Job) -> str | None:
    """What `watch` does after each sync: raise a run-wide TikTok error the sync met, once a
    day re-check the stored codes as `sparkcodes verify` does, and in between retry codes
    still unverified once an hour. A summary line, or None when nothing was due (or there is
    no [tiktok])."""
    check = next((e for e in job.enrichers if isinstance(e, TikTokCheck)), None)
    if check is None:
        return None
    check.raise_if_stopped()
    if due(state):
        check.tried.clear()
        result = verify_stored(state, job.sinks, check)
        mark_done(state)
    elif unverified_left(state) and due(state, timedelta(hours=1), LAST_UNVERIFIED):
        # Hourly, not at every poll: an outage costs each code its retries.
        check.tried.clear()
        result = verify_stored(state, job.sinks, check, statuses=(TikTokStatus.UNVERIFIED,))
        state.set_meta(LAST_UNVERIFIED, datetime.now(UTC).isoformat(timespec="seconds"))
    else:
        return None
    check.raise_if_stopped()
    return result.line()


def mark_done(state: State) -> None:
    state.set_meta(LAST_VERIFY, datetime.now(UTC).isoformat(timespec="seconds"))
