"""The Source protocol and the one sync loop: any source, the same safety order per batch
(sinks durably, then the source marks, then the state stores its opaque cursor)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from parsers.options import Options
from parsers.records import Extraction
from pipeline.run import Job, sync
from pipeline.state import State
from sinks import WriteStats
from sources import Pending, RawMessage, SourceBatch
from sources.files import FilesSource
from tests.pipeline.mailgen import creator_email


class Recorder:
    """A write-only sink and a source in one, noting every step in order (a write-only sink
    has no `code_rows`: the Sink protocol does not ask for it)."""

    key = "memory://test"

    def __init__(self, state: State, batches: Sequence[Sequence[bytes]]) -> None:
        self.state = state
        self.batches = batches
        self.steps: list[str] = []
        self.seen_cursor: str | None = "unset"

    # -- as a source
    def pending(self, cursor: str | None, *, full: bool = False) -> Pending:
        self.seen_cursor = cursor

        def batches() -> Iterator[SourceBatch]:
            for n, raws in enumerate(self.batches, 1):
                messages = [RawMessage(r, f"memory:{n}") for r in raws]
                yield SourceBatch(messages, f"after-{n}", list(range(len(raws))))

        return Pending(batches(), sum(len(b) for b in self.batches))

    def done(self, batch: SourceBatch, failed: Sequence[int]) -> None:
        # The state must not hold this batch's cursor yet.
        self.steps.append(f"done {batch.cursor} (state at {self.state.cursor(self.key)})")

    # -- as a sink
    def write(self, batch: Sequence[Extraction]) -> WriteStats:
        self.steps.append(f"write {len(batch)}")
        return WriteStats()

    def set_statuses(self, statuses: Mapping[str, str]) -> None:
        pass


def test_one_loop_keeps_the_safety_order_and_stores_the_cursor_last(tmp_path: Path) -> None:
    emails = [creator_email(i) for i in range(3)]
    with State(tmp_path / "state.sqlite3") as state:
        rec = Recorder(state, [emails[:2], emails[2:]])
        summary = sync(rec, Job(sinks=[rec], options=Options(), state=state))
        assert rec.seen_cursor is None  # a source never synced starts from nothing
        assert rec.steps == [
            "write 2",
            "done after-1 (state at None)",
            "write 1",
            "done after-2 (state at after-1)",
        ]
        assert state.cursor(rec.key) == "after-2"
        assert summary.fetched == 3 and summary.codes == 3
        again = Recorder(state, [])
        sync(again, Job(sinks=[again], options=Options(), state=state))
        assert again.seen_cursor == "after-2"
        assert again.steps == ["write 0"]  # no mail: the sinks still refresh expiry status


def test_an_older_state_file_keeps_its_imap_position_as_a_cursor(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE folders (folder TEXT PRIMARY KEY, uidvalidity INTEGER NOT NULL, "
        "last_uid INTEGER NOT NULL, updated_at TEXT NOT NULL)"
    )
    db.execute("INSERT INTO folders VALUES ('imap://u@h:993/INBOX', 1700, 42, '2026-11-01')")
    db.commit()
    db.close()
    with State(path) as state:
        assert state.cursor("imap://u@h:993/INBOX") == "1700:42"
    with State(path) as state:  # migrated once; opening again changes nothing
        assert state.cursor("imap://u@h:993/INBOX") == "1700:42"


def test_files_are_a_source_without_a_cursor(tmp_path: Path) -> None:
    for i in range(5):
        (tmp_path / f"{i}.eml").write_bytes(creator_email(i))
    source = FilesSource([tmp_path], batch_size=2)
    assert source.key is None
    pending = source.pending(None)
    assert [len(b.messages) for b in pending.batches] == [2, 2, 1]
