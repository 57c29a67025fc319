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
    box = mailbox.mbox(path, create=False)
    try:
        for index, key in enumerate(box.iterkeys()):
            yield RawMessage(box.get_bytes(key), f"mbox:{path}#{index}")
    finally:
        box.close()


def _maildir(path: Path) -> Iterator[RawMessage]:
    box = mailbox.Maildir(path, factory=None, create=False)
    for key in sorted(box.iterkeys()):
        yield RawMessage(box.get_bytes(key), f"maildir:{path}#{key}")
