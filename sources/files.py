"""Messages from local files: .eml files, folders of them, mbox files and Maildirs.

Used by `sparkcodes parse`, by backfills (a Google Takeout mbox) and by the bundled demo.
"""

from __future__ import annotations

import mailbox
import os
from collections.abc import Iterator, Sequence
from itertools import islice
from pathlib import Path

from sources import Pending, RawMessage, SourceBatch, SourceError


class FilesSource:
    """`[local] paths` as a Source: read whole at every run, with no cursor (the state's
    Message-IDs skip what is done) and nothing to mark."""

    key = None

    def __init__(self, paths: Sequence[Path], batch_size: int = 200) -> None:
        self.paths = list(paths)
        self.batch_size = batch_size

    def pending(self, cursor: str | None, *, full: bool = False) -> Pending:
        def batches() -> Iterator[SourceBatch]:
            messages = read_paths(self.paths)
            while chunk := list(islice(messages, self.batch_size)):
                yield SourceBatch(chunk)

        return Pending(batches())

    def done(self, batch: SourceBatch, failed: Sequence[int]) -> None:
        """Files are not marked: nothing to do."""


def read_paths(paths: list[Path]) -> Iterator[RawMessage]:
    """Every message under `paths`, in a stable order; raises SourceError for a bad path."""
    for path in paths:
        check_path(path)
    for path in paths:
        yield from _read(path)


def check_path(path: Path) -> None:
    if not path.exists():
        raise SourceError(f"{path}: no such file or directory")
    if not os.access(path, os.R_OK):
        raise SourceError(f"{path}: permission denied")


def _read(path: Path) -> Iterator[RawMessage]:
    if path.is_dir():
        if (path / "cur").is_dir() and (path / "new").is_dir():
            yield from _maildir(path)
        else:
            for child in sorted(path.rglob("*.eml")):
                yield _eml(child)
    elif _is_mbox(path):
        yield from _mbox(path)
    else:
        yield _eml(path)


def _eml(path: Path) -> RawMessage:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: {exc.strerror or exc}") from exc
    return RawMessage(raw, f"file:{path}")


def _is_mbox(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(5) == b"From "
    except OSError as exc:
        raise SourceError(f"{path}: {exc.strerror or exc}") from exc


def _mbox(path: Path) -> Iterator[RawMessage]:
    """Each message of an mbox as it is read, one in memory at a time: a Takeout mbox may hold
    gigabytes, and mailbox.mbox first scans the whole file for its table of contents. The
    bytes are exactly what mailbox.mbox's get_bytes gives (tests/pipeline/test_files_stream.py):
    the From_ line dropped, and the blank line that ends a message before the next From_."""
    try:
        with path.open("rb") as fh:
            index = 0
            lines: list[bytes] = []
            started = last_was_empty = False
            for line in fh:
                if line.startswith(b"From "):
                    if started:
                        yield RawMessage(_joined(lines, last_was_empty), f"mbox:{path}#{index}")
                        index += 1
                    started, lines, last_was_empty = True, [], False
                    continue
                if started:
                    lines.append(line)
                last_was_empty = line == b"\n"
            if started:
                yield RawMessage(_joined(lines, last_was_empty), f"mbox:{path}#{index}")
    except OSError as exc:
        raise SourceError(f"{path}: {exc.strerror or exc}") from exc


def _joined(lines: list[bytes], last_was_empty: bool) -> bytes:
    raw = b"".join(lines)
    return raw[:-1] if last_was_empty else raw


def _maildir(path: Path) -> Iterator[RawMessage]:
    box = mailbox.Maildir(path, factory=None, create=False)
    for key in sorted(box.iterkeys()):
        yield RawMessage(box.get_bytes(key), f"maildir:{path}#{key}")
