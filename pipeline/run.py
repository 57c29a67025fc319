"""One sync pass: read messages, extract, write every sink, mark, then commit state.

The order is the whole safety argument. For each batch: sinks are written durably first
(idempotent upserts), then the mailbox is marked, then the state is committed. A crash at any
point repeats at most the current batch on the next run and never loses it.

One loop, `sync(source, job)`, for every source (sources/): the source hands out batches and
an opaque cursor per batch; it marks a batch (`done`) only after the sinks hold it, and the
state stores the cursor only after that.

With `Job.jobs` above 1, worker processes (pipeline/workers.py) extract: the next batch is
fetched and extracted while the current one is written, but batches are written, marked and
committed one after the other in the source's order, exactly as above. Enrichers run here, in
this process, per batch.
"""

from __future__ import annotations

import contextlib
import hashlib
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Never, TypeVar

from tqdm import tqdm

from parsers.options import Options
from parsers.records import Extraction, ReviewStatus, review_status
from pipeline.enrich import Enricher, enrich
from pipeline.review import ReviewStore
from pipeline.state import State
from pipeline.workers import DEFAULT_TIMEOUT, Pool, Ticket
from sinks import Sink
from sources import RawMessage, Source, SourceBatch

T = TypeVar("T")


@dataclass(slots=True)
class Summary:
    fetched: int = 0
    codes: int = 0
    failures: int = 0
    skipped: int = 0
    inserted: int = 0
    updated: int = 0
    # Status cells people typed that mean nothing to sparkcodes, by review item: flagged, not
    # guessed (the item stays open).
    unknown_statuses: dict[str, str] = field(default_factory=dict)

    def line(self) -> str:
        text = (
            f"fetched {self.fetched}, codes {self.codes} ({self.inserted} new, "
            f"{self.updated} updated), failures {self.failures}, skipped {self.skipped}"
        )
        if self.unknown_statuses:
            items = ", ".join(f"{k} {v!r}" for k, v in sorted(self.unknown_statuses.items()))
            text += (
                f"; review status not understood, left open: {items} "
                "(use open, resolved or ignored)"
            )
        return text


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def progress_bar(total: int | None, label: str) -> tqdm[Never]:
    """A bar on a terminal for long backfills; nothing at all under cron."""
    quiet = not sys.stderr.isatty() or (total is not None and total < 50)
    return tqdm(total=total, desc=label, unit="msg", disable=quiet, leave=False)


@dataclass(slots=True)
class Job:
    """What one sync pass writes to: the sinks, the state, and the review store."""

    sinks: Sequence[Sink]
    options: Options
    state: State | None = None
    store: ReviewStore | None = None
    # Steps between extraction and the sinks (pipeline/enrich.py); none by default.
    enrichers: Sequence[Enricher] = ()
    full: bool = False  # read everything again, ignoring what the state says was done
    # Processes extracting in parallel (pipeline/workers.py); 1 extracts in this process.
    jobs: int = 1
    message_timeout: float = DEFAULT_TIMEOUT  # per email, in a worker process


@dataclass(slots=True)
class Batch:
    ids: list[str]
    failed: set[str]  # Message-IDs that left a review item
    review: list[tuple[dict[str, object], int]]
    cleared: list[str]
    statuses: dict[str, str]


def process(
    messages: Sequence[RawMessage],
    job: Job,
    summary: Summary,
    extracted: Sequence[Extraction] | None = None,
) -> Batch:
    """Extract one batch (unless worker processes did: `extracted`, in the same order) and
    write what is new to every sink, then keep the raw email of each review item. The state
    is not touched here: the caller commits it last."""
    if extracted is None:
        # Here, not at the top: with worker processes this process never loads the parsers.
        from parsers.extract import extract

        extracted = [
            extract(m.raw, m.source, options=job.options, received_at=m.received_at)
            for m in messages
        ]
    # What marks a message done: its Message-ID and a hash of its bytes, so a copy of the
    # same message (a resync, a second folder) is skipped but a different email that reuses
    # a Message-ID (broken clients do) is still read.
    shas = [content_key(m.raw) for m in messages]
    ids = [f"{r.identity.message_id} {sha}" for r, sha in zip(extracted, shas, strict=True)]
    seen = job.state.seen(ids) if job.state is not None and not job.full else set()
    batch = Batch(ids, set(), [], [], {})
    owners = stored_owners(extracted, job)
    new: list[tuple[RawMessage, Extraction, str, str]] = []
    for message, result, message_id, sha in zip(messages, extracted, ids, shas, strict=True):
        summary.fetched += 1
        if message_id in seen:
            summary.skipped += 1
            continue
        seen.add(message_id)  # the same message twice in one batch counts once
        new.append((message, own_review_item(result, sha, job, owners), message_id, sha))
    # Only new messages are enriched: a step that asks the network pays for them alone.
    results = list(enrich([result for _, result, _, _ in new], job.enrichers))
    for (message, _, message_id, sha), result in zip(new, results, strict=True):
        summary.codes += len(result.rows)
        if result.failure is not None:
            summary.failures += 1
            batch.failed.add(message_id)
            kept = job.store.put(result.failure.failure_id, message.raw) if job.store else 0
            batch.review.append(({**result.failure.as_record(), "raw_sha": sha}, kept))
        else:
            batch.cleared.append(result.identity.failure_id)
    if job.store is not None and batch.review:
        # Past the cap the oldest kept emails go first; this batch's are kept.
        job.store.trim(keep_first={str(record["failure_id"]) for record, _ in batch.review})
    write_sinks(results, job, summary, batch.statuses)
    record_review(job, batch)
    return batch


def content_key(raw: bytes) -> str:
    """A hash of an email's bytes: tells apart different emails that share a Message-ID."""
    return hashlib.sha256(raw).hexdigest()[:16]


def stored_owners(results: Sequence[Extraction], job: Job) -> dict[str, str]:
    """Which email (the hash of its bytes) holds each review item these results could claim,
    in one query per batch; see `own_review_item`."""
    if job.state is None:
        return {}
    owners = job.state.failure_owners(r.identity.failure_id for r in results)
    for key, owner in owners.items():
        if owner == "" and job.store is not None:  # stored before hashes were kept
            kept = job.store.get(key)
            owners[key] = content_key(kept) if kept is not None else ""
    return owners


def own_review_item(
    result: Extraction, sha: str, job: Job, owners: dict[str, str] | None = None
) -> Extraction:
    """`result`, keyed so that its review item is its own: the Message-ID's item unless a
    different email (by `sha`, the hash of its bytes) already holds it, in the state or
    earlier in this batch (`owners`, from `stored_owners`, updated here). Each email then
    keeps its own item and kept .eml, and an email that parses clears only its own."""
    if owners is None:
        owners = stored_owners([result], job)
    base = result.identity.failure_id
    owner = owners.get(base)
    if owner and owner != sha:
        result = result.with_content_key(sha)
    if result.failure is not None:
        owners[result.failure.failure_id] = sha
    return result


def write_sinks(
    results: Sequence[Extraction], job: Job, summary: Summary, statuses: dict[str, str]
) -> None:
    """Every sink, durably. An empty batch still refreshes expiry status and picks up review
    statuses people set in a sink (a Status cell in the sheet); every sink then holds the
    same status (`agree`), so failures.csv and the sheet never disagree."""
    written = [sink.write(results) for sink in job.sinks]
    # A code is new if any sink lacked it: a sink that failed last run catches up now.
    inserted = set().union(*(stats.inserted_keys for stats in written))
    updated = set().union(*(stats.updated_keys for stats in written)) - inserted
    summary.inserted += len(inserted)
    summary.updated += len(updated)
    agreed, unknown = agree([stats.statuses for stats in written])
    for sink, stats in zip(job.sinks, written, strict=True):
        fix = {
            key: str(status)
            for key, raw in stats.statuses.items()
            if (status := agreed.get(key)) is not None
            and raw != status
            and (raw or status != ReviewStatus.OPEN)
        }
        if fix:
            sink.set_statuses(fix)
    summary.unknown_statuses.update(unknown)
    for key, status in agreed.items():
        if status != ReviewStatus.OPEN:
            statuses[key] = str(status)


def agree(
    held: Sequence[dict[str, str]],
) -> tuple[dict[str, ReviewStatus], dict[str, str]]:
    """One status per review item from what each sink holds: a person's `resolved` or
    `ignored` in any sink wins over `open` (typed in any case, or as a synonym such as `Done`);
    items whose only non-open text is a word sparkcodes does not know are returned apart,
    with that text, and stay open where they are open."""
    agreed: dict[str, ReviewStatus] = {}
    unknown: dict[str, str] = {}
    for statuses in held:
        for key, raw in statuses.items():
            status = review_status(raw)
            if status is None:
                unknown.setdefault(key, raw)
            elif key not in agreed or agreed[key] == ReviewStatus.OPEN:
                agreed[key] = status  # the first sink's resolved/ignored stands
    for key in list(unknown):
        if agreed.get(key, ReviewStatus.OPEN) != ReviewStatus.OPEN:
            del unknown[key]  # decided in another sink; its word replaces the unknown one
        else:
            agreed.pop(key, None)  # the person's text stays where it is
    return agreed, unknown


def record_review(job: Job, batch: Batch) -> None:
    """Review items into the state's queue, before the mailbox hands failed messages off (a
    move takes them out of the folder): a crash after the move still leaves them listed."""
    if job.store is not None:
        for key in batch.cleared:  # out of the queue: its copy is no longer needed
            job.store.drop(key)
    if job.state is None:
        return
    if batch.review or batch.cleared:
        job.state.commit([], failures=batch.review, cleared=batch.cleared)
    if batch.statuses:
        job.state.set_statuses(batch.statuses)


def commit_batch(
    job: Job, batch: Batch, source_key: str | None = None, cursor: str | None = None
) -> None:
    """The last step of a batch: its messages are done, the source's cursor moves on."""
    if job.state is not None:
        job.state.commit(batch.ids, source_key, cursor)


def sync(source: Source, job: Job) -> Summary:
    """Everything `source` has after the cursor the state holds for it (all with `job.full`)."""
    summary = Summary()
    key = source.key
    cursor = job.state.cursor(key) if job.state is not None and key is not None else None
    pending = source.pending(cursor, full=job.full)
    wrote = False
    with progress_bar(pending.total, "syncing" if key else "reading") as bar, workers(job) as pool:
        for chunk, extracted in extracted_batches(pending.batches, pool):
            batch = process(chunk.messages, job, summary, extracted)
            failed = [i for i, mid in enumerate(batch.ids) if mid in batch.failed]
            source.done(chunk, failed)
            commit_batch(job, batch, key, chunk.cursor)
            wrote = True
            bar.update(len(chunk.messages))
    if not wrote:
        # No mail: still refresh expiry status and pick up statuses people set in a sink.
        process([], job, summary)
    return summary


def workers(job: Job) -> contextlib.AbstractContextManager[Pool | None]:
    """The job's worker processes, or None when it extracts in this process (`jobs` 1)."""
    if job.jobs <= 1:
        return contextlib.nullcontext()
    return Pool(job.jobs, job.options, timeout=job.message_timeout)


def extracted_batches(
    batches: Iterator[SourceBatch], pool: Pool | None
) -> Iterator[tuple[SourceBatch, Sequence[Extraction] | None]]:
    """Each batch with its extractions (None: `process` extracts it here), in order.

    With workers, the next batch is read from the source (an IMAP FETCH, on this thread: the
    connection is not shared) while the workers extract the current one, and the workers
    extract the next one while the caller writes the current one; at most two batches are
    submitted at a time, so memory is bounded by the batch size, not the mailbox. Commits
    stay in order: the caller gets batch k before batch k+1.
    """
    if pool is None:
        for chunk in batches:
            yield chunk, None
        return
    ahead: deque[tuple[SourceBatch, Ticket]] = deque()
    while True:
        while len(ahead) < 2 and (fetched := next(batches, None)) is not None:
            ahead.append((fetched, pool.submit(fetched.messages)))
        if not ahead:
            return
        current, ticket = ahead.popleft()
        yield current, ticket.results()
