"""`sparkcodes watch`: stay connected, sync whenever mail arrives, survive drops.

IMAP IDLE where the server has it (re-issued at least every 10 minutes), polling where it does
not; after a retryable error it reconnects with capped exponential backoff and jitter. A stop
request (SIGTERM, Ctrl-C) ends it between two steps, never in the middle of a batch.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from pathlib import Path

from config.settings import Settings
from pipeline.imap import ImapError, Mailbox
from pipeline.run import Job, Summary, sync_mailbox
from sinks import RetryableSinkError


def backoff(failures: int, cap: float) -> float:
    """Full-jitter exponential backoff: spreads reconnects of many watchers after an outage."""
    return random.uniform(0, min(cap, 2.0 ** min(failures, 16)))


def watch(
    settings: Settings,
    secret: str,
    job: Job,
    stop: threading.Event,
    report: Callable[[str], None],
) -> None:
    """Run until `stop` is set; raises only errors a person must fix."""
    assert settings.imap is not None
    failures = 0
    while not stop.is_set():
        try:
            with Mailbox(settings.imap, secret, base=_base(settings)) as mailbox:
                failures = 0
                _session(mailbox, settings, job, stop, report)
        except (ImapError, RetryableSinkError) as exc:
            if not getattr(exc, "retryable", isinstance(exc, RetryableSinkError)):
                raise
            failures += 1
            delay = backoff(failures, settings.watch.max_backoff_seconds)
            report(f"{exc}; retrying in {delay:.0f} s")
            stop.wait(delay)


def _session(
    mailbox: Mailbox,
    settings: Settings,
    job: Job,
    stop: threading.Event,
    report: Callable[[str], None],
) -> None:
    idle = mailbox.supports_idle()
    while not stop.is_set():
        summary: Summary = sync_mailbox(mailbox, job)
        if summary.fetched:
            report(summary.line())
        if idle:
            mailbox.wait_for_mail(settings.watch.idle_seconds, stop.is_set)
        else:
            stop.wait(settings.watch.poll_seconds)
        if not stop.is_set():
            mailbox.refresh()


def _base(settings: Settings) -> Path | None:
    return settings.path.parent if settings.path else None
