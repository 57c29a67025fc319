"""Settings turned into the parts of a job: sinks, parsing options, review store, lock path.

Every path a Settings exposes is already absolute (config.settings resolves them against the
config file at load), so nothing here reads paths relative to anything."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from config.settings import Settings
from parsers.options import Campaign, Options
from pipeline.review import ReviewStore
from pipeline.run import Job
from pipeline.state import State
from sinks import Sink
from sinks.upsert import Expiry

if TYPE_CHECKING:
    from pipeline.tiktok.client import Client, RetryPolicy
    from pipeline.tiktok.enricher import TikTokCheck
    from sinks.sheets import SheetsSink
    from sources.imap import ImapSource, Mailbox

# Sinks, the IMAP client and TikTok's client are imported where they are built: a config
# without a sheet never loads gspread and Google's auth libraries (a third of `run`'s
# start-up), one without [tiktok] never loads requests.


def make_job(settings: Settings, state: State | None, *, full: bool = False) -> Job:
    """The job a sync runs; with `[tiktok]`, TikTok's check is its enricher (`tiktok_of`).

    A job without a state only lends its sinks (`resolve`, `expiring`): it gets no TikTok
    check, so those commands never need the token (and the check keeps what it learns, and
    its authorize journal, in the state)."""
    check = tiktok_check(settings, state) if state is not None else None
    return Job(
        # A CSV that earlier runs wrote and that is now missing stops the run (exit 2) rather
        # than starting a file with only this run's rows; `--full` writes it again.
        sinks=_sinks(
            settings, written_before=state is not None and not full and state.has_processed()
        ),
        options=parsing_options(settings),
        state=state,
        store=review_store(settings),
        enrichers=[check] if check is not None else [],
        full=full,
    )


# How long TikTok requests keep trying (None: the client's default); tests shorten it.
TIKTOK_RETRY: RetryPolicy | None = None


def tiktok_client(settings: Settings) -> Client:
    """One client (and rate limiter) for the whole run; reads the token now, so a missing
    one stops the command before any mail is read."""
    from pipeline.tiktok.access import TokenSetupError, read_token
    from pipeline.tiktok.client import Client, RetryPolicy
    from pipeline.tiktok.ratelimit import RateLimiter

    tiktok = settings.tiktok
    assert tiktok is not None
    try:
        return Client(
            tiktok.advertiser_id,
            read_token(tiktok),
            endpoint=tiktok.effective_endpoint,
            limiter=RateLimiter(per_second=tiktok.max_requests_per_second),
            retry=TIKTOK_RETRY or RetryPolicy(),
        )
    except ValueError as exc:  # the token holds spaces: say so without showing it
        raise TokenSetupError(f"the TikTok access token cannot be used: {exc}") from None


def tiktok_check(settings: Settings, state: State | None) -> TikTokCheck | None:
    """TikTok's check as the run's enricher, or None without `[tiktok]` (no request, ever)."""
    if settings.tiktok is None:
        return None
    from pipeline.tiktok.enricher import TikTokCheck

    return TikTokCheck(tiktok_client(settings), state, authorize=settings.tiktok.authorize)


def tiktok_of(job: Job) -> TikTokCheck | None:
    """The job's TikTok step, for what a command does after the sync."""
    if not job.enrichers:
        return None
    from pipeline.tiktok.enricher import TikTokCheck

    return next((e for e in job.enrichers if isinstance(e, TikTokCheck)), None)


def imap_source(settings: Settings, mailbox: Mailbox) -> ImapSource:
    """The IMAP folder as a source, handing failed messages off as [review] says."""
    from sources.imap import ImapSource

    review = settings.review
    return ImapSource(mailbox, review.imap_keyword, review.imap_move_to)


def review_store(settings: Settings) -> ReviewStore:
    return ReviewStore(settings.review_store, int(settings.review.store_max_mb * 1024 * 1024))


def _sinks(settings: Settings, *, written_before: bool = False) -> list[Sink]:
    expiry = Expiry(warn_days=settings.review.expiring_within_days)
    sinks: list[Sink] = []
    if settings.csv is not None:
        from sinks.csv import CsvSink

        csv = settings.csv
        sinks.append(
            CsvSink(
                csv.path,
                csv.failures_path,
                expiry,
                written_before=written_before,
            )
        )
    if settings.sheets is not None:
        sinks.append(sheets_sink(settings, expiry))
    return sinks


def sheets_sink(settings: Settings, expiry: Expiry | None = None) -> SheetsSink:
    from sinks.sheets import RetryPolicy, SheetsSink, make_client, service_account_email

    sheets = settings.sheets
    assert sheets is not None
    credentials = sheets.credentials_file
    return SheetsSink(
        make_client(credentials, sheets.endpoint),
        sheets.spreadsheet,
        worksheet=sheets.worksheet,
        failures_worksheet=sheets.failures_worksheet,
        retry=RetryPolicy(attempts=sheets.max_attempts, max_wait=sheets.max_backoff_seconds),
        share_with=service_account_email(credentials),
        expiry=expiry,
    )


def parsing_options(settings: Settings) -> Options:
    rules = settings.rules
    return Options(
        max_bytes=settings.parsing.max_message_bytes,
        default_days=settings.parsing.default_duration_days,
        code_labels=tuple(rules.code_labels),
        period_phrases=tuple(rules.period_phrases.items()),
        campaigns=tuple(
            Campaign(c.name, c.subject_tag, c.plus_tag, c.sender_domain) for c in rules.campaigns
        ),
    )


def lock_path(settings: Settings) -> Path:
    return settings.state_path.with_suffix(".lock")
