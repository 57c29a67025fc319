"""Extraction on every core: `extract` mapped over raw messages by worker processes.

Why worker processes: extraction is pure Python and holds the GIL, so threads would not use a
second core. Why this and not concurrent.futures.ProcessPoolExecutor: a worker that dies there
breaks the whole pool and nobody learns which email killed it; here each worker has at most a
few messages in flight, so a crash or a hang is pinned on the one email it was reading,
which becomes a `parser_error` review item while a fresh worker carries on.

Why the `forkserver` start method: the parent holds threads (this pool's dispatcher, a progress
bar) and sockets (the IMAP connection), and forking that is unsafe. The fork server is a clean
interpreter that imports the parsers once; workers forked from it start in milliseconds, so a
replacement after a crash costs nothing and start-up is one import, not one per worker.

Memory: the parent submits a bounded number of batches (`Pool.map` keeps `ahead` chunks in
flight; `pipeline.run.sync` one batch ahead), so what is held is batch size x a few, never the
mailbox.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from multiprocessing.connection import Connection, wait
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any

from config.errors import TerminalError
from parsers.records import Extraction, Failure, Reason

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    from parsers.options import Options
    from sources import RawMessage

__all__ = [
    "DEFAULT_TIMEOUT",
    "InProcess",
    "Pool",
    "Ticket",
    "WorkersUnavailable",
    "default_jobs",
    "extractor",
]

# Generous: reading a screenshot (OCR) may take seconds; a parser stuck for two minutes on
# one email is a bug, and that email goes to review.
DEFAULT_TIMEOUT = 120.0
# Messages queued per worker, so it never waits for the parent between two: the dispatcher
# thread shares the GIL with a busy main thread (fetching, writing sinks) and may wake up a
# few milliseconds late; four emails are about ten milliseconds of work.
IN_FLIGHT = 4

# Test-only: "crash:<marker>" or "hang:<marker>" (comma-separated) make a worker os._exit or
# sleep on an email containing <marker>, so the tests can kill a worker mid-batch through the
# real CLI. Read once per worker; unset in production.
TEST_FAULTS_ENV = "SPARKCODES_TEST_WORKER_FAULTS"


# What the fork server imports once for every worker: pipeline.cli too, since
# multiprocessing runs the `sparkcodes` script again in each worker (its main module), and that
# script imports pipeline.cli; imported once in the fork server, a worker starts with nothing
# left to import.
_PRELOAD = ("pipeline.workers", "parsers.extract", "pipeline.cli")


def start_early(jobs: int) -> None:
    """Start the fork server now (for `jobs` > 1), so that its imports (the parsers, a third
    of a second) run while this process loads its config, sinks and mailbox and fetches the
    first batch, instead of after it. The server exits with this process."""
    if jobs <= 1:
        return
    from multiprocessing import forkserver

    multiprocessing.get_context("forkserver").set_forkserver_preload(list(_PRELOAD))
    forkserver.ensure_running()


def default_jobs() -> int:
    """The cores this process may run on (its affinity, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def extractor(jobs: int, options: Options | None, timeout: float = DEFAULT_TIMEOUT) -> Extractor:
    """What maps `extract` over messages for a command: `jobs` worker processes, or this
    process alone for `jobs` 1 (no pool, no fork server: today's single process)."""
    if jobs <= 1:
        return InProcess(options)
    return Pool(jobs, options, timeout=timeout)


class InProcess:
    """`Pool.map` in this process, for `--jobs 1`."""

    def __init__(self, options: Options | None) -> None:
        self.options = options

    def __enter__(self) -> InProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def map(self, messages: Iterable[RawMessage]) -> Iterator[tuple[RawMessage, Extraction]]:
        from parsers.extract import extract

        for m in messages:
            yield m, extract(m.raw, m.source, options=self.options, received_at=m.received_at)


class WorkersUnavailable(OSError, TerminalError):
    """Worker processes die before reading any email (a broken install, no /dev/shm)."""


class _Terminated(BaseException):
    """SIGTERM arrived while workers ran: unwind, stop them, then die of SIGTERM as before."""


@dataclass(slots=True)
class Ticket:
    """One submitted sequence of messages; `results` waits for them all, in input order."""

    pool: Pool
    messages: Sequence[RawMessage]
    slots: list[Extraction | None] = field(default_factory=list)
    left: int = 0

    def results(self) -> list[Extraction]:
        with self.pool.changed:
            while self.left and self.pool.error is None:
                self.pool.changed.wait()
            if self.left:
                assert self.pool.error is not None
                raise self.pool.error
        return [r for r in self.slots if r is not None]


@dataclass(slots=True)
class _Task:
    ticket: Ticket
    index: int

    @property
    def message(self) -> RawMessage:
        return self.ticket.messages[self.index]


@dataclass(slots=True)
class _Worker:
    process: BaseProcess
    conn: Connection
    tasks: deque[_Task] = field(default_factory=deque)
    since: float = 0.0  # when the task at the head of `tasks` started
    ready: bool = False  # it said so once its imports were done


class Pool:
    """`jobs` worker processes running `extract` with `options`; use as a context manager.

    A dispatcher thread owns the workers' pipes (so the parent never deadlocks writing to a
    worker that is writing back) and turns a worker's death or a message over `timeout`
    seconds into a parser_error for that message, then starts a fresh worker.
    """

    def __init__(
        self, jobs: int, options: Options | None, *, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        self.jobs = max(1, jobs)
        self.options = options
        self.timeout = timeout
        self.changed = threading.Condition()
        self.error: BaseException | None = None
        self._queue: deque[_Task] = deque()
        self._workers: list[_Worker] = []
        self._wake_r, self._wake_w = os.pipe()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._context = multiprocessing.get_context("forkserver")
        # pipeline.cli too: multiprocessing runs the `sparkcodes` script again in each worker
        # (its main module), and that script imports pipeline.cli; imported once in the fork
        # server, a worker starts with nothing left to import.
        self._context.set_forkserver_preload(list(_PRELOAD))
        self._old_sigterm: Any = None

    # ------------------------------------------------------------------ parent side

    def __enter__(self) -> Pool:
        if threading.current_thread() is threading.main_thread():
            self._old_sigterm = signal.signal(signal.SIGTERM, _raise_terminated)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        terminated = kind is _Terminated
        if self._old_sigterm is not None:  # a SIGTERM now must not cut the clean-up short

            def later(signum: int, frame: FrameType | None) -> None:
                nonlocal terminated
                terminated = True

            signal.signal(signal.SIGTERM, later)
        self.close(graceful=kind is None)
        if self._old_sigterm is not None:
            signal.signal(signal.SIGTERM, self._old_sigterm)
        if terminated:
            # Exit as a run without workers does on SIGTERM: killed by the signal.
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)

    def submit(self, messages: Sequence[RawMessage]) -> Ticket:
        """Queue `messages` for extraction and return at once; the caller bounds how many
        tickets it holds (that bound is the memory bound)."""
        ticket = Ticket(self, messages, [None] * len(messages), len(messages))
        if not messages:
            return ticket
        with self.changed:
            if self.error is not None:
                raise self.error
            self._queue.extend(_Task(ticket, i) for i in range(len(messages)))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._dispatch, name="sparkcodes-workers", daemon=True
                )
                self._thread.start()
        os.write(self._wake_w, b"x")
        return ticket

    def map(
        self, messages: Iterable[RawMessage], chunk: int = 32, ahead: int = 4
    ) -> Iterator[tuple[RawMessage, Extraction]]:
        """Each message with its extraction, in input order, with at most `chunk` x `ahead`
        messages read ahead of the one being yielded."""
        it = iter(messages)
        tickets: deque[Ticket] = deque()
        while True:
            while len(tickets) < ahead and (part := list(islice(it, chunk))):
                tickets.append(self.submit(part))
            if not tickets:
                return
            ticket = tickets.popleft()
            yield from zip(ticket.messages, ticket.results(), strict=True)

    def close(self, *, graceful: bool = True) -> None:
        """Stop the dispatcher and every worker; no process outlives this call."""
        with self.changed:
            self._stopping = True
        os.write(self._wake_w, b"x")
        if self._thread is not None:
            self._thread.join()
        for worker in self._workers:
            self._stop(worker, graceful=graceful)
        self._workers.clear()
        os.close(self._wake_r)
        os.close(self._wake_w)

    # ------------------------------------------------------------------ dispatcher thread

    def _dispatch(self) -> None:
        try:
            while True:
                with self.changed:
                    if self._stopping:
                        return
                    self._feed()
                self._wait()
        except BaseException as exc:  # starting a worker failed, or worse: every waiter learns
            with self.changed:
                self.error = exc
                self.changed.notify_all()

    def _feed(self) -> None:
        """Hand queued tasks to the least busy workers, starting workers as work appears."""
        while self._queue:
            idle = [w for w in self._workers if len(w.tasks) < IN_FLIGHT]
            if len(self._workers) < self.jobs and not any(not w.tasks for w in idle):
                idle.append(self._start())
            if not idle:
                return
            worker = min(idle, key=lambda w: len(w.tasks))
            task = self._queue.popleft()
            message = task.message
            if not worker.tasks:
                worker.since = time.monotonic()
            worker.tasks.append(task)
            try:
                worker.conn.send((message.raw, message.source, message.received_at))
            except OSError:  # it died: not this email's doing; `_wait` buries the worker
                worker.tasks.pop()
                self._queue.appendleft(task)
                return

    def _wait(self) -> None:
        busy = [w for w in self._workers if w.tasks]
        now = time.monotonic()
        deadline = min((w.since + self.timeout for w in busy), default=None)
        ready = set(
            wait(
                [self._wake_r]
                + [w.conn for w in self._workers]
                + [w.process.sentinel for w in self._workers],
                timeout=None if deadline is None else max(0.0, deadline - now),
            )
        )
        if self._wake_r in ready:
            os.read(self._wake_r, 4096)
        for worker in list(self._workers):
            alive = self._receive(worker) if worker.conn in ready else True
            if not alive or worker.process.sentinel in ready:
                worker.process.join(timeout=1)
                code = worker.process.exitcode
                self._lose(worker, f"its worker process died (exit code {code})")
            elif worker.tasks and time.monotonic() - worker.since > self.timeout:
                self._lose(worker, f"it took over {self.timeout:g} s")

    def _receive(self, worker: _Worker) -> bool:
        """Take every result `worker` has sent; False when its pipe closed (it died)."""
        while worker.conn.poll():
            try:
                reply = worker.conn.recv()
            except (EOFError, OSError):
                return False
            if reply is None:
                worker.ready = True
                continue
            task = worker.tasks.popleft()
            worker.since = time.monotonic()
            result = reply if isinstance(reply, Extraction) else _lost(task.message, str(reply))
            self._done(task, result)
        return True

    def _done(self, task: _Task, result: Extraction) -> None:
        with self.changed:
            ticket = task.ticket
            ticket.slots[task.index] = result
            ticket.left -= 1
            if not ticket.left:
                self.changed.notify_all()

    def _lose(self, worker: _Worker, why: str) -> None:
        """The email at the head of `worker` becomes a review item; the ones queued behind it
        go back to the front of the queue for a fresh worker."""
        if not worker.ready:
            # Not the email's fault: the worker never got as far as reading one. Blaming
            # emails here would send a whole mailbox to review.
            raise WorkersUnavailable(
                f"the extraction worker processes cannot start ({why}); run with --jobs 1"
            )
        if worker.tasks:
            head = worker.tasks.popleft()
            self._done(head, _lost(head.message, why))
        with self.changed:
            self._queue.extendleft(reversed(worker.tasks))
        worker.tasks.clear()
        self._stop(worker, graceful=False)
        self._workers.remove(worker)

    def _start(self) -> _Worker:
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=_work, args=(child, self.options), name="sparkcodes-extract", daemon=True
        )
        process.start()
        child.close()
        worker = _Worker(process, parent)
        self._workers.append(worker)
        return worker

    def _stop(self, worker: _Worker, *, graceful: bool) -> None:
        if graceful and worker.process.is_alive():
            with contextlib.suppress(OSError):
                worker.conn.send(None)
            worker.process.join(timeout=5)
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join()
        worker.conn.close()


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise _Terminated()


def _lost(message: RawMessage, why: str) -> Extraction:
    """A parser_error for an email whose worker never answered, identified by its headers the
    way `extract` identifies emails it cannot read."""
    from parsers.extract import header_identity

    identity = header_identity(message.raw, message.source, message.received_at)
    detail = f"the parser failed on this email ({why}); please report it"
    return Extraction(rows=(), failure=Failure(Reason.PARSER_ERROR, detail, "", identity))


Extractor = InProcess | Pool


# ---------------------------------------------------------------------- worker process


def _work(conn: Connection, options: Options | None) -> None:
    """A worker's life: extract what arrives, in order, until told to stop or the parent is
    gone (its pipe closes). Ctrl-C is the parent's to handle."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    from parsers.extract import extract

    faults = _test_faults()
    conn.send(None)  # ready: a death from now on is an email's doing
    while True:
        try:
            task: tuple[bytes, str, datetime | None] | None = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        raw, source, received_at = task
        if faults:
            _inject(faults, raw)
        result = extract(raw, source, options=options, received_at=received_at)
        try:
            conn.send(result)
        except (EOFError, OSError):
            return
        except Exception as exc:  # an unpicklable result is a bug: one review item
            conn.send(f"its result could not be sent back ({type(exc).__name__})")


def _test_faults() -> list[tuple[str, bytes]]:
    text = os.environ.get(TEST_FAULTS_ENV, "")
    return [
        (kind, marker.encode())
        for kind, _, marker in (item.partition(":") for item in text.split(","))
        if marker
    ]


def _inject(faults: list[tuple[str, bytes]], raw: bytes) -> None:
    for kind, marker in faults:
        if marker in raw:
            if kind == "crash":
                os._exit(70)
            if kind == "hang":
                time.sleep(3600)
