"""One sync pass: read messages, extract, write every sink, mark, then commit state.

The order is the whole safety argument. For each batch: sinks are written durably first
(idempotent upserts), then the mailbox is marked, then the state is committed. A crash at any
point repeats at most the current batch on the next run and never loses it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Never, Protocol, TypeVar

from tqdm import tqdm

from parsers.extract import Options, extract
from parsers.records import Extraction
from pipeline.imap import Mailbox
from pipeline.local import RawMessage
from pipeline.state import State
from sinks import Sink

T = TypeVar("T")


@dataclass(slots=True)
class Summary:
    fetched: int = 0
    codes: int = 0
    failures: int = 0
    skipped: int = 0
    inserted: int = 0
    updated: int = 0

    def line(self) -> str:
        return (
            f"fetched {self.fetched}, codes {self.codes} ({self.inserted} new, "
            f"{self.updated} updated), failures {self.failures}, skipped {self.skipped}"
        )


class Progress(Protocol):
    def update(self, n: int = 1) -> object: ...


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def progress_bar(total: int | None, label: str) -> tqdm[Never]:
    """A bar on a terminal for long backfills; nothing at all under cron."""
    quiet = not sys.stderr.isatty() or (total is not None and total < 50)
    return tqdm(total=total, desc=label, unit="msg", disable=quiet, leave=False)


def process(
    messages: Sequence[RawMessage],
    state: State | None,
    sinks: Sequence[Sink],
    options: Options,
    summary: Summary,
) -> list[str]:
    """Extract one batch and write what is new to every sink; returns the batch's Message-IDs."""
    extracted = [
        extract(m.raw, m.source, options=options, received_at=m.received_at) for m in messages
    ]
    ids = [_message_id(r) for r in extracted]
    seen = state.seen(ids) if state is not None else set()
    results: list[Extraction] = []
    for result, message_id in zip(extracted, ids, strict=True):
        summary.fetched += 1
        if message_id in seen:
            summary.skipped += 1
            continue
        seen.add(message_id)  # the same message twice in one batch counts once
        summary.codes += len(result.rows)
        summary.failures += result.failure is not None
        results.append(result)
    if results:
        for sink in sinks:
            stats = sink.write(results)
            summary.inserted += stats.inserted
            summary.updated += stats.updated
    return ids


def _message_id(result: Extraction) -> str:
    if result.failure is not None:
        return result.failure.identity.message_id
    return result.rows[0].identity.message_id


def sync_local(
    messages: Iterable[RawMessage],
    state: State | None,
    sinks: Sequence[Sink],
    options: Options,
    batch_size: int = 200,
) -> Summary:
    summary = Summary()
    with progress_bar(None, "reading") as bar:
        for batch in chunks(messages, batch_size):
            ids = process(batch, state, sinks, options, summary)
            if state is not None:
                state.commit(ids)
            bar.update(len(batch))
    return summary


def sync_mailbox(
    mailbox: Mailbox,
    state: State,
    sinks: Sequence[Sink],
    options: Options,
    *,
    full: bool = False,
) -> Summary:
    """Everything new in the selected folder since the last committed UID."""
    summary = Summary()
    key = mailbox.key
    known = state.folder(key)
    after = 0
    if known is not None and known.uidvalidity == mailbox.uidvalidity and not full:
        after = known.last_uid
    # A changed UIDVALIDITY means old UIDs mean nothing now: read the folder again; the
    # Message-IDs in the state keep every message from being written twice.
    uids = mailbox.new_uids(after)
    if not uids:
        if known is None or known.uidvalidity != mailbox.uidvalidity:
            state.commit([], key, mailbox.uidvalidity, after)
        return summary
    with progress_bar(len(uids), "syncing") as bar:
        for chunk in chunks(uids, mailbox.settings.batch_size):
            fetched = list(mailbox.fetch(chunk))
            ids = process([m for _, m in fetched], None if full else state, sinks, options, summary)
            mailbox.mark([uid for uid, _ in fetched])
            state.commit(ids, key, mailbox.uidvalidity, chunk[-1])
            bar.update(len(chunk))
    return summary
