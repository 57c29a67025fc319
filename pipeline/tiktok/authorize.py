"""Add good posts to the ad account (``POST /tt_video/authorize/``) exactly once per code.

TikTok's authorize is not idempotent: a code already applied can fail on a second try, and a
request whose answer got lost may or may not have landed. So every attempt goes through a
journal the caller keeps durably (the run's state), and this protocol:

1. Only ``active`` codes are authorized; any other verdict is skipped, no request.
2. The journal's state for the code decides:
   - ``"added"`` or ``"failed: ..."``: final, nothing is sent again (``never twice``);
   - ``"attempted"`` (an attempt recorded, no result: a crash or a lost answer last time):
     **doubt** - look the post up with ``/tt_video/list/`` (keyword = TikTok's item id) and, if
     it is there, record ``"added"`` and stop; otherwise go on to 3;
   - nothing: go on to 3.
3. ``record_attempt(code)`` - durably - *before* the request, then POST.
4. After the answer, ``record_result(code, ...)``:
   - success, or a refusal saying the post is *already* authorized: ``"added"``;
   - any other refusal: ``"failed: <TikTok's code and message>"``;
   - no answer (``ApiUnavailable``, ``RateLimited``): doubt again - look the post up; found:
     ``"added"``; not found: back off and try again (up to ``attempts`` POSTs); still nothing:
     no result is recorded, the journal keeps ``"attempted"`` and the next run starts at 2.
5. Run-wide errors (token, scope) propagate with the journal at ``"attempted"``: step 2
   resolves it next time.

A crash between the POST and ``record_result`` (SIGKILL) therefore never sends a second POST
for a post TikTok already added, provided ``/tt_video/list/`` shows an authorized post as soon
as authorize answered (the only read TikTok offers for this). The ``ad_account`` row column is
the outcome's ``ad_account``: ``"added"``, ``"failed: <message>"`` or blank.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from .answers import Refusal
from .client import Client
from .errors import ApiUnavailable, RateLimited
from .verdicts import TikTokStatus, Verdict

__all__ = [
    "ADDED",
    "ATTEMPTED",
    "AuthorizeJournal",
    "AuthorizeOutcome",
    "MemoryJournal",
    "authorize_codes",
    "authorize_one",
]

ADDED = "added"
ATTEMPTED = "attempted"
FAILED_PREFIX = "failed: "

_UNKNOWN = "TikTok's ad account could not be read to settle an earlier attempt; the next run checks"
_ALREADY = re.compile(r"\balready\b", re.IGNORECASE)
_ELSEWHERE = re.compile(r"\b(another|other)\b", re.IGNORECASE)


class AuthorizeJournal(Protocol):
    """The caller's durable record of authorize attempts, one entry per Spark code."""

    def state(self, spark_code: str) -> str | None:
        """``None`` (never tried), ``"attempted"``, ``"added"`` or ``"failed: ..."``."""
        ...

    def record_attempt(self, spark_code: str) -> None:
        """Store ``"attempted"`` durably; called before the POST is sent."""
        ...

    def record_result(self, spark_code: str, ad_account: str) -> None:
        """Store ``"added"`` or ``"failed: ..."`` durably; called after TikTok answered."""
        ...


class MemoryJournal:
    """An in-memory journal: for tests, and as the reference the state wiring follows."""

    def __init__(self, entries: dict[str, str] | None = None) -> None:
        self.entries: dict[str, str] = dict(entries or {})
        self.attempts: list[str] = []

    def state(self, spark_code: str) -> str | None:
        return self.entries.get(spark_code)

    def record_attempt(self, spark_code: str) -> None:
        self.attempts.append(spark_code)
        self.entries[spark_code] = ATTEMPTED

    def record_result(self, spark_code: str, ad_account: str) -> None:
        self.entries[spark_code] = ad_account


@dataclass(frozen=True, slots=True)
class AuthorizeOutcome:
    """``ad_account`` is the row's column: ``"added"``, ``"failed: ..."`` or ``""``."""

    spark_code: str
    ad_account: str
    detail: str = ""
    requests: int = 0  # authorize POSTs sent for this code in this call


def authorize_one(
    client: Client,
    spark_code: str,
    verdict: Verdict,
    journal: AuthorizeJournal,
    *,
    attempts: int = 3,
    backoff: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
) -> AuthorizeOutcome:
    """Follow the module's protocol for one code."""
    if verdict.tiktok_status is not TikTokStatus.ACTIVE:
        return AuthorizeOutcome(spark_code, "", f"not authorized: {verdict.tiktok_status}")
    state = journal.state(spark_code)
    if state == ADDED or (state or "").startswith(FAILED_PREFIX):
        return AuthorizeOutcome(spark_code, state or "", "recorded earlier")
    if state == ATTEMPTED:
        found = _in_account(client, spark_code, verdict)
        if found:
            journal.record_result(spark_code, ADDED)
            return AuthorizeOutcome(spark_code, ADDED, "found in the ad account")
        if found is None:
            return AuthorizeOutcome(spark_code, "", _UNKNOWN)
    sent = 0
    for attempt in range(max(1, attempts)):
        if attempt:
            sleep(backoff * 2 ** (attempt - 1))
        journal.record_attempt(spark_code)
        sent += 1
        try:
            refusal = client.authorize(spark_code)
        except (ApiUnavailable, RateLimited) as exc:
            if isinstance(exc, ApiUnavailable) and exc.maybe_applied:
                found = _in_account(client, spark_code, verdict)
                if found:
                    journal.record_result(spark_code, ADDED)
                    return AuthorizeOutcome(spark_code, ADDED, "found in the ad account", sent)
                if found is None:
                    return AuthorizeOutcome(spark_code, "", _UNKNOWN, sent)
            continue
        result = _result(refusal)
        journal.record_result(spark_code, result)
        return AuthorizeOutcome(spark_code, result, refusal.detail if refusal else "", sent)
    return AuthorizeOutcome(spark_code, "", "TikTok did not answer; the next run checks", sent)


def authorize_codes(
    client: Client,
    verdicts: Iterable[tuple[str, Verdict]],
    journal: AuthorizeJournal,
    *,
    attempts: int = 3,
    backoff: float = 2.0,
) -> list[AuthorizeOutcome]:
    """``authorize_one`` for each ``(spark_code, verdict)``, one after another (authorize is
    rare next to info checks, and sequential keeps the journal order obvious)."""
    return [
        authorize_one(client, code, verdict, journal, attempts=attempts, backoff=backoff)
        for code, verdict in verdicts
    ]


def _result(refusal: Refusal | None) -> str:
    if refusal is None:
        return ADDED
    if _ALREADY.search(refusal.message) and not _ELSEWHERE.search(refusal.message):
        return ADDED
    return f"{FAILED_PREFIX}{refusal.detail}"


def _in_account(client: Client, spark_code: str, verdict: Verdict) -> bool | None:
    """Doubt resolved by reading ``/tt_video/list/``; ``None`` when the list cannot be read
    (then nothing is sent: the journal keeps ``attempted`` for the next run)."""
    try:
        return client.find_post(verdict.tiktok_item_id, spark_code) is not None
    except (ApiUnavailable, RateLimited):
        return None
