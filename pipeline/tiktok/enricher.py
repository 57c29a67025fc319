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

When TikTok cannot be asked (an outage, a run-wide error), no row is written either: sinks
upsert by ``spark_code`` and nothing takes a row back out, so a guess written then would stay
beside the true code found later. The item says TikTok could not be reached (with the best
reads), and the email's waiting reads, every candidate in order, are kept in the state
(`State.keep_screenshot_reads`, an entry per email, see `_waiting_entry`).
`recheck_screenshots` (run by pipeline/verify.py after each run, by `verify` and by
`watch`'s hourly retry) asks them again exactly as the first check would have, writes the row
TikTok knows (clearing the item) and only then forgets the entry: a crash at any point asks
again and upserts the same key, so each code lands once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
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
from .verify import GIVE_UP_AFTER, CodeToCheck, verify_codes

__all__ = [
    "RECHECK_KEY",
    "Rechecked",
    "ScreenshotAnswer",
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


@dataclass(frozen=True, slots=True)
class ScreenshotAnswer:
    """TikTok on one screenshot row's reads: `found`, the read it knows as the row, with its
    `verdict`; neither, it knows none; `reached` False, it could not be asked (`why`), and the
    reads wait in the state for the next check."""

    found: CodeRow | None = None
    verdict: Verdict | None = None
    reached: bool = True
    why: str = ""


@dataclass(frozen=True, slots=True)
class Rechecked:
    """One waiting email after `recheck_screenshots`: what to write (None when TikTok could
    still not be asked about any of its reads) and its entry, still waiting (None once settled:
    forget it after the sinks have the rows)."""

    failure_id: str
    extraction: Extraction | None
    waiting: dict[str, Any] | None
    asked: int  # screenshot rows asked about
    answered: int  # of them, rows TikTok settled (a read it knows, or none known)


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
        """Each email's rows with TikTok's verdict, and a review item where it needs one. A
        screenshot's reads TikTok could not be asked about get no row and wait in the state."""
        shots_at = {
            (e, r): row
            for e, extraction in enumerate(batch)
            for r, row in enumerate(extraction.rows)
            if row.code_source is CodeSource.SCREENSHOT
        }
        answers = dict(zip(shots_at, self._ask_screenshots(shots_at.values()), strict=True))
        plain = [
            row
            for e, extraction in enumerate(batch)
            for r, row in enumerate(extraction.rows)
            if (e, r) not in answers
        ]
        verdicts = self.check(plain)
        for answer in answers.values():
            if answer.found is not None and answer.verdict is not None:
                verdicts[check_key(answer.found)] = answer.verdict
        kept: list[list[CodeRow]] = []
        for e, extraction in enumerate(batch):
            kept.append([])
            for r, row in enumerate(extraction.rows):
                shot = answers.get((e, r))
                if shot is None:
                    kept[e].append(row)
                elif shot.found is not None:
                    kept[e].append(shot.found)
        # One settle for the whole batch: one state transaction, not one per email.
        settled = iter(self.settle([row for rows in kept for row in rows], verdicts))
        out: list[Extraction] = []
        waiting: dict[str, dict[str, Any]] = {}
        done: list[str] = []
        for e, extraction in enumerate(batch):
            rows = [next(settled) for _ in kept[e]]
            shots = [
                (row, answers[(e, r)]) for r, row in enumerate(extraction.rows) if (e, r) in answers
            ]
            earlier = extraction.failure
            if shots:
                unread = [row for row, a in shots if a.reached and a.found is None]
                unasked = [(row, a.why) for row, a in shots if not a.reached]
                base = earlier or _screenshot_failure(extraction.identity)
                notes = [_none_known(unread)] if unread else []
                read = any(a.found is not None for _, a in shots)
                earlier = _screenshot_item(base, notes, unasked, read=read)
                key = extraction.identity.failure_id
                if unasked:
                    waiting[key] = _waiting_entry(base, notes, [row for row, _ in unasked])
                else:
                    done.append(key)
            failure = review_item(extraction.identity, rows, verdicts, earlier)
            if not rows and failure is None:
                # Never neither: an email whose only row was a dropped guess keeps its item.
                failure = extraction.failure
            out.append(Extraction(tuple(rows), failure))
        if self.state is not None and (waiting or done):
            # Before the sinks: a crash after this re-reads the email (its batch is not
            # committed), which asks again and replaces or forgets the entry.
            self.state.keep_screenshot_reads(waiting, done)
        return out

    def recheck_screenshots(self, waiting: Mapping[str, Mapping[str, Any]]) -> list[Rechecked]:
        """Ask again about screenshot reads an earlier check could not ask (the state's
        entries, by review item id), every candidate in order as that check would have. The
        rows TikTok knows are settled (kept in the state, authorized) like a new email's; the
        caller writes the extractions, then stores or forgets the entries."""
        emails = [
            (key, entry, [_waiting_row(record, entry) for record in entry.get("rows") or ()])
            for key, entry in waiting.items()
        ]
        each = iter(self._ask_screenshots([row for _, _, rows in emails for row in rows]))
        asked = [
            (key, entry, rows, [next(each) for _ in rows]) for key, entry, rows in emails if rows
        ]
        verdicts: dict[CodeToCheck, Verdict] = {}
        found: list[CodeRow] = []
        for _, _, _, answers in asked:
            for answer in answers:
                if answer.found is not None and answer.verdict is not None:
                    verdicts[check_key(answer.found)] = answer.verdict
                    found.append(answer.found)
        settled = iter(self.settle(found, verdicts))
        out: list[Rechecked] = []
        for key, entry, rows, answers in asked:
            rows_found = [next(settled) for a in answers if a.found is not None]
            unread = [
                row for row, a in zip(rows, answers, strict=True) if a.reached and a.found is None
            ]
            unasked = [(row, a.why) for row, a in zip(rows, answers, strict=True) if not a.reached]
            notes = [str(n) for n in entry.get("notes") or ()]
            notes += [_none_known(unread)] if unread else []
            identity = rows[0].identity
            base = Failure(
                _reason(entry.get("reason")),
                str(entry.get("detail") or ""),
                str(entry.get("snippet") or ""),
                identity,
            )
            earlier = _screenshot_item(base, notes, unasked, read=bool(rows_found))
            failure = review_item(identity, rows_found, verdicts, earlier)
            learned = len(unasked) < len(rows)
            out.append(
                Rechecked(
                    failure_id=key,
                    extraction=Extraction(tuple(rows_found), failure) if learned else None,
                    waiting=_waiting_entry(base, notes, [r for r, _ in unasked])
                    if unasked
                    else None,
                    asked=len(rows),
                    answered=len(rows) - len(unasked),
                )
            )
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

    def _ask_screenshots(self, rows: Iterable[CodeRow]) -> list[ScreenshotAnswer]:
        """`ask_screenshot` on each row; after GIVE_UP_AFTER rows in a row TikTok could not
        be asked about (an outage: each costs its retries), the rest wait without a request,
        as `verify_codes` does for typed codes."""
        out: list[ScreenshotAnswer] = []
        failed = 0
        for row in rows:
            if failed >= GIVE_UP_AFTER:
                why = f"not asked: TikTok failed {failed} screenshots in a row"
                out.append(ScreenshotAnswer(reached=False, why=why))
                continue
            answer = self.ask_screenshot(row)
            failed = 0 if answer.reached else failed + 1
            out.append(answer)
        return out

    def ask_screenshot(self, row: CodeRow) -> ScreenshotAnswer:
        """TikTok on a screenshot row's candidates, in order: the first it knows (and, with a
        link, for the linked video) becomes the row; the first temporary or run-wide failure
        stops the asking (the reads wait for the next check)."""
        linked = (row.video_id or "").strip()
        for candidate in _candidates(row):
            if self.error is not None:
                return ScreenshotAnswer(reached=False, why=str(self.error))
            self.tried.add(candidate)
            try:
                answer = self.client.info(candidate)
            except TransientException as exc:
                return ScreenshotAnswer(reached=False, why=str(exc))
            except TerminalException as exc:
                self._stop(exc)
                return ScreenshotAnswer(reached=False, why=str(exc))
            if not isinstance(answer, PostInfo):
                continue  # TikTok does not know this read
            if linked and answer.item_id and answer.item_id != linked:
                continue  # a real code, but for another video: a misread that landed elsewhere
            verdict = judge(answer, linked or None, self.now())
            found = dataclasses.replace(row, spark_code=candidate, candidates=())
            return ScreenshotAnswer(found, verdict)
        return ScreenshotAnswer()


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


def _best_reads(rows: Sequence[CodeRow]) -> str:
    return ", ".join(c for r in rows for c in _candidates(r)[:3])


def _none_known(rows: Sequence[CodeRow]) -> str:
    tried = sum(len(_candidates(r)) for r in rows)
    return f"TikTok knows none of the {tried} reads tried (best: {_best_reads(rows)})"


def _screenshot_failure(identity: MessageIdentity) -> Failure:
    """The item a screenshot row stands for when its email came without one."""
    return Failure(Reason.CODE_FROM_SCREENSHOT, "code read off a screenshot", "", identity)


def _screenshot_item(
    base: Failure, notes: Sequence[str], unasked: Sequence[tuple[CodeRow, str]], *, read: bool
) -> Failure | None:
    """The screenshot email's item before TikTok's verdicts on its rows: the parser's, with
    what TikTok said about the reads (`notes`) and about the ones it could not be asked;
    none once TikTok settled every read."""
    parts = list(notes)
    if unasked:
        why = unasked[0][1] or "no answer"
        parts.append(
            f"TikTok could not be reached ({why}), so no row yet: the next check asks again "
            f"(best: {_best_reads([row for row, _ in unasked])})"
        )
    if parts:
        return dataclasses.replace(base, detail="; ".join([base.detail, *parts]))
    if read and base.reason is Reason.CODE_FROM_SCREENSHOT:
        return None  # TikTok settled the read: nobody needs to check it
    return base


def _waiting_entry(base: Failure, notes: Sequence[str], rows: Sequence[CodeRow]) -> dict[str, Any]:
    """What the state keeps for an email whose reads wait: its rows with every candidate in
    order, its parser's item, and what TikTok said about its other reads (`notes`)."""
    return {
        "content_key": base.identity.content_key,
        "reason": str(base.reason),
        "detail": base.detail,
        "snippet": base.snippet,
        "notes": list(notes),
        "rows": [{**row.as_record(), "candidates": _candidates(row)} for row in rows],
    }


def _waiting_row(record: Mapping[str, Any], entry: Mapping[str, Any]) -> CodeRow:
    row = row_from_record(record, str(entry.get("content_key") or ""))
    candidates = record.get("candidates") or ()
    return dataclasses.replace(row, candidates=tuple(str(c) for c in candidates))


def _reason(value: Any) -> Reason:
    try:
        return Reason(str(value))
    except ValueError:
        return Reason.CODE_FROM_SCREENSHOT


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
