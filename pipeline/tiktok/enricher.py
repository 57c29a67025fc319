"""TikTok's verdict on every new code, between extraction and the sinks (issue 12).

`TikTokCheck` is the run's `Enricher` (pipeline/enrich.py) and also the engine of
`sparkcodes verify` (pipeline/verify.py), so a code checked from an email and one re-checked
from the state go through the same steps: `check` (``/tt_video/info/`` at the rate limit),
`settle` (verdict onto the row; with ``authorize = true``, active codes added to the ad
account exactly once through the state's journal), and the state keeps what was checked.

Errors, the house way:
- a temporary failure of one code (5xx, 50000/50002/60001, throttling beyond patience) leaves
  that code ``unverified``; the next run re-checks it;
- a run-wide one (token 40102/40104/40105, scope 40001, advertiser, endpoint) stops sending:
  the remaining codes stay ``unverified``, the rows still reach the sinks with what the email
  gave, and the error is kept in `error` for the command to raise once the sync is over
  (`raise_if_stopped`), so the exit is 2 with one sentence naming what to fix.

Review items. An email gets one (`Extraction.failure`). When TikTok's verdict on a row needs
a person (rejected, wrong video, video unavailable, already expired on arrival) the item takes
the most urgent TikTok reason (that order), lists every such code in its detail, and if the
parser had already flagged the email (an unpaired code, an ambiguous period) that reason and
detail follow as "also: ...": a code that will not run outranks a missing fact, and neither is
lost. The rows stay in every case.

Screenshots (issue 13). A row read off an image (``code_source = screenshot``) carries its
``candidates``; each is asked in order and the first TikTok knows, whose ``item_id`` is the
linked video when there is a link, becomes the row and its ``code_from_screenshot`` item is
dropped. When TikTok knows none, no row is written for a guess: the item stays, listing the
best reads. A read TikTok does not know is never written as a code, so a misread cannot
become ``active``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from parsers.records import (
    CodeRow,
    CodeSource,
    DurationSource,
    Extraction,
    Failure,
    MessageIdentity,
    Reason,
    TikTokStatus,
)
from pipeline.state import State, StateJournal

from .answers import PostInfo, Unchecked
from .authorize import authorize_one
from .client import Client
from .errors import TerminalException, TikTokError, TransientException
from .verdicts import Verdict, judge
from .verify import CodeToCheck, verify_codes

__all__ = [
    "RECHECK_KEY",
    "TikTokCheck",
    "apply_verdict",
    "check_key",
    "review_item",
    "row_from_record",
]

# Rows rewritten by `verify` carry this content key: their `failure_id` is then not the
# email's, so rewriting a row never claims or clears the email's review item in a sink.
RECHECK_KEY = "sparkcodes:tiktok-recheck"
MAX_CANDIDATES = 32
# Codes in a row whose authorize got no answer before the rest wait for the next run: each
# costs its POSTs, list look-ups and backoff (about 6 s), and the rows wait for the sinks.
AUTHORIZE_GIVE_UP_AFTER = 3
_URGENCY = (
    Reason.TIKTOK_REJECTED,
    Reason.WRONG_VIDEO,
    Reason.VIDEO_UNAVAILABLE,
    Reason.EXPIRED_ON_ARRIVAL,
)
_REASON = {
    TikTokStatus.REJECTED: Reason.TIKTOK_REJECTED,
    TikTokStatus.WRONG_VIDEO: Reason.WRONG_VIDEO,
    TikTokStatus.VIDEO_UNAVAILABLE: Reason.VIDEO_UNAVAILABLE,
    TikTokStatus.EXPIRED: Reason.EXPIRED_ON_ARRIVAL,
}


def _utcnow() -> datetime:
    return datetime.now(UTC)


def check_key(row: CodeRow) -> CodeToCheck:
    """What a verdict is about: the code, and the video the creator linked (if any)."""
    return CodeToCheck(row.spark_code, (row.video_id or "").strip() or None)


def apply_verdict(row: CodeRow, verdict: Verdict, ad_account: str | None = None) -> CodeRow:
    """The row with TikTok's facts. When TikTok answered, its ``auth_end_time`` is the
    expiry (``duration_source = tiktok``); unanswered, the email's facts stay."""
    if not verdict.answered:
        return dataclasses.replace(
            row,
            tiktok_status=TikTokStatus.UNVERIFIED,
            tiktok_detail=verdict.tiktok_detail or None,
            ad_account=ad_account or row.ad_account,
        )
    checked = verdict.checked_at.replace(microsecond=0) if verdict.checked_at else None
    out = dataclasses.replace(
        row,
        tiktok_status=verdict.tiktok_status,
        tiktok_detail=verdict.tiktok_detail or None,
        tiktok_item_id=verdict.tiktok_item_id or None,
        tiktok_name=verdict.tiktok_name or None,
        checked_at=checked,
        ad_account=ad_account or row.ad_account,
    )
    end = verdict.auth_end_time
    if verdict.end_unknown and row.expires_at is not None and end is not None:
        # TikTok says it ended but gave no usable end: the row's own end (the email's, or an
        # earlier check's) when already passed, rather than each check's moment.
        end = min(end, row.expires_at)
    if end is not None:
        out = dataclasses.replace(out, expires_at=end, duration_source=DurationSource.TIKTOK)
    return out


class TikTokCheck:
    """One run's TikTok step: a shared client (and its rate limiter) and the state."""

    def __init__(
        self,
        client: Client,
        state: State | None,
        *,
        authorize: bool = False,
        workers: int = 4,
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.client = client
        self.state = state
        self.authorize = authorize
        self.workers = workers
        self.now = now
        # The first run-wide error; once set, no request is sent and codes stay unverified.
        self.error: TikTokError | None = None
        # Codes asked about in this run: the after-sync re-check skips them.
        self.tried: set[str] = set()

    # ------------------------------------------------------------------ the steps

    def check(self, rows: Iterable[CodeRow]) -> dict[CodeToCheck, Verdict]:
        """TikTok's verdict on each distinct (code, linked video); unverified when a
        temporary failure outlasted the retries, or once a run-wide error stopped the step."""
        items = list(dict.fromkeys(check_key(r) for r in rows))
        self.tried.update(i.spark_code for i in items)
        verdicts: dict[CodeToCheck, Verdict] = {}
        if self.error is None and items:
            try:
                for item, verdict in verify_codes(
                    self.client, items, workers=self.workers, now=self.now
                ):
                    verdicts[item] = verdict
            except TerminalException as exc:
                self._stop(exc)
        for item in items:
            if item not in verdicts:
                verdicts[item] = self._unchecked()
        return verdicts

    def settle(
        self, rows: Sequence[CodeRow], verdicts: Mapping[CodeToCheck, Verdict]
    ) -> list[CodeRow]:
        """Verdicts onto rows, kept in the state; then, with authorize on, each active code
        added to the ad account exactly once (the journal is written before each POST)."""
        out = [apply_verdict(r, verdicts[check_key(r)]) for r in rows]
        self._keep(out)
        if not self.authorize:
            return out
        journal = StateJournal(self.state) if self.state is not None else None
        added: dict[str, str] = {}
        unanswered = 0  # codes in a row with no result: TikTok's authorize is down
        backoff = 4 * self.client.retry.backoff
        for i, row in enumerate(out):
            verdict = verdicts[check_key(row)]
            if verdict.tiktok_status is not TikTokStatus.ACTIVE or journal is None:
                continue
            if (
                row.spark_code not in added
                and self.error is None
                and unanswered < AUTHORIZE_GIVE_UP_AFTER
            ):
                try:
                    outcome = authorize_one(
                        self.client, row.spark_code, verdict, journal, backoff=backoff
                    )
                    added[row.spark_code] = outcome.ad_account
                    unanswered = 0 if outcome.ad_account else unanswered + 1
                except TerminalException as exc:
                    self._stop(exc)
            if added.get(row.spark_code):
                out[i] = dataclasses.replace(row, ad_account=added[row.spark_code])
        if added:
            self._keep(out)
        return out

    # ------------------------------------------------------------------ Enricher

    def enrich(self, batch: Sequence[Extraction]) -> list[Extraction]:
        """Each email's rows with TikTok's verdict, and a review item where it needs one."""
        screenshots: dict[tuple[int, int], CodeRow | None] = {}
        resolved: dict[tuple[int, int], Verdict] = {}
        for e, extraction in enumerate(batch):
            for r, row in enumerate(extraction.rows):
                if row.code_source is CodeSource.SCREENSHOT:
                    found = self._read_screenshot(row)
                    screenshots[(e, r)] = found[0] if found else None
                    if found and found[1] is not None:
                        resolved[(e, r)] = found[1]
        plain = [
            row
            for e, extraction in enumerate(batch)
            for r, row in enumerate(extraction.rows)
            if (e, r) not in screenshots
        ]
        verdicts = self.check(plain)
        for key, shot in screenshots.items():
            if shot is not None:
                verdicts[check_key(shot)] = resolved.get(key) or self._unchecked()
        kept: list[list[CodeRow]] = []
        unread: list[list[CodeRow]] = []
        for e, extraction in enumerate(batch):
            kept.append([])
            unread.append([])
            for r, row in enumerate(extraction.rows):
                if (e, r) not in screenshots:
                    kept[e].append(row)
                elif (found_row := screenshots[(e, r)]) is not None:
                    kept[e].append(found_row)
                else:
                    unread[e].append(row)
        # One settle for the whole batch: one state transaction, not one per email.
        settled = iter(self.settle([row for rows in kept for row in rows], verdicts))
        out: list[Extraction] = []
        for e, extraction in enumerate(batch):
            rows = [next(settled) for _ in kept[e]]
            read = any(k[0] == e for k in resolved)
            out.append(self._reviewed(extraction, rows, verdicts, read=read, unread=unread[e]))
        return out

    def raise_if_stopped(self) -> None:
        """Raise the run-wide error this step met (once the sinks have the rows)."""
        if self.error is not None:
            raise self.error

    # ------------------------------------------------------------------ helpers

    def _stop(self, exc: BaseException) -> None:
        """Remember a run-wide TikTok error; any other terminal error (the state file) is
        not TikTok's and stops the batch at once."""
        if not isinstance(exc, TikTokError):
            raise exc
        if self.error is None:
            self.error = exc

    def _unchecked(self) -> Verdict:
        reason = f"not checked: {self.error}" if self.error is not None else "not checked"
        return judge(Unchecked(reason), None, self.now())

    def _keep(self, rows: Sequence[CodeRow]) -> None:
        if self.state is not None and rows:
            self.state.tiktok_record(r.as_record() for r in rows)

    def _read_screenshot(self, row: CodeRow) -> tuple[CodeRow | None, Verdict | None] | None:
        """``(row, verdict)`` for the first candidate TikTok knows (and, with a link, for the
        linked video); ``(row, None)`` when TikTok could not be asked (the row keeps its
        screenshot read, unverified, as without [tiktok]); ``None`` when TikTok knows none."""
        linked = (row.video_id or "").strip()
        for candidate in _candidates(row):
            if self.error is not None:
                return row, None
            self.tried.add(candidate)
            try:
                answer = self.client.info(candidate)
            except TransientException:
                return row, None
            except TerminalException as exc:
                self._stop(exc)
                return row, None
            if not isinstance(answer, PostInfo):
                continue  # TikTok does not know this read
            if linked and answer.item_id and answer.item_id != linked:
                continue  # a real code, but for another video: a misread that landed elsewhere
            verdict = judge(answer, linked or None, self.now())
            found = dataclasses.replace(row, spark_code=candidate, candidates=())
            return found, verdict
        return None

    def _reviewed(
        self,
        extraction: Extraction,
        rows: list[CodeRow],
        verdicts: Mapping[CodeToCheck, Verdict],
        *,
        read: bool,
        unread: list[CodeRow],
    ) -> Extraction:
        earlier = extraction.failure
        if earlier is not None and earlier.reason is Reason.CODE_FROM_SCREENSHOT:
            if unread:
                reads = ", ".join(c for r in unread for c in _candidates(r)[:3])
                tried = sum(len(_candidates(r)) for r in unread)
                earlier = dataclasses.replace(
                    earlier,
                    detail=f"{earlier.detail}; TikTok knows none of the {tried} reads tried "
                    f"(best: {reads})",
                )
            elif read:
                earlier = None  # TikTok settled the read: nobody needs to check it
        failure = review_item(extraction.identity, rows, verdicts, earlier)
        if not rows and failure is None:
            # Never neither: an email whose only row was a dropped guess keeps its item.
            failure = extraction.failure
        return Extraction(tuple(rows), failure)


def review_item(
    identity: MessageIdentity,
    rows: Sequence[CodeRow],
    verdicts: Mapping[CodeToCheck, Verdict],
    earlier: Failure | None,
) -> Failure | None:
    """The email's one review item once TikTok judged its rows: the most urgent TikTok
    reason with every such code in the detail, the `earlier` item's reason and detail kept
    after "also"; `earlier` itself when no verdict needs a person."""
    notes: list[tuple[Reason, str]] = []
    for row in rows:
        verdict = verdicts[check_key(row)]
        reason = _REASON.get(verdict.tiktok_status) if verdict.answered else None
        if reason is Reason.EXPIRED_ON_ARRIVAL and not _expired_on_arrival(row, verdict):
            reason = None  # it ran out after the email came (a backfill): just expired
        if reason is not None:
            why = verdict.tiktok_detail or str(verdict.tiktok_status)
            notes.append((reason, f"{row.spark_code} is {verdict.tiktok_status} ({why})"))
    if not notes:
        return earlier
    reason = min((n[0] for n in notes), key=_URGENCY.index)
    detail = "; ".join(n[1] for n in notes)
    if earlier is not None:
        detail += f"; also {earlier.reason}: {earlier.detail}"
    snippet = earlier.snippet if earlier is not None else ""
    return Failure(reason, detail, snippet, identity)


def _expired_on_arrival(row: CodeRow, verdict: Verdict) -> bool:
    """Whether the code had already ended when its email arrived; when either time is
    unknown, it counts as on arrival (a person looks rather than nobody)."""
    received = row.identity.received_at
    if verdict.auth_end_time is None or verdict.end_unknown or received is None:
        return True
    return verdict.auth_end_time <= received


def _candidates(row: CodeRow) -> list[str]:
    """The reads to ask TikTok about, most likely first (the row's own code is the first)."""
    return list(dict.fromkeys((row.spark_code, *row.candidates)))[:MAX_CANDIDATES]


def row_from_record(record: Mapping[str, Any], content_key: str = RECHECK_KEY) -> CodeRow:
    """A code row back from its record (the state's copy, or a sink's text cells)."""

    def text(key: str) -> str | None:
        value = record.get(key)
        return None if value is None or str(value) == "" else str(value)

    def when(key: str) -> datetime | None:
        value = text(key)
        if value is None:
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)

    def number(key: str) -> int | None:
        value = text(key)
        try:
            return int(float(value)) if value is not None else None
        except ValueError:
            return None

    def choice(kind: Any, key: str, default: Any) -> Any:
        try:
            return kind(text(key) or default)
        except ValueError:
            return default

    identity = MessageIdentity(
        creator_email=text("creator_email"),
        creator_name=text("creator_name"),
        subject=text("subject"),
        message_id=text("message_id") or "",
        received_at=when("received_at"),
        source=text("source") or "",
        campaign=text("campaign"),
        content_key=content_key,
    )
    return CodeRow(
        spark_code=str(record["spark_code"]),
        duration_days=number("duration_days"),
        duration_source=choice(DurationSource, "duration_source", DurationSource.NONE),
        creator_handle=text("creator_handle"),
        video_url=text("video_url"),
        video_id=text("video_id"),
        authorized_at=when("authorized_at"),
        expires_at=when("expires_at"),
        identity=identity,
        code_source=choice(CodeSource, "code_source", CodeSource.TEXT),
        tiktok_status=choice(TikTokStatus, "tiktok_status", TikTokStatus.UNVERIFIED),
        tiktok_detail=text("tiktok_detail"),
        tiktok_item_id=text("tiktok_item_id"),
        tiktok_name=text("tiktok_name"),
        checked_at=when("checked_at"),
        ad_account=text("ad_account"),
    )
