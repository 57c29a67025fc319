"""`sparkcodes watch`: stay connected, sync whenever mail arrives, survive drops.

IMAP IDLE where the server has it (re-issued at least every 10 minutes), polling where it does
not; after a transient error (config/errors.py) it reconnects with capped exponential backoff
and jitter; a terminal one ends it. A stop request (SIGTERM, Ctrl-C) ends it between two
steps, never in the middle of a batch.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from pathlib import Path

from config.errors import TransientError
from config.settings import Settings
from pipeline.lock import AlreadyRunning, RunLock
from pipeline.run import Job, Summary, sync
from pipeline.wiring import imap_source
from sources.imap import Mailbox, read_secret


def backoff(failures: int, cap: float) -> float:
    """Full-jitter exponential backoff: spreads reconnects of many watchers after an outage.

    The first retry comes within a second (a restarted server is usually back by then),
    then the window doubles up to `cap` (watch.max_backoff_seconds).
    """
    return random.uniform(0, min(cap, 2.0 ** min(max(failures, 1) - 1, 16)))


def watch(
    settings: Settings,
    job: Job,
    lock_path: Path,
    stop: threading.Event,
    report: Callable[[str], None],
    *,
    after_sync: Callable[[], str | None] | None = None,
) -> None:
    """Run until `stop` is set; raises only errors a person must fix.

    `after_sync` runs after each sync pass, under the same lock (the daily TikTok re-check,
    pipeline/verify.py's `daily_verify`); a line it returns is reported.

    The run lock is held for each sync pass, not while idling, so `reprocess`, `resolve` and
    a cron `run` can take their turn. The secret is read at every connect: an OAuth2 access
    token lives about an hour.
    """
    imap = settings.imap
    assert imap is not None
    failures = 0
    while not stop.is_set():
        try:
            with Mailbox(imap, read_secret(imap)) as mailbox:
                failures = 0
                _session(mailbox, settings, job, lock_path, stop, report, after_sync)
        except TransientError as exc:
            failures += 1
            delay = backoff(failures, settings.watch.max_backoff_seconds)
            report(f"{exc}; retrying in {delay:.0f} s")
            stop.wait(delay)


def _session(
    mailbox: Mailbox,
    settings: Settings,
    job: Job,
    lock_path: Path,
    stop: threading.Event,
    report: Callable[[str], None],
    after_sync: Callable[[], str | None] | None = None,
) -> None:
    idle = mailbox.supports_idle()
    while not stop.is_set():
        try:
            with RunLock(lock_path):
                summary: Summary = sync(imap_source(settings, mailbox), job)
                extra = after_sync() if after_sync is not None else None
            if summary.fetched:
                report(summary.line())
            if extra:
                report(extra)
        except AlreadyRunning:
            report("another sparkcodes command holds the lock; syncing on the next wake-up")
        if idle:
            mailbox.wait_for_mail(settings.watch.idle_seconds, stop.is_set)
        else:
            stop.wait(settings.watch.poll_seconds)
        if not stop.is_set():
            mailbox.refresh()
